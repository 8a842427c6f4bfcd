/** `expect` steps: assertions on an earlier step's outcome and on the machine now. */
import type { ScenarioStep } from '../scenario/parse.js';
import type { Machine, StepResult } from './machine.js';
import { memmapBacking } from '../report/summary.js';

export function checkExpect(m: Machine, st: ScenarioStep, results: StepResult[]): string[] {
  const a = st.args as {
    step: number; ok?: boolean; errno?: string | null;
    altmap?: { namespace?: string; alloc?: number; align?: number; free?: number; reserve?: number };
    namespace?: { name?: string; size?: number; dataOffset?: number };
    memmapBacking?: { ram?: Record<string, number>; altmap?: Record<string, number>; self?: Record<string, number>; dedup?: Record<string, number> };
    blocks?: { online?: number; offline?: number; selfHosting?: number; vmemmapPages?: number };
    hugetlb?: { vmemmapFreed?: Record<string, number>; pages?: Record<string, number>; memTotalGain?: Record<string, number> };
    violations?: number;
    kernelBugs?: number;
    oops?: boolean | string;
  };
  const out: string[] = [];
  const target = results.find((r) => r.index === a.step);
  if (!target) return [`step ${a.step} did not run`];
  if (a.ok !== undefined && target.ok !== a.ok) out.push(`step ${a.step}: ok is ${target.ok}, expected ${a.ok}`);
  if (a.errno !== undefined && target.errno !== a.errno) out.push(`step ${a.step}: errno is ${target.errno}, expected ${a.errno}`);
  if (a.altmap) {
    const alts = [...m.k.s.altmaps.values()];
    const alt = a.altmap.namespace ? alts.find((x) => x.id === a.altmap!.namespace) : alts[alts.length - 1];
    if (!alt) out.push('altmap: none exists');
    else for (const f of ['alloc', 'align', 'free', 'reserve'] as const) {
      const want = a.altmap[f];
      if (want !== undefined && alt[f] !== want) out.push(`altmap ${alt.id}: ${f} is ${alt[f]}, expected ${want}`);
    }
  }
  if (a.namespace) {
    const all = [...m.regions.values()].flatMap((r) => r.namespaces);
    const ns = a.namespace.name ? all.find((n) => n.name === a.namespace!.name) : all[all.length - 1];
    if (!ns) out.push('namespace: none exists');
    else {
      if (a.namespace.size !== undefined && ns.usable !== a.namespace.size) out.push(`${ns.name}: size is ${ns.usable}, expected ${a.namespace.size}`);
      if (a.namespace.dataOffset !== undefined && ns.dataOffset !== a.namespace.dataOffset) out.push(`${ns.name}: dataOffset is ${ns.dataOffset}, expected ${a.namespace.dataOffset}`);
    }
  }
  if (a.memmapBacking) {
    const mb = memmapBacking(m.k);
    for (const [kind, want] of Object.entries(a.memmapBacking) as ['ram' | 'altmap' | 'self' | 'dedup', Record<string, number>][]) {
      for (const [key, v] of Object.entries(want)) {
        const got = mb[kind][key] ?? 0;
        if (got !== v) out.push(`memmapBacking.${kind}.${key} is ${got}, expected ${v}`);
      }
    }
  }
  if (a.blocks) {
    const got = { online: 0, offline: 0, selfHosting: 0, vmemmapPages: 0 };
    for (const b of m.k.s.blocks) {
      const n = b.end - b.start;
      got[b.v.state] += n;
      if (b.v.vmemmapPages > 0) {
        got.selfHosting += n;
        got.vmemmapPages = b.v.vmemmapPages;
      }
    }
    for (const [f, want] of Object.entries(a.blocks) as [keyof typeof got, number][]) if (got[f] !== want) out.push(`blocks.${f} is ${got[f]}, expected ${want}`);
  }
  if (a.hugetlb) {
    const P = m.k.c.PAGE_SIZE;
    for (const [node, want] of Object.entries(a.hugetlb.vmemmapFreed ?? {})) {
      const got = (m.k.s.hvo.freed[Number(node)] ?? 0) * P;
      if (got !== want) out.push(`hugetlb.vmemmapFreed.${node} is ${got}, expected ${want}`);
    }
    for (const [node, want] of Object.entries(a.hugetlb.memTotalGain ?? {})) {
      const hv = m.k.s.hvo;
      const lo = (hv.gainMin[Number(node)] ?? 0) * P;
      const hi = (hv.gainMax[Number(node)] ?? 0) * P;
      if (lo !== hi) out.push(`hugetlb.memTotalGain.${node} is a range, ${lo}..${hi}, expected exactly ${want}`);
      else if (lo !== want) out.push(`hugetlb.memTotalGain.${node} is ${lo}, expected ${want}`);
    }
    for (const [size, want] of Object.entries(a.hugetlb.pages ?? {})) {
      const h = m.k.s.hvo.hstates.find((x) => x.size === Number(size));
      const got = h ? h.pages.reduce((t, x) => t + x, 0) : 0;
      if (got !== want) out.push(`hugetlb.pages.${size} is ${got}, expected ${want}`);
    }
  }
  if (a.violations !== undefined) {
    const n = results.filter((r) => r.index <= a.step).reduce((t, r) => t + r.violations.length, 0);
    if (n !== a.violations) out.push(`invariant violations up to step ${a.step}: ${n}, expected ${a.violations}`);
  }
  if (a.kernelBugs !== undefined) {
    const n = results.filter((r) => r.index <= a.step).reduce((t, r) => t + r.kernelBugs.length, 0);
    if (n !== a.kernelBugs) out.push(`predicted kernel bugs up to step ${a.step}: ${n}, expected ${a.kernelBugs}`);
  }
  if (a.oops !== undefined) {
    const got = target.oops ? target.oops.fn : null;
    const want = a.oops === true ? 'an oops' : a.oops === false ? 'no oops' : `an oops in ${a.oops}`;
    const ok = a.oops === true ? got !== null : a.oops === false ? got === null : got === a.oops;
    if (!ok) out.push(`step ${a.step}: ${got ? `predicted kernel oops in ${got}` : target.notRun ?? 'no oops'}, expected ${want}`);
  }
  return out;
}
