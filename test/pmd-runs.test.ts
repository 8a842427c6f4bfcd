/**
 * pmdRuns() (src/kernel/pgtable.ts): the state of the PMD entries over a vmemmap range, as the
 * hugepages loop of vmemmap_populate_hugepages() and vmemmap_free()'s PMD walk see them, one
 * PMD at a time (mm/sparse-vmemmap.c: pmd_none() / pmd_leaf() / a PTE table below): 'none',
 * 'leaf' (a PMD_SIZE mapping) or 'table'. The states are built by hand here, at a vmemmap offset
 * far from boot memory's memmap, so each case shows one rule. Mutation testing (docs/testing.md)
 * found the ordering, merging and gap rules untested.
 */
import { describe, expect, it } from 'vitest';
import { addTables, mapLeaves, pmdRuns } from '../src/kernel/pgtable.js';
import { setup_machine, x86 } from './helpers.js';

const M = 2 ** 20;

function machine() {
  const m = setup_machine(x86());
  const k = m.k;
  // 64 GiB into the vmemmap: the struct pages of 64 GiB x 64 = 4 TiB of physical memory, nothing there
  const base = k.c.startOff + 64 * 2 ** 30;
  expect(pmdRuns(k, base, base + 8 * M)).toEqual([{ start: base, end: base + 8 * M, state: 'none' }]);
  return { k, base };
}

describe('pmdRuns()', () => {
  it('a PTE table below a lower PMD and a leaf above it come out in address order', () => {
    const { k, base } = machine();
    // x86 4K: a PTE table covers 512 x 4 KiB = 2 MiB, one PMD entry's span
    expect(k.c.tableSpan.pte).toBe(2 * M);
    mapLeaves(k, base + 2 * M, base + 4 * M, 'pmd', { kind: 'ram', node: 0, src: 'buddy', key: 900 });
    addTables(k, 'pte', [{ start: base, end: base + 2 * M }], { node: 0, src: 'buddy' });
    mapLeaves(k, base, base + 4096, 'pte', { kind: 'ram', node: 0, src: 'buddy', key: 901 });
    expect(pmdRuns(k, base, base + 8 * M)).toEqual([
      { start: base, end: base + 2 * M, state: 'table' },
      { start: base + 2 * M, end: base + 4 * M, state: 'leaf' },
      { start: base + 4 * M, end: base + 8 * M, state: 'none' },
    ]);
  });

  it('neighbouring leaves of different backing are one run; a hole between leaves is a none run', () => {
    const { k, base } = machine();
    mapLeaves(k, base, base + 2 * M, 'pmd', { kind: 'ram', node: 0, src: 'buddy', key: 910 });
    mapLeaves(k, base + 2 * M, base + 4 * M, 'pmd', { kind: 'ram', node: 0, src: 'memblock', key: 911 });
    mapLeaves(k, base + 6 * M, base + 8 * M, 'pmd', { kind: 'ram', node: 0, src: 'buddy', key: 912 });
    expect(pmdRuns(k, base, base + 8 * M)).toEqual([
      { start: base, end: base + 4 * M, state: 'leaf' },
      { start: base + 4 * M, end: base + 6 * M, state: 'none' },
      { start: base + 6 * M, end: base + 8 * M, state: 'leaf' },
    ]);
  });

  it('runs are cut to the range asked for, which need not be PMD-aligned', () => {
    const { k, base } = machine();
    mapLeaves(k, base, base + 2 * M, 'pmd', { kind: 'ram', node: 0, src: 'buddy', key: 920 });
    expect(pmdRuns(k, base + M, base + 3 * M)).toEqual([
      { start: base + M, end: base + 2 * M, state: 'leaf' },
      { start: base + 2 * M, end: base + 3 * M, state: 'none' },
    ]);
    // a range inside one leaf is that leaf, cut
    expect(pmdRuns(k, base + 4096, base + 8192)).toEqual([{ start: base + 4096, end: base + 8192, state: 'leaf' }]);
  });
});
