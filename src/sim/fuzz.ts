/**
 * `vmemlab fuzz`: random machines and random boot / hot-add / hot-remove / online / offline /
 * namespace sequences, every invariant checked after every step, failures shrunk to a small
 * scenario that reproduces them. Pure (no Node imports): the CLI adds progress and files.
 *
 * Two kinds of result are kept apart, named as `run` and `compare` name them:
 *  - invariant violations: the model broke an invariant that holds whatever the kernel does
 *    (altmap-accounting, tables-from-ram, ram-accounting, counters) - a bug in vmemmap-lab;
 *  - predicted kernel bugs: a predicted kernel oops (the kernel touched a struct page that is
 *    not mapped; the machine is dead from there), and the checks' kernel findings:
 *    memmap-coverage and kernel-anomaly, i.e. places where the modelled kernel itself leaves
 *    struct pages unmapped or leaks (see docs/fidelity.md), and any check result first seen
 *    in a step where the kernel did such a thing (its bookkeeping is then off for real: e.g. a
 *    memmap page shared by two namespaces freed to the wrong altmap). See classify().
 */
import { scenarioFromObject, type Scenario } from '../scenario/parse.js';
import { arm64VaBits, type Arm64PageSize } from '../arch/arm64.js';
import { riscvModes } from '../arch/riscv64.js';
import { resolveArch, withArchCache } from '../arch/index.js';
import { ARCH_NAMES, type ArchName } from '../arch/types.js';
import { DEFAULT_KERNEL, findProfile, type KernelProfile } from '../kernels/index.js';
import { createMachine, runStep, type StepResult } from './machine.js';
import type { Violation } from '../check/invariants.js';
import type { Oops } from '../kernel/fault.js';

export interface FuzzOptions {
  seed: number;
  events: number;
  arch?: ArchName;
  kernel?: string;
  /** Steps after boot per random machine. */
  stepsPerMachine?: number;
  /** Check every invariant over the whole state after every step (see sim/machine.ts checkStep). */
  paranoid?: boolean;
  /** How fuzz() runs a case (default runCase; tests put a stand-in here). */
  runCase?: (obj: Record<string, unknown>) => CaseResult;
  onProgress?: (p: FuzzProgress) => void;
}

export interface FuzzProgress {
  events: number;
  total: number;
  machines: number;
  violations: number;
  findings: number;
  oopses: number;
}

export interface FuzzCase {
  /** The invariant and the detail of the first failure. */
  what: string;
  invariant: string;
  /** A scenario object (write it as YAML or JSON) that reproduces it, shrunk. */
  scenario: Record<string, unknown>;
  /** Steps in the shrunk scenario. */
  steps: number;
}

export interface FuzzResult {
  seed: number;
  events: number;
  machines: number;
  violations: number;
  /** Machines with a predicted kernel bug (an oops or a kernel finding of the checks). */
  findings: number;
  /** Machines whose kernel the model predicts to oops (counted in `findings` too). */
  oopses: number;
  /** Shrunk reproducers: every violation, and one per distinct kind of predicted kernel bug (an oops: one per faulting function). */
  failures: FuzzCase[];
  findingCases: FuzzCase[];
}

export { FINDING_INVARIANTS, classify } from '../check/invariants.js';

/** mulberry32: a small deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const M = 2 ** 20;
const G = 2 ** 30;

/** The arches a kernel profile can run: loongarch64 from v6.2 (its vmemmap), ia64 up to v6.6, powerpc64 where the profile has it (every built-in one). */
export function fuzzArches(p: KernelProfile): ArchName[] {
  return ARCH_NAMES.filter((a) => (a !== 'loongarch64' || p.loongarchVmemmap) && (a !== 'ia64' || p.ia64) && (a !== 'powerpc64' || p.ppc64));
}

/** powerpc64 configs the fuzzer picks from (radix 64K, the distro default, twice). */
export const PPC_FUZZ_CONFIGS: Record<string, unknown>[] = [
  { mmu: 'radix', pageSize: '64K' }, { mmu: 'radix', pageSize: '64K' }, { mmu: 'radix', pageSize: '4K' },
  { mmu: 'hash', pageSize: '64K', hash16M: false }, { mmu: 'hash', pageSize: '64K' }, { mmu: 'hash', pageSize: '4K', hash16M: false }, { mmu: 'hash', pageSize: '4K' },
];

/**
 * A random, valid scenario object, complete: every key the schema gives a default is written
 * out, so fuzz() runs it with runCase's `complete` and skips the schema pass (scenarioFromObject's `complete`;
 * test/fuzz-complete.test.ts checks the schema returns these objects unchanged).
 */
