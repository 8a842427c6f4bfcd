/**
 * The behaviour switches of a kernel profile, documented: the kernel file each one lives in,
 * what it decides, and what each value means with the release or commit that brought it.
 * The type makes every switch of KernelProfile appear here (a new switch without its
 * documentation does not compile). `vmemlab compare` uses this to say which switch makes a
 * difference; `vmemlab kernels --switches` prints it.
 */
import type { KernelProfile } from './types.js';

/** Profile fields that are not behaviour. */
export const NOT_SWITCHES = ['id', 'title', 'provenance', 'kind', 'policies'] as const;
export type SwitchKey = Exclude<keyof KernelProfile, (typeof NOT_SWITCHES)[number]>;

export interface SwitchDoc {
  /** Kernel source file(s) and function. */
  site: string;
  /** What the switch decides. */
  what: string;
  /** Each value: what it means, and where it comes from (release, commit). */
  values: Record<string, string>;
}

export const SWITCHES: Record<SwitchKey, SwitchDoc> = {
  vmemmapVerifyOnce: {
    site: 'mm/sparse-vmemmap.c:vmemmap_verify',
    what: 'how often "potential offnode page_structs" is printed',
    values: { false: 'pr_warn every time (up to v6.0)', true: 'pr_warn_once (v6.1)' },
  },
  populateSectionAlignCheck: {
    site: 'mm/sparse-vmemmap.c:__populate_section_memmap',
    what: 'a populate request not aligned to sub-sections',
    values: { false: 'rounded out to sub-sections (v5.6)', true: 'WARN_ON_ONCE and NULL (v5.9, 6cda72047ea4)' },
  },
  allocBlockBuf: {
    site: 'mm/sparse-vmemmap.c:vmemmap_alloc_block_buf',
    what: 'where memmap blocks come from when an altmap is given',
    values: {
      'v5.6': 'two arguments, no altmap: callers use altmap_alloc_block_buf themselves (v5.6)',
      'v5.9': 'the altmap is the only source when given (v5.9, 56993b4e147e)',
      'fallback-as-posted': 'the thread\'s follow-up (2020-03-24) as posted: the altmap is tried, then RAM is used whether or not it succeeded',
    },
  },
  basepagesAltmap: {
    site: 'mm/sparse-vmemmap.c:vmemmap_populate_basepages',
    what: 'whether base-page vmemmap mappings honour a struct vmem_altmap',
    values: { false: 'no: base pages always come from RAM (v5.6)', true: 'yes (v5.9, 1d9cfee7535c; the thread\'s PATCH V2 1/2)' },
  },
  genericHugepages: {
    site: 'mm/sparse-vmemmap.c:vmemmap_populate_hugepages',
    what: 'which PMD loop x86 runs',
    values: { false: 'x86\'s private copy in arch/x86/mm/init_64.c (up to v6.1)', true: 'the generic one (v6.2, 2045a3b8911b)' },
  },
  earlySectionPartialDepopulate: {
    site: 'mm/sparse.c:section_deactivate',
    what: 'removing part of a boot (early) section',
    values: { true: 'depopulates that part of its memmap (v5.6 bug)', false: 'keeps it (v5.9, ef69bc9f689d)' },
  },
  sparseInitFailLeaksBuffer: {
    site: 'mm/sparse.c:sparse_init_nid',
    what: 'a failed boot populate and the sparse buffer',
    values: { true: 'skips sparse_buffer_fini(): the rest of the buffer leaks (up to 5.10.7)', false: 'frees it (fixed in the v5.13 window)' },
  },
  subsectionDebugFunc: {
    site: 'mm/sparse.c / mm/sparse-vmemmap.c',
    what: 'the function name in the sub-section map debug line',
    values: { subsection_map_init: 'up to v6.18', sparse_init_subsection_map: 'v7.1 (renamed)' },
  },
  probeFailMsg: {
    site: 'drivers/base/dd.c:call_driver_probe',
    what: 'the message of a failed driver probe',
    values: { 'v5.6': 'pr_warn "probe of %s failed with error %d" (up to v6.8)', 'v6.9': 'dev_err "probe with driver %s failed with error %d" (v6.9)' },
  },
  misalignedFmt: {
    site: 'mm/memory_hotplug.c:check_pfn_span',
    what: 'the misalignment WARN\'s format',
    values: { 'Misaligned %s start: %#lx end: #%lx\n': 'with the "#%lx" typo (up to v6.5)', 'Misaligned %s start: %#lx end: %#lx\n': 'fixed (v6.6)' },
  },
  hotplugRangeCheck: {
    site: 'mm/memory_hotplug.c:add_memory_resource / __add_pages',
    what: 'how a hot-add beyond the addressable range is refused',
    values: { addressable: 'check_hotplug_memory_addressable() in __add_pages, -E2BIG after the resource and block checks (up to v5.10)', mhp: 'mhp_range_allowed() first (v5.11)' },
  },
  x86AddPagesRangeCheck: {
    site: 'arch/x86/mm/init_64.c:add_pages',
    what: 'x86 add_pages() refusing a range past the direct map\'s end',
    values: { false: 'no check (up to v6.10)', true: 'WARN + -ERANGE past DIRECT_MAP_PHYSMEM_END (v6.11 KASLR physmem_end work)' },
  },
  hotAddMemblockAlways: {
    site: 'mm/memory_hotplug.c:add_memory_resource',
    what: 'hot-added memory in memblock (added in add_memory_resource(), removed in try_remove_memory())',
    values: { true: 'added and removed on every arch (v5.6, v5.7)', false: 'only with CONFIG_ARCH_KEEP_MEMBLOCK (v5.8+)' },
  },
  memhpDefaultStateNames: {
    site: 'mm/memory_hotplug.c:setup_memhp_default_state',
    what: 'the values memhp_default_state= accepts',
    values: { 'online-offline': 'online and offline only (v5.6)', all: 'online, offline, online_kernel, online_movable (v5.9)' },
  },
  defaultOnlineType: {
    site: 'mm/memory_hotplug.c (CONFIG_MHP_DEFAULT_ONLINE_TYPE)',
    what: 'how hot-added memory is onlined without memhp_default_state=',
    values: { offline: 'stays offline (upstream default)', online: 'online', online_kernel: 'online to a kernel zone', online_movable: 'online to ZONE_MOVABLE' },
  },
  memmapOnMemory: {
    site: 'mm/memory_hotplug.c:mhp_supports_memmap_on_memory / add_memory_resource',
    what: 'memory_hotplug.memmap_on_memory: the memmap of hot-added memory inside that memory',
    values: {
      none: 'the parameter does not exist (up to v5.12)',
      'v5.13': 'bool parameter; one altmap for a one-block request; unsupported -> -EINVAL (v5.13, a08a2ae34613)',
      'v6.6': '"force" too; the altmap stays with the block; silent fallback to RAM (v6.6)',
      'v6.8': 'a request of many blocks is split: one altmap per memory block (v6.8, 6b8f0798b85a)',
    },
  },
  daxVmemmapDedup: {
    site: 'mm/sparse-vmemmap.c:__populate_section_memmap / vmemmap_can_optimize',
    what: 'device-dax compound-page vmemmap dedup',
    values: { none: 'no vmemmap_shift (up to v5.16)', 'v6.1': 'inline rule, every arch (v5.17..v6.5)', 'v6.6': 'vmemmap_can_optimize(): arch opt-in (x86_64, not arm64), no altmap, more than 2 vmemmap pages (v6.6)' },
  },
  hvo: {
    site: 'mm/hugetlb_vmemmap.c',
    what: 'HugeTLB vmemmap optimisation',
    values: { none: 'none (up to v5.13)', 'v5.15': 'keeps 2 vmemmap pages per huge page (v5.14/v5.15)', 'v6.1': 'keeps the head page (v6.0/v6.1)', 'v6.6': 'allocates a new head and frees the old one (v6.6..v6.18)', 'v7.1': 'tails map one shared tail page per zone and order (v7.1)' },
  },
  hvoPreinit: {
    site: 'mm/hugetlb_vmemmap.c:hugetlb_vmemmap_init_early',
    what: 'boot-time gigantic pages get an optimised vmemmap at sparse_init',
    values: { false: 'no (up to v6.17)', true: 'yes, CONFIG_SPARSEMEM_VMEMMAP_PREINIT on x86_64 (v6.18)' },
  },
  hvoArm64: {
    site: 'arch/arm64/Kconfig (ARCH_WANT_HUGETLB_PAGE_OPTIMIZE_VMEMMAP)',
    what: 'whether arm64 has HVO',
    values: { true: 'selected (6.1.0-rc7)', false: 'not selected (6.1.20 and every other release modelled)' },
  },
  hvoParam: {
    site: 'mm/hugetlb_vmemmap.c (hugetlb_free_vmemmap=)',
    what: 'how hugetlb_free_vmemmap= is parsed',
    values: { onoff: 'exactly on/off (v5.15)', bool: 'param_set_bool: no value means on (v6.1..v6.12)', kstrtobool: 'early_param with kstrtobool (v6.18)' },
  },
  hugetlbReport: {
    site: 'mm/hugetlb.c:report_hugepages',
    what: 'the "HugeTLB registered" boot line',
    values: { 'v5.10': 'no colon, no vmemmap line (up to v5.15)', 'v6.1': 'with a colon and the freeable-vmemmap line (v6.1)' },
  },
  hugepagesNodeSyntax: {
    site: 'mm/hugetlb.c:hugepages_setup',
    what: 'hugepages=<node>:<count>,... on the command line',
    values: { false: 'not accepted (up to v5.15)', true: 'accepted (v6.1)' },
  },
  daxCxl: {
    site: 'drivers/dax/cxl.c',
    what: 'dax_cxl: CXL RAM regions become dax devices',
    values: { false: 'no such driver (up to v6.2)', true: 'present (v6.3)' },
  },
  hmemKmemDefault: {
    site: 'drivers/dax/hmem, drivers/dax/cxl.c (IORESOURCE_DAX_KMEM)',
    what: 'which driver binds soft-reserved and CXL dax devices at boot',
    values: { false: 'device_dax (up to v6.5)', true: 'kmem: the memory becomes System RAM (v6.6)' },
  },
  daxMemmapOnMemory: {
    site: 'drivers/dax/bus.c, drivers/dax/kmem.c',
    what: 'the dax device memmap_on_memory attribute',
    values: { false: 'absent (up to v6.7)', true: 'present; kmem passes MHP_MEMMAP_ON_MEMORY (v6.8)' },
  },
  kmemTruncatedWarning: {
    site: 'drivers/dax/kmem.c:dev_dax_kmem_probe',
    what: '"DAX region truncated by %s due to alignment"',
    values: { false: 'not printed (up to v6.17)', true: 'printed (v6.18)' },
  },
  kstrtobool: {
    site: 'lib/kstrtox.c:kstrtobool',
    what: 'the letters boolean parameters accept',
    values: { yn: 'y/n/1/0/on/off (v5.15)', tf: 'also t/f (v6.1..v6.12)', tfed: 'also e/d, enable/disable (v6.18)' },
  },
  memmapOnMemoryExcludesHvo: {
    site: 'mm/memory_hotplug.c:mhp_supports_memmap_on_memory',
    what: 'memmap_on_memory refused while hugetlb_free_vmemmap is on',
    values: { true: 'refused (v5.15)', false: 'allowed (v6.1)' },
  },
  offlinedPagesLevel: {
    site: 'mm/memory_hotplug.c:offline_pages',
    what: 'the level of "Offlined Pages %ld"',
    values: { 6: 'pr_info (up to v5.10)', 7: 'pr_debug (v5.11)' },
  },
  memremapRamFmt: {
    site: 'mm/memremap.c:pagemap_range',
    what: 'the "attempted on ... region" WARN format',
    values: { pr: '%pr with __func__ (v5.6, v5.9)', llx: '%#llx-%#llx (v5.10)' },
  },
  memremapFailCheck: {
    site: 'mm/memremap.c:memremap_pages',
    what: 'what a failed memremap_pages() does',
    values: { false: 'returns (up to v5.9)', true: 'runs memunmap_pages() and its altmap check (v5.10)' },
  },
  memmapInitZoneDeviceLevel: {
    site: 'mm/mm_init.c:memmap_init_zone_device',
    what: 'the level of its "initialised %lu pages" message',
    values: { 6: 'pr_info (up to v6.1)', 7: 'pr_debug (v6.6)' },
  },
  zoneDeviceInit: {
    site: 'mm/mm_init.c:memmap_init_zone_device (mm/page_alloc.c before v6.4)',
    what: 'the functions that first write a new ZONE_DEVICE pgmap\'s struct pages (where an unmapped one oopses)',
    values: {
      'v5.9': 'memmap_init_zone() (the altmap\'s pages) and memmap_init_zone_device() in mm/page_alloc.c (read in 5.9.1, 5.10.7)',
      'v5.11': 'memmap_init_range() (renamed in v5.11) and memmap_init_zone_device() in mm/page_alloc.c (read in 5.15.100)',
      'v5.17': 'memmap_init_range() and __init_zone_device_page() per page (v5.17 refactor for compound pages) in mm/page_alloc.c (read in 6.1.20)',
      'v6.4': 'the same in mm/mm_init.c (v6.4 split; read in 6.6.9, 6.12.0, 7.1.5)',
    },
  },
  memunmapPutPage: {
    site: 'mm/memremap.c:memunmap_pages',
    what: 'which struct pages tearing down a pgmap reads before unmapping them',
    values: { true: 'put_page() of every device page, then the first page (read in 5.9.1, 5.10.7, 5.15.100)', false: 'percpu_ref_put_many() (no page), then page_zone() of the first page (read in 6.1.20 .. 7.1.5)' },
  },
  MAX_STRUCT_PAGE_SIZE: {
    site: 'drivers/nvdimm/pfn_devs.c (MAX_STRUCT_PAGE_SIZE)',
    what: 'bytes reserved on the device per page for its struct page (--map=dev)',
    values: { 64: '64 (every release but 6.1.0-6.1.11)', 128: '128 (6e9f05dc66f9, 6.1.0; reverted by c91d71363084 in 6.1.12)' },
  },
  ndPfnInitSubtractsEndTrunc: {
    site: 'drivers/nvdimm/pfn_devs.c:nd_pfn_init',
    what: 'the data-offset check',
    values: { false: 'dataoff >= size (up to v6.5)', true: 'dataoff >= size - end_trunc (v6.6)' },
  },
  memremapCompatAlign: {
    site: 'drivers/nvdimm/pfn_devs.c:nd_pfn_init (memremap_compat_align)',
    what: 'the namespace start check',
    values: { false: 'fixed 2 MiB, no start check (v5.6)', true: 'memremap_compat_align() and the start check (v5.7)' },
  },
  x86MemoryBlockProbe: {
    site: 'arch/x86/mm/init_64.c:probe_memory_block_size',
    what: 'the x86 memory block size',
    values: { 'v5.6': 'halving until it divides the end of RAM, also on bare metal (v5.6)', 'v5.10': 'bare metal with 64 GiB or more: 2 GiB (v5.10)', 'v6.18': 'memory_block_advised_max_size() first (v6.18)' },
  },
  arm64Populate: {
    site: 'arch/arm64/mm/mmu.c:vmemmap_populate',
    what: 'the arm64 vmemmap_populate() generation',
    values: {
      'v5.6': '4K: own PMD loop, altmap ignored; 16K/64K: base pages without altmap (v5.6)',
      'v5.9': '4K: own PMD loop, 16K/64K: base pages, both with the altmap honoured; PMD failure -ENOMEM (v5.9, eee07935bb52)',
      'v5.11': '4K: a failed PMD falls back to base pages with the same altmap (v5.11, 9f84f39f5515)',
      'v6.2': '4K: generic vmemmap_populate_hugepages (v6.2)',
      'v6.14': 'sub-section ranges get base pages; vmemmap_check_pmd = pmd_sect (v6.14)',
      robin: 'Robin Murphy\'s consolidation sketch (2020-03-20): 16K/64K one base page per PMD step, altmap ignored',
    },
  },
  arm64SmallSections: {
    site: 'arch/arm64/include/asm/sparsemem.h (SECTION_SIZE_BITS)',
    what: 'the arm64 section size',
    values: { false: '1 GiB sections (up to v5.11)', true: '128 MiB (4K/16K) or 512 MiB (64K) sections (v5.12)' },
  },
  arm64VmemmapLayout: {
    site: 'arch/arm64/include/asm/memory.h (VMEMMAP_START)',
    what: 'where the arm64 vmemmap window sits',
    values: { 'v5.4': 'START = -SIZE - 2M (v5.4..v5.10)', 'v5.11': 'a projection of the linear map (v5.11..v6.8)', 'v6.9': 'END = -1G (v6.9)' },
  },
  arm64Va52AllGranules: {
    site: 'arch/arm64/Kconfig (ARM64_VA_BITS_52, LPA2)',
    what: '52-bit VA on arm64',
    values: { false: 'only with 64K pages (up to v6.8)', true: 'with every granule (LPA2, v6.9)' },
  },
  arm64HotRemove: {
    site: 'arch/arm64/mm/mmu.c:vmemmap_free / arch_remove_memory',
    what: 'arm64 memory hot-remove',
    values: { false: 'none: MEMORY_HOTREMOVE not offered, vmemmap_free() empty (v5.6)', true: 'supported (v5.7)' },
  },
  arm64ZoneDevice: {
    site: 'arch/arm64/Kconfig (ZONE_DEVICE needs MEMORY_HOTREMOVE)',
    what: 'ZONE_DEVICE on arm64 (pmem namespaces in fsdax/devdax mode)',
    values: { false: 'unavailable (v5.6)', true: 'available (v5.7)' },
  },
  arm64AddMemoryCheck: {
    site: 'arch/arm64/mm/mmu.c:arch_add_memory',
    what: 'the arm64 hot-add range check',
    values: { none: 'none (up to v5.9)', 'linear-region': 'the linear-region pr_err (v5.10)', mhp: 'the generic mhp_range_allowed() (v5.11)' },
  },
  arm64BootmemNotifier: {
    site: 'arch/arm64/mm/mmu.c:prevent_bootmem_remove_notifier',
    what: 'offlining arm64 boot memory',
    values: { none: 'no notifier (v5.6)', silent: 'NOTIFY_BAD without a message (v5.7..v5.10)', warn: 'refused with messages (v5.11)' },
  },
  arm64PtdumpLegacyMarkers: {
    site: 'arch/arm64/mm/ptdump.c',
    what: 'the address markers of the arm64 page-table dump',
    values: { true: '"PCI I/O end" before "vmemmap start" (up to v6.8)', false: 'the v6.9 layout' },
  },
  arm64PtdumpGpColumn: {
    site: 'arch/arm64/mm/ptdump.c',
    what: 'the GP (BTI) column of the arm64 page-table dump',
    values: { false: 'absent (v5.6)', true: 'present (v5.9)' },
  },
  riscvPopulate: {
    site: 'arch/riscv/mm/init.c:vmemmap_populate',
    what: 'how riscv64 maps the vmemmap, and whether it honours an altmap',
    values: {
      basepages: 'vmemmap_populate_basepages(start, end, node, NULL): base pages from RAM (up to v6.6)',
      'hugepages-noaltmap': 'vmemmap_populate_hugepages(start, end, node, NULL): PMD blocks from RAM (v6.8..v6.10; no profile has it)',
      hugepages: 'vmemmap_populate_hugepages(start, end, node, altmap): PMD blocks, from the altmap when given (v6.11)',
    },
  },
  riscvHotplug: {
    site: 'arch/riscv/Kconfig (ARCH_ENABLE_MEMORY_HOTPLUG, ARCH_HAS_PTE_DEVMAP, ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE, ARCH_WANT_OPTIMIZE_DAX_VMEMMAP); arch/riscv/mm/init.c:pgtable_cache_init',
    what: 'riscv64 memory hot-plug/remove, ZONE_DEVICE, memmap_on_memory, DAX vmemmap dedup, and the vmemmap top tables preallocated after boot',
    values: { false: 'none of them (up to v6.10)', true: 'all of them (v6.11)' },
  },
  riscvLayout: {
    site: 'arch/riscv/include/asm/{page,pgtable}.h, arch/riscv/mm/init.c:setup_bootmem',
    what: 'riscv64 paging modes, PAGE_OFFSET and which pfn sits at VMEMMAP_START',
    values: {
      'v5.6': 'Sv39 only; VMEMMAP_START 0xffffffcf00000000, pfn 0 there (up to v5.15)',
      'v6.1': 'Sv39/48/57; Sv39 VMEMMAP_START 0xffffffc700000000, pfn 0 there (v6.1..v6.6)',
      'v6.11': 'Sv39 VMEMMAP_START 0xffffffc500000000; the pfn of phys_ram_base (PMD-aligned) at VMEMMAP_START (v6.8..v6.12.9; no profile has it)',
      'v6.13': 'vmemmap_start_pfn: phys_ram_base rounded down to 128 MiB (v6.13; stable 6.12.10)',
    },
  },
  riscvHvo: {
    site: 'arch/riscv/Kconfig (ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP)',
    what: 'whether riscv64 has HVO',
    values: { false: 'not selected (up to v6.2)', true: 'selected (v6.3)' },
  },
  riscvPudThp: {
    site: 'arch/riscv/Kconfig (HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD)',
    what: 'whether nvdimm pfn devices on riscv64 accept a 1 GiB alignment',
    values: { false: 'no (up to v6.17)', true: 'yes (v6.18)' },
  },
  loongarchVmemmap: {
    site: 'arch/loongarch/Kconfig (SPARSEMEM_VMEMMAP_ENABLE)',
    what: 'whether LoongArch has a vmemmap at all',
    values: { false: 'no: SPARSEMEM without VMEMMAP (v5.19..v6.1)', true: 'yes (v6.2)' },
  },
  loongarchZoneDevice: {
    site: 'arch/loongarch/Kconfig (ARCH_HAS_PTE_DEVMAP)',
    what: 'ZONE_DEVICE on LoongArch (pmem namespaces in fsdax/devdax mode)',
    values: { false: 'unavailable (up to v6.10)', true: 'available (v6.11)' },
  },
  ppc64: {
    site: 'arch/powerpc/mm/init_64.c, arch/powerpc/mm/book3s64/radix_pgtable.c',
    what: 'whether the model has powerpc64 in this profile',
    values: { true: 'yes (every profile)', false: 'not modelled' },
  },
  ppcPageblockFromHpage: {
    site: 'mm/page_alloc.c:set_pageblock_order, arch/powerpc/mm/init_64.c:mmu_early_init_devtree',
    what: 'where powerpc64 pageblock_order comes from',
    values: { false: 'MAX_ORDER - 1 (12 on 4K, 8 on 64K): HPAGE_SHIFT is set later, by the hugetlbpage_init() arch_initcall (<= v5.15)', true: 'HPAGE_SHIFT - PAGE_SHIFT: radix 2 MiB (9 / 5), hash 16 MiB (12 / 8); hugetlbpage_init_defaultsize() runs in mmu_early_init_devtree() (v6.1)' },
  },
  ppcMemoryLimit16M: {
    site: 'arch/powerpc/kernel/prom.c:early_init_devtree',
    what: 'the memory limit powerpc64 enforces on boot RAM (memblock_enforce_memory_limit)',
    values: { false: 'the RAM size aligned up to a page: nothing dropped (up to v6.9)', true: 'the RAM size aligned down to 16 MiB: RAM past the last whole 16 MiB is dropped (v6.11)' },
  },
  ppcLayout: {
    site: 'arch/powerpc/include/asm/book3s/64/{hash-4k.h,mmu.h,pgtable.h}',
    what: 'the powerpc64 4K-page kernel\'s hash vmemmap region and MAX_PHYSMEM_BITS',
    values: { 'v5.6': 'hash 4K vmemmap at 0xc000300000000000 (REGION_SHIFT 44); MAX_PHYSMEM_BITS 46 on 4K kernels, 51 on 64K (<= v5.9)', 'v5.10': 'hash 4K vmemmap at 0xc0003f0000000000 (REGION_SHIFT 40); MAX_PHYSMEM_BITS 51 (v5.10)' },
  },
  ppcListAllocFail: {
    site: 'arch/powerpc/mm/init_64.c:vmemmap_list_populate',
    what: 'what powerpc64 does when a vmemmap_list entry cannot be allocated',
    values: { warn: 'WARN_ON twice, the block stays mapped without an entry; vmemmap_free() WARNs and keeps it (<= v5.9)', enomem: 'the block is given back, -ENOMEM (v5.10)' },
  },
  ppcRadixFreePud: {
    site: 'arch/powerpc/mm/book3s64/radix_pgtable.c:remove_pagetable',
    what: 'whether radix vmemmap removal frees empty PUD tables',
    values: { false: 'no: only PTE and PMD tables (v5.6)', true: 'yes: free_pud_table() (v5.9)' },
  },
  ppcRadixPopulate: {
    site: 'arch/powerpc/mm/init_64.c:vmemmap_populate, arch/powerpc/mm/book3s64/radix_pgtable.c:radix__vmemmap_populate',
    what: 'how powerpc radix maps the vmemmap',
    values: { list: '2 MiB blocks through the vmemmap_list code, the altmap unless a block crosses the device, RAM otherwise (<= v6.5)', radix: 'radix__vmemmap_populate(): PMD blocks or base pages, per-page altmap checks, no vmemmap_list (v6.6)' },
  },
  ppcBlockProbe: {
    site: 'arch/powerpc/platforms/pseries/hotplug-memory.c:pseries_memory_block_size, arch/powerpc/mm/init_64.c:probe_memory_block_size',
    what: 'the powerpc memory block size',
    values: { 'v6.1': 'ibm,lmb-size, else the size of the memory node after memory@0, else 16 MiB (<= v6.5)', 'v6.6': 'ibm,lmb-size, else from 1 GiB down in steps of 4 while a memory node size has the bit set (v6.6)' },
  },
  ppcCrossEnd: {
    site: 'arch/powerpc/mm/init_64.c:altmap_cross_boundary',
    what: 'whether a vmemmap block ending on the device\'s last pfn crosses its boundary',
    values: { 'v5.6': 'yes: start_pfn + nr_pfn > end_pfn (<= v6.3)', 'v6.4': 'no: start_pfn + nr_pfn - 1 > end_pfn (v6.4)' },
  },
  ppcRadixAlignStart: {
    site: 'arch/powerpc/mm/book3s64/radix_pgtable.c:radix__vmemmap_populate',
    what: 'whether radix__vmemmap_populate() aligns the start address',
    values: { false: 'the raw start (v6.6..v6.14): with 64K pages a call can start inside a page', true: 'ALIGN_DOWN to PAGE_SIZE with an altmap, PMD_SIZE without (v6.17)' },
  },
  ia64: {
    site: 'arch/ia64',
    what: 'whether the kernel has the ia64 (Itanium) architecture',
    values: { true: 'yes (up to v6.6)', false: 'no: removed in v6.7 ("arch: Remove Itanium (IA-64) architecture")' },
  },
  s390Populate: {
    site: 'arch/s390/mm/vmem.c:vmemmap_populate / vmemmap_free; arch/s390/mm/init.c:arch_add_memory',
    what: 'how s390x maps the vmemmap, whether it honours an altmap, and whether vmemmap_free() does anything',
    values: {
      'v5.6': 'its own walk: node honoured, a failed 1 MiB frame is -ENOMEM, altmap ignored, vmemmap_free() empty (v5.6)',
      'v5.9': 'modify_pagetable(): NUMA_NO_NODE, a failed 1 MiB frame falls back to 4 KiB pages, rollback on error, vmemmap_free() frees leaves and empty tables; no altmap (arch_add_memory() WARNs and refuses one) (v5.9)',
      'v6.9': 'the altmap threaded through: frames and pages from vmemmap_alloc_block_buf(.., altmap); memmap_on_memory (v6.9)',
    },
  },
  s390Layout: {
    site: 'arch/s390/kernel/setup.c:setup_memory_end, arch/s390/boot/startup.c:setup_kernel_memory_layout, arch/s390/mm/vmem.c:arch_get_mappable_range',
    what: 'where s390x puts the vmemmap (3-level layout, no KASLR) and how far hot-added memory may go',
    values: {
      'v5.6': 'below a 128 GiB vmalloc area: vmemmap 0x3d080000000; hot-add up to vmemmap (VMEM_MAX_PHYS) (up to v5.10)',
      'v5.11': 'the decompressor: below a 512 GiB vmalloc area, vmemmap 0x37200000000; hot-add up to vmemmap (v5.11)',
      'v6.6': 'the same vmemmap; hot-add up to max_mappable = min(max(ident_map_size, 512 GiB), vmemmap) (v6.6)',
      'v6.12': 'the kernel image at the top, vmalloc below it, the same vmemmap; a 4-level layout only with KASLR (read in v6.12)',
    },
  },
  s390SmallSections: {
    site: 'arch/s390/include/asm/sparsemem.h',
    what: 'the s390x section size (and so the memory block size)',
    values: { false: 'SECTION_SIZE_BITS 28: 256 MiB (up to v6.12)', true: 'SECTION_SIZE_BITS 27: 128 MiB (v6.13)' },
  },
  s390PteFullPage: {
    site: 'arch/s390/mm/pgalloc.c:page_table_alloc',
    what: 'RAM a 2 KiB s390x page table takes when allocated after boot',
    values: { false: 'a 2 KiB fragment, two tables to a page (up to v6.7)', true: 'a whole 4 KiB page (v6.8)' },
  },
  s390ZoneDevice: {
    site: 'mm/Kconfig (ZONE_DEVICE)',
    what: 'ZONE_DEVICE on s390x (pmem namespaces in fsdax/devdax mode)',
    values: { false: 'unavailable: ZONE_DEVICE depends on ARCH_HAS_PTE_DEVMAP (read in v6.14)', true: 'available: ZONE_DEVICE needs only hot-plug, hot-remove and the vmemmap (read in v6.17)' },
  },
  s390Hvo: {
    site: 'arch/s390/Kconfig (ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP)',
    what: 'whether s390x has HVO',
    values: { false: 'not selected (v6.1 and earlier; v6.18)', true: 'selected (read in v6.6, v6.12, v6.14, v6.17)' },
  },
  s390HotRemove: {
    site: 'drivers/virtio/Kconfig (VIRTIO_MEM), drivers/s390/char/sclp_mem.c',
    what: 'whether anything removes memory on s390x',
    values: { false: 'nothing: sclp adds standby memory and never removes it (up to v6.12)', true: 'virtio-mem (v6.13), sclp memory<N>/config (v7.1)' },
  },
  s390FreeBootmem: {
    site: 'arch/s390/mm/vmem.c:vmem_free_pages / vmem_pte_free',
    what: 'what s390x vmemmap_free() does with boot memory (the boot memmap and boot page tables)',
    values: { false: 'WARN_ON_ONCE and keeps it ("We don\'t expect boot memory to be removed ever.") (up to v6.18)', true: 'frees it with free_bootmem_page() (v7.1)' },
  },
  s390Standby: {
    site: 'drivers/s390/char/sclp_cmd.c / sclp_mem.c',
    what: 'how s390x adds standby memory (the model\'s hot-add step)',
    values: {
      'v5.6': 'add_memory() per memory block at boot, no flags (up to v6.8)',
      'v6.9': 'add_memory() per block with MHP_MEMMAP_ON_MEMORY | MHP_OFFLINE_INACCESSIBLE when the CPU has EDAT-1 (v6.9)',
      'v7.1': 'writing 1 to /sys/firmware/memory/memory<N>/config: __add_memory() with MHP_MEMMAP_ON_MEMORY when the block\'s memmap_on_memory (default: supported) is set (v7.1)',
    },
  },
};

