#!/usr/bin/env node
/**
 * List the mutants StrykerJS left alive (Survived, NoCoverage), one line each:
 *   file:line:col  Mutator  original -> replacement
 * from a finished run's JSON report (reports/mutation/<dirs>.json) or, while a run is still going,
 * from its event files (reports/stryker-events/<dirs>/). docs/testing.md.
 *
 *   node scripts/mutation-survivors.mjs reports/mutation/arch.json
 *   node scripts/mutation-survivors.mjs reports/stryker-events/kernel [--all]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [src, flag] = process.argv.slice(2);
if (!src) {
  console.error('usage: mutation-survivors.mjs <report.json | events dir> [--all]');
  process.exit(2);
}
const alive = new Set(['Survived', 'NoCoverage']);

/** @type {{file: string, line: number, col: number, mutator: string, replacement: string, status: string, original: string}[]} */
const rows = [];
if (statSync(src).isDirectory()) {
  const files = readdirSync(src).filter((f) => f.endsWith('-onMutantTested.json')).sort();
  for (const f of files) {
    const m = JSON.parse(readFileSync(join(src, f), 'utf8'));
    rows.push({ file: m.fileName, line: m.location.start.line, col: m.location.start.column, mutator: m.mutatorName, replacement: m.replacement ?? '', status: m.status, original: '' });
  }
} else {
  const report = JSON.parse(readFileSync(src, 'utf8'));
  for (const [file, r] of Object.entries(report.files)) {
    const lines = r.source.split('\n');
    for (const m of r.mutants) {
      const l = m.location;
      const original = l.start.line === l.end.line ? lines[l.start.line - 1].slice(l.start.column - 1, l.end.column - 1) : `${lines[l.start.line - 1].slice(l.start.column - 1)}...`;
      rows.push({ file, line: l.start.line, col: l.start.column, mutator: m.mutatorName, replacement: m.replacement ?? '', status: m.status, original });
    }
  }
}
const counts = {};
for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
rows.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
const short = (s) => (s.length > 90 ? `${s.slice(0, 87)}...` : s).replace(/\s+/g, ' ');
for (const r of rows) {
  if (flag !== '--all' && !alive.has(r.status)) continue;
  console.log(`${r.file.replace(/^.*?(src\/)/, '$1')}:${r.line}:${r.col}  ${r.status}  ${r.mutator}  ${short(r.original)} -> ${short(r.replacement)}`);
}
console.log(Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', '));
