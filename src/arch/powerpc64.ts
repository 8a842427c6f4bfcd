/**
 * powerpc64 Book3S-64 (pseries / powernv), radix or hash MMU, 4K or 64K pages, every profile
 * (v5.6..v7.1; per-release switches ppc* in src/kernels).
 * Constants: arch/powerpc/include/asm/book3s/64/{radix-4k,radix-64k,hash-4k,hash-64k,radix,
 * hash,pgtable,mmu}.h, asm/sparsemem.h @ v5.6, v5.9, v5.10, v5.15, v6.1, v6.6, v6.12, v6.18, v7.1. Policy: arch/powerpc/mm/init_64.c
 * (vmemmap_populate, __vmemmap_populate, altmap_cross_boundary, vmemmap_populated,
 * vmemmap_list_*, vmemmap_free, probe_memory_block_size), arch/powerpc/mm/book3s64/
 * radix_pgtable.c (radix__vmemmap_populate, radix__vmemmap_pte_populate, remove_pagetable,
 * free_vmemmap_pages), hash_utils.c (htab_init_page_sizes: mmu_vmemmap_psize),
 * asm/pgtable.h (arch_supports_memmap_on_memory). Reference: docs/research/arches.md section 2.
 */
import { GiB, MiB } from '../util/bits.js';
import type { KernelProfile } from '../kernels/types.js';
import type { ArchConfig, ArchPolicy, PtLevel, VmemmapOps, VmemmapRange } from './types.js';

export type PpcMmu = 'radix' | 'hash';
export type PpcPageSize = '4K' | '64K';
export const PPC_MMUS: readonly PpcMmu[] = ['radix', 'hash'];
export const PPC_PAGE_SIZES: readonly PpcPageSize[] = ['4K', '64K'];
/** QEMU pseries (SPAPR_MEMORY_BLOCK_SIZE) and PowerVM: ibm,lmb-size of 256 MiB. */
export const PPC_DEFAULT_LMB = 256 * MiB;

export interface PpcOptions {
  mmu: PpcMmu;
  pageSize: PpcPageSize;
  /** ibm,lmb-size of /ibm,dynamic-reconfiguration-memory; 0: no such node (plain memory nodes). */
  lmbSize: number;
  /** The hash MMU offers 16M pages (real POWER; QEMU only with cap-hpt-max-page-size=16M). */
  hash16M: boolean;
  /** KFENCE (or debug_pagealloc) is on: hash maps the linear map with base pages (Debian 6.12: CONFIG_KFENCE=y). */
  kfence: boolean;
}

/**
 * Index bits per level (PTE/PMD/PUD/PGD): radix 4K 9/9/9/13, radix 64K 5/9/9/13 (radix-4k.h,
 * radix-64k.h), hash 4K 9/7/9/9, hash 64K 8/10/10/8 (hash-4k.h, hash-64k.h); every entry is 8 bytes.
 */
const INDEX: Record<PpcMmu, Record<PpcPageSize, [number, number, number, number]>> = {
  radix: { '4K': [9, 9, 9, 13], '64K': [5, 9, 9, 13] },
  hash: { '4K': [9, 7, 9, 9], '64K': [8, 10, 10, 8] },
};

