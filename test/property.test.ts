/**
 * Property tests: on small random machines the fast (range) model and the naive per-entry
 * reference (test/reference/) must agree on every step's result and on the state after it,
 * and the fast model must report no invariant violation other than the kernel's own
 * anomalies. The seed is printed; set VMEMLAB_SEED to replay, VMEMLAB_RUNS for more runs.
 * A failure prints the scenario: save it under test/regressions/ so it is replayed forever.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../src/scenario/parse.js';
import { findProfile, PROFILES } from '../src/kernels/index.js';
import { cutAtOops, runFast, runReference } from './reference/compare.js';

const M = 2 ** 20;
const G = 2 ** 30;

const archArb = fc.oneof(
  fc.record({ arch: fc.constant('x86_64'), config: fc.record({ levels: fc.constantFrom(4, 5), pse: fc.boolean() }) }),
  fc.record({ arch: fc.constant('arm64'), config: fc.constantFrom(
    { pageSize: '4K', vaBits: 48 }, { pageSize: '4K', vaBits: 39 }, { pageSize: '16K', vaBits: 47 },
    { pageSize: '16K', vaBits: 48 }, { pageSize: '64K', vaBits: 48 }, { pageSize: '64K', vaBits: 42 }) }),
);

const rangeArb = fc.record({ gap: fc.integer({ min: 0, max: 6 }), size: fc.integer({ min: 1, max: 768 }) });
const nodeArb = fc.record({ ranges: fc.array(rangeArb, { minLength: 1, maxLength: 2 }), used: fc.constantFrom(0, 0.5, 0.9, 0.97, 0.995) });

const stepArb = fc.oneof(
  fc.record({ t: fc.constant('hot-add'), node: fc.nat(2), slot: fc.nat(3), blocks: fc.integer({ min: 1, max: 12 }), skew: fc.constantFrom(0, 0, 0, 1) }),
  fc.record({ t: fc.constant('hot-remove'), slot: fc.nat(3), blocks: fc.integer({ min: 1, max: 12 }), offline: fc.boolean() }),
  fc.record({ t: fc.constant('online'), slot: fc.nat(3), blocks: fc.integer({ min: 1, max: 4 }), type: fc.constantFrom('online', 'online_movable') }),
  fc.record({ t: fc.constant('offline'), slot: fc.nat(3), blocks: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ t: fc.constant('create-namespace'), dev: fc.nat(1), mode: fc.constantFrom('fsdax', 'devdax', 'raw', 'fsdax'), map: fc.constantFrom('dev', 'mem', undefined), size16m: fc.option(fc.integer({ min: 1, max: 40 })), align: fc.constantFrom(undefined, undefined, 'page', 'pmd', 'pud') }),
  fc.record({ t: fc.constant('destroy-namespace'), dev: fc.nat(1) }),
  // device-dax compound pages without an altmap (vmemmap dedup), more often than chance would
  fc.record({ t: fc.constant('create-namespace'), dev: fc.nat(1), mode: fc.constant('devdax'), map: fc.constant('mem'), size16m: fc.option(fc.integer({ min: 1, max: 40 })), align: fc.constantFrom('pmd', 'pud') }),
  fc.record({ t: fc.constant('hugepages'), size: fc.constantFrom('pmd', 'pmd', 'pud'), count: fc.integer({ min: 0, max: 700 }), node: fc.option(fc.nat(2)) }),
  fc.record({ t: fc.constant('reconfigure-device'), dev: fc.nat(1), mom: fc.constantFrom(undefined, undefined, true, false), online: fc.constantFrom('movable', 'normal', 'none'), force: fc.boolean(), back: fc.boolean() }),
  // system-ram and straight back to devdax (kmem bound, blocks online or not), more often than chance would
  fc.record({ t: fc.constant('reconfigure-device'), dev: fc.nat(1), mom: fc.constantFrom(undefined, true), online: fc.constantFrom('movable', 'normal', 'none'), force: fc.boolean(), back: fc.constant('round-trip' as const) }),
);

export const machineArbForTests = fc.record({
  arch: archArb,
  nodes: fc.array(nodeArb, { minLength: 1, maxLength: 3 }),
  devices: fc.array(fc.record({ type: fc.constantFrom('nvdimm', 'nvdimm', 'hmem', 'cxl'), node: fc.nat(2), size16m: fc.integer({ min: 4, max: 160 }), skew2m: fc.constantFrom(0, 0, 1, 3) }), { maxLength: 2 }),
  steps: fc.array(stepArb, { maxLength: 9 }),
  faults: fc.array(fc.record({ alloc: fc.constantFrom('memblock', 'buddy', 'altmap'), nth: fc.integer({ min: 1, max: 300 }) }), { maxLength: 2 }),
  kernel: fc.constantFrom(...PROFILES.map((p) => p.id)),
  cmdline: fc.constantFrom('', '', 'memory_hotplug.memmap_on_memory=1', 'memory_hotplug.memmap_on_memory=force memhp_default_state=online',
    'memhp_default_state=online_movable memory_hotplug.memmap_on_memory=on', 'memory_hotplug.memmap_on_memory=y hugetlb_free_vmemmap=on',
    'hugetlb_free_vmemmap=on hugepages=64', 'hugetlb_free_vmemmap=on hugepagesz=1G hugepages=1 hugepagesz=2M hugepages=0:20,1:30', 'hugepages=300'),
});

const machineArb = machineArbForTests;
type MachineSpec = fc.ArbitraryValue<typeof machineArb>;

/** Turn a random spec into a scenario object (valid by construction). */
export function buildScenario(s: MachineSpec): Record<string, unknown> {
  const arm = s.arch.arch === 'arm64';
  const base = arm ? 0x40000000 : 0;
  let cur = base;
  const nodes = s.nodes.map((n, id) => {
    const memory = n.ranges.map((r) => {
      cur += r.gap * 64 * M;
      const m = { start: cur, size: r.size * 2 * M };
      cur += m.size;
      return m;
    });
    const total = memory.reduce((t, m) => t + m.size, 0);
    return { id, memory, used: Math.floor((total * n.used) / (64 * 1024)) * 64 * 1024 };
  });
  const nNodes = nodes.length;
  cur = Math.ceil(cur / G) * G + 4 * G;
  const devices = s.devices.map((d, i) => {
    const dev = { name: `${d.type}${i}`, type: d.type, node: d.node % nNodes, start: cur + d.skew2m * 2 * M, size: d.size16m * 16 * M };
    cur = Math.ceil((dev.start + dev.size) / G) * G + G;
    return dev;
  });
  const hp = Math.ceil(cur / (2 * G)) * 2 * G; // hot-plug area
  const block = 128 * M * (s.arch.arch === 'arm64' && s.arch.config.pageSize === '64K' ? 4 : 1);
  const page = s.arch.arch === 'arm64' ? (s.arch.config.pageSize === '64K' ? 64 * 1024 : s.arch.config.pageSize === '16K' ? 16384 : 4096) : 4096;
  const steps: unknown[] = ['boot'];
  for (const st of s.steps) {
    if (st.t === 'hot-add') steps.push({ 'hot-add': { node: st.node % nNodes, start: hp + st.slot * 2 * G + st.skew * 64 * M, size: st.blocks * block } });
    if (st.t === 'hot-remove') steps.push({ 'hot-remove': { start: hp + st.slot * 2 * G, size: st.blocks * block, offline: st.offline } });
    if (st.t === 'online') steps.push({ online: { start: hp + st.slot * 2 * G, size: st.blocks * block, type: st.type } });
    if (st.t === 'offline') steps.push({ offline: { start: hp + st.slot * 2 * G, size: st.blocks * block } });
    if (st.t === 'hugepages') {
      const size = st.size === 'pmd' ? (arm ? (page === 4096 ? 2 * M : page === 16384 ? 32 * M : 512 * M) : 2 * M) : (page === 4096 ? G : 2 * M);
      const args: Record<string, unknown> = { size, count: st.size === 'pud' ? st.count % 3 : st.count };
      if (st.node !== null) args.node = st.node % nNodes;
      steps.push({ hugepages: args });
    }
    if ((st.t === 'create-namespace' || st.t === 'destroy-namespace' || st.t === 'reconfigure-device') && devices.length === 0) continue;
    if (st.t === 'reconfigure-device') {
      const d = devices[st.dev % devices.length]!;
      const devdax = steps.some((x) => typeof x === 'object' && (x as Record<string, { device?: string; mode?: string }>)['create-namespace']?.device === d.name && (x as Record<string, { mode?: string }>)['create-namespace']?.mode === 'devdax');
      if (d.type === 'nvdimm' && !devdax) continue;
      const back = st.back === true;
      const args: Record<string, unknown> = { device: d.name, mode: back ? 'devdax' : 'system-ram', ...(back ? {} : { online: st.online }), force: st.force };
      if (st.mom !== undefined && !back) args.memmapOnMemory = st.mom;
      steps.push({ 'reconfigure-device': args });
      if (st.back === 'round-trip') steps.push({ 'reconfigure-device': { device: d.name, mode: 'devdax', force: st.force } });
    }
    if ((st.t === 'create-namespace' || st.t === 'destroy-namespace') && devices[st.dev % devices.length]!.type !== 'nvdimm') continue;
    if (st.t === 'create-namespace') {
      const args: Record<string, unknown> = { device: devices[st.dev % devices.length]!.name, mode: st.mode };
      if (st.mode !== 'raw' && st.map) args.map = st.map;
      if (st.size16m !== null) args.size = st.size16m * 16 * M;
      if (st.align === 'page') args.align = page;
      if (st.align === 'pmd' && st.mode !== 'raw') args.align = arm ? (page === 4096 ? 2 * M : page === 16384 ? 32 * M : 512 * M) : 2 * M;
      if (st.align === 'pud' && st.mode !== 'raw') args.align = page === 4096 ? G : page === 16384 ? 32 * M : 512 * M;
      steps.push({ 'create-namespace': args });
    }
    if (st.t === 'destroy-namespace') {
      const dev = devices[st.dev % devices.length]!.name;
      if (steps.some((x) => typeof x === 'object' && (x as Record<string, { device?: string }>)['create-namespace']?.device === dev)) steps.push({ 'destroy-namespace': { device: dev } });
    }
  }
  return { arch: s.arch.arch, config: s.arch.config, kernel: s.kernel, cmdline: s.cmdline, nodes, devices, faults: s.faults, steps };
}

