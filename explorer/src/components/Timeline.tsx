/** The scenario's steps as a strip of buttons: the maps show the state after the chosen one. */
import { analysis, stepChoice, stepIndex } from '../store.ts';

export function Timeline() {
  const rep = analysis.value.full.report;
  const cur = stepIndex.value;
  const go = (i: number) => { stepChoice.value = Math.max(0, Math.min(rep.steps.length - 1, i)); };
  return (
    <nav class="timeline" aria-label="Steps" data-testid="timeline"
      onKeyDown={(ev) => {
        if (ev.key === 'ArrowRight' || ev.key === '.') { go(cur + 1); ev.preventDefault(); }
        if (ev.key === 'ArrowLeft' || ev.key === ',') { go(cur - 1); ev.preventDefault(); }
      }}>
      <button type="button" onClick={() => go(cur - 1)} disabled={cur === 0} aria-label="previous step">◀</button>
      <ol>
        {rep.steps.map((s, i) => {
          const bad = !s.ok || s.violations.length > 0 || s.kernelBugs.length > 0 || (s.failedExpectations?.length ?? 0) > 0;
          return (
            <li key={i}>
              <button type="button" class={`step${i === cur ? ' current' : ''}${bad ? ' bad' : ''}`} aria-current={i === cur ? 'step' : undefined}
                data-testid={`step-${i}`} onClick={() => go(i)} title={s.step}>
                {bad ? '✗ ' : ''}{s.index}. {s.step.length > 40 ? s.step.slice(0, 38) + '…' : s.step}
                {s.violations.length > 0 ? ` ⚠${s.violations.length}` : ''}{s.oops ? ' (oops)' : ''}
              </button>
            </li>
          );
        })}
      </ol>
      <button type="button" onClick={() => go(cur + 1)} disabled={cur === rep.steps.length - 1} aria-label="next step">▶</button>
    </nav>
  );
}
