/**
 * Architecture configuration: the constants of one arch + page size + paging mode, and the
 * arch's own vmemmap_populate / vmemmap_free policy. Pure data plus policy functions; the
 * policies receive the generic mm helpers they call through `VmemmapOps`, so this layer
 * imports nothing from src/kernel.
 */

export type ArchName = 'x86_64' | 'arm64' | 'riscv64' | 'loongarch64' | 'ia64' | 'powerpc64' | 's390x';
export const ARCH_NAMES: readonly ArchName[] = ['x86_64', 'arm64', 'riscv64', 'loongarch64', 'ia64', 'powerpc64', 's390x'];

/** Kernel features an arch may not offer in a given release (its Kconfig selects). */
/** softReserved: EFI soft-reserved memory for dax_hmem; cxl: CXL RAM regions (from the ACPI CEDT) for dax_cxl. */
export type ArchFeature = 'hotplug' | 'hotRemove' | 'zoneDevice' | 'memmapOnMemory' | 'hvo' | 'daxVmemmapOpt' | 'softReserved' | 'cxl';

/** Page-table levels, kernel names. pgd is always the top (pre-existing) table. */
export type PtLevel = 'pgd' | 'p4d' | 'pud' | 'pmd' | 'pte';
export const PT_LEVELS: readonly PtLevel[] = ['pgd', 'p4d', 'pud', 'pmd', 'pte'];
/** Leaf levels a vmemmap mapping can have. */
export type LeafLevel = 'pmd' | 'pte';

export interface PtGeometry {
  /** CONFIG_PGTABLE_LEVELS (x86: 4 or 5 at run time). */
  levels: number;
  /** Entry shift (address bits mapped by one entry) of each level; null when folded. */
  shift: Record<PtLevel, number | null>;
  /** Levels whose tables are allocated on demand, top-down (the top-level table pre-exists). */
  allocLevels: PtLevel[];
  /**
   * Bytes of one page-table table at each level; absent = PAGE_SIZE. A table holds
   * tableBytes / 8 entries, so a table of level L spans entrySpan(L) x tableBytes / 8 of address
   * space (s390: 16 KiB region/segment tables, 2 KiB page tables; powerpc radix 64K: PTE tables
   * of 256 B, PUD/PMD tables of 4 KiB).
   *
   * The RAM one table takes is tableBytes unless the kernel allocates tables of that level
   * differently depending on when: earlyTableBytes is what one takes when allocated at boot
   * (memblock, before slab / the page allocator), runtimeTableBytes what one takes when allocated
   * after boot (the page allocator). Each is a per-level override of tableBytes, absent = tableBytes:
   * - powerpc radix: early_alloc_pgtable(PAGE_SIZE) at boot for every level (earlyTableBytes a
   *   page), page-table fragments of tableBytes after;
   * - s390: memblock_alloc(2 KiB) page tables at boot, page_table_alloc() after, a whole page from
   *   v6.8 (runtimeTableBytes pte 4 KiB), 2 KiB fragments before.
   * deriveConsts() turns them into Consts.tableCost (pages per table, boot and runtime): the RAM
   * ledger, invariants and reports all read that.
   */
  tableBytes?: Partial<Record<PtLevel, number>>;
  /** RAM one table takes when allocated at boot (memblock); absent = tableBytes. See tableBytes. */
  earlyTableBytes?: Partial<Record<PtLevel, number>>;
  /** RAM one table takes when allocated after boot (page allocator); absent = tableBytes. See tableBytes. */
  runtimeTableBytes?: Partial<Record<PtLevel, number>>;
  /** The vmemmap is not in Linux page tables at all (powerpc hash: bolted HPTEs and
   *  vmemmap_list entries); allocLevels is then empty. */
  noPageTables?: string;
}

