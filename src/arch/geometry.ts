/**
 * Page-table geometry shared by the arches whose tables are all one page of 8-byte entries
 * (arm64, riscv64, loongarch64, ia64): each level resolves PAGE_SHIFT - 3 bits, and the levels
 * a configuration folds away are named as the kernel's asm-generic/pgtable-nop4d/nopud/nopmd
 * headers fold them (p4d first, then pud, then pmd).
 */
import type { PtLevel } from './types.js';

/** The kernel's level names, top-down, for a number of page-table levels (2..5). */
export function levelNames(levels: number): PtLevel[] {
  return levels === 5 ? ['pgd', 'p4d', 'pud', 'pmd', 'pte']
    : levels === 4 ? ['pgd', 'pud', 'pmd', 'pte']
    : levels === 3 ? ['pgd', 'pmd', 'pte'] : ['pgd', 'pte'];
}

/** Entry shifts per level (null when folded): PAGE_SHIFT + (PAGE_SHIFT - 3) x (levels below it). */
export function pageSizedLevels(pageShift: number, levels: number): { names: PtLevel[]; shift: Record<PtLevel, number | null> } {
  const names = levelNames(levels);
  const shift: Record<PtLevel, number | null> = { pgd: null, p4d: null, pud: null, pmd: null, pte: null };
  names.forEach((n, i) => { shift[n] = pageShift + (pageShift - 3) * (levels - 1 - i); });
  return { names, shift };
}
