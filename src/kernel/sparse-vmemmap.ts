/**
 * mm/sparse-vmemmap.c @ v6.18: the vmem_altmap bump allocator, vmemmap_alloc_block*, the
 * per-level populate helpers (as range operations), vmemmap_populate_basepages /
 * vmemmap_populate_hugepages, vmemmap_verify and __populate_section_memmap.
 *
 * Every function takes the Kernel first (the kernel's globals) and works on a run of
 * identical iterations [start, end) of vmemmap offsets; see engine.ts for how runs are made
 * exact. Altmaps are passed by id (string) because a run may be rolled back and retried.
 */
import type { LeafLevel, PtLevel, VmemmapOps } from '../arch/types.js';
import { alignDown, alignUp, isAligned, lowestSetBit, lx, orderBase2 } from '../util/bits.js';
import { runSteps, shortOf, unusual } from './engine.js';
import { early_pfn_to_nid, memblock_alloc, memblock_alloc_many, NUMA_NO_NODE } from './memblock.js';
import { buddy_alloc } from './page_alloc.js';
import { addTables, leafSegments, mapLeaves, missingTables, pmdRuns, tableKindsFor } from './pgtable.js';
import { IntervalSet } from '../util/interval.js';
import { interleaveRuns, KERN_DEBUG, KERN_WARNING, printk, pr_err_once, pr_warn_once, WARN } from './printk.js';
import { sparse_buffer_alloc } from './sparse.js';
import { vmemmap_free } from './vmemmap-free.js';
import { compoundUnique, ENOMEM, injectFault, kernelAnomaly, offToPfn, offToVa, pfnToOff, selfHostedPfn, type Backing, type PgmapGeom, type Kernel, type Message, type TableOwner, type VmemAltmap } from './state.js';

const FILE = 'mm/sparse-vmemmap.c';
const LOCAL_DISTANCE = 10;

// ---------------------------------------------------------------------------------------
// struct vmem_altmap helpers (include/linux/mm.h, mm/sparse-vmemmap.c @ v6.18)

/** vmem_altmap_offset(): pfns from base_pfn to the first pfn of real device memory. */
export function vmem_altmap_offset(a: VmemAltmap | null | undefined): number {
  return a ? a.reserve + a.free : 0;
}

/** vmem_altmap_free(): alloc -= nr_pfns; align is never given back, nothing is checked. */
export function vmem_altmap_free(k: Kernel, id: string, nr_pfns: number): void {
  const a = k.s.altmaps.get(id)!;
  a.alloc -= nr_pfns;
  k.s.trace.push({ t: 'altmap-free', id, nr: nr_pfns });
}

export function vmem_altmap_next_pfn(a: VmemAltmap): number {
  return a.base_pfn + a.reserve + a.alloc + a.align;
}

export function vmem_altmap_nr_free(a: VmemAltmap): number {
  const allocated = a.alloc + a.align;
  return a.free > allocated ? a.free - allocated : 0;
}

/**
 * altmap_alloc_block_buf() for `count` consecutive requests of `size` bytes. Each request
 * is aligned to the largest power of two dividing its page count; only the first of a run
 * can need padding (the rest follow aligned). Returns the first pfn handed out, or null.
 */
export function altmap_alloc_block_buf(k: Kernel, size: number, id: string, count = 1): number | null {
  const a = k.s.altmaps.get(id)!;
  const { PAGE_SIZE } = k.c;
  if (size % PAGE_SIZE !== 0) {
    unusual(k, 'altmap: size not a multiple of PAGE_SIZE');
    pr_warn_once(k, FILE + ':altmap_alloc_block_buf', '%s: allocations must be multiple of PAGE_SIZE (%ld)\n', 'altmap_alloc_block_buf', size);
    return null;
  }
  if (a.self) return selfAltmapAlloc(k, a, size / PAGE_SIZE, count);
  const pfn0 = vmem_altmap_next_pfn(a);
  const nr_pfns = size / PAGE_SIZE;
  const unit = lowestSetBit(nr_pfns);
  const nr_align = alignUp(pfn0, unit) - pfn0;
  if (nr_pfns * count + nr_align > vmem_altmap_nr_free(a)) {
    shortOf(k, 'altmap exhausted', Math.max(0, Math.floor((vmem_altmap_nr_free(a) - nr_align) / nr_pfns)), count);
    k.s.trace.push({ t: 'note', text: `altmap_alloc_block_buf: altmap ${id} has ${vmem_altmap_nr_free(a)} free pfn(s), ${nr_pfns + nr_align} needed${nr_align ? ` (${nr_pfns} + ${nr_align} to align)` : ''}: NULL` });
    return null;
  }
  if (injectFault(k, 'altmap', count)) {
    unusual(k, 'altmap: injected fault');
    return null;
  }
  const alloc0 = a.alloc;
  a.alloc += nr_pfns * count;
  a.align += nr_align;
  const pfn = pfn0 + nr_align;
  const align = a.align;
  const fmt = '%s: pfn: %#lx alloc: %ld align: %ld nr: %#lx\n';
  printk(k, KERN_DEBUG, FILE + ':altmap_alloc_block_buf', fmt,
    ['altmap_alloc_block_buf', pfn, alloc0 + nr_pfns, align, nr_pfns], {
      run: {
        count,
        nth: (i) => `altmap_alloc_block_buf: pfn: 0x${lx(pfn + i * nr_pfns)} alloc: ${alloc0 + (i + 1) * nr_pfns} align: ${align} nr: 0x${lx(nr_pfns)}\n`,
      },
    });
  k.s.trace.push({ t: 'altmap-alloc', id, pfn, nr: nr_pfns, count, align: nr_align });
  return pfn;
}

/**
 * altmap_alloc_block_buf() on the per-block altmaps of memmap_on_memory blocks (held as one
 * object, VmemAltmap.self). vmemmap is populated in address order and each block's memmap
 * is `slice` pages, so the j-th page handed out overall is page j % slice of block
 * j / slice. Each request is checked against its own block's altmap, as the kernel does.
 */
function selfAltmapAlloc(k: Kernel, a: VmemAltmap, nr: number, count: number): number | null {
  const { stride, slice } = a.self!;
  const at = (j: number) => ({ blk: Math.floor(j / slice), off: j % slice });
  const first = at(a.alloc);
  const pfn = a.base_pfn + first.blk * stride + first.off;
  // mhp_supports_memmap_on_memory() makes `slice` a multiple of PMD_SIZE pages, so no
  // request straddles two blocks and none needs alignment padding
  if (slice % nr !== 0 || !isAligned(pfn, lowestSetBit(nr))) unusual(k, 'irregular memmap_on_memory request');
  if (first.off + nr > a.free || a.alloc + nr * count > slice * a.self!.blocks) {
    shortOf(k, 'altmap exhausted', first.off + nr > a.free ? 0 : Math.floor((slice * a.self!.blocks - a.alloc) / nr), count);
    return null;
  }
  if (injectFault(k, 'altmap', count)) {
    unusual(k, 'altmap: injected fault');
    return null;
  }
  const j0 = a.alloc;
  a.alloc += nr * count;
  const line = (j: number) => {
    const p = at(j);
    return `altmap_alloc_block_buf: pfn: 0x${lx(a.base_pfn + p.blk * stride + p.off)} alloc: ${p.off + nr} align: 0 nr: 0x${lx(nr)}\n`;
  };
  printk(k, KERN_DEBUG, FILE + ':altmap_alloc_block_buf', '%s', [line(j0)], { run: { count, nth: (i) => line(j0 + i * nr) } });
  k.s.trace.push({ t: 'altmap-alloc', id: a.id, pfn, nr, count, align: 0 });
  return pfn;
}

// ---------------------------------------------------------------------------------------
// Where memmap pages and page-table pages come from

/** Source of RAM for one run of allocations. */
export interface RamBlock {
  node: number;
  src: 'sparsebuf' | 'memblock' | 'buddy';
  /** Contiguity key: allocations of one run with the same key are physically consecutive. */
  key: number;
  /** Physical address when the model knows consecutive placement (sparse buffer), else -1. */
  phys: number;
}

/**
 * vmemmap_alloc_block(size, node) x count. Before the page allocator is up: memblock, raw,
 * aligned to size, above __pa(MAX_DMA_ADDRESS), preferring `node` (memblock_alloc_try_nid_raw
 * / memmap_alloc). After: alloc_pages_node(node, GFP_KERNEL|__GFP_RETRY_MAYFAIL|__GFP_NOWARN),
 * with warn_alloc() on the first failure ever (static `warned`).
 */
export function vmemmap_alloc_block(k: Kernel, size: number, node: number, count = 1): RamBlock | null {
  // where memblock or the page allocator put the block is unknown: no contiguity key
  const key = 0;
  if (!k.boot.done) {
    if (count > 1) {
      const nid = memblock_alloc_many(k, size, count, k.arch.cfg.memblockGoal, node);
      return { node: nid, src: 'memblock', key, phys: -1 };
    }
    const f = memblock_alloc(k, size, size, k.arch.cfg.memblockGoal, node, false);
    return f ? { node: f.nid, src: 'memblock', key, phys: -1 } : null;
  }
  const order = orderBase2(Math.ceil(size / k.c.PAGE_SIZE));
  const nid = buddy_alloc(k, 2 ** order, node, count);
  if (nid === null) {
    if (!k.s.allocWarned) {
      k.s.allocWarned = true;
      // warn_alloc(gfp_mask & ~__GFP_NOWARN, NULL, "vmemmap alloc failure: order:%u", order):
      // "<comm>: vmemmap alloc failure: order:%u, mode:%#x(%pGg), nodemask=(null)" + dump_stack + show_mem
      printk(k, KERN_WARNING, FILE + ':vmemmap_alloc_block',
        '%s: vmemmap alloc failure: order:%u, mode:%#x(%pGg), nodemask=(null)\n',
        ['<comm>', order, 0x4cc0, 'GFP_KERNEL|__GFP_RETRY_MAYFAIL'], { approx: true });
    }
    return null;
  }
  return { node: nid, src: 'buddy', key, phys: -1 };
}

/**
 * vmemmap_alloc_block_zero(): `count` page-table tables of `kind`; always RAM, never the sparse
 * buffer or an altmap. A table is one page on most arches; pt.tableBytes (with earlyTableBytes /
 * runtimeTableBytes, Consts.tableCost) says otherwise (s390: 16 KiB region/segment tables, order 2;
 * 2 KiB page tables, memblock_alloc(2 KiB) at boot and page_table_alloc() after: 2 KiB fragments
 * up to v6.7, a whole page from v6.8; powerpc radix: early_alloc_pgtable(PAGE_SIZE) at boot,
 * page-table fragments / slab after). Tables smaller than a page are taken as the pages they fill
 * together.
 */
