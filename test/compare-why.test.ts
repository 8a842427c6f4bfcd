/** `vmemlab compare` says why: the switch responsible for each difference, expectations under every profile, parameters a kernel lacks. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compare, parseScenario, PROFILES, runScenarioText } from '../src/index.js';
import { SWITCHES, SWITCH_KEYS, switchDiff } from '../src/kernels/switches.js';

const MOM = `arch: x86_64
cmdline: memory_hotplug.memmap_on_memory=1 memhp_default_state=online
nodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]
steps:
  - boot
  - hot-add: { node: 0, start: 8G, size: 128M }
  - expect: { step: 2, blocks: { selfHosting: 1 } }
`;

describe('compare: why', () => {
  it('names the switch that makes the difference, with its kernel site and commit', () => {
    const c = compare(parseScenario('mom.yaml', MOM), ['v5.10', 'v6.1', 'v6.18']);
    const row = c.steps[1]!.rows.find((r) => r.what === 'memmap self-hosted in node 0 blocks')!;
    expect(row.values).toEqual({ 'v5.10': '-', 'v6.1': '2 MiB', 'v6.18': '2 MiB' });
    expect(row.why).toHaveLength(1);
    expect(row.why![0]).toMatch(/^v5\.10 -> v6\.1 because of memmapOnMemory \(mm\/memory_hotplug\.c/);
    expect(row.why![0]).toContain('a08a2ae34613');
  });

  it('a proposal against its base: the fallback flag as posted charges the altmap and maps RAM', () => {
    const sc = parseScenario('e.yaml', `arch: arm64
config: { pageSize: 64K }
nodes: [ { id: 0, memory: [ { start: 0x40000000, size: 8G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]
steps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } } ]
`);
    const c = compare(sc, ['seed-v2', 'seed-v2-fallback']);
    const row = c.steps[1]!.rows.find((r) => r.what === 'memmap in altmap namespace0.0')!;
    expect(row.why![0]).toMatch(/because of allocBlockBuf/);
  });

  it('a parameter the kernel does not have is reported as such, not as "not modelled"', () => {
    const v510 = runScenarioText('mom.yaml', MOM.replace('arch: x86_64', 'arch: x86_64\nkernel: v5.10'));
    expect(v510.report.warnings).toEqual(['kernel parameter "memory_hotplug.memmap_on_memory=1": memory_hotplug.memmap_on_memory does not exist in v5.10: it arrived in v5.13 (a08a2ae34613); the kernel ignores it']);
    const c = compare(parseScenario('mom.yaml', MOM), ['v5.10', 'v6.18']);
    expect(c.steps[0]!.rows.find((r) => r.what === 'kernel parameters')!.values['v5.10']).toMatch(/does not exist in v5\.10/);
  });

  it('expect steps run under every profile: a failure under one makes compare fail (exit 1)', () => {
    const c = compare(parseScenario('mom.yaml', MOM), ['v5.10', 'v6.18']);
    expect(c.passed).toBe(false);
    expect(c.expectations).toEqual([{ kernel: 'v5.10', step: 3, failed: ['blocks.selfHosting is 0, expected 1'] }]);
    const dir = mkdtempSync(join(tmpdir(), 'vmemlab-'));
    writeFileSync(join(dir, 'mom.yaml'), MOM);
    const bin = new URL('../bin/vmemlab.js', import.meta.url).pathname;
    const fail = spawnSync(process.execPath, [bin, 'compare', join(dir, 'mom.yaml'), '--kernel', 'v5.10,v6.18'], { encoding: 'utf8' });
    expect(fail.status).toBe(1);
    expect(fail.stdout).toContain('expect step 3 FAILED under v5.10');
    const pass = spawnSync(process.execPath, [bin, 'compare', join(dir, 'mom.yaml'), '--kernel', 'v6.6,v6.18'], { encoding: 'utf8' });
    expect(pass.status).toBe(0);
  });

  it('debug line counts are noise: only with --all', () => {
    const sc = parseScenario('mom.yaml', MOM);
    const rows = (all: boolean) => compare(sc, ['v5.10', 'v6.18'], { all }).steps.flatMap((s) => s.rows.map((r) => r.what));
    expect(rows(false)).not.toContain('debug lines');
    expect(rows(true)).toContain('debug lines');
  });
});

describe('the switch registry', () => {
  it('documents every value every profile uses', () => {
    for (const p of PROFILES) {
      for (const k of SWITCH_KEYS) expect(SWITCHES[k].values[String(p[k])], `${p.id}.${k} = ${String(p[k])}`).toBeDefined();
    }
  });

  it('neighbouring releases differ in a few switches, each documented', () => {
    const byId = Object.fromEntries(PROFILES.map((p) => [p.id, p]));
    expect(switchDiff(byId['v6.12']!, byId['v6.18']!).sort()).toEqual(['hvoParam', 'hvoPreinit', 'kmemTruncatedWarning', 'kstrtobool', 'ppcRadixAlignStart', 'riscvPudThp', 's390HotRemove', 's390Hvo', 's390SmallSections', 's390ZoneDevice', 'x86MemoryBlockProbe']);
  });
});

describe('compare text layout', () => {
  it('fits 100 columns with every profile (profiles continue in blocks); --wide is one table', async () => {
    const { renderComparison } = await import('../src/index.js');
    const { readFileSync } = await import('node:fs');
    const sc = parseScenario('e.yaml', readFileSync(new URL('../examples/pmem-arm64-64k.yaml', import.meta.url), 'utf8'));
    const c = compare(sc, PROFILES.map((p) => p.id));
    const lines = renderComparison(c).split('\n').slice(1);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    const wide = renderComparison(c, { width: Infinity }).split('\n');
    // one header row per differing step in the wide table, more in the narrow one
    const headers = (ls: string[]) => ls.filter((l) => /^\s+v5\.6\b/.test(l) || /^\s{10,}\S+\s{2,}\S/.test(l) && l.includes('v')).length;
    expect(headers(wide)).toBeLessThan(headers(lines));
  });
});
