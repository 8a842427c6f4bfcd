/**
 * The map's drawing cost depends on pixels, not on bytes or on how many ranges there are:
 * counted canvas calls for a million ranges, for 4 PiB or one page in view.
 */
import { describe, expect, it } from 'vitest';
import { scaleLinear } from 'd3-scale';
import { drawMap, type Frame } from '../explorer/src/canvas/drawMap.ts';
import { LABEL_W } from '../explorer/src/canvas/geometry.ts';
import type { Item, Track } from '../explorer/src/types.ts';

function countingCtx() {
  const calls = { fillRect: 0, strokeRect: 0, fillText: 0, other: 0 };
  const ctx = new Proxy({} as Record<string, unknown>, {
    get(_t, k: string) {
      if (k === 'measureText') return () => ({ width: 40 });
      if (k in calls) return () => { calls[k as keyof typeof calls]++; };
      return () => { calls.other++; };
    },
    set() { return true; },
  });
  return { ctx: ctx as unknown as CanvasRenderingContext2D, calls };
}

const PIB4 = 4 * 2 ** 50;
const WIDTH = 1000;

function frame(tracks: Track[], domain: [number, number]): Frame {
  return { width: WIDTH, height: 200, x: scaleLinear().domain(domain).range([LABEL_W, WIDTH]) as unknown as Frame['x'], tracks, lane: 0, fmt: String };
}

function ranges(n: number, span: number): Track {
  const size = Math.floor(span / n);
  const items: Item[] = Array.from({ length: n }, (_, i) => ({ id: String(i), start: i * size, end: i * size + size / 2, fill: '#000', label: '', detail: '', sel: { id: String(i), kind: 'range', label: '' } }));
  return { name: 'many', items, grid: 4096 };
}

describe('drawMap', () => {
  it('draws a million ranges over 4 PiB with calls bounded by the pixel width', () => {
    const { ctx, calls } = countingCtx();
    drawMap(ctx, frame([ranges(1_000_000, PIB4)], [0, PIB4]));
    expect(calls.fillRect).toBeLessThan(4 * WIDTH);
    expect(calls.fillRect).toBeGreaterThan(WIDTH / 4); // it did draw: about one per pixel column
  });

  it('one page in view: a handful of calls, grid lines at page boundaries, however much is mapped', () => {
    const { ctx, calls } = countingCtx();
    const t = ranges(1_000_000, PIB4);
    drawMap(ctx, frame([t], [2 ** 51, 2 ** 51 + 4096]));
    expect(calls.fillRect + calls.strokeRect).toBeLessThan(20);
  });

  it('periodic ranges (a memmap page per block) are a band when dense and single boxes when not', () => {
    const per: Track = { name: 'p', items: [], periodic: [{ id: 'p', start: 0, period: 2 ** 27, count: 2 ** 25, len: 2 ** 15, fill: '#0a0', label: '', detail: '' }] };
    const dense = countingCtx();
    drawMap(dense.ctx, frame([per], [0, PIB4]));
    const near = countingCtx();
    drawMap(near.ctx, frame([per], [0, 8 * 2 ** 27]));
    // background + band; background + 8 or 9 boxes
    expect(dense.calls.fillRect).toBe(2);
    expect(near.calls.fillRect).toBeGreaterThanOrEqual(1 + 8);
    expect(near.calls.fillRect).toBeLessThanOrEqual(1 + 9);
  });
});
