/**
 * s390x (z/Architecture): 4K pages; region-first/second/third tables and segment tables
 * ("CRST" tables) of 2048 eight-byte entries, allocated as order-2 pages (16 KiB), and page
 * tables of 256 entries (2 KiB) mapping 1 MiB. The kernel runs a 3-level address space (an
 * ASCE whose top table is a region-third table, limit 4 TiB) unless the memory or KASLR needs
 * more. With EDAT-1 the vmemmap is mapped with 1 MiB segment frames; without it (QEMU TCG) with
 * 4 KiB pages.
 * Constants: arch/s390/include/asm/{page,pgtable,pgalloc,sparsemem}.h @ v5.6, v6.1, v6.12, v6.13, v7.1.
 * Policy: arch/s390/mm/vmem.c (vmemmap_populate, modify_pagetable, vmemmap_free,
 * vmem_free_pages, arch_get_mappable_range) and arch/s390/mm/init.c (arch_add_memory,
 * memory_block_size_bytes) @ v5.6, v5.9, v6.1, v6.6, v6.8, v6.9, v6.12, v6.18, v7.1.
 * Layout: arch/s390/kernel/setup.c:setup_memory_end (<= v5.10), arch/s390/boot/startup.c:
 * setup_kernel_memory_layout (v5.11+). Reference: docs/research/arches.md section 5.
 */
import type { KernelProfile } from '../kernels/types.js';
import type { ArchConfig, ArchPolicy, PtLevel, VmemmapOps, VmemmapRange } from './types.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TiB = 2 ** 40;
/** CRST_ALLOC_ORDER 2: region and segment tables are four pages. */
const CRST_BYTES = 16384;
/** PTRS_PER_PTE 256 x 8 bytes. */
const PTE_TABLE_BYTES = 2048;
/** MAX_DCSS_ADDR (asm/extmem.h, v6.6+): max_mappable is at least 512 GiB. */
const MAX_DCSS_ADDR = 512 * GiB;

/** The user-visible names of s390's tables for the kernel level names the model uses (3-level ASCE). */
export const S390_LEVEL_NAMES: Partial<Record<PtLevel, string>> = { pgd: 'region-third table', pmd: 'segment table', pte: 'page table' };

/**
 * vmemmap (the struct page of pfn 0) for the 3-level layout with the default vmalloc size and
 * no KASLR: the space below the vmalloc area is split between the identity map and the vmemmap:
 * pages = SECTION_ALIGN_UP(limit / (PAGE_SIZE + sizeof(struct page))),
 * vmemmap = round_down(limit - pages x 64, 2 GiB) (a region-third entry).
 *  - v5.6..v5.10 setup_memory_end(): limit = VMALLOC_START = 4 TiB - MODULES_LEN (2 GiB) -
 *    VMALLOC_DEFAULT_SIZE (128 GiB - 2 GiB), aligned to vmax >> 11 = 2 GiB;
 *  - v5.11+ setup_kernel_memory_layout(): VMALLOC_DEFAULT_SIZE 512 GiB - 2 GiB below the
 *    modules, from v6.0 below the absolute lowcore (NR_CPUS 256 x 8 KiB) and a page too;
 *    v6.12 puts the kernel image at the top and vmalloc below it: __abs_lowcore 0x37ffe5fe000
 *    as read from a 6.12.95 kernel (QEMU, no KASLR), the same vmemmap after the rounding.
 * 0x3d080000000 up to v5.10, 0x37200000000 from v5.15 (the 6.1.176 and 6.12.95 recordings).
 */
export function s390Vmemmap(p: KernelProfile): bigint {
  const sectionPages = 2 ** (s390SectionBits(p) - 12);
  let limit: number;
  if (p.s390Layout === 'v5.6') limit = 4 * TiB - 2 * GiB - (128 * GiB - 2 * GiB);
  else if (p.s390Layout === 'v6.12') limit = 0x37ffe5fe000;
  else {
    const absLowcore = Math.floor((4 * TiB - 4096 - 256 * 8192) / 8192) * 8192;
    limit = Math.floor(absLowcore / MiB) * MiB - 2 * GiB - (512 * GiB - 2 * GiB);
  }
  const pages = Math.ceil(Math.floor(limit / 4160) / sectionPages) * sectionPages;
  return BigInt(Math.floor((limit - pages * 64) / (2 * GiB)) * 2 * GiB);
}

