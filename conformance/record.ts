/**
 * npm run conformance:record [-- CASE... ] [--out DIR] [--timeout S] [--no-compare] [--strict]
 *
 * Re-records conformance cases: for each conformance/cases/<case>/scenario.yaml, boots the
 * matching Debian kernel under QEMU (setup.sh runs first when needed), performs the steps and
 * writes recording.json and raw.txt.gz next to the scenario (or under --out DIR/<case>/).
 * CASE may be a name or a pattern with * (x86-612-*); none = every case. One QEMU at a time.
 *
 * If the guest's machine differs from the scenario (RAM ranges, NVDIMM placement, paging),
 * nothing is written: the differences and the scenario lines to use are printed, exit 1.
 * After recording, the comparison with the model is printed; it fails the run (exit 1) only
 * with --strict, when a difference is not in the case's known-differences.json.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRecording, parseKnown, renderComparison, triage } from './compare.js';
import { CASES_DIR } from './kernels.js';
import { recordScenario } from './runner.js';

function listCases(): string[] {
  if (!existsSync(CASES_DIR)) return [];
  return readdirSync(CASES_DIR).filter((c) => existsSync(join(CASES_DIR, c, 'scenario.yaml'))).sort();
}

function pick(patterns: string[]): string[] {
  const all = listCases();
  if (patterns.length === 0) return all;
  const out: string[] = [];
  for (const p of patterns) {
    const re = new RegExp('^' + p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
    const hit = all.filter((c) => re.test(c));
    if (hit.length === 0) throw new Error(`no case matches "${p}" (cases: ${all.join(', ')})`);
    for (const h of hit) if (!out.includes(h)) out.push(h);
  }
  return out;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const pats: string[] = [];
  let outDir: string | null = null;
  let timeout = 600;
  let doCompare = true;
  let strict = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--out') outDir = args[++i]!;
    else if (a === '--timeout') timeout = Number(args[++i]);
    else if (a === '--no-compare') doCompare = false;
    else if (a === '--strict') strict = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: npm run conformance:record -- [CASE|PATTERN...] [--out DIR] [--timeout SECONDS] [--no-compare] [--strict]');
      return 0;
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else pats.push(a);
  }
  const cases = pick(pats);
  let failed = 0;
  for (const c of cases) {
    const scenarioText = readFileSync(join(CASES_DIR, c, 'scenario.yaml'), 'utf8');
    const runDir = join(tmpdir(), 'vmemlab-conformance', c);
    let o;
    try {
      o = await recordScenario({ caseName: c, scenarioText, runDir, timeoutSec: timeout });
    } catch (e) {
      console.error(`conformance: ${c}: ${(e as Error).message}`);
      failed++;
      continue;
    }
    const problems = [...o.problems];
    if (o.layoutProblems.length) {
      console.error(`conformance: ${c}: the scenario does not describe the machine the guest saw:`);
      for (const p of o.layoutProblems) console.error(`  - ${p}`);
      console.error(`  the guest's machine, as scenario lines:\n${o.layoutYaml.split('\n').map((l) => '    ' + l).join('\n')}`);
      console.error(`  nothing written; the run is in ${runDir}`);
      failed++;
      continue;
    }
    if (problems.length) {
      for (const p of problems) console.error(`conformance: ${c}: ${p}`);
      console.error(`  nothing written; the run is in ${runDir}`);
      failed++;
      continue;
    }
    const dest = outDir ? join(outDir, c) : join(CASES_DIR, c);
    mkdirSync(dest, { recursive: true });
    if (outDir) writeFileSync(join(dest, 'scenario.yaml'), scenarioText);
    writeFileSync(join(dest, 'recording.json'), JSON.stringify(o.recording, null, 1) + '\n');
    writeFileSync(join(dest, 'raw.txt.gz'), o.rawGz);
    console.error(`conformance: ${c}: recorded ${o.recording.steps.length} steps in ${o.boot.wallSeconds.toFixed(1)} s -> ${dest}`);
    if (doCompare) {
      const cmp = compareRecording(o.recording, scenarioText);
      const kf = join(CASES_DIR, c, 'known-differences.json');
      const known = parseKnown(existsSync(kf) ? readFileSync(kf, 'utf8') : null);
      console.log(renderComparison(cmp, known));
      const t = triage(cmp, known);
      if (t.unexpected.length) console.log(`  ${t.unexpected.length} difference(s) not in known-differences.json`);
      if (strict && (t.unexpected.length || !t.pendingOk)) failed++;
      for (const s of t.stale) console.log(`  known difference no longer seen: step ${s.step} ${s.id}`);
    }
  }
  console.error(`conformance: ${cases.length - failed} of ${cases.length} case(s) recorded`);
  return failed ? 1 : 0;
}

main().then((c) => process.exit(c), (e) => { console.error(`conformance: ${(e as Error).message}`); process.exit(2); });
