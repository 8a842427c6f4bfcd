/**
 * The range engine (src/kernel/engine.ts) runs a loop of identical kernel iterations at once
 * and falls back to single iterations where behaviour changes; how it batches is the model's
 * business, never the kernel's. So every random machine must give the same report, the same
 * dmesg (debug lines included) and the same text with the engine off (withoutBatching(): one
 * iteration at a time, as the kernel's loops run) as with it on, under released kernels and the
 * thread's proposals alike. This caught a kernel-anomaly text that quoted the number of blocks
 * in the engine's first batch ("first: 16 x 1 pfn(s)", then 64 after a tuning change).
 *
 * Machines are fuzz's random scenarios (src/sim/fuzz.ts randomScenario) kept small enough for
 * the per-iteration run: at most 16 GiB of boot RAM, 8 GiB of devices, 32 GiB hot-added.
 * The random seed is printed (replay with VMEMLAB_SEED).
 */
import { describe, expect, it } from 'vitest';
import { prng, randomScenario } from '../src/sim/fuzz.js';
import { readFileSync } from 'node:fs';
import { parseScenario, scenarioFromObject } from '../src/scenario/parse.js';
import { runScenario, type Scenario } from '../src/index.js';
import { withoutBatching } from '../src/kernel/engine.js';

const G = 2 ** 30;

type Obj = Record<string, unknown> & { nodes: { memory: { size: number }[] }[]; devices: { size: number }[]; steps: unknown[] };

function small(o: Obj): boolean {
  const ram = o.nodes.reduce((t, n) => t + n.memory.reduce((u, m) => u + m.size, 0), 0);
  const dev = o.devices.reduce((t, d) => t + d.size, 0);
  const added = o.steps.reduce<number>((t, st) => t + (typeof st === 'object' && st && 'hot-add' in st ? (st as { 'hot-add': { size: number } })['hot-add'].size : 0), 0);
  return ram <= 16 * G && dev <= 8 * G && added <= 32 * G;
}

/** The next `n` small machines of a seed under `kernel`. */
function machines(seed: number, kernel: string, n: number): Obj[] {
  const rnd = prng(seed);
  const out: Obj[] = [];
  for (let tries = 0; out.length < n && tries < 2000; tries++) {
    const o = randomScenario(rnd, { kernel, steps: 12 }) as Obj;
    if (small(o)) out.push(o);
  }
  return out;
}

/**
 * One output is known to depend on the batching today (docs/fidelity.md, "One systematic
 * deviation"), and is compared less strictly, by exact pattern:
 * - powerpc's pr_debug "      * <start>..<end> allocated at <p>" (init_64.c __vmemmap_populate):
 *   the kernel prints it right after the "vmemmap_populate" line of the call that allocated the
 *   block; a batch of calls prints all its "vmemmap_populate" lines first. Compared as a sorted
 *   list (same lines, any order).
 */
const ALLOCATED_AT = /^.*\* [0-9a-f]{16}\.\.[0-9a-f]{16} allocated at .*$/gm;

/**
 * What a run shows, uncut: the report without its dmesg lists (those stop a long run of one
 * message at a few lines and say how many more were omitted, which is per batch by design)
 * and every line the model's kernel logged, each repetition of a run written out.
 */
function outputs(o: Obj | Scenario): { text: string; allocatedAt: string[] } {
  const r = runScenario('steps' in o && Array.isArray(o.steps) && typeof o.steps[0] === 'object' && o.steps[0] !== null && 'kind' in o.steps[0] ? (o as Scenario) : scenarioFromObject('batching.json', o, { complete: true }));
  const report = JSON.stringify(r.report, (key, v) => (key === 'dmesg' ? undefined : v), 1);
  const lines: string[] = [];
  for (const m of r.machine.k.s.log) {
    for (let i = 0; i < (m.run?.count ?? 1); i++) for (const l of (i === 0 ? m.text : m.run!.nth(i)).replace(/\n$/, '').split('\n')) lines.push(`${m.step} <${m.level}> ${l}`);
  }
  const log = lines.join('\n');
  return {
    text: report + '\n----\n' + log.replace(ALLOCATED_AT, '').replace(/\n+/g, '\n'),
    allocatedAt: (log.match(ALLOCATED_AT) ?? []).sort(),
  };
}

/** The outputs of machine `i` of `seed` under `kernel`, batched and one iteration at a time. */
function both(kernel: string, seed: number, i: number): { o: Obj; batched: ReturnType<typeof outputs>; stepwise: ReturnType<typeof outputs> } {
  const o = machines(seed, kernel, i + 1)[i]!;
  return { o, batched: outputs(o), stepwise: withoutBatching(() => outputs(o)) };
}

