/**
 * Releases other than v6.18, each written as the differences from its neighbour. Evidence
 * per switch: docs/research/versions-x86-generic.md and versions-arm64-seed.md (snapshots:
 * 5.6.4, 5.9.1, 5.10.7, 5.15.100, 6.1.0-rc7/6.1.20, 6.6.9, 6.12.0, 6.18.2, 7.1.5).
 */
import type { KernelProfile } from './types.js';
import { v6_18 } from './v6.18.js';

/** The newest tree the source index holds (the 7.1.5 source). */
export const v7_1: KernelProfile = {
  ...v6_18,
  id: 'v7.1',
  hvo: 'v7.1', // shared per-zone tail page
  title: 'Linux 7.1 (newest available)',
  provenance: 'Linux v7.1, read in the 7.1.5 stable source: the hot-plug section code moved into mm/sparse-vmemmap.c',
  subsectionDebugFunc: 'sparse_init_subsection_map', // renamed in 7.1
  s390FreeBootmem: true, // vmem_free_pages(): free_bootmem_page() for PageReserved memory
  s390Standby: 'v7.1', // standby memory only through /sys/firmware/memory/memory<N>/config
};

export const v6_12: KernelProfile = {
  ...v6_18,
  kmemTruncatedWarning: false, // new in 6.18
  hvoPreinit: false, // pre-HVO at sparse_init is new in 6.18
  kstrtobool: 'tf', // e/E/d/D arrived after 6.12
  hvoParam: 'bool', // core_param(hugetlb_free_vmemmap, ..., bool, 0)
  id: 'v6.12',
  title: 'Linux 6.12 (Debian 12 backports / Debian 13)',
  provenance: 'Linux v6.12, read in the 6.12.0 source',
  x86MemoryBlockProbe: 'v5.10', // no memory_block_advised_max_size() yet
  // riscvLayout 'v6.13' as v6.18: "riscv: mm: Fix the out of bound issue of vmemmap address" is
  // in 6.12.10 (stable; Debian's changelog), and the 6.12.118 kernel recorded here has it
  riscvPudThp: false, // PUD THP arrived in v6.18
  s390SmallSections: false, // SECTION_SIZE_BITS 28 until v6.13
  s390ZoneDevice: false, // ZONE_DEVICE depends on ARCH_HAS_PTE_DEVMAP (v6.14); not by v6.17
  s390Hvo: true, // ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP (selected in v6.6..v6.17, not in v6.1 or v6.18)
  s390HotRemove: false, // virtio-mem supports s390 from v6.13; sclp never removes memory
  ppcRadixAlignStart: false, // radix__vmemmap_populate() walks from the raw start (6.12.0, 6.14.0)
};

export const v6_6: KernelProfile = {
  ...v6_12,
  probeFailMsg: 'v5.6', // pr_warn("%s: probe of %s failed with error %d") until 6.8 (checked in 6.8.0 and 6.9.0)
  id: 'v6.6',
  title: 'Linux 6.6',
  provenance: 'Linux v6.6, read in the 6.6.9 stable source',
  arm64Populate: 'v6.2', // generic hugepages, vmemmap_check_pmd() returns 1
  arm64VmemmapLayout: 'v5.11',
  arm64Va52AllGranules: false, // 52-bit only with 64K before v6.9
  arm64PtdumpLegacyMarkers: true,
  x86AddPagesRangeCheck: false, // 6.6.9 add_pages() goes straight to __add_pages()
  memmapOnMemory: 'v6.6', // one altmap for a one-block request, kept with the block
  daxMemmapOnMemory: false, // no dax memmap_on_memory attribute in 6.6.9
  riscvPopulate: 'basepages', // vmemmap_populate_basepages(.., NULL) until v6.8
  riscvHotplug: false, // ARCH_ENABLE_MEMORY_HOTPLUG arrived in v6.11
  riscvLayout: 'v6.1', // Sv39 PAGE_OFFSET 0xffffffd800000000, pfn 0 at VMEMMAP_START
  s390Layout: 'v6.6', // vmalloc below the absolute lowcore; 4 levels when the memory needs them
  loongarchZoneDevice: false, // ARCH_HAS_PTE_DEVMAP arrived in v6.11
  ia64: true, // removed in v6.7
  s390Populate: 'v5.9', // modify_pagetable() without the altmap until v6.9
  s390PteFullPage: false, // 2 KiB page-table fragments until v6.8
  s390Standby: 'v5.6', // add_memory(.., MHP_NONE)
  ppcMemoryLimit16M: false, // prom.c: the limit is ALIGN(.., PAGE_SIZE) (6.6.9; 6.8, 6.9.0 too)
};

