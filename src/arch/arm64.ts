/**
 * arm64: 4K, 16K and 64K granules with their VA sizes.
 * Constants: arch/arm64/include/asm/{pgtable-hwdef,memory,sparsemem,kernel-pgtable}.h @ v6.18.
 * Policy: arch/arm64/mm/mmu.c @ v6.18 (vmemmap_populate, vmemmap_check_pmd, vmemmap_free ->
 * unmap_hotplug_range + free_empty_tables, arch_get_mappable_range).
 */
import type { KernelProfile } from '../kernels/types.js';
import { pageSizedLevels } from './geometry.js';
import type { ArchConfig, ArchPolicy, VmemmapOps, VmemmapRange } from './types.js';

export type Arm64PageSize = '4K' | '16K' | '64K';
export interface Arm64Options {
  pageSize: Arm64PageSize;
  vaBits: number;
}

/** VA sizes offered per granule (arch/arm64/Kconfig, v6.9+ LPA2 allows 52 on every granule). */
export const ARM64_VA_BITS: Record<Arm64PageSize, number[]> = {
  '4K': [39, 48, 52],
  '16K': [36, 47, 48, 52],
  '64K': [42, 48, 52],
};
export const ARM64_DEFAULT_VA_BITS: Record<Arm64PageSize, number> = { '4K': 48, '16K': 48, '64K': 48 };

const PAGE_SHIFT: Record<Arm64PageSize, number> = { '4K': 12, '16K': 14, '64K': 16 };

/** CONFIG_PGTABLE_LEVELS (arch/arm64/Kconfig). */
function pgtableLevels(ps: Arm64PageSize, va: number): number {
  const t: Record<Arm64PageSize, Record<number, number>> = {
    '4K': { 39: 3, 48: 4, 52: 5 },
    '16K': { 36: 2, 47: 3, 48: 4, 52: 4 },
    '64K': { 42: 2, 48: 3, 52: 3 },
  };
  return t[ps][va]!;
}

/** VA sizes offered by a kernel: 52-bit needs 64K pages before v6.9 (LPA2). */
export function arm64VaBits(ps: Arm64PageSize, p: KernelProfile): number[] {
  return ARM64_VA_BITS[ps].filter((v) => v !== 52 || ps === '64K' || p.arm64Va52AllGranules);
}

