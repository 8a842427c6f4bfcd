/**
 * The per-step invariant check looks only at what a step touched (src/check/invariants.ts
 * checkTouched), with the whole state checked at the end of a run and under --paranoid. These
 * tests corrupt the state at one step and require the per-step check to report it at that
 * step, and require --paranoid and the normal mode to give the same report everywhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../src/scenario/parse.js';
import { createMachine, runStep, type StepResult } from '../src/sim/machine.js';
import { checkTouched, newCheckMemo } from '../src/check/invariants.js';
import { renderJson, runScenario } from '../src/index.js';
import { pfnToOff } from '../src/kernel/state.js';
import { hotplugScenario } from '../bench/scenarios.js';

const G = 2 ** 30;
const yaml = `arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x4000000000, size: 4G }
steps:
  - boot
  - hot-add: { node: 0, start: 64G, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - hot-add: { node: 0, start: 128G, size: 1G }
`;

/** Run the steps up to `upto` (1-based), call `corrupt` after step `at`, return every step's violations. */
function runCorrupted(at: number, corrupt: (m: ReturnType<typeof createMachine>) => void, paranoid = false): StepResult[] {
  const sc = parseScenario('t.yaml', yaml);
  const m = createMachine(sc, { paranoid });
  const results: StepResult[] = [];
  for (const st of sc.steps) {
    if (st.index === at) corrupt(m);
    results.push(runStep(m, st, results));
  }
  return results;
}

describe('per-step invariant checks catch a violation introduced at one step', () => {
  it('a clean run has no violations (the corruptions below are what the checks see)', () => {
    expect(runCorrupted(0, () => {}).flatMap((r) => r.violations)).toEqual([]);
  });

  it('struct pages of a hot-added block unmapped behind the kernel\'s back: memmap-coverage at that step', () => {
    const rs = runCorrupted(4, (m) => {
      const k = m.k;
      const off = pfnToOff(k, (64 * G) / 4096);
      k.s.leaves.clear(off, off + 2 * 2 ** 20);
    });
    expect(rs.slice(0, 3).flatMap((r) => r.violations)).toEqual([]);
    // unmapped struct pages of present pfns: a predicted kernel bug, not a vmemmap-lab one
    expect(rs[3]!.kernelBugs.map((v) => v.invariant)).toContain('memmap-coverage');
  });

  it('a memmap page counted twice by the allocator side: ram-accounting at the next step, whatever it touches', () => {
    const rs = runCorrupted(3, (m) => { m.k.s.memmapRamPages[0]! += 1; });
    expect(rs[1]!.violations).toEqual([]);
    expect(rs[2]!.violations.map((v) => v.invariant)).toEqual(['ram-accounting']);
  });

  it('an altmap counter off by one: altmap-accounting', () => {
    const rs = runCorrupted(4, (m) => { m.k.s.altmaps.get('namespace0.0')!.alloc += 1; });
    expect(rs[2]!.violations).toEqual([]);
    expect(rs[3]!.violations.map((v) => v.invariant)).toContain('altmap-accounting');
  });

  it('a section dropped while its memmap stays mapped: a leaked mapping', () => {
    const rs = runCorrupted(4, (m) => {
      const nr = (64 * G) / 4096 / m.k.c.PAGES_PER_SECTION;
      m.k.s.sections.clear(nr, nr + 1);
    });
    expect(rs[3]!.kernelBugs.some((v) => v.invariant === 'memmap-coverage' && /left behind/.test(v.detail))).toBe(true);
  });

  it('checkTouched itself: nothing touched and clean sums is clean; a touched, unmapped range is reported', () => {
    const sc = parseScenario('t.yaml', yaml);
    const m = createMachine(sc);
    const results: StepResult[] = [];
    for (const st of sc.steps) results.push(runStep(m, st, results));
    const k = m.k;
    const empty = { va: [], sections: [], subsections: [], blocks: [] };
    expect(checkTouched(k, empty, newCheckMemo())).toEqual([]);
    const off = pfnToOff(k, (128 * G) / 4096);
    k.s.leaves.clear(off, off + 4096);
    k.s.memmapRamPages[0]! -= 1; // keep the sums right: only the coverage is wrong
    const v = checkTouched(k, { va: [off, off + 4096], sections: [], subsections: [], blocks: [] }, newCheckMemo());
    expect(v.map((x) => x.invariant)).toEqual(['memmap-coverage']);
  });

  it('--paranoid reports the same as the per-step checks for a corrupted run', () => {
    const corrupt = (m: ReturnType<typeof createMachine>) => { m.k.s.memmapRamPages[0]! += 1; };
    expect(JSON.stringify(runCorrupted(3, corrupt, true).map((r) => r.violations))).toBe(JSON.stringify(runCorrupted(3, corrupt).map((r) => r.violations)));
  });
});

describe('--paranoid and the normal mode agree', () => {
  const dirs = ['../examples/', './regressions/', './fuzz-cases/'];
  for (const d of dirs) {
    const dir = new URL(d, import.meta.url);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
      it(`${d}${f}`, () => {
        const sc = parseScenario(f, readFileSync(new URL(f, dir)));
        const a = renderJson(runScenario(sc));
        const b = renderJson(runScenario(sc, { paranoid: true }));
        expect(a).toBe(b);
      });
    }
  }
  it('a long hot-add/remove sequence (200 + 200 steps)', () => {
    const sc = parseScenario('hp.yaml', hotplugScenario(200));
    expect(renderJson(runScenario(sc))).toBe(renderJson(runScenario(sc, { paranoid: true })));
  });
});

describe('progress', () => {
  it('runScenario reports each step to onStep (the CLI draws a bar from it on a terminal)', () => {
    const sc = parseScenario('hp.yaml', hotplugScenario(20));
    const seen: [number, number][] = [];
    runScenario(sc, { onStep: (d, t) => seen.push([d, t]) });
    expect(seen).toHaveLength(41);
    expect(seen[0]).toEqual([1, 41]);
    expect(seen[40]).toEqual([41, 41]);
  });
});
