/** The scenario under two kernel profiles, side by side: the library's compare(), differences and why. */
import { signal } from '@preact/signals';
import { analysis } from '../store.ts';
import { DEFAULT_KERNEL, PROFILES, compare, findProfile } from '../lib.ts';
import { userProfile } from '../store.ts';

const left = signal('v6.1');
const right = signal(DEFAULT_KERNEL);
const showAll = signal(false);

/** Pairs people ask about: before/after a change, a proposal against what landed. */
const PRESETS: [string, string, string][] = [
  ['before and after the altmap series', 'v5.6', 'v5.9'],
  ['the thread\'s V2 proposal vs what landed', 'seed-v2', 'v5.9'],
  ['Debian 12 vs Debian 13', 'v6.1.y', 'v6.12'],
  ['oldest vs newest modelled', 'v5.6', 'v7.1'],
];

function Pick({ label, sig, id }: { label: string; sig: typeof left; id: string }) {
  return (
    <label>{label}{' '}
      <select id={id} data-testid={id} value={sig.value} onChange={(e) => { sig.value = (e.target as HTMLSelectElement).value; }}>
        {[...PROFILES, ...(userProfile.value ? [findProfile(userProfile.value.id)!] : [])].map((p) => <option key={p.id} value={p.id}>{p.id}{p.kind === 'proposal' ? ' (proposal)' : ''}</option>)}
      </select>
    </label>
  );
}

export function Compare() {
  const a = analysis.value;
  const ks = [left.value, right.value];
  let c: ReturnType<typeof compare> | null = null;
  let err = '';
  try {
    c = compare(a.sc, ks, { all: showAll.value });
  } catch (e) {
    err = (e as Error).message;
  }
  return (
    <section class="compare" aria-labelledby="cmp-title" data-testid="compare">
      <h2 id="cmp-title">Compare two kernels on this scenario</h2>
      <p class="controls">
        <Pick label="left" sig={left} id="cmp-left" /> <Pick label="right" sig={right} id="cmp-right" />{' '}
        {PRESETS.filter(([, a, b]) => PROFILES.some((p) => p.id === a) && PROFILES.some((p) => p.id === b)).map(([t, a, b]) => (
          <button key={t} type="button" onClick={() => { left.value = a; right.value = b; }}>{t}</button>
        ))}{' '}
        <label><input type="checkbox" checked={showAll.value} onChange={(e) => { showAll.value = (e.target as HTMLInputElement).checked; }} /> show identical rows</label>
      </p>
      {err && <p class="bad">{err}</p>}
      {c && Object.entries(c.invalid).map(([k, why]) => <p key={k} class="bad">Not valid under {k}: {why}</p>)}
      {c && (
        <table class="cmp" data-testid="cmp-table">
          <thead><tr><th>step</th><th>what</th>{c.kernels.map((k) => <th key={k}>{k}</th>)}<th>why they differ</th></tr></thead>
          <tbody>
            {c.steps.flatMap((s) => s.rows.length === 0
              ? [<tr key={`s${s.index}`} class="same"><td>{s.index}. {s.step}</td><td colSpan={c!.kernels.length + 2}>identical</td></tr>]
              : s.rows.map((r, i) => {
                const vals = c!.kernels.map((k) => r.values[k] ?? '—');
                const differs = new Set(vals).size > 1;
                return (
                  <tr key={`s${s.index}-${i}`} class={differs ? 'differs' : 'same'} data-differs={differs ? 'yes' : 'no'}>
                    <td>{i === 0 ? `${s.index}. ${s.step}` : ''}</td>
                    <td>{r.what}</td>
                    {vals.map((v, j) => <td key={j}>{differs && <span class="sr-only">differs: </span>}{v}</td>)}
                    <td>{(r.why ?? []).join('; ')}</td>
                  </tr>
                );
              }))}
          </tbody>
        </table>
      )}
      {c && c.expectations.length > 0 && (
        <p class="bad">Failed expectations: {c.expectations.map((e) => `${e.kernel} step ${e.step}: ${e.failed.join(', ')}`).join(' | ')}</p>
      )}
    </section>
  );
}
