/**
 * Draws one map frame. Range-based, so the cost depends on pixels, not bytes or item counts:
 * each lane starts at the first item in view (binary search) and, once items get thinner than
 * a pixel, jumps to the first item past the next pixel column (binary search again); periodic
 * items are visited only where visible, or drawn as one band when denser than 3 px; grid lines
 * only once they are 6 px apart.
 */
import type { Track } from '../types.ts';
import { AXIS_H, LABEL_W, LANE_H, binaryTicks, firstEndingAfter } from './geometry.ts';

export interface Frame {
  width: number;
  height: number;
  /** Address -> x pixel for the current zoom, and back. */
  x: ((v: number) => number) & { invert(px: number): number; domain(): number[] };
  tracks: Track[];
  lane: number;
  fmt: (v: number) => string;
  selected?: [number, number];
  hovered?: [number, number];
}

/** The bar over ranges the shown step changed (Okabe-Ito vermillion). */
export const CHANGED = '#D55E00';

let hatchPattern: CanvasPattern | null | undefined;
function hatch(ctx: CanvasRenderingContext2D): CanvasPattern | null {
  if (hatchPattern === undefined) {
    const c = document.createElement('canvas');
    c.width = c.height = 8;
    const g = c.getContext('2d')!;
    g.strokeStyle = 'rgba(0,0,0,0.45)';
    g.lineWidth = 1.5;
    g.beginPath();
    g.moveTo(0, 8); g.lineTo(8, 0);
    g.moveTo(-2, 2); g.lineTo(2, -2);
    g.moveTo(6, 10); g.lineTo(10, 6);
    g.stroke();
    hatchPattern = ctx.createPattern(c, 'repeat');
  }
  return hatchPattern;
}

function axis(ctx: CanvasRenderingContext2D, f: Frame, v0: number, v1: number) {
  ctx.fillStyle = '#222';
  let labelEnd = 0;
  for (const tk of binaryTicks(v0, v1, 6)) {
    const px = f.x(tk);
    if (px < LABEL_W || px > f.width) continue;
    ctx.beginPath(); ctx.moveTo(px, AXIS_H - 5); ctx.lineTo(px, f.height); ctx.strokeStyle = '#eee'; ctx.stroke();
    const text = f.fmt(tk);
    const tw = ctx.measureText(text).width;
    const at = Math.min(px + 2, f.width - tw - 2);
    if (at < labelEnd + 8) continue; // no overlapping labels
    ctx.fillText(text, at, 9);
    labelEnd = at + tw;
  }
}

