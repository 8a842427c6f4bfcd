/**
 * Invariants checked after every step. Each returns violations (never throws) naming the
 * step, the address range and the kernel function responsible.
 *
 *  memmap-coverage   every struct page of every present pfn is mapped exactly once, and no
 *                    leaf maps only struct pages of absent pfns (a leaked mapping)
 *  altmap-accounting each altmap's `alloc` equals the pages of live mappings it backs; those
 *                    pages lie in [base + reserve, base + reserve + free) and are distinct
 *  tables-from-ram   page-table pages come from RAM (memblock/buddy), and every leaf sits in
 *                    a table that exists; no PTE table under a PMD leaf
 *  ram-accounting    RAM pages the allocators handed out for memmap and for tables equal what
 *                    is mapped (nothing freed twice, nothing leaked)
 *  counters          altmap alloc/align, free pages and table counts never go negative;
 *                    alloc + align <= free
 *  kernel-anomaly    the kernel itself freed a page to the wrong place on this path
 */
import { alignDown, alignUp, lx } from '../util/bits.js';
import { IntervalSet } from '../util/interval.js';
import { compoundUnique, offToPfn, tablePagesEach, offToVa, pfnToOff, section_nr_to_pfn, stepAnomalies, type Kernel, type Leaf, type Touched } from '../kernel/state.js';
import type { Seg } from '../util/interval.js';

export interface Violation {
  invariant: string;
  step: number;
  /** Address range concerned: "va 0x...-0x..." or "pfn 0x...-0x...". */
  range: string;
  /** Kernel function responsible (file:function). */
  fn: string;
  detail: string;
}

export const INVARIANTS = ['memmap-coverage', 'altmap-accounting', 'tables-from-ram', 'ram-accounting', 'counters', 'kernel-anomaly'] as const;

function vaRange(k: Kernel, a: number, b: number): string {
  return `va 0x${lx(offToVa(k, a))}-0x${lx(offToVa(k, b) - 1n)}`;
}

/** Bytes of required struct-page ranges that no leaf maps. */
export function unmappedMemmapBytes(k: Kernel): number {
  const mapped = new IntervalSet();
  for (const s of k.s.leaves) mapped.add(s.start, s.end);
  let t = 0;
  for (const r of requiredMemmap(k).ranges()) for (const g of mapped.gaps(r.start, r.end)) t += g.end - g.start;
  return t;
}

/** Struct-page ranges (vmemmap offsets) that must be mapped: whole early sections, active sub-sections elsewhere. */
export function requiredMemmap(k: Kernel): IntervalSet {
  const req = new IntervalSet();
  const PPS = k.c.PAGES_PER_SECTION;
  for (const s of k.s.sections) {
    if (!s.v.memmap) continue;
    if (s.v.early) req.add(pfnToOff(k, section_nr_to_pfn(k, s.start)), pfnToOff(k, section_nr_to_pfn(k, s.end)));
    else for (const r of k.s.subsections.overlaps(s.start * PPS, s.end * PPS)) req.add(pfnToOff(k, r.start), pfnToOff(k, r.end));
  }
  return req;
}

