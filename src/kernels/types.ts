/**
 * A kernel profile: one kernel version (or one proposed patch series) as a set of behaviour
 * switches. Code never tests a version number; it tests a switch. Every switch says where the
 * behaviour comes from; the per-version evidence is in docs/research/versions-*.md.
 */
import type { PolicyOverrides } from '../arch/types.js';

export interface KernelProfile {
  id: string;
  /** What this profile is, in one line. */
  title: string;
  /** Where its facts come from (snapshot read, commits, seed lines). */
  provenance: string;
  /** A release, or a patch series from the LKML thread (modelled exactly as posted). */
  kind: 'release' | 'proposal';
  /** Code-level proposals: policy functions in place of the built-in ones (profile modules). */
  policies?: PolicyOverrides;

  // ---- mm/sparse-vmemmap.c ----
  /** vmemmap_verify(): pr_warn_once (v6.1+; "mm/sparse-vmemmap: ... pr_warn_once") vs pr_warn every time. */
  vmemmapVerifyOnce: boolean;
  /** __populate_section_memmap(): WARN_ON_ONCE + NULL on sub-section misalignment (v5.9+, 6cda72047ea4) instead of rounding out (v5.6). */
  populateSectionAlignCheck: boolean;
  /**
   * vmemmap_alloc_block_buf(): 'v5.6' two-argument (no altmap; x86 calls altmap_alloc_block_buf
   * itself for PMDs); 'v5.9' altmap is the only source when given (56993b4e147e);
   * 'fallback-as-posted' the seed's follow-up (thread §4): the altmap is tried, then
   * the function falls through to RAM whether or not the altmap succeeded.
   */
  allocBlockBuf: 'v5.6' | 'v5.9' | 'fallback-as-posted';
  /** vmemmap_populate_basepages() takes and uses the altmap (v5.9, 1d9cfee7535c; seed V2 1/2). */
  basepagesAltmap: boolean;
  /** vmemmap_populate_hugepages() is the generic one (v6.2, 2045a3b8911b); before, x86 had a private copy. */
  genericHugepages: boolean;

  // ---- mm/sparse.c ----
  /** v5.6 section_deactivate(): a partial removal from an early section depopulates that range (fixed by ef69bc9f689d, v5.9). */
  earlySectionPartialDepopulate: boolean;
  /** sparse_init_nid() failure skips sparse_buffer_fini() (<= 5.10.7; fixed in the v5.13 window). */
  sparseInitFailLeaksBuffer: boolean;
  /** __func__ of the sub-section map debug line: subsection_map_init, sparse_init_subsection_map (7.1). */
  subsectionDebugFunc: string;

  // ---- drivers/base/dd.c ----
  /**
   * A failed driver probe (really_probe / call_driver_probe): 'v5.6' pr_warn("%s: probe of %s
   * failed with error %d") up to 6.8; 'v6.9' dev_err(dev, "probe with driver %s failed with
   * error %d"), prefixed with the driver and device names. -ENODEV/-ENXIO print only at debug level.
   */
  probeFailMsg: 'v5.6' | 'v6.9';

