/**
 * Sentences about a step of a run, made of what the model recorded: the step's result, its
 * kernel messages, its trace (vmemmap_populate decisions, tables, mappings, altmap
 * allocations) and the machine observed before and after it. Shared by `size` and `explain`.
 */
import type { AnswerBase } from './size.js';
import { renderMessage } from '../kernel/printk.js';
import { commas, fmtSize } from '../util/units.js';
import { diffRecord, tableDelta, type ObservedRun } from './machine.js';

export interface PageTableCount {
  total: number;
  byLevel: Record<string, number>;
  byNode: Record<string, number>;
}

export function machineInfo(run: ObservedRun): AnswerBase['machine'] {
  const k = run.machine.k;
  return { arch: k.arch.cfg.arch, label: k.arch.cfg.label, config: k.arch.cfg.config, kernel: k.profile.id };
}

/** Warning-or-worse kernel lines of a step, rendered as dmesg shows them. */
export function stepWarnings(run: ObservedRun, i: number): string[] {
  return run.results[i]!.dmesg.filter((m) => m.level <= 4).flatMap((m) => renderMessage(m)).map((l) => l.replace(/^<\d>/, ''));
}

export function leafKind(d: { pte: number; pmd: number }): 'pmd' | 'pte' | 'mixed' | 'none' {
  if (d.pmd > 0 && d.pte > 0) return 'mixed';
  if (d.pmd > 0) return 'pmd';
  if (d.pte > 0) return 'pte';
  return 'none';
}

export function leafLine(k: ObservedRun['machine']['k'], d: { pte: number; pmd: number }): string {
  const parts: string[] = [];
  if (d.pmd) parts.push(`${commas(d.pmd)} PMD leaves (${fmtSize(k.c.PMD_SIZE)} of struct pages each)`);
  if (d.pte) parts.push(`${commas(d.pte)} PTE leaves (${fmtSize(k.c.PAGE_SIZE)} each)`);
  return parts.join(' and ') || 'no new mappings';
}

export function tablesLine(pt: PageTableCount): string {
  if (pt.total === 0) return 'no new page-table pages (the tables that map this part of the vmemmap already existed)';
  const lv = Object.entries(pt.byLevel).filter(([, n]) => n).map(([l, n]) => `${n} ${l.toUpperCase()}-level`).join(', ');
  const nodes = Object.entries(pt.byNode).map(([n, c]) => `node ${n}: ${c}`).join(', ');
  return `${pt.total} page-table page(s) (${lv}; ${nodes}), from RAM via vmemmap_alloc_block_zero() - page tables never come from an altmap`;
}

/** The step's page-table and leaf deltas. */
export function stepCost(run: ObservedRun, i: number) {
  const k = run.machine.k;
  const b = run.before[i]!;
  const a = run.after[i]!;
  const t = tableDelta(k, b.tables, a.tables);
  const pt: PageTableCount = { total: t.total, byLevel: t.byLevel, byNode: t.byNode };
  const leaves = { pte: a.leaves.pte - b.leaves.pte, pmd: a.leaves.pmd - b.leaves.pmd };
  const mm = {
    ram: diffRecord(b.memmap.ram, a.memmap.ram),
    altmap: diffRecord(b.memmap.altmap, a.memmap.altmap),
    self: diffRecord(b.memmap.self, a.memmap.self),
    dedup: diffRecord(b.memmap.dedup, a.memmap.dedup),
  };
  const freeDelta = a.free.map((f, n) => f - (b.free[n] ?? 0));
  return { pt, leaves, mm, freeDelta };
}


/**
 * The arch's vmemmap_populate() decisions during step i, merged by path and reason: how much
 * memory (in struct-page terms: the physical range described) went each way.
 */
export function populateLines(run: ObservedRun, i: number): string[] {
  const k = run.machine.k;
  const from = run.before[i]!.traceLen;
  const to = run.after[i]!.traceLen;
  const groups = new Map<string, { why: string; bytes: number; calls: number }>();
  for (let t = from; t < to; t++) {
    const e = k.s.trace[t]!;
    if (e.t !== 'populate') continue;
    const g = groups.get(e.why) ?? { why: e.why, bytes: 0, calls: 0 };
    g.bytes += e.end - e.start;
    g.calls += Math.round((e.end - e.start) / e.callBytes);
    groups.set(e.why, g);
  }
  const site = k.arch.policy.populateSite;
  const phys = (b: number) => fmtSize((b / k.c.STRUCT_PAGE) * k.c.PAGE_SIZE);
  const out = [...groups.values()].map((g) => `${site.split(':')[0]} vmemmap_populate() for ${phys(g.bytes)} of memory (${fmtSize(g.bytes)} of struct pages, ${commas(g.calls)} call(s)): ${g.why}`);
  // the PMD loop's fallbacks, merged by what happened
  const notes = new Map<string, number>();
  for (let t = from; t < to; t++) {
    const e = k.s.trace[t]!;
    if (e.t === 'note' && /^(vmemmap_populate_hugepages|altmap_alloc_block_buf):/.test(e.text)) notes.set(e.text, (notes.get(e.text) ?? 0) + 1);
  }
  for (const [text, n] of notes) out.push(`${text}${n > 1 ? ` (${n} times)` : ''}`);
  return out;
}
