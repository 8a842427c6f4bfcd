/** The vmemmap virtual range: leaf mappings coloured by backing, levels, page-table pages. */
import { useMemo } from 'preact/hooks';
import { analysis, pickFrom, stepIndex, focusVmem, hovered, selection, stepState } from '../store.ts';
import { vmemExtent, vmemTracks } from '../vmem.ts';
import { fmtBytes, hexAddr } from '../format.ts';
import { RangeCanvas } from './RangeCanvas.tsx';
import { markChanged } from '../changes.ts';

export function VmemMap() {
  const a = analysis.value;
  const st = stepState.value;
  const l = st.layout;
  const start = BigInt(l.vmemmapStart);
  const i = stepIndex.value;
  const tracks = useMemo(() => markChanged(vmemTracks(a, st), i > 0 ? vmemTracks(a, a.at(i - 1)) : null), [a, st, i]);
  const domain = useMemo<[number, number]>(() => [0, l.vmemmapSize], [l.vmemmapSize]);
  const initial = useMemo(() => vmemExtent(vmemTracks(a, a.full), a.full.layout.vmemmapSize), [a]);
  const fmt = (x: number) => hexAddr(start, x);
  const mapped = l.leaves.reduce((t, x) => t + x.size, 0);
  return (
    <RangeCanvas
      name="vmem"
      title="vmemmap (virtual): where the struct pages are mapped, and by what"
      tracks={tracks}
      domain={domain}
      initial={initial}
      fmt={fmt}
      selected={selection.value}
      hovered={hovered.value}
      rangeOf={(s) => s.vmem}
      focus={focusVmem.value}
      onPick={(it) => pickFrom('vmem', it ? it.sel : null)}
      onHover={(it) => { hovered.value = it ? it.sel : null; }}
      summary={`The vmemmap window starts at ${l.vmemmapStart} and spans ${fmtBytes(l.vmemmapSize)}; ${fmtBytes(mapped)} of it is mapped in ${l.leaves.length} run(s).`}
    />
  );
}
