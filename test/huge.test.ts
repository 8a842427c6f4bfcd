/**
 * Inputs near the 8 MiB limit run and render: 180,000 steps (hot-add, offline, online,
 * hot-remove of 128 MiB blocks, about 500 blocks live) as the text report, the JSON report
 * and the kernel log. Not a timed test: it asserts that each completes and says the right
 * thing (the text report once overflowed the stack spreading 180,000 lines into push()).
 */
import { describe, expect, it } from 'vitest';
import { hugeScenario } from '../bench/scenarios.js';
import { parseScenario, renderDmesg, renderJson, renderText, runScenario } from '../src/index.js';

describe('a scenario near the 8 MiB input limit', () => {
  it('180,000 steps: text, --json and --dmesg', () => {
    const text = hugeScenario(180_000);
    expect(text.length).toBeGreaterThan(7 * 2 ** 20);
    expect(text.length).toBeLessThan(8 * 2 ** 20);
    const r = runScenario(parseScenario('huge.yaml', text));
    expect(r.results).toHaveLength(180_000);
    expect(r.results.every((x) => x.ok)).toBe(true);

    const t = renderText(r);
    expect(t).toContain('Invariants: 1080000 checks after 180000 step(s), no violations');
    expect(t).toMatch(/\n {2}180000 {2}offline 0x[0-9a-f]+ 128 MiB +ok\n/);
    // the namespace's 64 GiB and 501 live 256 MiB blocks (the last round stops after its offline), in 128 MiB sections
    expect(r.report.sections.hotplugged).toBe(512 + 501 * 2);

    const j = JSON.parse(renderJson(r));
    expect(j.steps).toHaveLength(180_000);
    expect(j.steps[179_999].step).toMatch(/^offline 0x/);
    expect(j.invariants.violations).toEqual([]);

    const d = renderDmesg(r);
    expect(d).toContain('\n# step 179999: hot-add node 0 ');
  }, 300_000);
});
