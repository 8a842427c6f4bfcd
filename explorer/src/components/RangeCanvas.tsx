/**
 * A zoomable map of address ranges drawn on a canvas, one lane per track. Range-based: each
 * frame touches only the items that overlap the view (binary search in each lane's sorted
 * items), periodic items only where visible, and grid lines only when they are a few pixels
 * apart, so the cost does not grow with the bytes shown (4 PiB or one page). d3-zoom does the
 * zoom/pan maths; d3-scale maps addresses to pixels. Keyboard: see docs/explorer.md.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { Item, Selection, Track } from '../types.ts';
import type { Focus } from '../store.ts';
import { MapTable } from './MapTable.tsx';
import { recordFrame } from '../frames.ts';

const LABEL_W = 120;
const AXIS_H = 22;
const LANE_H = 26;
const MIN_SPAN = 256; // bytes across the whole plot at the deepest zoom (a 4 KiB page is 16x wider than the plot)

export interface RangeCanvasProps {
  name: string;
  title: string;
  tracks: Track[];
  domain: [number, number];
  initial: [number, number];
  fmt: (x: number) => string;
  selected: Selection | null;
  hovered: Selection | null;
  /** Which range of a selection this map shows. */
  rangeOf: (s: Selection) => [number, number] | undefined;
  focus: Focus | null;
  onPick: (it: Item | null) => void;
  onHover: (it: Item | null) => void;
  summary: string;
}

