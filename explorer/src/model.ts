/**
 * Runs a scenario with the library and keeps what the views need: the report, the layout
 * (layoutOf), the explanation, and the state after each step (by running the steps up to it).
 */
import {
  ScenarioError, explainScenario, layoutOf, parseScenario, runScenario,
  type Explanation, type Layout, type Report, type RunResult, type Scenario,
} from './lib.ts';

export interface StepState {
  run: RunResult;
  report: Report;
  layout: Layout;
}

export interface Analysis {
  file: string;
  text: string;
  sc: Scenario;
  /** The full run: its report lists every step. */
  full: StepState;
  explanation: Explanation | null;
  /** State after report step i (0-based, as report.steps), computed on demand. */
  at(i: number): StepState;
}

export type Parsed = { ok: true; a: Analysis } | { ok: false; error: ScenarioError | Error };

function state(run: RunResult): StepState {
  return { run, report: run.report, layout: layoutOf(run) };
}

export function analyse(file: string, text: string, kernel?: string): Parsed {
  let sc: Scenario;
  try {
    sc = parseScenario(file, text);
  } catch (e) {
    return { ok: false, error: e as Error };
  }
  if (kernel) sc = { ...sc, kernel };
  let full: StepState;
  try {
    full = state(runScenario(sc));
  } catch (e) {
    // a scenario the parser accepts but the model cannot run (the CLI calls this an internal error)
    return { ok: false, error: new Error(`the model could not run this scenario: ${(e as Error).message}`) };
  }
  let explanation: Explanation | null = null;
  try {
    explanation = explainScenario(sc);
  } catch {
    explanation = null;
  }
  const cache = new Map<number, StepState>();
  const implicitBoot = sc.steps[0]?.kind !== 'boot';
  const n = full.report.steps.length;
  const at = (i: number): StepState => {
    if (i >= n - 1) return full;
    let s = cache.get(i);
    if (!s) {
      const upto = implicitBoot ? i : i + 1;
      s = state(runScenario({ ...sc, steps: sc.steps.slice(0, upto) }));
      cache.set(i, s);
    }
    return s;
  };
  return { ok: true, a: { file, text, sc, full, explanation, at } };
}

/** vmemmap offset of the struct page of physical address `pa`. */
export const physToVmem = (l: Layout, pa: number) => (Math.floor(pa / l.pageSize) - l.vmemmapPfnBase) * l.structPageSize;
/** Physical address described by the struct page at vmemmap offset `off`. */
export const vmemToPhys = (l: Layout, off: number) => (Math.floor(off / l.structPageSize) + l.vmemmapPfnBase) * l.pageSize;

export function vmemOfPhys(l: Layout, [a, b]: [number, number]): [number, number] {
  return [physToVmem(l, a), physToVmem(l, b + l.pageSize - 1)];
}

export function physOfVmem(l: Layout, [a, b]: [number, number]): [number, number] {
  return [vmemToPhys(l, a), vmemToPhys(l, b + l.structPageSize - 1)];
}
