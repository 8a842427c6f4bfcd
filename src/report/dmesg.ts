/** `--dmesg`: the kernel's messages, per step, as printk records ("<level>text", as `dmesg -r`). */
import { renderMessage } from '../kernel/printk.js';
import type { StepResult } from '../sim/machine.js';

export function dmesgLines(results: StepResult[], opts: { debug?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.kind === 'expect') continue;
    out.push(`# step ${r.index}: ${r.label}${r.notRun ? ` (${r.notRun})` : ''}`);
    for (const m of r.dmesg) {
      if (m.level === 7 && opts.debug === false) continue;
      const lines = renderMessage(m);
      for (const l of lines) out.push(`<${m.level}>${l}${m.approx && (!m.approxLine || m.approxLine(l)) ? '    # vmemlab: a value here is unknown to the model' : ''}`);
    }
  }
  return out;
}
