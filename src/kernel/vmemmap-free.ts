/**
 * The arch's vmemmap_free(start, end, altmap), driven by the arch's VmemmapFreePolicy:
 *  - x86: arch/x86/mm/init_64.c remove_pagetable(start, end, false, altmap) @ v6.18:
 *    PTE leaves are freed as RAM (free_pagetable; no vmem_altmap_free at PTE level); a PMD
 *    leaf fully covered goes to free_hugepage_table() (vmem_altmap_free(altmap, 512) when an
 *    altmap is passed, without checking where the block came from); a partly covered PMD
 *    leaf is freed only once vmemmap_pmd_is_unused() sees the whole block marked 0xFD;
 *    free_pte_table / free_pmd_table free empty tables; free_pud_table only with 5 levels.
 *  - arm64: arch/arm64/mm/mmu.c vmemmap_free() @ v6.18: unmap_hotplug_range(free_mapped)
 *    frees every leaf (a block even when only partly covered) through
 *    free_hotplug_page_range() (vmem_altmap_free(altmap, size >> PAGE_SHIFT) with an altmap),
 *    then free_empty_tables() with floor VMEMMAP_START and ceiling VMEMMAP_END.
 * Page-table pages are always freed to the page allocator (never to an altmap).
 */
import { alignDown, alignUp, lx } from '../util/bits.js';
import { IntervalSet } from '../util/interval.js';
import { buddy_free } from './page_alloc.js';
import { ppc_vmemmap_populated, vmem_altmap_free, vmemmap_list_free } from './sparse-vmemmap.js';
import { compoundUnique, kernelAnomaly as anomaly, offToVa, tablePagesEach, type Backing, type Kernel } from './state.js';
import { KERN_DEBUG, printk, WARN } from './printk.js';

/** Give back `pages` pages of memmap backing, the way the arch's free path does. */
function freeBacking(k: Kernel, b: Backing, pages: number, altmap: string | null, level: 'pte' | 'pmd', va: number): void {
  const site = k.arch.policy.free.site;
  let viaAltmap = altmap !== null && (level !== 'pte' || k.arch.policy.free.pteAltmap);
  // powerpc: only memory inside the altmap's pfn range is handed back to it
  if (viaAltmap && k.arch.policy.free.altmapRangeCheck) viaAltmap = (b.kind === 'altmap' && b.id === altmap) || b.kind === 'self';
  if (viaAltmap) {
    vmem_altmap_free(k, altmap!, pages);
    if (b.kind === 'ram') {
      // one finding per run of such blocks, however many a call freed (stepAnomalies)
      const text = (s: number, e: number, p: number) => `RAM-backed ${level}-mapped memmap at ${lx(offToVa(k, s))}..${lx(offToVa(k, e))} was charged to altmap ${altmap} (vmem_altmap_free) and its ${p} RAM pages were never freed`;
      const end = va + pages * k.c.PAGE_SIZE;
      k.s.anomalies.push({ step: k.step, site, text: text(va, end, pages), span: { key: `ram-charged ${level} ${altmap}`, start: va, end, pages, text } });
      k.s.trace.push({ t: 'note', text: `${site}: ${text(va, end, pages)}` });
      k.s.memmapRamPages[b.node] = (k.s.memmapRamPages[b.node] ?? 0) - pages;
    } else if (b.kind === 'self') {
      if (!k.s.altmaps.get(altmap!)?.self) anomaly(k, site, `self-hosted memmap at ${lx(offToVa(k, va))} was charged to altmap ${altmap}`);
    } else if (b.kind === 'compound') {
      anomaly(k, site, `deduplicated memmap at ${lx(offToVa(k, va))} was charged to altmap ${altmap}`);
    } else if (b.id !== altmap) {
      anomaly(k, site, `a block of altmap ${b.id} at ${lx(offToVa(k, va))} was charged to altmap ${altmap}`);
    }
    return;
  }
  if (b.kind === 'compound') {
    // free_pagetable() per PTE drops one reference; a head or tail page goes back to the
    // buddy with its last PTE (the model gives it back with the PTE at its own place)
    const u = compoundUnique(k, b, va, va + pages * k.c.PAGE_SIZE);
    for (const [n, c] of [[b.node, u.heads], [b.tailNode, u.tails]] as const) {
      if (c === 0) continue;
      k.s.memmapRamPages[n] = (k.s.memmapRamPages[n] ?? 0) - c;
      buddy_free(k, n, c);
    }
    return;
  }
  if (b.kind === 'ram' && b.src !== 'buddy' && !k.boot.done) {
    // s390 vmem_free_pages() before slab is up (a failed boot populate rolled back): nothing
    // is freed, the memblock memory stays reserved
    k.s.memmapRamPages[b.node] = (k.s.memmapRamPages[b.node] ?? 0) - pages;
    return;
  }
  if (b.kind === 'ram' && b.src !== 'buddy' && k.arch.policy.free.keepBoot) {
    // s390 <= v6.18 vmem_free_pages(): "We don't expect boot memory to be removed ever."
    // PageReserved -> WARN_ON_ONCE, return: the entry is cleared, the pages stay reserved
    keepBootMemory(k, `${pages} boot memmap page(s) at ${lx(offToVa(k, va))}`);
    k.s.memmapRamPages[b.node] = (k.s.memmapRamPages[b.node] ?? 0) - pages;
    return;
  }
  if (b.kind !== 'ram') {
    const what = b.kind === 'altmap' ? `altmap ${b.id}` : 'a self-hosting memory block';
    anomaly(k, site, `${pages} page(s) of ${what} backing ${lx(offToVa(k, va))} were freed to the page allocator as RAM`);
    return;
  }
  k.s.memmapRamPages[b.node] = (k.s.memmapRamPages[b.node] ?? 0) - pages;
  buddy_free(k, b.node, pages);
}