function vmemmap_alloc_block_zero(k: Kernel, node: number, count: number, kind: PtLevel): TableOwner | null {
  const P = k.c.PAGE_SIZE;
  const each = k.boot.done ? k.c.tableCost.runtime[kind] : k.c.tableCost.boot[kind];
  if (!k.boot.done && k.arch.cfg.bootTablesAnyNode) {
    // s390 vmem_crst_alloc() / vmem_pte_alloc() at boot: memblock_alloc(size, size) per table
    // (16 KiB region/segment tables, 2 KiB page tables), any node, top-down from the top of
    // memory, so consecutive 2 KiB tables share pages (the free half of the page the last one
    // took is the next one's highest fit) and a memmap page between them leaves a half page
    // the next table fills (arch/s390/mm/vmem.c, v5.6..v7.1)
    const size = each * P;
    let nid: number;
    if (count > 1) nid = memblock_alloc_many(k, size, count, 0, NUMA_NO_NODE);
    else {
      const f = memblock_alloc(k, size, size, 0, NUMA_NO_NODE, false);
      if (!f) return null;
      nid = f.nid;
    }
    k.s.tablePages[nid] = (k.s.tablePages[nid] ?? 0) + count * each;
    return { node: nid, src: 'memblock' };
  }
  const r = each >= 1 ? vmemmap_alloc_block(k, each * P, node, count) : vmemmap_alloc_block(k, P, node, Math.ceil(count * each));
  if (!r) return null;
  k.s.tablePages[r.node] = (k.s.tablePages[r.node] ?? 0) + count * each;
  if (r.src === 'buddy' && each < 1 && Math.ceil(count * each) !== count * each) {
    // the fragment's other half stays free in the page the kernel keeps on its list
    const n = k.s.nodes[r.node];
    if (n) n.free += Math.ceil(count * each) - count * each;
  }
  return { node: r.node, src: r.src === 'buddy' ? 'buddy' : 'memblock' };
}

/**
 * riscv pgtable_cache_init() -> preallocate_pgd_pages_range(VMEMMAP_START, VMEMMAP_END,
 * "vmemmap") (arch/riscv/mm/init.c @ v6.11..v7.1, with MEMORY_HOTPLUG): after memblock has
 * handed over, the table under every PGD entry of the vmemmap region is allocated from the
 * page allocator, so populate and free never change that level again. A failure panics.
 */
export function preallocate_vmemmap_top_tables(k: Kernel): void {
  const kind = k.arch.cfg.pt.allocLevels[0]!;
  const spans = missingTables(k, kind, k.c.startOff, k.c.endOff);
  if (spans.length === 0) return;
  const n = spans.reduce((t, r) => t + (r.end - r.start), 0) / k.c.tableSpan[kind];
  const nid = Math.max(0, k.s.nodes.findIndex((x) => x.online));
  const owner = vmemmap_alloc_block_zero(k, nid, n, kind);
  if (!owner) {
    printk(k, 0, 'arch/riscv/mm/init.c:preallocate_pgd_pages_range', 'Kernel panic - not syncing: Failed to pre-allocate %s pages for %s area\n', [kind === 'p4d' ? 'p4d' : kind === 'pud' ? 'pud' : 'pmd', 'vmemmap']);
    return;
  }
  addTables(k, kind, spans, owner);
}

/**
 * vmemmap_alloc_block_buf(size, node, altmap) x count (v5.9+, 56993b4e147e): an altmap is
 * the only source when given (no fallback to RAM); otherwise the boot sparse buffer, then
 * vmemmap_alloc_block().
 */
export function vmemmap_alloc_block_buf(k: Kernel, size: number, node: number, altmap: string | null, count = 1, fallback = false): Backing | null {
  const user = k.profile.policies?.vmemmap_alloc_block_buf;
  if (!user) return builtinAllocBlockBuf(k, size, node, altmap, count, fallback);
  // a profile module's allocator, composed from the two sources the kernel has
  const b = user({
    size, node, altmap, count,
    fromAltmap: () => (altmap ? altmapBlock(k, size, altmap, count) : null),
    fromRam: () => ramBlock(k, size, node, count),
    base: () => builtinAllocBlockBuf(k, size, node, altmap, count, fallback),
  });
  return (b as Backing | null) ?? null;
}

/** count blocks of size from an altmap, or null (altmap_alloc_block_buf). */
function altmapBlock(k: Kernel, size: number, altmap: string, count: number): Backing | null {
  const pfn = altmap_alloc_block_buf(k, size, altmap, count);
  if (pfn === null) return null;
  const self = k.s.altmaps.get(altmap)!.self;
  return self ? { kind: 'self', node: self.node } : { kind: 'altmap', id: altmap, pfn };
}

/** count blocks of size from RAM: the boot sparse buffer, then vmemmap_alloc_block(). */
function ramBlock(k: Kernel, size: number, node: number, count: number): Backing | null {
  // s390 <= v6.8 calls vmemmap_alloc_block(), which never uses the sparse buffer
  const sb = k.arch.policy.noSparseBuffer ? null : sparse_buffer_alloc(k, size, count);
  const r = sb ?? vmemmap_alloc_block(k, size, node, count);
  if (!r) return null;
  k.s.memmapRamPages[r.node] = (k.s.memmapRamPages[r.node] ?? 0) + (size / k.c.PAGE_SIZE) * count;
  return { kind: 'ram', node: r.node, src: r.src, key: r.key };
}

function builtinAllocBlockBuf(k: Kernel, size: number, node: number, altmap: string | null, count: number, fallback: boolean): Backing | null {
  if (altmap && k.profile.allocBlockBuf === 'fallback-as-posted') {
    // thread §4: fallback=false (x86, arm64, the generic PTE path): NULL if the altmap fails;
    // fallback=true (powerpc's vmemmap_populate): on to RAM. Either way, once past that, the
    // pr_debug and - as posted - the RAM allocation below, the altmap pfns charged but unused
    const logFrom = k.s.log.length;
    const pfn = altmap_alloc_block_buf(k, size, altmap, count);
    if (pfn === null && !fallback) return null;
    printk(k, KERN_DEBUG, FILE + ':vmemmap_alloc_block_buf', 'altmap block allocation failed,\t\t\t\tfalling back to system memory', [], { run: { count, nth: () => 'altmap block allocation failed,\t\t\t\tfalling back to system memory' } });
    interleaveRuns(k, logFrom, count); // the kernel prints block by block: its altmap line, then this one
    // the patch's own defect, not vmemmap-lab's: the altmap pages it took are never used nor
    // given back (said once per altmap and step: every block of the step does the same; no
    // count: how many blocks the first call covers is the range engine's batching, not the kernel's)
    const site = FILE + ':vmemmap_alloc_block_buf';
    const head = `as posted (thread section 4) it charges altmap ${altmap} for every block and maps RAM instead`;
    if (pfn !== null && !k.s.anomalies.some((x) => x.step === k.step && x.site === site && x.text.startsWith(head))) {
      const text = `${head} (from pfn 0x${lx(BigInt(pfn))}, ${size / k.c.PAGE_SIZE} pfn(s) a block): the altmap's alloc counts pages that no mapping uses`;
      kernelAnomaly(k, site, text);
    }
  } else if (altmap) {
    // v5.9+ (56993b4e147e): the altmap is the only source; in v5.6 x86 made the same choice itself
    return altmapBlock(k, size, altmap, count);
  }
  return ramBlock(k, size, node, count);
}

// ---------------------------------------------------------------------------------------
// vmemmap_verify

/** The node early_pfn_to_nid() reports for a backing page. */
function backingNode(k: Kernel, b: Backing, off: number): number {
  if (b.kind === 'ram') return b.node;
  if (b.kind === 'compound') return compoundUnique(k, b, alignDown(off, k.c.PAGE_SIZE), alignDown(off, k.c.PAGE_SIZE) + k.c.PAGE_SIZE).heads ? b.node : b.tailNode;
  return early_pfn_to_nid(k, b.kind === 'altmap' ? b.pfn : selfHostedPfn(k, off));
}

/**
 * vmemmap_verify() over PMD entries in [a, b): the kernel passes [addr, next) for each call and
 * PMD (next = pmd_addr_end(addr, end) of that call: mm/sparse-vmemmap.c
 * vmemmap_populate_hugepages() via vmemmap_check_pmd() v6.2..v7.1, arch PMD loops before;
 * arch/powerpc/mm/book3s64/radix_pgtable.c radix__vmemmap_populate() v6.6..v7.1), so when a batch holds several whole-section
 * calls (`call` bytes of memmap each, smaller than a PMD and dividing it) each call's part of a
 * PMD is verified on its own; otherwise the PMD's part of [a, b).
 */
function verifyPmds(k: Kernel, node: number, a: number, b: number, call: number): void {
  const PMD = k.c.PMD_SIZE;
  const unit = call > 0 && call < PMD && PMD % call === 0 ? call : PMD;
  vmemmap_verify(k, node, a, b, unit, (u) => [Math.max(u, a), Math.min(u + unit, b)]);
}

/**
 * vmemmap_verify() for each unit (a page after each PTE; the PMD step for an existing huge
 * PMD) of [a, b), units aligned to `unit`: "[%lx-%lx] potential offnode page_structs" when the
 * backing page's node is farther than LOCAL_DISTANCE (pr_warn_once since v6.0). `range(u)`
 * gives the [start, end) the kernel passed for the unit at u.
 */