export function ppcConfig(o: PpcOptions, p: KernelProfile): ArchConfig {
  const PAGE_SHIFT = o.pageSize === '64K' ? 16 : 12;
  const PAGE_SIZE = 2 ** PAGE_SHIFT;
  const [pte, pmd, pud, pgd] = INDEX[o.mmu][o.pageSize];
  // PMD_SHIFT = PAGE_SHIFT + PTE_INDEX_SIZE, PUD_SHIFT = PMD_SHIFT + PMD_INDEX_SIZE,
  // PGDIR_SHIFT = PUD_SHIFT + PUD_INDEX_SIZE (book3s/64/pgtable.h); P4D folded (4 levels)
  const PMD_SHIFT = PAGE_SHIFT + pte;
  const PUD_SHIFT = PMD_SHIFT + pmd;
  const PGD_SHIFT = PUD_SHIFT + pud;
  const shift: Record<PtLevel, number | null> = { pgd: PGD_SHIFT, p4d: null, pud: PUD_SHIFT, pmd: PMD_SHIFT, pte: PAGE_SHIFT };
  const radix = o.mmu === 'radix';
  // VMEMMAP_START: radix RADIX_VMEMMAP_START and hash 64K H_VMEMMAP_START 0xc00c000000000000
  // (KERN_VIRT_START 0xc008000000000000 + 2 x 2^49); hash 4K (hash-4k.h): v5.10+ REGION_SHIFT 40,
  // 0xc0003d0000000000 + 2 x 2^40 = 0xc0003f0000000000; <= v5.9 REGION_SHIFT 46 - 2 = 44,
  // 0xc000100000000000 + 2 x 2^44 = 0xc000300000000000. END = START + one area.
  const hash4k = !radix && o.pageSize === '4K';
  const old4k = p.ppcLayout === 'v5.6';
  const VMEMMAP_START = hash4k ? (old4k ? 0xc000300000000000n : 0xc0003f0000000000n) : 0xc00c000000000000n;
  const area = hash4k ? (old4k ? 1n << 44n : 1n << 40n) : 1n << 49n;
  // pageblock_order (set_pageblock_order, HUGETLB_PAGE_SIZE_VARIABLE; HPAGE_SHIFT from
  // hugetlbpage_init_defaultsize() in mmu_early_init_devtree, v6.1+): radix 2M huge pages ->
  // 21 - PAGE_SHIFT (9 / 5); hash 16M -> 24 - PAGE_SHIFT (12 / 8), without 16M pages the
  // largest buddy order, also 12 / 8 (ARCH_FORCE_MAX_ORDER). <= v5.15 HPAGE_SHIFT is still 0 when
  // set_pageblock_order() runs (mm/page_alloc.c; hugetlbpage_init() is an arch_initcall,
  // arch/powerpc/mm/hugetlbpage.c @ 5.6.4..5.15.100): MAX_ORDER - 1, 12 / 8, on both MMUs
  const maxOrder = PAGE_SHIFT === 16 ? 8 : 12;
  const pageblockOrder = !p.ppcPageblockFromHpage ? maxOrder : radix ? 21 - PAGE_SHIFT : 24 - PAGE_SHIFT;
  const lacks: ArchConfig['lacks'] = {
    // no ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP in any powerpc Kconfig
    hvo: 'powerpc64 does not select ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP (no HugeTLB vmemmap optimisation)',
    // drivers/firmware/efi/Kconfig EFI_SOFT_RESERVE depends on EFI_STUB, which only x86, arm,
    // arm64, riscv and loongarch have; CXL_ACPI depends on ACPI, which powerpc never supports
    softReserved: 'powerpc64 has no EFI soft-reserved memory (dax_hmem needs EFI_SOFT_RESERVE, which needs EFI_STUB: x86, arm64, riscv64 and loongarch64 only)',
    cxl: 'powerpc64 has no CXL memory (CXL regions come from the ACPI CEDT, and powerpc has no ACPI)',
  };
  // radix_pgtable.c vmemmap_can_optimize(): false unless radix_enabled() (v6.6+)
  if (!radix) lacks.daxVmemmapOpt = 'powerpc64 hash: vmemmap_can_optimize() is false without the radix MMU (arch/powerpc/mm/book3s64/radix_pgtable.c)';
  // radix has its own vmemmap_populate_compound_pages() (radix_pgtable.c @ v6.6+: a position
  // counter stepping one pfn per vmemmap page, PMD leaves skipped); not modelled yet
  else lacks.daxVmemmapOpt = 'powerpc64 radix: the kernel deduplicates device-dax memmap with its own vmemmap_populate_compound_pages() (arch/powerpc/mm/book3s64/radix_pgtable.c), which vmemmap-lab does not model: it maps the full memmap instead (docs/fidelity.md)';
  // v5.19..v6.3 run the generic vmemmap_populate_compound_pages() on every arch, powerpc too
  // (hash: outside the Linux page tables the vmemmap lives in; radix <= v6.5: next to the
  // vmemmap_list PMD blocks): not modelled
  const daxDedupNotModelled = p.ppcRadixPopulate === 'list' && p.daxVmemmapDedup === 'v6.1'
    ? `powerpc64 in ${p.id}: the generic vmemmap_populate_compound_pages() runs here (every arch, v5.19-v6.3); what it does next to powerpc's own vmemmap mappings is not modelled: vmemmap-lab maps the full memmap instead (docs/fidelity.md)`
    : lacks.daxVmemmapOpt;
  if (p.ppcRadixPopulate === 'list' && p.daxVmemmapDedup === 'v6.1') lacks.daxVmemmapOpt = daxDedupNotModelled;
  // hstates in mmu_psize_defs order: radix 2M and 1G; hash 16M when the MMU has it
  // ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE if PPC_RADIX_MMU arrived in v6.6
  if (p.ppcRadixPopulate === 'list') lacks.memmapOnMemory = `powerpc64 does not select ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE in ${p.id} (v6.6, radix only)`;
  const hugePageSizes = radix ? [2 * MiB, GiB] : o.hash16M ? [16 * MiB] : [];
  return {
    arch: 'powerpc64',
    label: `powerpc64 ${o.mmu} ${o.pageSize}`,
    config: { mmu: o.mmu, pageSize: o.pageSize, lmbSize: o.lmbSize, ...(radix ? {} : { hash16M: o.hash16M, kfence: o.kfence }) },
    PAGE_SHIFT,
    PAGE_SIZE,
    PMD_SHIFT,
    PUD_SHIFT,
    SECTION_SIZE_BITS: 24, // asm/sparsemem.h, every release
    // v5.10+: max(H_MAX_PHYSMEM_BITS, R_MAX_PHYSMEM_BITS) with VMEMMAP + EXTREME = 51; <= v5.9
    // book3s/64/mmu.h: 51 only with PPC_64K_PAGES, else 46 (4K kernels, either MMU)
    MAX_PHYSMEM_BITS: old4k && o.pageSize === '4K' ? 46 : 51,
    STRUCT_PAGE_SIZE: 64,
    pt: radix
      ? {
          levels: 4,
          shift,
          allocLevels: ['pud', 'pmd', 'pte'],
          // 8-byte entries: PTE 2^5 x 8 = 256 B on 64K (4 KiB on 4K), PMD/PUD 4 KiB, PGD 64 KiB
          // (radix-64k.h / radix-4k.h comments; PTE_FRAG_SIZE, PMD_FRAG_SIZE after boot)
          tableBytes: { pte: 2 ** pte * 8, pmd: 2 ** pmd * 8, pud: 2 ** pud * 8, pgd: 2 ** pgd * 8 },
          // vmemmap_pud_alloc / vmemmap_pmd_alloc / vmemmap_pte_alloc before slab:
          // early_alloc_pgtable(PAGE_SIZE) for every level
          earlyTableBytes: { pte: PAGE_SIZE, pmd: PAGE_SIZE, pud: PAGE_SIZE },
        }
      : {
          levels: 4,
          shift,
          allocLevels: [],
          tableBytes: { pte: 2 ** pte * 8, pmd: 2 ** pmd * 8, pud: 2 ** pud * 8, pgd: 2 ** pgd * 8 },
          noPageTables: 'hash MMU: the vmemmap is not in the Linux page tables; each block is a bolted HPTE mapping (htab_bolt_mapping) recorded in vmemmap_list',
        },
    VMEMMAP_START,
    VMEMMAP_END: VMEMMAP_START + area,
    PAGE_OFFSET: 0xc000000000000000n,
    pageblockOrder,
    // has_transparent_hugepage(): radix 2M == PMD_SHIFT; hash needs 16M == PMD_SHIFT (hash 64K with 16M pages)
    thpPmd: radix || (o.pageSize === '64K' && o.hash16M),
    // has_transparent_pud_hugepage() (v6.6+): radix 1G == PUD_SHIFT; hash 0. Before v6.6
    // nd_pfn_supported_alignments() asks for HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD, not selected
    thpPud: radix && p.ppcRadixPopulate === 'radix',
    pse: false,
    hypervisor: false,
    memblockGoal: 0,
    memstartAlign: 0,
    keepMemblock: true, // ARCH_KEEP_MEMBLOCK selected in every profile
    ptdump: 'powerpc',
    lacks,
    hugePageSizes,
    preallocateTopTables: false,
    staticTablesFor: null,
    daxDedupNotModelled,
  };
}

