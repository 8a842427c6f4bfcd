/**
 * vmemmap_populate() per arch, through the hot-add path that reaches it
 * (memremap_pages -> arch_add_memory -> __add_pages -> sparse_add_section ->
 * __populate_section_memmap): which level maps the memmap, where each page comes from,
 * and the page-table pages it costs. mm/sparse-vmemmap.c, arch/x86/mm/init_64.c,
 * arch/arm64/mm/mmu.c @ v6.18.
 */
import { describe, expect, it } from 'vitest';
import { memmapBacking, pageTablePages, leafCounts } from '../src/report/summary.js';
import { run, stepOf } from './helpers.js';

const G = 2 ** 30;
const M = 2 ** 20;

const pmem = (arch: string, config: string, start: string, size: string, ns: string) => `
arch: ${arch}
config: ${config}
nodes:
  - id: 0
    memory: [ { start: 0x40000000, size: 4G } ]
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: ${start}, size: ${size} }
steps:
  - boot
  - create-namespace: ${ns}
`;

describe('vmemmap_populate: x86_64', () => {
  /*
   * A 1 GiB namespace at 16 GiB (8 whole sections), --map=dev:
   *
   *   vmemmap  |PMD|PMD|PMD|PMD|PMD|PMD|PMD|PMD|   8 x 2 MiB, all from the altmap
   *   altmap   |r|..waste 510..|==== 4096 pfns ====|..unused..|
   *
   * Expect 8 PMD leaves backed by the altmap, no RAM memmap, one new PMD table (the 1 GiB of
   * vmemmap at 0xffffea0010000000 is outside the boot table).
   */
  it('whole sections: PMDs from the altmap', () => {
    const r = run(pmem('x86_64', '{}', '16G', '1G', '{ device: pmem0, mode: fsdax, map: dev }'));
    expect(stepOf(r, 2).ok).toBe(true);
    const k = r.machine.k;
    expect(memmapBacking(k).altmap).toEqual({ 'namespace0.0': 16 * M });
    expect(r.report.altmaps[0]).toMatchObject({ alloc: 4096, align: 510, reserve: 2, free: 4606 });
    expect(r.report.vmemmap.ranges.filter((x) => x.backing.startsWith('altmap'))).toEqual([
      { va: '0xffffea0010000000', size: 16 * M, level: 'pmd', backing: 'altmap:namespace0.0' },
    ]);
  });

  /*
   * 1040 MiB: 8 whole sections + 8 sub-sections of a 9th.
   *   the partial section's 256 KiB of memmap  -> 64 x 4K PTEs from node 0 RAM, altmap ignored
   * Expect one PTE table; altmap alloc 4096 (8 PMDs only).
   */
  it('sub-section range: base pages from RAM, altmap ignored', () => {
    const r = run(pmem('x86_64', '{}', '16G', '1040M', '{ device: pmem0, mode: fsdax, map: dev }'));
    const k = r.machine.k;
    expect(leafCounts(k)).toMatchObject({ pte: 64 });
    expect(r.report.altmaps[0]).toMatchObject({ alloc: 4096, align: 510 });
    expect(r.report.vmemmap.ranges.filter((x) => x.level === 'pte')).toEqual([
      { va: '0xffffea0011000000', size: 256 * 1024, level: 'pte', backing: 'ram:node0' },
    ]);
    expect(pageTablePages(k).pte).toBe(1);
  });

  /* No PSE + an altmap: pr_err_once("%s: no cpu support for altmap allocations") and -ENOMEM. */
  it('nopse with an altmap: -ENOMEM', () => {
    const r = run(pmem('x86_64', '{ pse: false }', '16G', '1G', '{ device: pmem0, mode: fsdax, map: dev, align: 4K }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(r.report.dmesg).toContain('<3>vmemmap_populate: no cpu support for altmap allocations'.slice(3));
  });

  /* No PSE, --map=mem: base pages from RAM, one PTE table per 2 MiB of memmap. */
  it('nopse without an altmap: base pages', () => {
    const r = run(pmem('x86_64', '{ pse: false }', '16G', '1G', '{ device: pmem0, mode: fsdax, map: mem, align: 4K }'));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(pageTablePages(r.machine.k).pte).toBe(8 + 32); // 8 for the namespace, 32 for 4 GiB of boot RAM
  });
});

describe('vmemmap_populate: arm64', () => {
  /*
   * arm64 64K: a section (512 MiB) has 8 pages of memmap; every page is a single
   * altmap_alloc_block_buf(PAGE_SIZE): no alignment waste.
   * Expect 64 PTEs from the altmap for 4 GiB, and 8 pages of boot memmap in RAM.
   */
  it('64K: base pages from the altmap', () => {
    const r = run(pmem('arm64', '{ pageSize: 64K, vaBits: 48 }', '0x1000000000', '4G', '{ device: pmem0, mode: fsdax, map: dev }'));
    const k = r.machine.k;
    expect(r.report.altmaps[0]).toMatchObject({ reserve: 1, free: 8191, alloc: 64, align: 0 });
    expect(memmapBacking(k)).toEqual({ ram: { 0: 4 * M }, altmap: { 'namespace0.0': 4 * M }, self: {}, dedup: {} });
    expect(leafCounts(k)).toMatchObject({ pmd: 0, pte: 64 + 64 });
  });

  it('16K: base pages from the altmap, 32 MiB default alignment', () => {
    const r = run(pmem('arm64', '{ pageSize: 16K, vaBits: 47 }', '0x1000000000', '4G', '{ device: pmem0, mode: fsdax, map: dev }'));
    expect(r.report.altmaps[0]).toMatchObject({ reserve: 1, free: 2047, alloc: 1024, align: 0 });
  });

  /*
   * arm64 4K, 1040 MiB --map=dev: the 8 whole sections take PMD blocks from the altmap,
   * which uses up the reservation exactly (510 pages of waste + 8 x 512). The tail's 2 MiB
   * sub-sections then want 64 base pages from the same altmap (arm64 passes it; x86 uses
   * RAM): there are none left, so __populate_section_memmap() fails and the namespace does
   * not come up (-ENOMEM). The 8 sections already added stay populated, and
   * memunmap_pages()'s check fires: "failed to free all reserved pages".
   */
  it('4K: a sub-section tail needs altmap pages the reservation does not have', () => {
    const r = run(pmem('arm64', '{ pageSize: 4K, vaBits: 48 }', '0x1000000000', '1040M', '{ device: pmem0, mode: fsdax, map: dev }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(r.report.altmaps[0]).toMatchObject({ alloc: 4096, align: 510, free: 4606 });
    expect(r.report.dmesg).toContain('failed to free all reserved pages');
    expect(r.report.invariants.violations).toEqual([]);
    expect(r.report.kernelBugs.findings.map((v) => v.invariant)).toEqual(['kernel-anomaly']);
    // the driver core's line, as Debian 6.12.117 printed it (conformance case arm64-4k-subsection)
    expect(r.report.dmesg).toContain('nd_pmem pfn0.0: probe with driver nd_pmem failed with error -12');
  });

  /* Before 6.9 really_probe() said it with pr_warn and without the device prefix. */
  it('the probe failure line before 6.9', () => {
    const sc = pmem('arm64', '{ pageSize: 4K, vaBits: 48 }', '0x1000000000', '1040M', '{ device: pmem0, mode: fsdax, map: dev }');
    const r = run(sc.replace('arch: arm64', 'arch: arm64\nkernel: v6.6'));
    expect(r.report.dmesg).toContain('nd_pmem: probe of pfn0.0 failed with error -12');
    expect(r.report.dmesg.some((l) => l.includes('probe with driver'))).toBe(false);
  });

  /* The same device on x86 comes up: the tail's memmap comes from RAM. */
  it('x86 contrast: the same 1040 MiB namespace succeeds', () => {
    const r = run(pmem('x86_64', '{}', '0x1000000000', '1040M', '{ device: pmem0, mode: fsdax, map: dev }'));
    expect(stepOf(r, 2).ok).toBe(true);
  });
});

describe('vmemmap_populate_hugepages', () => {
  /*
   * An altmap with room for one PMD but asked for two sections: the second PMD allocation
   * fails and, with an altmap, there is no fallback to base pages (mm/sparse-vmemmap.c
   * since v6.2): -ENOMEM; the first PMD stays mapped.
   */
  it('altmap short: -ENOMEM, no fallback, no rollback here', async () => {
    const { setup_machine, x86 } = await import('./helpers.js');
    const { vmemmap_populate_hugepages } = await import('../src/kernel/sparse-vmemmap.js');
    const { pfnToOff } = await import('../src/kernel/state.js');
    const { k } = setup_machine(x86());
    k.s.altmaps.set('a', { id: 'a', base_pfn: 0x400000, end_pfn: 0x4fffff, reserve: 0, free: 512, align: 0, alloc: 0, owner: 'a', device: 'd' });
    const start = pfnToOff(k, 0x400000);
    expect(vmemmap_populate_hugepages(k, start, start + 4 * M, 0, 'a')).toBe(-12);
    expect(k.s.altmaps.get('a')).toMatchObject({ alloc: 512, align: 0 });
    expect(leafCounts(k).pmd).toBe(32 + 1); // 32 for the 4 GiB of boot memory
  });

  /* Without an altmap a failed PMD allocation falls back to base pages from RAM. */
  it('RAM short of a PMD: base pages for that step', async () => {
    const { setup_machine, x86 } = await import('./helpers.js');
    const { vmemmap_populate_hugepages } = await import('../src/kernel/sparse-vmemmap.js');
    const { pfnToOff } = await import('../src/kernel/state.js');
    const { k } = setup_machine(x86());
    k.s.nodes[0]!.free = 300; // less than 512 pages: no order-9 block
    const start = pfnToOff(k, 0x400000);
    expect(vmemmap_populate_hugepages(k, start, start + 2 * M, 0, null)).toBe(-12);
    // the PMD table exists (boot); 1 PTE table, then 299 base pages until the node is empty
    expect(leafCounts(k)).toMatchObject({ pte: 299 });
    expect(k.s.nodes[0]!.free).toBe(0);
    expect(k.s.log.some((m) => m.text.includes('vmemmap alloc failure: order:9'))).toBe(true);
  });
});

describe('vmemmap_populate_basepages', () => {
  /*
   * 512 base pages wanted, the altmap has 509: the first 509 PTEs are installed from it
   * (each a one-page allocation), the 510th fails: -ENOMEM, the 509 stay.
   */
  it('altmap runs out mid-range: what fits is mapped, then -ENOMEM', async () => {
    const { setup_machine, x86 } = await import('./helpers.js');
    const { vmemmap_populate_basepages } = await import('../src/kernel/sparse-vmemmap.js');
    const { pfnToOff } = await import('../src/kernel/state.js');
    const { k } = setup_machine(x86());
    k.s.altmaps.set('a', { id: 'a', base_pfn: 0x400000, end_pfn: 0x4fffff, reserve: 3, free: 512, align: 0, alloc: 0, owner: 'a', device: 'd' });
    k.s.altmaps.get('a')!.alloc = 3; // next_pfn = base + 6, nr_free = 509
    const start = pfnToOff(k, 0x400000);
    expect(vmemmap_populate_basepages(k, start, start + 2 * M, 0, 'a')).toBe(-12);
    expect(k.s.altmaps.get('a')).toMatchObject({ alloc: 512, align: 0 });
    expect(leafCounts(k).pte).toBe(509);
  });

  /* An unaligned start (a 64K page holds 32 sub-sections' memmap): the walk steps by
   * PAGE_SIZE from start, so [48K, 80K) visits only the page at 48K. */
  it('unaligned start: ceil((end - start) / PAGE_SIZE) pages from the one holding start', async () => {
    const { setup_machine } = await import('./helpers.js');
    const { vmemmap_populate_basepages } = await import('../src/kernel/sparse-vmemmap.js');
    const { k } = setup_machine('arch: arm64\nconfig: { pageSize: 64K }\nnodes:\n  - { id: 0, memory: [ { start: 0x40000000, size: 1G } ] }\n');
    const before = leafCounts(k).pte;
    const base = k.c.startOff + 64 * 2 ** 30; // far from boot memmap
    expect(vmemmap_populate_basepages(k, base + 48 * 1024, base + 80 * 1024, 0, null)).toBe(0);
    expect(leafCounts(k).pte - before).toBe(1);
  });
});

describe('fault injection', () => {
  /*
   * The 40th PMD of a 4 GiB namespace cannot get its altmap block: hugepages returns -ENOMEM
   * (no fallback), section_deactivate() rolls that section back, __add_pages() stops; the 39
   * sections before stay (not undone), and memunmap_pages()'s check fires.
   */
  it('altmap: the nth allocation fails exactly there', async () => {
    const { run } = await import('./helpers.js');
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 64G, size: 8G }
faults: [ { alloc: altmap, nth: 40 } ]
steps:
  - boot
  - create-namespace: { device: pmem0 }
`);
    expect(r.results[1]).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(r.report.memmapBacking.altmap).toEqual({ 'namespace0.0~failed-step2': 39 * 2 * M });
    expect(r.report.altmaps[0]).toMatchObject({ alloc: 39 * 512, align: 510 });
    expect(r.report.dmesg).toContain('failed to free all reserved pages');
  });

  /* The 3rd page-allocator allocation of a hot-add fails: a PMD, so base pages are tried next. */
  it('buddy: a failed PMD block falls back to base pages', async () => {
    const { run } = await import('./helpers.js');
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
faults: [ { alloc: buddy, nth: 3 } ]
steps:
  - boot
  - hot-add: { node: 0, start: 64G, size: 1G }
`);
    // allocation 1: the PMD table, 2: PMD block of section 0, 3: PMD block of section 1 (fails)
    expect(r.results[1]!.ok).toBe(true);
    expect(leafCounts(r.machine.k)).toMatchObject({ pte: 512 });
    expect(r.report.pageTablePages).toMatchObject({ pte: 1 });
    expect(r.report.dmesg.some((l) => l.includes('vmemmap alloc failure: order:9'))).toBe(true);
  });

  it('memblock: the sparse buffer allocation fails, boot falls back to single blocks', async () => {
    const { run } = await import('./helpers.js');
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
faults: [ { alloc: memblock, nth: 1 } ]
`);
    expect(r.machine.k.s.trace.some((e) => e.t === 'note' && /sparse buffer: .* failed/.test(e.text))).toBe(true);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 64 * M });
  });
});