function vmemmap_verify(k: Kernel, node: number, a: number, b: number, unit: number, range: (u: number) => [number, number]): void {
  const site = FILE + ':vmemmap_verify';
  if (k.arch.policy.noVerify) return;
  if (k.profile.vmemmapVerifyOnce && k.s.once.has(site)) return;
  const fmt = '[%lx-%lx] potential offnode page_structs\n';
  const text = (u: number) => {
    const [x, y] = range(u);
    return `[${lx(offToVa(k, x))}-${lx(offToVa(k, y) - 1n)}] potential offnode page_structs\n`;
  };
  const far = (n: number) => n >= 0 && k.distance[n]![node]! > LOCAL_DISTANCE;
  for (const s of leafSegments(k, a, b)) {
    let start = s.start;
    const bk = s.v.b;
    if (bk.kind === 'compound') {
      // heads live on `node`, tails and the PTEs mapping them on `tailNode`: the first far page
      const P = k.c.PAGE_SIZE;
      let first = Infinity;
      for (let pg = alignDown(s.start, P); pg < s.end && pg < alignDown(s.start, P) + (bk.period || 1) * P; pg += P) {
        if (far(backingNode(k, bk, pg))) { first = Math.max(pg, s.start); break; }
      }
      if (first === Infinity) continue;
      start = first;
    } else if (!far(backingNode(k, bk, s.start))) continue;
    const u0 = alignDown(start, unit);
    const [x, y] = range(u0);
    if (k.profile.vmemmapVerifyOnce) {
      // pr_warn_once (mm/sparse-vmemmap.c vmemmap_verify(), v6.0..v7.1) is printed once per
      // boot, between the lines of the iteration that met the far page: a
      // batch would print it after all of its iterations' lines, so it runs that iteration
      // on its own (at most a few extra tries per boot)
      if (alignUp(b, unit) - alignDown(a, unit) > unit) unusual(k, 'offnode warning inside a run');
      pr_warn_once(k, site, fmt, offToVa(k, x), offToVa(k, y) - 1n);
      k.s.once.add(site);
      return;
    }
    const n = Math.ceil((s.end - u0) / unit);
    printk(k, KERN_WARNING, site, fmt, [offToVa(k, x), offToVa(k, y) - 1n], { run: { count: n, nth: (i) => text(u0 + i * unit) } });
  }
}

// ---------------------------------------------------------------------------------------
// Page-table population

/**
 * vmemmap_pgd_populate .. vmemmap_pmd_populate for a run: allocate, top-down, every missing
 * table on the way to entries of `entryLevel` over [a, b). Tables never come from an altmap.
 */
function populate_tables(k: Kernel, a: number, b: number, node: number, entryLevel: LeafLevel): number {
  for (const kind of tableKindsFor(k, entryLevel)) {
    const spans = missingTables(k, kind, a, b);
    if (spans.length === 0) continue;
    const n = spans.reduce((t, r) => t + (r.end - r.start), 0) / k.c.tableSpan[kind];
    const owner = vmemmap_alloc_block_zero(k, node, n, kind);
    if (!owner) return ENOMEM;
    addTables(k, kind, spans, owner);
  }
  return 0;
}

/**
 * vmemmap_populate_basepages(start, end, node, altmap) (v5.9+: altmap honoured,
 * 1d9cfee7535c): per PAGE_SIZE step, populate the tables, then the PTE
 * (vmemmap_pte_populate: an existing PTE is left alone) from vmemmap_alloc_block_buf(), then
 * vmemmap_verify(). The first failure returns -ENOMEM; nothing already done is undone here.
 */
export function vmemmap_populate_basepages(k: Kernel, start: number, end: number, node: number, altmapIn: string | null): number {
  const P = k.c.PAGE_SIZE;
  // v5.6: vmemmap_populate_basepages(start, end, node) has no altmap (1d9cfee7535c added it)
  const altmap = k.profile.basepagesAltmap ? altmapIn : null;
  // vmemmap_populate_range() steps addr += PAGE_SIZE from `start`, which need not be page
  // aligned (a sub-section's memmap is 2 KiB on 64K pages): the pages visited are the
  // ceil((end - start) / PAGE_SIZE) pages from the one holding `start`.
  const A = alignDown(start, P);
  const B = A + Math.ceil((end - start) / P) * P;
  const phase = start - A;
  return runSteps(k, A, B, P, (a, b) => {
    const huge = leafSegments(k, a, b, 'pmd');
    if (huge.length > 0) {
      // pte_offset_kernel() on a huge PMD would treat the memmap block as a PTE table.
      k.s.trace.push({ t: 'note', text: `vmemmap_populate_basepages over a PMD leaf at ${lx(offToVa(k, huge[0]!.start))}: the kernel would corrupt memory; skipped` });
      unusual(k, 'basepages over a PMD leaf');
      return 0;
    }
    if (populate_tables(k, a, b, node, 'pte') !== 0) return ENOMEM;
    for (const g of k.s.leaves.gaps(a, b)) {
      const n = (g.end - g.start) / P;
      const bk = vmemmap_alloc_block_buf(k, P, node, altmap, n);
      if (!bk) return ENOMEM;
      mapLeaves(k, g.start, g.end, 'pte', bk);
    }
    vmemmap_verify(k, node, a, b, P, (u) => [u + phase, u + phase + P]);
    return 0;
  });
}

/** vmemmap_populate_basepages() per PMD step of [a, b), as vmemmap_populate_hugepages() calls it. */
function basepagesPerPmd(k: Kernel, a: number, b: number, node: number, altmap: string | null): number {
  const first = Math.min(b, alignDown(a, k.c.PMD_SIZE) + k.c.PMD_SIZE);
  if (vmemmap_populate_basepages(k, a, first, node, altmap) !== 0) return ENOMEM;
  return first < b ? vmemmap_populate_basepages(k, first, b, node, altmap) : 0;
}

/** x86 vmemmap_set_pmd() print tracker: " [%lx-%lx] PMD -> [%p-%p] on node %d". */
function pmdTrack(k: Kernel, a: number, b: number, bk: Backing, node: number): void {
  if (!k.arch.policy.pmdPrintTracker) return;
  if (bk.kind === 'self') return selfPmdTrack(k, a, b, node);
  if (bk.kind === 'compound') return; // only PTEs
  const known = bk.kind === 'altmap';
  const key = bk.kind === 'altmap' ? 'altmap:' + bk.id : bk.src === 'sparsebuf' ? 'sb:' + bk.key : 'ram:' + bk.key;
  const phys = bk.kind === 'altmap' ? bk.pfn * k.c.PAGE_SIZE : 0;
  pmdTrackRun(k, a, b, key, phys, known, node);
}

function pmdTrackRun(k: Kernel, a: number, b: number, key: string, phys: number, known: boolean, node: number): void {
  const run = k.s.pmdRun;
  // x86 vmemmap_set_pmd(): a run continues while p_end == p and the node is the same (the
  // virtual addresses need not be adjacent: addr_end is simply overwritten)
  const contiguous = run && run.node === node && run.key === key && (!known || run.p1 === phys);
  if (!contiguous) {
    vmemmap_populate_print_last(k);
    k.s.pmdRun = { va0: a, va1: b, key, p0: phys, p1: phys + (b - a), node, known };
  } else {
    run!.va1 = b; // addr_end = addr + PMD_SIZE
    run!.p1 = phys + (b - a);
  }
}

/**
 * The tracker over self-hosted PMDs: physically contiguous inside a memory block, a jump
 * to the next block's start between blocks, so one line per block; the whole blocks in the
 * middle of [a, b) print as one run of lines.
 */
function selfPmdTrack(k: Kernel, a: number, b: number, node: number): void {
  const bp = k.boot.memoryBlockSize / k.c.PAGE_SIZE;
  const span = bp * k.c.STRUCT_PAGE; // vmemmap bytes of one block
  const piece = (x: number, y: number) => { if (y > x) pmdTrackRun(k, x, y, 'self', selfHostedPfn(k, x) * k.c.PAGE_SIZE, true, node); };
  const blockOf = (off: number) => pfnToOff(k, Math.floor(offToPfn(k, off) / bp) * bp);
  // [a, w0) the rest of a block begun earlier, [w0, w1) whole blocks, [w1, b) the start of one
  const w0 = blockOf(a) === a ? a : Math.min(b, blockOf(a) + span);
  const w1 = Math.max(w0, blockOf(b) === b ? b : blockOf(b));
  piece(a, w0);
  const whole = (w1 - w0) / span;
  if (whole > 0) {
    vmemmap_populate_print_last(k);
    const line = (i: number) => {
      const x = w0 + i * span;
      const p = selfHostedPfn(k, x) * k.c.PAGE_SIZE;
      return ` [${lx(offToVa(k, x))}-${lx(offToVa(k, x + span) - 1n)}] PMD -> [${lx(k.arch.cfg.PAGE_OFFSET + BigInt(p))}-${lx(k.arch.cfg.PAGE_OFFSET + BigInt(p + span) - 1n)}] on node ${node}\n`;
    };
    printk(k, KERN_DEBUG, 'arch/x86/mm/init_64.c:vmemmap_populate_print_last', '%s', [line(0)], { run: { count: whole, nth: line } });
  }
  piece(w1, b);
}

/** vmemmap_populate_print_last(): flush the pending PMD run (x86; a no-op elsewhere). */
export function vmemmap_populate_print_last(k: Kernel): void {
  const r = k.s.pmdRun;
  if (!r) return;
  k.s.pmdRun = null;
  const dm = (p: number) => (r.known ? lx(k.arch.cfg.PAGE_OFFSET + BigInt(p)) : '(unknown)');
  printk(k, KERN_DEBUG, 'arch/x86/mm/init_64.c:vmemmap_populate_print_last', ' [%lx-%lx] PMD -> [%p-%p] on node %d\n',
    [offToVa(k, r.va0), offToVa(k, r.va1) - 1n, dm(r.p0), r.known ? lx(k.arch.cfg.PAGE_OFFSET + BigInt(r.p1) - 1n) : '(unknown)', r.node],
    { approx: !r.known });
}

/**
 * vmemmap_populate_hugepages(start, end, node, altmap), in the variant the arch runs (see
 * HugepagesVariant): the generic loop (mm/sparse-vmemmap.c since v6.2, 2045a3b8911b), x86's
 * private copy (arch/x86/mm/init_64.c <= v6.1) or arm64's own loops (<= v6.1). Per PMD step:
 * tables; an empty PMD gets a PMD_SIZE block from vmemmap_alloc_block_buf(); when that fails
 * the variant decides (-ENOMEM, or base pages for the step); an existing PMD goes to
 * vmemmap_check_pmd() (verified; a leaf - or with 'any' anything - counts as populated);
 * anything else falls back to vmemmap_populate_basepages() for the step.
 */
