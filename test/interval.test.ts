/**
 * src/util/interval.ts against the obvious model: one array cell per unit. Every operation
 * (set, clear, fill) on a random map over a small universe, with copy-on-write clones taken and
 * written on both sides, must leave exactly the segments the cells describe (maximal merged
 * runs), tell its watcher exactly what changed, and answer get/overlaps/gaps/coverage as the
 * cells do. The random seed is printed (replay with VMEMLAB_SEED).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IntervalMap, IntervalSet, plainPayload, type Payload } from '../src/util/interval.js';
import { mergePairs } from '../src/check/invariants.js';

const U = 48; // units in the universe

/** A position-dependent payload: `base` is the value at the segment's first unit, +1 per unit
 *  (like a pfn backing a run of vmemmap pages); `tag` must match for two runs to merge. */
interface P { tag: number; base: number }
const shifting: Payload<P> = {
  shift: (v, d) => ({ tag: v.tag, base: v.base + d }),
  continues: (a, b, aLen) => a.tag === b.tag && b.base === a.base + aLen,
};
const cellsOf = (v: P, start: number, end: number): (P | null)[] => Array.from({ length: end - start }, (_, i) => ({ tag: v.tag, base: v.base + i }));
const same = (a: P | null, b: P | null) => (a === null ? b === null : b !== null && a.tag === b.tag && a.base === b.base);

/** The maximal runs of the cells, as the map must hold them. */
function runs(cells: (P | null)[]): { start: number; end: number; v: P }[] {
  const out: { start: number; end: number; v: P }[] = [];
  for (let x = 0; x < cells.length; x++) {
    const c = cells[x];
    if (!c) continue;
    const last = out[out.length - 1];
    if (last && last.end === x && shifting.continues(last.v, c, last.end - last.start)) last.end = x + 1;
    else out.push({ start: x, end: x + 1, v: c });
  }
  return out;
}

type Op = { op: 'set' | 'clear' | 'fill'; a: number; b: number; tag: number; base: number; side: 0 | 1 } | { op: 'clone' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('set' as const, 'clear' as const, 'fill' as const), a: fc.integer({ min: 0, max: U }), b: fc.integer({ min: 0, max: U }), tag: fc.integer({ min: 0, max: 2 }), base: fc.integer({ min: 0, max: 8 }), side: fc.constantFrom(0 as const, 1 as const) }),
  fc.constant({ op: 'clone' as const }),
);