/** First index whose item ends after x (items sorted by start, not overlapping). */
function firstEndingAfter(items: Item[], x: number): number {
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
function binaryTicks(v0: number, v1: number, n: number): number[] {
  const step = 2 ** Math.ceil(Math.log2(Math.max(1, (v1 - v0) / n)));
  const out: number[] = [];
  for (let t = Math.ceil(v0 / step) * step; t <= v1 && out.length < 2 * n; t += step) out.push(t);
  return out;
}

const hatchCache = new Map<string, CanvasPattern | null>();
function hatch(ctx: CanvasRenderingContext2D): CanvasPattern | null {
  const key = 'h';
  if (!hatchCache.has(key)) {
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
    hatchCache.set(key, ctx.createPattern(c, 'repeat'));
  }
  return hatchCache.get(key)!;
}

export function RangeCanvas(p: RangeCanvasProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  const [lane, setLane] = useState(0);
  const [cursor, setCursor] = useState<string>('');
  const tRef = useRef<ZoomTransform>(zoomIdentity);
  const zRef = useRef<ZoomBehavior<HTMLCanvasElement, unknown> | null>(null);
  const raf = useRef(0);
  const propsRef = useRef(p);
  propsRef.current = p;
  const height = AXIS_H + p.tracks.length * LANE_H + 4;
  const tracks = useMemo(() => p.tracks.map((t) => ({ ...t, items: [...t.items].sort((a, b) => a.start - b.start) })), [p.tracks]);
  const tracksRef = useRef(tracks);
  tracksRef.current = tracks;

  const base = useMemo(() => scaleLinear().domain(p.domain).range([LABEL_W, width]), [p.domain[0], p.domain[1], width]);
  const baseRef = useRef(base);
  baseRef.current = base;
  const xs = () => tRef.current.rescaleX(baseRef.current);

  const draw = () => {
    raf.current = 0;
    const cv = canvasRef.current;
    if (!cv) return;
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    const ctx = cv.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const x = xs();
    const [v0, v1] = x.domain() as [number, number];
    const pxPerByte = (width - LABEL_W) / (v1 - v0);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    // axis
    ctx.fillStyle = '#222';
    ctx.strokeStyle = '#888';
    let labelEnd = 0;
    for (const tk of binaryTicks(v0, v1, 6)) {
      const px = x(tk);
      if (px < LABEL_W || px > width) continue;
      ctx.beginPath(); ctx.moveTo(px, AXIS_H - 5); ctx.lineTo(px, height); ctx.strokeStyle = '#eee'; ctx.stroke();
      const text = p.fmt(tk);
      const tw = ctx.measureText(text).width;
      const at = Math.min(px + 2, width - tw - 2);
      if (at < labelEnd + 8) continue; // no overlapping labels
      ctx.fillText(text, at, 9);
      labelEnd = at + tw;
    }
    const sp = hatch(ctx);
    const cur = propsRef.current;
    const sel = cur.selected ? cur.rangeOf(cur.selected) : undefined;
    tracks.forEach((t, i) => {
      const y = AXIS_H + i * LANE_H;
      ctx.fillStyle = i === lane ? '#dde8f5' : '#f6f6f6';
      ctx.fillRect(LABEL_W, y + 2, width - LABEL_W, LANE_H - 4);
      ctx.fillStyle = '#222';
      ctx.fillText(t.name, 4, y + LANE_H / 2);
      // grid lines (section / block / page boundaries) once they are 6 px apart
      if (t.grid && t.grid * pxPerByte >= 6) {
        ctx.strokeStyle = 'rgba(0,0,0,0.18)';
        ctx.beginPath();
        for (let g = Math.ceil(v0 / t.grid) * t.grid; g <= v1; g += t.grid) {
          const px = Math.round(x(g)) + 0.5;
          ctx.moveTo(px, y + 2); ctx.lineTo(px, y + LANE_H - 2);
        }
        ctx.stroke();
      }
      let lastPx = -1;
      for (let j = firstEndingAfter(t.items, v0); j < t.items.length; j++) {
        const it = t.items[j]!;
        if (it.start >= v1) break;
        const x0 = Math.max(LABEL_W, x(it.start));
        const x1 = Math.min(width, x(it.end));
        if (x1 < lastPx + 0.5 && x1 - x0 < 1) continue; // sub-pixel neighbours: one pixel is drawn already
        const w = Math.max(1, x1 - x0);
        lastPx = x0 + w;
        ctx.fillStyle = it.fill;
        ctx.fillRect(x0, y + 4, w, LANE_H - 8);
        if (it.hatch && sp) { ctx.fillStyle = sp; ctx.fillRect(x0, y + 4, w, LANE_H - 8); }
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
    });
    const outline = (r: [number, number], dash: boolean) => {
      const a = Math.max(LABEL_W - 2, x(r[0]));
      const b = Math.min(width + 2, x(r[1]));
      if (b < LABEL_W || a > width) return;
      ctx.save();
      ctx.fillStyle = 'rgba(0,0,0,0.08)';
      if (!dash) ctx.fillRect(a, AXIS_H, Math.max(2, b - a), height - AXIS_H);
      ctx.strokeStyle = '#000';
      ctx.lineWidth = dash ? 1 : 2.5;
      if (dash) ctx.setLineDash([4, 3]);
      ctx.strokeRect(a, AXIS_H + 1, Math.max(2, b - a), height - AXIS_H - 2);
      ctx.restore();
    };
    if (sel) outline(sel, false);
    const hv = cur.hovered ? cur.rangeOf(cur.hovered) : undefined;
    if (hv) outline(hv, true);
    ctx.clearRect(0, AXIS_H, LABEL_W - 2, height);
    ctx.fillStyle = '#222';
    tracks.forEach((t, i) => { ctx.font = i === lane ? 'bold 11px system-ui, sans-serif' : '11px system-ui, sans-serif'; ctx.fillText(t.name, 4, AXIS_H + i * LANE_H + LANE_H / 2); });
    cv.dataset.view = `${v0},${v1}`;
    recordFrame(p.name, performance.now() - t0);
  };
  const schedule = () => { if (!raf.current) raf.current = requestAnimationFrame(draw); };

  // size
  useEffect(() => {
    const ro = new ResizeObserver(() => { if (wrapRef.current) setWidth(Math.max(400, wrapRef.current.clientWidth)); });
    if (wrapRef.current) ro.observe(wrapRef.current);
    return () => ro.disconnect();
  }, []);

  const span = p.domain[1] - p.domain[0];
  // zoom behaviour
  useEffect(() => {
    const cv = canvasRef.current!;
    const z = zoom<HTMLCanvasElement, unknown>()
      .scaleExtent([1, Math.max(1, span / MIN_SPAN)])
      .extent([[LABEL_W, 0], [width, height]])
      .translateExtent([[LABEL_W, 0], [width, height]])
      .filter((ev: Event) => !(ev instanceof MouseEvent && ev.button) && ev.type !== 'dblclick')
      .on('zoom', (ev: { transform: ZoomTransform }) => { tRef.current = ev.transform; schedule(); });
    zRef.current = z;
    select(cv).call(z).call(z.transform, tRef.current);
    return () => { select(cv).on('.zoom', null); };
  }, [width, height, span]);

  const zoomTo = (r: [number, number]) => {
    const cv = canvasRef.current;
    const z = zRef.current;
    if (!cv || !z) return;
    const b = baseRef.current;
    const lo = Math.min(r[0], r[1]);
    const hi = Math.max(r[1], lo + MIN_SPAN);
    const pad = (hi - lo) * 0.08;
    const a = b(Math.max(p.domain[0], lo - pad));
    const c = b(Math.min(p.domain[1], hi + pad));
    const k = Math.min(span / MIN_SPAN, Math.max(1, (width - LABEL_W) / Math.max(c - a, 1e-12)));
    const t = zoomIdentity.translate(LABEL_W - a * k, 0).scale(k);
    select(cv).call(z.transform, t);
  };

  // a new scenario: show its initial range
  useEffect(() => { zoomTo(p.initial); }, [p.initial[0], p.initial[1], width]);
  useEffect(() => { if (p.focus) zoomTo(p.focus.range); }, [p.focus?.nonce]);
  useEffect(schedule, [tracks, p.selected, p.hovered, lane, width]);

  const hit = (ev: MouseEvent): Item | null => {
    const cv = canvasRef.current!;
    const rect = cv.getBoundingClientRect();
    const px = ev.clientX - rect.left;
    const py = ev.clientY - rect.top;
    const i = Math.floor((py - AXIS_H) / LANE_H);
    const t = tracksRef.current[i];
    if (!t || px < LABEL_W) return null;
    const x = xs();
    const v = x.invert(px);
    setCursor(p.fmt(v));
    const tol = 2 / ((width - LABEL_W) / ((x.domain()[1] as number) - (x.domain()[0] as number)));
    const j = firstEndingAfter(t.items, v - tol);
    const it = t.items[j];
    return it && it.start <= v + tol ? it : null;
  };

  const visibleItem = (dir: 1 | -1) => {
    const t = tracksRef.current[lane];
    if (!t || !t.items.length) return;
    const selId = propsRef.current.selected?.id;
    let j = t.items.findIndex((it) => it.id === selId);
    if (j < 0) {
      const [v0] = xs().domain() as [number, number];
      j = firstEndingAfter(t.items, v0) - (dir > 0 ? 1 : 0);
    }
    const it = t.items[Math.min(t.items.length - 1, Math.max(0, j + dir))]!;
    p.onPick(it);
    zoomTo([it.start, it.end]);
  };

  const onKey = (ev: KeyboardEvent) => {
    const cv = canvasRef.current!;
    const z = zRef.current!;
    const w = width - LABEL_W;
    const handled = true;
    switch (ev.key) {
      case 'ArrowLeft': select(cv).call(z.translateBy, w * 0.2 / tRef.current.k, 0); break;
      case 'ArrowRight': select(cv).call(z.translateBy, -w * 0.2 / tRef.current.k, 0); break;
      case 'ArrowUp': setLane((l) => Math.max(0, l - 1)); break;
      case 'ArrowDown': setLane((l) => Math.min(tracks.length - 1, l + 1)); break;
      case '+': case '=': select(cv).call(z.scaleBy, 2, [LABEL_W + w / 2, 0]); break;
      case '-': case '_': select(cv).call(z.scaleBy, 0.5, [LABEL_W + w / 2, 0]); break;
      case '0': case 'Home': zoomTo(p.initial); break;
      case 'f': zoomTo(p.domain); break;
      case ']': case 'n': visibleItem(1); break;
      case '[': case 'p': visibleItem(-1); break;
      case 'Enter': { const sel = propsRef.current.selected; const r = sel && p.rangeOf(sel); if (r) zoomTo(r); break; }
      case 'Escape': p.onPick(null); break;
      default: return;
    }
    if (handled) ev.preventDefault();
  };

  const dpr = typeof window !== 'undefined' ? window.devicePixelRatio || 1 : 1;
  const sel = p.selected;
  const hov = p.hovered;
  return (
    <section class="map" aria-labelledby={`${p.name}-title`} data-map={p.name}>
      <h2 id={`${p.name}-title`}>{p.title}</h2>
      <div ref={wrapRef} class="canvas-wrap">
        <canvas
          ref={canvasRef}
          data-testid={`${p.name}-canvas`}
          width={Math.round(width * dpr)}
          height={Math.round(height * dpr)}
          style={{ width: `${width}px`, height: `${height}px` }}
          tabIndex={0}
          role="img"
          aria-label={`${p.title}. ${p.summary} Keys: arrows pan and choose a lane, + and - zoom, [ and ] select the previous or next range in the lane, Enter zooms to the selection, 0 resets, f fits everything. The table below lists the same ranges.`}
          onKeyDown={onKey}
          onMouseMove={(ev) => p.onHover(hit(ev))}
          onMouseLeave={() => p.onHover(null)}
          onClick={(ev) => p.onPick(hit(ev))}
        />
      </div>
      <p class="status" aria-live="polite" data-testid={`${p.name}-status`}>
        <span>cursor {cursor || '-'}</span>
        {' · '}
        <span>{hov ? `hover: ${hov.label}` : sel ? `selected: ${sel.label}` : 'click a range, or Tab here and use [ ]'}</span>
      </p>
      <MapTable name={p.name} tracks={tracks} fmt={p.fmt} onPick={(it) => { p.onPick(it); zoomTo([it.start, it.end]); }} />
    </section>
  );
}