export function vmemmap_populate_hugepages(k: Kernel, start: number, end: number, node: number, altmap: string | null, call = 0): number {
  const PMD = k.c.PMD_SIZE;
  const v = k.arch.policy.hugepages;
  return runSteps(k, start, end, PMD, (a, b) => {
    for (const r of pmdRuns(k, a, b).flatMap((x) => (x.state === 'none' ? atNewTables(k, x, 'pmd') : [x]))) {
      const A = alignDown(r.start, PMD);
      const B = alignUp(r.end, PMD);
      if (r.state === 'none') {
        if (populate_tables(k, r.start, r.end, node, 'pmd') !== 0) return ENOMEM;
        const n = (B - A) / PMD;
        const bk = vmemmap_alloc_block_buf(k, PMD, node, altmap, n);
        if (bk) {
          mapLeaves(k, A, B, 'pmd', bk);
          pmdTrack(k, A, B, bk, node);
          if (r.start !== A || r.end !== B) {
            k.s.trace.push({ t: 'note', text: 'vmemmap_use_new_sub_pmd: partial PMD' });
            useNewSubPmd(k, r.start, r.end);
          }
          continue;
        }
        if (v.onFail === 'enomem' || (v.onFail === 'generic' && altmap)) {
          k.s.trace.push({ t: 'note', text: `${HUGE}: no PMD_SIZE block ${altmap ? 'left in the altmap' : 'in RAM'}: -ENOMEM (${altmap ? 'no fallback with an altmap' : 'this version has no fallback'})` });
          return ENOMEM;
        }
        k.s.trace.push({ t: 'note', text: `${HUGE}: no PMD_SIZE block ${altmap ? 'in the altmap' : 'in RAM'} for ${fmtCount(n, 'PMD step')}: base pages instead${v.onFail === 'basepages' && altmap ? ' (from the same altmap)' : ''}` });
        if (basepagesPerPmd(k, r.start, r.end, node, v.onFail === 'basepages' ? altmap : null) !== 0) return ENOMEM;
        continue;
      }
      if (r.state === 'leaf') {
        verifyPmds(k, node, r.start, r.end, call);
        // vmemmap_use_sub_pmd(): the range is in use again (no longer all PAGE_UNUSED)
        if (k.arch.policy.free.partialPmd === 'if-unused') k.s.pmdUnused.remove(r.start, r.end);
        if (altmap) staleAltmapFrames(k, r.start, r.end, altmap);
        continue;
      }
      if (v.checkPmd === 'any') {
        // the PMD holds a PTE table: vmemmap_verify() looks at that table page; then skipped
        verifyTablePage(k, node, r.start, r.end);
        continue;
      }
      k.s.trace.push({ t: 'note', text: `${HUGE}: the PMD already holds a PTE table (${fmtCount((B - A) / PMD, 'PMD step')}): base pages${v.tableAltmap ? '' : ' from RAM (x86 <= v6.1 passes no altmap)'}` });
      if (basepagesPerPmd(k, r.start, r.end, node, v.tableAltmap ? altmap : null) !== 0) return ENOMEM;
    }
    return 0;
  });
}

const HUGE = 'vmemmap_populate_hugepages';

/**
 * vmemmap_populate_hugepages() goes PMD by PMD: the tables a PMD is missing
 * (vmemmap_p?d_populate), then its block. A run of PMDs that meets a missing table past its
 * first PMD goes in pieces, each starting at such a table, so that tables and blocks take
 * memory in the kernel's order: memblock places top-down and falls back to another node when
 * one is full, and a node's last free pages go to whichever asks first. (Not yet applied to
 * vmemmap_populate_basepages(), whose runs still take all their PTE tables first.)
 */
function atNewTables<R extends { start: number; end: number }>(k: Kernel, r: R, entryLevel: LeafLevel): R[] {
  // the last kind holds the entries: a table missing at any level above leaves it missing too
  const kinds = tableKindsFor(k, entryLevel);
  const kind = kinds[kinds.length - 1]!;
  const span = k.c.tableSpan[kind];
  const at = [r.start];
  // (the gaps end by alignUp(r.end, span): every span start in them is below r.end)
  for (const g of missingTables(k, kind, r.start, r.end)) for (let x = g.start; x < g.end; x += span) if (x > r.start) at.push(x);
  if (at.length === 1) return [r];
  at.push(r.end);
  return at.slice(1).map((e, i) => ({ ...r, start: at[i]!, end: e }));
}

/**
 * A PMD block kept from an earlier life of the same altmap (a partly used block that another
 * range's memmap still shares, so vmemmap_free() kept it) is found populated when the
 * re-created altmap - alloc from 0 - maps the range again: its pfns lie beyond what the new
 * altmap counts as allocated. The kernel reuses the block silently; a later allocation from
 * this altmap would hand those pfns out again, and freeing the block through it takes
 * vmem_altmap_free() below what it allocated.
 */
function staleAltmapFrames(k: Kernel, a: number, b: number, altmap: string): void {
  const am = k.s.altmaps.get(altmap);
  if (!am || am.self) return;
  const P = k.c.PAGE_SIZE;
  const next = vmem_altmap_next_pfn(am);
  for (const s of leafSegments(k, alignDown(a, k.c.PMD_SIZE), alignUp(b, k.c.PMD_SIZE), 'pmd')) {
    const bk = s.v.b;
    if (bk.kind !== 'altmap' || bk.id !== altmap || bk.pfn + (s.end - s.start) / P <= next) continue;
    k.s.anomalies.push({ step: k.step, site: k.arch.policy.populateSite, text: `the PMD block at ${lx(offToVa(k, s.start))} (pfn 0x${lx(BigInt(bk.pfn))}) was mapped from an earlier life of altmap ${altmap} and is reused, but the re-created altmap counts its pfns as free (next pfn 0x${lx(BigInt(next))}): another allocation would hand them out again, and freeing the block through this altmap takes alloc below what it allocated` });
    return;
  }
}

/**
 * vmemmap_use_new_sub_pmd(start, end) (x86 arch/x86/mm/init_64.c, s390 arch/s390/mm/vmem.c,
 * v5.9+), for the arches whose vmemmap_free() frees a partly covered PMD only once it is all
 * PAGE_UNUSED: the parts of a new PMD block outside [start, end) are marked unused (the head at
 * once, the tail when the next populate does not continue there - the same end state).
 */
function useNewSubPmd(k: Kernel, start: number, end: number): void {
  if (k.arch.policy.free.partialPmd !== 'if-unused') return;
  const PMD = k.c.PMD_SIZE;
  // only the first and the last block can be partial
  const head = alignDown(start, PMD);
  const tail = alignUp(end, PMD);
  if (start > head) k.s.pmdUnused.add(head, start);
  if (end < tail) k.s.pmdUnused.add(end, tail);
}

