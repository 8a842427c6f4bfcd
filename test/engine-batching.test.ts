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
import { beforeAll, describe, expect, it } from 'vitest';
import { prng, randomScenario } from '../src/sim/fuzz.js';
import { readFileSync } from 'node:fs';
import { parseScenario, scenarioFromObject } from '../src/scenario/parse.js';
import { runScenario, type Scenario } from '../src/index.js';
import { withoutBatching } from '../src/kernel/engine.js';
import { renderMessage } from '../src/kernel/printk.js';
import { createMachine, runStep, type StepResult } from '../src/sim/machine.js';

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
 * Before v6.0 vmemmap_verify() warns for every offnode page (pr_warn, not pr_warn_once): the
 * kernel prints each warning between the debug lines of the page it checks, a batch after all
 * of them. A message holds lines of one level, so that order cannot be kept without giving up
 * the batch (docs/fidelity.md, "One systematic deviation"); those warnings alone are compared
 * per step as a sorted list. Every other line, and these from v6.0 on, in order.
 */
const OFFNODE = / potential offnode page_structs$/;

/**
 * What a run shows, uncut: the report without its dmesg lists (those stop a long run of one
 * message at a few lines and say how many more were omitted, which is per batch by design)
 * and every line the model's kernel logged, each repetition of a run written out.
 */
function outputs(o: Obj | Scenario, strict = false): string {
  const sc = 'steps' in o && Array.isArray(o.steps) && typeof o.steps[0] === 'object' && o.steps[0] !== null && 'kind' in o.steps[0] ? (o as Scenario) : scenarioFromObject('batching.json', o, { complete: true });
  const r = runScenario(sc);
  const report = JSON.stringify(r.report, (key, v) => (key === 'dmesg' ? undefined : v), 1);
  const perPage = !strict && !r.machine.k.profile.vmemmapVerifyOnce;
  const lines: string[] = [];
  const offnode = new Map<number, string[]>();
  for (const m of r.machine.k.s.log) {
    for (let i = 0; i < (m.run?.count ?? 1); i++) {
      for (const l of (i === 0 ? m.text : m.run!.nth(i)).replace(/\n$/, '').split('\n')) {
        if (perPage && m.level === 4 && OFFNODE.test(l)) {
          // (pushed in place: copying the list per line made a 64,000-line machine take 25 s)
          const ls = offnode.get(m.step);
          if (ls) ls.push(l);
          else offnode.set(m.step, [l]);
        }
        else lines.push(`${m.step} <${m.level}> ${l}`);
      }
    }
  }
  const sorted = [...offnode].map(([step, ls]) => `${step} <4> (${ls.length}, any order) ${ls.sort().join(' | ')}`);
  return report + '\n----\n' + lines.join('\n') + '\n----\n' + sorted.join('\n');
}

/** The outputs of machine `i` of `seed` under `kernel`, batched and one iteration at a time. */
function both(kernel: string, seed: number, i: number): { o: Obj; batched: ReturnType<typeof outputs>; stepwise: ReturnType<typeof outputs> } {
  const o = machines(seed, kernel, i + 1)[i]!;
  return { o, batched: outputs(o), stepwise: withoutBatching(() => outputs(o)) };
}

const same = (b: ReturnType<typeof both>) => b.stepwise === b.batched;

// released kernels across the populate/free variants, and the thread's proposals
const KERNELS = ['v7.1', 'v6.6', 'v5.10', 'v5.6', 'seed-v2', 'seed-v2-fallback', 'robin-arm64'];

/*
 * Machines that still differ (model bugs this test found, not fixed yet; docs/testing.md):
 * each is asserted to differ, so fixing one fails here until it is taken off the list.
 */
const KNOWN: { kernel: string; seed: number; machine: number; what: string }[] = [];

/** One random seed a run (printed; VMEMLAB_SEED replays it) beside the fixed ones. */
const seed = process.env.VMEMLAB_SEED ? Number(process.env.VMEMLAB_SEED) : Date.now() % 2 ** 31;

