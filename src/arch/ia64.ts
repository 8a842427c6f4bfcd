/**
 * ia64 (Itanium): 4K/8K/16K/64K pages with 3 or 4 page-table levels; removed from Linux in
 * v6.7, so only the profiles up to v6.6 have it.
 * Constants: arch/ia64/include/asm/{page,pgtable,sparsemem}.h @ v5.6, v6.1, v6.6.
 * Policy: arch/ia64/mm/discontig.c (vmemmap_populate, vmemmap_free) @ v5.6..v6.6.
 * Reference: docs/research/arches.md section 6.
 */
import type { KernelProfile } from '../kernels/types.js';
import { pageSizedLevels } from './geometry.js';
import type { ArchConfig, ArchPolicy, VmemmapOps, VmemmapRange } from './types.js';

export type Ia64PageSize = '4K' | '8K' | '16K' | '64K';
const PAGE_SHIFT: Record<Ia64PageSize, number> = { '4K': 12, '8K': 13, '16K': 14, '64K': 16 };
/** 64K pages allow 3 levels only (PGTABLE_LEVELS 4 depends on !IA64_PAGE_SIZE_64KB). */
export const IA64_LEVELS: Record<Ia64PageSize, number[]> = { '4K': [3, 4], '8K': [3, 4], '16K': [3, 4], '64K': [3] };

export function ia64Config(ps: Ia64PageSize, levels: number, p: KernelProfile): ArchConfig {
  const S = PAGE_SHIFT[ps];
  const bits = S - 3;
  const { names, shift } = pageSizedLevels(S, levels);
  // SECTION_SIZE_BITS: 30, or the largest buddy block if larger (64K pages with HugeTLB: 2^32)
  const SECTION_SIZE_BITS = Math.max(30, 16 + S);
  // region 5: VMALLOC_END = RGN_BASE(5) + (1 << (4 * PAGE_SHIFT - 10)) = vmemmap (pfn 0 there),
  // the vmemmap runs to RGN_BASE(5) + (1 << (4 * PAGE_SHIFT - 9))
  const rgn5 = 5n << 61n;
  const VMEMMAP_START = rgn5 + (1n << BigInt(4 * S - 10));
  const hpageShift = 28; // HPAGE_SHIFT_DEFAULT: 256 MiB huge pages
  return {
    arch: 'ia64',
    label: `ia64 ${ps}/${levels}-level`,
    config: { pageSize: ps, levels },
    PAGE_SHIFT: S,
    PAGE_SIZE: 2 ** S,
    PMD_SHIFT: S + bits,
    PUD_SHIFT: levels === 4 ? S + 2 * bits : shift.pgd!,
    SECTION_SIZE_BITS,
    MAX_PHYSMEM_BITS: 50,
    STRUCT_PAGE_SIZE: 64,
    pt: { levels, shift, allocLevels: names.slice(1) },
    VMEMMAP_START,
    VMEMMAP_END: rgn5 + (1n << BigInt(4 * S - 9)),
    PAGE_OFFSET: 0xe000000000000000n, // region 7, identity-mapped by the TLB miss handler
    // HUGETLB_PAGE_SIZE_VARIABLE: set_pageblock_order() with HPAGE_SHIFT 28, capped at the largest order (16)
    pageblockOrder: Math.min(hpageShift - S, 16),
    thpPmd: false, // no HAVE_ARCH_TRANSPARENT_HUGEPAGE
    thpPud: false,
    pse: false,
    hypervisor: false,
    memblockGoal: 0,
    memstartAlign: 0,
    keepMemblock: false,
    ptdump: 'ia64',
    staticTablesFor: null,
    lacks: {
      zoneDevice: 'ia64 has no ZONE_DEVICE (no ARCH_HAS_PTE_DEVMAP)',
      memmapOnMemory: 'ia64 does not select ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE',
      hvo: 'ia64 has no HugeTLB vmemmap optimisation',
      daxVmemmapOpt: 'ia64 does not select ARCH_WANT_OPTIMIZE_DAX_VMEMMAP',
      // drivers/firmware/efi/Kconfig: EFI_SOFT_RESERVE depends on EFI_STUB, which ia64 never has
      softReserved: 'ia64 has no EFI soft-reserved memory (dax_hmem needs EFI_SOFT_RESERVE, which needs EFI_STUB: ia64 boots through elilo)',
    },
    hugePageSizes: [2 ** hpageShift],
    preallocateTopTables: false,
  };
}

export function ia64Policy(a: ArchConfig): ArchPolicy {
  return {
    /** arch/ia64/mm/discontig.c vmemmap_populate(): base pages, the altmap never passed (NULL from v5.9). */
    vmemmap_populate<A>(ops: VmemmapOps<A>, r: VmemmapRange, node: number, altmap: A | null): number {
      ops.decide(r, 'basepages', `ia64 maps the vmemmap with base pages (vmemmap_populate_basepages)${altmap ? ', the altmap ignored' : ''}`);
      return ops.basepages(r.start, r.end, node, null);
    },
    hugepages: { onFail: 'generic', tableAltmap: true, checkPmd: 'leaf' }, // unused: base pages only
    pmdPrintTracker: false,
    free: {
      freeTables: {},
      floorCeiling: false,
      partialPmd: 'always',
      site: 'arch/ia64/mm/discontig.c:vmemmap_free',
      empty: true, // an empty function in every release
      pteWalk: 'page',
      pteAltmap: false,
    },
    // no override: the section size
    memoryBlockSize: () => ({ size: 2 ** a.SECTION_SIZE_BITS, messages: [] }),
    mappableRange: () => ({ start: 0, end: 2 ** a.MAX_PHYSMEM_BITS - 1 }),
    populateSite: 'arch/ia64/mm/discontig.c:vmemmap_populate',
    // arch/ia64/mm/fault.c ia64_do_page_fault(): printk(KERN_ALERT ...), then die_if_kernel("Oops", ...)
    oopsLines: (o) => [
      { level: 1, text: `Unable to handle kernel paging request at virtual address ${o.va}\n` },
      { level: 4, text: 'Oops (err) [1]\n', approx: true },
    ],
  };
}
