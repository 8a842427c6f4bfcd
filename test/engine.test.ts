/**
 * The range engine (src/kernel/engine.ts) called directly: which runs the body is given, and
 * that a run it abandons leaves nothing behind. test/engine-batching.test.ts shows that no
 * result depends on the batching; this pins the batching itself, whose cost the Scale rule
 * is about: a uniform run is one body call whatever its length, and a run that changes
 * behaviour at one place costs O(log n) calls, not n.
 */
import { describe, expect, it } from 'vitest';
import { BatchAbort, runSteps, SHORT_RUN, shortOf, unusual, withoutBatching } from '../src/kernel/engine.js';
import type { Kernel } from '../src/kernel/state.js';
import { createMachine } from '../src/sim/machine.js';
import { scenario } from './helpers.js';

function kernel(): Kernel {
  return createMachine(scenario('arch: x86_64\nnodes:\n  - { id: 0, memory: [ { start: 0, size: 4G } ] }\n')).k;
}

/** A body that records its calls and logs each run it finishes (rolled back if abandoned). */
function recorder(k: Kernel, onRun: (a: number, b: number) => number = () => 0) {
  const calls: [number, number, boolean][] = [];
  const body = (a: number, b: number) => {
    calls.push([a, b, k.optimistic > 0]);
    const r = onRun(a, b);
    if (r === 0) k.s.log.push({ level: 7, text: `${a}..${b}\n`, site: 'engine.test', step: 0 });
    return r;
  };
  const done = () => k.s.log.filter((m) => m.site === 'engine.test').map((m) => m.text.trim());
  return { calls, body, done };
}