export const SWITCH_KEYS = Object.keys(SWITCHES) as SwitchKey[];

/** The switches on which two profiles differ. */
export function switchDiff(a: KernelProfile, b: KernelProfile): SwitchKey[] {
  return SWITCH_KEYS.filter((k) => a[k] !== b[k]);
}

/** "memmapOnMemory: v6.1 'v5.13' -> v6.6 'v6.6' (...)" */
export function describeSwitch(key: SwitchKey, a: KernelProfile, b: KernelProfile): string {
  const d = SWITCHES[key];
  const v = (p: KernelProfile) => String(p[key]);
  return `${key} (${d.site}): ${a.id} ${d.values[v(a)] ?? v(a)} -> ${b.id} ${d.values[v(b)] ?? v(b)}`;
}

export interface SwitchListing {
  key: SwitchKey;
  site: string;
  what: string;
  values: { value: string; meaning: string; profiles: string[] }[];
}

/** Every switch, its values with what each means, and which profiles use which. */
export function switchListing(profiles: readonly KernelProfile[]): SwitchListing[] {
  return SWITCH_KEYS.map((key) => {
    const d = SWITCHES[key];
    return {
      key,
      site: d.site,
      what: d.what,
      values: Object.entries(d.values).map(([value, meaning]) => ({ value, meaning, profiles: profiles.filter((p) => String(p[key]) === value).map((p) => p.id) })),
    };
  });
}

