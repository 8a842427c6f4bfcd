/**
 * More of the arch vmemmap_free() paths (src/kernel/vmemmap-free.ts) that mutation testing
 * (docs/testing.md) found without a test: arm64's free_hotplug_page_range() handing a RAM PMD
 * block to the altmap (the posted fallback patch), powerpc's altmap range check in
 * vmemmap_free(), and powerpc hash __vmemmap_free()'s per-section pr_debug and its unmaps.
 */
import { describe, expect, it } from 'vitest';
import { run, stepOf } from './helpers.js';

const M = 2 ** 20;

describe('arm64 vmemmap_free() with an altmap: a RAM PMD block charged to the altmap', () => {
  /*
   * seed-v2-fallback (the thread's follow-up as posted, docs/proposals.md) on arm64 4K: every
   * 2 MiB PMD block of a 1 GiB namespace at 16 GiB is charged to the altmap but mapped from RAM
   * (16 MiB of memmap = 8 blocks = 4096 pages). unmap_hotplug_pmd_range() frees each block
   * through free_hotplug_page_range() -> vmem_altmap_free(altmap, 512): the RAM is never freed.
   * The memmap of pfn 0x400000 sits at VMEMMAP_START 0xfffffdffffe00000 + (0x400000 - memstart
   * pfn 0x40000) x 64 = 0xfffffe000ee00000. The model stops counting those pages as memmap RAM
   * (they are unmapped): no ram-accounting violation, boot memory's 64 MiB is what stays.
   */
  it('one anomaly naming a pmd block and 4096 pages; the RAM accounting stays consistent', () => {
    const r = run(`
arch: arm64
kernel: seed-v2-fallback
config: { pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - destroy-namespace: { device: pmem0 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(r.machine.k.s.anomalies.filter((a) => a.step === 3).map(({ step, site, text }) => ({ step, site, text }))).toEqual([
      // the 8 blocks one finding: 16 MiB of memmap from 0xfffffe000ee00000, however many blocks a call freed
      { step: 3, site: 'arch/arm64/mm/mmu.c:vmemmap_free', text: 'RAM-backed pmd-mapped memmap at fffffe000ee00000..fffffe000fe00000 was charged to altmap namespace0.0 (vmem_altmap_free) and its 4096 RAM pages were never freed' },
    ]);
    expect(r.report.invariants.violations).toEqual([]);
    // the predicted kernel bugs: the posted allocator's (step 2) and the free path's (step 3) only
    expect(r.report.kernelBugs.findings.map((f) => [f.step, f.invariant])).toEqual([[2, 'altmap-accounting'], [2, 'kernel-anomaly'], [3, 'kernel-anomaly']]);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 64 * M });
  });
});

describe('powerpc vmemmap_free(): only memory inside the altmap goes back to it', () => {
  /*
   * powerpc hash 64K with 16M pages (v6.12): one 16 MiB vmemmap block describes 16 GiB of pfns,
   * so a 4 GiB namespace's block fails altmap_cross_boundary() and comes from RAM (16 MiB).
   * On destroy, __vmemmap_free() gives a block back to the altmap only when its pfn lies in
   * [base_pfn, base_pfn + reserve + free); this one is RAM: freed to the page allocator. Expect
   * the 16 MiB back as RAM (-16 MiB at step 3), the altmap's counters untouched, no anomaly.
   */
  it('hash 64K: the RAM block of a namespace is freed as RAM, not to its altmap', () => {
    const r = run(`
arch: powerpc64
kernel: v6.12
config: { mmu: hash, pageSize: 64K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - destroy-namespace: { device: pmem0 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(r.report.steps[1]!.delta.memmapBacking.ram).toEqual({ 0: 16 * M });
    expect(r.report.steps[2]!.delta.memmapBacking.ram).toEqual({ 0: -16 * M });
    expect(r.machine.k.s.anomalies).toEqual([]);
    expect(r.report.invariants.violations).toEqual([]);
    expect(r.report.kernelBugs.findings).toEqual([]);
  });
});

describe('powerpc radix remove_pagetable(): blocks of another altmap, self-hosted memmap', () => {
  /*
   * test/fuzz-cases/ppc64-radix-64k-shared-page-altmap.yaml (radix 64K, v6.12): the fsdax
   * namespace's altmap (namespace0.1) gives the vmemmap page at 0xc00c000006350000 that its memmap
   * shares with the devdax namespace's; destroying the fsdax namespace keeps it (the devdax
   * namespace's sub-sections still populate it), destroying the devdax one (step 7) frees it.
   *   map=mem devdax: no altmap is passed, the altmap page goes to the page allocator as RAM;
   *   map=dev devdax: its own altmap (namespace0.0) is passed, but vmemmap_free()'s range check
   *   (the page's pfn is outside namespace0.0's [base_pfn, base_pfn + reserve + free)) frees it
   *   as RAM too - not to namespace0.0.
   * Either way one anomaly names the page and the altmap it came from.
   */
  it.each(['mem', 'dev'])('devdax map=%s: the other altmap\'s page is freed as RAM', async (map) => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('./fuzz-cases/ppc64-radix-64k-shared-page-altmap.yaml', import.meta.url), 'utf8');
    const r = run(text.replace('      map: mem', `      map: ${map}`));
    expect(r.results.map((x) => x.ok)).toEqual([true, true, false, true, true, true, true]);
    expect(r.machine.k.s.anomalies).toEqual([
      { step: 7, site: 'arch/powerpc/mm/book3s64/radix_pgtable.c:remove_pagetable', text: '1 page(s) of altmap namespace0.1~destroyed-step6 backing c00c000006350000 were freed to the page allocator as RAM' },
    ]);
  });

  /*
   * memory_hotplug.memmap_on_memory=force on radix 64K (arch_supports_memmap_on_memory() is true
   * on radix): a 256 MiB memory block (ibm,lmb-size) has 4096 pfns x 64 B = 256 KiB = 4 pages of
   * memmap, hosted at the block's start (force: no pageblock alignment). Hot-remove frees them
   * through the block's altmap (vmemmap_free() passes it; the pages lie inside its range):
   * -256 KiB self-hosted, nothing freed as RAM, no anomaly.
   */
  it('memmap_on_memory: the self-hosted pages go back to the block\'s altmap', () => {
    const r = run(`
arch: powerpc64
kernel: v6.12
cmdline: memory_hotplug.memmap_on_memory=force
config: { mmu: radix, pageSize: 64K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 0x100000000, size: 256M }
  - hot-remove: { start: 0x100000000, size: 256M }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ ram: {}, self: { 0: 256 * 1024 } });
    expect(r.report.steps[2]!.delta.memmapBacking).toMatchObject({ ram: {}, self: { 0: -256 * 1024 } });
    expect(r.machine.k.s.anomalies).toEqual([]);
    expect(r.report.invariants.violations).toEqual([]);
  });
});

describe('powerpc radix remove_pte_table(): pages the range covers only in part', () => {
  /*
   * radix 64K, v6.12: a vmemmap page holds the memmap of 1024 pfns (64 MiB). pmem0 at 64 GiB
   * (pfn 0x100000): its memmap starts at vmemmap offset 0x100000 x 64 = 0x4000000.
   *   namespace0.0, 32M: pfns 0x100000-0x1001ff, memmap [0x4000000, 0x4008000)
   *   namespace0.1, 512M: from pfn 0x100200, memmap [0x4008000, 0x4088000): the page it shares
   *     with namespace0.0 (0x4000000, RAM), 7 pages of its own altmap, and 0x4080000 (RAM:
   *     altmap_cross_boundary, it describes pfns past the namespace).
   * Destroying namespace0.0 keeps the shared page (namespace0.1's sub-sections are valid in it).
   * Destroying namespace0.1 frees the 7 whole pages (to its altmap), then each edge page only if
   * vmemmap_page_is_unused(): 0x4000000 (namespace0.0 is gone) and 0x4080000 are, so both go.
   */
  it('both partly covered edge pages are freed once no valid sub-section is left in them', () => {
    const r = run(`
arch: powerpc64
kernel: v6.12
config: { mmu: radix, pageSize: 64K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 1G, labels: true } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 32M }
  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 512M }
  - destroy-namespace: { device: pmem0, namespace: namespace0.0 }
  - destroy-namespace: { device: pmem0, namespace: namespace0.1 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true, true]);
    const k = r.machine.k;
    const unmaps = (i: number) => k.s.trace.slice(stepOf(r, i).trace.from, stepOf(r, i).trace.to).filter((e) => e.t === 'unmap').map((e) => e.t === 'unmap' && [e.va.toString(16), e.size / 65536, e.b.kind]);
    expect(unmaps(4)).toEqual([]);
    expect(unmaps(5)).toEqual([['4010000', 7, 'altmap'], ['4000000', 1, 'ram'], ['4080000', 1, 'ram']]);
    // boot memory's memmap (one 2 MiB PMD block) is all that stays; nothing leaked
    expect(r.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 1, pud: 0 });
    expect(r.report.kernelBugs.findings).toEqual([]);
  });
});

