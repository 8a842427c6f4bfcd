/** The maps' layout constants and range lookups shared by drawing and hit-testing. */
import type { Item } from '../types.ts';

export const LABEL_W = 120;
export const AXIS_H = 22;
export const LANE_H = 26;
/** Bytes across the whole plot at the deepest zoom (a 4 KiB page is then 16x wider than the plot). */
export const MIN_SPAN = 256;

/** First index whose item ends after x (items sorted by start, not overlapping): O(log n). */
export function firstEndingAfter(items: Item[], x: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid]!.end <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Ticks at multiples of a power of two (addresses read better that way than at decimal steps). */
export function binaryTicks(v0: number, v1: number, n: number): number[] {
  const step = 2 ** Math.ceil(Math.log2(Math.max(1, (v1 - v0) / n)));
  const out: number[] = [];
  for (let t = Math.ceil(v0 / step) * step; t <= v1 && out.length < 2 * n; t += step) out.push(t);
  return out;
}
