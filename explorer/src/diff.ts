/** What one step changed in the machine's objects: namespaces, altmaps, memory blocks, dax devices, sections. */
import type { StepState } from './model.ts';
import { fmtBytes } from './format.ts';

export interface Change { sign: '+' | '-'; what: string }

function setDiff(before: string[], after: string[]): Change[] {
  const a = new Set(before);
  const b = new Set(after);
  return [...after.filter((x) => !a.has(x)).map((what) => ({ sign: '+' as const, what })), ...before.filter((x) => !b.has(x)).map((what) => ({ sign: '-' as const, what }))];
}

function objects(st: StepState | null): string[] {
  if (!st) return [];
  const r = st.report;
  const bs = r.memory.blockSize;
  return [
    ...r.namespaces.map((n) => `namespace ${n.name} on ${n.device}: ${n.mode}${n.map ? ' map=' + n.map : ''}, ${fmtBytes(n.rawSize)} raw, ${fmtBytes(n.size)} usable`),
    ...r.altmaps.map((a) => `altmap ${a.id}: reserve ${a.reserve}, free ${a.free}, alloc ${a.alloc}, align ${a.align} pages`),
    ...r.memory.blocks.map((b) => `memory blocks ${b.first}..${b.first + b.count - 1} (${fmtBytes(b.count * bs)} at ${fmtBytes(b.first * bs)}): node ${b.nid} ${b.state}${b.zone ? ' ' + b.zone : ''}${b.vmemmapPages ? `, ${b.vmemmapPages} self-hosted memmap pages each` : ''}`),
    ...r.daxDevices.map((d) => `dax device ${d.name} (${d.device}): ${d.mode}, ${fmtBytes(d.size)}`),
    ...st.layout.sections.map((s) => `sections ${fmtBytes(s.start)}..${fmtBytes(s.start + s.size)} node ${s.nid} ${s.early ? 'boot' : 'hot-added'}`),
  ];
}

/** Objects that appeared (+) or went away (-) between the state before a step and after it. */
export function objectChanges(before: StepState | null, after: StepState): Change[] {
  return setDiff(objects(before), objects(after));
}
