/**
 * The reference model's own arch policies and namespace arithmetic, written again from the
 * kernel source for the reference alone, so that the fast model's arch layer (src/arch/) and
 * nd_pfn arithmetic (src/kernel/nvdimm/pfn_devs.ts) are compared with something other than
 * themselves. Deliberately plain: decision tables and per-step loops, no shared helpers.
 */
import type { ArchConfig, HugepagesVariant, PtLevel } from '../../src/arch/types.js';
import type { KernelProfile } from '../../src/kernels/types.js';

export type PopulateChoice =
  | { how: 'basepages'; useAltmap: boolean }
  | { how: 'hugepages'; useAltmap: boolean }
  | { how: 'one-page-per-pmd' }
  | { how: 'enomem' };

/**
 * What vmemmap_populate(start, end, node, altmap) does for one call of `callBytes` bytes of
 * struct pages (a section's memmap, or less for a sub-section):
 *  - x86_64 (arch/x86/mm/init_64.c, v5.4+): less than a section's memmap -> base pages from
 *    RAM; PSE -> hugepages with the altmap; an altmap without PSE -> -ENOMEM; else base pages.
 *  - arm64 (arch/arm64/mm/mmu.c) by generation: v5.6 no altmap anywhere; v5.9/v5.11/v6.2 4K
 *    PMD blocks, 16K/64K base pages, both with the altmap; v6.14 also base pages for a
 *    sub-section range on 4K; Robin's sketch: 4K as v5.6, 16K/64K one page per PMD step.
 */
export function refPopulate(cfg: ArchConfig, p: KernelProfile, callBytes: number, altmap: boolean): PopulateChoice {
  const sectionMemmap = (2 ** cfg.SECTION_SIZE_BITS / cfg.PAGE_SIZE) * cfg.STRUCT_PAGE_SIZE;
  const subsection = callBytes < sectionMemmap;
  if (cfg.arch === 'x86_64') {
    if (subsection) return { how: 'basepages', useAltmap: false };
    if (cfg.pse) return { how: 'hugepages', useAltmap: true };
    if (altmap) return { how: 'enomem' };
    return { how: 'basepages', useAltmap: false };
  }
  const fourK = cfg.PAGE_SIZE === 4096;
  switch (p.arm64Populate) {
    case 'v5.6':
      return fourK ? { how: 'hugepages', useAltmap: false } : { how: 'basepages', useAltmap: false };
    case 'robin':
      return fourK ? { how: 'hugepages', useAltmap: false } : { how: 'one-page-per-pmd' };
    case 'v6.14':
      return fourK && !subsection ? { how: 'hugepages', useAltmap: true } : { how: 'basepages', useAltmap: true };
    default: // v5.9, v5.11, v6.2
      return fourK ? { how: 'hugepages', useAltmap: true } : { how: 'basepages', useAltmap: true };
  }
}

/**
 * The PMD loop: what a failed PMD_SIZE block does (onFail), whether a PMD that holds a PTE
 * table gets base pages with the altmap (tableAltmap), and what counts as populated (checkPmd).
 *  - x86_64: the generic loop from v6.2 (2045a3b8911b); before, x86's own copy passed NULL
 *    for the PTE-table fallback. Only a leaf counts as populated.
 *  - arm64: own loops until v6.1: -ENOMEM on a failed block (<= v5.10) or base pages with the
 *    same altmap (v5.11); any non-empty PMD counts; v6.2 the generic loop with check_pmd
 *    returning 1; v6.14 pmd_sect() (a leaf only).
 */
export function refHugepages(cfg: ArchConfig, p: KernelProfile): HugepagesVariant {
  if (cfg.arch === 'x86_64') return { onFail: 'generic', tableAltmap: p.genericHugepages, checkPmd: 'leaf' };
  switch (p.arm64Populate) {
    case 'v6.14': return { onFail: 'generic', tableAltmap: true, checkPmd: 'leaf' };
    case 'v6.2': return { onFail: 'generic', tableAltmap: true, checkPmd: 'any' };
    case 'v5.11': return { onFail: 'basepages', tableAltmap: true, checkPmd: 'any' };
    default: return { onFail: 'enomem', tableAltmap: false, checkPmd: 'any' };
  }
}

export interface RefFreePolicy {
  empty: boolean;
  freeTables: Partial<Record<PtLevel, boolean>>;
  floorCeiling: boolean;
  partialPmd: 'if-unused' | 'always';
}

/**
 * vmemmap_free():
 *  - x86_64 remove_pagetable(): PTE and PMD tables freed when empty, PUD tables only with
 *    5-level paging, P4D tables never; a partly covered PMD block is freed only once all of
 *    it is unused.
 *  - arm64: empty before hot-remove existed (v5.6); free_empty_tables() frees tables of every
 *    level below the top within [floor, ceiling); a PMD block the range touches is freed.
 */
export function refFree(cfg: ArchConfig, p: KernelProfile): RefFreePolicy {
  const levels = cfg.pt.levels;
  if (cfg.arch === 'x86_64') return { empty: false, freeTables: { pte: true, pmd: true, pud: levels === 5, p4d: false }, floorCeiling: false, partialPmd: 'if-unused' };
  return { empty: !p.arm64HotRemove, freeTables: { pte: true, pmd: levels > 2, pud: levels > 3, p4d: levels > 4 }, floorCeiling: true, partialPmd: 'always' };
}

/**
 * A pfn device's layout as nd_pfn_init() and __nvdimm_setup_pfn() give it, counted the
 * long way: the info block takes 8 KiB; with --map=dev each of the namespace's pages
 * reserves MAX_STRUCT_PAGE_SIZE bytes for its struct page after it; the data starts at the
 * next boundary of max(align, 2 MiB) counted from physical address 0, and the end is cut back
 * to such a boundary. The altmap starts at the sub-section boundary at or below the start.
 */
export function refPfn(cfg: ArchConfig, p: KernelProfile, start: number, size: number, map: 'dev' | 'mem', align: number) {
  const P = cfg.PAGE_SIZE;
  const A = Math.max(align, 2 * 1024 * 1024);
  const pagesAfterInfo = Math.floor((size - 8192) / P);
  let need = start + 8192;
  if (map === 'dev') need += p.MAX_STRUCT_PAGE_SIZE * pagesAfterInfo;
  let dataStart = start - (start % A);
  while (dataStart < need) dataStart += A;
  const dataoff = dataStart - start;
  let end = start + size;
  const endTrunc = end % A;
  end -= endTrunc;
  const limit = p.ndPfnInitSubtractsEndTrunc ? size - endTrunc : size;
  if (dataoff >= limit) return null;
  const usable = size - dataoff - endTrunc;
  const infoPages = Math.ceil(8192 / P);
  const subsectionPages = (2 * 1024 * 1024) / P;
  const firstPfn = Math.floor(start / P);
  const basePfn = firstPfn - (firstPfn % subsectionPages);
  return {
    dataoff,
    usable,
    npfns: map === 'dev' ? Math.floor((end - start - dataoff) / P) : Math.floor(usable / P),
    altmap: map === 'dev' ? { base_pfn: basePfn, end_pfn: Math.floor((end - 1) / P), reserve: infoPages + (firstPfn - basePfn), free: Math.floor((dataoff - infoPages * P) / P) } : null,
  };
}
