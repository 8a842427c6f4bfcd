/**
 * riscv64: 4K pages, Sv39 / Sv48 / Sv57 paging (3, 4, 5 levels), chosen at boot.
 * Constants: arch/riscv/include/asm/{page,pgtable,pgtable-64,sparsemem,kasan}.h @ v5.6, v6.1,
 * v6.11, v6.13, v7.1. Policy: arch/riscv/mm/init.c (vmemmap_populate, vmemmap_set_pmd,
 * vmemmap_check_pmd, vmemmap_free -> remove_pgd_mapping, pgtable_cache_init,
 * arch_get_mappable_range) @ v6.11..v7.1. Reference: docs/research/arches.md section 3.
 */
import { GiB, MiB } from '../util/bits.js';
import type { KernelProfile } from '../kernels/types.js';
import { pageSizedLevels } from './geometry.js';
import type { ArchConfig, ArchPolicy, VmemmapOps, VmemmapRange } from './types.js';

export type RiscvMode = 'sv39' | 'sv48' | 'sv57';
export const RISCV_MODES: readonly RiscvMode[] = ['sv39', 'sv48', 'sv57'];
const LEVELS: Record<RiscvMode, number> = { sv39: 3, sv48: 4, sv57: 5 };
const VA_BITS: Record<RiscvMode, number> = { sv39: 39, sv48: 48, sv57: 57 };

/** The paging modes a kernel knows: Sv39 only up to v5.15 (no pgtable_l4_enabled); Sv48/Sv57 by v6.1. */
export function riscvModes(p: KernelProfile): RiscvMode[] {
  return p.riscvLayout === 'v5.6' ? ['sv39'] : [...RISCV_MODES];
}

/**
 * PAGE_OFFSET per mode. v5.6..v5.15: CONFIG_PAGE_OFFSET 0xffffffe000000000 (MAXPHYSMEM_128GB,
 * rv64's default). v6.1+: kernel_map.page_offset: Sv57 0xff60000000000000, Sv48
 * PAGE_OFFSET_L4 0xffffaf8000000000, Sv39 PAGE_OFFSET_L3 0xffffffd800000000, moved to
 * 0xffffffd600000000 by v6.11 (asm/page.h).
 */
function pageOffset(mode: RiscvMode, p: KernelProfile): bigint {
  if (mode === 'sv57') return 0xff60000000000000n;
  if (mode === 'sv48') return 0xffffaf8000000000n;
  if (p.riscvLayout === 'v5.6') return 0xffffffe000000000n;
  return p.riscvLayout === 'v6.1' ? 0xffffffd800000000n : 0xffffffd600000000n;
}

