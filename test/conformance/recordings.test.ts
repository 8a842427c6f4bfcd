/**
 * The committed conformance recordings (conformance/cases/<case>/recording.json: what a real
 * Debian kernel did under QEMU) against the model run on the same scenario. A difference
 * fails the test unless the case's known-differences.json lists it with a reason; a case the
 * model cannot run yet must say why ("pending"). Only the model runs here (no QEMU).
 */
import { describe, expect, it } from 'vitest';
import { renderComparison } from '../../conformance/compare.js';
import { checkCase, loadCases, rederive } from '../../conformance/cases.js';

const cases = loadCases().filter((c) => c.recording);

describe('conformance recordings', () => {
  it('has recorded cases', () => {
    expect(cases.length).toBeGreaterThan(0);
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
      const again = rederive(c);
      if (again) expect(again).toEqual(c.recording);
    });
  }
});