export function arm64Config(o: Arm64Options, p: KernelProfile): ArchConfig {
  const ps = PAGE_SHIFT[o.pageSize];
  const levels = pgtableLevels(o.pageSize, o.vaBits);
  // ARM64_HW_PGTABLE_LEVEL_SHIFT(n) = (PAGE_SHIFT - 3) * (4 - n) + 3; the top (pgd) sits at
  // hardware level 4 - levels, so level i from the top resolves at PAGE_SHIFT + (PAGE_SHIFT - 3) x (levels - 1 - i)
  const hwShift = (n: number) => (ps - 3) * (4 - n) + 3;
  const { names, shift } = pageSizedLevels(ps, levels);
  const PMD_SHIFT = hwShift(2);
  const PUD_SHIFT = hwShift(1);
  // SECTION_SIZE_BITS: 27 for 4K/16K, 29 for 64K since v5.12; 30 before.
  const SECTION_SIZE_BITS = p.arm64SmallSections ? (o.pageSize === '64K' ? 29 : 27) : 30;
  const STRUCT_PAGE_SIZE = 64;
  // VMEMMAP_SIZE = (VMEMMAP_RANGE >> PAGE_SHIFT) * sizeof(struct page) with
  // VMEMMAP_RANGE = _PAGE_END(VA_BITS_MIN) - PAGE_OFFSET (the same size in every layout);
  // START/END per layout (arch/arm64/include/asm/memory.h):
  //   v5.4..v5.10: START = -SIZE - 2M, END = START + SIZE, FIXADDR_TOP = START - 20M
  //   v5.11..v6.8: START = -(1 << (VA_BITS - (PAGE_SHIFT - 6))), FIXADDR_TOP = START - 32M
  //   v6.9+:       END = -1G, START = END - SIZE, FIXADDR_TOP = -8M
  const vaMin = o.vaBits > 48 ? (o.pageSize === '16K' && p.arm64Va52AllGranules ? 47 : 48) : o.vaBits;
  const two64 = 1n << 64n;
  const M = 1n << 20n;
  const pageOffset = two64 - (1n << BigInt(o.vaBits));
  const pageEnd = two64 - (1n << BigInt(vaMin - 1));
  const range = pageEnd - pageOffset;
  const vmemmapSize = (range >> BigInt(ps)) * BigInt(STRUCT_PAGE_SIZE);
  let VMEMMAP_START: bigint;
  let fixaddrTop: bigint;
  if (p.arm64VmemmapLayout === 'v5.4') {
    VMEMMAP_START = two64 - vmemmapSize - 2n * M;
    fixaddrTop = VMEMMAP_START - 20n * M;
  } else if (p.arm64VmemmapLayout === 'v5.11') {
    VMEMMAP_START = two64 - (1n << BigInt(o.vaBits - (ps - 6)));
    fixaddrTop = VMEMMAP_START - 32n * M;
  } else {
    VMEMMAP_START = two64 - (1n << 30n) - vmemmapSize;
    fixaddrTop = two64 - 8n * M;
  }
  const VMEMMAP_END = VMEMMAP_START + vmemmapSize;
  // ARM64_MEMSTART_ALIGN = 1 << max(ARM64_MEMSTART_SHIFT, SECTION_SIZE_BITS);
  // MEMSTART_SHIFT: PUD_SHIFT (4K), CONT_PMD_SHIFT (16K: 25 + 5), PMD_SHIFT (64K)
  const memstartShift = o.pageSize === '4K' ? 30 : o.pageSize === '16K' ? 30 : 29;
  return {
    arch: 'arm64',
    label: `arm64 ${o.pageSize}/${o.vaBits}`,
    config: { pageSize: o.pageSize, vaBits: o.vaBits, levels },
    PAGE_SHIFT: ps,
    PAGE_SIZE: 2 ** ps,
    PMD_SHIFT,
    PUD_SHIFT,
    SECTION_SIZE_BITS,
    MAX_PHYSMEM_BITS: o.vaBits === 52 || o.pageSize === '64K' ? 52 : 48,
    STRUCT_PAGE_SIZE,
    pt: { levels, shift, allocLevels: names.slice(1) },
    VMEMMAP_START,
    VMEMMAP_END,
    PAGE_OFFSET: pageOffset,
    // pageblock_order = min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER); 64K: MAX_PAGE_ORDER 13
    pageblockOrder: o.pageSize === '4K' ? 9 : o.pageSize === '16K' ? 11 : 13,
    thpPmd: true, // has_transparent_hugepage() = IS_BUILTIN(CONFIG_TRANSPARENT_HUGEPAGE)
    thpPud: false, // arm64 has no HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD
    pse: false, // x86 only
    hypervisor: false,
    memblockGoal: 0, // __pa(MAX_DMA_ADDRESS) is below all DRAM
    memstartAlign: 2 ** Math.max(memstartShift, SECTION_SIZE_BITS),
    keepMemblock: true, // arm64 selects ARCH_KEEP_MEMBLOCK
    ptdump: 'arm64',
    // the fixmap's bm_pud/bm_pmd/bm_pte (arch/arm64/mm/fixmap.c) exist from early boot
    staticTablesFor: fixaddrTop - 1n,
    lacks: {
      ...(p.arm64ZoneDevice ? {} : { zoneDevice: `arm64 has no ZONE_DEVICE in ${p.id} (it needs MEMORY_HOTREMOVE, v5.7)` }),
      ...(p.hvoArm64 ? {} : { hvo: `arm64 does not select ARCH_WANT_HUGETLB_PAGE_OPTIMIZE_VMEMMAP in ${p.id}` }),
      daxVmemmapOpt: 'arm64 does not select ARCH_WANT_OPTIMIZE_DAX_VMEMMAP',
    },
    hugePageSizes: arm64HugePageSizes(ps, PMD_SHIFT, PUD_SHIFT),
    preallocateTopTables: false,
  };
}