const same = (b: ReturnType<typeof both>) => b.stepwise.text === b.batched.text && JSON.stringify(b.stepwise.allocatedAt) === JSON.stringify(b.batched.allocatedAt);

// released kernels across the populate/free variants, and the thread's proposals
const KERNELS = ['v7.1', 'v6.6', 'v5.10', 'v5.6', 'seed-v2', 'seed-v2-fallback', 'robin-arm64'];

/*
 * Machines that still differ (model bugs this test found, not fixed yet; docs/testing.md):
 * each is asserted to differ, so fixing one fails here until it is taken off the list. Until
 * the list is empty the suite runs fixed seeds only: a random seed would meet these kinds of
 * machine about every other run. VMEMLAB_SEED=<n> adds that seed (and prints what differs).
 */
const KNOWN: { kernel: string; seed: number; machine: number; what: string }[] = [
  { kernel: 'v7.1', seed: 1485929218, machine: 2, what: 'powerpc64 hash 64K: altmap_alloc_block_buf pr_debug lines only one page at a time' },
  { kernel: 'v6.6', seed: 42, machine: 2, what: 's390x without EDAT-1 (v6.6, no sparse buffer): boot memmap pages, 2 KiB page tables and 16 KiB segment tables come from memblock in another order, so its alignment gaps differ: free and managed pages 6 apart' },
];

describe('no result depends on how the range engine batches', () => {
  const seeds = [1, 2026, ...(process.env.VMEMLAB_SEED ? [Number(process.env.VMEMLAB_SEED)] : [])];
  for (const kernel of KERNELS) {
    it(`${kernel}: seeds ${seeds.join(', ')}, 6 small machines each`, () => {
      for (const s of seeds) {
        for (const [i, o] of machines(s, kernel, 6).entries()) {
          if (KNOWN.some((x) => x.kernel === kernel && x.seed === s && x.machine === i)) continue;
          const batched = outputs(o);
          const stepwise = withoutBatching(() => outputs(o));
          const what = `${kernel}, seed ${s}, machine ${i}: ${JSON.stringify(o).slice(0, 300)}`;
          expect(stepwise.text, what).toBe(batched.text);
          expect(stepwise.allocatedAt, what).toEqual(batched.allocatedAt);
        }
      }
    });
  }
  // the tutorial's machine (docs/model-a-patch.md) under the thread's proposals: the as-posted
  // fallback's kernel-anomaly once quoted the number of blocks in the engine's first batch
  for (const kernel of ['seed-v2', 'seed-v2-fallback', 'v5.9']) {
    it(`examples/pmem-arm64-64k.yaml under ${kernel}`, () => {
      const sc = parseScenario('examples/pmem-arm64-64k.yaml', readFileSync('examples/pmem-arm64-64k.yaml', 'utf8') + `\nkernel: ${kernel}\n`);
      const batched = outputs(sc);
      expect(withoutBatching(() => outputs(sc))).toEqual(batched);
    });
  }
  // machines a random seed found, fixed since (the seed, kernel and index name the machine)
  const FIXED = [
    { kernel: 'v7.1', seed: 71724678, machine: 0, what: 's390x without EDAT-1: 2 KiB boot page tables taken a page each one at a time, two to a page in a batch (now two to a page both ways: memblock packs them)' },
    { kernel: 'v7.1', seed: 7, machine: 1, what: 'powerpc64 radix 64K: "radix-mmu: PAGE_SIZE vmemmap mapping" and altmap_alloc_block_buf pr_debug lines in two groups (now page by page)' },
    { kernel: 'v6.6', seed: 5, machine: 1, what: 'loongarch64 16K: the PMD-level offnode warning named a PMD\'s part of a batch of section calls (now one call\'s part of the PMD)' },
    { kernel: 'v7.1', seed: 42, machine: 0, what: 'arm64 4K/52: the once-only "potential offnode page_structs" warning after all of a batch\'s altmap lines (now right after the line of the page that met it)' },
  ];
  for (const x of FIXED) {
    it(`regression: ${x.what} (${x.kernel}, seed ${x.seed}, machine ${x.machine})`, () => {
      const b = both(x.kernel, x.seed, x.machine);
      expect(b.stepwise.text).toBe(b.batched.text);
    });
  }
  for (const x of KNOWN) {
    it(`known difference, still there: ${x.what} (${x.kernel}, seed ${x.seed}, machine ${x.machine})`, () => {
      expect(same(both(x.kernel, x.seed, x.machine))).toBe(false);
    });
  }
});
