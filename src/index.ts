/**
 * vmemmap-lab library API. The CLI uses only what is exported here. Nothing below this file
 * imports from Node, so the same code runs in a browser.
 */
import { parseScenario, scenarioFromObject, ScenarioError, type Scenario } from './scenario/parse.js';
import { DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME } from './scenario/default.js';
import { PROFILES } from './kernels/index.js';
import { runScenario, type RunOptions, type RunResult } from './core.js';
import { layout, type Layout, type LayoutBacking } from './report/layout.js';

export { parseScenario, ScenarioError, DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME, PROFILES };
export { findProfile } from './kernels/index.js';

export { scenarioJsonSchema } from './scenario/schema.js';
export { parseSize, fmtSize, SizeError } from './util/units.js';
export type { Scenario };
export { defaultScenario, runScenario, renderText, renderDmesg, renderPtdump, renderTrace, renderJson, runPassed, runExitCode, type RunOptions, type RunResult, type Machine, type StepResult, type Report } from './core.js';
export { ARCH_INFO, ARCH_NAMES, RISCV_MODES, PPC_MMUS, archProfiles } from './arch/index.js';
export type { ArchName } from './arch/index.js';
export { fuzz, fuzzBatched, forWriting, type FuzzOptions, type FuzzResult, type FuzzProgress, type FuzzCase } from './sim/fuzz.js';
export { compare, invalidUnder, renderComparison, matrixForScenario, renderMatrix, type Comparison, type Matrix } from './report/compare.js';
import { matrix as matrixWith } from './report/compare.js';

/** The standard device-memory matrix: every arch/page-size configuration under every profile. */
export function matrix(kernels?: string[]) {
  // one YAML parse per configuration, not one per cell: a cell's text differs from its
  // row's only in the kernel line (the generated texts are valid, so positions are not needed)
  const docs = new Map<string, Record<string, unknown>>();
  return matrixWith((text) => {
    const key = text.replace(/^kernel: .*$/m, '');
    let obj = docs.get(key);
    if (!obj) docs.set(key, (obj = parseYaml(key) as Record<string, unknown>));
    return scenarioFromObject('matrix.yaml', { ...obj, kernel: /^kernel: (\S+)$/m.exec(text)![1] });
  }, kernels);
}
export { stringify as toYaml } from 'yaml';
export { DEFAULT_KERNEL, registerProfile } from './kernels/index.js';
export { parseProfileFile } from './kernels/profile-file.js';
export { SWITCHES, switchListing, renderSwitchListing, diffProfiles, renderProfileDiff, type SwitchListing, type ProfileDiff } from './kernels/switches.js';
export { AnswerError, type MachineOpts } from './answers/machine.js';
export {
  sizeNamespace, sizeMemmap, sizeHotAdd, sizeHvo, sizeDedup, sizeBlocks,
  type AnswerBase, type NamespaceAnswer, type NamespaceQuestion, type MemmapAnswer, type MemmapQuestion, type HotAddAnswer,
  type HotAddQuestion, type HvoAnswer, type HvoQuestion, type DedupAnswer, type DedupQuestion, type BlocksAnswer, type BlocksQuestion,
} from './answers/size.js';
export { SIZE_SCHEMAS, sizeJsonSchema } from './answers/schema.js';
export { parseSnapshot, SnapshotError, SNAPSHOT_VERSION, type Snapshot } from './machine/snapshot.js';
export { importSnapshot, nearestProfile, type Imported } from './machine/import.js';
export { renderVerification, type Verification, type Check } from './machine/verify.js';
import { verifySnapshotWith, type Verification } from './machine/verify.js';
import type { Snapshot } from './machine/snapshot.js';
export { explainScenario, renderExplanation, type Explanation, type ExplainedStep } from './answers/explain.js';

import { parse as parseYaml } from 'yaml';

/** Parse and run scenario text (YAML or JSON). Throws ScenarioError for bad input. */
export function runScenarioText(file: string, text: string | Uint8Array, opts: RunOptions = {}): RunResult {
  return runScenario(parseScenario(file, text), opts);
}

/** Compare the model's prediction for a snapshotted machine with what the machine showed. */
export function verifySnapshot(s: Snapshot): Verification {
  return verifySnapshotWith(s, runScenario);
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
