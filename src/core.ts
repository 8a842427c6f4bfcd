/**
 * The core of the library API: run a parsed scenario and render its reports. It loads neither
 * the YAML parser nor the schema validator (src/index.ts adds parsing, comparison, fuzzing),
 * so `vmemlab run` on the built-in default starts fast. Nothing here imports from Node.
 */
import { createMachine, runStep, type Machine, type StepResult } from './sim/machine.js';
import { buildReport, stepDelta, totals, type Report, type ReportStep } from './report/json.js';
import { textReport } from './report/text.js';
import { checkInvariants, classify } from './check/invariants.js';
import { dmesgLines } from './report/dmesg.js';
import { ptdump } from './report/ptdump.js';
import { traceJson, traceLines } from './report/trace.js';
import { DEFAULT_PARSED } from './scenario/default-parsed.js';
import type { Scenario } from './scenario/parse.js';

export type { Scenario, Machine, StepResult, Report };

/** The built-in default scenario (src/scenario/default.ts), parsed and validated at build time. */
export function defaultScenario(): Scenario {
  return structuredClone(DEFAULT_PARSED);
}

export interface RunResult {
  machine: Machine;
  results: StepResult[];
  report: Report;
}

export interface RunOptions {
  /** Check every invariant over the whole state after every step, not only what the step touched. */
  paranoid?: boolean;
  /** Called after each step with the steps done and the total (a progress bar). */
  onStep?: (done: number, total: number) => void;
}

/**
 * Run every step of a parsed scenario. Kernel-level failures are results, never exceptions.
 * After each step the invariants are checked over what the step touched (all of them under
 * `paranoid`), and over the whole state once more at the end.
 */
export function runScenario(sc: Scenario, opts: RunOptions = {}): RunResult {
  const m = createMachine(sc, { paranoid: opts.paranoid });
  const results: StepResult[] = [];
  const deltas: ReportStep['delta'][] = [];
  const steps = sc.steps[0]?.kind === 'boot' ? sc.steps : [{ kind: 'boot' as const, args: {}, index: 0, line: 0 }, ...sc.steps];
  for (const st of steps) {
    const before = totals(m);
    results.push(runStep(m, st, results));
    deltas.push(stepDelta(before, totals(m)));
    opts.onStep?.(results.length, steps.length);
  }
  const warnings = [
    ...m.absentParams.map((p) => `kernel parameter "${p.param}": ${p.why}; the kernel ignores it`),
    ...m.ignoredParams.map((p) => `kernel parameter "${p}" is not modelled and was ignored`),
  ];
  // the full check at the end: it can only differ from the last step's if the per-step
  // checks missed something (a bug in vmemmap-lab); then its findings join the last step's
  const last = [...results].reverse().find((r) => r.kind !== 'expect' && !r.notRun);
  if (last && !m.paranoid) {
    const step = m.k.step;
    m.k.step = last.index;
    const all = checkInvariants(m.k);
    m.k.step = step;
    const seen = new Set([...last.violations, ...last.kernelBugs].map((v) => JSON.stringify(v)));
    const missed = all.filter((v) => !seen.has(JSON.stringify(v)));
    if (missed.length) {
      const c = classify(missed, m.explained, last.oops !== null);
      last.violations.push(...c.violations);
      last.kernelBugs.push(...c.findings);
      warnings.push(`the final full invariant check found ${missed.length} violation(s) the per-step checks missed (a bug in vmemmap-lab)`);
    }
  }
  return { machine: m, results, report: buildReport(m, results, deltas, warnings) };
}

export function renderText(r: RunResult): string {
  return textReport(r.machine, r.report);
}

export function renderDmesg(r: RunResult, opts: { debug?: boolean } = {}): string {
  return dmesgLines(r.results, opts).join('\n') + '\n';
}

export function renderPtdump(r: RunResult): string {
  return ptdump(r.machine.k).join('\n') + '\n';
}

/** `--trace`: the kernel-level events of each step (src/report/trace.ts). */
export function renderTrace(r: RunResult): string {
  return traceLines(r.machine.k, r.results).join('\n') + '\n';
}

/** Deterministic JSON text of a report (stable key order as built); opts.trace: each step with its events. */
export function renderJson(r: RunResult, opts: { trace?: boolean } = {}): string {
  if (!opts.trace) return JSON.stringify(r.report, null, 2) + '\n';
  const k = r.machine.k;
  const steps = r.report.steps.map((s, i) => {
    const t = r.results[i]!.trace;
    return { ...s, trace: k.s.trace.slice(t.from, t.to).map((e) => traceJson(k, e)) };
  });
  return JSON.stringify({ ...r.report, steps }, null, 2) + '\n';
}

/** True when every expect step passed and no invariant was violated (exit 0 or 4). */
export function runPassed(r: RunResult): boolean {
  const expectsOk = r.results.every((x) => x.kind !== 'expect' || x.ok);
  // violations count as expected when an (passing) expect step asserts how many there are
  const acknowledged = r.machine.scenario.steps.some((s) => s.kind === 'expect' && s.args.violations !== undefined);
  return expectsOk && (r.report.invariants.violations.length === 0 || acknowledged);
}

/**
 * The exit code of `vmemlab run`: 1 when an expect step failed or an invariant was violated
 * (a bug in vmemmap-lab); 4 when the model predicts a kernel bug (an oops, or a kernel finding
 * of the checks) that no expect step asserts (`oops:` or `kernelBugs:`); else 0.
 */
export function runExitCode(r: RunResult): 0 | 1 | 4 {
  if (!runPassed(r)) return 1;
  const kb = r.report.kernelBugs;
  const predicted = kb.crashed !== null || kb.findings.length > 0;
  const asserted = r.machine.scenario.steps.some((s) => s.kind === 'expect' && (s.args.oops !== undefined || s.args.kernelBugs !== undefined));
  return predicted && !asserted ? 4 : 0;
}