  // ---- mm/memory_hotplug.c ----
  /** The misalignment WARN, rendered with the function name ("#%lx" typo until v6.6). */
  misalignedFmt: string;
  /** Range check: 'addressable' = check_hotplug_memory_addressable() in __add_pages (<= v5.10, E2BIG after the resource and block checks); 'mhp' = mhp_range_allowed() first (v5.11+). */
  hotplugRangeCheck: 'addressable' | 'mhp';
  /** x86 add_pages() refuses a range past PHYSMEM_END (later DIRECT_MAP_PHYSMEM_END) with WARN + -ERANGE before __add_pages (absent in 6.6.9, present in 6.12.0: the v6.11 KASLR physmem_end work). */
  x86AddPagesRangeCheck: boolean;
  /** add_memory_resource() adds hot-added memory to memblock on every arch (v5.6), not only with ARCH_KEEP_MEMBLOCK. */
  hotAddMemblockAlways: boolean;
  /** memhp_default_state= accepts only online/offline (v5.6) or all four names (v5.9+). */
  memhpDefaultStateNames: 'online-offline' | 'all';
  /** Upstream default online type for hot-added memory (offline in every version). */
  defaultOnlineType: 'offline' | 'online' | 'online_kernel' | 'online_movable';
  /**
   * memory_hotplug.memmap_on_memory (self-hosted memmap of hot-added memory):
   * 'none' (<= v5.12); 'v5.13' bool parameter, whole-request altmap {free = all pages of the
   * one block}, MHP_MEMMAP_ON_MEMORY unsupported -> -EINVAL (a08a2ae34613; read in 5.15.100,
   * 6.1.20); 'v6.6' also "force", altmap kept with the block {free = memmap pages}, silent
   * fallback to RAM (read in 6.6.9); 'v6.8' a request of many blocks is split into one
   * altmap per block (6b8f0798b85a; read in 6.12.0, 6.18.2).
   */
  memmapOnMemory: 'none' | 'v5.13' | 'v6.6' | 'v6.8';
  /**
   * device-dax compound-page vmemmap dedup in __populate_section_memmap(): 'none' (no
   * vmemmap_shift before v5.17: 5.15.100 has none); 'v6.1' inline rule on every arch;
   * 'v6.6' vmemmap_can_optimize(): arch opt-in (x86_64, not arm64) and > 2 vmemmap pages.
   */
  daxVmemmapDedup: 'none' | 'v6.1' | 'v6.6';
  // ---- mm/hugetlb.c, mm/hugetlb_vmemmap.c ----
  /**
   * HugeTLB vmemmap optimisation: 'none' (5.10); 'v5.15' keeps 2 vmemmap pages per folio;
   * 'v6.1' keeps the head page; 'v6.6' allocates a new head and frees the old (6.6-6.18);
   * 'v7.1' maps the tails to one shared tail page per zone and order.
   */
  hvo: 'none' | 'v5.15' | 'v6.1' | 'v6.6' | 'v7.1';
  /**
   * Pre-HVO at sparse_init (6.18+, CONFIG_SPARSEMEM_VMEMMAP_PREINIT, x86_64): boot-time pages
   * whose memmap covers whole vmemmap PMDs (1 GiB) get an optimised vmemmap from the start
   * (vmemmap_populate_hvo: a head page and the PTE tables from memblock; 7.1 also the zone's
   * shared tail), so the full vmemmap is never allocated (mm/hugetlb_vmemmap.c:hugetlb_vmemmap_init_early).
   */
  hvoPreinit: boolean;
  /** arm64 selects HVO (6.1.0-rc7 only; gone in 6.1.20 and later). x86_64 always has it when hvo != none. */
  hvoArm64: boolean;
  /** hugetlb_free_vmemmap=: 'onoff' exactly on/off (5.15), 'bool' param_set_bool (6.1-6.12: no value = on), 'kstrtobool' early_param (6.18+). */
  hvoParam: 'onoff' | 'bool' | 'kstrtobool';
  /** report_hugepages(): 'v5.10' "HugeTLB registered ..." (no colon, no vmemmap line), 'v6.1' with colon and the vmemmap line. */
  hugetlbReport: 'v5.10' | 'v6.1';
  /** hugepages=<node>:<n>[,...] (6.1+). */
  hugepagesNodeSyntax: boolean;

  // ---- drivers/dax ----
  /** dax_cxl turns CXL RAM regions into dax devices (6.6.9 has it; 6.1 has no drivers/dax/cxl.c). */
  daxCxl: boolean;
  /** hmem and cxl dax regions carry IORESOURCE_DAX_KMEM: kmem, not device_dax, binds at boot (6.6+). */
  hmemKmemDefault: boolean;
  /** The dax device memmap_on_memory attribute and kmem's MHP_MEMMAP_ON_MEMORY (absent in 6.6.9, present in 6.12.0). */
  daxMemmapOnMemory: boolean;
  /** kmem's dev_warn "DAX region truncated by %s due to alignment" (6.18+). */
  kmemTruncatedWarning: boolean;
  /** lib/kstrtox.c kstrtobool() letters: y/n/1/0/on/off (5.15.100), + t/f (6.1.20), + e/d (6.18.2; not 6.12.0). */
  kstrtobool: 'yn' | 'tf' | 'tfed';
  /** mhp_supports_memmap_on_memory() refuses while hugetlb_free_vmemmap is on (5.15.100; gone in 6.1.0). */
  memmapOnMemoryExcludesHvo: boolean;
  /** Level of "Offlined Pages %ld\n": pr_info (<= v5.10) or pr_debug. */
  offlinedPagesLevel: 6 | 7;