/** One side: the map, its cells, and what its watcher was told, replayed on a cell array. */
class Side {
  cells: (P | null)[] = Array(U).fill(null);
  told: (P | null)[] = Array(U).fill(null);
  constructor(public m: IntervalMap<P>) {
    this.watch();
  }
  watch(): void {
    this.m.watcher = {
      added: (s, e, v) => {
        cellsOf(v, s, e).forEach((c, i) => {
          expect(this.told[s + i], `watcher told of an add over unit ${s + i}, which was not cleared first`).toBeNull();
          this.told[s + i] = c;
        });
      },
      removed: (s, e, v) => {
        cellsOf(v, s, e).forEach((c, i) => {
          expect(same(this.told[s + i], c), `watcher told of removing ${JSON.stringify(c)} at unit ${s + i}, which held ${JSON.stringify(this.told[s + i])}`).toBe(true);
          this.told[s + i] = null;
        });
      },
    };
  }
  apply(o: Exclude<Op, { op: 'clone' }>): void {
    const [a, b] = o.a <= o.b ? [o.a, o.b] : [o.b, o.a];
    const v = { tag: o.tag, base: o.base };
    if (o.op === 'set') {
      this.m.set(a, b, v);
      cellsOf(v, a, b).forEach((c, i) => (this.cells[a + i] = c));
    } else if (o.op === 'clear') {
      const removed = this.m.clear(a, b);
      const want = runs(this.cells.map((c, x) => (x >= a && x < b ? c : null)));
      // clear returns the removed pieces clipped to [a, b), one per stored segment (not merged)
      expect(removed.reduce((t, r) => t + r.end - r.start, 0)).toBe(want.reduce((t, r) => t + r.end - r.start, 0));
      for (const r of removed) for (let x = r.start; x < r.end; x++) expect(same(this.cells[x]!, shifting.shift(r.v, x - r.start))).toBe(true);
      for (let x = a; x < b; x++) this.cells[x] = null;
    } else {
      const filled = this.m.fill(a, b, (g) => ({ tag: o.tag, base: o.base + g }));
      const gaps: { start: number; end: number }[] = [];
      for (let x = a; x < b; x++) {
        if (this.cells[x]) continue;
        const last = gaps[gaps.length - 1];
        if (last && last.end === x) last.end = x + 1;
        else gaps.push({ start: x, end: x + 1 });
      }
      expect(filled).toEqual(gaps);
      for (const g of gaps) for (let x = g.start; x < g.end; x++) this.cells[x] = { tag: o.tag, base: o.base + x };
    }
  }
  check(): void {
    expect(this.m.toArray()).toEqual(runs(this.cells));
    expect(this.told.map((c) => (c ? `${c.tag}:${c.base}` : '-'))).toEqual(this.cells.map((c) => (c ? `${c.tag}:${c.base}` : '-')));
    for (let x = 0; x < U; x++) {
      const got = this.m.get(x);
      expect(same(got ?? null, this.cells[x]!), `get(${x})`).toBe(true);
    }
    // a few windows: overlaps (clipped, shifted), gaps, coverage
    for (const [a, b] of [[0, U], [3, 17], [16, 33], [40, U], [5, 5]] as const) {
      const inside = this.cells.map((c, x) => (x >= a && x < b ? c : null));
      const ov = this.m.overlaps(a, b);
      for (const s of ov) for (let x = s.start; x < s.end; x++) expect(same(shifting.shift(s.v, x - s.start), inside[x]!)).toBe(true);
      expect(ov.reduce((t, s) => t + s.end - s.start, 0)).toBe(inside.filter(Boolean).length);
      expect(this.m.coverage(a, b)).toBe(inside.filter(Boolean).length);
      const holes: number[] = [];
      for (const g of this.m.gaps(a, b)) for (let x = g.start; x < g.end; x++) holes.push(x);
      expect(holes).toEqual(inside.map((c, x) => (x >= a && x < b && !c ? x : -1)).filter((x) => x >= 0));
    }
    expect(this.m.total()).toBe(this.cells.filter(Boolean).length);
    expect(this.m.size).toBe(runs(this.cells).length);
  }
}

function play(ops: Op[]): void {
  const sides: Side[] = [new Side(new IntervalMap<P>(shifting))];
  for (const o of ops) {
    if (o.op === 'clone') {
      // the clone shares the segment array until one side writes (copy-on-write)
      const src = sides[sides.length - 1]!;
      const c = new Side(src.m.clone());
      c.cells = src.cells.slice();
      c.told = src.cells.slice();
      c.watch();
      sides.push(c);
      if (sides.length > 2) sides.shift();
      continue;
    }
    (sides[o.side] ?? sides[0]!).apply(o);
    for (const s of sides) s.check();
  }
}

const seed = process.env.VMEMLAB_SEED ? Number(process.env.VMEMLAB_SEED) : Date.now() % 2 ** 31;

