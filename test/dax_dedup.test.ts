/**
 * device-dax compound pages and the vmemmap dedup (mm/sparse-vmemmap.c
 * vmemmap_populate_compound_pages, __populate_section_memmap, include/linux/mm.h
 * vmemmap_can_optimize; drivers/dax/device.c dev_dax_probe sets vmemmap_shift).
 */
import { describe, expect, it } from 'vitest';
import { leafCounts } from '../src/report/summary.js';
import { run, stepOf } from './helpers.js';

const M = 2 ** 20;
const K = 1024;

const box = (kernel: string, ns: string, opts: { arch?: string; config?: string; size?: string; start?: string } = {}) => `
arch: ${opts.arch ?? 'x86_64'}
${opts.config ?? ''}
kernel: ${kernel}
nodes:
  - { id: 0, memory: [ { start: ${opts.arch === 'arm64' ? '1G' : '0'}, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: ${opts.start ?? '8G'}, size: ${opts.size ?? '4G'} }
steps:
  - boot
  - create-namespace: { device: pmem0, ${ns} }
  - destroy-namespace: { device: pmem0 }
`;

describe('x86_64 v6.18: vmemmap_can_optimize()', () => {
  /* 4 GiB: 2048 compound pages of 2 MiB, each 8 vmemmap pages: 2 real, 6 mapping the tail
   * page. 4096 pages = 16 MiB of RAM instead of 64 MiB, one PTE table per section. */
  it('2M align --map=mem: 2 vmemmap pages per compound page, all PTEs', () => {
    const r = run(box('v6.18', 'mode: devdax, map: mem, align: 2M'));
    const d = stepOf(r, 2);
    expect(d.ok).toBe(true);
    expect(r.report.steps[1]!.delta.memmapBacking).toEqual({ ram: { 0: 16 * M }, altmap: {}, self: {}, dedup: { 'namespace0.0': 48 * M } });
    expect(r.report.steps[1]!.delta.pageTablePages).toEqual({ pte: 32 });
    expect(r.report.steps[2]!.delta.memmapBacking).toEqual({ ram: { 0: -16 * M }, altmap: {}, self: {}, dedup: { 'namespace0.0': -48 * M } });
    expect(r.report.invariants.violations).toEqual([]);
  });

  /* 1 GiB compound pages span 8 sections: the first section of each gets the head and the
   * tail page, the other 7 reuse the previous section's tail page (reuse_compound_section). */
  it('1G align: 2 pages per GiB, the other sections alias the tail page', () => {
    const r = run(box('v6.18', 'mode: devdax, map: mem, align: 1G'));
    expect(r.report.steps[1]!.delta.memmapBacking.ram).toEqual({ 0: 4 * 2 * 4 * K });
    expect(r.report.steps[1]!.delta.memmapBacking.dedup).toEqual({ 'namespace0.0': 64 * M - 32 * K });
    expect(r.report.steps[1]!.delta.pageTablePages).toEqual({ pte: 32 });
  });

  it('4K align: no compound pages, the usual PMD-mapped memmap', () => {
    const r = run(box('v6.18', 'mode: devdax, map: mem, align: 4K'));
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ ram: { 0: 64 * M }, dedup: {} });
  });

  it('--map=dev: an altmap, so never deduplicated', () => {
    const r = run(box('v6.18', 'mode: devdax, map: dev, align: 2M'));
    expect(r.report.steps[1]!.delta.memmapBacking.dedup).toEqual({});
    expect(r.report.steps[1]!.delta.memmapBacking.altmap).toEqual({ 'namespace0.0': 64 * M });
  });

  it('fsdax has no compound pages', () => {
    const r = run(box('v6.18', 'mode: fsdax, map: mem, align: 2M'));
    expect(r.report.steps[1]!.delta.memmapBacking.dedup).toEqual({});
  });

  /* A device not a multiple of the section size: the tail sub-sections are populated by the
   * compound path too (4K PTEs, from RAM). 1040 MiB = 8 sections + 8 sub-sections. */
  it('1040 MiB: the partial section is deduplicated as well', () => {
    const r = run(box('v6.18', 'mode: devdax, map: mem, align: 2M', { size: '1040M' }));
    const ram = r.report.steps[1]!.delta.memmapBacking.ram[0]!;
    // 520 compound pages of 2 MiB, 2 vmemmap pages each
    expect(ram).toBe(520 * 2 * 4 * K);
    expect(leafCounts(r.machine.k).pmd).toBe(32); // the boot memmap of 4 GiB only
  });
});

describe('versions and arches', () => {
  it('arm64 4K: dedup in 6.1 (no arch gate), not in 6.6+ (no ARCH_WANT_OPTIMIZE_DAX_VMEMMAP)', () => {
    const o = { arch: 'arm64', config: 'config: { pageSize: 4K, vaBits: 48 }' };
    const r61 = run(box('v6.1.y', 'mode: devdax, map: mem, align: 2M', o));
    const r66 = run(box('v6.6', 'mode: devdax, map: mem, align: 2M', o));
    expect(r61.report.steps[1]!.delta.memmapBacking.dedup).toEqual({ 'namespace0.0': 48 * M });
    expect(r66.report.steps[1]!.delta.memmapBacking.dedup).toEqual({});
    expect(r66.report.steps[1]!.delta.memmapBacking.ram).toEqual({ 0: 64 * M });
  });

  it('5.15: no compound device pages yet', () => {
    const r = run(box('v5.15', 'mode: devdax, map: mem, align: 2M'));
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ ram: { 0: 64 * M }, dedup: {} });
  });

  /* arm64 <= 6.1 maps a partial section with a PMD block: a devdax namespace placed right after
   * a 688 MiB fsdax one shares that section, and the compound path would walk the block as a
   * PTE table (its struct pages are mapped by the block already). A kernel hazard the model
   * reports as a finding; 6.6+ has no arm64 dedup. */
  it('arm64 4K 6.1: compound pages inside a neighbour\'s PMD block are a kernel finding', () => {
    const yaml = `
arch: arm64
config: { pageSize: 4K, vaBits: 48 }
kernel: v6.1
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 4G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 688M }
  - create-namespace: { device: pmem0, mode: devdax, map: mem, size: 512M }
`;
    const r = run(yaml);
    expect(stepOf(r, 3).ok).toBe(true);
    expect(stepOf(r, 3).violations).toEqual([]);
    expect(new Set(stepOf(r, 3).kernelBugs.map((v) => v.invariant))).toEqual(new Set(['kernel-anomaly']));
    expect(stepOf(r, 3).kernelBugs[0]!.detail).toContain('fall in a PMD block mapping');
    const later = run(yaml.replace('kernel: v6.1', 'kernel: v6.6'));
    expect(stepOf(later, 3).violations).toEqual([]);
  });
});