/** mmu_vmemmap_psize's size (hash_utils.c htab_init_page_sizes): 16M with 16M pages and >= 1 GiB of boot RAM, else the base page. */
export function hashVmemmapBlock(a: ArchConfig, bootRam: number): number {
  return a.config.hash16M === true && bootRam >= GiB ? 16 * MiB : a.PAGE_SIZE;
}

/**
 * probe_memory_block_size() (init_64.c @ v6.6+): ibm,lmb-size of the DR-memory node when there
 * is one; else from 1 GiB, update_memory_block_size() per memory node: while the block is
 * larger than 16 MiB, stop if (size & block) == 0, else block >>= 2.
 */
export function ppcMemoryBlockSize(lmbSize: number, ranges: { start: number; end: number }[], probe: 'v6.1' | 'v6.6' = 'v6.6'): number {
  if (lmbSize > 0) return lmbSize;
  if (probe === 'v6.1') {
    // pseries_memory_block_size() <= v6.5: the size of the node /memory@<size of memory@0>, else 16 MiB
    const m0 = ranges.find((r) => r.start === 0);
    const next = m0 ? ranges.find((r) => r.start === m0.end) : undefined;
    return next ? next.end - next.start : 16 * MiB;
  }
  let block = GiB;
  for (const r of ranges) {
    const size = r.end - r.start;
    for (; block > 16 * MiB; block /= 4) if (Math.floor(size / block) % 2 === 0) break;
  }
  return block;
}