/** Every invariant over the whole state (the reference for checkTouched; used at the end of a run and under --paranoid). */
export function checkInvariants(k: Kernel): Violation[] {
  const out: Violation[] = [];
  const v = (invariant: string, range: string, fn: string, detail: string) => out.push({ invariant, step: k.step, range, fn, detail });
  const P = k.c.PAGE_SIZE;

  // memmap-coverage
  const req = requiredMemmap(k);
  const mapped = new IntervalSet();
  for (const s of k.s.leaves) mapped.add(s.start, s.end);
  for (const r of req.ranges()) {
    for (const g of mapped.gaps(r.start, r.end)) {
      v('memmap-coverage', vaRange(k, g.start, g.end), 'mm/sparse-vmemmap.c:vmemmap_populate_range / ' + k.arch.policy.free.site, 'struct pages of present pfns are not mapped');
      break;
    }
  }
  for (const s of k.s.leaves) checkLeaked(k, s, req, v);

  // altmap-accounting
  const perAlt = new Map<string, { pages: number; pfns: { start: number; end: number }[] }>();
  for (const s of k.s.leaves) {
    if (s.v.b.kind !== 'altmap') continue;
    const e = perAlt.get(s.v.b.id) ?? { pages: 0, pfns: [] };
    const n = (s.end - s.start) / P;
    e.pages += n;
    e.pfns.push({ start: s.v.b.pfn, end: s.v.b.pfn + n });
    perAlt.set(s.v.b.id, e);
  }
  for (const [id, e] of perAlt) {
    const a = k.s.altmaps.get(id);
    if (!a) {
      v('altmap-accounting', `altmap ${id}`, 'mm/memremap.c:memunmap_pages', `${e.pages} mapped memmap pages are backed by an altmap that no longer exists`);
      continue;
    }
    const lo = a.base_pfn + a.reserve;
    const hi = lo + a.free;
    e.pfns.sort((x, y) => x.start - y.start);
    for (let i = 0; i < e.pfns.length; i++) {
      const r = e.pfns[i]!;
      if (r.start < lo || r.end > hi) v('altmap-accounting', `pfn 0x${lx(r.start)}-0x${lx(r.end - 1)}`, 'mm/sparse-vmemmap.c:altmap_alloc_block_buf', `altmap ${id} page outside [base+reserve, base+reserve+free) = [0x${lx(lo)}, 0x${lx(hi)})`);
      if (i > 0 && r.start < e.pfns[i - 1]!.end) v('altmap-accounting', `pfn 0x${lx(r.start)}-0x${lx(Math.min(r.end, e.pfns[i - 1]!.end) - 1)}`, 'mm/sparse-vmemmap.c:vmem_altmap_free', `altmap ${id} pages back two live mappings`);
    }
  }
  for (const a of k.s.altmaps.values()) {
    const pages = perAlt.get(a.id)?.pages ?? 0;
    if (a.alloc !== pages) v('altmap-accounting', `altmap ${a.id}`, 'mm/sparse-vmemmap.c:vmem_altmap_free', `alloc is ${a.alloc} but ${pages} live memmap pages come from it`);
  }

  // memmap_on_memory: self-hosted memmap lies in blocks that host it, and adds up to their altmaps
  let selfPages = 0;
  const bp = k.boot.memoryBlockSize / P;
  for (const s of k.s.leaves) {
    if (s.v.b.kind !== 'self') continue;
    selfPages += (s.end - s.start) / P;
    const f0 = Math.floor(offToPfn(k, s.start) / bp);
    const f1 = Math.ceil(offToPfn(k, s.end) / bp);
    const hosts = k.s.blocks.overlaps(f0, f1).filter((b) => b.v.vmemmapPages > 0).reduce((t, b) => t + (b.end - b.start), 0);
    if (hosts !== f1 - f0) v('altmap-accounting', vaRange(k, s.start, s.end), 'mm/memory_hotplug.c:remove_memory_blocks_and_altmaps', 'self-hosted memmap of memory blocks that no longer host it');
  }
  let blockAlloc = 0;
  for (const b of k.s.blocks) blockAlloc += (b.end - b.start) * b.v.altmapAlloc;
  if (selfPages !== blockAlloc) v('altmap-accounting', 'memmap_on_memory', 'mm/sparse-vmemmap.c:vmem_altmap_free', `the memory blocks' altmaps count ${blockAlloc} pages but ${selfPages} live memmap pages are self-hosted`);

  // tables-from-ram and leaf/table consistency
  const lv = k.arch.cfg.pt.allocLevels;
  for (const lvl of lv) {
    for (const s of k.s.tables[lvl]) {
      if (s.v.src !== 'memblock' && s.v.src !== 'buddy' && s.v.src !== 'static') v('tables-from-ram', vaRange(k, s.start, s.end), 'mm/sparse-vmemmap.c:vmemmap_alloc_block_zero', `${lvl} table not from RAM`);
    }
  }
  for (const s of k.s.leaves) {
    for (const lvl of lv) {
      if (s.v.level === 'pmd' && lvl === 'pte') break;
      const cov = k.s.tables[lvl].coverage(alignDown(s.start, k.c.tableSpan[lvl]), alignUp(s.end, k.c.tableSpan[lvl]));
      if (k.s.tables[lvl].gaps(s.start, s.end).length > 0) {
        v('tables-from-ram', vaRange(k, s.start, s.end), 'mm/sparse-vmemmap.c:vmemmap_populate_address', `${s.v.level} mapping without its ${lvl} table`);
        void cov;
        break;
      }
    }
    if (s.v.level === 'pmd' && k.c.tableSpan.pte && k.s.tables.pte.coverage(s.start, s.end) > 0) {
      v('tables-from-ram', vaRange(k, s.start, s.end), 'mm/sparse-vmemmap.c:vmemmap_populate_hugepages', 'PTE table under a PMD leaf');
    }
  }

  // ram-accounting
  const ramPages: number[] = [];
  for (const s of k.s.leaves) {
    const b = s.v.b;
    if (b.kind === 'ram') ramPages[b.node] = (ramPages[b.node] ?? 0) + (s.end - s.start) / P;
    if (b.kind === 'compound') {
      const u = compoundUnique(k, b, s.start, s.end);
      ramPages[b.node] = (ramPages[b.node] ?? 0) + u.heads;
      ramPages[b.tailNode] = (ramPages[b.tailNode] ?? 0) + u.tails;
    }
  }
  const tables: number[] = [];
  for (const lvl of lv) for (const s of k.s.tables[lvl]) if (s.v.src !== 'static') tables[s.v.node] = (tables[s.v.node] ?? 0) + ((s.end - s.start) / k.c.tableSpan[lvl]) * tablePagesEach(k.c.tableCost, lvl, s.v.src);
  for (let n = 0; n < k.s.nodes.length; n++) {
    // HVO gives vmemmap pages back without the model redrawing the mapping (placement unknown)
    const want = (ramPages[n] ?? 0) - (k.s.hvo.freed[n] ?? 0);
    const got = k.s.memmapRamPages[n] ?? 0;
    if (want !== got) v('ram-accounting', `node ${n}`, k.arch.policy.free.site, `${got} RAM pages are held for memmap but ${want} are mapped (${got > want ? 'leaked' : 'freed twice'})`);
    const tw = tables[n] ?? 0;
    const tg = k.s.tablePages[n] ?? 0;
    if (tw !== tg) v('ram-accounting', `node ${n}`, k.arch.policy.free.site, `${tg} page-table pages are held but ${tw} tables exist`);
  }

  // counters
  for (const a of k.s.altmaps.values()) {
    if (a.alloc < 0 || a.align < 0) v('counters', `altmap ${a.id}`, 'mm/sparse-vmemmap.c:vmem_altmap_free', `alloc ${a.alloc}, align ${a.align}: negative`);
    if (a.alloc + a.align > a.free) v('counters', `altmap ${a.id}`, 'mm/sparse-vmemmap.c:altmap_alloc_block_buf', `alloc + align = ${a.alloc + a.align} exceeds free = ${a.free}`);
  }
  k.s.nodes.forEach((n, i) => { if (n.free < 0) v('counters', `node ${i}`, 'mm/page_alloc.c', `free pages negative (${n.free})`); });

  // kernel-anomaly
  for (const an of stepAnomalies(k)) v('kernel-anomaly', '-', an.site, an.text);
  return out;
}


