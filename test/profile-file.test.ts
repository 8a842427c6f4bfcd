/** Profile files (a built-in profile with some switches swapped), the switch listing and diff-profiles. */
import { describe, expect, it } from 'vitest';
import { compare, diffProfiles, findProfile, parseProfileFile, parseScenario, registerProfile, renderProfileDiff, renderSwitchListing, runScenario, ScenarioError, switchListing, PROFILES } from '../src/index.js';
import { profileFromModule } from '../src/kernels/profile-file.js';
import { describeSwitch } from '../src/kernels/switches.js';
import type { KernelProfile } from '../src/kernels/types.js';

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

/** The message a call throws (the tests below pin whole messages: file, place, rule). */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
  return 'no error';
}

describe('profile files: every rule, one whole line', () => {
  it.each([
    ['a list', '- a\n- b\n', 'ScenarioError: p.yaml:1:1: a profile is a map with id, title, base and switches'],
    ['a number', '5\n', 'ScenarioError: p.yaml:1:1: a profile is a map with id, title, base and switches'],
    ['an empty file', '', 'ScenarioError: p.yaml:1:1: a profile is a map with id, title, base and switches'],
    ['a number for the id', 'id: 5\nbase: v6.18\n', 'ScenarioError: p.yaml:1:5: id: must be a non-empty string'],
    ['an empty id', "id: ''\nbase: v6.18\n", 'ScenarioError: p.yaml:1:5: id: must be a non-empty string'],
    ['a list for the base', 'id: x\nbase: [v6.18]\n', 'ScenarioError: p.yaml:2:7: base: must be a non-empty string'],
    ['no base', 'id: x\n', 'ScenarioError: p.yaml:1:1: missing required key "base"'],
    ['switches as a list', 'id: x\nbase: v6.18\nswitches: [a]\n', 'ScenarioError: p.yaml:3:11: switches: must be a map of switch: value'],
    ['switches as a number', 'id: x\nbase: v6.18\nswitches: 5\n', 'ScenarioError: p.yaml:3:11: switches: must be a map of switch: value'],
    // the YAML library's errors at their own line and column, as a scenario's are
    ['a key twice', 'id: x\nbase: v6.18\nid: y\n', 'ScenarioError: p.yaml:3:1: YAML syntax: Map keys must be unique'],
    ['an unclosed list', 'id: x\nbase: v6.18\nswitches: { a: [\n', 'ScenarioError: p.yaml:4:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['an unknown key', 'id: x\nbase: v6.18\nbogus: 1\n', 'ScenarioError: p.yaml:3:1: bogus: unknown key "bogus"; allowed: id, title, base, switches, description'],
  ])('%s', (_, text, message) => {
    expect(thrown(() => parseProfileFile('p.yaml', text))).toBe(message);
  });

  it('without a title (or with one that is not a string), the title and provenance name the base and every switch changed', () => {
    const p = parseProfileFile('p.yaml', 'id: x\nbase: v5.9\ntitle: 5\nswitches: { allocBlockBuf: fallback-as-posted, basepagesAltmap: false }\n');
    expect(p.title).toBe('v5.9 with allocBlockBuf=fallback-as-posted, basepagesAltmap=false');
    expect(p.provenance).toBe('profile p.yaml: v5.9 with allocBlockBuf=fallback-as-posted, basepagesAltmap=false');
    const same = parseProfileFile('q.yaml', 'id: y\nbase: v6.18\n');
    expect([same.title, same.provenance]).toEqual(['v6.18 with no switch changed', 'profile q.yaml: v6.18']);
    expect(parseProfileFile('r.yaml', 'id: z\nbase: v6.18\ntitle: mine\n').title).toBe('mine');
  });

  it('a built-in id cannot be registered over the built-in profile', () => {
    expect(thrown(() => registerProfile(findProfile('v6.1')!))).toBe('Error: v6.1 is a built-in profile');
    expect(findProfile('v6.1')!.kind).not.toBe('proposal');
  });
});

describe('profile modules: every rule, one whole line', () => {
  it.each([
    ['a number', 5, "ProfileError: m.js: a profile module's default export is an object: { id, base, switches?, policies? }"],
    ['null', null, "ProfileError: m.js: a profile module's default export is an object: { id, base, switches?, policies? }"],
    ['a function', () => 1, "ProfileError: m.js: a profile module's default export is an object: { id, base, switches?, policies? }"],
    ['policies as a number', { id: 'x', base: 'v6.18', policies: 5 }, 'ProfileError: m.js: policies: policies is an object of policy functions'],
    ['policies as null', { id: 'x', base: 'v6.18', policies: null }, 'ProfileError: m.js: policies: policies is an object of policy functions'],
    ['an unknown policy', { id: 'x', base: 'v6.18', policies: { vmemmap_populat: () => 0 } }, 'ProfileError: m.js: policies.vmemmap_populat: unknown policy "vmemmap_populat" (did you mean "vmemmap_populate"?); policies: vmemmap_populate, hugepages, vmemmap_free, memmap_on_memory, vmemmap_alloc_block_buf'],
    ['a function where an object is due', { id: 'x', base: 'v6.18', policies: { hugepages: () => 0 } }, 'ProfileError: m.js: policies.hugepages: must be an object, not function'],
    ['an object where a function is due', { id: 'x', base: 'v6.18', policies: { vmemmap_populate: {} } }, 'ProfileError: m.js: policies.vmemmap_populate: must be a function, not object'],
    ['an unknown key (policies allowed)', { id: 'x', base: 'v6.18', bogus: 1 }, 'ProfileError: m.js: bogus: unknown key "bogus"; allowed: id, title, base, switches, description, policies'],
    ['no id', { base: 'v6.18' }, 'ProfileError: m.js: missing required key "id"'],
  ])('%s', (_, exported, message) => {
    expect(thrown(() => profileFromModule('m.js', exported))).toBe(message);
  });

  it('every policy with its own type is taken', () => {
    const policies = { vmemmap_populate: () => 0, hugepages: {}, vmemmap_free: {}, memmap_on_memory: () => 0, vmemmap_alloc_block_buf: () => 0 };
    expect(Object.keys(profileFromModule('m.js', { id: 'all', base: 'v6.18', policies }).policies!)).toEqual(Object.keys(policies));
  });

  it('the provenance lists every policy replaced; without policies the profile has none', () => {
    const p = profileFromModule('m.js', { id: 'x', base: 'v6.18', policies: { vmemmap_populate: () => 0, memmap_on_memory: () => 0 } });
    expect(p.provenance).toBe('profile m.js: v6.18; policies replaced: vmemmap_populate, memmap_on_memory');
    const q = profileFromModule('m.js', { id: 'y', base: 'v6.18' });
    expect(q.policies).toBeUndefined();
    expect(q.provenance).toBe('profile m.js: v6.18');
  });
});

describe('switch listing and profile diff, as printed', () => {
  const P = (id: string) => findProfile(id)!;

  it('a value is printed as a double-quoted string a profile file can carry back (a format with its \\n)', () => {
    const text = renderSwitchListing(switchListing(PROFILES).filter((s) => s.key === 'misalignedFmt' || s.key === 'vmemmapVerifyOnce'));
    expect(text).toBe([
      'vmemmapVerifyOnce  (mm/sparse-vmemmap.c:vmemmap_verify)',
      '  how often "potential offnode page_structs" is printed',
      '  "false": pr_warn every time (up to v6.0) [v5.6, v5.9, v5.10, v5.15, seed-v2, seed-v2-fallback, robin-arm64]',
      '  "true": pr_warn_once (v6.1) [v6.1, v6.1.y, v6.6, v6.12, v6.18, v7.1]',
      'misalignedFmt  (mm/memory_hotplug.c:check_pfn_span)',
      "  the misalignment WARN's format",
      '  "Misaligned %s start: %#lx end: #%lx\\n": with the "#%lx" typo (up to v6.5) [v5.6, v5.9, v5.10, v5.15, v6.1, v6.1.y, seed-v2, seed-v2-fallback, robin-arm64]',
      '  "Misaligned %s start: %#lx end: %#lx\\n": fixed (v6.6) [v6.6, v6.12, v6.18, v7.1]',
      '',
    ].join('\n'));
    // the value as listed, pasted into a profile file, is the value
    const listed = text.split('\n')[6]!.slice(2, text.split('\n')[6]!.indexOf('": ') + 1);
    const p = parseProfileFile('p.yaml', `id: typo\nbase: v6.18\nswitches:\n  misalignedFmt: ${listed}\n`);
    expect(p.misalignedFmt).toBe(P('v6.1').misalignedFmt);
  });

  it('a value no profile uses has no profile list', () => {
    const l = switchListing([P('v6.18')]).find((s) => s.key === 'vmemmapVerifyOnce')!;
    expect(renderSwitchListing([l])).toContain('\n  "false": pr_warn every time (up to v6.0)\n');
  });

  it('describeSwitch: both values with their meaning; an undocumented value as itself', () => {
    expect(describeSwitch('allocBlockBuf', P('v5.6'), P('v5.9'))).toBe('allocBlockBuf (mm/sparse-vmemmap.c:vmemmap_alloc_block_buf): v5.6 two arguments, no altmap: callers use altmap_alloc_block_buf themselves (v5.6) -> v5.9 the altmap is the only source when given (v5.9, 56993b4e147e)');
    const odd = { ...P('v5.9'), id: 'odd', allocBlockBuf: 'v9' } as unknown as KernelProfile;
    expect(describeSwitch('allocBlockBuf', P('v5.6'), odd)).toMatch(/ -> odd v9$/);
    expect(diffProfiles(P('v5.9'), odd).switches.find((s) => s.key === 'allocBlockBuf')!.b).toEqual({ value: 'v9', meaning: '(undocumented value)' });
  });

  it('diff-profiles: the same profile; a module that replaces a policy; two that both replace it', () => {
    expect(renderProfileDiff(diffProfiles(P('v6.18'), P('v6.18')))).toBe('v6.18 and v6.18 have the same behaviour switches and policies\n');
    const mine = profileFromModule('m.js', { id: 'mine', base: 'v6.18', policies: { vmemmap_populate: () => 0 } });
    expect(renderProfileDiff(diffProfiles(P('v6.18'), mine))).toBe('v6.18 -> mine: 0 switch(es) differ, 1 policy function(s) replaced\npolicy vmemmap_populate: v6.18 built-in, mine replaced\n');
    // two replacements cannot be compared: still listed
    expect(diffProfiles(mine, { ...mine, id: 'mine2' }).policies).toEqual([{ name: 'vmemmap_populate', a: 'replaced', b: 'replaced' }]);
    const both = profileFromModule('m2.js', { id: 'mine3', base: 'v6.12', policies: { memmap_on_memory: () => 0 } });
    const d = diffProfiles(mine, both);
    expect(d.policies).toEqual([{ name: 'vmemmap_populate', a: 'replaced', b: 'built-in' }, { name: 'memmap_on_memory', a: 'built-in', b: 'replaced' }]);
    const text = renderProfileDiff(d);
    expect(text.split('\n').slice(0, 4)).toEqual([
      `mine -> mine3: ${d.switches.length} switch(es) differ, 2 policy function(s) replaced`,
      'policy vmemmap_populate: mine replaced, mine3 built-in',
      'policy memmap_on_memory: mine built-in, mine3 replaced',
      '',
    ]);
    expect(text).toContain('\nhvoParam  (mm/hugetlb_vmemmap.c (hugetlb_free_vmemmap=)): how hugetlb_free_vmemmap= is parsed\n  mine: ');
  });

  it('diff-profiles without policies: the header has no policy count', () => {
    expect(renderProfileDiff(diffProfiles(P('v6.12'), P('v6.18'))).split('\n')[0]).toBe('v6.12 -> v6.18: 11 switch(es) differ');
  });
});