function fmtCount(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** vmemmap_verify((pte_t *)pmd, ...) on a PMD that points to a PTE table: the table page's node. */
function verifyTablePage(k: Kernel, node: number, a: number, b: number): void {
  const site = FILE + ':vmemmap_verify';
  if (k.arch.policy.noVerify) return;
  if (k.profile.vmemmapVerifyOnce && k.s.once.has(site)) return;
  const PMD = k.c.PMD_SIZE;
  for (const t of k.s.tables.pte.overlaps(a, b)) {
    if (t.v.node < 0 || k.distance[t.v.node]![node]! <= LOCAL_DISTANCE) continue;
    // adjacent PTE tables of one node are one interval here, and a batch of PMD steps can start
    // inside it: the kernel verifies every PMD step [addr, next) of [a, b) on its own (arm64
    // vmemmap_populate() @ v5.11..v6.1, vmemmap_check_pmd() @ v6.2..v6.13), one line each
    const u = alignDown(Math.max(t.start, a), PMD);
    const x = Math.max(u, a);
    const y = Math.min(u + PMD, b);
    if (k.profile.vmemmapVerifyOnce) k.s.once.add(site);
    const n = Math.ceil((Math.min(t.end, b) - u) / PMD);
    const line = (i: number) => `[${lx(offToVa(k, Math.max(u + i * PMD, a)))}-${lx(offToVa(k, Math.min(u + (i + 1) * PMD, b)) - 1n)}] potential offnode page_structs\n`;
    printk(k, KERN_WARNING, site, '[%lx-%lx] potential offnode page_structs\n', [offToVa(k, x), offToVa(k, y) - 1n], k.profile.vmemmapVerifyOnce ? {} : { run: { count: n, nth: line } });
    if (k.profile.vmemmapVerifyOnce) return;
  }
}

/**
 * Robin Murphy's arm64 sketch for 16K/64K (thread §3), read with the intended pudp: per PMD
 * step [addr, next), the tables down to a PTE table and one base page at addr from RAM, then
 * vmemmap_verify() of the PTE-table page over the whole step. The rest of each step stays
 * unmapped, as posted.
 */
export function vmemmap_one_page_per_pmd(k: Kernel, start: number, end: number, node: number): number {
  const PMD = k.c.PMD_SIZE;
  const P = k.c.PAGE_SIZE;
  for (let addr = start, next = 0; addr < end; addr = next) {
    next = Math.min(end, alignDown(addr, PMD) + PMD);
    if (populate_tables(k, addr, addr + 1, node, 'pte') !== 0) return ENOMEM;
    const pg = alignDown(addr, P);
    if (!k.s.leaves.get(pg)) {
      const bk = vmemmap_alloc_block_buf(k, P, node, null, 1);
      if (!bk) return ENOMEM;
      mapLeaves(k, pg, pg + P, 'pte', bk);
    }
    verifyTablePage(k, node, addr, next);
  }
  return 0;
}

/** The generic helpers handed to an arch's vmemmap_populate() policy. */
export function vmemmapOps(k: Kernel, altmap: string | null = null, node = -1, call = 0): VmemmapOps<string> {
  return {
    decide: (r, path, why) => { k.s.trace.push({ t: 'populate', path, why, start: r.start, end: r.end, callBytes: r.callBytes, altmap, node }); },
    basepages: (s, e, n, a) => vmemmap_populate_basepages(k, s, e, n, a),
    hugepages: (s, e, n, a) => vmemmap_populate_hugepages(k, s, e, n, a, call),
    free: (s, e, a) => vmemmap_free(k, s, e, a),
    onePagePerPmd: (s, e, n) => vmemmap_one_page_per_pmd(k, s, e, n),
    radixPmdLoop: (s, e, n, a) => ppc_radix_pmd_loop(k, s, e, n, a, call),
    basepagesFallback: (s, e, n, a) => ppc_basepages_fallback(k, s, e, n, a),
    altmapCrossBoundary: (a, s, size) => altmap_cross_boundary(k, a, s, size),
    listBlocks: (s, e, n, a, bs, t, cb) => ppc_list_blocks(k, s, e, n, a, bs, t, cb),
    bootRam: () => k.boot.bootRam ?? 0,
    pr_err_once: (site, text) => {
      unusual(k, 'pr_err_once');
      pr_err_once(k, site, '%s', text);
    },
    warn_on_once: (site, cond) => WARN(k, cond, k.arch.policy.populateSite, null, [], true) && !!site,
  };
}

/**
 * __populate_section_memmap(pfn, nr_pages, nid, altmap, pgmap) for a run of `nsec`
 * identical section calls: v5.9+ returns NULL (after WARN_ON_ONCE) unless pfn and nr_pages
 * are sub-section aligned; then the arch's vmemmap_populate() over the struct pages of
 * [pfn, pfn + nr_pages). Returns 0 or -ENOMEM (the kernel returns the memmap or NULL).
 */
export function __populate_section_memmap(k: Kernel, pfnIn: number, nrIn: number, nid: number, altmap: string | null, nsec = 1, pgmap: PgmapGeom | null = null): number {
  const { PAGES_PER_SUBSECTION, STRUCT_PAGE } = k.c;
  let pfn = pfnIn;
  let nr_pages = nrIn;
  if (pfn % PAGES_PER_SUBSECTION !== 0 || nr_pages % PAGES_PER_SUBSECTION !== 0) {
    if (k.profile.populateSectionAlignCheck) {
      unusual(k, 'misaligned populate');
      WARN(k, true, FILE + ':__populate_section_memmap', null, [], true);
      return ENOMEM;
    }
    // v5.6: round the range out to sub-sections
    const end = alignUp(pfn + nr_pages, PAGES_PER_SUBSECTION);
    pfn = alignDown(pfn, PAGES_PER_SUBSECTION);
    nr_pages = end - pfn;
  }
  const start = pfnToOff(k, pfn);
  const end = start + nr_pages * STRUCT_PAGE;
  if (start < k.c.startOff || end > k.c.endOff) {
    // riscv v6.8..v6.12: vmemmap = VMEMMAP_START - (phys_ram_base >> PAGE_SHIFT), but sparse_init()
    // populates whole sections, so DRAM that starts inside a section puts the section's first
    // struct pages below VMEMMAP_START ("riscv: mm: Fix the out of bound issue of vmemmap
    // address", v6.13, aligns vmemmap_start_pfn to a section). The kernel maps them there anyway.
    const site = FILE + ':__populate_section_memmap';
    const text = `the struct pages of pfns ${lx(BigInt(pfn))}..${lx(BigInt(pfn + nr_pages - 1))} (${lx(offToVa(k, start))}-${lx(offToVa(k, end) - 1n)}) fall outside the vmemmap region [${lx(k.arch.cfg.VMEMMAP_START)}-${lx(k.arch.cfg.VMEMMAP_END - 1n)}]: the kernel maps them there anyway`;
    kernelAnomaly(k, site, text);
  }
  if (vmemmap_can_optimize(k, altmap, pgmap)) return vmemmap_populate_compound_pages(k, pfn, start, end, nid, pgmap!, (end - start) / nsec);
  // a batch of whole-section calls: the PMD-level vmemmap_verify() sees each call's part of a PMD
  return k.arch.policy.vmemmap_populate(vmemmapOps(k, altmap, nid, nsec > 1 ? (end - start) / nsec : 0), { start, end, callBytes: (end - start) / nsec }, nid, altmap);
}

// ---------------------------------------------------------------------------------------
// device-dax compound pages: vmemmap dedup

/**
 * Whether __populate_section_memmap() takes the compound path:
 *  v6.1: inline, sizeof(struct page) a power of two, a pgmap with pgmap_vmemmap_nr() > 1,
 *        no altmap - on every arch (read in 6.1.0 and 6.1.20);
 *  v6.6+: vmemmap_can_optimize() (include/linux/mm.h): the arch selects
 *        ARCH_WANT_OPTIMIZE_DAX_VMEMMAP (x86_64, riscv64 v6.11+; not arm64, loongarch64), and the same conditions plus
 *        more than VMEMMAP_RESERVE_NR (2) vmemmap pages per compound page.
 */
export function vmemmap_can_optimize(k: Kernel, altmap: string | null, pgmap: PgmapGeom | null): boolean {
  const v = k.profile.daxVmemmapDedup;
  if (v === 'none' || !pgmap || altmap || pgmap.nr <= 1) return false;
  if (!isPowerOf2(k.c.STRUCT_PAGE)) return false;
  const enough = v === 'v6.1' || (pgmap.nr * k.c.STRUCT_PAGE) / k.c.PAGE_SIZE > 2;
  if (k.arch.cfg.daxDedupNotModelled) {
    // the kernel deduplicates here with code the model does not have: say so (the report's
    // memmap figures are then the full memmap's, more than the kernel uses)
    if (enough) k.modelGaps.add(k.arch.cfg.daxDedupNotModelled);
    return false;
  }
  if (v === 'v6.1') return true;
  if (k.arch.cfg.lacks.daxVmemmapOpt !== undefined) return false;
  return enough;
}

const isPowerOf2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

/**
 * vmemmap_populate_compound_pages(start_pfn, start, end, node, pgmap) (mm/sparse-vmemmap.c
 * @ v6.1-v7.1) for a run of identical section calls of `callBytes` each. Per call: when
 * compound pages are larger than a sub-section and the call starts inside one
 * (reuse_compound_section), every PTE maps the page behind the previous vmemmap page
 * (compound_section_tail_page; -ENOMEM when that PTE is none); otherwise, per compound page,
 * a head page and a tail page from RAM and every further PTE mapping the tail page. Only
 * 4K PTEs, never PMD leaves; tables as usual; existing PTEs are left alone; each PTE goes
 * through vmemmap_verify().
 */
function vmemmap_populate_compound_pages(k: Kernel, startPfn: number, start: number, end: number, node: number, pgmap: PgmapGeom, callBytes: number): number {
  const P = k.c.PAGE_SIZE;
  const SP = k.c.STRUCT_PAGE;
  const size = pgmap.nr * SP; // vmemmap bytes of one compound page: 8 pages or more for PMD/PUD aligns
  const V = size / P;
  const reuse = (off: number) => {
    const pfn = startPfn + (off - start) / SP;
    return pgmap.nr > k.c.PAGES_PER_SUBSECTION && (pfn - pgmap.rangeStartPfn) % pgmap.nr !== 0;
  };
  if (!Number.isInteger(V)) unusual(k, 'sub-page compound pages');
  // A PMD block already maps [a, b) (arm64 <= 6.1 maps partial sections with PMD blocks, so a
  // neighbouring namespace can leave one here): vmemmap_pte_populate() would then read the
  // block's memory as a PTE table. The struct pages are mapped by the block; the model skips
  // the range and reports the kernel's hazard.
  const overBlock = (a: number, b: number): boolean => {
    const huge = leafSegments(k, a, b, 'pmd');
    if (huge.length === 0) return false;
    unusual(k, 'compound pages over a PMD leaf');
    const site = FILE + ':vmemmap_populate_compound_pages';
    const text = `device-dax compound pages at ${lx(offToVa(k, a))} fall in a PMD block mapping: vmemmap_pte_populate() walks the block's struct pages as if they were a PTE table`;
    kernelAnomaly(k, site, text);
    return true;
  };
  return runSteps(k, start, end, callBytes, (a, b) => {
    if (overBlock(a, b)) return 0;
    if (b - a > callBytes) {
      // a run of calls behaves alike only if every compound head falls on a call start
      const regular = pgmap.nr > k.c.PAGES_PER_SUBSECTION ? size % callBytes === 0 && !reuse(a) : callBytes % size === 0;
      if (!regular) unusual(k, 'irregular compound run');
    }
    if (reuse(a)) {
      if (populate_tables(k, a, b, node, 'pte') !== 0) return ENOMEM;
      // compound_section_tail_page(): the page behind the PTE of a - PAGE_SIZE, or -ENOMEM
      const prev = k.s.leaves.get(alignDown(a, P) - P);
      if (!prev || prev.level !== 'pte' || prev.b.kind !== 'compound') {
        // No scenario gets here (a range's first call is never a reuse, its sections populate
        // in order and each maps all its PTEs). The kernel does not check: pte_offset_kernel()
        // is address arithmetic, so it would map every PTE to whatever page the one before
        // holds. The model cannot name that page: it says so and stops with -ENOMEM
        // (mm/sparse-vmemmap.c vmemmap_populate_compound_pages() @ v6.1..v7.1).
        unusual(k, 'no previous compound page');
        const site = FILE + ':vmemmap_populate_compound_pages';
        const held = !prev ? 'nothing' : `a ${prev.level.toUpperCase()} of ${prev.b.kind} memmap`;
        const text = `device-dax compound pages at ${lx(offToVa(k, a))} reuse the page behind the PTE before them, which maps ${held}, not a compound tail page: compound_section_tail_page() does not check; the model stops with -ENOMEM`;
        kernelAnomaly(k, site, text);
        return ENOMEM;
      }
      // under the previous pattern [a, b) holds no head, or it is one alias all the same
      // (the kernel decides per call, not per compound page)
      const u = compoundUnique(k, prev.b, alignDown(a, P), alignUp(b, P));
      const bk: Backing = u.heads + u.tails === 0 ? prev.b : { ...prev.b, period: 0 };
      if (bk !== prev.b && b - a > callBytes) unusual(k, 'misaligned compound reuse');
      for (const g of k.s.leaves.gaps(alignDown(a, P), alignUp(b, P))) mapLeaves(k, g.start, g.end, 'pte', bk);
      vmemmap_verify(k, node, a, b, P, (x) => [Math.max(x, a), Math.min(x + P, b)]);
      return 0;
    }
    // per compound page from a: head page, tail page, then PTEs mapping the tail page
    return runSteps(k, a, b, size, (c, d) => {
      if (populate_tables(k, c, d, node, 'pte') !== 0) return ENOMEM;
      const C = alignDown(c, P);
      const n = Math.ceil((d - c) / size);
      let headNode: number;
      let tailNode: number;
      if (n > 1) {
        if (k.s.leaves.coverage(C, alignUp(d, P)) > 0) unusual(k, 'compound range partly mapped');
        const bk = vmemmap_alloc_block_buf(k, P, node, null, 2 * n);
        if (!bk || bk.kind !== 'ram') return ENOMEM;
        headNode = bk.node;
        tailNode = bk.node;
      } else {
        // vmemmap_populate_address(addr) and (addr + PAGE_SIZE): a present PTE is kept;
        // each PTE is verified as soon as it is there
        const page = (pg: number, addr: number): number | null => {
          const have = k.s.leaves.get(pg);
          let n: number;
          if (have) n = backingNode(k, have.b, pg);
          else {
            const bk = vmemmap_alloc_block_buf(k, P, node, null, 1);
            if (!bk) return null;
            mapLeaves(k, pg, pg + P, 'pte', bk);
            n = backingNode(k, bk, pg);
          }
          vmemmap_verify(k, node, pg, pg + P, P, () => [addr, addr + P]);
          return n;
        };
        const h = page(C, c);
        if (h === null) return ENOMEM;
        const t = page(C + P, c + P);
        if (t === null) return ENOMEM;
        headNode = h;
        tailNode = t;
        // the two pages were mapped as plain RAM above; they join the compound leaf below
        for (const pg of [C, C + P]) {
          const l = k.s.leaves.get(pg)!;
          if (l.b.kind === 'ram') k.s.leaves.clear(pg, pg + P);
        }
      }
      const bk: Backing = { kind: 'compound', node: headNode, tailNode, pgmap: pgmap.id, period: V, phase: C % size };
      for (const g of k.s.leaves.gaps(C, Math.max(alignUp(d, P), C + 2 * P))) mapLeaves(k, g.start, g.end, 'pte', bk);
      // n == 1 verified its head and tail above; the aliases (and the batch) now
      const from = n > 1 ? c : Math.min(d, c + 2 * P);
      const off = c - C; // the kernel steps addr from c, which may sit inside a page (64K pages)
      if (from < d) vmemmap_verify(k, node, from, d, P, (x) => [x + off, x + off + P]);
      return 0;
    });
  });
}


export { offToPfn };
export type { PtLevel };

// ---------------------------------------------------------------------------------------
// powerpc Book3S-64 helpers (arch/powerpc/mm/init_64.c, arch/powerpc/mm/book3s64/radix_pgtable.c
// @ v6.6..v7.1): the policies in src/arch/powerpc64.ts decide, these do the work as range runs.

const PPC_INIT = 'arch/powerpc/mm/init_64.c';
/** The list path's populate function: vmemmap_populate() <= v6.5, __vmemmap_populate() (hash) from v6.6 (init_64.c @ 6.6.9). */
const ppcPopulateSite = (k: Kernel) => `${PPC_INIT}:${k.profile.ppcRadixPopulate === 'list' ? 'vmemmap_populate' : '__vmemmap_populate'}`;
const PPC_RADIX = 'arch/powerpc/mm/book3s64/radix_pgtable.c';

/** The per-block bounds of an altmap at `pfn` (a memmap_on_memory object stands for one altmap per block). */
function altmapBounds(a: VmemAltmap, pfn: number): { base: number; end: number } {
  if (!a.self) return { base: a.base_pfn, end: a.end_pfn };
  const i = Math.min(a.self.blocks - 1, Math.max(0, Math.floor((pfn - a.base_pfn) / a.self.stride)));
  const base = a.base_pfn + i * a.self.stride;
  return { base, end: base + a.self.stride - 1 };
}

/**
 * altmap_cross_boundary(altmap, start, page_size) (init_64.c @ v6.4+): the struct pages in
 * [start, start + page_size) describe page_size / sizeof(struct page) pfns from the one at
 * `start`; true when any of them is outside [base_pfn, end_pfn].
 */
export function altmap_cross_boundary(k: Kernel, id: string, start: number, size: number): boolean {
  const a = k.s.altmaps.get(id)!;
  const startPfn = Math.floor(offToPfn(k, start));
  const nr = size / k.c.STRUCT_PAGE;
  const { base, end } = altmapBounds(a, startPfn);
  // <= v6.3: start_pfn + nr_pfn > end_pfn (a block ending on the last pfn counts as crossing)
  const last = k.profile.ppcCrossEnd === 'v5.6' ? startPfn + nr : startPfn + nr - 1;
  return last > end || startPfn < base;
}

/** Whether every `unit` (aligned) in [a, b) crosses the altmap's boundary, none does, or it is mixed. */
function crossKind(k: Kernel, id: string, a: number, b: number, unit: number): 'cross' | 'inside' | 'mixed' {
  const first = altmap_cross_boundary(k, id, a, unit);
  if (b - a <= unit) return first ? 'cross' : 'inside';
  const al = k.s.altmaps.get(id)!;
  const pa = Math.floor(offToPfn(k, a));
  const pb = Math.floor(offToPfn(k, b - 1));
  if (al.self && altmapBounds(al, pa).base !== altmapBounds(al, pb).base) return 'mixed';
  const { base, end } = altmapBounds(al, pa);
  // units u with u >= off(base) and u + unit <= off(end + 1) (<= v6.3: off(end))
  const lo = Math.max(a, alignUp(pfnToOff(k, base), unit));
  const hi = Math.min(b, alignDown(pfnToOff(k, k.profile.ppcCrossEnd === 'v5.6' ? end : end + 1), unit));
  if (hi <= lo) return 'cross';
  return lo === a && hi >= alignDown(b - 1, unit) + unit ? 'inside' : 'mixed';
}

/**
 * The valid pfns in [p0, p1) as intervals: pfn_valid() (include/linux/mmzone.h) is true in a
 * section that has its memmap (SECTION_HAS_MEM_MAP) when the section is early or the pfn's
 * sub-section bit is set. A section being added gets its memmap flag only after its populate.
 */
function validPfns(k: Kernel, p0: number, p1: number): { start: number; end: number }[] {
  const PPSec = k.c.PAGES_PER_SECTION;
  const out: { start: number; end: number }[] = [];
  for (const s of k.s.sections.overlaps(Math.floor(p0 / PPSec), Math.ceil(p1 / PPSec))) {
    if (!s.v.memmap) continue;
    const a = Math.max(p0, s.start * PPSec);
    const b = Math.min(p1, s.end * PPSec);
    if (s.v.early) out.push({ start: a, end: b });
    else out.push(...k.s.subsections.overlaps(a, b).map((x) => ({ start: Math.max(a, x.start), end: Math.min(b, x.end) })));
  }
  return out;
}

/**
 * vmemmap_populated(start, size) (init_64.c @ v5.6..v7.1): from the sub-section holding the
 * struct page at `start`, is any sub-section whose first struct page lies before start + size
 * valid (pfn_valid)?
 */
export function ppc_vmemmap_populated(k: Kernel, start: number, size: number): boolean {
  const PPS = k.c.PAGES_PER_SUBSECTION;
  const p0 = alignDown(Math.floor(offToPfn(k, start)), PPS);
  const p1 = Math.ceil(offToPfn(k, start + size));
  if (p1 <= p0) return false;
  return validPfns(k, p0, p1).length > 0;
}

/**
 * The blocks of [a, b) (block-aligned) that vmemmap_populated() reports populated: those whose
 * range, from the sub-section holding their first struct page, meets a valid pfn's struct page.
 */
function populatedBlocks(k: Kernel, a: number, b: number, bs: number): IntervalSet {
  const PPS = k.c.PAGES_PER_SUBSECTION;
  const out = new IntervalSet();
  const p0 = alignDown(Math.floor(offToPfn(k, a)), PPS);
  const p1 = Math.ceil(offToPfn(k, b));
  for (const v of validPfns(k, p0, p1)) {
    // valid pfns are whole sub-sections: a block is populated when it holds one's first struct
    // page, or when the sub-section holding its own first struct page is valid
    const lo = Math.max(a, alignDown(pfnToOff(k, alignDown(v.start, PPS)), bs));
    const hi = Math.min(b, alignUp(pfnToOff(k, v.end), bs));
    if (hi > lo) out.add(lo, hi);
  }
  return out;
}

/** Allocate `count` pages of RAM for memmap (the boot buffer / memblock / page allocator). */
function ramPages(k: Kernel, size: number, node: number, count: number): Backing | null {
  return vmemmap_alloc_block_buf(k, size, node, null, count);
}

/**
 * radix__vmemmap_pte_populate() for every page overlapping [start, end) (v6.6+): the tables
 * (vmemmap_pte_alloc), then per missing PTE vmemmap_alloc_block_buf(PAGE_SIZE, node, altmap)
 * - the altmap dropped for a page whose struct pages describe pfns outside the device
 * (altmap_cross_boundary) - and, when that fails with an altmap, the same from RAM; -ENOMEM
 * when RAM fails. pr_debug "PAGE_SIZE vmemmap mapping" per page. `firstAddr` is the address
 * the kernel checks for the first page (the unaligned call start before v6.17).
 */
export function ppc_basepages_fallback(k: Kernel, start: number, end: number, node: number, altmap: string | null, firstAddr = start): number {
  const P = k.c.PAGE_SIZE;
  const A = alignDown(start, P);
  const B = alignUp(end, P);
  return runSteps(k, A, B, P, (a, b) => {
    if (leafSegments(k, a, b, 'pmd').length > 0) {
      unusual(k, 'basepages over a PMD leaf');
      return 0;
    }
    if (populate_tables(k, a, b, node, 'pte') !== 0) return ENOMEM;
    // the first page is checked at the (possibly unaligned) address the kernel is at: apart
    const pieces = k.s.leaves.gaps(a, b).flatMap((g) => (g.start === A && firstAddr !== A && g.end > A + P ? [{ start: A, end: A + P }, { start: A + P, end: g.end }] : [g]));
    for (const g of pieces) {
      const n = (g.end - g.start) / P;
      let kind: 'cross' | 'inside' | 'mixed' = 'cross';
      if (altmap) kind = g.start === A && firstAddr !== A ? (altmap_cross_boundary(k, altmap, firstAddr, P) ? 'cross' : 'inside') : crossKind(k, altmap, g.start, g.end, P);
      if (kind === 'mixed') {
        unusual(k, 'altmap boundary inside the run');
        // only an optimistic run gets here with more than one page; single pages are never mixed
      }
      let bk: Backing | null = null;
      const logFrom = k.s.log.length;
      if (altmap && kind === 'inside') {
        bk = vmemmap_alloc_block_buf(k, P, node, altmap, n);
        if (!bk) unusual(k, 'altmap page failed: RAM fallback');
      }
      if (!bk) bk = ramPages(k, P, node, n);
      if (!bk) return ENOMEM;
      mapLeaves(k, g.start, g.end, 'pte', bk);
      printk(k, KERN_DEBUG, PPC_RADIX + ':radix__vmemmap_pte_populate', 'radix-mmu: PAGE_SIZE vmemmap mapping\n', [], { run: { count: n, nth: () => 'radix-mmu: PAGE_SIZE vmemmap mapping\n' } });
      interleaveRuns(k, logFrom, n); // page by page: its altmap line, then this one
    }
    // radix__vmemmap_populate() (radix_pgtable.c @ v6.6..v6.14) verifies [addr, addr + PAGE_SIZE)
    // and steps addr += PAGE_SIZE from the unaligned start it was given, so the range it prints
    // keeps that start's offset into the page (v6.17 aligns start down first: offset 0)
    const phase = firstAddr - A;
    vmemmap_verify(k, node, a, b, P, (u) => [u + phase, u + phase + P]);
    return 0;
  });
}

/**
 * radix__vmemmap_populate()'s PMD loop over [start, end) (v6.6+, radix_pgtable.c): per PMD
 * slot, vmemmap_pud_alloc / vmemmap_pmd_alloc (-ENOMEM); an empty PMD gets base pages when an
 * altmap is given and the address is not PMD-aligned or altmap_cross_boundary(addr,
 * PMD_SIZE); otherwise vmemmap_alloc_block_buf(PMD_SIZE, node, altmap) and vmemmap_set_pmd(),
 * or base pages when that fails; a leaf is kept (vmemmap_check_pmd); a PMD holding a PTE
 * table gets base pages. Base pages: ppc_basepages_fallback(). `start` may be unaligned
 * (v6.6..v6.14 do not align it): the first slot then sees the unaligned address.
 */
export function ppc_radix_pmd_loop(k: Kernel, start: number, end: number, node: number, altmap: string | null, call = 0): number {
  const PMD = k.c.PMD_SIZE;
  const firstAddr = start;
  return runSteps(k, start, end, PMD, (a, b) => {
    for (const r of pmdRuns(k, a, b)) {
      if (r.state === 'leaf') {
        verifyPmds(k, node, r.start, r.end, call);
        continue;
      }
      if (r.state === 'table') {
        if (ppc_basepages_fallback(k, r.start, r.end, node, altmap, r.start === firstAddr ? firstAddr : alignDown(r.start, k.c.PAGE_SIZE)) !== 0) return ENOMEM;
        continue;
      }
      if (populate_tables(k, r.start, r.end, node, 'pmd') !== 0) return ENOMEM;
      const A = alignDown(r.start, PMD);
      const B = alignUp(r.end, PMD);
      const addr0 = r.start; // the address the kernel is at when it reaches the first slot
      if (altmap) {
        const unalignedFirst = !isAligned(addr0, PMD);
        const kind = unalignedFirst ? (B - A > PMD ? 'mixed' : 'cross') : crossKind(k, altmap, A, B, PMD);
        if (kind === 'mixed') unusual(k, 'radix: PMD slots differ');
        if (kind !== 'inside') {
          ops_note(k, `${PPC_RADIX}:radix__vmemmap_populate: ${unalignedFirst ? 'address not PMD-aligned' : 'altmap_cross_boundary(PMD_SIZE)'} with an altmap: base pages`);
          if (ppc_basepages_fallback(k, r.start, r.end, node, altmap, addr0) !== 0) return ENOMEM;
          continue;
        }
      }
      const n = (B - A) / PMD;
      const logFrom = k.s.log.length;
      const bk = vmemmap_alloc_block_buf(k, PMD, node, altmap, n);
      if (bk) {
        mapLeaves(k, A, B, 'pmd', bk);
        printk(k, KERN_DEBUG, PPC_RADIX + ':radix__vmemmap_populate', 'radix-mmu: PMD_SIZE vmemmap mapping\n', [], { run: { count: n, nth: () => 'radix-mmu: PMD_SIZE vmemmap mapping\n' } });
        interleaveRuns(k, logFrom, n); // PMD by PMD: its altmap line, then this one
        verifyPmds(k, node, r.start, r.end, call);
        continue;
      }
      unusual(k, 'radix: PMD block failed');
      ops_note(k, `${PPC_RADIX}:radix__vmemmap_populate: no PMD_SIZE block ${altmap ? 'in the altmap' : 'in RAM'}: base pages`);
      if (ppc_basepages_fallback(k, r.start, r.end, node, altmap, addr0) !== 0) return ENOMEM;
    }
    return 0;
  });
}

function ops_note(k: Kernel, text: string): void {
  k.s.trace.push({ t: 'note', text });
}

/**
 * __vmemmap_populate() (init_64.c @ v6.6..v7.1; the whole vmemmap_populate() before v6.6):
 * start aligned down to the block size (mmu_vmemmap_psize); per block not yet populated
 * (vmemmap_populated(): the model asks whether the block is mapped), a block from the altmap
 * unless altmap_cross_boundary() (pr_debug "altmap block allocation failed, falling back to
 * system memory" when it cannot serve), else from RAM (-ENOMEM when RAM fails); a
 * vmemmap_list entry (vmemmap_list_alloc: a free-list entry, else the next slot of a page
 * from vmemmap_alloc_block(PAGE_SIZE) - RAM, never given back); then vmemmap_create_mapping():
 * hash bolts HPTEs of the block size (no Linux page tables); radix would map a PMD/PTE.
 */
export function ppc_list_blocks(k: Kernel, start: number, end: number, node: number, altmap: string | null, bs: number, tables: boolean, callBytes = end - start): number {
  const A = alignDown(start, bs);
  const B = alignUp(end, bs);
  const level: LeafLevel = bs >= k.c.PMD_SIZE ? 'pmd' : 'pte';
  k.s.ppcList.blockSize = bs;
  // pr_debug("vmemmap_populate %lx..%lx, node %d\n", start aligned down to the block, end), once per call
  const calls = Math.max(1, Math.round((end - start) / callBytes));
  const popLine = (i: number) => `vmemmap_populate ${lx(offToVa(k, alignDown(start + i * callBytes, bs)))}..${lx(offToVa(k, Math.min(end, start + (i + 1) * callBytes)))}, node ${node}\n`;
  const logFrom = k.s.log.length;
  const groups: BlockLines[] = [];
  const rc = runSteps(k, A, B, bs, (a, b) => {
    // vmemmap_populated() (init_64.c @ 5.6.4 .. 7.1.5) asks only pfn_valid() of the sub-sections
    // whose memmap lies in the block: such a block is skipped, mapped or not (a second sub-section
    // added to a live section is valid before its populate runs: with blocks smaller than its
    // memmap they stay unmapped), and a block mapped with none valid is populated again
    // (ppc_list_gap(): one a <= v5.9 vmemmap_list failure left mapped without an entry)
    const skip = populatedBlocks(k, a, b, bs);
    const todo = skip.gaps(a, b);
    for (const g of k.s.leaves.gaps(a, b)) if (skip.coverage(g.start, g.end) > 0) ops_note(k, `${PPC_INIT}:vmemmap_populated: ${lx(offToVa(k, g.start))}.. counts as populated (a valid sub-section's memmap is there) but is not mapped`);
    for (const g of todo) {
      const gFrom = k.s.log.length;
      const r = ppc_list_gap(k, g, node, altmap, bs, tables, level);
      if (k.s.log.length > gFrom) groups.push({ at: g.start, n: (g.end - g.start) / bs, msgs: k.s.log.slice(gFrom) });
      if (r !== 0) return r;
    }
    return 0;
  });
  placeCallLines(k, logFrom, groups, { calls, line: popLine, start, callBytes, bs });
  groups.length = 0; // popLine, kept by the log, shares this scope: let the messages of rolled-back batches go
  return rc;
}

/** What ppc_list_blocks() logged for `n` blocks from `at` (a run of blocks it found unpopulated), in order. */
interface BlockLines {
  at: number;
  n: number;
  msgs: Message[];
}

/**
 * The order __vmemmap_populate() (arch/powerpc/mm/init_64.c; vmemmap_populate() before v6.6;
 * v5.6..v7.1) prints in: one call per section (or sub-section) of the
 * range, each printing its "vmemmap_populate" line and then the lines of the blocks it finds
 * unpopulated, block by block (its altmap pr_debug, then "allocated at"). The model populates
 * a batch of calls' blocks at once, so the lines are put back in that order here: block X is
 * populated by the first call whose range, aligned down to the block, reaches it (call
 * max(0, (X - start) / callBytes)), so call i's line comes after every block below its start
 * (none for call 0). The result is one debug message whose repetitions are those lines in
 * kernel order, computed when read, cut around a block that logged at another level (a WARN:
 * those keep their own messages, in place). Cost: the number of runs of blocks, not of blocks
 * or calls.
 */
function placeCallLines(k: Kernel, logFrom: number, groups: BlockLines[], c: CallGrid): void {
  const site = ppcPopulateSite(k);
  // only what this call logged and kept (a batch the engine rolled back logged lines no longer in the log)
  const kept = k.s.log.slice(logFrom);
  const live = new Set(kept);
  const gs = groups.filter((g) => live.has(g.msgs[0]!));
  if (gs.reduce((t, g) => t + g.msgs.length, 0) !== kept.length) {
    // a line not of a block (not expected): the call lines first
    unusual(k, 'ppc: a line outside the blocks');
    k.s.log.splice(logFrom, 0, { level: KERN_DEBUG, text: c.line(0), site, step: k.step, ...(c.calls > 1 ? { run: { count: c.calls, nth: c.line } } : {}) });
    return;
  }
  const step = kept[0]?.step ?? k.step;
  k.s.log.length = logFrom;
  // a machine whose messages are rarely read (fuzz: Kernel.lazyText) orders them when read
  if (k.lazyText && !gs.some((g) => g.msgs.some((m) => m.level !== KERN_DEBUG))) {
    k.s.log.push(new DeferredMessage(KERN_DEBUG, site, step, () => kernelOrder(gs, c, site, step)[0]!));
    return;
  }
  for (const m of kernelOrder(gs, c, site, step)) k.s.log.push(m);
}

/** A message built when first read (placeCallLines() for Kernel.lazyText): read it through its fields. */
class DeferredMessage implements Message {
  private m: Message | undefined;
  constructor(readonly level: number, readonly site: string, readonly step: number, private readonly make: () => Message) {}
  private get built(): Message {
    return (this.m ??= this.make());
  }
  get text(): string {
    return this.built.text;
  }
  get run(): Message['run'] {
    return this.built.run;
  }
  get approx(): boolean | undefined {
    return this.built.approx;
  }
  get approxLine(): Message['approxLine'] {
    return this.built.approxLine;
  }
}

interface CallGrid {
  calls: number;
  line: (i: number) => string;
  start: number;
  callBytes: number;
  bs: number;
}

/** The call lines and the groups' lines in kernel order (placeCallLines()), as messages. */
function kernelOrder(gs: BlockLines[], c: CallGrid, site: string, step: number): Message[] {
  const pop = (i: number) => c.line(i);
  // one repetition, ending its line (a pr_debug without "\n" still ends its line before the next printk)
  const rep = (m: Message, i: number) => (i === 0 ? m.text : m.run!.nth(i)).replace(/\n?$/, '\n');
  // Each group as units: unit j = block j's lines. Consecutive messages from one site are one
  // stream (an allocator may log its first block on its own and the rest as a run); a group
  // whose streams do not split evenly is one unit, and so is one with a line of another level
  // (kept as its messages).
  const units = gs.map((g) => {
    const own = g.msgs.some((m) => m.level !== KERN_DEBUG) ? g.msgs : null;
    const streams: { count: number; line: (i: number) => string }[] = [];
    for (let x = 0; x < g.msgs.length; ) {
      const parts: Message[] = [];
      for (let y = x; y < g.msgs.length && g.msgs[y]!.site === g.msgs[x]!.site; y++) parts.push(g.msgs[y]!);
      x += parts.length;
      const starts: number[] = [];
      let count = 0;
      for (const m of parts) {
        starts.push(count);
        count += m.run?.count ?? 1;
      }
      const line = (i: number) => {
        let p = parts.length - 1;
        while (starts[p]! > i) p--;
        return rep(parts[p]!, i - starts[p]!);
      };
      streams.push({ count, line });
    }
    const n = !own && streams.every((t) => t.count % g.n === 0) ? g.n : 1;
    const text = (j: number) => {
      let t = '';
      for (const st of streams) for (let r = 0, per = st.count / n; r < per; r++) t += st.line(j * per + r);
      return t;
    };
    return { at: g.at, n, text, own };
  });
  const first: number[] = []; // index of each group's first block among all blocks
  let blocks = 0;
  for (const u of units) {
    first.push(blocks);
    blocks += u.n;
  }
  // blocks below address x
  const below = (x: number): number => {
    let lo = 0;
    let hi = units.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (units[mid]!.at < x) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return 0;
    const u = units[lo - 1]!;
    return first[lo - 1]! + Math.min(u.n, Math.ceil((x - u.at) / c.bs));
  };
  const popAt = (i: number) => i + (i === 0 ? 0 : below(c.start + i * c.callBytes));
  const blockText = (b: number): string => {
    let lo = 0;
    let hi = units.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (first[mid]! <= b) lo = mid;
      else hi = mid - 1;
    }
    return units[lo]!.text(b - first[lo]!);
  };
  // the u-th line group in kernel order: the last call line at or before u, or a block after it
  const nth = (u: number): string => {
    let lo = 0;
    let hi = c.calls - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (popAt(mid) <= u) lo = mid;
      else hi = mid - 1;
    }
    return popAt(lo) === u ? pop(lo) : blockText(u - lo - 1);
  };
  const out: Message[] = [];
  const chunk = (from: number, to: number) => {
    if (to <= from) return;
    const m: Message = { level: KERN_DEBUG, text: nth(from), site, step };
    if (units.length > 0) {
      m.approx = true; // "allocated at %p": a hashed pointer
      m.approxLine = (l) => l.includes(' allocated at ');
    }
    if (to - from > 1) m.run = { count: to - from, nth: (i) => nth(from + i) };
    out.push(m);
  };
  // a unit with its own messages sits after the call lines up to its block's call
  let at = 0;
  units.forEach((u, x) => {
    if (!u.own) return;
    const X = u.at;
    const pos = first[x]! + Math.max(0, Math.floor((X - c.start) / c.callBytes)) + 1;
    chunk(at, pos);
    out.push(...u.own);
    at = pos + 1;
  });
  chunk(at, c.calls + blocks);
  return out;
}