export interface ArchConfig {
  arch: ArchName;
  /** Short human label, e.g. "x86_64 4-level 4K" or "arm64 64K/48". */
  label: string;
  /** Normalised config as it appears in reports. */
  config: Record<string, string | number | boolean>;
  PAGE_SHIFT: number;
  PAGE_SIZE: number;
  PMD_SHIFT: number;
  PUD_SHIFT: number;
  SECTION_SIZE_BITS: number;
  MAX_PHYSMEM_BITS: number;
  /** sizeof(struct page). */
  STRUCT_PAGE_SIZE: number;
  pt: PtGeometry;
  /** Absolute VMEMMAP_START and the end of the vmemmap region (exclusive). */
  VMEMMAP_START: bigint;
  VMEMMAP_END: bigint;
  /** Base of the linear (direct) map: __va(0) (x86 with nokaslr; arm64 uses memstart). */
  PAGE_OFFSET: bigint;
  /** pageblock_order. */
  pageblockOrder: number;
  /** has_transparent_hugepage() / has_transparent_pud_hugepage() (feed the nvdimm alignments). */
  thpPmd: boolean;
  thpPud: boolean;
  /** x86 X86_FEATURE_PSE. */
  pse: boolean;
  /** x86 X86_FEATURE_HYPERVISOR (affects the memory block size probe). */
  hypervisor: boolean;
  /** __pa(MAX_DMA_ADDRESS): the memblock goal for vmemmap allocations. */
  memblockGoal: number;
  /**
   * Boot page tables come from memblock_alloc(size, size): any node, no lower limit, at their
   * own size and alignment (s390 vmem_crst_alloc()/vmem_pte_alloc()), not from
   * vmemmap_alloc_block_zero()'s node and goal.
   */
  bootTablesAnyNode?: boolean;
  /** ARM64_MEMSTART_ALIGN (arm64 only; 0 elsewhere). */
  memstartAlign: number;
  /** Whether memblock keeps hot-added memory (CONFIG_ARCH_KEEP_MEMBLOCK). */
  keepMemblock: boolean;
  /** ptdump flavour. */
  ptdump: 'x86' | 'arm64' | 'riscv' | 'loongarch' | 'ia64' | 'powerpc' | 's390';
  /**
   * What this arch does not have in this kernel, each with the reason a user is told (which
   * Kconfig symbol, since when); a feature not listed is available.
   */
  lacks: Partial<Record<ArchFeature, string>>;
  /** The huge page sizes the arch registers, in hstates[] order (empty: no HugeTLB). */
  hugePageSizes: number[];
  /** Device-dax compound-page dedup is not modelled for this arch in this profile (powerpc64):
   *  the reason users are told; the model then maps the full memmap whatever the kernel's rule. */
  daxDedupNotModelled?: string;
  /** riscv v6.11+ pgtable_cache_init(): the table below the PGD is allocated for the whole vmemmap region after boot. */
  preallocateTopTables: boolean;
  /** A kernel address whose page tables exist from boot for the kernel's own mappings and may
   *  reach into the vmemmap region (arm64: the fixmap just below FIXADDR_TOP); null if none. */
  staticTablesFor: bigint | null;
}

/** A vmemmap range handed to the arch: [start, end) in vmemmap offsets, standing for a run of
 *  identical per-section calls, each `callBytes` long (the kernel calls vmemmap_populate once
 *  per section; the model calls it once per run of identical sections). */
export interface VmemmapRange {
  start: number;
  end: number;
  callBytes: number;
}

