/** Every example scenario runs, asserts its own numbers with expect steps, and passes. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO, runPassed, runScenarioText } from '../src/index.js';

const dir = new URL('../examples/', import.meta.url);
const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();

describe('examples', () => {
  it('there are at least five', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });
  for (const f of files) {
    it(f, () => {
      const r = runScenarioText(f, readFileSync(new URL(f, dir)));
      const expects = r.results.filter((x) => x.kind === 'expect');
      expect(expects.length, 'an example checks its numbers with expect steps').toBeGreaterThan(0);
      for (const e of expects) expect(e.failedExpectations, `${f} step ${e.index}`).toEqual([]);
      expect(runPassed(r)).toBe(true);
    });
  }
});

describe('the built-in default scenario', () => {
  /* The reference's worked numbers: usable 16,909,336,576 B; altmap alloc 65,536, align 510, free 66,046. */
  it('16 GiB --map=dev on node 1', () => {
    const r = runScenarioText('default', DEFAULT_SCENARIO);
    expect(r.report.namespaces).toEqual([
      { device: 'pmem0', name: 'namespace0.0', dev: 'pmem0', mode: 'fsdax', map: 'dev', align: 2097152, start: 64 * 2 ** 30, rawSize: 16 * 2 ** 30, size: 16909336576, dataOffset: 270532608, npfns: 4128256 },
    ]);
    expect(r.report.altmaps).toEqual([
      { id: 'namespace0.0', device: 'pmem0', namespace: 'namespace0.0', base_pfn: 0x1000000, end_pfn: 0x13fffff, reserve: 2, free: 66046, alloc: 65536, align: 510 },
    ]);
    expect(r.report.memmapBacking).toEqual({ ram: { 0: 128 * 2 ** 20, 1: 128 * 2 ** 20 }, altmap: { 'namespace0.0': 256 * 2 ** 20 }, self: {}, dedup: {} });
    expect(r.report.pageTablePages).toEqual({ pud: 1, pmd: 2, pte: 0, byNode: { 0: 2, 1: 1 } });
    expect(r.report.invariants.violations).toEqual([]);
  });
});