export function randomScenario(rnd: () => number, o: { arch?: string; kernel?: string; steps: number }): Record<string, unknown> {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const prof = findProfile(o.kernel ?? DEFAULT_KERNEL)!;
  const arch = o.arch ?? pick(fuzzArches(prof));
  const config = arch === 'x86_64' ? { levels: pick([4, 4, 5]), pse: rnd() < 0.85, hypervisor: rnd() < 0.3 }
    : arch === 'riscv64' ? { mode: pick(riscvModes(prof)) }
    : arch === 's390x' ? pick([{ edat1: true }, { edat1: true }, { edat1: false }])
    : arch === 'ia64' ? pick([{ pageSize: '16K', levels: 3 }, { pageSize: '16K', levels: 4 }, { pageSize: '64K', levels: 3 }, { pageSize: '4K', levels: 3 }, { pageSize: '8K', levels: 4 }])
    : arch === 'powerpc64' ? pick(PPC_FUZZ_CONFIGS)
    : arch === 'loongarch64' ? pick([{ pageSize: '16K', levels: 3 }, { pageSize: '16K', levels: 3 }, { pageSize: '4K', levels: 4 }, { pageSize: '64K', levels: 3 }, { pageSize: '64K', levels: 2 }])
    : pick([{ pageSize: '4K', vaBits: 48 }, { pageSize: '4K', vaBits: 39 }, { pageSize: '4K', vaBits: 52 }, { pageSize: '16K', vaBits: 47 },
      { pageSize: '16K', vaBits: 48 }, { pageSize: '64K', vaBits: 48 }, { pageSize: '64K', vaBits: 42 }, { pageSize: '64K', vaBits: 52 }]
      .filter((c) => arm64VaBits(c.pageSize as Arm64PageSize, prof).includes(c.vaBits)));
  const pageSize = (config as { pageSize?: string }).pageSize;
  const page = pageSize ? ({ '4K': 4096, '8K': 8192, '16K': 16384, '64K': 65536 } as Record<string, number>)[pageSize]! : 4096;
  // s390x: at most ~1.2 TiB, well inside its 3-level layout (more is refused: 4-level not modelled)
  const scale = pick(arch === 's390x' ? [2 * M, 2 * M, 64 * M, 256 * M] : [2 * M, 2 * M, 64 * M, G]);
  let cur = arch === 'arm64' ? G : arch === 'riscv64' ? 2 * G : 0;
  // s390x: one node (numa_setup(), arch/s390/kernel/numa.c; the scenario parser refuses more)
  const nNodes = arch === 's390x' ? 1 : int(1, 4);
  const nodes = Array.from({ length: nNodes }, (_, id) => {
    const memory = Array.from({ length: int(1, 2) }, () => {
      cur += int(0, 4) * 64 * M;
      const m = { start: cur, size: int(1, 600) * scale };
      cur += m.size;
      return m;
    });
    const total = memory.reduce((t, m) => t + m.size, 0);
    const used = Math.floor((total * pick([0, 0, 0.5, 0.9, 0.98, 0.999])) / page) * page;
    return { id, memory, used };
  });
  cur = Math.ceil(cur / G) * G + 4 * G;
  // hmem and cxl devices only where the arch has them (src/arch lacks.softReserved, .cxl)
  const lacks = resolveArch(arch as ArchName, config, prof).cfg.lacks;
  const types = ['nvdimm', 'nvdimm', 'nvdimm', ...(lacks.softReserved ? [] : ['hmem']), ...(lacks.cxl ? [] : ['cxl'])];
  const devices = Array.from({ length: int(0, 3) }, (_, i) => {
    const type = arch === 's390x' ? 'nvdimm' : pick(types); // s390x: no pick, as before (seeds keep their machines)
    const d: Record<string, unknown> & { name: string; type: string; start: number; size: number } = { name: `${type === 'nvdimm' ? 'pmem' : type}${i}`, type, node: int(0, nNodes - 1), start: cur + pick([0, 0, 0, 2 * M, 16 * M]), size: int(1, 200) * 16 * M };
    if (type === 'nvdimm') d.labels = rnd() < 0.9;
    cur = Math.ceil((d.start + d.size) / G) * G + G;
    return d;
  });
  const hp = Math.ceil(cur / (2 * G)) * 2 * G;
  // memory_block_size_bytes(): the section size (512 MiB on arm64 64K and loongarch64, 1 or 4 GiB on ia64), x86 128 MiB here
  // s390x: the section size, 256 MiB (128 MiB from v6.13: the smaller one stays aligned); powerpc64: ibm,lmb-size 256 MiB
  const block = arch === 's390x' || arch === 'powerpc64' ? 256 * M : arch === 'ia64' ? (page === 65536 ? 4 * G : G) : (arch === 'arm64' && page === 65536) || arch === 'loongarch64' ? 512 * M : 128 * M;
  const slot = () => hp + int(0, 5) * 4 * G + pick([0, 0, 0, 0, 64 * M, 2 * M]);
  const steps: unknown[] = ['boot'];
  const namespaces: Record<string, string[]> = {};
  for (let i = 0; i < o.steps; i++) {
    const r = rnd();
    if (r < 0.22) steps.push({ 'hot-add': { node: int(0, nNodes - 1), start: slot(), size: int(1, 16) * pick([block, block, block, 64 * M]) } });
    else if (r < 0.38) steps.push({ 'hot-remove': { start: slot(), size: int(1, 16) * block, offline: rnd() < 0.8 } });
    else if (r < 0.5) steps.push({ online: { start: slot(), size: int(1, 4) * block, type: pick(['online', 'online_movable', 'online_kernel']) } });
    else if (r < 0.6) steps.push({ offline: { start: slot(), size: int(1, 4) * block } });
    else if (devices.length === 0) continue;
    else if (r < 0.66) {
      const d = pick(devices);
      if (d.type === 'nvdimm' && !(namespaces[d.name] ?? []).includes('devdax')) continue;
      const back = rnd() < 0.3;
      // (daxctl refuses --no-online with --mode=devdax: only system-ram takes an online mode)
      const a: Record<string, unknown> = back ? { device: d.name, mode: 'devdax', online: 'movable' } : { device: d.name, mode: 'system-ram', online: pick(['movable', 'movable', 'normal', 'none']) };
      if (!back && rnd() < 0.3) a.memmapOnMemory = rnd() < 0.7;
      a.force = rnd() < 0.3;
      steps.push({ 'reconfigure-device': a });
    } else if (devices.every((d) => d.type !== 'nvdimm')) continue;
    else if (r < 0.85) {
      const d = pick(devices.filter((x) => x.type === 'nvdimm'));
      const mode = pick(['fsdax', 'fsdax', 'devdax', 'raw']);
      const a: Record<string, unknown> = { device: d.name, mode };
      if (mode !== 'raw' && rnd() < 0.7) a.map = pick(['dev', 'mem']);
      if (rnd() < 0.6) a.size = int(1, 64) * 16 * M;
      if (mode !== 'raw' && rnd() < 0.4) a.align = pick([page, 2 * M, 32 * M, 512 * M, G]);
      steps.push({ 'create-namespace': a });
      (namespaces[d.name] ??= []).push(mode);
    } else {
      const names = Object.keys(namespaces);
      if (names.length === 0) continue;
      steps.push({ 'destroy-namespace': { device: pick(names), force: true } });
    }
  }
  const sc: Record<string, unknown> = { arch, config, nodes, devices, steps };
  if (o.kernel) sc.kernel = o.kernel;
  sc.faults = rnd() < 0.15 ? [{ alloc: pick(['memblock', 'buddy', 'altmap']), nth: int(1, 400) }] : [];
  sc.cmdline = [pick(['', '', 'memory_hotplug.memmap_on_memory=1', 'memory_hotplug.memmap_on_memory=force']), pick(['', '', 'memhp_default_state=online', 'memhp_default_state=online_movable'])].filter(Boolean).join(' ');
  return sc;
}