/** Generic mm helpers an arch policy may call (mm/sparse-vmemmap.c), passed in by the kernel layer. */
export interface VmemmapOps<Altmap> {
  /** vmemmap_populate_basepages(start, end, node, altmap): 0 or -ENOMEM. */
  basepages(start: number, end: number, node: number, altmap: Altmap | null): number;
  /** vmemmap_populate_hugepages(start, end, node, altmap) with the arch's PMD loop variant: 0 or -ENOMEM. */
  hugepages(start: number, end: number, node: number, altmap: Altmap | null): number;
  /** The arch's own vmemmap_free(start, end, altmap) (s390 rolls a failed populate back with it). */
  free(start: number, end: number, altmap: Altmap | null): void;
  /** Robin Murphy's sketch (thread §3): per PMD step, tables and one base page at the step's address. */
  onePagePerPmd(start: number, end: number, node: number): number;
  /**
   * powerpc radix__vmemmap_populate()'s PMD loop (v6.6+): per PMD slot the tables; an empty
   * PMD gets base pages when an altmap is given and the address is unaligned or
   * altmap_cross_boundary(PMD_SIZE), else a PMD_SIZE block (altmap or RAM), base pages when
   * that fails; a leaf is kept; a PTE table gets base pages (basepagesFallback).
   */
  radixPmdLoop(start: number, end: number, node: number, altmap: Altmap | null): number;
  /**
   * powerpc radix__vmemmap_pte_populate() for each page overlapping [start, end): the tables,
   * then per missing PTE a page from the altmap unless altmap_cross_boundary(), falling back
   * to RAM when the altmap cannot serve; -ENOMEM when RAM fails too.
   */
  basepagesFallback(start: number, end: number, node: number, altmap: Altmap | null): number;
  /** powerpc altmap_cross_boundary(altmap, start, size): the pfns the memmap at [start, start + size) describes are not all the device's. */
  altmapCrossBoundary(altmap: Altmap, start: number, size: number): boolean;
  /**
   * powerpc hash (and radix <= v6.5) vmemmap_populate(): per `blockSize` block overlapping
   * [start, end) that is not mapped yet, a block from the altmap (unless
   * altmap_cross_boundary()), else from RAM, mapped as one leaf without Linux page tables
   * (`tables` false: bolted HPTEs) or with them (radix), and a vmemmap_list entry.
   */
  listBlocks(start: number, end: number, node: number, altmap: Altmap | null, blockSize: number, tables: boolean, callBytes?: number): number;
  /** memblock_phys_mem_size() at boot (powerpc hash picks the vmemmap block size from it). */
  bootRam(): number;
  pr_err_once(site: string, text: string): void;
  warn_on_once(site: string, cond: boolean, what: string): boolean;
  /** Record which path the policy took for a range, and why (for `explain`; no effect on the model). */
  decide(r: VmemmapRange, path: PopulatePath, why: string): void;
}

/** The paths a vmemmap_populate() policy can take. */
export type PopulatePath = 'basepages' | 'hugepages' | 'enomem' | 'one-page-per-pmd' | 'blocks';

/** The arch's vmemmap_populate() policy. */
export type VmemmapPopulate = <A>(ops: VmemmapOps<A>, r: VmemmapRange, node: number, altmap: A | null) => number;

/** How the arch's vmemmap_free() treats leaves and page-table pages. */
export interface VmemmapFreePolicy {
  /** Which table kinds are freed once all their entries are none. */
  freeTables: Partial<Record<PtLevel, boolean>>;
  /** arm64 free_empty_tables(): only tables whose span lies inside [floor, ceiling) (pgtable_range_aligned). */
  floorCeiling: boolean;
  /** A PMD leaf partly covered by the range: x86 frees it only if the whole block is unused
   *  (sub-PMD 0xFD marking); arm64 <= v6.13 frees it anyway. */
  partialPmd: 'if-unused' | 'always' | 'if-unpopulated';
  /** powerpc radix remove_pte_table(): a page only partly covered by the range is freed only if
   *  no valid sub-section's memmap is in it (vmemmap_page_is_unused); absent: always freed. */
  partialPte?: 'if-unpopulated';
  /** Where the kernel source for this lives, for messages and docs. */
  site: string;
  /** vmemmap_free() is an empty function (arm64 <= v5.6, loongarch64): nothing is unmapped or freed. */
  empty?: boolean;
  /** The PTE walk: 'page' visits every page overlapping the range (x86 remove_pte_table, riscv
   *  remove_pte_mapping); 'chunk' steps PAGE_SIZE from the unaligned start of each PMD chunk (arm64). */
  pteWalk: 'page' | 'chunk';
  /** powerpc hash (__vmemmap_free): the vmemmap is freed per mmu_vmemmap_psize block - kept
   *  while vmemmap_populated(), else its vmemmap_list entry, memory and HPTEs are released. */
  blocks?: boolean;
  /** powerpc free_vmemmap_pages() / __vmemmap_free(): only memory inside the altmap's range
   *  [base_pfn, base_pfn + reserve + free) goes back to the altmap; the rest is freed as RAM. */
  altmapRangeCheck?: boolean;
  /** Base pages freed from an altmap-backed range go back to the altmap (vmem_altmap_free); x86 frees PTE-mapped pages as RAM. */
  pteAltmap: boolean;
  /**
   * Boot memory (memblock: the boot memmap and boot page tables, PageReserved) is not freed:
   * the entry is cleared, the memory kept after a WARN_ON_ONCE at this site (s390 <= v6.18
   * vmem_free_pages / vmem_pte_free). Absent: freed like any other.
   */
  keepBoot?: string;
}