export const v6_1: KernelProfile = {
  ...v6_6,
  id: 'v6.1',
  zoneDeviceInit: 'v5.17', // __init_zone_device_page() in mm/page_alloc.c (6.1.20)
  title: 'Linux 6.1.0 (MAX_STRUCT_PAGE_SIZE 128; 6.1.12+ went back to 64)',
  provenance: 'Linux v6.1, read in v6.1-rc7 and cross-checked with 6.1.20; MAX_STRUCT_PAGE_SIZE 128 from 6e9f05dc66f9 until c91d71363084 (6.1.12)',
  genericHugepages: false, // x86 private vmemmap_populate_hugepages()
  arm64Populate: 'v5.11', // own 4K loop, PMD failure -> base pages with the same altmap
  misalignedFmt: 'Misaligned %s start: %#lx end: #%lx\n',
  ndPfnInitSubtractsEndTrunc: false,
  MAX_STRUCT_PAGE_SIZE: 128, // 6e9f05dc66f9
  memmapInitZoneDeviceLevel: 6,
  memmapOnMemory: 'v5.13', // bool parameter; -EINVAL when unsupported
  daxVmemmapDedup: 'v6.1', // inline in __populate_section_memmap(), every arch
  daxCxl: false, // drivers/dax/cxl.c is newer than 6.1
  hvo: 'v6.1', // head page kept, tails read-only to it
  hvoArm64: true, // 6.1.0-rc7 selects ARCH_WANT_HUGETLB_PAGE_OPTIMIZE_VMEMMAP on arm64
  hmemKmemDefault: false, // device_dax binds hmem devices
  riscvHvo: false, // ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP arrived in v6.3
  loongarchVmemmap: false, // 6.1 LoongArch has SPARSEMEM without VMEMMAP (v6.2)
  s390Layout: 'v5.11', // the decompressor's layout, vmemmap below vmalloc; VMEM_MAX_PHYS = vmemmap
  s390Hvo: false, // ARCH_WANT_HUGETLB_PAGE_OPTIMIZE_VMEMMAP is x86/arm64 only in 6.1
  // powerpc64 v6.1: radix still goes through the vmemmap_list block code (2 MiB blocks),
  // pseries_memory_block_size(), the old altmap_cross_boundary() end test (init_64.c @ 6.1.20)
  ppcRadixPopulate: 'list',
  ppcBlockProbe: 'v6.1',
  ppcCrossEnd: 'v5.6',
};

/** The 6.1 stable series as distributions ship it (Debian 12: 6.1.192). */
export const v6_1_y: KernelProfile = {
  ...v6_1,
  id: 'v6.1.y',
  title: 'Linux 6.1.12+ stable (Debian 12 ships 6.1.x): MAX_STRUCT_PAGE_SIZE back to 64',
  provenance: 'Linux 6.1.12+ stable, read in 6.1.20; c91d71363084 (Cc stable, in 6.1.12) restored MAX_STRUCT_PAGE_SIZE 64',
  MAX_STRUCT_PAGE_SIZE: 64,
  hvoArm64: false, // arm64's select is gone in 6.1.20
};