/**
 * Run a scenario object: the first violation (a vmemmap-lab bug), the first predicted kernel
 * bug of the checks (finding), the predicted kernel oops if the kernel died (as a finding of
 * kind 'kernel-oops': the step stops there and nothing runs after it), and the events run.
 */
export function runCase(obj: Record<string, unknown>, opts: { paranoid?: boolean; complete?: boolean } = {}): { events: number; violation: Violation | null; finding: Violation | null; oops: Violation | null; findingAt: number } {
  const sc: Scenario = scenarioFromObject('fuzz.json', obj, { complete: opts.complete });
  const m = createMachine(sc, { paranoid: opts.paranoid, lean: true });
  const results: StepResult[] = [];
  let violation: Violation | null = null;
  let finding: Violation | null = null;
  let findingAt = -1;
  let oops: Violation | null = null;
  for (const st of sc.steps) {
    const r = runStep(m, st, results);
    results.push(r);
    if (!finding && r.kernelBugs.length) {
      finding = r.kernelBugs[0]!;
      findingAt = results.length - 1;
    }
    violation ??= r.violations[0] ?? null;
    if (r.oops) oops = oopsFinding(r.oops);
    if (violation || oops) break;
  }
  return { events: results.length, violation, finding, oops, findingAt };
}

/** A predicted oops in the shape of a check result (kind 'kernel-oops'), for counting and shrinking. */
export function oopsFinding(o: Oops): Violation {
  return { invariant: 'kernel-oops', step: o.step, range: `va 0x${o.va}`, fn: o.site, detail: `predicted kernel oops: Unable to handle kernel paging request in ${o.fn} (${o.what})` };
}

