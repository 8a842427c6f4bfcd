/** The committed cases: conformance/cases/<case>/{scenario.yaml, recording.json, raw.txt.gz, known-differences.json}. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareRecording, parseKnown, triage, type CaseComparison, type KnownDifferences } from './compare.js';
import { CASES_DIR } from './kernels.js';
import { planScenario } from './plan.js';
import { buildRecording, type Recording } from './recording.js';
import { splitRaw } from './runner.js';

export interface CaseFiles {
  name: string;
  dir: string;
  scenarioText: string;
  recording: Recording | null;
  known: KnownDifferences;
}

export function loadCases(dir = CASES_DIR): CaseFiles[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().filter((c) => existsSync(join(dir, c, 'scenario.yaml'))).map((c) => {
    const d = join(dir, c);
    const rec = join(d, 'recording.json');
    const kf = join(d, 'known-differences.json');
    return {
      name: c,
      dir: d,
      scenarioText: readFileSync(join(d, 'scenario.yaml'), 'utf8'),
      recording: existsSync(rec) ? (JSON.parse(readFileSync(rec, 'utf8')) as Recording) : null,
      known: parseKnown(existsSync(kf) ? readFileSync(kf, 'utf8') : null),
    };
  });
}

export function checkCase(c: CaseFiles): { comparison: CaseComparison; triage: ReturnType<typeof triage> } | null {
  if (!c.recording) return null;
  const comparison = compareRecording(c.recording, c.scenarioText, { file: join(c.dir, 'scenario.yaml') });
  return { comparison, triage: triage(comparison, c.known) };
}

/** recording.json derived again from the case's raw.txt.gz (the run facts kept from the old one). */
export function rederive(c: CaseFiles): Recording | null {
  const rawPath = join(c.dir, 'raw.txt.gz');
  if (!existsSync(rawPath) || !c.recording) return null;
  const old = c.recording;
  const raw = splitRaw(readFileSync(rawPath));
  return buildRecording({
    caseName: c.name,
    results: raw.results,
    plan: planScenario(c.scenarioText),
    kernelCmdline: old.harness.kernelCmdline,
    qemuArgs: old.harness.qemuArgs,
    wallSeconds: old.harness.wallSeconds,
    outcome: old.harness.outcome,
    recordedAt: old.recordedAt,
  });
}