describe('runSteps()', () => {
  it('SHORT_RUN is 2', () => {
    expect(SHORT_RUN).toBe(2);
  });

  it('a uniform run: one optimistic body call over all of it, kept', () => {
    const k = kernel();
    const r = recorder(k);
    expect(runSteps(k, 10, 1000, 10, r.body)).toBe(0);
    expect(r.calls).toEqual([[10, 1000, true]]);
    expect(r.done()).toEqual(['10..1000']);
    expect(k.optimistic).toBe(0);
    expect(k.batchFree).toBe(null);
  });

  it('an empty range: no call; a range inside one step: one call, for real', () => {
    const k = kernel();
    const r = recorder(k);
    expect(runSteps(k, 50, 50, 10, r.body)).toBe(0);
    expect(runSteps(k, 50, 40, 10, r.body)).toBe(0);
    expect(r.calls).toEqual([]);
    expect(runSteps(k, 51, 59, 10, r.body)).toBe(0);
    expect(runSteps(k, 50, 60, 10, r.body)).toBe(0);
    expect(r.calls).toEqual([[51, 59, false], [50, 60, false]]);
  });

  it('at most SHORT_RUN steps (counted from the first step\'s start): one call a step, for real', () => {
    const k = kernel();
    const r = recorder(k);
    runSteps(k, 15, 30, 10, r.body); // steps [10,20) [20,30): 2
    expect(r.calls).toEqual([[15, 20, false], [20, 30, false]]);
    r.calls.length = 0;
    runSteps(k, 15, 31, 10, r.body); // 3 steps: a batch
    expect(r.calls).toEqual([[15, 31, true]]);
  });

  it('inside an optimistic run, a nested run is one call (the outer run is the batch), even a short one; an empty one none', () => {
    const k = kernel();
    const r = recorder(k);
    k.optimistic = 1;
    runSteps(k, 0, 100, 10, r.body);
    runSteps(k, 0, 20, 10, r.body); // two steps: still one call
    runSteps(k, 50, 50, 10, r.body);
    runSteps(k, 50, 40, 10, r.body);
    k.optimistic = 0;
    expect(r.calls).toEqual([[0, 100, true], [0, 20, true]]);
  });

  it('a short run that fails at its first step stops there with the errno', () => {
    const k = kernel();
    const r = recorder(k, (a) => (a === 0 ? -12 : 0));
    expect(runSteps(k, 0, 20, 10, r.body)).toBe(-12);
    expect(r.calls).toEqual([[0, 10, false]]);
  });

  it('withoutBatching(): one call a step, for real, and back to batching after', () => {
    const k = kernel();
    const r = recorder(k);
    withoutBatching(() => runSteps(k, 5, 40, 10, r.body));
    expect(r.calls).toEqual([[5, 10, false], [10, 20, false], [20, 30, false], [30, 40, false]]);
    r.calls.length = 0;
    runSteps(k, 5, 40, 10, r.body);
    expect(r.calls).toEqual([[5, 40, true]]);
    // an exception inside leaves batching on again
    expect(() => withoutBatching(() => { throw new Error('x'); })).toThrow('x');
    r.calls.length = 0;
    runSteps(k, 5, 40, 10, r.body);
    expect(r.calls).toEqual([[5, 40, true]]);
  });

  it('behaviour changes at one step: the abandoned batch leaves nothing, the first step runs alone, the rest split in two', () => {
    const k = kernel();
    // step 50 (of 0..100) is unusual: any optimistic run over it aborts
    const r = recorder(k, (a, b) => {
      if (a <= 50 && b > 50) unusual(k, 'test');
      return 0;
    });
    expect(runSteps(k, 0, 100, 1, r.body)).toBe(0);
    // every step done exactly once, in order, by the calls that were kept
    const kept = r.done().map((t) => t.split('..').map(Number) as [number, number]);
    expect(kept[0]![0]).toBe(0);
    expect(kept.at(-1)![1]).toBe(100);
    for (let i = 1; i < kept.length; i++) expect(kept[i]![0]).toBe(kept[i - 1]![1]);
    expect(kept.some(([a, b]) => a === 50 && b === 51)).toBe(true);
    // the first tries: all of it (aborted), step 0 alone, then [1, 50) and [50, 100) (aborted) ...
    expect(r.calls.slice(0, 4)).toEqual([[0, 100, true], [0, 1, false], [1, 50, true], [50, 100, true]]);
    // ... then 50 alone and the rest halved: O(log n) calls, not 100
    expect(r.calls.slice(4)).toEqual([[50, 51, false], [51, 75, true], [75, 100, true]]);
  });

  it('shortOf(): the split goes where the allocator said it runs out', () => {
    const k = kernel();
    // an allocator that can serve 30 of 100 requests: the run is split at 30% of it
    let first = true;
    const r = recorder(k, (a, b) => {
      if (first && k.optimistic > 0) {
        first = false;
        shortOf(k, 'test', 30, 100);
      }
      return 0;
    });
    runSteps(k, 0, 100, 1, r.body);
    expect(r.calls).toEqual([[0, 100, true], [0, 1, false], [1, 30, true], [30, 100, true]]);
    expect(k.abortAt).toBe(1); // every batch starts without a hint
    // outside a batch, shortOf() neither hints nor aborts
    const k2 = kernel();
    shortOf(k2, 'test', 1, 4);
    expect(k2.abortAt).toBe(1);
  });

  it('shortOf() in a run that does not start at 0: the share is of the run', () => {
    const k = kernel();
    let first = true;
    const r = recorder(k, () => {
      if (first && k.optimistic > 0) {
        first = false;
        shortOf(k, 'test', 30, 100);
      }
      return 0;
    });
    runSteps(k, 100, 200, 1, r.body);
    // 30% of [100, 200) is 130
    expect(r.calls).toEqual([[100, 200, true], [100, 101, false], [101, 130, true], [130, 200, true]]);
  });

  it('a hint at or before the first step is no split point: the rest is halved', () => {
    // served 1 of 100: at = 1, the first step's end: [1, 100) is split at 50, not at 1 or 2
    const k = kernel();
    let first = true;
    const r = recorder(k, () => {
      if (first && k.optimistic > 0) {
        first = false;
        shortOf(k, 'test', 1, 100);
      }
      return 0;
    });
    runSteps(k, 0, 100, 1, r.body);
    expect(r.calls).toEqual([[0, 100, true], [0, 1, false], [1, 50, true], [50, 100, true]]);
  });

  it('an errno: the batch rolled back, then the steps one by one (split) up to the failing one, which returns it', () => {
    const k = kernel();
    const r = recorder(k, (a, b) => (a <= 7 && b > 7 ? -12 : 0));
    expect(runSteps(k, 0, 20, 1, r.body)).toBe(-12);
    const kept = r.done();
    // steps 0..6 done (in some split), 7 failed, nothing after it
    expect(kept.join(' ')).not.toMatch(/\b(8|9|1\d)\.\./);
    expect(kept.map((t) => t.split('..').map(Number)).reduce((n, [a, b]) => n + b! - a!, 0)).toBe(7);
    expect(r.calls[0]).toEqual([0, 20, true]);
  });

  it('the first step failing: its errno at once', () => {
    const k = kernel();
    const r = recorder(k, (a) => (a === 0 ? -22 : 0));
    expect(runSteps(k, 0, 20, 1, r.body)).toBe(-22);
    expect(r.calls).toEqual([[0, 20, true], [0, 1, false]]);
    expect(r.done()).toEqual([]);
  });

  it('a split point that lands on the first step or at the end still makes progress', () => {
    const k = kernel();
    // aborts any optimistic run: everything ends up one step at a time
    const r = recorder(k, () => {
      if (k.optimistic > 0) shortOf(k, 'test', 0, 1);
      return 0;
    });
    expect(runSteps(k, 0, 9, 1, r.body)).toBe(0);
    expect(r.done()).toEqual(['0..1', '1..2', '2..3', '3..4', '4..5', '5..6', '6..7', '7..8', '8..9']);
    // "runs out at once" (at = start): no split point, so each rest is halved - [1, 5) and
    // [5, 9) - and a rest of two steps runs one by one
    expect(r.calls).toEqual([
      [0, 9, true], [0, 1, false], [1, 5, true], [1, 2, false], [2, 3, false], [3, 4, false], [4, 5, false],
      [5, 9, true], [5, 6, false], [6, 7, false], [7, 8, false], [8, 9, false],
    ]);
    const k2 = kernel();
    const r2 = recorder(k2, () => {
      if (k2.optimistic > 0) shortOf(k2, 'test', 1, 1); // "runs out" at the very end
      return 0;
    });
    expect(runSteps(k2, 0, 9, 1, r2.body)).toBe(0);
    expect(r2.done().join(',').split(',').length).toBeGreaterThan(0);
    const steps = r2.done().map((t) => t.split('..').map(Number)).reduce((n, [a, b]) => n + b! - a!, 0);
    expect(steps).toBe(9);
  });

  it('another exception (an oops) inside a batch: the state kept as it was, rethrown', () => {
    const k = kernel();
    const oops = new Error('oops');
    const r = recorder(k, (a, b) => {
      k.s.log.push({ level: 0, text: 'Oops\n', site: 'engine.test.oops', step: 0 });
      if (b - a > 1) throw oops;
      return 0;
    });
    expect(() => runSteps(k, 0, 10, 1, r.body)).toThrow(oops);
    expect(k.s.log.filter((m) => m.site === 'engine.test.oops').length).toBe(1);
    expect(k.optimistic).toBe(0);
    expect(k.batchFree).toBe(null);
  });
});

describe('unusual()', () => {
  it('aborts only inside an optimistic run', () => {
    const k = kernel();
    expect(() => unusual(k, 'x')).not.toThrow();
    k.optimistic = 2;
    let thrown: unknown;
    try {
      unusual(k, 'x');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(BatchAbort);
    expect(BatchAbort).toEqual({ batchAbort: true });
  });
});
