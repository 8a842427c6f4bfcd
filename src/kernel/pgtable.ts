/**
 * The vmemmap part of init_mm's kernel page tables, held as interval maps (see state.ts):
 * which tables exist at each level, and the leaf mappings with their backing.
 *
 * A table of kind L holds L entries and covers tableSpan[L] of address space; kinds are named
 * by the entries they hold ("pmd" = a page of PMD entries, allocated by vmemmap_pud_populate).
 */
import type { LeafLevel, PtLevel } from '../arch/types.js';
import { alignDown, alignUp } from '../util/bits.js';
import type { Backing, Kernel, Leaf, TableOwner } from './state.js';

/** Table kinds allocated on the way down to install an entry of `entryLevel`. */
export function tableKindsFor(k: Kernel, entryLevel: LeafLevel): readonly PtLevel[] {
  return k.c.tableKinds[entryLevel];
}

/** Spans of tables of `kind` that [a, b) needs and that do not exist. */
export function missingTables(k: Kernel, kind: PtLevel, a: number, b: number): { start: number; end: number }[] {
  const span = k.c.tableSpan[kind];
  return k.s.tables[kind].gaps(alignDown(a, span), alignUp(b, span));
}

export function addTables(k: Kernel, kind: PtLevel, spans: { start: number; end: number }[], owner: TableOwner): void {
  for (const r of spans) {
    k.s.tables[kind].set(r.start, r.end, owner);
    k.s.trace.push({ t: 'table', level: kind, va: r.start, count: (r.end - r.start) / k.c.tableSpan[kind], node: owner.node, src: owner.src });
  }
}

/** State of the PMD entries over [a, b), as runs: 'none', 'leaf' (huge mapping) or 'table' (points to a PTE table). */
export function pmdRuns(k: Kernel, a: number, b: number): { start: number; end: number; state: 'none' | 'leaf' | 'table' }[] {
  const P = k.c.PMD_SIZE;
  const A = alignDown(a, P);
  const B = alignUp(b, P);
  const marks: { start: number; end: number; state: 'leaf' | 'table' }[] = [];
  for (const s of k.s.leaves.overlaps(A, B)) if (s.v.level === 'pmd') marks.push({ start: alignDown(s.start, P), end: alignUp(s.end, P), state: 'leaf' });
  if (k.arch.cfg.pt.shift.pte !== null) for (const s of k.s.tables.pte.overlaps(A, B)) marks.push({ start: s.start, end: s.end, state: 'table' });
  marks.sort((x, y) => x.start - y.start);
  const out: { start: number; end: number; state: 'none' | 'leaf' | 'table' }[] = [];
  let cur = A;
  const push = (s: number, e: number, st: 'none' | 'leaf' | 'table') => {
    const lo = Math.max(s, a);
    const hi = Math.min(e, b);
    if (lo >= hi) return;
    const last = out[out.length - 1];
    if (last && last.state === st && last.end === lo) last.end = hi;
    else out.push({ start: lo, end: hi, state: st });
  };
  for (const m of marks) {
    if (m.start > cur) push(cur, m.start, 'none');
    push(Math.max(m.start, cur), m.end, m.state);
    cur = Math.max(cur, m.end);
  }
  if (cur < B) push(cur, B, 'none');
  return out;
}

export function mapLeaves(k: Kernel, a: number, b: number, level: LeafLevel, backing: Backing): void {
  k.s.leaves.set(a, b, { level, b: backing });
  k.s.trace.push({ t: 'map', level, va: a, size: b - a, b: backing });
}

export function leafSegments(k: Kernel, a: number, b: number, level?: LeafLevel) {
  return k.s.leaves.overlaps(a, b).filter((s) => !level || s.v.level === level);
}

export type { Leaf };
