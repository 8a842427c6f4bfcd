/**
 * The answer panel: for the selection, where its struct pages are (vmemmap range, backing,
 * leaf level), its physical parts, and why (the explain text of the steps that made it).
 * With nothing selected it lists the things to select, so the keyboard reaches them too.
 */
import { analysis, locate, selection, stepState } from '../store.ts';
import { namespaceParts, physTracks } from '../phys.ts';
import { whereLives, explainFor } from '../where.ts';
import { fmtBytes, hex, hexAddr } from '../format.ts';
import type { Selection } from '../types.ts';
import { FindForm } from './FindForm.tsx';
import type { LayoutBacking, Report } from '../lib.ts';

function Pick({ sel }: { sel: Selection }) {
  return <li><button type="button" data-testid={`pick-${sel.id}`} onClick={() => locate(sel)}>{sel.label}</button></li>;
}

type Ns = Report["namespaces"][number];

/** The one-paragraph answer for a namespace: where its struct pages live and the reason. */
function answerFor(ns: Ns, w: ReturnType<typeof whereLives>, hasAltmap: boolean): string {
  const where = w.rows.map((r) => `${fmtBytes(r.bytes)} in ${r.backing}`).join(', ') || 'not mapped anywhere';
  const because = ns.map === 'dev' && hasAltmap
    ? '--map=dev gave the namespace a vmem_altmap, so vmemmap_populate() takes the pages for its struct pages from the device itself (the "memmap (altmap alloc)" part below), which is why the usable size is smaller than the raw size'
    : ns.map === 'mem'
      ? '--map=mem keeps no room on the device, so the struct pages are allocated from RAM, preferably on the node of the device'
      : w.rows.length === 0
        ? `${ns.mode} mode has no pfn device, so the driver maps it without struct pages: it has no memmap`
        : 'without a pfn info block there is no room reserved on the device, so the struct pages come from RAM';
  const fallback = ns.map === 'dev' && w.rows.some((r) => r.b.kind === 'ram') ? ' Part of it is in RAM even so: the altmap ran out or could not be used for those blocks (see Why).' : '';
  const dedup = w.rows.some((r) => r.b.kind === 'dedup') ? ' Device-dax compound pages let many PTEs share one tail page, so far less memory backs them than the vmemmap range spans.' : '';
  return `The struct pages of ${ns.name} (${fmtBytes(ns.rawSize)}) are ${where}${w.unmapped && w.rows.length ? `, with ${fmtBytes(w.unmapped)} of the range not mapped` : ''}. Why: ${because}.${fallback}${dedup}`;
}

/** Where the pages holding these struct pages are, physically, when the model knows. */
function BackingLink({ b }: { b: LayoutBacking }) {
  const st = stepState.value;
  if (b.kind === 'altmap') {
    const part = namespaceParts(st, st.report.altmaps.find((x) => x.id === b.id)?.namespace ?? '').find((p) => p.id.endsWith(':memmap (altmap alloc)'));
    return part ? <> — <button type="button" class="link" data-testid="backing-part" onClick={() => locate(part.sel)}>show these pages on the device</button></> : null;
  }
  if (b.kind === 'self') return <> — the first pages of each hot-added memory block (the memmap lives lane)</>;
  if (b.kind === 'ram') return <> — pages of node {b.node}'s RAM (the model counts them, it does not place them)</>;
  return <> — one shared tail page per compound page, in RAM of node {b.node}</>;
}

