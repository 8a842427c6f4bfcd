/** Run the fast model step by step and the reference, and put both in the same shape. */
import { renderMessage } from '../../src/kernel/printk.js';
import type { Scenario } from '../../src/scenario/parse.js';
import { createMachine, runStep } from '../../src/sim/machine.js';
import { leafCounts, memmapBacking, pageTablePages, sectionCounts, vmemmapRanges } from '../../src/report/summary.js';
import type { Kernel } from '../../src/kernel/state.js';
import { checkInvariants, unmappedMemmapBytes } from '../../src/check/invariants.js';
import { totals } from '../../src/report/json.js';
import { runReference, type RefReport, type RefState } from './model.js';

function fastState(k: Kernel): RefState {
  const pt = pageTablePages(k);
  const tables: Record<string, number> = {};
  for (const l of k.arch.cfg.pt.allocLevels) tables[l] = (pt as unknown as Record<string, number>)[l] ?? 0;
  const lc = leafCounts(k);
  const sc = sectionCounts(k);
  return {
    unmapped: unmappedMemmapBytes(k),
    memmapBacking: memmapBacking(k),
    tables,
    tablesByNode: pt.byNode,
    leaves: { pte: lc.pte, pmd: lc.pmd },
    ranges: vmemmapRanges(k),
    altmaps: [...k.s.altmaps.values()].map((x) => ({ id: x.id, alloc: x.alloc, align: x.align, free: x.free, reserve: x.reserve })),
    sections: { present: sc.present, early: sc.early, subsectionsActive: sc.subsectionsActive },
    nodeFree: k.s.nodes.map((n) => n.free),
    nodeManaged: k.s.nodes.map((n) => n.managed),
    hugetlb: {
      pools: k.s.hvo.hstates.flatMap((h) => h.pages.map((c, nd) => (c ? `${h.size}:${nd}:${c}/${h.optimized[nd]}` : '')).filter(Boolean)),
      freed: k.s.nodes.map((_, i) => k.s.hvo.freed[i] ?? 0),
      memTotalGain: k.s.nodes.map((_, i) => `${k.s.hvo.gainMin[i] ?? 0}..${k.s.hvo.gainMax[i] ?? 0}`),
    },
    selfHosting: [...k.s.blocks].reduce((t, b) => (b.v.vmemmapPages > 0 ? { blocks: t.blocks + b.end - b.start, vmemmapPages: t.vmemmapPages + (b.end - b.start) * b.v.vmemmapPages } : t), { blocks: 0, vmemmapPages: 0 }),
  };
}

export function runFast(sc: Scenario): RefReport & { violations: string[]; oopsAt: number | null } {
  const m = createMachine(sc);
  const steps = sc.steps[0]?.kind === 'boot' ? sc.steps : [{ kind: 'boot' as const, args: {}, index: 0, line: 0 }, ...sc.steps];
  const out: RefReport & { violations: string[]; oopsAt: number | null } = { steps: [], states: [], altmapLines: [], offnode: [], violations: [], oopsAt: null };
  const results = [];
  for (const st of steps) {
    if (st.kind === 'expect') continue;
    const r = runStep(m, st, results);
    results.push(r);
    // a predicted oops stops the kernel half-way through the step (the reference does not
    // model the fault): the comparison ends before that step
    if (r.oops) {
      out.oopsAt = st.index;
      break;
    }
    // the per-step (touched-only) check and the running sums against the whole-state versions
    const full = checkInvariants(m.k);
    const byText = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    if (JSON.stringify(byText(full)) !== JSON.stringify(byText([...r.violations, ...r.kernelBugs]))) throw new Error(`step ${st.index}: the per-step invariant check gave ${JSON.stringify(r.violations)}, the full check ${JSON.stringify(full)}`);
    const mb = memmapBacking(m.k);
    const scanned = { ram: mb.ram, altmap: Object.fromEntries(Object.entries(mb.altmap).filter(([, x]) => x)), self: mb.self, dedup: Object.fromEntries(Object.entries(mb.dedup).filter(([, x]) => x)) };
    const { tables, ...ledger } = totals(m);
    const sortKeys = (o: Record<string, Record<string, number>>) => JSON.stringify(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).sort())])));
    if (sortKeys(ledger) !== sortKeys(scanned)) throw new Error(`step ${st.index}: running sums ${sortKeys(ledger)} but the leaves give ${sortKeys(scanned)}`);
    const pt = pageTablePages(m.k);
    for (const l of m.k.arch.cfg.pt.allocLevels) if ((pt as unknown as Record<string, number>)[l] !== tables[l]) throw new Error(`step ${st.index}: ${l} tables: running sum ${tables[l]}, counted ${(pt as unknown as Record<string, number>)[l]}`);
    out.steps.push({ ok: r.ok, errno: r.errno });
    out.states.push(fastState(m.k));
    out.violations.push(...r.violations.map((v) => `step ${v.step} ${v.invariant}: ${v.range}: ${v.detail}`));
  }
  for (const msg of m.k.s.log) {
    if (msg.site.endsWith(':altmap_alloc_block_buf') && msg.level === 7) out.altmapLines.push(...renderMessage(msg, Infinity).filter((l) => l.startsWith('altmap_alloc_block_buf:')));
    if (msg.text.includes('potential offnode page_structs')) out.offnode.push(...renderMessage(msg, Infinity));
  }
  return out;
}

export { runReference };

/**
 * The reference's report cut to what the fast model ran: the steps before a predicted oops
 * (the reference has no fault model and runs on); the kernel lines as a prefix.
 */
export function cutAtOops(fast: ReturnType<typeof runFast>, ref: RefReport): RefReport {
  if (fast.oopsAt === null) return ref;
  const n = fast.steps.length;
  return { ...ref, steps: ref.steps.slice(0, n), states: ref.states.slice(0, n), altmapLines: ref.altmapLines.slice(0, fast.altmapLines.length), offnode: ref.offnode.slice(0, fast.offnode.length) };
}
