/**
 * The fuzzer skips the schema pass for the scenarios it generates (scenarioFromObject's
 * `complete`): that is sound only while every generated object already satisfies the schema
 * with every defaulted key written out. These tests hold the generator to that, on every arch
 * and kernel profile the fuzzer uses, so a new schema default or a generator change that
 * leaves one out fails here rather than making fuzz run scenarios the schema would not accept.
 */
import { describe, expect, it } from 'vitest';
import { ScenarioSchema } from '../src/scenario/schema.js';
import { scenarioFromObject } from '../src/scenario/parse.js';
import { forWriting, fuzzArches, prng, randomScenario, runCase, shrink } from '../src/sim/fuzz.js';
import { PROFILES } from '../src/kernels/index.js';
import { parse as parseYaml, stringify } from 'yaml';

const seed = Number(process.env.VMEMLAB_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('fuzz cases are complete scenario objects', () => {
  for (const s of [1, 2, 2026, seed]) {
    it(`the schema returns every generated case unchanged (seed ${s})`, () => {
      console.log(`fuzz-complete seed ${s} (VMEMLAB_SEED=${s} reproduces)`);
      const rnd = prng(s);
      let n = 0;
      for (const p of PROFILES) {
        for (const arch of fuzzArches(p)) {
          for (let i = 0; i < 6; i++) {
            const obj = randomScenario(rnd, { arch, kernel: p.id, steps: 30 });
            const r = ScenarioSchema.safeParse(obj);
            expect(r.success, `${p.id} ${arch}: ${JSON.stringify(r.error?.issues[0])}`).toBe(true);
            // nothing added (a default the generator left out) and nothing changed
            expect(r.data, `${p.id} ${arch}`).toEqual(obj);
            // and the scenario is the one the full pass gives
            expect(scenarioFromObject('f.json', obj, { complete: true })).toEqual(scenarioFromObject('f.json', obj));
            n++;
          }
        }
      }
      expect(n).toBeGreaterThan(100);
    });
  }

  it('a shrunk case stays complete, and its written form reproduces through the full parse', () => {
    // find a case with an injected fault and a finding, so that shrink tries dropping the fault
    const rnd = prng(77);
    let tried = 0;
    let done = 0;
    for (let i = 0; i < 400 && done < 3; i++) {
      const obj = randomScenario(rnd, { steps: 25 });
      const r = runCase(obj, { complete: true });
      const f = r.oops ?? r.finding;
      if (!f) continue;
      tried++;
      const small = shrink(obj, f.invariant, true, { complete: true });
      expect(ScenarioSchema.parse(small)).toEqual(small);
      const text = stringify(forWriting(small));
      const again = runCase(ScenarioSchema.parse(parseYaml(text)) as Record<string, unknown>);
      expect((f.invariant === 'kernel-oops' ? again.oops : again.finding)?.invariant).toBe(f.invariant);
      done++;
    }
    expect(tried).toBeGreaterThan(0);
  });
});

describe('shrink', () => {
  /** The plain reducer shrink() must equal: drop one step at a time from the end (never boot),
   *  keeping a drop while the same invariant still fails, then try without the fault. */
  function oneAtATime(obj: Record<string, unknown>, invariant: string, isFinding: boolean): Record<string, unknown> {
    const fails = (o: Record<string, unknown>) => {
      try {
        const r = runCase(o, { complete: true });
        const v = invariant === 'kernel-oops' ? r.oops : isFinding ? r.finding : r.violation;
        return v !== null && v.invariant === invariant;
      } catch {
        return false;
      }
    };
    let cur = obj;
    let steps = [...(cur.steps as unknown[])];
    for (let i = steps.length - 1; i >= 1; i--) {
      const cand = steps.filter((_, j) => j !== i);
      const o = { ...cur, steps: cand };
      if (fails(o)) { steps = cand; cur = o; }
    }
    if ((cur.faults as unknown[] | undefined)?.length && fails({ ...cur, faults: [] })) cur = { ...cur, faults: [] };
    return { ...cur, steps };
  }

  it('cutting the steps after the failing one in one run gives the reproducer of dropping them one by one', () => {
    const seed = 2026;
    const rnd = prng(seed);
    let compared = 0;
    let cut = 0;
    for (let i = 0; i < 600 && compared < 12; i++) {
      const obj = randomScenario(rnd, { steps: 30 });
      const r = runCase(obj, { complete: true });
      const f = r.oops ?? r.finding;
      if (!f) continue;
      const inv = r.oops ? 'kernel-oops' : f.invariant;
      // the failing step is not the last one: there is something to cut
      const at = r.oops ? r.events - 1 : r.findingAt;
      if (at < (obj.steps as unknown[]).length - 1) cut++;
      expect(shrink(obj, inv, true, { complete: true }, r), `case ${i} (${inv})`).toEqual(oneAtATime(obj, inv, true));
      compared++;
    }
    expect(compared).toBe(12);
    expect(cut).toBeGreaterThan(6);
  });
});