/** Drop steps (keeping boot) while the same invariant still fails: a small reproducer. */
export function shrink(obj: Record<string, unknown>, invariant: string, isFinding: boolean, opts: { paranoid?: boolean; complete?: boolean } = {}, ran?: CaseResult): Record<string, unknown> {
  const fails = (o: Record<string, unknown>) => {
    try {
      const r = runCase(o, opts);
      const v = invariant === 'kernel-oops' ? r.oops : isFinding ? r.finding : r.violation;
      return v !== null && v.invariant === invariant;
    } catch {
      return false;
    }
  };
  let cur = obj;
  let steps = [...(cur.steps as unknown[])];
  // The steps after the one that failed never change the outcome (a case stops at its first
  // violation or oops, and only its first kernel bug counts; no step refers to a later one),
  // so they go in one cut: the same reproducer as dropping them one at a time, for one run.
  const r0 = ran ?? runCase(cur, opts);
  const last = invariant === 'kernel-oops' || !isFinding ? r0.events - 1 : r0.findingAt;
  if (last >= 0 && last < steps.length - 1) {
    const cand = steps.slice(0, last + 1);
    const o = { ...cur, steps: cand };
    if (fails(o)) { steps = cand; cur = o; }
  }
  for (let i = steps.length - 1; i >= 1; i--) {
    const cand = steps.filter((_, j) => j !== i);
    const o = { ...cur, steps: cand };
    if (fails(o)) { steps = cand; cur = o; }
  }
  // without the injected fault (the object stays complete: faults: [] is the default)
  if ((cur.faults as unknown[] | undefined)?.length) {
    const o = { ...cur, faults: [] };
    if (fails(o)) cur = o;
  }
  return { ...cur, steps };
}

/** A case as a reproducer file shows it: the top-level keys left at their defaults (no faults, an empty command line) are dropped. */
export function forWriting(obj: Record<string, unknown>): Record<string, unknown> {
  const o = { ...obj };
  if ((o.faults as unknown[] | undefined)?.length === 0) delete o.faults;
  if (o.cmdline === '') delete o.cmdline;
  return o;
}

/** The outcome of one random machine (see runCase). */
export type CaseResult = ReturnType<typeof runCase>;

