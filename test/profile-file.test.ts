/** Profile files (a built-in profile with some switches swapped), the switch listing and diff-profiles. */
import { describe, expect, it } from 'vitest';
import { compare, diffProfiles, findProfile, parseProfileFile, parseScenario, registerProfile, renderProfileDiff, runScenario, ScenarioError, switchListing, PROFILES } from '../src/index.js';

const FOLLOW_UP = `id: v5.9-fallback-flag
title: v5.9 with the thread's fallback flag in vmemmap_alloc_block_buf(), as posted
base: v5.9
switches:
  allocBlockBuf: fallback-as-posted
`;

const ARM64_PMEM = `arch: arm64
config: { pageSize: 64K }
nodes: [ { id: 0, memory: [ { start: 0x40000000, size: 8G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]
steps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } } ]
`;

describe('profile files', () => {
  it('the thread\'s follow-up as a profile file over v5.9 does what the built-in seed-v2-fallback does', () => {
    const p = parseProfileFile('fallback.yaml', FOLLOW_UP);
    expect(p).toMatchObject({ id: 'v5.9-fallback-flag', kind: 'proposal', allocBlockBuf: 'fallback-as-posted', basepagesAltmap: true });
    registerProfile(p);
    expect(findProfile('v5.9-fallback-flag')).toBe(p);
    const sc = parseScenario('arm64.yaml', ARM64_PMEM.replace('arch: arm64', 'arch: arm64\nkernel: v5.9-fallback-flag'));
    const mine = runScenario(sc).report;
    const theirs = runScenario({ ...sc, kernel: 'seed-v2-fallback' }).report;
    expect(mine.memmapBacking).toEqual(theirs.memmapBacking);
    expect(mine.altmaps).toEqual(theirs.altmaps);
    expect(mine.kernelBugs.findings.map((v) => v.invariant)).toEqual(theirs.kernelBugs.findings.map((v) => v.invariant));
    // the posted patch's defect is a predicted kernel bug, not a vmemmap-lab invariant violation
    expect(mine.invariants.violations).toEqual([]);
    expect(mine.kernelBugs.findings.map((v) => v.invariant)).toContain('altmap-accounting');
    // and compare names the flag as the difference from plain v5.9
    const c = compare(parseScenario('arm64.yaml', ARM64_PMEM), ['v5.9', 'v5.9-fallback-flag']);
    const row = c.steps[1]!.rows.find((r) => r.what === 'memmap in altmap namespace0.0')!;
    expect(row.why![0]).toMatch(/^v5\.9 -> v5\.9-fallback-flag because of allocBlockBuf/);
  });

  it.each([
    ['unknown switch', FOLLOW_UP.replace('allocBlockBuf:', 'allocBlockBuff:'), /fallback\.yaml:5:3: switches\.allocBlockBuff: unknown switch "allocBlockBuff" \(did you mean "allocBlockBuf"\?\)/],
    ['bad value', FOLLOW_UP.replace('fallback-as-posted', 'fallback'), /fallback\.yaml:5:18: switches\.allocBlockBuf: "fallback" is not a value of allocBlockBuf; values: "v5\.6", "v5\.9", "fallback-as-posted"/],
    ['unknown base', FOLLOW_UP.replace('base: v5.9', 'base: v5.99'), /fallback\.yaml:3:7: base: unknown base profile "v5\.99"/],
    ['a built-in id', FOLLOW_UP.replace('id: v5.9-fallback-flag', 'id: v6.1'), /fallback\.yaml:1:5: id: "v6\.1" is a built-in profile/],
    ['no id', FOLLOW_UP.replace('id: v5.9-fallback-flag\n', ''), /fallback\.yaml:1:1: missing required key "id"/],
    ['unknown key', FOLLOW_UP + 'swiches: {}\n', /unknown key "swiches" \(did you mean "switches"\?\)/],
  ])('%s: one line with file:line:col and what is allowed', (_, text, rule) => {
    expect(() => parseProfileFile('fallback.yaml', text)).toThrow(ScenarioError);
    expect(() => parseProfileFile('fallback.yaml', text)).toThrow(rule);
  });

  it('numbers and booleans keep their type', () => {
    const p = parseProfileFile('p.yaml', 'id: six-one-zero\nbase: v6.18\nswitches:\n  MAX_STRUCT_PAGE_SIZE: 128\n  hvoArm64: true\n');
    expect(p.MAX_STRUCT_PAGE_SIZE).toBe(128);
    expect(p.hvoArm64).toBe(true);
  });
});

describe('switches', () => {
  it('every switch is listed with its values and the profiles that use each', () => {
    const l = switchListing(PROFILES);
    const mom = l.find((s) => s.key === 'memmapOnMemory')!;
    expect(mom.values.find((v) => v.value === 'v6.8')!.profiles).toEqual(['v6.12', 'v6.18', 'v7.1']);
    expect(mom.values.find((v) => v.value === 'none')!.meaning).toMatch(/does not exist/);
    for (const s of l) expect(s.values.reduce((n, v) => n + v.profiles.length, 0), s.key).toBe(PROFILES.length);
  });

  it('diff-profiles: v6.12 -> v6.18 differ in eleven switches, each with what the values mean', () => {
    const d = diffProfiles(findProfile('v6.12')!, findProfile('v6.18')!);
    expect(d.switches.map((s) => s.key).sort()).toEqual(['hvoParam', 'hvoPreinit', 'kmemTruncatedWarning', 'kstrtobool', 'ppcRadixAlignStart', 'riscvPudThp', 's390HotRemove', 's390Hvo', 's390SmallSections', 's390ZoneDevice', 'x86MemoryBlockProbe']);
    const text = renderProfileDiff(d);
    expect(text).toContain('x86MemoryBlockProbe  (arch/x86/mm/init_64.c:probe_memory_block_size)');
    expect(text).toContain("v6.18: \"v6.18\"  memory_block_advised_max_size() first (v6.18)");
  });
});