/** vmem_free_pages()/vmem_pte_free() on boot memory (s390 <= v6.18): WARN_ON_ONCE, nothing freed. */
function keepBootMemory(k: Kernel, what: string): void {
  const site = k.arch.policy.free.keepBoot!;
  WARN(k, true, site, null, [], true);
  anomaly(k, site, `${what} not freed: boot memory (PageReserved) is kept after a WARN_ON_ONCE, its mapping cleared`);
}

export function vmemmap_free(k: Kernel, start: number, end: number, altmap: string | null): void {
  if (k.arch.policy.free.empty) return; // arm64 <= v5.6: an empty function
  const P = k.c.PAGE_SIZE;
  const PMD = k.c.PMD_SIZE;
  const pol = k.arch.policy.free;
  if (pol.blocks) return freeListBlocks(k, start, end, altmap);
  // PTE pages the walk visits: x86 remove_pte_table() steps to the next page boundary, so
  // every page overlapping [start, end); arm64 unmap_hotplug_pte_range() steps by PAGE_SIZE
  // from the (possibly unaligned) start of each PMD chunk.
  const visits: [number, number][] = [];
  if (pol.pteWalk === 'page') visits.push([alignDown(start, P), alignUp(end, P)]);
  else {
    const chunkEnd = Math.min(end, alignDown(start, PMD) + PMD);
    visits.push([alignDown(start, P), alignDown(start, P) + Math.ceil((chunkEnd - start) / P) * P]);
    if (chunkEnd < end) visits.push([chunkEnd, alignUp(end, P)]);
  }
  for (const [va0, vb0] of visits) {
    const pieces: [number, number][] = [[va0, vb0]];
    if (pol.partialPte === 'if-unpopulated') {
      // powerpc remove_pte_table(): a page the range covers only in part is freed only if
      // vmemmap_page_is_unused() (no valid sub-section's memmap in it)
      pieces.length = 0;
      const f0 = alignUp(start, P);
      const f1 = alignDown(end, P);
      if (f1 > f0) pieces.push([f0, f1]);
      for (const pg of new Set([alignDown(start, P), alignDown(end - 1, P)])) {
        if (pg >= f0 && pg < f1) continue;
        if (!ppc_vmemmap_populated(k, pg, P)) pieces.push([pg, pg + P]);
      }
    }
    for (const [va, vb] of pieces) for (const s of k.s.leaves.overlaps(va, vb)) {
      if (s.v.level !== 'pte') continue;
      k.s.leaves.clear(s.start, s.end);
      k.s.trace.push({ t: 'unmap', level: 'pte', va: s.start, size: s.end - s.start, b: s.v.b });
      freeBacking(k, s.v.b, (s.end - s.start) / P, altmap, 'pte', s.start);
    }
  }
  for (const s of k.s.leaves.overlaps(start, end)) {
    if (s.v.level === 'pte') continue;
    // PMD leaves: per block
    const b0 = alignDown(s.start, PMD);
    const b1 = alignUp(s.end, PMD);
    // fully covered blocks as one run
    const f0 = alignUp(Math.max(start, b0), PMD);
    const f1 = alignDown(Math.min(end, b1), PMD);
    const freeBlocks = (x0: number, x1: number) => {
      if (x1 <= x0) return;
      const seg = k.s.leaves.overlaps(x0, x1);
      k.s.leaves.clear(x0, x1);
      k.s.pmdUnused.remove(x0, x1);
      for (const q of seg) {
        k.s.trace.push({ t: 'unmap', level: 'pmd', va: q.start, size: q.end - q.start, b: q.v.b });
        freeBacking(k, q.v.b, (q.end - q.start) / P, altmap, 'pmd', q.start);
      }
    };
    if (f1 > f0) freeBlocks(f0, f1);
    // partly covered blocks at either end
    for (const blk of new Set([alignDown(Math.max(start, b0), PMD), alignDown(Math.min(end, b1) - 1, PMD)])) {
      if (blk >= f0 && blk < f1) continue;
      if (!k.s.leaves.get(blk)) continue;
      const lo = Math.max(start, blk);
      const hi = Math.min(end, blk + PMD);
      if (pol.partialPmd === 'always') freeBlocks(blk, blk + PMD);
      else if (pol.partialPmd === 'if-unpopulated') {
        // powerpc vmemmap_pmd_is_unused(): no valid sub-section's memmap in the PMD
        if (!ppc_vmemmap_populated(k, blk, PMD)) freeBlocks(blk, blk + PMD);
      } else {
        k.s.pmdUnused.add(lo, hi); // vmemmap_pmd_is_unused(): memset(PAGE_UNUSED)
        if (k.s.pmdUnused.coverage(blk, blk + PMD) === PMD) freeBlocks(blk, blk + PMD);
      }
    }
  }
  freeEmptyTables(k, start, end);
}

