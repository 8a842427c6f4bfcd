/**
 * x86_64: 4K pages, 4-level (PML4) or 5-level (LA57) paging, PSE on or off.
 * Constants: arch/x86/include/asm/{page_types,pgtable_64_types,sparsemem}.h @ v6.18.
 * Policy: arch/x86/mm/init_64.c @ v6.18 (vmemmap_populate, remove_pagetable,
 * probe_memory_block_size).
 */
import { GiB, MiB, isAligned } from '../util/bits.js';
import type { KernelProfile } from '../kernels/types.js';
import type { ArchConfig, ArchPolicy, VmemmapOps, VmemmapRange } from './types.js';

export interface X86Options {
  /** 4 (default) or 5 (LA57). */
  levels: 4 | 5;
  /** X86_FEATURE_PSE (default true). */
  pse: boolean;
  /** X86_FEATURE_HYPERVISOR (default false: bare metal). */
  hypervisor: boolean;
  /** X86_FEATURE_GBPAGES (default true): 1 GiB huge pages exist (QEMU's qemu64 CPU has none). */
  gbpages: boolean;
}

export const X86_DEFAULTS: X86Options = { levels: 4, pse: true, hypervisor: false, gbpages: true };

/** __VMEMMAP_BASE_L4 / _L5 and __PAGE_OFFSET_BASE_L4 / _L5 (nokaslr). */
const VMEMMAP_BASE = { 4: 0xffffea0000000000n, 5: 0xffd4000000000000n } as const;
const PAGE_OFFSET_BASE = { 4: 0xffff888000000000n, 5: 0xff11000000000000n } as const;

export function x86Config(o: X86Options): ArchConfig {
  const l5 = o.levels === 5;
  // MAX_PHYSMEM_BITS = pgtable_l5_enabled() ? 52 : 46 (arch/x86/include/asm/sparsemem.h)
  const MAX_PHYSMEM_BITS = l5 ? 52 : 46;
  const STRUCT_PAGE_SIZE = 64;
  const start = VMEMMAP_BASE[o.levels];
  // The vmemmap region covers the struct pages of every possible pfn.
  const size = (1n << BigInt(MAX_PHYSMEM_BITS - 12)) * BigInt(STRUCT_PAGE_SIZE);
  return {
    arch: 'x86_64',
    label: `x86_64 ${o.levels}-level 4K${o.pse ? '' : ' nopse'}`,
    config: { pageSize: '4K', levels: o.levels, pse: o.pse, hypervisor: o.hypervisor, gbpages: o.gbpages },
    PAGE_SHIFT: 12,
    PAGE_SIZE: 4096,
    PMD_SHIFT: 21,
    PUD_SHIFT: 30,
    SECTION_SIZE_BITS: 27,
    MAX_PHYSMEM_BITS,
    STRUCT_PAGE_SIZE,
    pt: {
      levels: o.levels,
      shift: { pgd: l5 ? 48 : 39, p4d: l5 ? 39 : null, pud: 30, pmd: 21, pte: 12 },
      allocLevels: l5 ? ['p4d', 'pud', 'pmd', 'pte'] : ['pud', 'pmd', 'pte'],
    },
    VMEMMAP_START: start,
    VMEMMAP_END: start + size,
    PAGE_OFFSET: PAGE_OFFSET_BASE[o.levels],
    pageblockOrder: 9, // HPAGE_PMD_ORDER
    thpPmd: o.pse, // has_transparent_hugepage() = boot_cpu_has(X86_FEATURE_PSE)
    thpPud: true, // has_transparent_pud_hugepage(): HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD, not a CPU check
    pse: o.pse,
    hypervisor: o.hypervisor,
    memblockGoal: 16 * MiB, // __pa(MAX_DMA_ADDRESS)
    memstartAlign: 0,
    keepMemblock: false, // x86 does not select ARCH_KEEP_MEMBLOCK
    ptdump: 'x86',
    staticTablesFor: null, // the vmemmap PGD entries are populated on demand
    lacks: {},
    // arch/x86/mm/hugetlbpage.c: hugepages_supported() needs PSE; 1 GiB with GBPAGES, registered first
    hugePageSizes: !o.pse ? [] : o.gbpages ? [GiB, 2 * MiB] : [2 * MiB],
    preallocateTopTables: false,
  };
}

const MIN_MEMORY_BLOCK_SIZE = 128 * MiB;
const MAX_BLOCK_SIZE = 2 * GiB;
const MEM_SIZE_FOR_LARGE_BLOCK = 64 * GiB;