/** One run of blocks __vmemmap_populate() finds unpopulated: each from the altmap or RAM, its vmemmap_list entry, its mapping. */
function ppc_list_gap(k: Kernel, g: { start: number; end: number }, node: number, altmap: string | null, bs: number, tables: boolean, level: LeafLevel): number {
  // a block already mapped, with no valid sub-section: mapped again (remapped(), block by block)
  const stale = k.s.leaves.coverage(g.start, g.end) > 0;
  if (stale) unusual(k, 'ppc: a mapped block populated again');
  if (tables && populate_tables(k, g.start, g.end, node, level) !== 0) return ENOMEM;
  const n = (g.end - g.start) / bs;
  let bk: Backing | null = null;
  const posted = k.profile.allocBlockBuf === 'fallback-as-posted';
  if (altmap) {
    const kind = crossKind(k, altmap, g.start, g.end, bs);
    if (kind === 'mixed') unusual(k, 'altmap boundary inside the run');
    if (kind === 'inside' && posted) {
      // thread §4's powerpc hunk: vmemmap_alloc_block_buf(page_size, node, altmap, true) in
      // place of the altmap try, its pr_debug and the RAM retry: RAM whatever the altmap did
      bk = vmemmap_alloc_block_buf(k, bs, node, altmap, n, true);
      if (!bk) return ENOMEM;
    } else if (kind === 'inside') {
      bk = vmemmap_alloc_block_buf(k, bs, node, altmap, n);
      if (!bk) {
        unusual(k, 'altmap block failed: RAM fallback');
        const fell = 'altmap block allocation failed, falling back to system memory';
        printk(k, KERN_DEBUG, ppcPopulateSite(k), fell, [], { run: { count: n, nth: () => fell } });
      }
    }
  }
  if (!bk) bk = ramPages(k, bs, node, n);
  if (!bk) return ENOMEM;
  const listFailed = vmemmap_list_alloc(k, node, n) !== 0;
  if (listFailed && k.profile.ppcListAllocFail === 'warn') {
    // <= v5.9 (init_64.c vmemmap_list_alloc / vmemmap_list_populate @ 5.6.4, 5.9.1): a
    // WARN_ON(1) in each, and the block is mapped with no entry: vmemmap_free() never frees it
    unusual(k, 'vmemmap_list entry failed');
    WARN(k, true, PPC_INIT + ':vmemmap_list_alloc', null);
    WARN(k, true, PPC_INIT + ':vmemmap_list_populate', null);
    k.s.ppcList.orphans = [...k.s.ppcList.orphans, { start: g.start, end: g.end }];
  } else if (listFailed) {
    // v5.10+: the block is given back and -ENOMEM returned
    if (bk.kind === 'altmap') vmem_altmap_free(k, bk.id, (bs / k.c.PAGE_SIZE) * n);
    else if (bk.kind === 'ram') {
      k.s.memmapRamPages[bk.node] = (k.s.memmapRamPages[bk.node] ?? 0) - (bs / k.c.PAGE_SIZE) * n;
      buddy_free_pages(k, bk.node, (bs / k.c.PAGE_SIZE) * n);
    }
    printk(k, KERN_DEBUG, PPC_INIT + ':vmemmap_list_populate', 'vmemap list allocation failed\n', []);
    return ENOMEM;
  }
  if (stale) remapped(k, g, tables);
  mapLeaves(k, g.start, g.end, level, bk);
  const va = (i: number) => offToVa(k, g.start + i * bs);
  // %p: a hashed pointer (altmap or RAM alike), which the model cannot know
  printk(k, KERN_DEBUG, ppcPopulateSite(k), '      * %016lx..%016lx allocated at %p\n', [va(0), va(1), '(unknown)'], {
    approx: true,
    run: { count: n, nth: (i) => `      * ${lx(va(i)).padStart(16, '0')}..${lx(va(i + 1)).padStart(16, '0')} allocated at (unknown)\n` },
  });
  return 0;
}