/**
 * The PMD loop a vmemmap_populate_hugepages() call runs: the generic one (v6.2+), x86's private
 * copy (<= v6.1), or arm64's own loops (<= v6.1).
 */
export interface HugepagesVariant {
  /** A failed PMD_SIZE allocation: 'generic' = -ENOMEM with an altmap, else base pages for the
   *  step; 'enomem' = -ENOMEM always (arm64 <= v5.10); 'basepages' = base pages for the step
   *  with the same altmap (arm64 v5.11..v6.1). */
  onFail: 'generic' | 'enomem' | 'basepages';
  /** A PMD holding a PTE table falls back to base pages with the altmap (generic) or NULL (x86 <= v6.1). */
  tableAltmap: boolean;
  /** vmemmap_check_pmd(): 'leaf' = only a huge mapping counts as populated; 'any' = any non-empty PMD (verified, then skipped). */
  checkPmd: 'leaf' | 'any';
}

/** One boot-RAM cap of ArchPolicy.bootMemoryCap. */
export type BootMemoryCap = ({ kind: 'limit'; bytes: number } | { kind: 'range'; start: number; end: number }) & { site: string; warn?: string; why?: string };

export interface ArchPolicy {
  vmemmap_populate: VmemmapPopulate;
  hugepages: HugepagesVariant;
  /** x86's " [%lx-%lx] PMD -> [%p-%p] on node %d" run-length tracker in vmemmap_set_pmd(). */
  pmdPrintTracker: boolean;
  free: VmemmapFreePolicy;
  /** Memory block size (memory_block_size_bytes()) given the boot memory end. */
  memoryBlockSize(bootMemEnd: number, advisedMax: number, bootRanges?: { start: number; end: number }[]): { size: number; messages: string[] };
  /** arch_supports_memmap_on_memory(vmemmap_size) when the arch overrides it (powerpc): null
   *  allows, a string is why it refuses; absent: the generic PMD-alignment check. */
  supportsMemmapOnMemory?: (memmapBytes: number) => string | null;
  /** Lines the arch's early MMU setup prints (before sparse_init), given the boot RAM (memblock_phys_mem_size()). */
  bootLines?: (bootRam: number) => { level: number; site: string; text: string; approx?: boolean }[];
  /** arch_get_mappable_range(): physical range hot-plug may use [start, end] inclusive (bootMemEnd: the end of boot RAM, where the arch's range depends on it). */
  mappableRange(memstart: number, bootMemEnd?: number): { start: number; end: number };
  /** The arch's own walk never calls vmemmap_verify(): no "potential offnode page_structs" (s390). */
  noVerify?: boolean;
  /** Memmap blocks come from vmemmap_alloc_block(), never the boot sparse buffer (s390 <= v6.8). */
  noSparseBuffer?: boolean;
  /** Boot memory (its end given) for which the kernel takes a path the model does not have: why, or null. */
  unmodelledBoot?: (memEnd: number) => string | null;
  /** KERN_NOTICE lines the arch prints at boot about the memory it keeps (end of boot RAM given). */
  bootNotices?: (memEnd: number) => { site: string; text: string }[];
  /** Where vmemmap_populate lives, for citations. */
  populateSite: string;
  /**
   * The lines arch/<arch>/mm/fault.c prints for a kernel-mode fault on a not-present address
   * (an oops): printk level, text; approx where the line holds what the model cannot know
   * (registers, offsets, CPU numbers).
   */
  oopsLines(o: { va: string; fn: string; access: 'read' | 'write' }): { level: number; text: string; approx?: boolean }[];
  /**
   * Boot RAM the arch drops before sparse_init() (its linear map cannot reach it, or an early
   * memory limit): 'limit' keeps the first `bytes` of RAM (memblock_enforce_memory_limit),
   * 'range' keeps [start, end) (memblock_cap_memory_range); several caps apply in order.
   * `why` words the drop for the step's note (default: beyond the linear map). Absent: the
   * model keeps all boot RAM.
   */
  bootMemoryCap?: (physRamBase: number, totalRam: number) => BootMemoryCap | BootMemoryCap[];
}

