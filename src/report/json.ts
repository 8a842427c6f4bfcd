/** The `--json` report, schema 1 (design.md section 5). */
import { renderMessage } from '../kernel/printk.js';
import type { Machine, StepResult } from '../sim/machine.js';
import { INVARIANTS, type Violation } from '../check/invariants.js';
import type { Oops } from '../kernel/fault.js';

/** A predicted kernel oops in the report (va with its 0x), with the oops's first line as the arch prints it. */
export interface ReportOops extends Oops {
  message: string;
}

function reportOops(k: Machine['k'], o: Oops): ReportOops {
  const message = k.arch.policy.oopsLines(o)[0]!.text.trimEnd();
  return { step: o.step, fn: o.fn, site: o.site, va: '0x' + o.va, pfn: o.pfn, access: o.access, what: o.what, message };
}
import { hvoSupported, optimizablePages } from '../kernel/hugetlb.js';
import { leafCounts, memmapBacking, pageTablePages, sectionCounts, vmemmapRanges, type MemmapBacking, type PageTablePages, type VmemmapRange } from './summary.js';

export interface ReportStep {
  step: string;
  index: number;
  ok: boolean;
  errno: string | null;
  messages: string[];
  dmesg: string[];
  delta: {
    memmapBacking: MemmapBacking;
    pageTablePages: Record<string, number>;
  };
  violations: Violation[];
  /** Predicted kernel bugs the checks found after this step (the kernel's behaviour, not vmemmap-lab's). */
  kernelBugs: Violation[];
  /** The predicted kernel oops that ended this step, or null. */
  oops: ReportOops | null;
  /** "not run: the kernel oopsed at step N" for steps after an oops, else null. */
  notRun: string | null;
  failedExpectations?: string[];
}

export interface Report {
  schema: 1;
  scenario: string;
  arch: string;
  config: Record<string, string | number | boolean>;
  kernel: string;
  steps: ReportStep[];
  vmemmap: {
    start: string;
    end: string;
    mappedBytes: number;
    mappings: { pte: number; pmd: number; pud: number };
    ranges: VmemmapRange[];
  };
  pageTablePages: PageTablePages;
  memmapBacking: MemmapBacking;
  altmaps: { id: string; device: string; namespace: string; base_pfn: number; end_pfn: number; reserve: number; free: number; alloc: number; align: number }[];
  namespaces: { device: string; name: string; dev: string; mode: string; map: string | null; align: number; start: number; rawSize: number; size: number; dataOffset: number; npfns: number }[];
  sections: { present: number; early: number; hotplugged: number; subsectionsActive: number };
  memory: {
    blockSize: number;
    nodes: Record<string, { managedPages: number; freePages: number }>;
    /** Memory block devices as runs: first block id, count, node, state, zone, self-hosted vmemmap pages per block. */
    blocks: { first: number; count: number; nid: number; state: string; zone: string | null; boot: boolean; vmemmapPages: number }[];
  };
  invariants: { checked: number; names: readonly string[]; violations: Violation[] };
  /** What the model predicts the kernel gets wrong: the oops that crashed the machine (null if none) and the checks' kernel findings. */
  kernelBugs: { crashed: ReportOops | null; findings: Violation[] };
  /** Dax devices: of hmem/cxl devices and of pmem devdax namespaces that were reconfigured. */
  daxDevices: { name: string; device: string; source: string; start: number; size: number; mode: 'devdax' | 'system-ram' | 'unbound'; memmapOnMemory: boolean; systemRam: { start: number; size: number }[] }[];
  /** HugeTLB pools and the vmemmap optimisation (HVO). */
  hugetlb: {
    hvo: boolean;
    hstates: { size: number; pages: Record<string, number>; optimized: Record<string, number>; vmemmapFreedPerPage: number }[];
    /** Net vmemmap bytes given back to the page allocator, by node. */
    vmemmapFreed: Record<string, number>;
    /** PTE tables that split vmemmap PMDs cost, by node: at least / at most (where the pages are is not modelled). */
    splitPteTables: Record<string, { min: number; max: number }>;
    /** Bytes HVO added to MemTotal by freeing boot-time vmemmap pages, by node: at least / at most. */
    memTotalGain: Record<string, { min: number; max: number }>;
  };
  warnings: string[];
  dmesg: string[];
}

/** Snapshot of the per-step delta sources. */
export interface Totals extends MemmapBacking {
  tables: Record<string, number>;
}

/** The running sums of the state (its Ledger) in the shape of the report: O(nodes + altmaps), not O(ranges). */
export function totals(m: Machine): Totals {
  const L = m.k.s.ledger;
  const obj = (xs: number[]) => {
    const o: Record<string, number> = {};
    xs.forEach((x, i) => { if (x) o[i] = x; });
    return o;
  };
  const fromMap = (mp: Map<string, number>) => {
    const o: Record<string, number> = {};
    for (const [key, x] of mp) if (x) o[key] = x;
    return o;
  };
  const tables: Record<string, number> = {};
  for (const l of m.k.arch.cfg.pt.allocLevels) tables[l] = L.tables[l];
  return { ram: obj(L.ram), altmap: fromMap(L.altmap), self: obj(L.self), dedup: fromMap(L.dedup), tables };
}