/**
 * Memory the 3-level layout cannot hold: the kernel then chooses a 4-level ASCE (region-second
 * table on top) and places everything else, which the model does not have. ident = the end of
 * memory (the kernel includes standby memory), vmemmap_size = SECTION_ALIGN_UP(ident / 4 KiB) x 64.
 *  - v5.6..v5.10 setup_memory_end(): 4 levels if pages x (4096 + 64) + vmalloc (126 GiB) + 2 GiB > 4 TiB;
 *  - v5.15, v6.1: if round_up(ident, 2 GiB) + vmemmap_size + vmalloc (510 GiB) + 2 GiB > 4 TiB;
 *  - v6.6: the same plus a page and the absolute lowcore (2 MiB);
 *  - v6.12+: 4 levels only with KASLR (which real machines have and QEMU TCG has not); without
 *    it the identity map is cut at vmemmap. Either way beyond what the model knows.
 */
export function s390FourLevel(p: KernelProfile, ident: number): string | null {
  const pps = 2 ** (s390SectionBits(p) - 12);
  const vmemmapSize = Math.ceil(ident / 4096 / pps) * pps * 64;
  const up2g = Math.ceil(ident / (2 * GiB)) * 2 * GiB;
  const over = p.s390Layout === 'v5.6' ? (ident / 4096) * 4160 + 126 * GiB + 2 * GiB > 4 * TiB
    : p.s390Layout === 'v5.11' ? up2g + vmemmapSize + 510 * GiB + 2 * GiB > 4 * TiB
    : up2g + vmemmapSize + 510 * GiB + 2 * GiB + 4096 + 2 * MiB > 4 * TiB;
  if (!over) return null;
  const end = `memory up to 0x${ident.toString(16)}`;
  return p.s390Layout === 'v6.12'
    ? `s390x in ${p.id} with ${end}: with KASLR the kernel switches to 4-level page tables at a random place, without it the identity map is cut at vmemmap (setup_kernel_memory_layout); the model has only the 3-level layout`
    : `s390x in ${p.id} with ${end}: the kernel switches to 4-level page tables (${p.s390Layout === 'v5.6' ? 'setup_memory_end' : 'setup_kernel_memory_layout'}), a layout the model does not have`;
}

/** SECTION_SIZE_BITS: 28 (256 MiB) up to v6.12, 27 (128 MiB) from v6.13 (asm/sparsemem.h). */
export function s390SectionBits(p: KernelProfile): number {
  return p.s390SmallSections ? 27 : 28;
}

