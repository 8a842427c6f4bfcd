/**
 * The range engine: how the model runs a kernel loop over many identical iterations without
 * paying per iteration.
 *
 * The kernel walks vmemmap one page or one PMD at a time and adds memory one section at a
 * time. The model instead runs the loop body over a whole run [start, end) at once, in
 * "optimistic" mode: every allocation must then be served by its first choice (the altmap,
 * the sparse buffer, the requested node) and nothing may fail. If anything else would happen
 * (an allocator runs short, a fallback node is needed, an errno), the body throws BatchAbort,
 * the state is rolled back to a checkpoint (KState.checkpoint: the interval maps undo a journal of their changes), the run's first iteration runs alone, and the rest is
 * split in two at a step boundary and retried. Single iterations, and runs of a few
 * (SHORT_RUN), always run for real, one by one, exactly as the kernel's loop body. The result
 * equals the kernel's step-by-step walk while costing O(log n) bodies per place where
 * behaviour changes, instead of O(n).
 */
import { alignDown, alignUp } from '../util/bits.js';
import type { Kernel } from './state.js';

/** Thrown to abandon an optimistic run (a plain object: no stack trace to capture). */
export const BatchAbort = { batchAbort: true } as const;

/** Called by allocators and error paths: in optimistic mode anything unusual aborts the run.
 *  `why` documents the call site. */
export function unusual(k: Kernel, why: string): void {
  void why;
  if (k.optimistic > 0) throw BatchAbort;
}

/**
 * An allocator that can serve only `served` of the `count` requests of a call aborts the
 * optimistic run with this: runSteps then splits the run about where the allocator runs out
 * (the requests of a run are alike, so that share of its iterations), instead of halving
 * towards it. Only a hint: a split anywhere gives the same result, this one takes fewer tries.
 */
export function shortOf(k: Kernel, why: string, served: number, count: number): void {
  if (k.optimistic > 0) k.abortAt = Math.min(k.abortAt, served / count);
  unusual(k, why);
}

/** Set inside withoutBatching(): every run goes one iteration at a time. */
let stepwise = false;

/**
 * Run `fn` with the range engine off: every loop of the model runs one iteration at a time, as
 * the kernel's does. For tests: no result (messages, counts, reports) may depend on how the
 * engine batches (test/engine-batching.test.ts). Scoped to the call, like withArchCache().
 */
export function withoutBatching<T>(fn: () => T): T {
  const was = stepwise;
  stepwise = true;
  try {
    return fn();
  } finally {
    stepwise = was;
  }
}

/** Runs of at most this many iterations are run one iteration at a time (see runSteps). */
export const SHORT_RUN = 2;

/**
 * Run `body` over [start, end) as the kernel's loop with iterations of `step` units (aligned
 * to `step`, the first and last possibly partial). body(a, b) handles a run of iterations; it
 * returns 0 or a negative errno (only outside optimistic mode).
 */
export function runSteps(k: Kernel, start: number, end: number, step: number, body: (a: number, b: number) => number): number {
  if (end <= start) return 0;
  if (k.optimistic > 0) return body(start, end);
  if (alignDown(start, step) === alignDown(end - 1, step)) return body(start, end);
  // a few iterations: run them one by one, as the kernel does (a checkpoint of the state, and
  // the split-and-retry after an abort, cost more than they save on so short a run)
  if (stepwise || end - alignDown(start, step) <= SHORT_RUN * step) {
    for (let a = start; a < end;) {
      const b = Math.min(end, alignDown(a, step) + step);
      const r = body(a, b);
      if (r !== 0) return r;
      a = b;
    }
    return 0;
  }
  const s = k.s;
  const cp = s.checkpoint();
  k.optimistic++;
  k.abortAt = 1;
  k.batchFree = cp.nodes;
  try {
    const r = body(start, end);
    k.optimistic--;
    k.batchFree = null;
    if (r === 0) {
      s.commit(cp);
      return 0;
    }
    s.rollback(cp);
  } catch (e) {
    k.optimistic--;
    k.batchFree = null;
    if (e !== BatchAbort) {
      s.commit(cp); // an oops: the state stays as the kernel left it
      throw e;
    }
    s.rollback(cp);
  }
  // The first iteration on its own, for real: a run most often stops being uniform right at
  // its start (an allocator already empty or the next allocation's injected fault), and then
  // this ends it without halving down to it. The rest is split in two and retried.
  const first = alignDown(start, step) + step;
  const r0 = body(start, first);
  if (r0 !== 0) return r0;
  // where an allocator said it runs out (shortOf), if that leaves a run on both sides
  const at = alignDown(start + (end - start) * k.abortAt, step);
  let mid = at > first && at < end ? at : alignDown(first + (end - first) / 2, step);
  if (mid <= first) mid = alignUp(first + 1, step);
  if (mid >= end) mid = alignDown(end - 1, step);
  if (mid <= first) return runSteps(k, first, end, step, body);
  const r = runSteps(k, first, mid, step, body);
  if (r !== 0) return r;
  return runSteps(k, mid, end, step, body);
}