describe('no result depends on how the range engine batches', () => {
  const seeds = [1, 2026, seed];
  beforeAll(() => console.log(`engine batching test seed: ${seed} (replay with VMEMLAB_SEED=${seed})`));
  for (const kernel of KERNELS) {
    it(`${kernel}: seeds 1, 2026 and ${seed}, 6 small machines each`, () => {
      for (const s of seeds) {
        for (const [i, o] of machines(s, kernel, 6).entries()) {
          if (KNOWN.some((x) => x.kernel === kernel && x.seed === s && x.machine === i)) continue;
          const batched = outputs(o);
          const stepwise = withoutBatching(() => outputs(o));
          const what = `${kernel}, seed ${s}, machine ${i}: ${JSON.stringify(o).slice(0, 300)}`;
          expect(stepwise, what).toBe(batched);
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
  // machines a random seed found, kept since: the machine itself (test/batching-fixed/, written
  // by the generator of the day: a later generator change would give the seed another machine),
  // or the seed, kernel and index where the generator still gives one of the kind
  const FIXED: { what: string; file?: string; kernel?: string; seed?: number; machine?: number }[] = [
    { file: 's390x-v7.1-boot-tables-no-edat1', what: 's390x without EDAT-1: 2 KiB boot page tables taken a page each one at a time, two to a page in a batch (now two to a page both ways: memblock packs them)' },
    { kernel: 'v7.1', seed: 7, machine: 1, what: 'powerpc64 radix 64K: "radix-mmu: PAGE_SIZE vmemmap mapping" and altmap_alloc_block_buf pr_debug lines in two groups (now page by page)' },
    { file: 'loongarch64-v6.6-pmd-offnode-batch', what: 'loongarch64 16K: the PMD-level offnode warning named a PMD\'s part of a batch of section calls (now one call\'s part of the PMD)' },
    { file: 'powerpc64-hash64k-call-lines-order', what: 'powerpc64 hash 64K: a batch of section calls printed all its "vmemmap_populate" lines before any block\'s altmap and "allocated at" lines (now each call\'s line, then the blocks it populates)' },
    { file: 'powerpc64-hash4k-v5.6-vmemmap-list-warn-order', what: 'powerpc64 hash 4K (<= v5.9: a vmemmap_list failure WARNs per block): the blocks of a batch before the WARNs logged their altmap lines, then their "allocated at" lines (now block by block, the WARNs in place)' },
    { kernel: 'v7.1', seed: 45, machine: 3, what: 'powerpc64 radix 4K: "radix-mmu: PMD_SIZE vmemmap mapping" and altmap_alloc_block_buf pr_debug lines in two groups (now PMD by PMD)' },
    { file: 'x86-seed-v2-fallback-ram-charged-altmap-run', what: 'x86_64: the free path\'s "RAM-backed memmap charged to the altmap" finding, one for a batch of PMD blocks and one per block one at a time (now one per run of such blocks both ways)' },
    { file: 'arm64-4k52-offnode-once-order', what: 'arm64 4K/52: the once-only "potential offnode page_structs" warning after all of a batch\'s altmap lines (now right after the line of the page that met it)' },
    // (two s390x machines of two nodes, whose boot tables came from the other node, are gone:
    // s390x has one NUMA node and such scenarios are refused)
  ];
  for (const x of FIXED) {
    it(`regression: ${x.what} (${x.file ? `test/batching-fixed/${x.file}.json` : `${x.kernel}, seed ${x.seed}, machine ${x.machine}`})`, () => {
      const o = x.file ? (JSON.parse(readFileSync(`test/batching-fixed/${x.file}.json`, 'utf8')) as Obj) : machines(x.seed!, x.kernel!, x.machine! + 1)[x.machine!]!;
      expect(withoutBatching(() => outputs(o))).toBe(outputs(o));
    });
  }
  // fuzz's lean machines (Kernel.lazyText) put powerpc's call lines in order only when read
  it('powerpc hash: a lean machine\'s log, read, is the one a normal run prints', () => {
    const o = JSON.parse(readFileSync('test/batching-fixed/powerpc64-hash64k-call-lines-order.json', 'utf8')) as Obj;
    const lines = (lean: boolean) => {
      const sc = scenarioFromObject('batching.json', o, { complete: true });
      const m = createMachine(sc, { lean });
      const results: StepResult[] = [];
      for (const st of sc.steps) results.push(runStep(m, st, results));
      expect(m.k.lazyText).toBe(lean);
      return m.k.s.log.map((x) => `${x.step} <${x.level}> ${x.approx ? '~' : ''}${renderMessage(x, 1e9).join('\n')}`).join('\n');
    };
    const eager = lines(false);
    // a call line, then the altmap line of the block that call populates, in one message
    expect(eager).toMatch(/vmemmap_populate c00c[0-9a-f]+\.\.c00c[0-9a-f]+, node \d\naltmap_alloc_block_buf: pfn/);
    expect(lines(true)).toBe(eager);
  });
  it('the one deviation, pinned: v5.10 arm64 16K (seed 42, machine 0) prints its per-page offnode warnings in another place when batched, the same warnings', () => {
    const o = machines(42, 'v5.10', 1)[0]!;
    // in order they differ (when this fails, the deviation is gone: drop OFFNODE)
    expect(withoutBatching(() => outputs(o, true))).not.toBe(outputs(o, true));
    expect(withoutBatching(() => outputs(o))).toBe(outputs(o));
  });
  for (const x of KNOWN) {
    it.skipIf(KNOWN.length === 0)(`known difference, still there: ${x.what} (${x.kernel}, seed ${x.seed}, machine ${x.machine})`, () => {
      expect(same(both(x.kernel, x.seed, x.machine))).toBe(false);
    });
  }
});
