/**
 * Code-level proposals: a profile module replaces a policy function. The thread's Robin Murphy
 * sketch written as a user module gives exactly the built-in robin-arm64's results; a new arm64
 * vmemmap_populate() policy gets compare, matrix and invariants; bad modules fail in one line.
 */
import { describe, expect, it } from 'vitest';
import { compare, matrixForScenario, parseScenario, registerProfile, runScenario } from '../src/index.js';
import { loadUserProfile } from '../src/node/profile.js';
import { profileFromModule, ProfileError } from '../src/kernels/profile-file.js';

const root = new URL('..', import.meta.url).pathname;

const scenario = (pageSize: string) => `arch: arm64
config: { pageSize: ${pageSize} }
nodes: [ { id: 0, memory: [ { start: 0x40000000, size: 8G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - hot-add: { node: 0, start: 0x2000000000, size: 2G }
  - online: { start: 0x2000000000, size: 2G }
  - hot-remove: { start: 0x2000000000, size: 2G }
  - destroy-namespace: { device: pmem0 }
`;

describe('profile modules', () => {
  it('Robin Murphy\'s sketch as a user module = the built-in robin-arm64, on every granule', async () => {
    const p = await loadUserProfile(`${root}examples/profiles/robin-arm64.mjs`);
    expect(p.id).toBe('robin-arm64-module');
    for (const ps of ['4K', '16K', '64K']) {
      const sc = parseScenario('s.yaml', scenario(ps));
      const mine = runScenario({ ...sc, kernel: p.id }).report;
      const theirs = runScenario({ ...sc, kernel: 'robin-arm64' }).report;
      expect(mine.steps.map((s) => [s.ok, s.errno, s.delta])).toEqual(theirs.steps.map((s) => [s.ok, s.errno, s.delta]));
      expect(mine.vmemmap).toEqual(theirs.vmemmap);
      expect(mine.invariants.violations.map((v) => [v.step, v.invariant])).toEqual(theirs.invariants.violations.map((v) => [v.step, v.invariant]));
    }
  });

  it('a new arm64 policy (sub-section memmap from RAM, as x86 does) gets compare, matrix and the invariants', () => {
    const p = profileFromModule('subsection-ram.mjs', {
      id: 'v6.12-subsection-ram',
      base: 'v6.12',
      policies: {
        vmemmap_populate: (c: { arch: { arch: string; SECTION_SIZE_BITS: number; PAGE_SHIFT: number; STRUCT_PAGE_SIZE: number }; ops: { basepages: (s: number, e: number, n: number, a: unknown) => number; decide: (r: unknown, p: string, w: string) => void }; range: { start: number; end: number; callBytes: number }; node: number; base: () => number }) => {
          const sectionMemmap = 2 ** (c.arch.SECTION_SIZE_BITS - c.arch.PAGE_SHIFT) * c.arch.STRUCT_PAGE_SIZE;
          if (c.arch.arch === 'arm64' && c.range.callBytes < sectionMemmap) {
            c.ops.decide(c.range, 'basepages', 'a sub-section range: base pages from RAM, the altmap ignored (the proposal)');
            return c.ops.basepages(c.range.start, c.range.end, c.node, null);
          }
          return c.base();
        },
      },
    });
    expect(p.provenance).toMatch(/policies replaced: vmemmap_populate/);
    registerProfile(p);
    // 1040 MiB fsdax --map=dev on arm64 4K: v6.12 fails -ENOMEM (a real 6.12 kernel did too);
    // with the proposal the 16 MiB tail's memmap comes from RAM and the namespace comes up
    const sc = parseScenario('t.yaml', `arch: arm64
kernel: v6.12
nodes: [ { id: 0, memory: [ { start: 0x40000000, size: 4G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 1040M } ]
steps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } } ]
`);
    const before = runScenario(sc).report;
    const after = runScenario({ ...sc, kernel: p.id }).report;
    expect(before.steps[1]!.errno).toBe('ENOMEM');
    expect(after.steps[1]!.ok).toBe(true);
    expect(after.steps[1]!.delta.memmapBacking).toEqual({ ram: { 0: 256 * 1024 }, altmap: { 'namespace0.0': 16 * 2 ** 20 }, self: {}, dedup: {} });
    expect(after.invariants.violations).toEqual([]);
    const c = compare(sc, ['v6.12', p.id]);
    expect(c.steps[1]!.rows.find((r) => r.what === 'result')!.values).toEqual({ 'v6.12': 'failed ENOMEM', [p.id]: 'ok' });
    const mx = matrixForScenario(sc, ['v6.12', p.id]);
    expect(JSON.stringify(mx)).toContain(p.id);
  });

  it.each([
    ['no default export', undefined, /default export is an object/],
    ['an unknown policy', { id: 'x1', base: 'v6.18', policies: { vmemmap_populat: () => 0 } }, /policies\.vmemmap_populat: unknown policy "vmemmap_populat" \(did you mean "vmemmap_populate"\?\)/],
    ['a policy of the wrong type', { id: 'x2', base: 'v6.18', policies: { hugepages: () => 0 } }, /policies\.hugepages: must be an object, not function/],
    ['a bad switch value', { id: 'x3', base: 'v6.18', switches: { hvo: 'v9' } }, /switches\.hvo: "v9" is not a value of hvo/],
  ])('%s: one line naming the module', (_, exported, rule) => {
    expect(() => profileFromModule('p.mjs', exported)).toThrow(ProfileError);
    expect(() => profileFromModule('p.mjs', exported)).toThrow(rule);
  });
});

