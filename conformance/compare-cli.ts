/**
 * npm run conformance:compare [-- CASE...] [--json | --table]
 * Compares the committed recordings with the model (no QEMU) and prints every difference,
 * marking the ones listed in the case's known-differences.json. Exit 1 when a difference is
 * not listed (the same rule as test/conformance/recordings.test.ts). --table prints the
 * markdown case table of conformance/README.md.
 */
import { isKnown, renderComparison } from './compare.js';
import { checkCase, loadCases } from './cases.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const table = args.includes('--table');
const rows: string[] = ['| case | what | kernel / model | steps | status |', '|---|---|---|---|---|'];
const names = args.filter((a) => !a.startsWith('--'));
let bad = 0;
const out: unknown[] = [];
for (const c of loadCases()) {
  if (names.length && !names.some((n) => new RegExp('^' + n.replace(/\*/g, '.*') + '$').test(c.name))) continue;
  const r = checkCase(c);
  if (!r) {
    if (table) rows.push(`| ${c.name} | ${describe(c.scenarioText)} | | | not recorded |`);
    else if (!json) console.log(`== ${c.name}: no recording.json (npm run conformance:record -- ${c.name})`);
    continue;
  }
  if (table) {
    const cmp = r.comparison;
    const known = cmp.differences.length - r.triage.unexpected.length;
    let status = cmp.status === 'pending' ? `pending: ${cmp.reason}` : cmp.differences.length === 0 ? 'matches' : '';
    if (cmp.status === 'compared' && cmp.differences.length) {
      const reasons = [...new Set(cmp.differences.map((d) => isKnown(c.known, d)).filter((x): x is string => x !== null))];
      status = `${cmp.differences.length} difference(s)${known ? `, ${known} known` : ''}${r.triage.unexpected.length ? `, **${r.triage.unexpected.length} unexpected**` : ''}${reasons.length ? ': ' + reasons.join('; ') : ''}`;
    }
    if (c.known.pending && cmp.status === 'pending') status += ` (${c.known.pending})`;
    rows.push(`| ${c.name} | ${describe(c.scenarioText)} | ${c.recording!.kernel.release} / ${cmp.profile ?? '-'} | ${c.recording!.steps.length} | ${status} |`);
  } else if (json) out.push({ ...r.comparison, unexpected: r.triage.unexpected, stale: r.triage.stale });
  else {
    console.log(renderComparison(r.comparison, c.known));
    for (const d of r.triage.unexpected) console.log(`  UNEXPECTED step ${d.step} ${d.id}`);
    for (const s of r.triage.stale) console.log(`  stale known difference (not seen any more): step ${s.step} ${s.id}`);
    if (!r.triage.pendingOk) console.log(`  UNEXPECTED: the model cannot run this case and known-differences.json has no "pending" reason`);
  }
  if (r.triage.unexpected.length || !r.triage.pendingOk) bad++;
}
if (table) console.log(rows.join('\n'));
else if (json) console.log(JSON.stringify(out, null, 1));
else console.log(bad ? `${bad} case(s) with unexpected differences` : 'all recorded cases agree with the model or differ only as listed');
process.exit(bad ? 1 : 0);

function describe(text: string): string {
  const m = /^description:\s*(.*)$/m.exec(text);
  return m ? m[1]!.replace(/\|/g, '/') : '';
}
