/**
 * HugeTLB pools and the HugeTLB vmemmap optimisation (mm/hugetlb.c report_hugepages and
 * pool sizing, mm/hugetlb_vmemmap.c), per version and arch.
 */
import { describe, expect, it } from 'vitest';
import { run, stepOf, hugetlbBox as box } from './helpers.js';

const KiB = 1024;


describe('boot lines (report_hugepages)', () => {
  it('6.18 x86_64: 1 GiB hstate first, then 2 MiB, each with what HVO can free', () => {
    const d = run(box('v6.18', '')).report.dmesg.filter((l) => l.startsWith('HugeTLB'));
    expect(d).toEqual([
      'HugeTLB: registered 1.00 GiB page size, pre-allocated 0 pages',
      'HugeTLB: 16380 KiB vmemmap can be freed for a 1.00 GiB page',
      'HugeTLB: registered 2.00 MiB page size, pre-allocated 0 pages',
      'HugeTLB: 28 KiB vmemmap can be freed for a 2.00 MiB page',
    ]);
  });

  it('without GBPAGES (QEMU qemu64) there is no 1 GiB hstate', () => {
    const d = run(box('v6.12', '', '', { config: 'config: { gbpages: false }' })).report.dmesg.filter((l) => l.startsWith('HugeTLB'));
    expect(d).toEqual(['HugeTLB: registered 2.00 MiB page size, pre-allocated 0 pages', 'HugeTLB: 28 KiB vmemmap can be freed for a 2.00 MiB page']);
  });

  it('5.15: no colon, no vmemmap line; "can free 6 vmemmap pages" when enabled', () => {
    const d = run(box('v5.15', 'hugetlb_free_vmemmap=on')).report.dmesg.filter((l) => l.includes('HugeTLB'));
    expect(d).toEqual([
      'HugeTLB: can free 4094 vmemmap pages for hugepages-1048576kB',
      'HugeTLB: can free 6 vmemmap pages for hugepages-2048kB',
      'HugeTLB registered 1.00 GiB page size, pre-allocated 0 pages',
      'HugeTLB registered 2.00 MiB page size, pre-allocated 0 pages',
    ]);
  });

  it('arm64 4K: four sizes; HVO only in 6.1.0 (rc7), 0 KiB from 6.1.12 on', () => {
    const o = { arch: 'arm64', config: 'config: { pageSize: 4K, vaBits: 48 }' };
    const rc = run(box('v6.1', '', '', o)).report.dmesg.filter((l) => l.includes('vmemmap can be freed'));
    expect(rc).toEqual([
      'HugeTLB: 16380 KiB vmemmap can be freed for a 1.00 GiB page',
      'HugeTLB: 508 KiB vmemmap can be freed for a 32.0 MiB page',
      'HugeTLB: 28 KiB vmemmap can be freed for a 2.00 MiB page',
      'HugeTLB: 0 KiB vmemmap can be freed for a 64.0 KiB page',
    ]);
    const y = run(box('v6.1.y', '', '', o)).report.dmesg.filter((l) => l.includes('vmemmap can be freed'));
    expect(y.every((l) => l.startsWith('HugeTLB: 0 KiB'))).toBe(true);
  });

  // hugepagesz_setup(): pr_err("HugeTLB: unsupported hugepagesz=%s\n", s), the value as typed
  it('an unsupported hugepagesz= is reported and ignored', () => {
    const r = run(box('v6.18', 'hugepagesz=4M hugepages=3'));
    expect(r.report.dmesg).toContain('HugeTLB: unsupported hugepagesz=4M');
  });
});