describe('powerpc hash __vmemmap_free(): pr_debug per call and the unmapped blocks', () => {
  /*
   * hash 4K: a 16 MiB memmap block describes 1 GiB of pfns. Four label-less 16 MiB pmem regions,
   * each a devdax --map=mem namespace: pmem0 (64 GiB), pmem1 and pmem2 (65 GiB and 65 GiB +
   * 16 MiB) and pmem3 (66 GiB) are mapped by three adjacent RAM blocks at vmemmap offsets
   * 0x40000000, 0x41000000, 0x42000000 (64 GiB / 4 KiB x 64). Destroying pmem2's namespace
   * removes one section (pfn 0x1041000, memmap [0x41040000, 0x41080000)): __vmemmap_free() over
   * the block at 0x41000000, which still holds pmem1's valid section (vmemmap_populated()):
   * kept. No interior block exists between the two edges (one block): nothing is unmapped,
   * nothing freed.
   */
  it('a one-block removal whose block stays populated unmaps nothing', () => {
    const r = run(`
arch: powerpc64
kernel: v6.12
config: { mmu: hash, pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 16M, labels: false }
  - { name: pmem1, type: nvdimm, node: 0, start: 0x1040000000, size: 16M, labels: false }
  - { name: pmem2, type: nvdimm, node: 0, start: 0x1041000000, size: 16M, labels: false }
  - { name: pmem3, type: nvdimm, node: 0, start: 0x1080000000, size: 16M, labels: false }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax, map: mem }
  - create-namespace: { device: pmem1, mode: devdax, map: mem }
  - create-namespace: { device: pmem2, mode: devdax, map: mem }
  - create-namespace: { device: pmem3, mode: devdax, map: mem }
  - destroy-namespace: { device: pmem2 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true, true, true]);
    const k = r.machine.k;
    const t = stepOf(r, 6).trace;
    expect(stepOf(r, 6).dmesg.filter((m) => m.site === 'arch/powerpc/mm/init_64.c:__vmemmap_free').map((m) => m.text)).toEqual(['vmemmap_free c0003f0041000000...c0003f0041080000\n']);
    expect(k.s.trace.slice(t.from, t.to).filter((e) => e.t === 'unmap')).toEqual([]);
    expect(k.s.leaves.overlaps(0x40000000, 0x43000000).reduce((n, s) => n + s.end - s.start, 0)).toBe(3 * 16 * M);
    expect(r.report.invariants.violations).toEqual([]);
  });

  /*
   * Three fsdax --map=mem namespaces at 64 GiB: 512M, 1G, 512M. namespace0.1 = [64.5 GiB,
   * 65.5 GiB): 64 sections, memmap [0x40800000, 0x41800000), which crosses the boundary of the
   * blocks at 0x40000000 and 0x41000000 (each describes 1 GiB of pfns). Destroying it: both edge
   * blocks still hold valid sub-sections (namespace0.0's, namespace0.2's) and are kept, and there
   * is no block between them: nothing unmapped. The 64 pr_debug lines start at the block the
   * section's memmap is in: the first 0x40000000...0x40840000, the last 0x41000000...0x41800000.
   */
  it('a two-block removal whose edge blocks stay populated unmaps nothing', () => {
    const r = run(`
arch: powerpc64
kernel: v6.12
config: { mmu: hash, pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 2G, labels: true } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 512M }
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 512M }
  - destroy-namespace: { device: pmem0, namespace: namespace0.1 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true, true]);
    const [line] = stepOf(r, 5).dmesg.filter((m) => m.site === 'arch/powerpc/mm/init_64.c:__vmemmap_free');
    expect([line!.text, line!.run!.count, line!.run!.nth(63)]).toEqual(['vmemmap_free c0003f0040000000...c0003f0040840000\n', 64, 'vmemmap_free c0003f0041000000...c0003f0041800000\n']);
    const t = stepOf(r, 5).trace;
    expect(r.machine.k.s.trace.slice(t.from, t.to).filter((e) => e.t === 'unmap')).toEqual([]);
    expect(r.report.invariants.violations).toEqual([]);
  });

  /*
   * hash 4K with 16M pages (v6.12): a memory section is 16 MiB = 4096 pfns, whose memmap is
   * 256 KiB; vmemmap blocks are 16 MiB (mmu_vmemmap_psize), each describing 1 GiB of pfns.
   * __remove_pages() calls vmemmap_free() once per section (and once for a sub-section range),
   * and __vmemmap_free() prints pr_debug("vmemmap_free %lx...%lx\n", start aligned down to the
   * block, end).
   *  - a label-less 16 MiB region at 64 GiB + 8 MiB (pfn 0x1000800), a devdax --map=mem
   *    namespace: destroying it removes the second half of section 64 GiB and the first half of
   *    section 64 GiB + 16 MiB, one call each: memmap ends 0x1001000 x 64 = 0x40040000 and
   *    0x1001800 x 64 = 0x40060000, both lines from the block at 0xc0003f0040000000; no other
   *    valid sub-section is left in the block, so it is unmapped (16 MiB of RAM).
   *  - a 1 GiB fsdax --map=mem namespace at 128 GiB (pfn 0x2000000, memmap at
   *    0xc0003f0080000000): 64 sections, 64 lines; the i-th ends at +(i+1) x 256 KiB, all start at
   *    the block. Its memmap block (RAM, 16 MiB) is unmapped at the destroy: one unmap event.
   */
  it('one line per section, start aligned down to the block; the block unmapped', () => {
    const r = run(`
arch: powerpc64
kernel: v6.12
config: { mmu: hash, pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices: [ { name: pmem1, type: nvdimm, node: 0, start: 0x1000800000, size: 16M, labels: false }, { name: pmem0, type: nvdimm, node: 0, start: 0x2000000000, size: 1G } ]
steps:
  - boot
  - create-namespace: { device: pmem1, mode: devdax, map: mem }
  - destroy-namespace: { device: pmem1 }
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }
  - destroy-namespace: { device: pmem0 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true, true]);
    const lines = (i: number) => stepOf(r, i).dmesg.filter((m) => m.site === 'arch/powerpc/mm/init_64.c:__vmemmap_free');
    expect(lines(3).map((m) => [m.level, m.text, m.run])).toEqual([
      [7, 'vmemmap_free c0003f0040000000...c0003f0040040000\n', undefined],
      [7, 'vmemmap_free c0003f0040000000...c0003f0040060000\n', undefined],
    ]);
    const t3 = stepOf(r, 3).trace;
    expect(r.machine.k.s.trace.slice(t3.from, t3.to).filter((e) => e.t === 'unmap')).toEqual([{ t: 'unmap', level: 'pmd', va: 0x40000000, size: 16 * M, b: expect.objectContaining({ kind: 'ram', node: 0 }) }]);
    const ns = lines(5);
    expect(ns).toHaveLength(1);
    expect(ns[0]!.text).toBe('vmemmap_free c0003f0080000000...c0003f0080040000\n');
    expect(ns[0]!.run!.count).toBe(64);
    expect(ns[0]!.run!.nth(1)).toBe('vmemmap_free c0003f0080000000...c0003f0080080000\n');
    expect(ns[0]!.run!.nth(63)).toBe('vmemmap_free c0003f0080000000...c0003f0081000000\n');
    const k = r.machine.k;
    const t = stepOf(r, 5).trace;
    const unmaps = k.s.trace.slice(t.from, t.to).filter((e) => e.t === 'unmap');
    // the namespace's block: vmemmap offset 0x2000000 x 64 = 0x80000000, 16 MiB of RAM on node 0
    expect(unmaps).toEqual([{ t: 'unmap', level: 'pmd', va: 0x80000000, size: 16 * M, b: expect.objectContaining({ kind: 'ram', node: 0 }) }]);
  });
});