function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[key] ?? 0) - (a[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

export function stepDelta(before: Totals, after: Totals): ReportStep['delta'] {
  return { memmapBacking: { ram: diff(before.ram, after.ram), altmap: diff(before.altmap, after.altmap), self: diff(before.self, after.self), dedup: diff(before.dedup, after.dedup) }, pageTablePages: diff(before.tables, after.tables) };
}

function perNode(xs: number[], f: (x: number) => number = (x) => x): Record<string, number> {
  const out: Record<string, number> = {};
  xs.forEach((x, i) => { if (x) out[i] = f(x); });
  return out;
}

function hugetlbReport(m: Machine): Report['hugetlb'] {
  const k = m.k;
  const hv = k.s.hvo;
  const P = k.c.PAGE_SIZE;
  const split: Record<string, { min: number; max: number }> = {};
  hv.splitMax.forEach((mx, i) => { if (mx) split[i] = { min: hv.splitMin[i]!, max: mx }; });
  const gain: Record<string, { min: number; max: number }> = {};
  hv.gainMax.forEach((mx, i) => { if (mx) gain[i] = { min: hv.gainMin[i]! * P, max: mx * P }; });
  return {
    hvo: k.cmdline.hugetlbFreeVmemmap && hvoSupported(k),
    hstates: hv.hstates.map((h) => ({ size: h.size, pages: perNode(h.pages), optimized: perNode(h.optimized), vmemmapFreedPerPage: optimizablePages(k, h.size) * P })),
    vmemmapFreed: perNode(hv.freed, (x) => x * P),
    splitPteTables: split,
    memTotalGain: gain,
  };
}

export function buildReport(m: Machine, results: StepResult[], deltas: ReportStep['delta'][], warnings: string[]): Report {
  const k = m.k;
  const steps: ReportStep[] = results.map((r, i) => ({
    step: r.label,
    index: r.index,
    ok: r.ok,
    errno: r.errno,
    messages: r.messages,
    dmesg: r.dmesg.flatMap((x) => renderMessage(x)),
    delta: deltas[i]!,
    violations: r.violations,
    kernelBugs: r.kernelBugs,
    oops: r.oops ? reportOops(k, r.oops) : null,
    notRun: r.notRun,
    ...(r.failedExpectations ? { failedExpectations: r.failedExpectations } : {}),
  }));
  const lc = leafCounts(k);
  const nodes: Record<string, { managedPages: number; freePages: number }> = {};
  k.s.nodes.forEach((n, i) => { if (n.online) nodes[i] = { managedPages: n.managed, freePages: n.free }; });
  return {
    schema: 1,
    scenario: m.scenario.file,
    arch: k.arch.cfg.arch,
    config: k.arch.cfg.config,
    kernel: k.profile.id,
    steps,
    vmemmap: {
      start: '0x' + k.arch.cfg.VMEMMAP_START.toString(16),
      end: '0x' + k.arch.cfg.VMEMMAP_END.toString(16),
      mappedBytes: k.s.leaves.total(),
      mappings: lc,
      ranges: vmemmapRanges(k),
    },
    pageTablePages: pageTablePages(k),
    memmapBacking: memmapBacking(k),
    altmaps: [...k.s.altmaps.values()].map((a) => ({ id: a.id, device: a.device, namespace: a.owner, base_pfn: a.base_pfn, end_pfn: a.end_pfn, reserve: a.reserve, free: a.free, alloc: a.alloc, align: a.align })),
    namespaces: [...m.regions.values()].flatMap((r) => r.namespaces).map((n) => ({ device: n.device, name: n.name, dev: n.dev, mode: n.mode, map: n.map, align: n.align, start: n.start, rawSize: n.rawSize, size: n.usable, dataOffset: n.dataOffset, npfns: n.npfns })),
    sections: sectionCounts(k),
    memory: {
      blockSize: k.boot.memoryBlockSize,
      nodes,
      blocks: [...k.s.blocks].map((b) => ({ first: b.start, count: b.end - b.start, nid: b.v.nid, state: b.v.state, zone: b.v.zone, boot: b.v.early, vmemmapPages: b.v.vmemmapPages })),
    },
    invariants: { checked: results.filter((r) => r.kind !== 'expect' && !r.notRun).length * INVARIANTS.length, names: INVARIANTS, violations: results.flatMap((r) => r.violations) },
    kernelBugs: { crashed: m.crashed ? reportOops(k, m.crashed) : null, findings: results.flatMap((r) => r.kernelBugs) },
    daxDevices: [...m.dax.values()].map((d) => ({
      name: d.name, device: d.owner, source: d.source, start: d.start, size: d.end - d.start,
      mode: d.driver === 'kmem' ? 'system-ram' as const : d.driver === 'device_dax' ? 'devdax' as const : 'unbound' as const,
      memmapOnMemory: d.memmapOnMemory, systemRam: d.kmemRanges.map((r) => ({ start: r.start, size: r.end - r.start })),
    })),
    hugetlb: hugetlbReport(m),
    warnings,
    dmesg: steps.flatMap((s) => s.dmesg),
  };
}