describe('HVO per version', () => {
  /* 100 pages of 2 MiB: 7 vmemmap pages (28 KiB) each from 6.1 on; the split PTE tables are
   * between ceil(100 / 64) = 2 and 64 (8 GiB = 64 vmemmap PMDs), depending on placement. */
  it('6.18: 2 MiB pages free 28 KiB of vmemmap each', () => {
    const r = run(box('v6.18', 'hugetlb_free_vmemmap=on', '  - hugepages: { size: 2M, count: 100 }'));
    expect(r.report.hugetlb.vmemmapFreed).toEqual({ 0: 100 * 28 * KiB });
    expect(r.report.hugetlb.splitPteTables).toEqual({ 0: { min: 2, max: 64 } });
    expect(r.report.hugetlb.hstates.find((h) => h.size === 2 ** 21)).toMatchObject({ pages: { 0: 100 }, optimized: { 0: 100 }, vmemmapFreedPerPage: 28 * KiB });
    expect(r.report.invariants.violations).toEqual([]);
  });

  it('off by default: the pool grows, nothing is freed', () => {
    const r = run(box('v6.18', '', '  - hugepages: { size: 2M, count: 100 }'));
    expect(r.report.hugetlb.vmemmapFreed).toEqual({});
    expect(r.report.hugetlb.hvo).toBe(false);
  });

  it('5.15 keeps two pages: 24 KiB per 2 MiB page', () => {
    const r = run(box('v5.15', 'hugetlb_free_vmemmap=on', '  - hugepages: { size: 2M, count: 10 }'));
    expect(r.report.hugetlb.vmemmapFreed).toEqual({ 0: 10 * 24 * KiB });
  });

  it('7.1: one shared tail page per zone and order, allocated once', () => {
    const r = run(box('v7.1', 'hugetlb_free_vmemmap=on', '  - hugepages: { size: 2M, count: 10 }'));
    expect(r.report.hugetlb.vmemmapFreed).toEqual({ 0: (10 * 7 - 1) * 4 * KiB });
  });

  /* Boot: 1 GiB pages from memblock; each frees 4095 vmemmap pages and splits exactly the 8
   * vmemmap PMDs that describe it. */
  it('boot-time 1 GiB pages: 4095 pages freed and 8 PTE tables each', () => {
    const r = run(box('v6.18', 'hugetlb_free_vmemmap=on hugepagesz=1G hugepages=2'));
    expect(r.report.dmesg).toContain('HugeTLB: registered 1.00 GiB page size, pre-allocated 2 pages');
    expect(r.report.hugetlb.vmemmapFreed).toEqual({ 0: 2 * 4095 * 4 * KiB });
    expect(r.report.hugetlb.splitPteTables).toEqual({ 0: { min: 16, max: 16 } });
  });

  it('shrinking the pool gives the vmemmap back first; the splits stay', () => {
    const r = run(box('v6.18', 'hugetlb_free_vmemmap=on', '  - hugepages: { size: 2M, count: 200 }\n  - hugepages: { size: 2M, count: 0 }'));
    expect(r.report.hugetlb.vmemmapFreed).toEqual({});
    expect(r.report.hugetlb.splitPteTables).toEqual({ 0: { min: 4, max: 64 } });
    expect(r.report.invariants.violations).toEqual([]);
  });

  it('per node, and not more than the node has (a shortfall is not an error)', () => {
    const nodes = '  - { id: 0, memory: [ { start: 0, size: 4G } ] }\n  - { id: 1, memory: [ { start: 4G, size: 1G } ] }';
    const r = run(box('v6.18', 'hugetlb_free_vmemmap=on', '  - hugepages: { size: 2M, count: 1000, node: 1 }', { nodes }));
    const s = stepOf(r, 2);
    expect(s.ok).toBe(true);
    const pages = r.report.hugetlb.hstates.find((h) => h.size === 2 ** 21)!.pages[1]!;
    expect(pages).toBeLessThan(1000);
    expect(s.messages[0]).toContain('asked for 1000');
  });

  it('hugepages=<node>:<count> (6.1+)', () => {
    const nodes = '  - { id: 0, memory: [ { start: 0, size: 4G } ] }\n  - { id: 1, memory: [ { start: 4G, size: 4G } ] }';
    const r = run(box('v6.18', 'hugepages=0:3,1:5', '', { nodes }));
    expect(r.report.hugetlb.hstates.find((h) => h.size === 2 ** 21)!.pages).toEqual({ 0: 3, 1: 5 });
  });

  /* Freed boot (memblock) vmemmap pages go through free_bootmem_page() and raise MemTotal.
   * Recorded under QEMU (conformance/cases/x86-61-hvo, x86-612-hvo): +5600 KiB on 6.1,
   * +6400 KiB on 6.12 for 200 x 2 MiB; a second round after emptying the pool gave 6.1
   * +336 KiB more and 6.12 +6400 KiB more: which folios come back is up to the allocator. */
  it('MemTotal: 6.1 frees 7 boot pages per 2 MiB page, 6.6+ 8 (the old head too)', () => {
    const steps = '  - hugepages: { size: 2M, count: 200 }';
    expect(run(box('v6.1.y', 'hugetlb_free_vmemmap=on', steps)).report.hugetlb.memTotalGain).toEqual({ 0: { min: 5600 * KiB, max: 5600 * KiB } });
    const r = run(box('v6.12', 'hugetlb_free_vmemmap=on', steps));
    expect(r.report.hugetlb.memTotalGain).toEqual({ 0: { min: 6400 * KiB, max: 6400 * KiB } });
    // net vmemmap given back is still 7 pages: the new head comes from the buddy allocator
    expect(r.report.hugetlb.vmemmapFreed).toEqual({ 0: 200 * 28 * KiB });
    const off = run(box('v6.12', '', steps));
    expect(r.report.memory.nodes[0]!.managedPages - off.report.memory.nodes[0]!.managedPages).toBe(1600);
  });

  /* Boot 1 GiB pages: 6.12 optimises them after boot (4096 boot pages freed, a new head from
   * the buddy allocator); 6.18 pre-HVO never allocates the 4096 pages but takes the head and 8
   * PTE tables from memblock: 4087; 7.1 also the zone's shared tail page, once. */
  it('MemTotal with boot-time 1 GiB pages: 6.12 4096, 6.18 pre-HVO 4087, 7.1 4087 less one tail', () => {
    const gain = (v: string) => run(box(v, 'hugetlb_free_vmemmap=on hugepagesz=1G hugepages=2')).report.hugetlb.memTotalGain[0];
    expect(gain('v6.12')).toEqual({ min: 2 * 4096 * 4 * KiB, max: 2 * 4096 * 4 * KiB });
    expect(gain('v6.18')).toEqual({ min: 2 * 4087 * 4 * KiB, max: 2 * 4087 * 4 * KiB });
    expect(gain('v7.1')).toEqual({ min: (2 * 4087 - 1) * 4 * KiB, max: (2 * 4087 - 1) * 4 * KiB });
    // 2 MiB boot pages come from the buddy allocator after sparse_init: no pre-HVO
    expect(run(box('v6.18', 'hugetlb_free_vmemmap=on hugepages=10')).report.hugetlb.memTotalGain[0]).toEqual({ min: 80 * 4 * KiB, max: 80 * 4 * KiB });
  });

  it('MemTotal after the pool was emptied and refilled is a range', () => {
    const steps = '  - hugepages: { size: 2M, count: 200 }\n  - hugepages: { size: 2M, count: 0 }\n  - hugepages: { size: 2M, count: 200 }';
    expect(run(box('v6.1.y', 'hugetlb_free_vmemmap=on', steps)).report.hugetlb.memTotalGain).toEqual({ 0: { min: 5600 * KiB, max: 11200 * KiB } });
    // 6.12: 200 new heads + 1400 restored pages may all be among the 1600 pages unmapped again
    expect(run(box('v6.12', 'hugetlb_free_vmemmap=on', steps)).report.hugetlb.memTotalGain).toEqual({ 0: { min: 6400 * KiB, max: 12800 * KiB } });
    // an expect step cannot pin a range to one number
    const r = run(box('v6.12', 'hugetlb_free_vmemmap=on', `${steps}\n  - expect: { step: 4, hugetlb: { memTotalGain: { "0": ${6400 * KiB} } } }`));
    expect(stepOf(r, 5).failedExpectations).toEqual([`hugetlb.memTotalGain.0 is a range, ${6400 * KiB}..${12800 * KiB}, expected exactly ${6400 * KiB}`]);
  });

  /* The model puts every huge page in boot memory; with hot-added memory online it says so. */
  it('with hot-added memory online, the step says the HVO figures assume boot memory', () => {
    const steps = '  - hot-add: { node: 0, start: 16G, size: 1G }\n  - hugepages: { size: 2M, count: 10 }';
    const self = run(box('v6.18', 'hugetlb_free_vmemmap=on memory_hotplug.memmap_on_memory=1 memhp_default_state=online_movable', steps));
    expect(stepOf(self, 3).messages[1]).toMatch(/^note: hot-added memory is online; .* \(in self-hosting blocks HVO would skip the page\)$/);
    const ram = run(box('v6.18', 'hugetlb_free_vmemmap=on memhp_default_state=online_movable', steps));
    expect(stepOf(ram, 3).messages[1]).toContain('no MemTotal gain');
    const offline = run(box('v6.18', 'hugetlb_free_vmemmap=on memhp_default_state=offline', steps));
    expect(stepOf(offline, 3).messages).toEqual(['nr_hugepages 2 MiB: 10']);
  });

  /* Runtime gigantic pages depend on a free aligned range (alloc_contig_pages): recorded on
   * 6.12 (x86-612-hvo-1g) the allocation found none; the model says it cannot know. */
  it('a runtime 1 GiB page: the step says success depends on fragmentation', () => {
    const r = run(box('v6.12', 'hugetlb_free_vmemmap=on', '  - hugepages: { size: 1G, count: 1 }\n  - hugepages: { size: 2M, count: 1 }'));
    expect(stepOf(r, 2).messages[1]).toMatch(/^note: 1 GiB pages at run time need free, 1 GiB-aligned ranges \(alloc_contig_pages\)/);
    expect(stepOf(r, 3).messages).toEqual(['nr_hugepages 2 MiB: 1']);
  });

  /* hugepages_supported() is PSE on x86: recorded without PSE (x86-612-nopse), 6.12 has no
   * HugeTLB lines at all and no hugepages-* directories. */
  it('x86 without PSE: no huge pages at all; boot parameters are dropped with a warning', () => {
    const r = run(box('v6.12', 'hugetlb_free_vmemmap=on hugepages=10', '  - hugepages: { size: 2M, count: 10 }', { config: 'config: { pse: false }' }));
    expect(r.report.dmesg.filter((l) => l.includes('HugeTLB'))).toEqual(['HugeTLB: huge pages not supported, ignoring associated command-line parameters']);
    expect(r.report.hugetlb.hstates).toEqual([]);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(run(box('v6.12', '', '', { config: 'config: { pse: false }' })).report.dmesg.some((l) => l.includes('HugeTLB'))).toBe(false);
  });

  it('no such size: the sysfs file does not exist', () => {
    expect(stepOf(run(box('v6.18', '', '  - hugepages: { size: 4M, count: 1 }')), 2)).toMatchObject({ ok: false, errno: 'ENOENT' });
  });
});