function lane(ctx: CanvasRenderingContext2D, f: Frame, t: Track, y: number, v0: number, v1: number) {
  const { x, width } = f;
  const pxPerByte = (width - LABEL_W) / (v1 - v0);
  if (t.grid && t.grid * pxPerByte >= 6) {
    ctx.strokeStyle = 'rgba(0,0,0,0.18)';
    ctx.beginPath();
    for (let g = Math.ceil(v0 / t.grid) * t.grid; g <= v1; g += t.grid) {
      const px = Math.round(x(g)) + 0.5;
      ctx.moveTo(px, y + 2); ctx.lineTo(px, y + LANE_H - 2);
    }
    ctx.stroke();
  }
  for (let j = firstEndingAfter(t.items, v0); j < t.items.length; j++) {
    const it = t.items[j]!;
    if (it.start >= v1) break;
    const x0 = Math.max(LABEL_W, x(it.start));
    const x1 = Math.min(width, x(it.end));
    const w = Math.max(1, x1 - x0);
    ctx.fillStyle = it.fill;
    ctx.fillRect(x0, y + 4, w, LANE_H - 8);
    const sp = it.hatch ? hatch(ctx) : null;
    if (sp) { ctx.fillStyle = sp; ctx.fillRect(x0, y + 4, w, LANE_H - 8); }
    if (it.changed) { ctx.fillStyle = CHANGED; ctx.fillRect(x0, y + 1, Math.max(3, w), 4); }
    if (x1 - x0 < 1) {
      // thinner than a pixel: this column is drawn; skip to the first item past it
      j = Math.max(j, firstEndingAfter(t.items, x.invert(x0 + 1)) - 1);
      continue;
    }
    ctx.strokeStyle = 'rgba(0,0,0,0.35)';
    ctx.strokeRect(x0 + 0.5, y + 4.5, w - 1, LANE_H - 9);
    if (w > 60) {
      ctx.save();
      ctx.beginPath(); ctx.rect(x0, y, w, LANE_H); ctx.clip();
      ctx.fillStyle = '#fff'; ctx.fillRect(x0 + 2, y + 7, Math.min(w - 4, ctx.measureText(it.label).width + 6), LANE_H - 14);
      ctx.fillStyle = '#000'; ctx.fillText(it.label, x0 + 5, y + LANE_H / 2);
      ctx.restore();
    }
  }
  for (const pr of t.periodic ?? []) {
    const i0 = Math.max(0, Math.floor((v0 - pr.start) / pr.period));
    const i1 = Math.min(pr.count - 1, Math.floor((v1 - pr.start) / pr.period));
    if (i1 < i0) continue;
    ctx.fillStyle = pr.fill;
    if (pr.period * pxPerByte < 3) {
      // too dense to draw one by one: a thin band says "every block has some"
      const a = Math.max(LABEL_W, x(pr.start + i0 * pr.period));
      const b = Math.min(width, x(pr.start + (i1 + 1) * pr.period));
      ctx.fillRect(a, y + LANE_H - 8, Math.max(1, b - a), 4);
      continue;
    }
    for (let k = i0; k <= i1; k++) {
      const s = pr.start + k * pr.period;
      const a = Math.max(LABEL_W, x(s));
      const b = Math.min(width, x(s + pr.len));
      ctx.fillRect(a, y + 4, Math.max(1, b - a), LANE_H - 8);
    }
  }
}

function outline(ctx: CanvasRenderingContext2D, f: Frame, r: [number, number], dash: boolean) {
  const a = Math.max(LABEL_W - 2, f.x(r[0]));
  const b = Math.min(f.width + 2, f.x(r[1]));
  if (b < LABEL_W || a > f.width) return;
  ctx.save();
  ctx.fillStyle = 'rgba(0,0,0,0.08)';
  if (!dash) ctx.fillRect(a, AXIS_H, Math.max(2, b - a), f.height - AXIS_H);
  ctx.strokeStyle = '#000';
  ctx.lineWidth = dash ? 1 : 2.5;
  if (dash) ctx.setLineDash([4, 3]);
  ctx.strokeRect(a, AXIS_H + 1, Math.max(2, b - a), f.height - AXIS_H - 2);
  ctx.restore();
}

/** Draw the frame; returns the address range in view. */
export function drawMap(ctx: CanvasRenderingContext2D, f: Frame): [number, number] {
  const [v0, v1] = f.x.domain() as [number, number];
  ctx.clearRect(0, 0, f.width, f.height);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  axis(ctx, f, v0, v1);
  f.tracks.forEach((t, i) => {
    const y = AXIS_H + i * LANE_H;
    ctx.fillStyle = i === f.lane ? '#dde8f5' : '#f6f6f6';
    ctx.fillRect(LABEL_W, y + 2, f.width - LABEL_W, LANE_H - 4);
    lane(ctx, f, t, y, v0, v1);
  });
  if (f.selected) outline(ctx, f, f.selected, false);
  if (f.hovered) outline(ctx, f, f.hovered, true);
  // lane names last, over anything drawn left of the plot
  ctx.clearRect(0, AXIS_H, LABEL_W - 2, f.height);
  ctx.fillStyle = '#222';
  f.tracks.forEach((t, i) => {
    ctx.font = i === f.lane ? 'bold 11px system-ui, sans-serif' : '11px system-ui, sans-serif';
    ctx.fillText(t.name, 4, AXIS_H + i * LANE_H + LANE_H / 2);
  });
  return [v0, v1];
}