/** Flat start, end pairs sorted by start and merged where they overlap or meet. */
export function mergePairs(w: number[]): number[] {
  const n = w.length / 2;
  if (n > 16) {
    const pairs: [number, number][] = [];
    for (let i = 0; i < w.length; i += 2) pairs.push([w[i]!, w[i + 1]!]);
    pairs.sort((x, y) => x[0] - y[0]);
    w = [];
    for (const p of pairs) w.push(p[0], p[1]);
  } else {
    // a handful of pairs (the usual step): insertion sort in place, no arrays made
    for (let i = 2; i < w.length; i += 2) {
      const s0 = w[i]!;
      const e0 = w[i + 1]!;
      let j = i - 2;
      for (; j >= 0 && w[j]! > s0; j -= 2) {
        w[j + 2] = w[j]!;
        w[j + 3] = w[j + 1]!;
      }
      w[j + 2] = s0;
      w[j + 3] = e0;
    }
  }
  const out: number[] = [];
  for (let i = 0; i < w.length; i += 2) {
    const last = out.length - 1;
    if (last > 0 && w[i]! <= out[last]!) {
      if (w[i + 1]! > out[last]!) out[last] = w[i + 1]!;
    } else out.push(w[i]!, w[i + 1]!);
  }
  return out;
}

/** What checkTouched remembers from one check to the next. */
export interface CheckMemo {
  /** Each altmap's [base + reserve, base + reserve + free) at the last check. */
  altBounds: Map<string, [number, number]>;
}

export function newCheckMemo(): CheckMemo {
  return { altBounds: new Map() };
}