/** A switch value as a YAML/JSON double-quoted string: what a profile file must say to pick it. */
const quoted = (value: string) => JSON.stringify(value);

export function renderSwitchListing(l: SwitchListing[]): string {
  const out: string[] = [];
  for (const s of l) {
    out.push(`${s.key}  (${s.site})`);
    out.push(`  ${s.what}`);
    for (const v of s.values) out.push(`  ${quoted(v.value)}: ${v.meaning}${v.profiles.length ? ` [${v.profiles.join(', ')}]` : ''}`);
  }
  return out.join('\n') + '\n';
}

export interface ProfileDiff {
  a: string;
  b: string;
  /** Policy functions a profile module replaces, in either profile. */
  policies: { name: string; a: 'built-in' | 'replaced'; b: 'built-in' | 'replaced' }[];
  switches: { key: SwitchKey; site: string; what: string; a: { value: string; meaning: string }; b: { value: string; meaning: string } }[];
}

/** The switches two profiles differ in, with what each value means (release, commit). */
export function diffProfiles(a: KernelProfile, b: KernelProfile): ProfileDiff {
  const v = (p: KernelProfile, k: SwitchKey) => ({ value: String(p[k]), meaning: SWITCHES[k].values[String(p[k])] ?? '(undocumented value)' });
  const names = [...new Set([...Object.keys(a.policies ?? {}), ...Object.keys(b.policies ?? {})])];
  const state = (p: KernelProfile, n: string) => (p.policies && n in p.policies ? 'replaced' as const : 'built-in' as const);
  return {
    a: a.id,
    b: b.id,
    switches: switchDiff(a, b).map((key) => ({ key, site: SWITCHES[key].site, what: SWITCHES[key].what, a: v(a, key), b: v(b, key) })),
    // every name is replaced in a or b (two replacements cannot be compared: both are listed)
    policies: names.map((name) => ({ name, a: state(a, name), b: state(b, name) })),
  };
}

export function renderProfileDiff(d: ProfileDiff): string {
  if (d.switches.length === 0 && d.policies.length === 0) return `${d.a} and ${d.b} have the same behaviour switches and policies\n`;
  const out = [`${d.a} -> ${d.b}: ${d.switches.length} switch(es) differ${d.policies.length ? `, ${d.policies.length} policy function(s) replaced` : ''}`];
  for (const p of d.policies) out.push(`policy ${p.name}: ${d.a} ${p.a}, ${d.b} ${p.b}`);
  for (const s of d.switches) {
    out.push('', `${s.key}  (${s.site}): ${s.what}`);
    out.push(`  ${d.a}: ${quoted(s.a.value)}  ${s.a.meaning}`);
    out.push(`  ${d.b}: ${quoted(s.b.value)}  ${s.b.meaning}`);
  }
  return out.join('\n') + '\n';
}
