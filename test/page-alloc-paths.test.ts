/**
 * The buddy allocator after boot (src/kernel/page_alloc.ts): alloc_pages_node()'s zonelist
 * fallback, call by call, where a run of hot-added sections allocates a page table in its middle.
 * Kernel: mm/sparse-vmemmap.c vmemmap_populate_hugepages() @ v6.18 (per PMD step: the tables
 * of the step, vmemmap_pud_populate() et al., then the PMD_SIZE block), mm/page_alloc.c.
 */
import { describe, expect, it } from 'vitest';
import { withoutBatching } from '../src/kernel/engine.js';
import { run, stepOf } from './helpers.js';

const MiB = 2 ** 20;

describe('a node with exactly one block free when a run of sections begins', () => {
  /*
   * x86 v6.18. Node 0 [0, 2G) is reserved but its top 2 MiB + 8 KiB; its boot page tables (PUD,
   * PMD) take 8 KiB of that, and its boot memmap comes from node 1 above the goal: node 0 has
   * 512 free pages after boot, exactly one 2 MiB block. 4 GiB hot-added to node 0 at 62 GiB, 32
   * sections, call by call: the 62 GiB section's block is node 0's last 512 pages (the PMD table
   * for vmemmap of [0, 64 GiB) exists since boot); the next 15 blocks fall back to node 1; at
   * 64 GiB the walk needs a new PMD table, and node 0 has nothing left: node 1 too, as are the
   * last 16 blocks. Memmap: node 0 2 MiB; node 1 its own 128 MiB + node 0's boot 32 MiB + 62 MiB.
   * A run that took its page tables before its blocks would give node 0 the table page and none
   * of the memmap.
   */
  const box = `
arch: x86_64
kernel: v6.18
cmdline: memhp_default_state=offline
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
  - { id: 1, memory: [ { start: 4G, size: 8G } ] }
reserved: [ { start: 0, size: 0x7fdfe000 } ]
steps:
  - boot
  - hot-add: { node: 0, start: 62G, size: 4G }
`;
  it.each([['batched', (f: () => unknown) => f()], ['section by section', withoutBatching]] as const)('%s: the block first, the table from the next node', (_, how) => {
    const r = how(() => run(box)) as ReturnType<typeof run>;
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 2 * MiB, 1: 222 * MiB });
    expect(r.report.pageTablePages).toMatchObject({ byNode: { 0: 2, 1: 1 }, pmd: 2 });
    expect(r.report.memory.nodes[0]).toMatchObject({ freePages: 0 });
  });
});
