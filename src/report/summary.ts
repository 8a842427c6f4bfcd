/**
 * Derived views of the kernel state for reports: where memmap bytes live, page-table pages,
 * leaf mappings by level, merged vmemmap ranges, section counts.
 */
import type { PtLevel } from '../arch/types.js';
import { compoundUnique, offToVa, tablePagesEach, type Backing, type Kernel } from '../kernel/state.js';

export function backingLabel(b: Backing): string {
  switch (b.kind) {
    case 'ram': return `ram:node${b.node}`;
    case 'altmap': return `altmap:${b.id}`;
    case 'self': return `self:node${b.node}`;
    case 'compound': return `dedup:${b.pgmap}`;
  }
}

export interface MemmapBacking {
  /** RAM by node. */
  ram: Record<string, number>;
  /** Device altmaps by id. */
  altmap: Record<string, number>;
  /** memmap_on_memory: inside the hot-added memory blocks themselves, by node. */
  self: Record<string, number>;
  /** device-dax vmemmap dedup: memmap bytes served by PTEs that map a shared tail page (no RAM of their own), by pgmap. */
  dedup: Record<string, number>;
}

/** Bytes of distinct pages backing struct pages, by node (RAM), by altmap, and self-hosted by node. */
export function memmapBacking(k: Kernel): MemmapBacking {
  const out: MemmapBacking = { ram: {}, altmap: {}, self: {}, dedup: {} };
  for (const s of k.s.leaves) {
    const n = s.end - s.start;
    const b = s.v.b;
    if (b.kind === 'ram') out.ram[b.node] = (out.ram[b.node] ?? 0) + n;
    else if (b.kind === 'altmap') out.altmap[b.id] = (out.altmap[b.id] ?? 0) + n;
    else if (b.kind === 'self') out.self[b.node] = (out.self[b.node] ?? 0) + n;
    else {
      const u = compoundUnique(k, b, s.start, s.end);
      const P = k.c.PAGE_SIZE;
      if (u.heads) out.ram[b.node] = (out.ram[b.node] ?? 0) + u.heads * P;
      if (u.tails) out.ram[b.tailNode] = (out.ram[b.tailNode] ?? 0) + u.tails * P;
      out.dedup[b.pgmap] = (out.dedup[b.pgmap] ?? 0) + n - (u.heads + u.tails) * P;
    }
  }
  return out;
}

export interface PageTablePages {
  p4d?: number;
  pud?: number;
  pmd?: number;
  pte?: number;
  byNode: Record<string, number>;
  /**
   * Arches whose tables are not one page each (PtGeometry.tableBytes: powerpc radix, s390): the
   * RAM the tables of each level take, in bytes - a table allocated at boot takes earlyTableBytes
   * (memblock), one allocated later runtimeTableBytes, each absent = tableBytes (Consts.tableCost).
   * Absent elsewhere: a table is a page.
   */
  bytes?: Partial<Record<PtLevel, number>>;
}

export function pageTablePages(k: Kernel): PageTablePages {
  const out: PageTablePages = { byNode: {} };
  const pt = k.arch.cfg.pt;
  if (pt.tableBytes) out.bytes = {};
  for (const lvl of pt.allocLevels) {
    const span = k.c.tableSpan[lvl];
    let n = 0;
    let bytes = 0;
    for (const s of k.s.tables[lvl]) {
      if (s.v.src === 'static') continue;
      // pages of RAM: tables x the pages one takes (boot or runtime)
      const c = ((s.end - s.start) / span) * tablePagesEach(k.c.tableCost, lvl, s.v.src);
      n += c;
      out.byNode[s.v.node] = (out.byNode[s.v.node] ?? 0) + c;
      bytes += c * k.c.PAGE_SIZE;
    }
    (out as unknown as Record<PtLevel, number>)[lvl] = n;
    if (out.bytes) out.bytes[lvl] = bytes;
  }
  return out;
}

export function leafCounts(k: Kernel): { pte: number; pmd: number; pud: number } {
  let pte = 0;
  let pmd = 0;
  for (const s of k.s.leaves) {
    if (s.v.level === 'pte') pte += (s.end - s.start) / k.c.PAGE_SIZE;
    else pmd += (s.end - s.start) / k.c.PMD_SIZE;
  }
  return { pte, pmd, pud: 0 };
}

export interface VmemmapRange {
  va: string;
  size: number;
  level: 'pte' | 'pmd';
  backing: string;
}

export function vmemmapRanges(k: Kernel): VmemmapRange[] {
  const out: VmemmapRange[] = [];
  let cur: { start: number; end: number; level: 'pte' | 'pmd'; backing: string } | null = null;
  const flush = () => {
    if (cur) out.push({ va: '0x' + offToVa(k, cur.start).toString(16), size: cur.end - cur.start, level: cur.level, backing: cur.backing });
  };
  for (const s of k.s.leaves) {
    const backing = backingLabel(s.v.b);
    if (cur && cur.end === s.start && cur.level === s.v.level && cur.backing === backing) cur.end = s.end;
    else {
      flush();
      cur = { start: s.start, end: s.end, level: s.v.level, backing };
    }
  }
  flush();
  return out;
}

export function sectionCounts(k: Kernel): { present: number; early: number; hotplugged: number; subsectionsActive: number } {
  let present = 0;
  let early = 0;
  for (const s of k.s.sections) {
    present += s.end - s.start;
    if (s.v.early) early += s.end - s.start;
  }
  return { present, early, hotplugged: present - early, subsectionsActive: k.s.subsections.total() / k.c.PAGES_PER_SUBSECTION };
}
