/** Mark the ranges a step changed: those not in the same lane, at the same place, before it. */
import type { Track } from './types.ts';

export function markChanged(now: Track[], before: Track[] | null): Track[] {
  if (!before) return now;
  const had = new Map(before.map((t) => [t.name, new Set(t.items.map((it) => `${it.start}:${it.end}:${it.label}`))]));
  return now.map((t) => {
    const prev = had.get(t.name) ?? new Set<string>();
    return { ...t, items: t.items.map((it) => (prev.has(`${it.start}:${it.end}:${it.label}`) ? it : { ...it, changed: true })) };
  });
}
