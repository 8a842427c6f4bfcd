/**
 * Interval maps: the model's only way of holding per-page or per-pfn state.
 *
 * The kernel walks one entry at a time; the model keeps sorted, non-overlapping half-open
 * segments [start, end) with a payload, merged where the payload continues. Every operation
 * costs O(log n + segments touched), never O(length).
 */

export interface Seg<V> {
  start: number;
  end: number;
  v: V;
}

/** How a payload behaves when a segment is split or two segments meet. */
export interface Payload<V> {
  /** Payload of the part of a segment that begins `delta` units after its start. */
  shift(v: V, delta: number): V;
  /** True if segment b (right after a, which has length `aLen`) continues a exactly. */
  continues(a: V, b: V, aLen: number): boolean;
}

/** Payloads that do not depend on the position (node ids, flags, owners). */
export function plainPayload<V>(eq: (a: V, b: V) => boolean = (a, b) => a === b): Payload<V> {
  return { shift: (v) => v, continues: (a, b) => eq(a, b) };
}

/**
 * Told of every change to a map, piece by piece: what was removed (clipped to the range that
 * was cleared) and what was added (before merging with neighbours). Running sums and the
 * record of touched ranges are kept this way, so a step costs what it changes, not what exists.
 */
export interface Watcher<V> {
  added(start: number, end: number, v: V): void;
  removed(start: number, end: number, v: V): void;
}

export class IntervalMap<V> {
  private segs: Seg<V>[] = [];
  /** Copy-on-write: the segment array is shared with a clone until one of them writes. */
  private shared = false;
  /** See Watcher; a clone gets its own (or none). */
  watcher: Watcher<V> | null = null;
  /**
   * Undo journal while a checkpoint is open (startJournal): per change of `segs`, the index,
   * how many segments were put there and the segments they replaced. Watchers are not told of
   * a rollback: whoever opened the checkpoint restores what they keep.
   */
  private journal: (number | Seg<V>[])[] | null = null;
  /** A checkpoint is open (the journal array is made at the first change). */
  private journaling = false;

  constructor(private readonly p: Payload<V>) {}

  /** O(1) copy; payloads must be treated as immutable (they are replaced, never edited). */
  clone(watcher: Watcher<V> | null = null): IntervalMap<V> {
    const m = new IntervalMap<V>(this.p);
    m.watcher = watcher;
    m.segs = this.segs;
    m.shared = true;
    this.shared = true;
    return m;
  }

  /** Start recording changes so that rollback() can undo them (see KState.checkpoint). */
  startJournal(): void {
    this.journaling = true;
    this.journal = null;
  }

  /** Keep the changes made since startJournal() and stop recording. */
  endJournal(): void {
    this.journaling = false;
    this.journal = null;
  }

  /** Undo every change since startJournal(), newest first, and stop recording. */
  rollback(): void {
    const j = this.journal;
    this.journaling = false;
    this.journal = null;
    if (!j) return;
    this.own();
    for (let x = j.length - 3; x >= 0; x -= 3) {
      const i = j[x] as number;
      const n = j[x + 1] as number;
      const back = j[x + 2] as Seg<V>[];
      // a clear over many segments gave back many: no spread of a long array into a call
      if (back.length <= 64) this.segs.splice(i, n, ...back);
      else this.segs = this.segs.slice(0, i).concat(back, this.segs.slice(i + n));
    }
  }

  /** Replace `n` segments at i by `put` (recorded in the journal if one is open). */
  private splice(i: number, n: number, put: Seg<V>[]): void {
    const removed = this.segs.splice(i, n, ...put);
    if (this.journaling) this.record(i, put.length, removed);
  }

  private record(i: number, n: number, removed: Seg<V>[]): void {
    (this.journal ??= []).push(i, n, removed);
  }

  private own(): void {
    if (this.shared) {
      this.segs = this.segs.slice();
      this.shared = false;
    }
  }

  get size(): number {
    return this.segs.length;
  }

  /** Sum of segment lengths. */
  total(filter?: (v: V) => boolean): number {
    let t = 0;
    for (const s of this.segs) if (!filter || filter(s.v)) t += s.end - s.start;
    return t;
  }

  /** The segments in order (the array's own iterator: no generator object per step of a loop). */
  [Symbol.iterator](): IterableIterator<Seg<V>> {
    return this.segs[Symbol.iterator]();
  }

  /** Index of the first segment whose end is > x. */
  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segs[mid]!.end <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(x: number): V | undefined {
    const i = this.lowerBound(x);
    // (reads past either end of an array are slow in V8: they look up the prototype chain)
    const s = i < this.segs.length ? this.segs[i] : undefined;
    if (s && s.start <= x) return this.p.shift(s.v, x - s.start);
    return undefined;
  }

  /** Segments overlapping [start, end), clipped to it, payloads shifted accordingly. */
  overlaps(start: number, end: number): Seg<V>[] {
    const out: Seg<V>[] = [];
    for (let i = this.lowerBound(start); i < this.segs.length; i++) {
      const s = this.segs[i]!;
      if (s.start >= end) break;
      const a = Math.max(s.start, start);
      const b = Math.min(s.end, end);
      out.push({ start: a, end: b, v: a === s.start ? s.v : this.p.shift(s.v, a - s.start) });
    }
    return out;
  }

  /** Whole (unclipped) segments overlapping [start, end); do not edit them. */
  segmentsOverlapping(start: number, end: number): Seg<V>[] {
    const out: Seg<V>[] = [];
    for (let i = this.lowerBound(start); i < this.segs.length; i++) {
      const s = this.segs[i]!;
      if (s.start >= end) break;
      out.push(s);
    }
    return out;
  }

