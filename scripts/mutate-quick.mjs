#!/usr/bin/env node
/**
 * Mutation testing of one source file against a few test files, for working on survivors
 * between full Stryker runs (docs/testing.md, "Hand-mutation"). Stryker's own instrumenter
 * makes the mutants (the same ones `npm run mutate` tests); each is applied to the file in
 * place, the given test files are run with vitest (stopping at the first failure), and the
 * file is restored. A mutant those tests fail on is killed for the whole suite too; one they
 * pass is only a candidate survivor (other test files may kill it).
 *
 *   node scripts/mutate-quick.mjs src/kernel/printk.ts test/printk.test.ts [more tests] [--lines 10-80] [--timeout 120]
 *   node scripts/mutate-quick.mjs src/kernels/switches.ts test/compare-why.test.ts --ignored-in reports/mutation/kernels.json
 *
 * --ignored-in takes a Stryker JSON report and tests only the file's mutants that run left out
 * (status Ignored: with `--ignoreStatic`, the static mutants, which Stryker would run against
 * the whole suite each). --again takes this script's own earlier output and tests only the
 * survivors it lists (by line, column and mutator), e.g. after new tests were written.
 *
 * Prints one line per survivor (file:line:col, 1-based, mutator, replacement) and the counts;
 * progress on stderr. A test run longer than --timeout seconds (a mutant that loops) is killed
 * and counted as a timeout.
 * Run it in a worktree of its own: the source file is rewritten while it runs (if the script is
 * killed while a test run is going on, `git checkout` the file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Instrumenter } from '@stryker-mutator/instrumenter';

const args = process.argv.slice(2);
const at = args.indexOf('--lines');
const tat = args.indexOf('--timeout');
const timeoutMs = tat >= 0 ? Number(args.splice(tat, 2)[1]) * 1000 : 120_000;
const [lo, hi] = at >= 0 ? args.splice(at, 2)[1].split('-').map(Number) : [1, Infinity];
const iat = args.indexOf('--ignored-in');
const report = iat >= 0 ? args.splice(iat, 2)[1] : undefined;
const aat = args.indexOf('--again');
const again = aat >= 0 ? args.splice(aat, 2)[1] : undefined;
const [file, ...tests] = args;
if (!file || tests.length === 0) {
  process.stderr.write('usage: node scripts/mutate-quick.mjs <source file> <test file>... [--lines A-B]\n');
  process.exit(2);
}
// the file must be as committed: a mutant left behind by an interrupted run would be the baseline
const dirty = spawnSync('git', ['diff', '--quiet', '--', file]);
if (dirty.status !== 0) {
  process.stderr.write(`mutate-quick: ${file} differs from git's copy (an interrupted run?): git checkout it first\n`);
  process.exit(2);
}
const vitest = resolve('node_modules/vitest/vitest.mjs');
const original = readFileSync(file, 'utf8');
const quiet = { debug() {}, info() {}, warn() {}, error() {}, trace() {}, fatal() {}, isDebugEnabled: () => false, isInfoEnabled: () => false, isWarnEnabled: () => false, isErrorEnabled: () => false, isTraceEnabled: () => false, isFatalEnabled: () => false };
const { mutants } = await new Instrumenter(quiet).instrument([{ name: file, content: original, mutate: true }], { plugins: null, excludedMutations: [], ignorers: [] });
// the report's locations are 1-based lines and columns, the instrumenter's 0-based
const key = (line, column, name, replacement) => `${line}:${column}:${name}:${replacement}`;
const ignored = report === undefined ? undefined : new Set(
  (JSON.parse(readFileSync(report, 'utf8')).files[file]?.mutants ?? [])
    .filter((m) => m.status === 'Ignored')
    .map((m) => key(m.location.start.line, m.location.start.column, m.mutatorName, m.replacement)),
);
// "src/x.ts:12:5  Mutator  -> replacement" lines of an earlier run's output
const listed = again === undefined ? undefined : new Set(
  readFileSync(again, 'utf8').split('\n').map((l) => /^(\S+):(\d+):(\d+)\s+(\w+)/.exec(l)).filter((x) => x && x[1] === file).map((x) => `${x[2]}:${x[3]}:${x[4]}`),
);
const chosen = mutants.filter((m) =>
  m.location.start.line + 1 >= lo && m.location.start.line + 1 <= hi &&
  (ignored === undefined || ignored.has(key(m.location.start.line + 1, m.location.start.column + 1, m.mutatorName, m.replacement))) &&
  (listed === undefined || listed.has(`${m.location.start.line + 1}:${m.location.start.column + 1}:${m.mutatorName}`)));
if (ignored !== undefined && chosen.length !== ignored.size) {
  process.stderr.write(`mutate-quick: ${report} lists ${ignored.size} ignored mutants of ${file}, ${chosen.length} found in today's file (changed since the run?)\n`);
  process.exit(2);
}

// offsets of line starts, to turn a location into a string index
const lineStart = [0];
for (let i = 0; i < original.length; i++) if (original[i] === '\n') lineStart.push(i + 1);
const offset = (p) => lineStart[p.line] + p.column;

const restore = () => writeFileSync(file, original);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { restore(); process.exit(130); });

let killed = 0;
let timedOut = 0;
let done = 0;
const survived = [];
try {
  for (const m of chosen) {
    const a = offset(m.location.start);
    const b = offset(m.location.end);
    writeFileSync(file, original.slice(0, a) + m.replacement + original.slice(b));
    // A mutant that loops for ever is stopped and counted as killed, as Stryker counts a timeout.
    // The loop runs in a vitest worker, a child of the vitest process: coreutils timeout(1)
    // signals its whole process group (TERM, then KILL 5 s later), so no looping worker is left
    // behind to slow the next mutants down (killing vitest alone orphaned them).
    const r = spawnSync('timeout', ['--kill-after=5', String(Math.ceil(timeoutMs / 1000)), process.execPath, vitest, 'run', '--bail=1', ...tests], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    const ok = r.status === 0;
    const timeout = r.status === 124 || r.status === 137 || r.signal !== null;
    if (ok) survived.push(m);
    else if (timeout) timedOut++;
    else killed++;
    process.stderr.write(`${++done}/${chosen.length} ${file}:${m.location.start.line + 1}:${m.location.start.column + 1} ${m.mutatorName}: ${ok ? 'survived' : timeout ? 'timeout' : 'killed'}\n`);
  }
} finally {
  restore();
}
// the original text too: two mutants can share a position and a mutator (`a && b` -> true and
// `a` -> true both start at a)
for (const m of survived) {
  const was = original.slice(offset(m.location.start), offset(m.location.end)).replace(/\s+/g, ' ').slice(0, 60);
  process.stdout.write(`${file}:${m.location.start.line + 1}:${m.location.start.column + 1}  ${m.mutatorName}  ${was} -> ${m.replacement.replace(/\s+/g, ' ').slice(0, 100)}\n`);
}
process.stdout.write(`${chosen.length} mutants: ${killed} killed by ${tests.join(', ')}, ${timedOut} timed out (killed), ${survived.length} not\n`);