export const v5_15: KernelProfile = {
  ...v6_1,
  id: 'v5.15',
  // powerpc64: set_pageblock_order() runs while HPAGE_SHIFT is 0 (the default huge page size is
  // set by the hugetlbpage_init() arch_initcall, arch/powerpc/mm/hugetlbpage.c @ 5.15.100)
  ppcPageblockFromHpage: false,
  zoneDeviceInit: 'v5.11', // memmap_init_range(), memmap_init_zone_device() loop inline (5.15.100)
  memunmapPutPage: true, // put_page(pfn_to_page(pfn)) for_each_device_pfn (5.15.100)
  title: 'Linux 5.15',
  provenance: 'Linux v5.15, read in the 5.15.100 stable source',
  vmemmapVerifyOnce: false,
  MAX_STRUCT_PAGE_SIZE: 64,
  memmapInitZoneDeviceLevel: 6,
  memmapOnMemoryExcludesHvo: true, // mhp_supports_memmap_on_memory(): !hugetlb_free_vmemmap_enabled
  kstrtobool: 'yn', // y/Y/1, n/N/0, on/off only
  hvo: 'v5.15', // two vmemmap pages kept, x86_64 only
  hvoArm64: false,
  hvoParam: 'onoff',
  hugetlbReport: 'v5.10',
  hugepagesNodeSyntax: false,
  daxVmemmapDedup: 'none', // no pgmap vmemmap_shift in 5.15 (compound devmaps came in v5.17)
  riscvLayout: 'v5.6', // Sv39 only, PAGE_OFFSET 0xffffffe000000000
};

export const v5_10: KernelProfile = {
  ...v5_15,
  id: 'v5.10',
  zoneDeviceInit: 'v5.9', // memmap_init_zone() (5.10.7)
  title: 'Linux 5.10',
  provenance: 'Linux v5.10, read in the 5.10.7 stable source',
  hotplugRangeCheck: 'addressable',
  offlinedPagesLevel: 6,
  sparseInitFailLeaksBuffer: true,
  memmapOnMemory: 'none', // arrived in v5.13
  hvo: 'none', // no mm/hugetlb_vmemmap.c
  memmapOnMemoryExcludesHvo: false,
  arm64Populate: 'v5.9',
  arm64SmallSections: false,
  arm64VmemmapLayout: 'v5.4',
  arm64AddMemoryCheck: 'linear-region',
  arm64BootmemNotifier: 'silent',
  s390Layout: 'v5.6', // setup_memory_end(): VMALLOC_DEFAULT_SIZE 128 GiB - 2 GiB
};

export const v5_9: KernelProfile = {
  ...v5_10,
  id: 'v5.9',
  title: 'Linux 5.9 (the altmap series landed)',
  provenance: 'Linux v5.9, read in the 5.9.1 stable source; the altmap series 1d9cfee7535c, 56993b4e147e, eee07935bb52 (docs/thread.md section 5)',
  memremapRamFmt: 'pr',
  // powerpc64 <= v5.9 (5.9.1, 5.6.4): hash-4k.h REGION_SHIFT 44 and mmu.h MAX_PHYSMEM_BITS 46 on
  // 4K kernels; init_64.c vmemmap_list_populate() WARN_ON and no -ENOMEM
  ppcLayout: 'v5.6',
  ppcListAllocFail: 'warn',
  memremapFailCheck: false,
  arm64AddMemoryCheck: 'none',
};

export const v5_6: KernelProfile = {
  ...v5_9,
  id: 'v5.6',
  title: 'Linux 5.6 (before the thread)',
  provenance: 'Linux v5.6, read in the 5.6.4 stable source',
  populateSectionAlignCheck: false,
  allocBlockBuf: 'v5.6',
  basepagesAltmap: false,
  earlySectionPartialDepopulate: true,
  hotAddMemblockAlways: true,
  memhpDefaultStateNames: 'online-offline',
  memremapCompatAlign: false,
  x86MemoryBlockProbe: 'v5.6',
  arm64Populate: 'v5.6',
  arm64HotRemove: false,
  arm64ZoneDevice: false,
  arm64BootmemNotifier: 'none',
  arm64PtdumpGpColumn: false,
  s390Populate: 'v5.6', // own walk; vmemmap_free() empty
  ppcRadixFreePud: false, // radix_pgtable.c remove_pagetable() @ 5.6.4: no free_pud_table()
};
