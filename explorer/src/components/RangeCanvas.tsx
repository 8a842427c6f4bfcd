/**
 * A zoomable map of address ranges on a canvas, one lane per track: zoom/pan (d3-zoom on a
 * d3-scale), hover and click hit-testing, keyboard control (docs/explorer.md), a status line
 * and the table that is the map's text alternative. Drawing is canvas/drawMap.ts.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { Item, Selection, Track } from '../types.ts';
import type { Focus } from '../store.ts';
import { MapTable } from './MapTable.tsx';
import { recordFrame } from '../frames.ts';
import { drawMap } from '../canvas/drawMap.ts';
import { AXIS_H, LABEL_W, LANE_H, MIN_SPAN, firstEndingAfter } from '../canvas/geometry.ts';

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
    const cur = propsRef.current;
    const [v0, v1] = drawMap(ctx, {
      width, height, x: xs(), tracks, lane, fmt: cur.fmt,
      selected: cur.selected ? cur.rangeOf(cur.selected) : undefined,
      hovered: cur.hovered ? cur.rangeOf(cur.hovered) : undefined,
    });
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
