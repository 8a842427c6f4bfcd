/**
 * s390 boot page tables (arch/s390/mm/vmem.c vmem_crst_alloc() -> vmem_alloc_pages() and
 * vmem_pte_alloc(), v5.6..v7.1): before slab is up each is memblock_alloc(size, size) -
 * NUMA_NO_NODE, no lower limit - at its own size: 16 KiB region/segment tables, 2 KiB page
 * tables. memblock places them top-down, so consecutive 2 KiB tables share pages, and at
 * hand-over memblock_free_all() frees only whole pages of each free range.
 */
import { describe, expect, it } from 'vitest';
import { memblock_free_pages } from '../src/kernel/memblock.js';
import { withoutBatching } from '../src/kernel/engine.js';
import { run } from './helpers.js';

const K = 1024;

describe('s390x boot page tables: memblock_alloc(size, size), top-down', () => {
  /*
   * No EDAT-1: 4 KiB memmap pages and 2 KiB page tables. s390x has one NUMA node (numa_setup(),
   * arch/s390/kernel/numa.c): its memory is [0, 1G) and [2G, 3G), the first range wholly below
   * __pa(MAX_DMA_ADDRESS) = 2 GiB. 3 GiB of address space = 786432 pages x 64 B = 48 MiB of
   * memmap, of which the present 2 GiB's 32 MiB = 8192 pages are populated:
   * vmemmap_alloc_block(PAGE_SIZE) has the 2 GiB goal, so all of it comes from [2G, 3G). A page
   * table maps 256 x 4 KiB = 1 MiB of memmap: 32 tables of 2 KiB = 16 pages. One segment table
   * (2048 entries x 1 MiB = 2 GiB of vmemmap) = 16 KiB = 4 pages. The tables go to the top of
   * memory, two 2 KiB tables a page (each memmap page between two tables leaves the half page
   * the next table fills): 20 pages.
   * Managed pages: 2 x 262144 - 16384 (64 MiB early reservation at the lowest RAM) - 8192
   * (memmap) - 20 (tables) = 499692; a table that took a page of its own would make it less.
   */
  const yaml = `
arch: s390x
kernel: v6.6
config: { edat1: false }
nodes:
  - { id: 0, memory: [ { start: 0, size: 1G }, { start: 2G, size: 1G } ] }
`;
  for (const [how, go] of [['batched', (f: () => unknown) => f()], ['one iteration at a time', withoutBatching]] as const) {
    it(`all 20 table pages, no page wasted (${how})`, () => {
      const r = go(() => run(yaml)) as ReturnType<typeof run>;
      expect(r.report.pageTablePages).toMatchObject({ byNode: { 0: 20 }, pmd: 4, pte: 16, bytes: { pmd: 16 * K, pte: 32 * 2 * K } });
      expect(r.report.memmapBacking.ram).toEqual({ 0: 8192 * 4 * K });
      expect(r.report.memory.nodes).toEqual({ 0: { managedPages: 499692, freePages: 499692 } });
    });
  }
});

describe('memblock_free_pages(): PFN_UP(start) .. PFN_DOWN(end) of each free range', () => {
  it('a page memblock holds only half of stays reserved; whole free pages on both sides count', () => {
    const r = run(`
arch: s390x
config: { edat1: false }
nodes:
  - { id: 0, memory: [ { start: 0, size: 1G } ] }
`);
    const k = r.machine.k;
    k.s.memblockMemory.clear();
    k.s.memblockMemory.set(0, 64 * K, 0);
    k.s.memblockMemory.set(64 * K, 128 * K, 1);
    k.s.memblockReserved.remove(0, 2 ** 40);
    // node 0: [0, 4K) free, [4K, 6K) a 2 KiB table, [6K, 16K) free: pages 0, 2, 3 (page 1 is
    // half reserved), then [16K, 64K) reserved
    k.s.memblockReserved.add(4 * K, 6 * K);
    k.s.memblockReserved.add(16 * K, 64 * K);
    expect(memblock_free_pages(k, 0)).toBe(3);
    // node 1: [64K, 70K) free (pages 16 and half of 17), [70K, 72K) a table, the rest free
    // from 72K (pages 18..31): 1 + 14
    k.s.memblockReserved.add(70 * K, 72 * K);
    expect(memblock_free_pages(k, 1)).toBe(15);
    // a node memblock does not know has nothing
    expect(memblock_free_pages(k, 2)).toBe(0);
  });
});