/**
 * vmemmap_populate() (init_64.c) maps a block that is mapped already (vmemmap_populated() saw
 * no valid sub-section in it: a block a <= v5.9 vmemmap_list failure left mapped without an
 * entry, which vmemmap_free() could not find). vmemmap_create_mapping() does not look first:
 * on hash, htab_bolt_mapping() (book3s64/hash_utils.c @ 5.6.4) inserts a bolted HPTE for each
 * address beside the one already there, so two valid entries match it; on radix,
 * radix__vmemmap_create_mapping() -> __map_kernel_page() (book3s64/radix_pgtable.c @ 5.6.4)
 * overwrites the PMD. The block mapped before is lost for good: its pages stay allocated (ram-
 * or altmap-accounting, a predicted kernel bug with this anomaly). The block has an entry now.
 */
function remapped(k: Kernel, g: { start: number; end: number }, radix: boolean): void {
  const range = `${lx(offToVa(k, g.start))}..${lx(offToVa(k, g.end))}`;
  const again = `the vmemmap block ${range} is mapped but no sub-section of its memmap is valid, so ${ppcPopulateSite(k).split(':')[1]}() maps it again`;
  if (radix) kernelAnomaly(k, 'arch/powerpc/mm/book3s64/radix_pgtable.c:radix__vmemmap_create_mapping', `${again}: the PMD is overwritten and the block it pointed to is lost`);
  else kernelAnomaly(k, 'arch/powerpc/mm/book3s64/hash_utils.c:htab_bolt_mapping', `${again}: a second bolted HPTE for each address, beside the one still there (two valid entries match it), and the block that one maps is lost`);
  // g is one block here, as each entry in the list (each met alone: unusual() stops an optimistic run)
  k.s.ppcList.orphans = k.s.ppcList.orphans.filter((o) => o.start !== g.start);
}