describe('IntervalMap against one cell per unit', () => {
  it(`random operations with clones (seed ${seed})`, () => {
    console.log(`interval test seed: ${seed} (replay with VMEMLAB_SEED=${seed})`);
    fc.assert(fc.property(fc.array(opArb, { maxLength: 40 }), play), { seed, numRuns: 300, endOnFailure: true });
  });
  for (const fixed of [1, 2026, 77]) {
    it(`fixed seed ${fixed}`, () => {
      fc.assert(fc.property(fc.array(opArb, { maxLength: 40 }), play), { seed: fixed, numRuns: 300 });
    });
  }

  it('merges a run that continues its neighbours on both sides into one segment', () => {
    const m = new IntervalMap<P>(shifting);
    m.set(0, 4, { tag: 1, base: 10 });
    m.set(8, 12, { tag: 1, base: 18 });
    m.set(4, 8, { tag: 1, base: 14 }); // 10..13, 14..17, 18..21: one run
    expect(m.toArray()).toEqual([{ start: 0, end: 12, v: { tag: 1, base: 10 } }]);
    m.set(4, 8, { tag: 1, base: 15 }); // breaks the run on both sides
    expect(m.toArray().map((s) => [s.start, s.end])).toEqual([[0, 4], [4, 8], [8, 12]]);
  });

  it('a write to a clone leaves the original as it was, and the reverse', () => {
    const a = new IntervalSet();
    a.add(0, 10);
    const b = a.clone();
    b.remove(2, 4);
    a.add(20, 30);
    expect(a.ranges()).toEqual([{ start: 0, end: 10 }, { start: 20, end: 30 }]);
    expect(b.ranges()).toEqual([{ start: 0, end: 2 }, { start: 4, end: 10 }]);
    const p = new IntervalMap<number>(plainPayload());
    p.set(0, 5, 1);
    const q = p.clone();
    q.set(5, 9, 1); // merges into a new segment object, not the shared one
    expect(p.toArray()).toEqual([{ start: 0, end: 5, v: 1 }]);
    expect(q.toArray()).toEqual([{ start: 0, end: 9, v: 1 }]);
  });

  it(`a journal rolls back exactly what was done since it started, and commit keeps it (seed ${seed})`, () => {
    // ops before the checkpoint, ops after it (some on a copy-on-write clone taken before),
    // then roll back (the map is as at the checkpoint) or commit (as after the ops)
    type W = Extract<Op, { op: 'set' }>;
    const w = opArb.filter((o): o is W => o.op !== 'clone');
    const run = (before: W[], after: W[], back: boolean, cloneFirst: boolean) => {
      const s = new Side(new IntervalMap<P>(shifting));
      for (const o of before) s.apply(o);
      const clone = cloneFirst ? s.m.clone() : null;
      const at = s.m.toArray();
      s.m.startJournal();
      for (const o of after) s.apply(o);
      const done = s.m.toArray();
      if (back) s.m.rollback();
      else s.m.endJournal();
      expect(s.m.toArray()).toEqual(back ? at : done);
      if (clone) expect(clone.toArray()).toEqual(at);
      // the journal is closed: later writes are not undone by another rollback (the watcher
      // was not told of the rollback: the checkpoint's owner restores what it keeps)
      s.m.watcher = null;
      s.m.set(0, 1, { tag: 9, base: 0 });
      const later = s.m.toArray();
      s.m.rollback();
      expect(s.m.toArray()).toEqual(later);
    };
    fc.assert(fc.property(fc.array(w, { maxLength: 20 }), fc.array(w, { maxLength: 20 }), fc.boolean(), fc.boolean(), run), { seed, numRuns: 300, endOnFailure: true });
  });

  it('rolls back a clear that removed more segments than a call can take as arguments', () => {
    const m = new IntervalMap<number>(plainPayload());
    for (let i = 0; i < 200_000; i++) m.set(2 * i, 2 * i + 1, i);
    const before = m.size;
    m.startJournal();
    m.clear(1, 400_000 - 2);
    expect(m.size).toBe(2);
    m.rollback();
    expect(m.size).toBe(before);
    expect(m.get(2 * 123_456)).toBe(123_456);
  });

  it(`mergePairs (checkTouched's windows) is the union of the pairs, sorted, touching ones joined (seed ${seed})`, () => {
    // up to 40 pairs: both the insertion sort (at most 16) and the sorted-tuples path
    const pair = fc.tuple(fc.integer({ min: 0, max: U - 1 }), fc.integer({ min: 1, max: 8 })).map(([a, n]) => [a, Math.min(U, a + n)] as const);
    fc.assert(fc.property(fc.array(pair, { maxLength: 40 }), (ps) => {
      const cells = Array<boolean>(U + 1).fill(false);
      for (const [a, b] of ps) for (let x = a; x < b; x++) cells[x] = true;
      const want: number[] = [];
      for (let x = 0; x < U; x++) if (cells[x] && (x === 0 || !cells[x - 1])) { let y = x; while (cells[y]) y++; want.push(x, y); }
      expect(mergePairs(ps.flat())).toEqual(want);
    }), { seed, numRuns: 500, endOnFailure: true });
  });
});
