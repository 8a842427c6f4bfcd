/**
 * x86 remove_pmd_table() on a PMD leaf the range covers only in part (arch/x86/mm/init_64.c
 * @ v5.6): memset the struct pages of the range to PAGE_INUSE (0xFD), free the 2 MiB block only
 * once the whole block reads 0xFD. Reached in v5.6 when a namespace in the tail of an early
 * (boot) section is destroyed: section_deactivate() still depopulated sub-section ranges of early
 * sections then (fixed by ef69bc9f689d in v5.9, which leaves early sections' memmap alone).
 * Mutation testing (docs/testing.md) found this path without a test.
 */
import { describe, expect, it } from 'vitest';
import { leafCounts } from '../src/report/summary.js';
import { run } from './helpers.js';

const M = 2 ** 20;

/*
 * Boot memory [0, 4 GiB + 64 MiB): sparse_init() populates 33 whole sections, each one 2 MiB PMD
 * block of memmap (PSE). The pmem device takes the other half of section 32, [4 GiB + 64 MiB,
 * 4 GiB + 1088 MiB); its --map=mem namespace adds the half-section to an early section (no new
 * memmap) and 7 more... then is destroyed.
 *   v5.6: vmemmap_free() over the struct pages of [4 GiB + 64 MiB, 4 GiB + 128 MiB) = 1 MiB of
 *         section 32's PMD block: marked 0xFD, the block still holds boot memory's memmap: kept.
 *   v6.18: the early section's memmap is not touched: nothing marked.
 * Expect 33 PMD leaves after the destroy in both, and 1 MiB marked unused in v5.6 only.
 */
describe('x86 remove_pmd_table(): a partly covered PMD block', () => {
  const scenario = (kernel: string) => `
arch: x86_64
kernel: ${kernel}
nodes:
  - { id: 0, memory: [ { start: 0, size: 0x104000000 } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x104000000, size: 1G, labels: false }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }
  - destroy-namespace: { device: pmem0 }
`;
  it.each([
    ['v5.6', M],
    ['v6.18', 0],
  ])('%s: the boot block stays mapped; %i bytes of its memmap marked unused', (kernel, unused) => {
    const r = run(scenario(kernel));
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    const k = r.machine.k;
    expect(leafCounts(k)).toMatchObject({ pmd: 33, pte: 0 });
    expect(k.s.pmdUnused.coverage(0, Number.MAX_SAFE_INTEGER)).toBe(unused);
  });
});

/*
 * The thread's follow-up "as posted" (seed-v2-fallback, docs/proposals.md): when the altmap
 * cannot give a block, vmemmap_alloc_block_buf() falls back to RAM, but the arm64 vmemmap_free()
 * hands every leaf of the namespace to free_hotplug_page_range() with the altmap, i.e.
 * vmem_altmap_free(): a RAM page goes back to the altmap's counter and never to the page
 * allocator. 64K pages, 1 GiB namespace at 16 GiB: 16384 pfns x 64 bytes = 1 MiB of memmap =
 * 16 base pages, all from RAM in this proposal; at VMEMMAP_START (v5.4 layout 0xffffffdfffe00000)
 * + (16 GiB - 1 GiB memstart) / 64 KiB x 64 = 0xffffffe000d00000.
 * Expect one anomaly at the destroy step naming the block, the altmap and the 16 pages; none in v6.18.
 */
describe('arm64 vmemmap_free() with an altmap: RAM-backed memmap charged to the altmap', () => {
  const scenario = (kernel: string) => `
arch: arm64
kernel: ${kernel}
config: { pageSize: 64K }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - destroy-namespace: { device: pmem0 }
`;
  it('seed-v2-fallback: the 16 RAM pages are never freed', () => {
    const r = run(scenario('seed-v2-fallback'));
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(r.machine.k.s.anomalies.map(({ step, site, text }) => ({ step, site, text }))).toEqual([
      // 1 GiB at 0x400000000 (pfn 0x40000) with 64K pages: 16384 struct pages x 64 B = 1 MiB of
      // memmap = 16 pages; the posted allocator charges them to the altmap (after its 1 reserved pfn)
      // and maps RAM (step 2), and vmemmap_free() gives the RAM pages to the altmap (step 3)
      { step: 2, site: 'mm/sparse-vmemmap.c:vmemmap_alloc_block_buf', text: 'as posted (thread section 4) it charges altmap namespace0.0 for every block and maps RAM instead (from pfn 0x40001, 1 pfn(s) a block): the altmap\'s alloc counts pages that no mapping uses' },
      { step: 3, site: 'arch/arm64/mm/mmu.c:vmemmap_free', text: 'RAM-backed pte-mapped memmap at ffffffe000d00000..ffffffe000e00000 was charged to altmap namespace0.0 (vmem_altmap_free) and its 16 RAM pages were never freed' },
    ]);
    // unmapped, so no longer memmap: what stays is boot memory's, 4 GiB / 64 KiB x 64 = 4 MiB
    expect(r.report.memmapBacking.ram).toEqual({ 0: 4 * M });
  });
  it('v6.18: the memmap came from the altmap and goes back to it', () => {
    expect(run(scenario('v6.18')).machine.k.s.anomalies).toEqual([]);
  });
});