function check(obj: Record<string, unknown>): void {
  const yaml = stringify(obj);
  const sc = parseScenario('random.yaml', yaml);
  const fast = runFast(sc);
  const ref = cutAtOops(fast, runReference(sc));
  const ctx = `scenario (save under test/regressions/ to keep it):\n${yaml}`;
  // releases must keep the invariants; the thread's proposals are modelled with their defects
  if (findProfile(sc.kernel)!.kind === 'release') expect(fast.violations, ctx).toEqual([]);
  expect(fast.steps, ctx).toEqual(ref.steps);
  for (let i = 0; i < ref.states.length; i++) expect(fast.states[i], `state after step ${i + 1}; ${ctx}`).toEqual(ref.states[i]);
  expect(fast.altmapLines, ctx).toEqual(ref.altmapLines);
  expect(fast.offnode, ctx).toEqual(ref.offnode);
}

const seed = process.env.VMEMLAB_SEED ? Number(process.env.VMEMLAB_SEED) : Date.now() % 2 ** 31;
const runs = process.env.VMEMLAB_RUNS ? Number(process.env.VMEMLAB_RUNS) : 200;

/**
 * Fixed seeds run on every test run (the same machines each time: a failure is reproducible
 * from CI's log alone), beside the one random seed above. They include the seeds of past
 * property-test failures (each also kept as a regression scenario below).
 */