export function x86Policy(a: ArchConfig, p: KernelProfile): ArchPolicy {
  const sectionMemmap = 2 ** (a.SECTION_SIZE_BITS - a.PAGE_SHIFT) * a.STRUCT_PAGE_SIZE;
  return {
    /**
     * arch/x86/mm/init_64.c vmemmap_populate() @ v5.4..v6.18: less than a section's memmap
     * (sub-section hot-add) -> base pages from RAM, the altmap ignored; PSE -> hugepages with
     * the altmap; an altmap without PSE -> pr_err_once + -ENOMEM; else base pages.
     */
    vmemmap_populate<A>(ops: VmemmapOps<A>, r: VmemmapRange, node: number, altmap: A | null): number {
      if (r.callBytes < sectionMemmap) {
        ops.decide(r, 'basepages', `less than a section's memmap (a sub-section range): base pages from RAM${altmap ? ', the altmap ignored' : ''}`);
        return ops.basepages(r.start, r.end, node, null);
      }
      if (a.pse) {
        ops.decide(r, 'hugepages', `whole sections with PSE: PMD-sized blocks${altmap ? ' from the altmap' : ''} (vmemmap_populate_hugepages)`);
        return ops.hugepages(r.start, r.end, node, altmap);
      }
      if (altmap) {
        ops.decide(r, 'enomem', 'an altmap without PSE: "no cpu support for altmap allocations", -ENOMEM');
        ops.pr_err_once('vmemmap_populate', 'vmemmap_populate: no cpu support for altmap allocations\n');
        return -12;
      }
      ops.decide(r, 'basepages', 'no PSE: base pages');
      return ops.basepages(r.start, r.end, node, null);
    },
    // generic vmemmap_populate_hugepages() (v6.2+) or x86's private copy (<= v6.1), whose
    // fallback for a PMD that holds a PTE table passes NULL: base pages from RAM.
    hugepages: { onFail: 'generic', tableAltmap: p.genericHugepages, checkPmd: 'leaf' },
    pmdPrintTracker: true,
    free: {
      // remove_pagetable(direct=false): free_pte_table / free_pmd_table when empty;
      // free_pud_table only under pgtable_l5_enabled(); P4D tables are never freed.
      freeTables: { pte: true, pmd: true, pud: a.pt.levels === 5, p4d: false },
      floorCeiling: false,
      partialPmd: 'if-unused',
      site: 'arch/x86/mm/init_64.c:remove_pagetable',
      pteWalk: 'page', // remove_pte_table(): next = (addr + PAGE_SIZE) & PAGE_MASK
      pteAltmap: false, // base pages were never from an altmap (vmemmap_populate passes NULL below a section)
    },
    memoryBlockSize(bootMemEnd: number, advisedMax: number) {
      let bz: number;
      if (bootMemEnd < MEM_SIZE_FOR_LARGE_BLOCK) bz = MIN_MEMORY_BLOCK_SIZE;
      else if (p.x86MemoryBlockProbe === 'v6.18' && advisedMax > 0) {
        // memory_block_advised_max_size(): clamp, then halve until it divides the end of RAM
        bz = Math.min(Math.max(advisedMax, MIN_MEMORY_BLOCK_SIZE), MAX_BLOCK_SIZE);
        while (bz > MIN_MEMORY_BLOCK_SIZE && !isAligned(bootMemEnd, bz)) bz /= 2;
      } else if (p.x86MemoryBlockProbe !== 'v5.6' && !a.hypervisor) bz = MAX_BLOCK_SIZE;
      else {
        for (bz = MAX_BLOCK_SIZE; bz > MIN_MEMORY_BLOCK_SIZE; bz /= 2) if (isAligned(bootMemEnd, bz)) break;
      }
      return { size: bz, messages: [`x86/mm: Memory block size: ${bz / MiB}MB\n`] };
    },
    // generic arch_get_mappable_range() = [0, -1], clamped by mhp_get_pluggable_range() to PHYSMEM_END
    mappableRange: () => ({ start: 0, end: 2 ** a.MAX_PHYSMEM_BITS - 1 }),
    populateSite: 'arch/x86/mm/init_64.c:vmemmap_populate',
    // arch/x86/mm/fault.c show_fault_oops(): the address (%px), the kind of access, the error code of a not-present page
    oopsLines: (o) => [
      { level: 1, text: `BUG: unable to handle page fault for address: ${o.va}\n` },
      { level: 1, text: `#PF: supervisor ${o.access === 'write' ? 'write' : 'read'} access in kernel mode\n` },
      { level: 1, text: `#PF: error_code(0x${o.access === 'write' ? '0002' : '0000'}) - not-present page\n` },
      { level: 4, text: `RIP: 0010:${o.fn}+(offset)\n`, approx: true },
    ],
  };
}
