/**
 * mm/sparse.c @ v6.18: boot (sparse_init / sparse_init_nid and the sparse buffer),
 * subsection_map_init, sparse_add_section / section_deactivate rules.
 */
import { describe, expect, it } from 'vitest';
import { leafCounts, memmapBacking, pageTablePages, sectionCounts } from '../src/report/summary.js';
import { run, setup_machine, stepOf } from './helpers.js';

const M = 2 ** 20;
const G = 2 ** 30;

describe('sparse_init', () => {
  /*
   * Two nodes of 8 GiB on x86_64:
   *   node 0 [0, 8G)   -> 64 sections, memmap 128 MiB as 64 PMDs from node 0's sparse buffer
   *   node 1 [8G, 16G) -> 64 sections, memmap 128 MiB from node 1's buffer
   * Expect all memmap node-local, one PUD table and one PMD table (16 GiB of RAM = 256 MiB of
   * vmemmap, inside the first 1 GiB), both from node 0 (the first run allocates them).
   */
  it('two nodes: each run fills its own node', () => {
    const { k } = setup_machine(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 8G } ] }
  - { id: 1, memory: [ { start: 8G, size: 8G } ] }
`);
    expect(memmapBacking(k).ram).toEqual({ 0: 128 * M, 1: 128 * M });
    expect(pageTablePages(k)).toEqual({ pud: 1, pmd: 1, pte: 0, byNode: { 0: 2 } });
    expect(sectionCounts(k)).toEqual({ present: 128, early: 128, hotplugged: 0, subsectionsActive: 128 * 64 });
  });

  /*
   * Interleaved nodes: 0 | 1 | 0. Three runs, three sparse buffers (the first and last on
   * node 0). Expect the memmap of each range on its own node.
   */
  it('interleaved nodes: one run per change of node', () => {
    const { k } = setup_machine(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G }, { start: 4G, size: 2G } ] }
  - { id: 1, memory: [ { start: 2G, size: 2G } ] }
`);
    expect(memmapBacking(k).ram).toEqual({ 0: 64 * M, 1: 32 * M });
    expect(k.s.trace.filter((e) => e.t === 'note' && e.text.startsWith('sparse buffer')).length).toBe(3);
  });

  /*
   * A partial section: 100 MiB of RAM. The whole section's memmap (2 MiB) is populated, but
   * only the sub-sections with memory are marked.
   */
  it('partial section: whole memmap, partial sub-section map', () => {
    const { k } = setup_machine(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 100M } ] }
reserved: []
`);
    expect(memmapBacking(k).ram).toEqual({ 0: 2 * M });
    expect(sectionCounts(k)).toMatchObject({ present: 1, subsectionsActive: 50 });
  });

  /*
   * arm64 64K: section_map_size() = ALIGN(512 KiB, PMD_SIZE) = 512 MiB per section, so the
   * buffer for 16 sections is 8 GiB - the whole node - and cannot be placed next to the
   * kernel image. Every memmap page then comes from memblock on its own.
   */
  it('64K: the sparse buffer does not fit, pages come from memblock one by one', () => {
    const { k } = setup_machine(`
arch: arm64
config: { pageSize: 64K }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 8G } ] }
`);
    expect(k.s.trace.some((e) => e.t === 'note' && /sparse buffer: 8589934592 bytes on node 0 failed/.test(e.text))).toBe(true);
    expect(memmapBacking(k).ram).toEqual({ 0: 8 * M });
    expect(leafCounts(k)).toMatchObject({ pte: 128, pmd: 0 });
  });

  /*
   * A node too small for its own memmap: sparse_init_nid() fails at the first section whose
   * populate fails: pr_err, and that section and every later one of the run are dropped.
   */
  it('no memory for the memmap: sections from the failing one on are not present', () => {
    const { k } = setup_machine(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 64M } ] }
reserved: [ { start: 0, size: 63M } ]
`);
    expect(sectionCounts(k).present).toBe(0);
    expect(k.s.log.map((m) => m.text)).toContain('sparse_init_nid: node[0] memory map backing failed. Some memory will not be available.');
  });
});

describe('sparse_add_section', () => {
  /*
   * A 2 MiB ZONE_DEVICE range inside an early section that has RAM in its first half:
   * section_activate() sets the sub-section bit and reuses the boot memmap (no populate).
   */
  it('early section: a sub-section add reuses the boot memmap', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G }, { start: 4G, size: 64M } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x104000000, size: 64M }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 66 * M });
  });

  /*
   * A hot-add that ran out of memory leaves its sections populated (add_memory_resource()
   * does not undo arch_add_memory()) but releases the resource; adding the same range again
   * gets past register_memory_resource() and fails in fill_subsection_map(): -EEXIST.
   */
  it('twice after a failure: -EEXIST from the sub-section map', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 512M } ], used: 400M }
steps:
  - boot
  - hot-add: { node: 0, start: 4G, size: 8G }
  - hot-add: { node: 0, start: 4G, size: 8G }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(stepOf(r, 3)).toMatchObject({ ok: false, errno: 'EEXIST' });
  });
});