export function s390Config(edat1: boolean, p: KernelProfile, rzm = 1): ArchConfig {
  const shift: Record<PtLevel, number | null> = { pgd: 31, p4d: null, pud: null, pmd: 20, pte: 12 };
  const VMEMMAP_START = s390Vmemmap(p);
  const sectionBits = s390SectionBits(p);
  // the identity map ends at vmemmap (ident_map_size = min(ident_map_size, vmemmap_start)):
  // struct pages for [0, vmemmap) at most, a whole number of sections
  const pps = 2n ** BigInt(sectionBits - 12);
  const pagesMax = ((VMEMMAP_START / 4096n + pps - 1n) / pps) * pps;
  const gen = p.s390Populate;
  return {
    arch: 's390x',
    label: `s390x ${edat1 ? 'EDAT-1' : 'no EDAT'}`,
    config: { edat1, levels: 3, rzm },
    PAGE_SHIFT: 12,
    PAGE_SIZE: 4096,
    PMD_SHIFT: 20, // _SEGMENT_SHIFT
    PUD_SHIFT: 31, // _REGION3_SHIFT
    SECTION_SIZE_BITS: sectionBits,
    MAX_PHYSMEM_BITS: 46, // CONFIG_MAX_PHYSMEM_BITS default (Debian: 46)
    STRUCT_PAGE_SIZE: 64,
    // 3-level ASCE: the region-third table is the top (pgd and p4d fold into it, as
    // pgd_offset() does for an _ASCE_TYPE_REGION3 ASCE); segment tables (pmd) and page tables
    // (pte) are allocated on demand
    // vmem_pte_alloc() before slab: memblock_alloc(2 KiB); after: page_table_alloc(), 2 KiB
    // fragments of a page up to v6.6, a whole page from v6.8 (arch/s390/mm/pgalloc.c)
    pt: {
      levels: 3,
      shift,
      allocLevels: ['pmd', 'pte'],
      tableBytes: { pgd: CRST_BYTES, pmd: CRST_BYTES, pte: PTE_TABLE_BYTES },
      ...(p.s390PteFullPage ? { runtimeTableBytes: { pte: 4096 } } : {}),
    },
    VMEMMAP_START,
    VMEMMAP_END: VMEMMAP_START + pagesMax * 64n,
    PAGE_OFFSET: 0n, // identity map at 0 (no RANDOMIZE_IDENTITY_BASE without KASLR)
    pageblockOrder: 8, // HPAGE_SHIFT 20
    thpPmd: edat1, // has_transparent_hugepage() = cpu_has_edat1()
    thpPud: false,
    pse: false,
    hypervisor: false,
    memblockGoal: 2 * GiB, // __pa(MAX_DMA_ADDRESS) = 0x80000000 (asm/dma.h)
    // arch/s390/mm/vmem.c vmem_crst_alloc() -> vmem_alloc_pages() and vmem_pte_alloc() before
    // slab: memblock_alloc(size, size) (memblock_phys_alloc in v5.6), NUMA_NO_NODE, v5.6..v7.1
    bootTablesAnyNode: true,
    memstartAlign: 0,
    keepMemblock: gen === 'v5.6', // selects ARCH_KEEP_MEMBLOCK in v5.6, not from v5.9
    ptdump: 's390',
    staticTablesFor: null,
    lacks: {
      ...(p.s390ZoneDevice ? {} : { zoneDevice: `s390x has no ZONE_DEVICE in ${p.id} (ZONE_DEVICE needs ARCH_HAS_PTE_DEVMAP, which s390 never selects, up to v6.14 at least; by v6.17 it needs only hot-plug, hot-remove and the vmemmap)` }),
      ...(gen === 'v6.9' ? {} : { memmapOnMemory: `s390x does not select ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE in ${p.id} (v6.9)` }),
      ...(p.s390Hvo ? {} : { hvo: `s390x does not select ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP in ${p.id} (v6.6..v6.17; dropped in v6.18)` }),
      daxVmemmapOpt: 's390x does not select ARCH_WANT_OPTIMIZE_DAX_VMEMMAP',
      // no ACPI and no EFI: DEV_DAX_HMEM depends on EFI_SOFT_RESERVE, CXL_ACPI on ACPI
      softReserved: 's390x has no EFI soft-reserved memory (dax_hmem needs EFI_SOFT_RESERVE)',
      cxl: 's390x has no CXL memory (CXL regions come from ACPI CEDT)',
      ...(p.s390HotRemove ? {} : { hotRemove: `nothing removes memory on s390x in ${p.id}: sclp adds standby memory but never removes it, and virtio-mem supports s390 from v6.13` }),
    },
    // arch_hugetlb_valid_size(): PMD_SIZE with EDAT-1 (PUD_SIZE needs EDAT-2, not modelled)
    hugePageSizes: edat1 ? [MiB] : [],
    preallocateTopTables: false,
  };
}

