/**
 * The machines behind the answers (`vmemlab size`, `vmemlab explain`): a few flags become a
 * scenario, the scenario runs on the same machine model as `vmemlab run`, and every number an
 * answer gives is read off that run. Nothing here knows a formula of its own.
 */
import { stringify } from 'yaml';
import { ArchConfigError, resolveArch, type ArchName } from '../arch/index.js';
import { ARCH_NAMES } from '../arch/types.js';
import { DEFAULT_KERNEL, findProfile } from '../kernels/index.js';
import { parseScenario, type Scenario } from '../scenario/parse.js';
import type { ScenarioInput } from '../scenario/schema.js';
import { createMachine, runStep, type Machine, type StepResult } from '../sim/machine.js';
import type { Namespace } from '../sim/ndctl.js';
import { leafCounts, memmapBacking, pageTablePages, type MemmapBacking, type PageTablePages } from '../report/summary.js';
import { GiB } from '../util/bits.js';
import { shortSize } from '../util/units.js';

/** A bad flag or flag combination: the CLI prints the message and exits 2. */
export class AnswerError extends Error {
  constructor(readonly flag: string, rule: string) {
    super(`${flag}: ${rule}`);
    this.name = 'AnswerError';
  }
}

/** What every answer takes: the machine's arch, paging configuration and kernel profile. */
export interface MachineOpts {
  arch: ArchName;
  /** arm64, loongarch64, ia64 and powerpc64 base page size (x86_64, riscv64: 4K only). */
  pageSize?: '4K' | '8K' | '16K' | '64K';
  /** arm64 VA_BITS. */
  vaBits?: number;
  /** x86_64 paging levels (4 or 5); loongarch64 page-table levels. */
  levels?: number;
  /** riscv64 paging mode (sv39, sv48, sv57): the scenario's config.mode (the flag is --paging; --mode is a namespace's). */
  paging?: string;
  /** powerpc64 MMU (radix, hash): the scenario's config.mmu. */
  mmu?: string;
  /** Profile id (default: the default profile). */
  kernel?: string;
  /** x86_64 X86_FEATURE_HYPERVISOR (a guest). */
  hypervisor?: boolean;
  /** s390x: the CPU has EDAT-1 (default true; QEMU TCG has not). */
  edat1?: boolean;
}

/** Where DRAM starts: x86_64 at 0, arm64 at 1 GiB (QEMU virt, most servers start at or above it), riscv64 at 2 GiB (QEMU virt, most SoCs), loongarch64, ia64, powerpc64 and s390x at 0. */
export const RAM_BASE: Record<ArchName, number> = { x86_64: 0, arm64: GiB, riscv64: 2 * GiB, loongarch64: 0, ia64: 0, powerpc64: 0, s390x: 0 };

const FLAG_OF: Record<string, string> = { pageSize: '--page-size', vaBits: '--va-bits', levels: '--levels', pse: '--pse', hypervisor: '--hypervisor', gbpages: '--gbpages', mode: '--paging', mmu: '--mmu', edat1: '--no-edat' };

export function kernelOf(o: MachineOpts): string {
  return o.kernel ?? DEFAULT_KERNEL;
}

export function configOf(o: MachineOpts): ScenarioInput['config'] {
  const c: Record<string, unknown> = {};
  if (o.pageSize !== undefined) c.pageSize = o.pageSize;
  if (o.vaBits !== undefined) c.vaBits = o.vaBits;
  if (o.levels !== undefined) c.levels = o.levels;
  if (o.paging !== undefined) c.mode = o.paging;
  if (o.mmu !== undefined) c.mmu = o.mmu;
  if (o.hypervisor !== undefined && o.arch === 'x86_64') c.hypervisor = o.hypervisor;
  if (o.edat1 !== undefined && o.arch === 's390x') c.edat1 = o.edat1;
  return c as ScenarioInput['config'];
}

/** Check arch, configuration and profile up front, so a bad flag is named as a flag. */
export function checkMachine(o: MachineOpts): void {
  if (!ARCH_NAMES.includes(o.arch)) throw new AnswerError('--arch', `"${o.arch}" is not modelled; arches: ${ARCH_NAMES.join(', ')}`);
  const p = findProfile(kernelOf(o));
  if (!p) throw new AnswerError('--kernel', `unknown profile "${o.kernel}"; \`vmemlab kernels\` lists them`);
  try {
    resolveArch(o.arch, configOf(o) as never, p);
  } catch (e) {
    if (e instanceof ArchConfigError) throw new AnswerError(FLAG_OF[e.key] ?? `--${e.key}`, e.message);
    throw e;
  }
}

/** A size as a scenario would spell it: 16G, 0x...: exact, readable. */
export function sz(n: number): string {
  const s = shortSize(n);
  return /^\d+$/.test(s) && n >= 1024 ? '0x' + n.toString(16) : s;
}

export interface BuiltScenario {
  scenario: Scenario;
  /** The scenario as YAML, so the user can run, explain or edit it. */
  yaml: string;
}

/** Turn a scenario description into a parsed scenario, through the same parser as `run`. */
export function buildScenario(name: string, o: MachineOpts, body: Omit<ScenarioInput, 'arch' | 'config' | 'kernel'>): BuiltScenario {
  const input = { description: body.description, arch: o.arch, config: configOf(o), kernel: kernelOf(o), ...body };
  if (Object.keys(input.config ?? {}).length === 0) delete (input as Partial<typeof input>).config;
  if (!input.cmdline) delete (input as Partial<typeof input>).cmdline;
  const yaml = stringify(input, { lineWidth: 0, flowCollectionPadding: true, collectionStyle: 'block' });
  return { scenario: parseScenario(name, yaml), yaml };
}