  // ---- mm/memremap.c ----
  /** The "attempted on ... region" WARN: '%pr' form with __func__ (v5.6, v5.9) or '%#llx-%#llx' (v5.10+). */
  memremapRamFmt: 'pr' | 'llx';
  /** A failed memremap_pages() runs memunmap_pages() and its altmap check (v5.10+ pagemap_range). */
  memremapFailCheck: boolean;
  /** memmap_init_zone_device()'s message: pr_info (<= v6.1) or pr_debug (v6.6+). */
  memmapInitZoneDeviceLevel: 6 | 7;
  /**
   * Who initialises ZONE_DEVICE struct pages after memremap_pages() mapped them (the first
   * kernel touch of a new pgmap's memmap): 'v5.9' memmap_init_zone() + memmap_init_zone_device()
   * in mm/page_alloc.c; 'v5.11' memmap_init_range() (renamed); 'v5.17' the per-page
   * __init_zone_device_page(); 'v6.4' the same in mm/mm_init.c.
   */
  zoneDeviceInit: 'v5.9' | 'v5.11' | 'v5.17' | 'v6.4';
  /** memunmap_pages() drops every device page's reference with put_page(pfn_to_page()) (<= 5.15; 6.1+: percpu_ref_put_many, no struct page touched). */
  memunmapPutPage: boolean;

  // ---- drivers/nvdimm/pfn_devs.c ----
  /** MAX_STRUCT_PAGE_SIZE: 64, except 128 in 6.1.0-6.1.11 (6e9f05dc66f9, reverted by c91d71363084). */
  MAX_STRUCT_PAGE_SIZE: number;
  /** nd_pfn_init(): "dataoff >= size - end_trunc" (v6.6+) vs "dataoff >= size". */
  ndPfnInitSubtractsEndTrunc: boolean;
  /** memremap_compat_align() and nd_pfn_init()'s start check exist (v5.7+); v5.6 uses a fixed 2 MiB and no check. */
  memremapCompatAlign: boolean;

  // ---- arch/x86 ----
  /** probe_memory_block_size(): v5.6 (halving also on bare metal), v5.10 (bare metal 2 GiB), v6.18 (advice). */
  x86MemoryBlockProbe: 'v5.6' | 'v5.10' | 'v6.18';

  // ---- arch/arm64 ----
  /**
   * arm64 vmemmap_populate() generation (arch/arm64/mm/mmu.c): 'v5.6' own PMD loop / base
   * pages, altmap ignored; 'v5.9' altmap honoured, PMD failure -ENOMEM; 'v5.11' PMD failure
   * falls back to base pages with the same altmap (9f84f39f5515); 'v6.2' generic hugepages,
   * check_pmd returns 1; 'v6.14' sub-section ranges get base pages, check_pmd = pmd_sect;
   * 'robin' Robin Murphy's consolidation sketch as posted (thread §3).
   */
  arm64Populate: 'v5.6' | 'v5.9' | 'v5.11' | 'v6.2' | 'v6.14' | 'robin';
  /** arm64 SECTION_SIZE_BITS 27/29 (v5.12+) instead of 30. */
  arm64SmallSections: boolean;
  /** arm64 VMEMMAP layout: 'v5.4' (START = -SIZE - 2M), 'v5.11' (projection of the linear map), 'v6.9' (END = -1G). */
  arm64VmemmapLayout: 'v5.4' | 'v5.11' | 'v6.9';
  /** 52-bit VA with every granule (LPA2, v6.9+) or only 64K. */
  arm64Va52AllGranules: boolean;
  /** arm64 memory hot-remove: none (v5.6: MEMORY_HOTREMOVE not offered, vmemmap_free empty) or yes (v5.7+). */
  arm64HotRemove: boolean;
  /** arm64 ZONE_DEVICE (needs MEMORY_HOTREMOVE): absent in v5.6. */
  arm64ZoneDevice: boolean;
  /** arm64 arch_add_memory() range check: none (<= v5.9), the v5.10 linear-region pr_err, or the generic mhp_range_allowed (v5.11+). */
  arm64AddMemoryCheck: 'none' | 'linear-region' | 'mhp';
  /** prevent_bootmem_remove_notifier: none (v5.6), silent NOTIFY_BAD (v5.7-v5.10), with messages (v5.11+). */
  arm64BootmemNotifier: 'none' | 'silent' | 'warn';
  /** arm64 ptdump: markers before v6.9 ("PCI I/O end" precedes "vmemmap start"); GP column from v5.9. */
  arm64PtdumpLegacyMarkers: boolean;
  arm64PtdumpGpColumn: boolean;