export function riscvConfig(mode: RiscvMode, p: KernelProfile): ArchConfig {
  const levels = LEVELS[mode];
  const vaBits = VA_BITS[mode];
  const two64 = 1n << 64n;
  // PGDIR_SHIFT 30 / 39 / 48; every level resolves 9 bits (512 eight-byte entries)
  const { names, shift } = pageSizedLevels(12, levels);
  const PAGE_OFFSET = pageOffset(mode, p);
  // VMEMMAP_SHIFT = VA_BITS - PAGE_SHIFT - 1 + STRUCT_PAGE_MAX_SHIFT (6);
  // VMALLOC_START = PAGE_OFFSET - VMALLOC_SIZE; VMEMMAP_START = VMALLOC_START - VMEMMAP_SIZE.
  // VMALLOC_SIZE = KERN_VIRT_SIZE / 2 with KERN_VIRT_SIZE = -PAGE_OFFSET (<= v5.15) or
  // PTRS_PER_PGD / 2 * PGDIR_SIZE / 2 (v6.1+).
  const vmemmapSize = 1n << BigInt(vaBits - 12 - 1 + 6);
  const kernVirt = p.riscvLayout === 'v5.6' ? two64 - PAGE_OFFSET : (256n << BigInt(shift.pgd!)) / 2n;
  const VMEMMAP_START = PAGE_OFFSET - kernVirt / 2n - vmemmapSize;
  const hot = p.riscvHotplug;
  return {
    arch: 'riscv64',
    label: `riscv64 ${mode}`,
    config: { mode, levels },
    PAGE_SHIFT: 12,
    PAGE_SIZE: 4096,
    PMD_SHIFT: 21,
    PUD_SHIFT: 30,
    SECTION_SIZE_BITS: 27, // asm/sparsemem.h, every release
    MAX_PHYSMEM_BITS: 56, // CONFIG_PA_BITS (<= v5.15), then a literal 56
    STRUCT_PAGE_SIZE: 64,
    // v6.11+ pgtable_cache_init() preallocates the level below the PGD for the whole vmemmap
    // area: populate then allocates only the levels under it
    pt: { levels, shift, allocLevels: names.slice(1) },
    VMEMMAP_START,
    VMEMMAP_END: VMEMMAP_START + vmemmapSize,
    PAGE_OFFSET,
    pageblockOrder: 9, // HPAGE_SHIFT = PMD_SHIFT
    thpPmd: true, // generic has_transparent_hugepage(): THP built in
    thpPud: p.riscvPudThp, // HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD (v6.18)
    pse: false,
    hypervisor: false,
    memblockGoal: 0,
    // the pfn whose struct page is at VMEMMAP_START: 0 (<= v6.6); phys_ram_base, PMD-aligned
    // (v6.8..v6.12); round_down(phys_ram_base, 128 MiB) = vmemmap_start_pfn (v6.13+)
    memstartAlign: p.riscvLayout === 'v6.13' ? 128 * MiB : p.riscvLayout === 'v6.11' ? 2 * MiB : 0,
    keepMemblock: p.riscvLayout === 'v6.11' || p.riscvLayout === 'v6.13', // ARCH_KEEP_MEMBLOCK if ACPI (v6.8+; Debian enables ACPI)
    ptdump: 'riscv',
    staticTablesFor: null,
    lacks: {
      ...(hot ? {} : {
        hotplug: `riscv64 has no memory hot-plug in ${p.id} (ARCH_ENABLE_MEMORY_HOTPLUG arrived in v6.11)`,
        zoneDevice: `riscv64 has no ZONE_DEVICE in ${p.id} (ARCH_HAS_PTE_DEVMAP arrived in v6.11)`,
        memmapOnMemory: `riscv64 has no memmap_on_memory in ${p.id} (ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE arrived in v6.11)`,
        daxVmemmapOpt: `riscv64 does not select ARCH_WANT_OPTIMIZE_DAX_VMEMMAP in ${p.id} (v6.11)`,
        // drivers/acpi/numa/Kconfig: ACPI_NUMA for X86 || ARM64 || LOONGARCH (read in 6.1,
        // 6.8, 6.9), every arch but x86 in 6.11; ACPI_HMAT depends on it, EFI_SOFT_RESERVE on
        // ACPI_HMAT (keyed to the v6.11 hot-plug switch: no profile lies between)
        softReserved: `riscv64 has no EFI soft-reserved memory in ${p.id} (dax_hmem needs EFI_SOFT_RESERVE -> ACPI_HMAT -> ACPI_NUMA, which riscv64 does not have up to v6.9)`,
      }),
      ...(p.riscvHvo ? {} : { hvo: `riscv64 does not select ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP in ${p.id} (v6.3)` }),
    },
    // arch/riscv/mm/hugetlbpage.c: PUD (gigantic) and PMD pages; 64K Svnapot pages need the
    // Svnapot extension (not modelled)
    hugePageSizes: [GiB, 2 * MiB],
    preallocateTopTables: hot,
  };
}

/** PAGE_END - PAGE_OFFSET with PAGE_END = KASAN_SHADOW_START = (KERNEL_LINK_ADDR - 2G - (1 << (VA_BITS - 4))) & PGDIR_MASK (asm/kasan.h). */
function linearMapSize(a: ArchConfig): number {
  const vaBits = VA_BITS[a.config.mode as RiscvMode];
  const pgdMask = ~((1n << BigInt(a.pt.shift.pgd!)) - 1n) & ((1n << 64n) - 1n);
  const pageEnd = (0xffffffff80000000n - (2n << 30n) - (1n << BigInt(vaBits - 4))) & pgdMask;
  return Number(pageEnd - a.PAGE_OFFSET);
}