const FIXED_SEEDS = [1, 12, 2026, 1027655423, 1025779616, 1319586055];
const fixedRuns = 60;

describe('fast model = reference model', () => {
  it(`random machines (seed ${seed}, ${runs} runs)`, () => {
    console.log(`property test seed: ${seed} (replay with VMEMLAB_SEED=${seed})`);
    fc.assert(fc.property(machineArb, (spec) => check(buildScenario(spec))), { seed, numRuns: runs, endOnFailure: true });
  }, 300_000);

  for (const fixed of FIXED_SEEDS) {
    it(`fixed seed ${fixed} (${fixedRuns} runs)`, () => {
      fc.assert(fc.property(machineArb, (spec) => check(buildScenario(spec))), { seed: fixed, numRuns: fixedRuns, endOnFailure: true });
    }, 300_000);
  }

  const dir = new URL('./regressions/', import.meta.url);
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
    it(`regression ${f}`, () => {
      const sc = parseScenario(f, readFileSync(new URL(f, dir)));
      const fast = runFast(sc);
      const ref = cutAtOops(fast, runReference(sc));
      expect(fast.violations).toEqual([]);
      expect(fast.steps).toEqual(ref.steps);
      expect(fast.states).toEqual(ref.states);
      expect(fast.altmapLines).toEqual(ref.altmapLines);
      expect(fast.offnode).toEqual(ref.offnode);
    });
  }
});