  // ---- arch/riscv ----
  /**
   * riscv vmemmap_populate() (arch/riscv/mm/init.c): 'basepages' with NULL (<= v6.6);
   * 'hugepages-noaltmap' the generic PMD loop with NULL (v6.8; v6.7 or v6.8); 'hugepages' with
   * the altmap (v6.11).
   */
  riscvPopulate: 'basepages' | 'hugepages-noaltmap' | 'hugepages';
  /** riscv memory hot-plug and hot-remove, ZONE_DEVICE, memmap_on_memory, DAX vmemmap optimisation, preallocated vmemmap top tables (all v6.11). */
  riscvHotplug: boolean;
  /**
   * riscv vmemmap placement: 'v5.6' Sv39 only, PAGE_OFFSET 0xffffffe000000000, pfn 0 at
   * VMEMMAP_START; 'v6.1' Sv39/48/57, Sv39 PAGE_OFFSET 0xffffffd800000000; 'v6.11' Sv39
   * 0xffffffd600000000, phys_ram_base at VMEMMAP_START; 'v6.13' vmemmap_start_pfn aligned to 128 MiB.
   */
  riscvLayout: 'v5.6' | 'v6.1' | 'v6.11' | 'v6.13';
  /** riscv selects ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP (v6.3). */
  riscvHvo: boolean;
  /** riscv HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD: 1 GiB nvdimm pfn alignment (v6.18). */
  riscvPudThp: boolean;

  // ---- arch/loongarch ----
  /** LoongArch SPARSEMEM_VMEMMAP (v6.2; v6.1 has SPARSEMEM only, LoongArch itself arrived in v5.19). */
  loongarchVmemmap: boolean;
  /** LoongArch ZONE_DEVICE through ARCH_HAS_PTE_DEVMAP (v6.11). */
  loongarchZoneDevice: boolean;