/**
 * Free every table of each freeable kind, bottom-up, whose span meets [start, end) and whose
 * entries are all none; as interval arithmetic: the occupied spans are those holding a leaf
 * of that level or a table of the level below.
 */
function freeEmptyTables(k: Kernel, start: number, end: number): void {
  const pol = k.arch.policy.free;
  const lv = k.arch.cfg.pt.allocLevels;
  for (const kind of [...lv].reverse()) {
    if (!pol.freeTables[kind]) continue;
    const span = k.c.tableSpan[kind];
    let A = alignDown(start, span);
    let B = alignUp(end, span);
    if (pol.floorCeiling) {
      // pgtable_range_aligned(..., floor = VMEMMAP_START, ceiling = VMEMMAP_END, mask)
      A = Math.max(A, alignUp(k.c.startOff, span));
      B = Math.min(B, alignDown(k.c.endOff, span));
    }
    if (A >= B) continue;
    const occupied = new IntervalSet();
    if (kind === 'pte' || kind === 'pmd') {
      for (const q of k.s.leaves.overlaps(A, B)) if (q.v.level === kind) occupied.add(alignDown(q.start, span), alignUp(q.end, span));
    }
    const below = lv[lv.indexOf(kind) + 1];
    if (below) for (const q of k.s.tables[below].overlaps(A, B)) occupied.add(alignDown(q.start, span), alignUp(q.end, span));
    for (const t of k.s.tables[kind].overlaps(A, B)) {
      if (t.v.src === 'static') continue; // the kernel's own tables (fixmap) are never freed here
      for (const g of occupied.gaps(t.start, t.end)) {
        const n = (g.end - g.start) / span;
        const pages = n * tablePagesEach(k.c.tableCost, kind, t.v.src);
        k.s.tables[kind].clear(g.start, g.end);
        k.s.tablePages[t.v.node] = (k.s.tablePages[t.v.node] ?? 0) - pages;
        if (t.v.src === 'memblock' && !k.boot.done) continue; // before slab: vmem_pte_free()/vmem_free_pages() keep it
        if (t.v.src === 'memblock' && pol.keepBoot) keepBootMemory(k, `${n} boot ${kind} table(s) at ${lx(offToVa(k, g.start))}`);
        else buddy_free(k, t.v.node, pages);
        k.s.trace.push({ t: 'table-free', level: kind, va: g.start, count: n });
      }
    }
  }
}

