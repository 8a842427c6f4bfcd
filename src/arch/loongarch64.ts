/**
 * loongarch64: 4K/16K/64K pages with 2, 3 or 4 page-table levels (the Kconfig "Page Table
 * Layout" choice; 16K with 3 levels is the 64-bit default). SPARSEMEM_VMEMMAP from v6.2.
 * Constants: arch/loongarch/include/asm/{page,pgtable,sparsemem}.h @ v6.2, v6.6, v7.1.
 * Policy: arch/loongarch/mm/init.c (vmemmap_populate, vmemmap_check_pmd, vmemmap_free,
 * arch_add_memory) @ v6.2..v7.1. Reference: docs/research/arches.md section 4.
 */
import type { KernelProfile } from '../kernels/types.js';
import { pageSizedLevels } from './geometry.js';
import type { ArchConfig, ArchPolicy, VmemmapOps, VmemmapRange } from './types.js';

export type LoongPageSize = '4K' | '16K' | '64K';
const PAGE_SHIFT: Record<LoongPageSize, number> = { '4K': 12, '16K': 14, '64K': 16 };
/** The layouts the Kconfig offers (64-bit) and the default levels per page size. */
export const LOONGARCH_LEVELS: Record<LoongPageSize, number[]> = { '4K': [3, 4], '16K': [2, 3], '64K': [2, 3] };
export const LOONGARCH_DEFAULT_LEVELS: Record<LoongPageSize, number> = { '4K': 4, '16K': 3, '64K': 3 };
/** cpu_vabits = cpu_pabits of a 3A5000/3A6000-class CPU (read from CPUCFG at boot). */
const CPU_BITS = 48;

/**
 * Layouts whose vmemmap does not fit: VMEMMAP_SIZE = 64 x 2^(cpu_pabits + 1 - PAGE_SHIFT)
 * exceeds what the tables reach, so VMALLOC_END falls below vm_map_base. The model refuses
 * them rather than invent what such a kernel does.
 */
export function loongarchLayoutProblem(ps: LoongPageSize, levels: number): string | null {
  const shift = PAGE_SHIFT[ps];
  const reach = (shift - 3) * levels + shift;
  const vmemmapBits = 6 + CPU_BITS + 1 - shift;
  return vmemmapBits >= reach ? `loongarch64 ${ps} pages with ${levels} levels reach 2^${reach} bytes, less than the 2^${vmemmapBits}-byte vmemmap a 48-bit physical address space needs; the model does not know what such a kernel does` : null;
}

export function loongarchConfig(ps: LoongPageSize, levels: number, p: KernelProfile): ArchConfig {
  const S = PAGE_SHIFT[ps];
  const bits = S - 3; // PTRS_PER_* = PAGE_SIZE >> 3 at every level
  // folded levels take the shift of the level above (PMD_SHIFT = PGDIR_SHIFT with 2 levels)
  const { names, shift } = pageSizedLevels(S, levels);
  const PMD_SHIFT = S + bits; // HPAGE_SHIFT too
  const PUD_SHIFT = levels === 4 ? S + 2 * bits : shift.pgd!;
  const reach = (bits * levels) + S;
  // VMEMMAP_SIZE = sizeof(struct page) << (cpu_pabits + 1 - PAGE_SHIFT);
  // VMALLOC_END = vm_map_base + min(reach, 1 << cpu_vabits) - PMD_SIZE - VMEMMAP_SIZE (no KASAN, no KFENCE);
  // vmemmap = (VMALLOC_END + PMD_SIZE) & PMD_MASK (v6.2..v6.18; v7.1 aligns to max(PMD_SIZE,
  // MAX_FOLIO_VMEMMAP_ALIGN), the same while that is at most PMD_SIZE)
  const vmemmapSize = 64n << BigInt(CPU_BITS + 1 - S);
  const vmMapBase = (1n << 64n) - (1n << BigInt(CPU_BITS));
  const pmd = 1n << BigInt(PMD_SHIFT);
  const vmallocEnd = vmMapBase + (1n << BigInt(Math.min(reach, CPU_BITS))) - pmd - vmemmapSize;
  const VMEMMAP_START = (vmallocEnd + pmd) & ~(pmd - 1n);
  return {
    arch: 'loongarch64',
    label: `loongarch64 ${ps}/${levels}-level`,
    config: { pageSize: ps, levels },
    PAGE_SHIFT: S,
    PAGE_SIZE: 2 ** S,
    PMD_SHIFT,
    PUD_SHIFT,
    SECTION_SIZE_BITS: 29, // asm/sparsemem.h
    MAX_PHYSMEM_BITS: 48,
    STRUCT_PAGE_SIZE: 64,
    pt: { levels, shift, allocLevels: names.slice(1) },
    VMEMMAP_START,
    VMEMMAP_END: VMEMMAP_START + vmemmapSize,
    PAGE_OFFSET: 0x9000000000000000n, // the cached direct-mapped window (DMW), not page tables
    pageblockOrder: S - 3, // HUGETLB_PAGE_ORDER = PAGE_SHIFT - 3: 9, 11, 13
    thpPmd: true, // generic has_transparent_hugepage(): THP built in
    thpPud: false,
    pse: false,
    hypervisor: false,
    memblockGoal: 0,
    memstartAlign: 0, // pfn 0 sits at vmemmap
    keepMemblock: true, // selects ARCH_KEEP_MEMBLOCK
    ptdump: 'loongarch',
    staticTablesFor: null,
    lacks: {
      ...(p.loongarchZoneDevice ? {} : { zoneDevice: `loongarch64 has no ZONE_DEVICE in ${p.id} (ARCH_HAS_PTE_DEVMAP arrived in v6.11)` }),
      memmapOnMemory: 'loongarch64 does not select ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE',
      daxVmemmapOpt: 'loongarch64 does not select ARCH_WANT_OPTIMIZE_DAX_VMEMMAP',
    },
    hugePageSizes: [2 ** PMD_SHIFT], // HPAGE_SIZE only (no arch_hugetlb_valid_size)
    preallocateTopTables: false,
  };
}

