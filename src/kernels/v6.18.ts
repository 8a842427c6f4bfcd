import type { KernelProfile } from './types.js';

/**
 * Linux 6.18 (snapshot read: gfunkmonk/linux-6.18.2 @ 062668f4d006; see
 * ../shared/docs/kernel/generic.md and arch.md). Upstream Kconfig defaults.
 */
export const v6_18: KernelProfile = {
  id: 'v6.18',
  title: 'Linux 6.18 (upstream defaults)',
  provenance: 'linux 6.18.2 (gfunkmonk/linux-6.18.2 @ 062668f4d006): mm/sparse.c, mm/sparse-vmemmap.c, mm/memory_hotplug.c, mm/memremap.c, drivers/nvdimm/pfn_devs.c, arch/x86/mm/init_64.c, arch/arm64/mm/mmu.c',
  vmemmapVerifyOnce: true, // pr_warn_once since v6.0
  populateSectionAlignCheck: true, // since v5.9
  genericHugepages: true, // 2045a3b8911b, v6.2
  misalignedFmt: 'Misaligned %s start: %#lx end: %#lx\n', // v6.6+
  MAX_STRUCT_PAGE_SIZE: 64, // c91d71363084 (v6.2) restored 64
  ndPfnInitSubtractsEndTrunc: true, // v6.6+
  defaultOnlineType: 'offline', // mm/Kconfig MHP_DEFAULT_ONLINE_TYPE default MHP_DEFAULT_ONLINE_TYPE_OFFLINE
  x86MemoryBlockProbe: 'v6.18', // memory_block_advised_max_size(), absent in v6.14
  arm64Populate: 'v6.14', // base pages for sub-section ranges, vmemmap_check_pmd() = pmd_sect()
  arm64SmallSections: true, // v5.12+
  arm64VmemmapLayout: 'v6.9', // VMEMMAP_END = -1 GiB
};
