/** The vmemmap map's tracks: leaf mappings by backing and level, page-table pages, and what the struct pages describe. */
import type { LayoutBacking } from './lib.ts';
import type { Analysis, StepState } from './model.ts';
import { physOfVmem, vmemOfPhys } from './model.ts';
import { BACKING, OI, nodeColour } from './palette.ts';
import { commas, fmtBytes } from './format.ts';
import type { Item, Track } from './types.ts';

export function backingText(b: LayoutBacking): string {
  switch (b.kind) {
    case 'ram': return `RAM of node ${b.node}`;
    case 'altmap': return `altmap of ${b.id} (on the device)`;
    case 'self': return `self-hosted in node ${b.node}'s hot-added blocks`;
    case 'dedup': return `deduplicated (${b.pgmap}: PTEs share tail pages)`;
  }
}

export function backingFill(b: LayoutBacking): string {
  return b.kind === 'ram' ? nodeColour(b.node) : BACKING[b.kind];
}

function vitem(st: StepState, id: string, start: number, end: number, fill: string, label: string, detail: string, kind: 'leaf' | 'table' | 'range', hatch = false, namespace?: string): Item {
  const vmem: [number, number] = [start, end];
  return { id, start, end, fill, hatch, label, detail, sel: { id, kind, label, vmem, phys: physOfVmem(st.layout, vmem), namespace } };
}

export function vmemTracks(a: Analysis, st: StepState): Track[] {
  const l = st.layout;
  const leaves = l.leaves.map((x, i) => vitem(st, `leaf:${i}`, x.start, x.start + x.size, backingFill(x.backing), backingText(x.backing),
    `${fmtBytes(x.size)} of struct pages mapped by ${commas(x.size / (x.level === 'pmd' ? l.pmdSize : l.pageSize))} ${x.level.toUpperCase()} leaf entr${x.size === l.pmdSize || x.size === l.pageSize ? 'y' : 'ies'}, backed by ${backingText(x.backing)}`, 'leaf', x.level === 'pte'));
  const levels = l.leaves.map((x, i) => vitem(st, `lvl:${i}`, x.start, x.start + x.size, x.level === 'pmd' ? OI.blue : OI.yellow, `${x.level.toUpperCase()} leaves`,
    x.level === 'pmd' ? `mapped with ${fmtBytes(l.pmdSize)} PMD leaves` : `mapped with ${fmtBytes(l.pageSize)} PTE leaves (base pages)`, 'leaf', x.level === 'pte'));
  const tableTracks: Track[] = l.levels.slice(1).reverse().map((lvl) => ({
    name: `${lvl} tables`,
    grid: l.tableSpan[lvl],
    items: l.tables.filter((t) => t.level === lvl).map((t, i) => {
      const n = t.size / l.tableSpan[lvl]!;
      // a table is one page on most arches; s390's are 16 KiB (segment) or 2 KiB (page tables)
      const each = l.tablePages?.[lvl]?.[t.boot ? 'boot' : 'runtime'] ?? 1;
      const what = each === 1 ? `${commas(n)} ${lvl} table page(s)` : `${commas(n)} ${lvl} table(s) (${commas(n * each)} page(s))`;
      return vitem(st, `tbl:${lvl}:${i}`, t.start, t.start + t.size, nodeColour(t.node), `${what}, node ${t.node}`,
        `${what} on node ${t.node} (${t.boot ? 'memblock, at boot' : 'page allocator, later'}), each maps ${fmtBytes(l.tableSpan[lvl]!)} of vmemmap`, 'table', !t.boot);
    }),
  }));
  const describes: Item[] = [];
  for (const n of a.sc.nodes) n.memory.forEach((m, i) => {
    const [s, e] = vmemOfPhys(l, [m.start, m.start + m.size]);
    describes.push(vitem(st, `desc:node${n.id}:${i}`, s, e, nodeColour(n.id), `struct pages of node ${n.id} RAM`, `the struct pages describing ${fmtBytes(m.size)} of node ${n.id} boot RAM`, 'range'));
  });
  for (const d of a.sc.devices) {
    const [s, e] = vmemOfPhys(l, [d.start, d.start + d.size]);
    describes.push(vitem(st, `desc:${d.name}`, s, e, OI.purple, `struct pages of ${d.name}`, `where the struct pages of ${d.name} (${fmtBytes(d.size)} ${d.type}) go if it gets a memmap`, 'range', true));
  }
  describes.sort((x, y) => x.start - y.start);
  return [
    { name: 'backing', items: leaves, grid: l.pageSize },
    { name: 'leaf level', items: levels, grid: l.pmdSize },
    ...tableTracks,
    { name: 'describes', items: describes },
  ];
}

/** The mapped extent, padded, for the initial view. */
export function vmemExtent(tracks: Track[], size: number): [number, number] {
  const leaves = tracks[0]!.items;
  if (!leaves.length) return [0, size];
  const lo = leaves[0]!.start;
  const hi = leaves[leaves.length - 1]!.end;
  const pad = (hi - lo) * 0.05;
  return [Math.max(0, lo - pad), Math.min(size, hi + pad)];
}
