/**
 * npm run conformance:rebuild [-- CASE...]
 * Re-derives each case's recording.json from its committed raw.txt.gz with the current
 * parser (recording.ts), without booting anything: for changes to the recording format or
 * its derivations. The guest output itself is never changed; the recording's run facts
 * (date, QEMU command line, wall time, outcome) are kept.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCases, rederive } from './cases.js';

const names = process.argv.slice(2);
let n = 0;
for (const c of loadCases()) {
  if (names.length && !names.some((p) => new RegExp('^' + p.replace(/\*/g, '.*') + '$').test(c.name))) continue;
  const rec = rederive(c);
  if (!rec) continue;
  writeFileSync(join(c.dir, 'recording.json'), JSON.stringify(rec, null, 1) + '\n');
  n++;
}
console.error(`conformance: rebuilt ${n} recording(s) from raw.txt.gz`);