/**
 * The invariants over what changed since the last check (`t`, kept by the state's watchers),
 * given that the last check found the state clean: a violation can only appear where a leaf,
 * a table, a section, a sub-section or a memory block changed, or in a running sum (the
 * state's Ledger) or a counter. Costs O(ranges touched x log(ranges)) plus the number of
 * nodes and altmaps. Sound, not exact: when it reports anything, the caller runs
 * checkInvariants() for the exact list (a violation outside the touched ranges that was
 * there before would be missed, which is why the caller only uses it after a clean check).
 */
export function checkTouched(k: Kernel, t: Touched, memo: CheckMemo): Violation[] {
  const out: Violation[] = [];
  const v = (invariant: string, range: string, fn: string, detail: string) => out.push({ invariant, step: k.step, range, fn, detail });
  const P = k.c.PAGE_SIZE;
  const PPS = k.c.PAGES_PER_SECTION;
  const bp = k.boot.memoryBlockSize / P;

  // the touched ranges as vmemmap offsets, sorted and merged (flat start, end pairs)
  const w: number[] = t.va.slice();
  for (let i = 0; i < t.sections.length; i += 2) w.push(pfnToOff(k, t.sections[i]! * PPS), pfnToOff(k, t.sections[i + 1]! * PPS));
  for (let i = 0; i < t.subsections.length; i += 2) w.push(pfnToOff(k, t.subsections[i]!), pfnToOff(k, t.subsections[i + 1]!));
  if (bp > 0) for (let i = 0; i < t.blocks.length; i += 2) w.push(pfnToOff(k, t.blocks[i]! * bp), pfnToOff(k, t.blocks[i + 1]! * bp));
  const windows = mergePairs(w);

  const lv = k.arch.cfg.pt.allocLevels;
  for (let x = 0; x < windows.length; x += 2) {
    const a = windows[x]!;
    const b = windows[x + 1]!;
    const L = k.s.leaves.segmentsOverlapping(a, b);
    const a2 = Math.min(a, L[0]?.start ?? a);
    const b2 = Math.max(b, L[L.length - 1]?.end ?? b);
    const req = requiredWithin(k, a2, b2);
    // memmap-coverage: struct pages required here and not mapped
    for (const r of req.ranges()) {
      const lo = Math.max(r.start, a2);
      const hi = Math.min(r.end, b2);
      if (hi > lo && k.s.leaves.gaps(lo, hi).length > 0) {
        v('memmap-coverage', vaRange(k, lo, hi), 'mm/sparse-vmemmap.c:vmemmap_populate_range / ' + k.arch.policy.free.site, 'struct pages of present pfns are not mapped');
        break;
      }
    }
    checkLeaves(k, L, req, v);
    for (const lvl of lv) {
      for (const s of k.s.tables[lvl].overlaps(a, b)) {
        if (s.v.src !== 'memblock' && s.v.src !== 'buddy' && s.v.src !== 'static') v('tables-from-ram', vaRange(k, s.start, s.end), 'mm/sparse-vmemmap.c:vmemmap_alloc_block_zero', `${lvl} table not from RAM`);
      }
    }
  }

  // altmap-accounting from the running sums; bounds again wherever an altmap's bounds changed
  const L = k.s.ledger;
  for (const [id, bytes] of L.altmap) {
    if (bytes !== 0 && !k.s.altmaps.has(id)) v('altmap-accounting', `altmap ${id}`, 'mm/memremap.c:memunmap_pages', `${bytes / P} mapped memmap pages are backed by an altmap that no longer exists`);
  }
  for (const a of k.s.altmaps.values()) {
    const pages = (L.altmap.get(a.id) ?? 0) / P;
    if (a.alloc !== pages) v('altmap-accounting', `altmap ${a.id}`, 'mm/sparse-vmemmap.c:vmem_altmap_free', `alloc is ${a.alloc} but ${pages} live memmap pages come from it`);
    const lo = a.base_pfn + a.reserve;
    const hi = lo + a.free;
    const was = memo.altBounds.get(a.id);
    if (!was || was[0] !== lo || was[1] !== hi) {
      memo.altBounds.set(a.id, [lo, hi]);
      const set = L.altPfns.get(a.id);
      const used = set ? set.ranges() : [];
      if (used.length && (used[0]!.start < lo || used[used.length - 1]!.end > hi)) v('altmap-accounting', `altmap ${a.id}`, 'mm/sparse-vmemmap.c:altmap_alloc_block_buf', `altmap ${a.id} page outside [base+reserve, base+reserve+free) = [0x${lx(lo)}, 0x${lx(hi)})`);
    }
  }
  if (memo.altBounds.size > k.s.altmaps.size) for (const id of memo.altBounds.keys()) if (!k.s.altmaps.has(id)) memo.altBounds.delete(id);
  if (L.overlap) v('altmap-accounting', 'altmap', 'mm/sparse-vmemmap.c:vmem_altmap_free', 'altmap pages back two live mappings');
  let selfPages = 0;
  for (const x of L.self) selfPages += (x ?? 0) / P;
  if (selfPages !== L.blockAlloc) v('altmap-accounting', 'memmap_on_memory', 'mm/sparse-vmemmap.c:vmem_altmap_free', `the memory blocks' altmaps count ${L.blockAlloc} pages but ${selfPages} live memmap pages are self-hosted`);

  // ram-accounting from the running sums
  for (let n = 0; n < k.s.nodes.length; n++) {
    const want = (L.ram[n] ?? 0) / P - (k.s.hvo.freed[n] ?? 0);
    const got = k.s.memmapRamPages[n] ?? 0;
    if (want !== got) v('ram-accounting', `node ${n}`, k.arch.policy.free.site, `${got} RAM pages are held for memmap but ${want} are mapped (${got > want ? 'leaked' : 'freed twice'})`);
    const tw = L.tablesByNode[n] ?? 0;
    const tg = k.s.tablePages[n] ?? 0;
    if (tw !== tg) v('ram-accounting', `node ${n}`, k.arch.policy.free.site, `${tg} page-table pages are held but ${tw} tables exist`);
  }
  counters(k, v);
  return out;
}

