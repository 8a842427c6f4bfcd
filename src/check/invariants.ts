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
import { compoundUnique, offToPfn, offToVa, pfnToOff, section_nr_to_pfn, type Kernel } from '../kernel/state.js';
import type { Machine } from '../sim/machine.js';

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

export function checkInvariants(m: Machine): Violation[] {
  const k = m.k;
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
  for (const s of k.s.leaves) {
    const unit = s.v.level === 'pmd' ? k.c.PMD_SIZE : P;
    // a leaf unit that overlaps no required range is a leaked mapping
    for (const g of req.gaps(s.start, s.end)) {
      const a = alignUp(g.start, unit);
      const b = alignDown(g.end, unit);
      if (b > a) {
        v('memmap-coverage', vaRange(k, a, b), `${k.arch.policy.free.site} / mm/sparse.c:sparse_init_nid`, `${s.v.level} mapping left behind for pfns that are not present (not freed on removal, or left by a failed populate that nothing undoes)`);
        break;
      }
    }
  }

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
  for (const lvl of lv) for (const s of k.s.tables[lvl]) if (s.v.src !== 'static') tables[s.v.node] = (tables[s.v.node] ?? 0) + (s.end - s.start) / k.c.tableSpan[lvl];
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
  for (const an of k.s.anomalies) if (an.step === k.step) v('kernel-anomaly', '-', an.site, an.text);
  return out;
}