export function Details() {
  const a = analysis.value;
  const st = stepState.value;
  const sel = selection.value;
  const l = st.layout;
  const tracks = physTracks(a, st);
  const pickable = (name: string) => tracks.find((t) => t.name === name)?.items.map((it) => it.sel) ?? [];
  if (!sel) {
    return (
      <aside class="details" aria-label="Details" data-testid="details">
        <h2>Where does the memmap live?</h2>
        <p>Pick a namespace, a device or a node (or click any range on the maps): this panel says where its struct pages are, what backs them, and why.</p>
        <h3>Namespaces</h3>
        <ul class="picks">{pickable('namespaces').map((s) => <Pick key={s.id} sel={s} />)}{pickable('namespaces').length ? null : <li>none in this step</li>}</ul>
        <h3>Devices and nodes</h3>
        <ul class="picks">{[...pickable('devices'), ...pickable('dax devices'), ...pickable('boot RAM')].map((s) => <Pick key={s.id} sel={s} />)}</ul>
        <FindForm />
      </aside>
    );
  }
  const start = BigInt(l.vmemmapStart);
  const w = sel.vmem ? whereLives(l, sel.vmem) : null;
  const nsName = sel.namespace;
  const ns = nsName ? st.report.namespaces.find((n) => n.name === nsName) : undefined;
  const parts = ns ? namespaceParts(st, ns.name) : [];
  const why = sel.about?.length ? explainFor(a, sel.about) : [];
  return (
    <aside class="details" aria-label="Details" data-testid="details">
      <h2>{sel.label}</h2>
      <p><button type="button" onClick={() => { selection.value = null; }}>Clear selection (Esc)</button>{' '}
        {sel.vmem && <button type="button" data-testid="locate-vmem" onClick={() => locate(sel)}>Locate on both maps</button>}</p>
      {sel.phys && <p>Physical: <code>{hex(sel.phys[0])}</code>–<code>{hex(sel.phys[1])}</code> ({fmtBytes(sel.phys[1] - sel.phys[0])})</p>}
      {sel.vmem && w && (
        <div data-testid="where">
          <p>Its struct pages: <code>{hexAddr(start, sel.vmem[0])}</code>–<code>{hexAddr(start, sel.vmem[1])}</code> ({fmtBytes(sel.vmem[1] - sel.vmem[0])} of vmemmap, {l.structPageSize} B per {fmtBytes(l.pageSize)} page)</p>
          <table class="where">
            <thead><tr><th>backed by</th><th>bytes</th><th>PMD leaves</th><th>PTE leaves</th></tr></thead>
            <tbody>
              {w.rows.map((r) => <tr key={r.backing}><td>{r.backing}<BackingLink b={r.b} /></td><td>{fmtBytes(r.bytes)}</td><td>{fmtBytes(r.pmd)}</td><td>{fmtBytes(r.pte)}</td></tr>)}
              {w.unmapped > 0 && <tr><td>not mapped (no memmap here)</td><td>{fmtBytes(w.unmapped)}</td><td /><td /></tr>}
            </tbody>
          </table>
        </div>
      )}
      {ns && w && sel.kind === 'namespace' && <p class="answer" data-testid="answer">{answerFor(ns, w, st.report.altmaps.some((x) => x.namespace === ns.name))}</p>}
      {ns && (
        <div data-testid="namespace-parts">
          <h3>{ns.name}: {ns.mode}{ns.map ? ` --map=${ns.map}` : ''}, {fmtBytes(ns.rawSize)} raw, {fmtBytes(ns.size)} usable</h3>
          <ol class="parts">
            {parts.map((p) => <li key={p.id}><span class="swatch" style={{ background: p.fill }} aria-hidden="true" /> <button type="button" class="link" onClick={() => locate(p.sel)}>{p.label.replace(ns.name + ' ', '')}</button>: {p.detail}</li>)}
          </ol>
        </div>
      )}
      {why.length > 0 && (
        <div class="why" data-testid="why">
          <h3>Why</h3>
          {why.map((s) => (
            <div key={s.index}>
              <p><strong>step {s.index}: {s.summary}</strong></p>
              <p class="path">kernel path: {s.path}</p>
              {s.lines.length > 0 && <pre>{s.lines.join('\n')}</pre>}
              {s.whatIf.length > 0 && <><p>What would change it:</p><pre>{s.whatIf.join('\n')}</pre></>}
            </div>
          ))}
        </div>
      )}
      <FindForm />
    </aside>
  );
}