/** A leaf unit that overlaps no required range is a leaked mapping (reported once per leaf). */
function checkLeaked(k: Kernel, s: Seg<Leaf>, req: IntervalSet, v: (invariant: string, range: string, fn: string, detail: string) => void): void {
  // powerpc hash maps whole mmu_vmemmap_psize blocks (16 MiB on 4K pages: eight PMD sizes)
  const unit = k.arch.cfg.pt.noPageTables && k.s.ppcList.blockSize ? k.s.ppcList.blockSize : s.v.level === 'pmd' ? k.c.PMD_SIZE : k.c.PAGE_SIZE;
  for (const g of req.gaps(s.start, s.end)) {
    const a = alignUp(g.start, unit);
    const b = alignDown(g.end, unit);
    if (b > a) {
      v('memmap-coverage', vaRange(k, a, b), `${k.arch.policy.free.site} / mm/sparse.c:sparse_init_nid`, `${s.v.level} mapping left behind for pfns that are not present (not freed on removal, or left by a failed populate that nothing undoes)`);
      return;
    }
  }
}

/** Leaf checks over some whole leaf segments, `req` holding the required memmap around them. */
function checkLeaves(k: Kernel, leaves: Seg<Leaf>[], req: IntervalSet, v: (invariant: string, range: string, fn: string, detail: string) => void): void {
  const P = k.c.PAGE_SIZE;
  const bp = k.boot.memoryBlockSize / P;
  const lv = k.arch.cfg.pt.allocLevels;
  for (const s of leaves) {
    checkLeaked(k, s, req, v);
    const b0 = s.v.b;
    if (b0.kind === 'altmap') {
      const a = k.s.altmaps.get(b0.id);
      const n = (s.end - s.start) / P;
      if (!a) v('altmap-accounting', `altmap ${b0.id}`, 'mm/memremap.c:memunmap_pages', `${n} mapped memmap pages are backed by an altmap that no longer exists`);
      else {
        const lo = a.base_pfn + a.reserve;
        const hi = lo + a.free;
        if (b0.pfn < lo || b0.pfn + n > hi) v('altmap-accounting', `pfn 0x${lx(b0.pfn)}-0x${lx(b0.pfn + n - 1)}`, 'mm/sparse-vmemmap.c:altmap_alloc_block_buf', `altmap ${b0.id} page outside [base+reserve, base+reserve+free) = [0x${lx(lo)}, 0x${lx(hi)})`);
      }
    }
    if (b0.kind === 'self' && bp > 0) {
      const f0 = Math.floor(offToPfn(k, s.start) / bp);
      const f1 = Math.ceil(offToPfn(k, s.end) / bp);
      const hosts = k.s.blocks.overlaps(f0, f1).filter((x) => x.v.vmemmapPages > 0).reduce((t, x) => t + (x.end - x.start), 0);
      if (hosts !== f1 - f0) v('altmap-accounting', vaRange(k, s.start, s.end), 'mm/memory_hotplug.c:remove_memory_blocks_and_altmaps', 'self-hosted memmap of memory blocks that no longer host it');
    }
    for (const lvl of lv) {
      if (s.v.level === 'pmd' && lvl === 'pte') break;
      if (k.s.tables[lvl].gaps(s.start, s.end).length > 0) {
        v('tables-from-ram', vaRange(k, s.start, s.end), 'mm/sparse-vmemmap.c:vmemmap_populate_address', `${s.v.level} mapping without its ${lvl} table`);
        break;
      }
    }
    if (s.v.level === 'pmd' && k.c.tableSpan.pte && k.s.tables.pte.coverage(s.start, s.end) > 0) {
      v('tables-from-ram', vaRange(k, s.start, s.end), 'mm/sparse-vmemmap.c:vmemmap_populate_hugepages', 'PTE table under a PMD leaf');
    }
  }
}