  /** Covered length within [start, end). */
  coverage(start: number, end: number, filter?: (v: V) => boolean): number {
    let t = 0;
    for (const s of this.overlaps(start, end)) if (!filter || filter(s.v)) t += s.end - s.start;
    return t;
  }

  /** Sub-ranges of [start, end) not covered by any segment. */
  gaps(start: number, end: number): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    let cur = start;
    for (const s of this.overlaps(start, end)) {
      if (s.start > cur) out.push({ start: cur, end: s.start });
      cur = s.end;
    }
    if (cur < end) out.push({ start: cur, end });
    return out;
  }

  /** Remove coverage of [start, end); returns what was removed (clipped). */
  clear(start: number, end: number): Seg<V>[] {
    if (start >= end) return [];
    const i = this.lowerBound(start);
    const first = i < this.segs.length ? this.segs[i] : undefined;
    if (!first || first.start >= end) return []; // nothing there: no copy of a shared array
    this.own();
    const removed: Seg<V>[] = [];
    const keep: Seg<V>[] = [];
    let j = i;
    for (; j < this.segs.length; j++) {
      const s = this.segs[j]!;
      if (s.start >= end) break;
      if (s.start < start) keep.push({ start: s.start, end: start, v: s.v });
      const a = Math.max(s.start, start);
      const b = Math.min(s.end, end);
      removed.push({ start: a, end: b, v: a === s.start ? s.v : this.p.shift(s.v, a - s.start) });
      if (s.end > end) keep.push({ start: end, end: s.end, v: this.p.shift(s.v, end - s.start) });
    }
    this.splice(i, j - i, keep);
    if (this.watcher) for (const r of removed) this.watcher.removed(r.start, r.end, r.v);
    return removed;
  }

  /** Set [start, end) to v (overwriting), merging with neighbours whose payload continues. */
  set(start: number, end: number, v: V): void {
    if (start >= end) return;
    let i = this.lowerBound(start);
    const over = i < this.segs.length ? this.segs[i] : undefined;
    if (over && over.start < end) {
      this.clear(start, end);
      i = this.lowerBound(start);
    }
    // now segs[i - 1] ends at or before start and segs[i] starts at or after end
    this.own();
    this.watcher?.added(start, end, v);
    const segs = this.segs;
    const prev = i > 0 ? segs[i - 1] : undefined;
    const next = i < segs.length ? segs[i] : undefined;
    const withPrev = prev !== undefined && prev.end === start && this.p.continues(prev.v, v, prev.end - prev.start);
    const s0 = withPrev ? prev.start : start;
    const v0 = withPrev ? prev.v : v;
    const withNext = next !== undefined && next.start === end && this.p.continues(v0, next.v, end - s0);
    // segment objects may be shared with clones: replaced, never edited
    const seg: Seg<V> = { start: s0, end: withNext ? next.end : end, v: v0 };
    const j = this.journaling;
    if (withPrev && withNext) {
      segs[i - 1] = seg;
      segs.splice(i, 1);
      if (j) this.record(i - 1, 1, [prev, next]);
    } else if (withPrev) {
      segs[i - 1] = seg;
      if (j) this.record(i - 1, 1, [prev]);
    } else if (withNext) {
      segs[i] = seg;
      if (j) this.record(i, 1, [next]);
    } else {
      if (i === segs.length) segs.push(seg); // the usual case: ranges filled in address order
      else segs.splice(i, 0, seg);
      if (j) this.record(i, 1, []);
    }
  }

  /** Fill only the gaps of [start, end) with v. Returns the ranges that were filled. */
  fill(start: number, end: number, v: (gapStart: number) => V): { start: number; end: number }[] {
    const g = this.gaps(start, end);
    for (const r of g) this.set(r.start, r.end, v(r.start));
    return g;
  }

  toArray(): Seg<V>[] {
    return this.segs.map((s) => ({ ...s }));
  }
}

/** An interval set is an interval map whose payload is always `true`. */
export class IntervalSet {
  private m = new IntervalMap<true>(plainPayload());

  clone(watcher: Watcher<true> | null = null): IntervalSet {
    const s = new IntervalSet();
    s.m = this.m.clone(watcher);
    return s;
  }

  /** See Watcher. */
  watch(w: Watcher<true> | null): void {
    this.m.watcher = w;
  }

  /** See IntervalMap.startJournal, endJournal, rollback. */
  startJournal(): void {
    this.m.startJournal();
  }
  endJournal(): void {
    this.m.endJournal();
  }
  rollback(): void {
    this.m.rollback();
  }

  add(start: number, end: number): void {
    this.m.set(start, end, true);
  }

  remove(start: number, end: number): void {
    this.m.clear(start, end);
  }

  has(x: number): boolean {
    return this.m.get(x) !== undefined;
  }

  coverage(start: number, end: number): number {
    return this.m.coverage(start, end);
  }

  gaps(start: number, end: number): { start: number; end: number }[] {
    return this.m.gaps(start, end);
  }

  overlaps(start: number, end: number): { start: number; end: number }[] {
    return this.m.overlaps(start, end).map(({ start, end }) => ({ start, end }));
  }

  total(): number {
    return this.m.total();
  }

  get size(): number {
    return this.m.size;
  }

  ranges(): { start: number; end: number }[] {
    return this.m.toArray().map(({ start, end }) => ({ start, end }));
  }
}
