/** The physical map's tracks: nodes, devices, sections, sub-sections, memory blocks, namespaces, dax. */
import type { Analysis, StepState } from './model.ts';
import { vmemOfPhys } from './model.ts';
import { BLOCK_STATE, OI, PART, nodeColour } from './palette.ts';
import { fmtBytes } from './format.ts';
import type { Item, Periodic, Selection, Track } from './types.ts';

function item(id: string, start: number, end: number, fill: string, label: string, detail: string, sel: Partial<Selection> & { kind: Selection['kind'] }, st: StepState, hatch = false): Item {
  const phys: [number, number] = [start, end];
  return { id, start, end, fill, hatch, label, detail, sel: { id, label, phys, vmem: vmemOfPhys(st.layout, phys), ...sel } };
}

/** The parts of a namespace, in address order: info block / altmap reserve, alignment waste, memmap (altmap alloc), unused, data. */
export function namespaceParts(st: StepState, nsName: string): Item[] {
  const rep = st.report;
  const ns = rep.namespaces.find((n) => n.name === nsName);
  if (!ns) return [];
  const P = st.layout.pageSize;
  const out: Item[] = [];
  const alt = rep.altmaps.find((a) => a.namespace === ns.name);
  const dataStart = ns.start + ns.dataOffset;
  const sel = { kind: 'part' as const, namespace: ns.name, about: [ns.name] };
  let cur = ns.start;
  const push = (what: string, end: number, fill: string, why: string) => {
    if (end <= cur) return;
    out.push(item(`${ns.name}:${what}`, cur, end, fill, `${ns.name} ${what}`, `${fmtBytes(end - cur)}: ${why}`, sel, st));
    cur = end;
  };
  if (alt) {
    const base = alt.base_pfn * P;
    push('before altmap', base, OI.grey, 'namespace pages before the altmap base');
    push('info block (altmap reserve)', base + alt.reserve * P, PART.info, `${alt.reserve} page(s) the altmap must not hand out: the pfn info block and start padding`);
    push('alignment waste', cur + alt.align * P, PART.waste, `${alt.align} page(s) skipped so that the memmap's PMD-sized blocks are aligned`);
    push('memmap (altmap alloc)', cur + alt.alloc * P, PART.alloc, `${alt.alloc} page(s) holding the struct pages of this namespace, taken from the device itself (--map=dev)`);
    push('unused altmap', dataStart, PART.unused, 'reserved for the memmap by the info block but not needed');
  } else {
    push('info block', dataStart, PART.info, ns.map === 'mem' ? 'the pfn info block and padding before the data (the memmap lives in RAM: --map=mem)' : 'metadata before the data');
  }
  push('data', ns.start + ns.rawSize, PART.data, `${fmtBytes(ns.size)} usable`);
  return out;
}

export function physTracks(a: Analysis, st: StepState): Track[] {
  const { report: rep, layout: l } = st;
  const nodes: Item[] = [];
  for (const n of a.sc.nodes) n.memory.forEach((m, i) => nodes.push(item(`node${n.id}:${i}`, m.start, m.start + m.size, nodeColour(n.id), `node ${n.id} RAM`, `${fmtBytes(m.size)} of boot RAM on node ${n.id}`, { kind: 'node' }, st)));
  const devices = a.sc.devices.map((d) => item(`dev:${d.name}`, d.start, d.start + d.size, OI.purple, `${d.name} (${d.type})`, `${fmtBytes(d.size)} ${d.type} device on node ${d.node}`, { kind: 'device', about: [d.name] }, st, true));
  const sections = l.sections.map((s, i) => item(`sec:${i}`, s.start, s.start + s.size, nodeColour(s.nid), `sections ${s.early ? '(boot)' : '(hot-added)'} node ${s.nid}`, `${fmtBytes(s.size)} = ${s.size / l.sectionSize} present section(s) of ${fmtBytes(l.sectionSize)}, ${s.early ? 'SECTION_IS_EARLY (boot)' : 'hot-added'}`, { kind: 'section' }, st, !s.early));
  const subs = l.subsections.map((s, i) => item(`sub:${i}`, s.start, s.start + s.size, OI.sky, 'active sub-sections', `${fmtBytes(s.size)} = ${s.size / l.subsectionSize} sub-section(s) of ${fmtBytes(l.subsectionSize)}`, { kind: 'section' }, st));
  const bs = rep.memory.blockSize;
  const selfHosted: Periodic[] = [];
  const blocks = rep.memory.blocks.map((b, i) => {
    if (b.vmemmapPages) selfHosted.push({ id: `selfmm:${i}`, start: b.first * bs, period: bs, count: b.count, len: b.vmemmapPages * l.pageSize, fill: OI.green, label: 'self-hosted memmap', detail: `${b.vmemmapPages} pages at the start of each block hold the block's own struct pages (memmap_on_memory)` });
    return item(`blk:${i}`, b.first * bs, (b.first + b.count) * bs, BLOCK_STATE[b.state] ?? OI.grey, `memory${b.first}${b.count > 1 ? `..memory${b.first + b.count - 1}` : ''} ${b.state}${b.zone ? ' ' + b.zone : ''}`,
      `${b.count} memory block(s) of ${fmtBytes(bs)}, node ${b.nid}, ${b.state}${b.zone ? `, zone ${b.zone}` : ''}${b.boot ? ', boot' : ', hot-added'}${b.vmemmapPages ? `, ${b.vmemmapPages} self-hosted memmap pages each` : ''}`, { kind: 'block' }, st, !b.boot);
  });
  const ns: Item[] = [];
  for (const n of rep.namespaces) ns.push(item(`ns:${n.name}`, n.start, n.start + n.rawSize, OI.orange, `${n.name} ${n.mode}${n.map ? ' map=' + n.map : ''}`, `${fmtBytes(n.rawSize)} namespace on ${n.device} (${n.dev})`, { kind: 'namespace', namespace: n.name, about: [n.name] }, st));
  const parts = rep.namespaces.flatMap((n) => namespaceParts(st, n.name));
  const dax = rep.daxDevices.flatMap((d) => [
    item(`dax:${d.name}`, d.start, d.start + d.size, d.mode === 'system-ram' ? OI.green : OI.purple, `${d.name} ${d.mode}`, `${fmtBytes(d.size)} dax device of ${d.device} (${d.source}), ${d.mode}${d.memmapOnMemory ? ', memmap_on_memory' : ''}`, { kind: 'dax', about: [d.name, d.device] }, st, d.mode !== 'system-ram'),
  ]);
  return [
    { name: 'boot RAM', items: nodes },
    { name: 'devices', items: devices },
    { name: 'sections', items: sections, grid: l.sectionSize },
    { name: 'sub-sections', items: subs, grid: l.subsectionSize },
    { name: 'memory blocks', items: blocks, grid: bs },
    { name: 'namespaces', items: ns },
    { name: 'namespace parts', items: parts, grid: l.pageSize },
    { name: 'dax devices', items: dax },
    { name: 'memmap lives', items: parts.filter((p) => p.id.endsWith(':memmap (altmap alloc)')).map((p) => ({ ...p, fill: OI.orange, label: `memmap of ${p.sel.namespace}` })), periodic: selfHosted },
  ];
}

export function physDomain(tracks: Track[]): [number, number] {
  let hi = 0;
  for (const t of tracks) for (const it of t.items) hi = Math.max(hi, it.end);
  return [0, Math.max(hi, 1 << 30)];
}
