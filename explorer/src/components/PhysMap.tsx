/** The physical address map, to scale, linked to the selection. */
import { useMemo } from 'preact/hooks';
import { analysis, pickFrom, stepIndex, focusPhys, hovered, selection, stepState } from '../store.ts';
import { physDomain, physTracks } from '../phys.ts';
import { fmtBytes, hex } from '../format.ts';
import { RangeCanvas } from './RangeCanvas.tsx';
import { markChanged } from '../changes.ts';

const fmt = (x: number) => `${hex(x)} (${fmtBytes(x)})`;

export function PhysMap() {
  const a = analysis.value;
  const st = stepState.value;
  const i = stepIndex.value;
  const tracks = useMemo(() => markChanged(physTracks(a, st), i > 0 ? physTracks(a, a.at(i - 1)) : null), [a, st, i]);
  const domain = useMemo(() => physDomain(physTracks(a, a.full)), [a]);
  const nodes = a.sc.nodes.map((n) => `node ${n.id}: ${n.memory.map((m) => fmtBytes(m.size)).join(' + ')}`).join('; ');
  const devs = a.sc.devices.map((d) => `${d.name} ${d.type} ${fmtBytes(d.size)} at ${fmtBytes(d.start)}`).join('; ') || 'no devices';
  return (
    <RangeCanvas
      name="phys"
      title="Physical address map"
      tracks={tracks}
      domain={domain}
      initial={domain}
      fmt={fmt}
      selected={selection.value}
      hovered={hovered.value}
      rangeOf={(s) => s.phys}
      focus={focusPhys.value}
      onPick={(it) => pickFrom('phys', it ? it.sel : null)}
      onHover={(it) => { hovered.value = it ? it.sel : null; }}
      summary={`Physical memory from 0 to ${fmtBytes(domain[1])}. ${nodes}. Devices: ${devs}.`}
    />
  );
}
