/**
 * Which page-table pages vmemmap_free() gives back when hot-added memory far from boot memory is
 * removed again: the hot-add needed a new table at each level below the top, the hot-remove
 * empties them. Kernel: arch/arm64/mm/mmu.c free_empty_tables() @ v6.18 (PTE tables always, PMD
 * tables if CONFIG_PGTABLE_LEVELS > 2, PUD tables if pgtable_l4_enabled()); arch/x86/mm/init_64.c
 * remove_pagetable() @ v6.18 (free_pte_table, free_pmd_table; free_pud_table only if
 * pgtable_l5_enabled(); P4D tables never). Mutation testing (docs/testing.md) found the per-level
 * choice untested.
 *
 * A table "pud" is a page of PUD entries (allocated when a PGD/P4D entry is populated), and so on.
 */
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';

const T = 2 ** 40;

/** Page-table pages after boot, after the hot-add, after the hot-remove. */
function tables(arch: string, config: string, start: number) {
  const steps = [`  - hot-add: { node: 0, start: 0x${start.toString(16)}, size: 1G }`, `  - hot-remove: { start: 0x${start.toString(16)}, size: 1G }`];
  return [0, 1, 2].map((n) => {
    const r = run(`
arch: ${arch}
config: ${config}
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
steps:
  - boot
${steps.slice(0, n).join('\n')}
`);
    expect(r.results.every((x) => x.ok)).toBe(true);
    const { byNode: _, ...levels } = r.report.pageTablePages;
    return levels;
  });
}

describe('arm64 free_empty_tables()', () => {
  /*
   * 4K/48 (4 levels): the memmap of 40 TiB sits (40 TiB - 1 GiB) / 64 = 640 GiB - 16 MiB above
   * VMEMMAP_START = 0xfffffdffc0000000, in another 512 GiB PUD-entry page and another 1 GiB
   * PMD-entry page than boot memory's memmap (both inside [VMEMMAP_START, VMEMMAP_END), so
   * pgtable_range_aligned() lets them go). The memmap is PMD blocks: no PTE table.
   * Expect +1 pud, +1 pmd on hot-add; both freed on hot-remove.
   */
  it('4K/48: PUD and PMD tables freed', () => {
    expect(tables('arm64', '{ pageSize: 4K, vaBits: 48 }', 40 * T)).toEqual([
      { pud: 1, pmd: 1, pte: 0 },
      { pud: 2, pmd: 2, pte: 0 },
      { pud: 1, pmd: 1, pte: 0 },
    ]);
  });

  /* 4K/39 (3 levels, pgd -> pmd -> pte): 128 GiB up, the memmap is ~2 GiB higher: a new PMD-entry page (1 GiB span). */
  it('4K/39: PMD tables freed (CONFIG_PGTABLE_LEVELS > 2)', () => {
    expect(tables('arm64', '{ pageSize: 4K, vaBits: 39 }', 128 * 2 ** 30)).toEqual([
      { pmd: 1, pte: 0 },
      { pmd: 2, pte: 0 },
      { pmd: 1, pte: 0 },
    ]);
  });

  /*
   * 16K/48 (4 levels; base pages): a 64-byte struct page per 16 KiB page, so the memmap of 40 TiB
   * is 160 GiB above boot's: a new PMD-entry page (2048 entries x 32 MiB = 64 GiB span) and a new
   * PTE page (32 MiB span); the one PUD-entry page (128 TiB span) serves the whole window.
   */
  it('16K/48: PMD and PTE tables freed', () => {
    expect(tables('arm64', '{ pageSize: 16K, vaBits: 48 }', 40 * T)).toEqual([
      { pud: 0, pmd: 1, pte: 1 },
      { pud: 0, pmd: 2, pte: 2 },
      { pud: 0, pmd: 1, pte: 1 },
    ]);
  });
});

describe('x86_64 remove_pagetable()', () => {
  /* 4-level: the 40 TiB memmap needs another PUD-entry page (span 512 GiB of vmemmap = 32 TiB of memory); it stays. */
  it('4-level: the PMD table is freed, the PUD table is not', () => {
    expect(tables('x86_64', '{}', 40 * T)).toEqual([
      { pud: 1, pmd: 1, pte: 0 },
      { pud: 2, pmd: 2, pte: 0 },
      { pud: 2, pmd: 1, pte: 0 },
    ]);
  });

  /* 5-level (LA57): 2^51 bytes up; free_pud_table() runs, P4D tables stay. */
  it('5-level: PUD tables freed too, the P4D table stays', () => {
    expect(tables('x86_64', '{ levels: 5 }', 2 ** 51)).toEqual([
      { p4d: 1, pud: 1, pmd: 1, pte: 0 },
      { p4d: 1, pud: 2, pmd: 2, pte: 0 },
      { p4d: 1, pud: 1, pmd: 1, pte: 0 },
    ]);
  });
});
