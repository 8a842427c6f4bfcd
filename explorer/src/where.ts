/** "Where do the struct pages of this range live?": the vmemmap leaves over a range, summed by backing. */
import type { Layout, LayoutBacking } from './lib.ts';
import { backingText } from './vmem.ts';
import type { Analysis } from './model.ts';

export interface Where { backing: string; b: LayoutBacking; bytes: number; pmd: number; pte: number }

export function whereLives(l: Layout, [a, b]: [number, number]): { rows: Where[]; unmapped: number } {
  const by = new Map<string, Where>();
  let mapped = 0;
  for (const x of l.leaves) {
    const s = Math.max(a, x.start);
    const e = Math.min(b, x.start + x.size);
    if (e <= s) continue;
    const k = backingText(x.backing);
    const w = by.get(k) ?? { backing: k, b: x.backing, bytes: 0, pmd: 0, pte: 0 };
    w.bytes += e - s;
    w[x.level] += e - s;
    by.set(k, w);
    mapped += e - s;
  }
  return { rows: [...by.values()], unmapped: Math.max(0, b - a - mapped) };
}

/** The explain steps that talk about any of these names (the "why"). */
export function explainFor(a: Analysis, names: string[]) {
  const hit = (t: string) => names.some((n) => new RegExp(`(^|[^\\w.])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w.])`).test(t));
  return (a.explanation?.steps ?? []).filter((s) => s.label.split(' ').some((w) => names.includes(w)) || s.lines.some(hit) || s.messages.some(hit));
}