/**
 * Code-level proposals: policy functions a profile brings in place of the built-in ones
 * (docs/proposals-as-code.md). Each receives what the built-in one does, plus `base` to run
 * the built-in itself, so a proposal can change one case and leave the rest.
 */
export interface PolicyOverrides {
  /** The arch's vmemmap_populate(), written against the same helpers (VmemmapOps) as the built-in ones. */
  vmemmap_populate?: (c: { arch: ArchConfig; ops: VmemmapOps<unknown>; range: VmemmapRange; node: number; altmap: unknown | null; base: () => number }) => number;
  /** vmemmap_populate_hugepages()'s loop variant (what a failed PMD block or a PMD holding a PTE table does). */
  hugepages?: Partial<HugepagesVariant>;
  /** How the arch's vmemmap_free() treats leaves and page-table pages. */
  vmemmap_free?: Partial<Omit<VmemmapFreePolicy, 'site'>>;
  /**
   * mhp_supports_memmap_on_memory(): null allows, a string is the reason it refuses. `base()` is
   * the built-in check of the profile's version.
   */
  memmap_on_memory?: (c: { size: number; blockSize: number; pageSize: number; memmapBytes: number; memmapPages: number; pageblockPages: number; pmdSize: number; base: () => string | null }) => string | null;
  /**
   * vmemmap_alloc_block_buf(size, node, altmap) for `count` blocks: return a block from
   * fromAltmap() (altmap_alloc_block_buf) or fromRam() (the sparse buffer, then the page
   * allocator), or null to fail. Blocks are opaque; base() is the profile's own allocator.
   */
  vmemmap_alloc_block_buf?: (c: { size: number; node: number; altmap: string | null; count: number; fromAltmap: () => unknown; fromRam: () => unknown; base: () => unknown }) => unknown;
}

/** Apply a profile's policy overrides to the arch's built-in policy. */
export function withOverrides(cfg: ArchConfig, policy: ArchPolicy, o: PolicyOverrides | undefined): ArchPolicy {
  if (!o) return policy;
  const out: ArchPolicy = { ...policy };
  if (o.vmemmap_populate) {
    const user = o.vmemmap_populate;
    out.vmemmap_populate = <A>(ops: VmemmapOps<A>, range: VmemmapRange, node: number, altmap: A | null) =>
      user({ arch: cfg, ops: ops as VmemmapOps<unknown>, range, node, altmap, base: () => policy.vmemmap_populate(ops, range, node, altmap) });
    out.populateSite = `${policy.populateSite} (replaced by the profile)`;
  }
  if (o.hugepages) out.hugepages = { ...policy.hugepages, ...o.hugepages };
  if (o.vmemmap_free) out.free = { ...policy.free, ...o.vmemmap_free, site: `${policy.free.site} (changed by the profile)` };
  return out;
}