/** vmemmap_list_alloc() x n: free-list entries first, then slots of pages from vmemmap_alloc_block(PAGE_SIZE). */
function vmemmap_list_alloc(k: Kernel, node: number, n: number): number {
  const L = k.s.ppcList;
  const fromFree = Math.min(L.freed, n);
  L.freed -= fromFree;
  let rest = n - fromFree;
  const fromLeft = Math.min(L.left, rest);
  L.left -= fromLeft;
  rest -= fromLeft;
  if (rest > 0) {
    // sizeof(struct vmemmap_backing) = 24: PAGE_SIZE / 24 entries per page
    const per = Math.floor(k.c.PAGE_SIZE / 24);
    const pages = Math.ceil(rest / per);
    const r = vmemmap_alloc_block(k, k.c.PAGE_SIZE, node, pages);
    if (!r) return ENOMEM;
    L.pages += pages;
    L.left = pages * per - rest;
  }
  L.entries += n;
  return 0;
}

/** vmemmap_list_free(): the entry goes to the free list (its page is never given back). */
export function vmemmap_list_free(k: Kernel, n: number): void {
  k.s.ppcList.entries -= n;
  k.s.ppcList.freed += n;
}

function buddy_free_pages(k: Kernel, node: number, pages: number): void {
  const n = k.s.nodes[node];
  if (n) n.free += pages;
}
