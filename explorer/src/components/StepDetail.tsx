/** One step: what it changed (a diff of where memmap bytes and table pages are), its explain text, failures. */
import { analysis, stepIndex } from '../store.ts';
import { commas, fmtBytes } from '../format.ts';
import { Timeline } from './Timeline.tsx';
import { objectChanges } from '../diff.ts';

const signed = (n: number, f: (x: number) => string) => (n > 0 ? '+' : n < 0 ? '-' : '') + f(Math.abs(n));

export function StepDetail() {
  const a = analysis.value;
  const rep = a.full.report;
  const i = stepIndex.value;
  const s = rep.steps[i]!;
  const objs = objectChanges(i > 0 ? a.at(i - 1) : null, a.at(i));
  const ex = a.explanation?.steps.find((e) => e.index === s.index);
  const mb = s.delta.memmapBacking;
  const rows: [string, number][] = [
    ...Object.entries(mb.ram).map(([n, v]) => [`memmap in RAM of node ${n}`, v] as [string, number]),
    ...Object.entries(mb.altmap).map(([n, v]) => [`memmap in altmap ${n}`, v] as [string, number]),
    ...Object.entries(mb.self).map(([n, v]) => [`memmap self-hosted, node ${n}`, v] as [string, number]),
    ...Object.entries(mb.dedup).map(([n, v]) => [`memmap shared (dedup) ${n}`, v] as [string, number]),
  ];
  const tables = Object.entries(s.delta.pageTablePages);
  const bad = !s.ok || s.violations.length > 0 || s.kernelBugs.length > 0 || (s.failedExpectations?.length ?? 0) > 0;
  const outcome = s.notRun ?? (s.oops ? `predicted kernel oops in ${s.oops.fn}` : s.ok ? 'ok' : `failed ${s.errno ?? ''}`);
  return (
    <section class="step-detail" aria-labelledby="step-title" data-testid="step-detail">
      <Timeline />
      <h2 id="step-title" class={bad ? 'bad' : ''}>Step {s.index}: {s.step} — {outcome}</h2>
      {s.oops && (
        <div class="alert" role="alert"><strong>Predicted kernel oops:</strong> {s.oops.message}: {s.oops.fn} {s.oops.access === 'write' ? 'wrote' : 'read'} the struct page of pfn 0x{s.oops.pfn.toString(16)}, which is not mapped ({s.oops.what}). The machine is dead from here.</div>
      )}
      {s.kernelBugs.length > 0 && (
        <div class="alert" role="alert"><strong>Predicted kernel bugs (the kernel's behaviour, not the model's):</strong>
          <ul>{s.kernelBugs.map((v, i) => <li key={i}>{v.invariant}: {v.range}: {v.detail}</li>)}</ul></div>
      )}
      {s.violations.length > 0 && (
        <div class="alert" role="alert"><strong>Invariant violations (a bug in the model):</strong>
          <ul>{s.violations.map((v, i) => <li key={i}>{JSON.stringify(v)}</li>)}</ul></div>
      )}
      {(s.failedExpectations?.length ?? 0) > 0 && (
        <div class="alert" role="alert"><strong>Expectations that failed:</strong><ul>{s.failedExpectations!.map((f, i) => <li key={i}>{f}</li>)}</ul></div>
      )}
      <h3>What changed</h3>
      <table class="diff" data-testid="step-diff">
        <thead><tr><th>what</th><th>change</th></tr></thead>
        <tbody>
          {rows.map(([k, v]) => <tr key={k} class={v > 0 ? 'plus' : 'minus'}><td>{k}</td><td>{signed(v, fmtBytes)}</td></tr>)}
          {tables.map(([k, v]) => <tr key={k} class={v > 0 ? 'plus' : 'minus'}><td>{k} table pages</td><td>{signed(v, commas)}</td></tr>)}
          {objs.map((c) => <tr key={c.sign + c.what} class={c.sign === '+' ? 'plus' : 'minus'}><td>{c.sign === '+' ? 'added' : 'removed'}: {c.what}</td><td>{c.sign}</td></tr>)}
          {rows.length + tables.length + objs.length === 0 && <tr><td colSpan={2}>no change to the memmap, the page tables or the machine's objects</td></tr>}
        </tbody>
      </table>
      {s.messages.length > 0 && <><h3>Tool output</h3><pre>{s.messages.join('\n')}</pre></>}
      <h3>Explain</h3>
      {ex ? (
        <div data-testid="explain">
          <p>{ex.summary}</p>
          <p class="path">kernel path: {ex.path}</p>
          <pre>{ex.lines.join('\n')}</pre>
          {ex.warnings.length > 0 && <pre class="bad">{ex.warnings.join('\n')}</pre>}
          {ex.whatIf.length > 0 && <><p>What would change it (each variant run on the model):</p><pre>{ex.whatIf.join('\n')}</pre></>}
        </div>
      ) : <p>No explanation for this step.</p>}
      {s.dmesg.length > 0 && <details><summary>Kernel messages ({s.dmesg.length})</summary><pre>{s.dmesg.join('\n')}</pre></details>}
    </section>
  );
}