/** What the model shows after a step: the quantities answers and explanations are made of. */
export interface Observation {
  /** Free pages per node (kernel zones; the model counts only its own allocations). */
  free: number[];
  managed: number[];
  memmap: MemmapBacking;
  tables: PageTablePages;
  leaves: { pte: number; pmd: number };
  /** Lengths of the kernel's log and trace when the observation was taken. */
  logLen: number;
  traceLen: number;
  /** Namespaces (copies) and altmaps (copies) that exist. */
  namespaces: Namespace[];
  altmaps: VmemAltmapView[];
  /** Memory blocks by state, and those hosting their own memmap. */
  blocks: { online: number; offline: number; selfHosting: number; zones: Record<string, number> };
  /** Huge pages by size (all nodes). */
  hugepages: Record<string, number>;
  /** Dax devices: name -> mode. */
  dax: Record<string, string>;
  /** HugeTLB vmemmap optimisation, all nodes: pages freed, MemTotal gain and split-PMD PTE tables ({min, max} pages). */
  hvo: { freed: number; gain: { min: number; max: number }; split: { min: number; max: number } };
}

export interface VmemAltmapView { id: string; owner: string; device: string; base_pfn: number; end_pfn: number; reserve: number; free: number; alloc: number; align: number }

export function observe(m: Machine): Observation {
  const k = m.k;
  const lc = leafCounts(k);
  return {
    free: k.s.nodes.map((n) => (n.online ? n.free : 0)),
    managed: k.s.nodes.map((n) => (n.online ? n.managed : 0)),
    memmap: memmapBacking(k),
    tables: pageTablePages(k),
    leaves: { pte: lc.pte, pmd: lc.pmd },
    logLen: k.s.log.length,
    traceLen: k.s.trace.length,
    namespaces: [...m.regions.values()].flatMap((r) => r.namespaces.map((n) => ({ ...n }))),
    altmaps: [...k.s.altmaps.values()].map((a) => ({ id: a.id, owner: a.owner, device: a.device, base_pfn: a.base_pfn, end_pfn: a.end_pfn, reserve: a.reserve, free: a.free, alloc: a.alloc, align: a.align })),
    blocks: blockCounts(m),
    hugepages: Object.fromEntries(k.s.hvo.hstates.map((h) => [String(h.size), h.pages.reduce((s, x) => s + x, 0)])),
    dax: Object.fromEntries([...m.dax.values()].map((d) => [d.name, d.driver === 'kmem' ? 'system-ram' : d.driver === 'device_dax' ? 'devdax' : 'unbound'])),
    hvo: {
      freed: sum(k.s.hvo.freed),
      gain: { min: sum(k.s.hvo.gainMin), max: sum(k.s.hvo.gainMax) },
      split: { min: sum(k.s.hvo.splitMin), max: sum(k.s.hvo.splitMax) },
    },
  };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function blockCounts(m: Machine): Observation['blocks'] {
  const out: Observation['blocks'] = { online: 0, offline: 0, selfHosting: 0, zones: {} };
  for (const b of m.k.s.blocks) {
    const n = b.end - b.start;
    if (b.v.state === 'online') {
      out.online += n;
      const z = b.v.zone ?? 'none';
      out.zones[z] = (out.zones[z] ?? 0) + n;
    } else out.offline += n;
    if (b.v.vmemmapPages > 0) out.selfHosting += n;
  }
  return out;
}

export interface ObservedRun {
  machine: Machine;
  results: StepResult[];
  /** before[i] / after[i]: the observation before and after results[i]. */
  before: Observation[];
  after: Observation[];
}

/** Run a scenario step by step, observing the machine around every step. */
export function runObserved(sc: Scenario, only?: (index: number) => boolean): ObservedRun {
  const m = createMachine(sc);
  const steps = sc.steps[0]?.kind === 'boot' ? sc.steps : [{ kind: 'boot' as const, args: {}, index: 0, line: 0 }, ...sc.steps];
  const results: StepResult[] = [];
  const before: Observation[] = [];
  const after: Observation[] = [];
  for (const st of steps) {
    const want = !only || only(st.index);
    const b = want ? observe(m) : null;
    results.push(runStep(m, st, results));
    before.push(b ?? (null as unknown as Observation));
    after.push(want ? observe(m) : (null as unknown as Observation));
  }
  return { machine: m, results, before, after };
}

/** Sum of a per-node or per-owner record. */
export function total(r: Record<string, number>): number {
  let s = 0;
  for (const v of Object.values(r)) s += v;
  return s;
}

/** The difference of two records (keys with a non-zero difference). */
export function diffRecord(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[key] ?? 0) - (a[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

/** Page-table pages a step allocated (negative: freed), by level and by node. */
export function tableDelta(k: Machine['k'], a: PageTablePages, b: PageTablePages): { byLevel: Record<string, number>; byNode: Record<string, number>; total: number } {
  const byLevel: Record<string, number> = {};
  let t = 0;
  for (const l of k.arch.cfg.pt.allocLevels) {
    const d = ((b as unknown as Record<string, number>)[l] ?? 0) - ((a as unknown as Record<string, number>)[l] ?? 0);
    byLevel[l] = d;
    t += d;
  }
  return { byLevel, byNode: diffRecord(a.byNode, b.byNode), total: t };
}