/** mulberry32 with its state readable and settable (a case generated ahead can be taken back). */
export function prngState(seed: number): { next: () => number; state: number } {
  const g = {
    state: seed >>> 0,
    next: () => {
      g.state = (g.state + 0x6d2b79f5) >>> 0;
      let t = g.state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
  return g;
}

/** The fuzz loop's state between cases: the result so far and what it has seen. */
class FuzzRun {
  readonly res: FuzzResult;
  private readonly seen = new Set<string>();
  readonly rnd: { next: () => number; state: number };

  constructor(readonly o: FuzzOptions) {
    this.res = { seed: o.seed, events: 0, machines: 0, violations: 0, findings: 0, oopses: 0, failures: [], findingCases: [] };
    this.rnd = prngState(o.seed);
  }

  /** Steps after boot for the next machine, given `events` run so far: the same for every count
   *  until the last machines, which are cut to the events left. */
  stepsFor(events: number): number {
    return Math.min(this.o.stepsPerMachine ?? 40, Math.max(1, this.o.events - events - 1));
  }

  /** The next random machine, given `events` run (or predicted) so far. */
  next(events: number): Record<string, unknown> {
    return randomScenario(this.rnd.next, { arch: this.o.arch, kernel: this.o.kernel, steps: this.stepsFor(events) });
  }

  /** Count one case's outcome, shrinking a violation and each new kind of finding. */
  add(obj: Record<string, unknown>, r: CaseResult): void {
    const res = this.res;
    const o = this.o;
    res.events += r.events;
    res.machines++;
    if (r.violation) {
      res.violations++;
      const s = shrink(obj, r.violation.invariant, false, { paranoid: o.paranoid, complete: true }, r);
      res.failures.push({ what: `${r.violation.invariant}: ${r.violation.detail}`, invariant: r.violation.invariant, scenario: s, steps: (s.steps as unknown[]).length });
    }
    if (r.finding || r.oops) res.findings++;
    if (r.oops) {
      res.oopses++;
      // one reproducer per faulting access (function and site), whatever the device's name
      const key = 'kernel-oops:' + r.oops.fn + ':' + (/in (\S+)/.exec(r.oops.detail)?.[1] ?? '');
      if (!this.seen.has(key)) {
        this.seen.add(key);
        const s = shrink(obj, 'kernel-oops', true, { paranoid: o.paranoid, complete: true }, r);
        res.findingCases.push({ what: `kernel-oops: ${r.oops.detail}`, invariant: 'kernel-oops', scenario: s, steps: (s.steps as unknown[]).length });
      }
    }
    if (r.finding) {
      // one reproducer per kind: addresses, pfns and counts (hex tokens with a digit or of 4+
      // letters, decimal numbers) do not make a new kind
      const key = r.finding.invariant + ':' + r.finding.detail.replace(/\b(?:0x)?(?:[0-9a-f]*\d[0-9a-f]*|[0-9a-f]{4,})\b|\d+/g, '#');
      if (!this.seen.has(key)) {
        this.seen.add(key);
        const s = shrink(obj, r.finding.invariant, true, { paranoid: o.paranoid, complete: true }, r);
        res.findingCases.push({ what: `${r.finding.invariant}: ${r.finding.detail}`, invariant: r.finding.invariant, scenario: s, steps: (s.steps as unknown[]).length });
      }
    }
    o.onProgress?.({ events: res.events, total: o.events, machines: res.machines, violations: res.violations, findings: res.findings, oopses: res.oopses });
  }
}

export function fuzz(o: FuzzOptions): FuzzResult {
  // one arch object per configuration for the whole run (src/arch/index.ts withArchCache)
  return withArchCache(() => {
    const run = new FuzzRun(o);
    while (run.res.events < o.events) {
      const obj = run.next(run.res.events);
      run.add(obj, o.runCase ? o.runCase(obj) : runCase(obj, { paranoid: o.paranoid, complete: true }));
    }
    return run.res;
  });
}

/**
 * fuzz() with the cases run elsewhere (worker threads: the CLI's --jobs), in batches of about
 * `batch` cases, giving exactly fuzz()'s result. Cases are generated ahead, assuming each runs
 * all its steps. A case that stops early (a violation, an oops) makes the count behind the
 * later cases smaller than assumed; that matters only where the count chose a case's number of
 * steps (the last machines of the run), so a later case is kept when it got the number of steps
 * the true count gives, and from the first one that did not, the cases are generated again.
 */
export async function fuzzBatched(o: FuzzOptions, runBatch: (cases: Record<string, unknown>[]) => Promise<CaseResult[]>, batch: number): Promise<FuzzResult> {
  const run = new FuzzRun(o);
  type Case = { obj: Record<string, unknown>; steps: number; before: number };
  type Batch = { cases: Case[]; results: Promise<CaseResult[]>; end: number };
  // generate a batch after `from` predicted events and start running it
  const start = (from: number): Batch | null => {
    const cases: Case[] = [];
    let predicted = from;
    while (cases.length < batch && predicted < o.events) {
      const before = run.rnd.state;
      const steps = run.stepsFor(predicted);
      const obj = run.next(predicted);
      cases.push({ obj, steps, before });
      predicted += (obj.steps as unknown[]).length;
    }
    return cases.length ? { cases, results: runBatch(cases.map((c) => c.obj)), end: predicted } : null;
  };
  // two batches in flight: the workers run the next while this thread counts and shrinks
  let cur = start(run.res.events);
  while (cur) {
    const next = start(cur.end);
    const results = await cur.results;
    let stale = false;
    for (let i = 0; i < cur.cases.length && run.res.events < o.events; i++) {
      const c = cur.cases[i]!;
      if (run.stepsFor(run.res.events) !== c.steps) {
        run.rnd.state = c.before; // fuzz() would have drawn this machine with another number of steps
        stale = true;
        break;
      }
      withArchCache(() => run.add(c.obj, results[i]!)); // a shrink reruns the case: one arch for all
    }
    if (stale || next === null || run.res.events >= o.events) {
      if (next) await next.results.catch(() => undefined);
      cur = run.res.events < o.events ? start(run.res.events) : null;
    } else cur = next;
  }
  return run.res;
}