describe('a vmemmap_alloc_block_buf() policy', () => {
  it('the follow-up\'s allocator as posted, written as a module over v5.9, maps what the built-in fallback-as-posted maps', () => {
    const p = profileFromModule('alloc.mjs', {
      id: 'v5.9-alloc-as-posted',
      base: 'v5.9',
      policies: {
        // as posted: the altmap is asked (and charged), then the RAM allocator runs anyway
        vmemmap_alloc_block_buf: (c: { altmap: string | null; fromAltmap: () => unknown; fromRam: () => unknown; base: () => unknown }) => {
          if (!c.altmap) return c.base();
          if (!c.fromAltmap()) return null;
          return c.fromRam();
        },
      },
    });
    registerProfile(p);
    const sc = parseScenario('s.yaml', scenario('64K'));
    const mine = runScenario({ ...sc, kernel: p.id }).report;
    const theirs = runScenario({ ...sc, kernel: 'seed-v2-fallback' }).report;
    expect(mine.steps.map((s) => [s.ok, s.delta])).toEqual(theirs.steps.map((s) => [s.ok, s.delta]));
    expect(mine.altmaps).toEqual(theirs.altmaps);
    expect(mine.steps[1]!.violations.map((v) => v.invariant)).toEqual(['altmap-accounting']);
  });
});

describe('fuzz on a profile module', () => {
  it('--jobs 2 loads the module in each worker and finds what --jobs 1 finds', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const run = (jobs: string) => {
      const out = mkdtempSync(`${tmpdir()}/vmemlab-fz-`);
      const r = spawnSync(process.execPath, [`${root}bin/vmemlab.js`, 'fuzz', '--kernel', `${root}examples/profiles/subsection-ram.mjs`, '--arch', 'arm64', '--events', '2000', '--seed', '3', '--jobs', jobs, '--out', out], { encoding: 'utf8', env: { ...process.env, VMEMLAB_PROGRESS_MS: '3600000' } });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.replace(/ in [\d.]+ s \(\d+ events\/s\)/, '').replaceAll(out, 'OUT');
    };
    const one = run('1');
    expect(one).toMatch(/invariant violations \(bugs in vmemmap-lab\): 0/);
    expect(run('2')).toBe(one);
  });
});