/** Required struct-page ranges (see requiredMemmap) of the sections that overlap [a, b) (vmemmap offsets). */
function requiredWithin(k: Kernel, a: number, b: number): IntervalSet {
  const req = new IntervalSet();
  const PPS = k.c.PAGES_PER_SECTION;
  const p0 = Math.floor(offToPfn(k, a));
  const p1 = Math.ceil(offToPfn(k, b));
  for (const s of k.s.sections.overlaps(Math.floor(p0 / PPS), Math.ceil(p1 / PPS))) {
    if (!s.v.memmap) continue;
    if (s.v.early) req.add(pfnToOff(k, section_nr_to_pfn(k, s.start)), pfnToOff(k, section_nr_to_pfn(k, s.end)));
    else for (const r of k.s.subsections.overlaps(Math.max(s.start * PPS, p0 - PPS), Math.min(s.end * PPS, p1 + PPS))) req.add(pfnToOff(k, r.start), pfnToOff(k, r.end));
  }
  return req;
}

function counters(k: Kernel, v: (invariant: string, range: string, fn: string, detail: string) => void): void {
  for (const a of k.s.altmaps.values()) {
    if (a.alloc < 0 || a.align < 0) v('counters', `altmap ${a.id}`, 'mm/sparse-vmemmap.c:vmem_altmap_free', `alloc ${a.alloc}, align ${a.align}: negative`);
    if (a.alloc + a.align > a.free) v('counters', `altmap ${a.id}`, 'mm/sparse-vmemmap.c:altmap_alloc_block_buf', `alloc + align = ${a.alloc + a.align} exceeds free = ${a.free}`);
  }
  k.s.nodes.forEach((n, i) => { if (n.free < 0) v('counters', `node ${i}`, 'mm/page_alloc.c', `free pages negative (${n.free})`); });
  // kernel-anomaly: the anomalies are appended in step order
  for (const an of stepAnomalies(k)) v('kernel-anomaly', '-', an.site, an.text);
}

/** The invariants whose violations are the modelled kernel's own behaviour (predicted kernel bugs), not vmemmap-lab's. */
export const FINDING_INVARIANTS = new Set(['memmap-coverage', 'kernel-anomaly']);

/**
 * Split a step's violations into model violations and kernel findings: memmap-coverage and
 * kernel-anomaly are findings, and so is anything first seen in a step with one (the
 * kernel's own bookkeeping is then off) and its repeats in later steps (`explained`).
 * Shared by run, compare and fuzz, so the three name the same thing the same way.
 */
export function classify(violations: Violation[], explained: Set<string>, oopsed = false): { violations: Violation[]; findings: Violation[] } {
  const out = { violations: [] as Violation[], findings: [] as Violation[] };
  // a step that oopsed stopped half-way in the kernel: everything first seen there is the oops's
  const anomalous = oopsed || violations.some((v) => FINDING_INVARIANTS.has(v.invariant));
  for (const v of violations) {
    // an altmap kept after its namespace went away is renamed "<id>~failed-stepN" /
    // "<id>~destroyed-stepN": still the same altmap
    const key = v.invariant + ' ' + v.range.replace(/~(failed|destroyed)-step\d+$/, '');
    if (FINDING_INVARIANTS.has(v.invariant) || anomalous || explained.has(key)) {
      explained.add(key);
      out.findings.push(v);
    } else out.violations.push(v);
  }
  return out;
}

