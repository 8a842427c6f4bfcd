/**
 * A kernel profile: one kernel version (or one proposed patch series) as a set of behaviour
 * switches. Code never tests a version number; it tests a switch, and every switch names the
 * commit/version that introduced the behaviour it selects.
 */
export interface KernelProfile {
  id: string;
  /** What this profile is, in one line. */
  title: string;
  /** Where its facts come from (snapshot read, commits). */
  provenance: string;

  // ---- mm/sparse-vmemmap.c ----
  /** vmemmap_verify(): pr_warn_once (v6.0+, "mm/sparse-vmemmap: ... pr_warn_once") vs pr_warn. */
  vmemmapVerifyOnce: boolean;
  /** __populate_section_memmap(): WARN_ON_ONCE + NULL on sub-section misalignment (v5.9+) instead of rounding out. */
  populateSectionAlignCheck: boolean;
  /** vmemmap_populate_hugepages() lives in mm/sparse-vmemmap.c with set_pmd/check_pmd hooks (v6.2, 2045a3b8911b). */
  genericHugepages: boolean;

  // ---- mm/memory_hotplug.c ----
  /** Format of the check_pfn_span() misalignment WARN (v6.6+ fixed the "#%lx" typo). */
  misalignedFmt: string;

  // ---- drivers/nvdimm/pfn_devs.c ----
  /** MAX_STRUCT_PAGE_SIZE: 64, except 128 in v6.1 (6e9f05dc66f9, reverted by c91d71363084). */
  MAX_STRUCT_PAGE_SIZE: number;
  /** nd_pfn_init(): "dataoff >= size - end_trunc" (v6.6+) vs "dataoff >= size". */
  ndPfnInitSubtractsEndTrunc: boolean;

  // ---- mm/page_alloc / hotplug defaults ----
  /** CONFIG_MHP_DEFAULT_ONLINE_TYPE upstream default: how hot-added memory is onlined. */
  defaultOnlineType: 'offline' | 'online' | 'online_kernel' | 'online_movable';

  // ---- arch/x86 ----
  /** probe_memory_block_size(): v5.10 (bare metal 2 GiB) or v6.18 (memory_block_advised_max_size). */
  x86MemoryBlockProbe: 'v5.6' | 'v5.10' | 'v6.18';

  // ---- arch/arm64 ----
  /** arm64 vmemmap_populate() generation (arch/arm64/mm/mmu.c). */
  arm64Populate: 'v6.14';
  /** arm64 SECTION_SIZE_BITS: 27/29 since v5.12 ("arm64/sparsemem: reduce SECTION_SIZE_BITS"). */
  arm64SmallSections: boolean;
  /** arm64 vmemmap layout: VMEMMAP_END = -1 GiB (v6.9+). */
  arm64VmemmapLayout: 'v6.9';
}
