/** What the colours and patterns mean (every colour also has a label or a pattern). */
import { BACKING, BLOCK_STATE, OI, PART, nodeColour } from '../palette.ts';

const Sw = ({ c, hatch, t }: { c: string; hatch?: boolean; t: string }) => (
  <li><span class={`swatch${hatch ? ' hatch' : ''}`} style={{ background: c }} aria-hidden="true" /> {t}</li>
);

export function Legend() {
  return (
    <details class="legend" open>
      <summary>Legend</summary>
      <ul>
        <Sw c={nodeColour(0)} t="RAM of node 0" /><Sw c={nodeColour(1)} t="RAM of node 1" />
        <Sw c={BACKING.altmap} t="altmap (on the device)" /><Sw c={BACKING.self} t="self-hosted (memmap_on_memory)" />
        <Sw c={BACKING.dedup} t="deduplicated / device" /><Sw c={OI.yellow} hatch t="PTE leaves (hatched)" /><Sw c={OI.blue} t="PMD leaves" />
        <Sw c={PART.info} t="info block (altmap reserve)" /><Sw c={PART.waste} t="alignment waste" /><Sw c={PART.alloc} t="memmap (altmap alloc)" />
        <Sw c={PART.unused} t="unused altmap" /><Sw c={PART.data} t="data" />
        <Sw c="#f6f6f6" t="lane background: unmapped / nothing there" /><Sw c={BLOCK_STATE.online!} t="block online" /><Sw c={BLOCK_STATE.offline!} t="block offline" /><Sw c="#ccc" hatch t="hatched: hot-added / later" /><Sw c="#D55E00" t="bar on top: changed by the step shown" />
      </ul>
    </details>
  );
}
