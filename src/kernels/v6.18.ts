import type { KernelProfile } from './types.js';

/**
 * Linux 6.18 (read in the 6.18.2 stable source), upstream Kconfig
 * defaults. The reference the other profiles are written against.
 */
export const v6_18: KernelProfile = {
  id: 'v6.18',
  title: 'Linux 6.18',
  provenance: 'Linux v6.18, read in the 6.18.2 stable source: mm/sparse.c, mm/sparse-vmemmap.c, mm/memory_hotplug.c, mm/memremap.c, drivers/nvdimm/pfn_devs.c, arch/x86/mm/init_64.c, arch/arm64/mm/mmu.c',
  kind: 'release',
  vmemmapVerifyOnce: true, // pr_warn_once since v6.1
  populateSectionAlignCheck: true, // 6cda72047ea4, v5.9
  allocBlockBuf: 'v5.9', // 56993b4e147e
  basepagesAltmap: true, // 1d9cfee7535c
  genericHugepages: true, // 2045a3b8911b, v6.2
  earlySectionPartialDepopulate: false, // ef69bc9f689d, v5.9
  sparseInitFailLeaksBuffer: false, // fixed in the v5.13 window
  subsectionDebugFunc: 'subsection_map_init',
  misalignedFmt: 'Misaligned %s start: %#lx end: %#lx\n', // v6.6+
  hotplugRangeCheck: 'mhp', // mhp_range_allowed(), v5.11
  x86AddPagesRangeCheck: true, // arch/x86/mm/init_64.c:add_pages(), DIRECT_MAP_PHYSMEM_END
  hotAddMemblockAlways: false, // only CONFIG_ARCH_KEEP_MEMBLOCK since v5.9
  memhpDefaultStateNames: 'all',
  defaultOnlineType: 'offline', // MHP_DEFAULT_ONLINE_TYPE_OFFLINE
  offlinedPagesLevel: 7,
  memmapOnMemory: 'v6.8', // 6b8f0798b85a: one altmap per memory block
  memmapOnMemoryExcludesHvo: false,
  kstrtobool: 'tfed', // enable/disable too
  daxVmemmapDedup: 'v6.6', // vmemmap_can_optimize()
  hvo: 'v6.6', // new head page, tails read-only to it
  hvoArm64: false,
  hvoPreinit: true, // hugetlb_vmemmap_init_early(), new in 6.18
  probeFailMsg: 'v6.9', // call_driver_probe() dev_err since 6.9 (6.8.0 still pr_warn)
  hvoParam: 'kstrtobool', // early_param since 6.18 (pre-HVO at sparse_init needs it)
  hugetlbReport: 'v6.1',
  hugepagesNodeSyntax: true,
  daxCxl: true,
  hmemKmemDefault: true,
  daxMemmapOnMemory: true,
  kmemTruncatedWarning: true,
  memremapRamFmt: 'llx',
  memremapFailCheck: true,
  memmapInitZoneDeviceLevel: 7,
  zoneDeviceInit: 'v6.4',
  memunmapPutPage: false,
  MAX_STRUCT_PAGE_SIZE: 64,
  ndPfnInitSubtractsEndTrunc: true, // v6.6+
  memremapCompatAlign: true, // v5.7+
  x86MemoryBlockProbe: 'v6.18', // memory_block_advised_max_size()
  arm64Populate: 'v6.14',
  arm64SmallSections: true, // v5.12
  arm64VmemmapLayout: 'v6.9',
  arm64Va52AllGranules: true, // LPA2, v6.9
  arm64HotRemove: true, // v5.7
  arm64ZoneDevice: true,
  arm64AddMemoryCheck: 'mhp',
  arm64BootmemNotifier: 'warn',
  arm64PtdumpLegacyMarkers: false,
  arm64PtdumpGpColumn: true,
  riscvPopulate: 'hugepages',
  riscvHotplug: true,
  riscvLayout: 'v6.13',
  riscvHvo: true,
  riscvPudThp: true,
  loongarchVmemmap: true,
  loongarchZoneDevice: true,
  ia64: false, // removed in v6.7
  s390Populate: 'v6.9',
  s390Layout: 'v6.12',
  s390SmallSections: true, // v6.13
  s390PteFullPage: true, // v6.8
  s390ZoneDevice: true, // v6.17
  s390Hvo: false, // dropped in v6.18
  s390HotRemove: true, // virtio-mem on s390, v6.13
  s390FreeBootmem: false,
  s390Standby: 'v6.9',
  ppc64: true,
  ppcRadixPopulate: 'radix',
  ppcBlockProbe: 'v6.6',
  ppcCrossEnd: 'v6.4',
  ppcMemoryLimit16M: true, // prom.c early_init_devtree(): ALIGN_DOWN(memory_limit ?: memblock_phys_mem_size(), SZ_16M)
  ppcPageblockFromHpage: true, // hugetlbpage_init_defaultsize() in mmu_early_init_devtree()
  ppcLayout: 'v5.10',
  ppcListAllocFail: 'enomem',
  ppcRadixFreePud: true,
  ppcRadixAlignStart: true, // radix__vmemmap_populate() aligns start (in 6.17.0, not in 6.14.0)
};