export function riscvPolicy(a: ArchConfig, p: KernelProfile): ArchPolicy {
  const linear = linearMapSize(a);
  const levels = a.pt.levels;
  const gen = p.riscvPopulate;
  return {
    /**
     * arch/riscv/mm/init.c vmemmap_populate(): <= v6.6 vmemmap_populate_basepages(.., NULL);
     * v6.8 (v6.7 or v6.8) vmemmap_populate_hugepages(.., NULL); v6.11+ with the altmap. Every
     * range - also a sub-section's - gets whole PMD blocks (no size threshold).
     */
    vmemmap_populate<A>(ops: VmemmapOps<A>, r: VmemmapRange, node: number, altmap: A | null): number {
      if (gen === 'basepages') {
        ops.decide(r, 'basepages', `riscv64 maps the vmemmap with base pages in ${p.id} (vmemmap_populate_basepages)${altmap ? ', the altmap ignored (NULL)' : ''}`);
        return ops.basepages(r.start, r.end, node, null);
      }
      const alt = gen === 'hugepages' ? altmap : null;
      ops.decide(r, 'hugepages', `PMD-sized blocks for any range, sub-sections too (vmemmap_populate_hugepages)${alt ? ' from the altmap' : altmap ? `, the altmap ignored (NULL in ${p.id})` : ''}`);
      return ops.hugepages(r.start, r.end, node, alt);
    },
    // generic loop; vmemmap_check_pmd() returns 1 for any non-empty PMD (after vmemmap_verify)
    hugepages: { onFail: 'generic', tableAltmap: true, checkPmd: 'any' },
    pmdPrintTracker: false,
    free: {
      // remove_pgd_mapping(is_vmemmap): PTE tables always; PMD tables only with
      // pgtable_l4_enabled (Sv48/Sv57); PUD tables only with pgtable_l5_enabled (Sv57)
      freeTables: { pte: true, pmd: levels > 3, pud: levels > 4, p4d: false },
      floorCeiling: false,
      partialPmd: 'always', // remove_pmd_mapping(): a PMD leaf is freed whatever part the range covers
      site: 'arch/riscv/mm/init.c:remove_pgd_mapping',
      empty: !p.riscvHotplug, // no MEMORY_HOTPLUG: nothing calls it
      pteWalk: 'page', // remove_pte_mapping(): next = (addr + PAGE_SIZE) & PAGE_MASK
      pteAltmap: true, // free_vmemmap_storage(): vmem_altmap_free() whenever an altmap is given
    },
    // no memory_block_size_bytes() override: MIN_MEMORY_BLOCK_SIZE = the section size
    memoryBlockSize: () => ({ size: 2 ** a.SECTION_SIZE_BITS, messages: [] }),
    // arch_get_mappable_range() (v6.11+): [__pa(PAGE_OFFSET), __pa(PAGE_END - 1)], clamped to
    // the generic (1 << MAX_PHYSMEM_BITS) - 1
    mappableRange: (memstart: number) => ({ start: memstart, end: Math.min(memstart + linear - 1, 2 ** a.MAX_PHYSMEM_BITS - 1) }),
    populateSite: 'arch/riscv/mm/init.c:vmemmap_populate',
    // arch/riscv/mm/fault.c die_kernel_fault(): pr_alert("Unable to handle kernel %s at virtual
    // address " REG_FMT), then die(regs, "Oops") and the registers (epc not modelled)
    oopsLines: (o) => [
      { level: 1, text: `Unable to handle kernel paging request at virtual address ${o.va}\n` },
      { level: 0, text: 'Oops [#1]\n', approx: true },
      { level: 4, text: `epc : ${o.fn}+(offset)\n`, approx: true },
    ],
    // setup_bootmem(): <= v5.15 memblock_enforce_memory_limit(-PAGE_OFFSET) keeps the first
    // 128 GiB of RAM; by v6.1 memblock_cap_memory_range(phys_ram_base, KERN_VIRT_SIZE) keeps
    // [phys_ram_base, phys_ram_base + KERN_VIRT_SIZE) (Sv39 128 GiB, Sv48 64 TiB, Sv57 32 PiB)
    bootMemoryCap: (base: number) => p.riscvLayout === 'v5.6'
      ? { kind: 'limit', bytes: Number((1n << 64n) - a.PAGE_OFFSET), site: 'arch/riscv/mm/init.c:setup_bootmem (memblock_enforce_memory_limit)' }
      : { kind: 'range', start: base, end: base + 128 * 2 ** a.pt.shift.pgd!, site: 'arch/riscv/mm/init.c:setup_bootmem (memblock_cap_memory_range)' },
  };
}
