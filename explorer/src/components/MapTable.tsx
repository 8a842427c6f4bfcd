/** The text alternative of a map: the same ranges as a table, each row selectable by keyboard. */
import type { Item, Track } from '../types.ts';

const MAX_ROWS = 200;

export function MapTable({ name, tracks, fmt, onPick }: { name: string; tracks: Track[]; fmt: (x: number) => string; onPick: (it: Item) => void }) {
  return (
    <details class="map-table" data-testid={`${name}-table`}>
      <summary>The ranges of this map as a table</summary>
      <table>
        <thead><tr><th>lane</th><th>range</th><th>start</th><th>end</th><th>what</th></tr></thead>
        <tbody>
          {tracks.flatMap((t) => t.items.slice(0, MAX_ROWS).map((it) => (
            <tr key={it.id} data-changed={it.changed ? 'yes' : undefined}>
              <td>{t.name}</td>
              <td><button type="button" class="link" onClick={() => onPick(it)}>{it.label}</button></td>
              <td>{fmt(it.start)}</td>
              <td>{fmt(it.end)}</td>
              <td>{it.changed ? 'changed by this step: ' : ''}{it.detail}</td>
            </tr>
          )))}
        </tbody>
      </table>
    </details>
  );
}