/**
 * powerpc hash __vmemmap_free() (arch/powerpc/mm/init_64.c @ v6.6..v7.1; vmemmap_free() before,
 * which radix <= v6.5 shares): start aligned down to the block size; per block, kept while
 * vmemmap_populated() (a valid sub-section's memmap is in it), else vmemmap_list_free() (no
 * entry: skipped), the memory back to the altmap when its pfn is in [base_pfn, base_pfn +
 * reserve + free), else to the page allocator / as reserved pages, then
 * hash__vmemmap_remove_mapping() of the bolted HPTEs.
 */
function freeListBlocks(k: Kernel, start: number, end: number, altmap: string | null): void {
  const bs = k.s.ppcList.blockSize || k.c.PAGE_SIZE;
  const P = k.c.PAGE_SIZE;
  const A = alignDown(start, bs);
  const B = alignUp(end, bs);
  // pr_debug("vmemmap_free %lx...%lx\n", start aligned down to the block, end): __remove_pages()
  // calls it once per section (a run of whole sections arrives here as one range)
  const sec = k.c.SECTION_MEMMAP;
  const calls = (end - start) % sec === 0 && (end - start) > sec ? (end - start) / sec : 1;
  const cb = (end - start) / calls;
  const freeLine = (i: number) => `vmemmap_free ${lx(offToVa(k, alignDown(start + i * cb, bs)))}...${lx(offToVa(k, start + (i + 1) * cb))}\n`;
  printk(k, KERN_DEBUG, k.arch.policy.free.site, '%s', [freeLine(0)], { run: { count: calls, nth: freeLine } });
  // interior blocks describe only the removed pfns; the two edge blocks are checked
  const free = (x0: number, x1: number): void => {
    if (x1 <= x0) return;
    // <= v5.9: a block mapped without a vmemmap_list entry is not found: vmemmap_list_free()
    // WARN_ON(1) and returns 0, vmemmap_free() goes on to the next block (init_64.c @ 5.6.4, 5.9.1)
    const orphan = k.s.ppcList.orphans.find((o) => o.start < x1 && o.end > x0);
    if (orphan) {
      const o0 = Math.max(x0, orphan.start);
      const o1 = Math.min(x1, orphan.end);
      free(x0, o0);
      WARN(k, true, 'arch/powerpc/mm/init_64.c:vmemmap_list_free', null);
      free(o1, x1);
      return;
    }
    const seg = k.s.leaves.overlaps(x0, x1);
    if (seg.length === 0) return;
    k.s.leaves.clear(x0, x1);
    for (const q of seg) {
      const lvl = q.v.level;
      k.s.trace.push({ t: 'unmap', level: lvl, va: q.start, size: q.end - q.start, b: q.v.b });
      vmemmap_list_free(k, Math.ceil((q.end - q.start) / bs));
      freeBacking(k, q.v.b, (q.end - q.start) / P, altmap, lvl, q.start);
    }
  };
  const edges = new Set([A, B - bs]);
  for (const e of edges) if (!ppc_vmemmap_populated(k, e, bs)) free(e, e + bs);
  free(A + bs, B - bs);
  // radix <= v6.5: radix__vmemmap_remove_mapping() -> remove_pagetable() frees the empty tables
  freeEmptyTables(k, A, B);
}