/** arch/arm64/mm/hugetlbpage.c hugetlbpage_init(): PUD if pud_sect_supported() (4K only), CONT_PMD, PMD, CONT_PTE. */
function arm64HugePageSizes(ps: number, pmdShift: number, pudShift: number): number[] {
  const P = 2 ** ps;
  const PMD = 2 ** pmdShift;
  const cont = ps === 12 ? { pmd: 16, pte: 16 } : ps === 14 ? { pmd: 32, pte: 128 } : { pmd: 32, pte: 32 };
  return [...(ps === 12 ? [2 ** pudShift] : []), cont.pmd * PMD, PMD, cont.pte * P];
}

export function arm64Policy(a: ArchConfig, p: KernelProfile): ArchPolicy {
  const sectionMemmap = 2 ** (a.SECTION_SIZE_BITS - a.PAGE_SHIFT) * a.STRUCT_PAGE_SIZE;
  const is4k = a.PAGE_SHIFT === 12;
  const levels = a.pt.levels;
  // linear map size: PAGE_END - PAGE_OFFSET
  const two64 = 1n << 64n;
  const vaBits = Number(a.config.vaBits);
  const vaMin = vaBits > 48 ? (a.PAGE_SHIFT === 14 ? 47 : 48) : vaBits;
  const linear = Number((two64 - (1n << BigInt(vaMin - 1))) - a.PAGE_OFFSET);
  const gen = p.arm64Populate;
  return {
    /**
     * arch/arm64/mm/mmu.c vmemmap_populate() by generation:
     *  v5.6   16K/64K: vmemmap_populate_basepages(start, end, node) (no altmap); 4K: own PMD
     *         loop, blocks from RAM, failure -ENOMEM, any existing PMD only verified;
     *  v5.9   the same with the altmap (eee07935bb52);
     *  v5.11  4K: a failed PMD falls back to base pages with the same altmap (9f84f39f5515);
     *  v6.2   16K/64K base pages; 4K: generic vmemmap_populate_hugepages(), check_pmd returns 1;
     *  v6.14  base pages (with the altmap) for 16K/64K or a range smaller than a section's
     *         memmap, WARN_ON_ONCE if larger than one section; check_pmd = pmd_sect();
     *  robin  thread §3: 4K as v5.6; 16K/64K one base page per PMD step.
     */
    vmemmap_populate<A>(ops: VmemmapOps<A>, r: VmemmapRange, node: number, altmap: A | null): number {
      const via = altmap ? ' from the altmap' : '';
      if (gen === 'v6.14') {
        ops.warn_on_once('arch/arm64/mm/mmu.c:vmemmap_populate', r.callBytes > sectionMemmap, 'end - start > PAGES_PER_SECTION * sizeof(struct page)');
        if (!is4k || r.callBytes < sectionMemmap) {
          ops.decide(r, 'basepages', `${!is4k ? `${a.PAGE_SIZE / 1024}K pages: arm64 maps the vmemmap with base pages` : "less than a section's memmap (a sub-section range): base pages"}${via}`);
          return ops.basepages(r.start, r.end, node, altmap);
        }
        ops.decide(r, 'hugepages', `4K pages, whole sections: PMD-sized blocks${via} (vmemmap_populate_hugepages)`);
        return ops.hugepages(r.start, r.end, node, altmap);
      }
      const alt = gen === 'v5.6' || gen === 'robin' ? null : altmap;
      const ignored = altmap && !alt ? `, the altmap ignored (${gen === 'robin' ? "the sketch's" : "this kernel's"} arm64 vmemmap_populate() takes none)` : '';
      if (!is4k && gen === 'robin') {
        ops.decide(r, 'one-page-per-pmd', `${a.PAGE_SIZE / 1024}K pages under Robin Murphy's sketch: tables and one base page per PMD step${ignored}`);
        // the sketch's loop restarts at every call's start: run it per section call
        for (let s = r.start; s < r.end; s += r.callBytes) {
          const e = ops.onePagePerPmd(s, Math.min(r.end, s + r.callBytes), node);
          if (e !== 0) return e;
        }
        return 0;
      }
      if (!is4k) {
        ops.decide(r, 'basepages', `${a.PAGE_SIZE / 1024}K pages: arm64 maps the vmemmap with base pages (vmemmap_populate_basepages)${alt ? via : ignored}`);
        return ops.basepages(r.start, r.end, node, alt);
      }
      ops.decide(r, 'hugepages', `4K pages: PMD-sized blocks${alt ? via : ignored} (${gen === 'v6.2' ? 'vmemmap_populate_hugepages' : "arm64's own PMD loop"})`);
      return ops.hugepages(r.start, r.end, node, alt);
    },
    hugepages: gen === 'v6.14' ? { onFail: 'generic', tableAltmap: true, checkPmd: 'leaf' }
      : gen === 'v6.2' ? { onFail: 'generic', tableAltmap: true, checkPmd: 'any' }
      : gen === 'v5.11' ? { onFail: 'basepages', tableAltmap: true, checkPmd: 'any' }
      : { onFail: 'enomem', tableAltmap: false, checkPmd: 'any' },
    pmdPrintTracker: false,
    free: {
      // free_empty_tables(): PTE tables; PMD tables if CONFIG_PGTABLE_LEVELS > 2; PUD tables if
      // pgtable_l4_enabled() (> 3 levels); P4D tables if pgtable_l5_enabled().
      freeTables: { pte: true, pmd: levels > 2, pud: levels > 3, p4d: levels > 4 },
      floorCeiling: true,
      partialPmd: 'always',
      site: 'arch/arm64/mm/mmu.c:vmemmap_free',
      pteWalk: 'chunk', // unmap_hotplug_pte_range(): PAGE_SIZE steps from the chunk's start
      pteAltmap: true, // free_hotplug_page_range(page, size, altmap) -> vmem_altmap_free
      empty: !p.arm64HotRemove, // v5.6: vmemmap_free() is empty
    },
    memoryBlockSize: () => ({ size: 2 ** a.SECTION_SIZE_BITS, messages: [] }),
    // arch_get_mappable_range(): [__pa(_PAGE_OFFSET(vabits_actual)), __pa(PAGE_END - 1)]
    mappableRange: (memstart: number) => ({ start: memstart, end: Math.min(memstart + linear - 1, 2 ** a.MAX_PHYSMEM_BITS - 1) }),
    populateSite: 'arch/arm64/mm/mmu.c:vmemmap_populate',
    // arch/arm64/mm/fault.c die_kernel_fault(): pr_alert, then die("Oops", ...) with the ESR (not modelled) and the pc
    oopsLines: (o) => [
      { level: 1, text: `Unable to handle kernel paging request at virtual address ${o.va}\n` },
      { level: 0, text: 'Internal error: Oops: (esr) [#1] SMP\n', approx: true },
      { level: 4, text: `pc : ${o.fn}+(offset)\n`, approx: true },
    ],
    // arm64_memblock_init() (arch/arm64/mm/init.c @ v5.4..v6.18): RAM past memstart_addr +
    // linear_region_size is removed, after a pr_warn (the kernel image is never high here)
    bootMemoryCap: (base: number) => {
      const memstart = Math.floor(base / a.memstartAlign) * a.memstartAlign;
      return { kind: 'range', start: memstart, end: memstart + linear, site: 'arch/arm64/mm/init.c:arm64_memblock_init (memblock_remove)', warn: "Memory doesn't fit in the linear mapping, VA_BITS too small\n" };
    },
  };
}