export function ppcPolicy(a: ArchConfig, p: KernelProfile): ArchPolicy {
  const radix = a.config.mmu === 'radix';
  const P = a.PAGE_SIZE;
  const PMD = 2 ** a.PMD_SHIFT;
  const align = p.ppcRadixAlignStart;
  return {
    vmemmap_populate<A>(ops: VmemmapOps<A>, r: VmemmapRange, node: number, altmap: A | null): number {
      if (!radix) {
        // init_64.c vmemmap_populate() -> __vmemmap_populate() when !radix_enabled()
        const bs = hashVmemmapBlock(a, ops.bootRam());
        ops.decide(r, 'blocks', `hash MMU: ${bs >= MiB ? `${bs / MiB} MiB` : `${bs / 1024} KiB`} blocks (mmu_vmemmap_psize), bolted HPTEs and vmemmap_list entries${altmap ? '; the altmap for blocks whose pfns are all the device\'s, RAM otherwise or when it runs out' : ''}`);
        return ops.listBlocks(r.start, r.end, node, altmap, bs, false, r.callBytes);
      }
      if (p.ppcRadixPopulate === 'list') {
        // <= v6.5: vmemmap_populate() (init_64.c) with mmu_vmemmap_psize 2M (radix__early_init_mmu:
        // 2M when the MMU has it), radix__vmemmap_create_mapping() -> a PMD leaf in the page tables
        ops.decide(r, 'blocks', `radix ${p.id}: 2 MiB blocks (mmu_vmemmap_psize) mapped as PMD leaves, each with a vmemmap_list entry${altmap ? '; from the altmap when the block describes only the device, else RAM' : ''}`);
        return ops.listBlocks(r.start, r.end, node, altmap, PMD, true, r.callBytes);
      }
      // radix__vmemmap_populate(): v6.17+ aligns start down to PAGE_SIZE with an altmap, to
      // PMD_SIZE without; v6.6..v6.14 use the raw start
      const start = align ? Math.floor(r.start / (altmap ? P : PMD)) * (altmap ? P : PMD) : r.start;
      ops.decide(r, 'hugepages', altmap
        ? 'radix: PMD blocks from the altmap where the address is PMD-aligned and the 2 MiB of memmap describes only the device; base pages otherwise (from the altmap when the page describes only the device, else RAM; RAM when the altmap runs out)'
        : 'radix: a PMD_SIZE block from RAM for every PMD slot the range touches (sub-sections too); base pages only if that fails');
      return ops.radixPmdLoop(start, r.end, node, altmap);
    },
    // not used: powerpc has its own loops (no vmemmap_populate_hugepages)
    hugepages: { onFail: 'basepages', tableAltmap: true, checkPmd: 'leaf' },
    pmdPrintTracker: false,
    free: radix && p.ppcRadixPopulate === 'list'
      ? {
          // <= v6.5 vmemmap_free() (init_64.c): per 2 MiB block, kept while vmemmap_populated(),
          // else the list entry and memory go, then radix__vmemmap_remove_mapping() ->
          // remove_pagetable(): empty PTE and PMD tables freed; PUD tables v5.9+ (free_pud_table,
          // radix_pgtable.c @ 5.9.1; absent @ 5.6.4)
          freeTables: { pte: true, pmd: true, pud: p.ppcRadixFreePud },
          floorCeiling: false,
          partialPmd: 'if-unpopulated',
          partialPte: 'if-unpopulated',
          site: 'arch/powerpc/mm/init_64.c:vmemmap_free',
          pteWalk: 'page',
          pteAltmap: true,
          blocks: true,
          altmapRangeCheck: true,
        }
      : radix
      ? {
          // radix__vmemmap_free -> remove_pagetable(direct = false): free_pte_table,
          // free_pmd_table, free_pud_table when empty; the PGD is never freed
          freeTables: { pte: true, pmd: true, pud: true },
          floorCeiling: false,
          partialPmd: 'if-unpopulated', // vmemmap_pmd_is_unused(): !vmemmap_populated(PMD)
          partialPte: 'if-unpopulated', // vmemmap_page_is_unused(): !vmemmap_populated(page)
          site: 'arch/powerpc/mm/book3s64/radix_pgtable.c:remove_pagetable',
          pteWalk: 'page',
          pteAltmap: true, // free_vmemmap_pages(): vmem_altmap_free() when the page is in [base_pfn, base_pfn + reserve + free)
          altmapRangeCheck: true,
        }
      : {
          freeTables: {},
          floorCeiling: false,
          partialPmd: 'if-unpopulated',
          partialPte: 'if-unpopulated',
          // hash's half of vmemmap_free() became __vmemmap_free() in v6.6 (init_64.c @ 6.6.9)
          site: p.ppcRadixPopulate === 'list' ? 'arch/powerpc/mm/init_64.c:vmemmap_free' : 'arch/powerpc/mm/init_64.c:__vmemmap_free',
          pteWalk: 'page',
          pteAltmap: true,
          blocks: true,
          altmapRangeCheck: true, // alt_start..alt_end = base_pfn .. base_pfn + reserve + free (v6.6+)
        },
    memoryBlockSize: (_end, _adv, ranges) => ({ size: ppcMemoryBlockSize(Number(a.config.lmbSize), ranges ?? [], p.ppcBlockProbe), messages: [] }),
    // asm/pgtable.h arch_supports_memmap_on_memory() (v6.6+)
    supportsMemmapOnMemory: (bytes) => {
      if (!radix) return 'arch_supports_memmap_on_memory() is false with the hash MMU (!radix_enabled())';
      if (P === 4096 && bytes % PMD !== 0) return `the block's memmap (${bytes / 1024} KiB) is not PMD-aligned (arch_supports_memmap_on_memory, 4K pages: ${PMD / MiB} MiB)`;
      return null;
    },
    // hash_utils.c htab_init_page_sizes(): printk(KERN_DEBUG "Page orders: ...") with the page
    // shifts of mmu_linear_psize (16M unless KFENCE/debug_pagealloc or no 16M pages; a 4K choice
    // is 64K on 64K kernels), mmu_virtual_psize, mmu_io_psize (64K needs cache-inhibited large
    // pages and no possible HEA: not known, marked approximate) and mmu_vmemmap_psize
    bootLines: radix ? undefined : (bootRam) => {
      const ps = a.PAGE_SHIFT;
      const linear = a.config.hash16M === true && a.config.kfence === false ? 24 : ps;
      const vm = Math.log2(hashVmemmapBlock(a, bootRam));
      return [{ level: 7, site: 'arch/powerpc/mm/book3s64/hash_utils.c:htab_init_page_sizes', text: `Page orders: linear mapping = ${linear}, virtual = ${ps}, io = ${ps}, vmemmap = ${vm}\n`, approx: ps === 16 }];
    },
    // early_init_devtree() (arch/powerpc/kernel/prom.c): memblock_enforce_memory_limit() of the
    // boot RAM aligned down to 16 MiB (v6.11+; a page before, which drops nothing), then on 4K
    // hash memblock_cap_memory_range(0, 1 << H_MAX_PHYSMEM_BITS = 64 TiB) (v5.10.7..v7.1.5; the
    // v5.6 layout's MAX_PHYSMEM_BITS is 46 already)
    bootMemoryCap: (_base: number, total: number) => [
      ...(p.ppcMemoryLimit16M ? [{ kind: 'limit' as const, bytes: Math.floor(total / (16 * MiB)) * 16 * MiB, site: 'arch/powerpc/kernel/prom.c:early_init_devtree (memblock_enforce_memory_limit)', why: 'lies past the boot RAM aligned down to 16 MiB (the memory limit)' }] : []),
      ...(a.config.mmu === 'hash' && a.PAGE_SIZE === 4096 ? [{ kind: 'range' as const, start: 0, end: 2 ** 46, site: 'arch/powerpc/kernel/prom.c:early_init_devtree (memblock_cap_memory_range)', why: 'is above the 64 TiB a 4K hash kernel reaches (H_MAX_PHYSMEM_BITS 46)' }] : []),
    ],
    // not overridden: the generic [0, (1 << MAX_PHYSMEM_BITS) - 1]
    mappableRange: () => ({ start: 0, end: 2 ** a.MAX_PHYSMEM_BITS - 1 }),
    // init_64.c's vmemmap_populate() became __vmemmap_populate() (hash) in v6.6 (6.6.9)
    populateSite: radix && p.ppcRadixPopulate === 'radix' ? 'arch/powerpc/mm/book3s64/radix_pgtable.c:radix__vmemmap_populate' : `arch/powerpc/mm/init_64.c:${p.ppcRadixPopulate === 'list' ? 'vmemmap_populate' : '__vmemmap_populate'}`,
    // arch/powerpc/mm/fault.c bad_kernel_fault() / __bad_page_fault(): "BUG: Unable to handle
    // kernel data access on read/write at 0x%lx", then "Faulting instruction address: 0x%lx",
    // die("Kernel access of bad area") -> "Oops: Kernel access of bad area, sig: 11 [#1]"
    oopsLines: (o) => [
      { level: 1, text: `BUG: Unable to handle kernel data access on ${o.access} at ${o.va}\n` },
      { level: 1, text: 'Faulting instruction address: 0x(unknown)\n', approx: true },
      { level: 0, text: 'Oops: Kernel access of bad area, sig: 11 [#1]\n', approx: true },
      { level: 4, text: `NIP [(unknown)] ${o.fn}+(offset)\n`, approx: true },
    ],
  };
}