  // ---- arch/powerpc ----
  /** powerpc64 Book3S-64 is modelled in this profile (every release and proposal). */
  ppc64: boolean;
  /**
   * pageblock_order on powerpc64 (HUGETLB_PAGE_SIZE_VARIABLE, set_pageblock_order() in
   * free_area_init): true = from HPAGE_SHIFT, which mmu_early_init_devtree() sets first via
   * hugetlbpage_init_defaultsize() (v6.1+: radix 9/5, hash 12/8); false = HPAGE_SHIFT is still 0
   * then (hugetlbpage_init() is an arch_initcall), so MAX_ORDER - 1: 12 (4K) / 8 (64K) (<= v5.15).
   */
  ppcPageblockFromHpage: boolean;
  /**
   * powerpc64 early_init_devtree() (arch/powerpc/kernel/prom.c): the memory limit it enforces
   * is the boot RAM aligned down to 16 MiB (true: 6.11.11, 6.12, 6.18.2, 7.1.5) or to a page
   * (false: 5.6.4 .. 6.9.0), so RAM past the last whole 16 MiB is dropped from v6.11 (v6.10 not
   * read).
   */
  ppcMemoryLimit16M: boolean;
  /**
   * powerpc64 4K-page layout: 'v5.6' hash 4K REGION_SHIFT 44, H_KERN_VIRT_START 0xc000100000000000
   * (vmemmap at 0xc000300000000000) and MAX_PHYSMEM_BITS 46 for every 4K kernel (book3s/64/mmu.h,
   * hash-4k.h <= v5.9); 'v5.10' REGION_SHIFT 40 (vmemmap 0xc0003f0000000000) and
   * max(H_MAX_PHYSMEM_BITS, R_MAX_PHYSMEM_BITS) = 51.
   */
  ppcLayout: 'v5.6' | 'v5.10';
  /**
   * vmemmap_list_populate() when no list entry can be had (init_64.c): 'warn' WARN_ON twice and
   * the block is mapped without an entry, so vmemmap_free() never finds it (WARN_ON, block kept)
   * (<= v5.9); 'enomem' the block is given back and -ENOMEM returned (v5.10+).
   */
  ppcListAllocFail: 'warn' | 'enomem';
  /** radix remove_pagetable() frees empty PUD tables (free_pud_table, v5.9+); v5.6 keeps them. */
  ppcRadixFreePud: boolean;
  /**
   * How radix maps the vmemmap: 'list' = the hash code path with 2 MiB blocks (mmu_vmemmap_psize),
   * a vmemmap_list entry per block and radix__vmemmap_create_mapping() (<= v6.5); 'radix' =
   * radix__vmemmap_populate() (v6.6+).
   */
  ppcRadixPopulate: 'list' | 'radix';
  /** Memory block size: 'v6.1' pseries_memory_block_size() (ibm,lmb-size, else the memory node after memory@0, else 16 MiB); 'v6.6' probe_memory_block_size(). */
  ppcBlockProbe: 'v6.1' | 'v6.6';
  /** altmap_cross_boundary()'s end test: 'v5.6' start_pfn + nr_pfn > end_pfn; 'v6.4' start_pfn + nr_pfn - 1 > end_pfn. */
  ppcCrossEnd: 'v5.6' | 'v6.4';
  /** radix__vmemmap_populate() aligns start down (PAGE_SIZE with an altmap, PMD_SIZE without) (v6.17+; absent in 6.14). */
  ppcRadixAlignStart: boolean;

  // ---- arch/ia64 ----
  /** ia64 exists (up to v6.6; "arch: Remove Itanium (IA-64) architecture" in v6.7). */
  ia64: boolean;

  // ---- arch/s390 ----
  /**
   * s390 vmemmap_populate() (arch/s390/mm/vmem.c): 'v5.6' its own walk, node honoured, a failed
   * 1 MiB frame -ENOMEM, vmemmap_free() empty; 'v5.9' modify_pagetable() with rollback, a failed
   * frame falls back to 4 KiB pages, real vmemmap_free(), no altmap (arch_add_memory() WARNs on
   * one); 'v6.9' the altmap threaded through (vmemmap_alloc_block_buf), memmap_on_memory.
   */
  s390Populate: 'v5.6' | 'v5.9' | 'v6.9';
  /** s390 virtual layout: 'v5.6' setup_memory_end(); 'v5.11' the decompressor's setup_kernel_memory_layout(); 'v6.6' the same with max_mappable; 'v6.12' the kernel image at the top, 4 levels only with KASLR. */
  s390Layout: 'v5.6' | 'v5.11' | 'v6.6' | 'v6.12';
  /** s390 SECTION_SIZE_BITS 27 (v6.13) instead of 28. */
  s390SmallSections: boolean;
  /** s390 page_table_alloc() gives each 2 KiB page table a whole page (v6.8; 2 KiB fragments before). */
  s390PteFullPage: boolean;
  /** ZONE_DEVICE on s390 (v6.17: no longer needs ARCH_HAS_PTE_DEVMAP). */
  s390ZoneDevice: boolean;
  /** s390 selects ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP (v6.6..v6.17 as read). */
  s390Hvo: boolean;
  /** Something removes memory on s390 (virtio-mem, v6.13; sclp's memory<N>/config, v7.1). */
  s390HotRemove: boolean;
  /** s390 vmem_free_pages() frees boot memory with free_bootmem_page() (v7.1) instead of keeping it after a WARN. */
  s390FreeBootmem: boolean;
  /** How sclp adds standby memory: 'v5.6' add_memory() without flags; 'v6.9' MHP_MEMMAP_ON_MEMORY with EDAT-1; 'v7.1' through memory<N>/config, memmap_on_memory when supported. */
  s390Standby: 'v5.6' | 'v6.9' | 'v7.1';
}