export function loongarchPolicy(a: ArchConfig): ArchPolicy {
  const twoLevel = a.pt.levels === 2;
  return {
    /**
     * arch/loongarch/mm/init.c vmemmap_populate() @ v6.2..v7.1: 2 levels -> base pages, else
     * the generic PMD loop; the altmap is never passed on (NULL): memmap always comes from RAM.
     */
    vmemmap_populate<A>(ops: VmemmapOps<A>, r: VmemmapRange, node: number, altmap: A | null): number {
      const ignored = altmap ? ', the altmap ignored (loongarch64 passes NULL)' : '';
      if (twoLevel) {
        ops.decide(r, 'basepages', `2-level page tables: base pages (vmemmap_populate_basepages)${ignored}`);
        return ops.basepages(r.start, r.end, node, null);
      }
      ops.decide(r, 'hugepages', `PMD-sized blocks (${a.PMD_SHIFT >= 20 ? `${2 ** (a.PMD_SHIFT - 20)} MiB` : ''}) for any range, sub-sections too (vmemmap_populate_hugepages)${ignored}`);
      return ops.hugepages(r.start, r.end, node, null);
    },
    // generic loop; vmemmap_check_pmd() tests _PAGE_HUGE: only a huge mapping counts
    hugepages: { onFail: 'generic', tableAltmap: true, checkPmd: 'leaf' },
    pmdPrintTracker: false,
    free: {
      freeTables: {},
      floorCeiling: false,
      partialPmd: 'always',
      site: 'arch/loongarch/mm/init.c:vmemmap_free',
      empty: true, // an empty function in every release: the memmap stays mapped and its RAM leaks
      pteWalk: 'page',
      pteAltmap: false,
    },
    // no override: MIN_MEMORY_BLOCK_SIZE = the section size (512 MiB)
    memoryBlockSize: () => ({ size: 2 ** a.SECTION_SIZE_BITS, messages: [] }),
    // generic arch_get_mappable_range(), clamped to (1 << MAX_PHYSMEM_BITS) - 1
    mappableRange: () => ({ start: 0, end: 2 ** a.MAX_PHYSMEM_BITS - 1 }),
    populateSite: 'arch/loongarch/mm/init.c:vmemmap_populate',
    // arch/loongarch/mm/fault.c no_context(): one pr_alert line with the CPU, the address, era and ra (the model knows only the address)
    oopsLines: (o) => [
      { level: 1, text: `CPU (cpu) Unable to handle kernel paging request at virtual address ${o.va}, era == (era), ra == (ra)\n`, approx: true },
      { level: 0, text: 'Oops[#1]:\n', approx: true },
    ],
  };
}