export function s390Policy(a: ArchConfig, p: KernelProfile): ArchPolicy {
  const edat1 = a.config.edat1 === true;
  const gen = p.s390Populate;
  const vmemmap = Number(a.VMEMMAP_START);
  return {
    /**
     * arch/s390/mm/vmem.c vmemmap_populate(): v5.6 its own walk (node honoured, altmap
     * ignored); v5.9+ add_pagetable() -> modify_pagetable(), NUMA_NO_NODE, rolled back with
     * remove_pagetable() on error (section_deactivate() frees the same range afterwards);
     * v6.9+ with the altmap. Empty segment entry: with EDAT-1 a 1 MiB frame, even for a part of
     * it (a sub-section), partial frames tracked with 0xFD; without EDAT-1 a page table and
     * 4 KiB pages.
     */
    vmemmap_populate<A>(ops: VmemmapOps<A>, r: VmemmapRange, node: number, altmap: A | null): number {
      const alt = gen === 'v6.9' ? altmap : null;
      const ignored = altmap && !alt ? `, the altmap ignored (not passed down in ${p.id}; v6.9 threads it through)` : alt ? ' from the altmap' : '';
      let ret: number;
      if (!edat1) {
        ops.decide(r, 'basepages', `no EDAT-1: a page table and 4 KiB pages (modify_pte_table)${ignored}`);
        ret = ops.basepages(r.start, r.end, node, alt);
      } else {
        ops.decide(r, 'hugepages', `EDAT-1: 1 MiB segment frames for any range, partly used ones too (modify_pmd_table)${ignored}`);
        ret = ops.hugepages(r.start, r.end, node, alt);
      }
      // v5.9+: remove_pagetable(start, end, false, altmap) undoes what the failed call mapped
      // (v5.6: nothing is undone, and vmemmap_free() is empty)
      if (ret !== 0 && gen !== 'v5.6') ops.free(r.start, r.end, alt);
      return ret;
    },
    // v5.6: a failed 1 MiB allocation returns -ENOMEM; v5.9+: a page table and 4 KiB pages
    // instead (from the same altmap, v6.9+); a segment entry holding a page table gets its
    // missing PTEs (modify_pte_table); only a large entry counts as populated
    hugepages: { onFail: gen === 'v5.6' ? 'enomem' : 'basepages', tableAltmap: true, checkPmd: 'leaf' },
    pmdPrintTracker: false,
    // modify_pagetable() (and v5.6's walk) never call vmemmap_verify()
    noVerify: true,
    // <= v6.8: vmemmap_alloc_block(), never the boot sparse buffer (v6.9: vmemmap_alloc_block_buf)
    ...(gen === 'v6.9' ? {} : { noSparseBuffer: true }),
    free: {
      // remove_pagetable(): try_free_pte_table / pmd / pud / p4d free every table whose
      // entries are all none (the top table never)
      freeTables: { pte: true, pmd: true, pud: true, p4d: true },
      floorCeiling: false,
      // a large entry partly covered: freed once vmemmap_unuse_sub_pmd() finds it all 0xFD
      partialPmd: 'if-unused',
      site: 'arch/s390/mm/vmem.c:remove_pagetable',
      empty: gen === 'v5.6', // v5.6 vmemmap_free() is empty
      pteWalk: 'page',
      pteAltmap: true, // vmem_free_pages(): vmem_altmap_free() whenever an altmap is given (v6.9+)
      // <= v6.18 vmem_free_pages()/vmem_pte_free(): boot memory (PageReserved) is kept after a
      // WARN_ON_ONCE; v7.1 frees it with free_bootmem_page()
      ...(p.s390FreeBootmem ? {} : { keepBoot: 'arch/s390/mm/vmem.c:vmem_free_pages' }),
    },
    // memory_block_size_bytes(): max(MIN_MEMORY_BLOCK_SIZE, sclp.rzm) (arch/s390/mm/init.c
    // @ v5.6..v7.1); sclp.rzm is the machine's storage increment (config rzm, MiB; QEMU
    // machines since 5.0 report 1 MiB)
    memoryBlockSize: () => ({ size: Math.max(2 ** a.SECTION_SIZE_BITS, Number(a.config.rzm) * MiB), messages: [] }),
    // vmem_add_mapping() refuses (-ERANGE) past VMEM_MAX_PHYS = vmemmap (<= v6.1), past
    // max_mappable = min(max(ident_map_size, MAX_DCSS_ADDR), vmemmap) (v6.6+). ident_map_size
    // includes standby memory, which the model does not know: the boot memory end stands in.
    mappableRange: (_memstart: number, bootMemEnd = 0) => ({
      start: 0,
      end: (p.s390Layout === 'v6.6' || p.s390Layout === 'v6.12' ? Math.min(Math.max(bootMemEnd, MAX_DCSS_ADDR), vmemmap) : vmemmap) - 1,
    }),
    populateSite: 'arch/s390/mm/vmem.c:vmemmap_populate',
    // setup_memory_end(): pr_notice("The maximum memory size is %luMB\n", ident_map_size >> 20)
    // with the "setup: " prefix (KMSG_COMPONENT), ident_map_size = min(end of memory, vmemmap)
    bootNotices: (memEnd: number) => [{ site: 'arch/s390/kernel/setup.c:setup_memory_end', text: `setup: The maximum memory size is ${Math.floor(Math.min(memEnd, vmemmap) / MiB)}MB\n` }],
    // arch/s390/mm/fault.c do_no_context(): pr_alert, dump_fault_info() (the page-aligned
    // address and the TEID), then die(regs, "Oops") with the interruption code
    oopsLines: (o) => [
      { level: 1, text: 'Unable to handle kernel pointer dereference in virtual kernel address space\n' },
      { level: 1, text: `Failing address: ${o.va} TEID: (teid)\n`, approx: true },
      { level: 4, text: 'Oops: 0011 ilc:3 [#1] \n', approx: true },
    ],
    // more memory than the 3-level layout holds: refused (s390FourLevel); below that, memory
    // above vmemmap is still dropped (setup_memory_end memblock_remove <= v5.10;
    // ident_map_size = min(ident_map_size, vmemmap_start) v5.11+)
    unmodelledBoot: (memEnd: number) => s390FourLevel(p, memEnd),
    bootMemoryCap: () => ({ kind: 'range', start: 0, end: vmemmap, site: p.s390Layout === 'v5.6' ? 'arch/s390/kernel/setup.c:setup_memory_end' : 'arch/s390/boot/startup.c:setup_kernel_memory_layout' }),
  };
}
