/**
 * vmemmap-lab library API. The CLI uses only what is exported here. Nothing below this file
 * imports from Node, so the same code runs in a browser.
 */
import { parseScenario, ScenarioError, type Scenario } from './scenario/parse.js';
import { DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME } from './scenario/default.js';
import { createMachine, runStep, type Machine, type StepResult } from './sim/machine.js';
import { buildReport, stepDelta, totals, type Report, type ReportStep } from './report/json.js';
import { textReport } from './report/text.js';
import { dmesgLines } from './report/dmesg.js';
import { ptdump } from './report/ptdump.js';
import { PROFILES } from './kernels/index.js';
import { layout, type Layout, type LayoutBacking } from './report/layout.js';

export { parseScenario, ScenarioError, DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME, PROFILES };
export { scenarioJsonSchema } from './scenario/schema.js';
export { parseSize, fmtSize, SizeError } from './util/units.js';
export type { Scenario, Machine, StepResult, Report };
export { ARCH_NAMES } from './arch/index.js';
export { fuzz, type FuzzOptions, type FuzzResult, type FuzzProgress, type FuzzCase } from './sim/fuzz.js';
export { compare, invalidUnder, renderComparison, matrixForScenario, renderMatrix, type Comparison, type Matrix } from './report/compare.js';
import { matrix as matrixWith } from './report/compare.js';

/** The standard device-memory matrix: every arch/page-size configuration under every profile. */
export function matrix(kernels?: string[]) {
  return matrixWith((text) => parseScenario('matrix.yaml', text), kernels);
}
export { stringify as toYaml } from 'yaml';
export { DEFAULT_KERNEL } from './kernels/index.js';
export { AnswerError, type MachineOpts } from './answers/machine.js';
export {
  sizeNamespace, sizeMemmap, sizeHotAdd, sizeHvo, sizeDedup, sizeBlocks,
  type AnswerBase, type NamespaceAnswer, type NamespaceQuestion, type MemmapAnswer, type MemmapQuestion, type HotAddAnswer,
  type HotAddQuestion, type HvoAnswer, type HvoQuestion, type DedupAnswer, type DedupQuestion, type BlocksAnswer, type BlocksQuestion,
} from './answers/size.js';
export { SIZE_SCHEMAS, sizeJsonSchema } from './answers/schema.js';
export { explainScenario, renderExplanation, type Explanation, type ExplainedStep } from './answers/explain.js';

export interface RunResult {
  machine: Machine;
  results: StepResult[];
  report: Report;
}

/** Run every step of a parsed scenario. Kernel-level failures are results, never exceptions. */
export function runScenario(sc: Scenario): RunResult {
  const m = createMachine(sc);
  const results: StepResult[] = [];
  const deltas: ReportStep['delta'][] = [];
  const steps = sc.steps[0]?.kind === 'boot' ? sc.steps : [{ kind: 'boot' as const, args: {}, index: 0, line: 0 }, ...sc.steps];
  for (const st of steps) {
    const before = totals(m);
    results.push(runStep(m, st, results));
    deltas.push(stepDelta(before, totals(m)));
  }
  const warnings = [
    ...m.absentParams.map((p) => `kernel parameter "${p.param}": ${p.why}; the kernel ignores it`),
    ...m.ignoredParams.map((p) => `kernel parameter "${p}" is not modelled and was ignored`),
  ];
  return { machine: m, results, report: buildReport(m, results, deltas, warnings) };
}

/** Parse and run scenario text (YAML or JSON). Throws ScenarioError for bad input. */
export function runScenarioText(file: string, text: string | Uint8Array): RunResult {
  return runScenario(parseScenario(file, text));
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

/** Deterministic JSON text of a report (stable key order as built). */
export function renderJson(r: RunResult): string {
  return JSON.stringify(r.report, null, 2) + '\n';
}

/** True when every expect step passed and no invariant was violated. */
export function runPassed(r: RunResult): boolean {
  const expectsOk = r.results.every((x) => x.kind !== 'expect' || x.ok);
  // violations count as expected when an (passing) expect step asserts how many there are
  const acknowledged = r.machine.scenario.steps.some((s) => s.kind === 'expect' && s.args.violations !== undefined);
  return expectsOk && (r.report.invariants.violations.length === 0 || acknowledged);
}

export type { Layout, LayoutBacking };
/**
 * The machine's geometry after the run, as merged ranges for drawing: present sections,
 * active sub-sections, vmemmap leaf runs with their backing, page-table pages per level and
 * node, and the constants that turn a pfn into the offset of its struct page (src/report/layout.ts).
 */
export function layoutOf(r: RunResult): Layout {
  return layout(r.machine.k);
}
