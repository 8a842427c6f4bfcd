/**
 * The committed conformance recordings (conformance/cases/<case>/recording.json: what a real
 * Debian kernel did under QEMU) against the model run on the same scenario. A difference
 * fails the test unless the case's known-differences.json lists it with a reason; a case the
 * model cannot run yet must say why ("pending"). Only the model runs here (no QEMU).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderComparison } from '../../conformance/compare.js';
import { checkCase, loadCases, rederive } from '../../conformance/cases.js';

const cases = loadCases().filter((c) => c.recording);

describe('conformance recordings', () => {
  it('has recorded cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });
  it('lists the cases without a recording and the cases the model cannot run yet (pending)', () => {
    const all = loadCases();
    const unrecorded = all.filter((c) => !c.recording).map((c) => c.name);
    const pending = all.filter((c) => c.known.pending).map((c) => `${c.name} (${String(c.known.pending)})`);
    if (unrecorded.length || pending.length) console.log(`conformance: not recorded: ${unrecorded.join(', ') || 'none'}; pending: ${pending.join(', ') || 'none'}`);
    // a case directory holds a recording unless it is new: every one committed here has one
    expect(unrecorded).toEqual([]);
  });
  for (const c of cases) {
    it(`${c.name}: the model agrees with the kernel, or differs as listed`, () => {
      const r = checkCase(c)!;
      for (const s of r.triage.stale) console.warn(`${c.name}: known difference no longer seen: step ${s.step} ${s.id} (${s.reason})`);
      if (c.known.pending && r.comparison.status === 'compared') console.warn(`${c.name}: marked pending, but the model now runs it`);
      const unexpected = r.triage.unexpected.map((d) => `step ${d.step} ${d.id}: kernel ${d.kernel} | model ${d.model}`);
      if (!r.triage.pendingOk) unexpected.push(`the model cannot run this case (${r.comparison.reason}) and known-differences.json gives no "pending" reason`);
      expect(unexpected, renderComparison(r.comparison, c.known)).toEqual([]);
    });
    it(`${c.name}: recording.json is what raw.txt.gz gives (npm run conformance:rebuild)`, () => {
      // a recording without its raw guest output cannot be re-derived: that is a failure, not a skip
      expect(existsSync(join(c.dir, 'raw.txt.gz')), `${c.name}: raw.txt.gz is missing`).toBe(true);
      const again = rederive(c);
      expect(again).not.toBeNull();
      expect(again).toEqual(c.recording);
    });
  }
});
