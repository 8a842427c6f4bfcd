/**
 * Recording format (schema "vmemlab-conformance/1", documented in conformance/README.md):
 * what a real kernel did, step by step, reduced to the facts the model can be compared on.
 * Built from the guest's results channel; the raw output is kept next to it (raw.txt.gz).
 */
import type { MachinePlan } from './plan.js';
import {
  dmesgLines, iomemPath, parseHugetlb, parseIomem, parseJsonOutput, parseMeminfo, parseMemoryBlocks, parseNdSysfs, parseResults,
  parseVmemdump, parseZoneinfo, section, type HugetlbDump, type IomemEntry, type MemoryBlocks, type ParsedStep, type Vmemdump, type ZoneFigures,
} from './results.js';
import { x86Gbpages } from './plan.js';

export const RECORDING_SCHEMA = 'vmemlab-conformance/1';

export interface Segment {
  /** VA offset from the struct page of pfn 0 (= pfn * 64), hex. */
  off: string;
  /** pfns whose struct pages the segment holds, [first, last], hex. */
  pfns: [string, string];
  size: number;
  level: string;
  /** ram:node<N> | device:<namespace> | self:node<N> | unknown:<pa> */
  backing: string;
  leaves: number;
  /** distinct physical pages (or blocks) the leaves map */
  distinct: number;
}

export interface RecordedNamespace {
  name: string;
  mode: string;
  map: string | null;
  size: number;
  align: number | null;
  dev: string | null;
  start: number | null;
  rawSize: number | null;
  dataOffset: number | null;
}

export interface BlockRun {
  first: number;
  count: number;
  node: number | null;
  state: string;
  /** the zone of an online block (valid_zones), null when offline */
  zone: string | null;
}

export interface RecordedStep {
  index: number;
  kind: string;
  label: string;
  commands: { cmd: string; rc: number | null; output: string[]; elapsed: string | null }[];
  rc: number;
  ok: boolean;
  events: string[];
  uptime: number | null;
  vmemmap: {
    segments: Segment[];
    runs: number;
    leaves: Record<string, number>;
    distinctPtePages: number;
    /** bytes of distinct pages backing struct pages, by class (like the model's memmapBacking) */
    backing: { ram: Record<string, number>; device: Record<string, number>; self: Record<string, number>; unknown: number };
    /** page-table pages below the top table that map the vmemmap region, by level; shared = also map outside it */
    pageTables: Record<string, { tables: number; shared: number }>;
    errors: string[];
  };
  dmesg: { altmap: string[]; pmd: string[]; other: string[] };
  namespaces: RecordedNamespace[];
  daxDevices: { name: string; size: number | null; driver: string | null; memmapOnMemory: string | null; mappings: string[] }[];
  memory: {
    memTotalKiB: number | null;
    memFreeKiB: number | null;
    zones: ZoneFigures[];
    blockSize: number;
    autoOnline: string;
    blocks: BlockRun[];
  };
  iomem: { start: string; end: string; name: string; depth: number }[];
  /** HugeTLB pools per size (global, per node), hugetlb_optimize_vmemmap and the /proc/vmstat
   * memmap counters (nr_memmap_pages, nr_memmap_boot_pages: 6.11+); absent in recordings made
   * before the guest dumped them */
  hugetlb?: HugetlbDump;
  /** Snapshot sections the guest gave up on (init.sh section_t: blocked in the kernel, e.g. on a
   * device lock an oopsed task still holds); their facts are missing from this step. Absent when none. */
  stuck?: string[];
}

export interface Layout {
  nodes: { id: number; memory: { start: number; size: number }[] }[];
  devices: { region: string; start: number; size: number; node: number | null }[];
  paging: { arch: string; levels: number; pageSize: number; vaBits: number | null; vmemmapBase: string | null; pfn0Va: string | null };
  cpuFlags: string[];
  memoryBlockSize: number;
  /** Soft-reserved memory (iomem "Soft Reserved", merged), when the guest has any (hmem devices). */
  softReserved?: { start: number; size: number }[];
}

export interface Recording {
  schema: typeof RECORDING_SCHEMA;
  case: string;
  recordedAt: string;
  kernel: { id: string | null; package: string | null; uname: string; release: string; kver: string };
  harness: { kernelCmdline: string; qemuArgs: string[]; wallSeconds: number; outcome: string; notes: string[] };
  scenarioCmdline: string;
  layout: Layout;
  /** the vmemmap before the NVDIMM/DAX modules load, and the boot log's lines that mention vmemmap, sparse or memory blocks */
  boot: { premodules: { segments: Segment[]; leaves: Record<string, number> } | null; logLines: string[]; hugetlbLines: string[]; hotplugLines?: string[] };
  steps: RecordedStep[];
  /** What `vmemlab snapshot`'s collector printed in the guest after the last step (recordings made since it was added). */
  machineSnapshot?: string;
}

const hex = (n: number | bigint) => '0x' + n.toString(16);

/** Merge adjacent [start, start+size) ranges. */
export function mergeRanges(r: { start: number; size: number }[]): { start: number; size: number }[] {
  const s = [...r].sort((a, b) => a.start - b.start);
  const out: { start: number; size: number }[] = [];
  for (const x of s) {
    const last = out[out.length - 1];
    if (last && last.start + last.size === x.start) last.size += x.size;
    else out.push({ ...x });
  }
  return out;
}

/** "Early memory node ranges" from the boot log: memblock.memory by node. */
export function earlyNodeRanges(bootLog: string[]): { id: number; memory: { start: number; size: number }[] }[] {
  const byNode = new Map<number, { start: number; size: number }[]>();
  let on = false;
  for (const l of bootLog) {
    if (/Early memory node ranges/.test(l)) { on = true; continue; }
    if (!on) continue;
    const m = /node\s+(\d+): \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\]/.exec(l);
    if (!m) { if (byNode.size) on = false; continue; }
    const id = Number(m[1]);
    if (!byNode.has(id)) byNode.set(id, []);
    byNode.get(id)!.push({ start: Number(m[2]), size: Number(m[3]) - Number(m[2]) + 1 });
  }
  return [...byNode.entries()].sort((a, b) => a[0] - b[0]).map(([id, memory]) => ({ id, memory: mergeRanges(memory) }));
}

interface Ctx {
  io: IomemEntry[];
  blocks: MemoryBlocks;
  bootRam: { start: number; size: number }[];
}

function nodeOfPa(c: Ctx, pa: number): number | null {
  if (!c.blocks.blockSize) return null;
  const id = Math.floor(pa / c.blocks.blockSize);
  return c.blocks.blocks.find((b) => b.id === id)?.node ?? null;
}

/** Where a leaf's target page lies: RAM (by node), inside the memory block it describes (self), or a device namespace. */
function classify(c: Ctx, pa: number, firstPfn: number, pageSize: number): string {
  const path = iomemPath(c.io, pa);
  const names = path.map((e) => e.name);
  if (names.some((n) => n.startsWith('System RAM'))) {
    const node = nodeOfPa(c, pa);
    const bs = c.blocks.blockSize;
    if (bs && Math.floor(pa / bs) === Math.floor((firstPfn * pageSize) / bs)) {
      const boot = c.bootRam.some((r) => pa >= r.start && pa < r.start + r.size);
      if (!boot) return `self:node${node ?? '?'}`;
    }
    return `ram:node${node ?? '?'}`;
  }
  const ns = [...names].reverse().find((n) => /^namespace\d+\.\d+$/.test(n));
  if (ns) return `device:${ns}`;
  if (names.includes('Persistent Memory')) return 'device:region';
  return `unknown:${hex(pa)}`;
}

function vmemmapOf(c: Ctx, d: Vmemdump) {
  const ps = d.pageSize;
  const segs: (Segment & { _end: number; _pas: Set<number> })[] = [];
  const backing = { ram: {} as Record<string, number>, device: {} as Record<string, number>, self: {} as Record<string, number>, unknown: 0 };
  const leaves: Record<string, number> = {};
  const allPte = new Set<number>();
  for (const r of d.runs) {
    const size = r.sizeKiB * 1024;
    const leaf = size / r.n;
    const firstPfn = Math.floor(r.off / 64);
    const b = classify(c, r.pa, firstPfn, ps);
    leaves[r.level] = (leaves[r.level] ?? 0) + r.n;
    const pas: number[] = [];
    for (let i = 0; i < r.n; i++) pas.push(r.same ? r.pa : r.pa + i * leaf);
    const last = segs[segs.length - 1];
    let seg: (typeof segs)[number];
    if (last && last._end === r.off && last.level === r.level && last.backing === b) {
      seg = last;
      seg.size += size;
      seg.leaves += r.n;
      seg._end += size;
    } else {
      seg = { off: hex(r.off), pfns: ['', ''], size, level: r.level, backing: b, leaves: r.n, distinct: 0, _end: r.off + size, _pas: new Set() };
      segs.push(seg);
    }
    for (const p of pas) {
      if (!seg._pas.has(p)) {
        seg._pas.add(p);
        if (r.level === d.levels[d.levels.length - 1]) allPte.add(p);
      }
    }
  }
  const out: Segment[] = segs.map((s) => {
    const off0 = Number(s.off);
    const distinct = s._pas.size;
    const leafSize = s.size / s.leaves;
    const bytes = distinct * leafSize;
    const [kind, key] = s.backing.split(':') as [string, string];
    if (kind === 'ram') backing.ram[key.replace('node', '')] = (backing.ram[key.replace('node', '')] ?? 0) + bytes;
    else if (kind === 'self') backing.self[key.replace('node', '')] = (backing.self[key.replace('node', '')] ?? 0) + bytes;
    else if (kind === 'device') backing.device[key] = (backing.device[key] ?? 0) + bytes;
    else backing.unknown += bytes;
    return { off: s.off, pfns: [hex(Math.floor(off0 / 64)), hex(Math.floor((off0 + s.size) / 64) - 1)] as [string, string], size: s.size, level: s.level, backing: s.backing, leaves: s.leaves, distinct };
  });
  const pageTables: Record<string, { tables: number; shared: number }> = {};
  d.levels.forEach((l, i) => { if (i > 0) pageTables[l] = { tables: d.tables[l]?.visited ?? 0, shared: d.tables[l]?.shared ?? 0 }; });
  return { segments: out, runs: d.runs.length, leaves, distinctPtePages: allPte.size, backing, pageTables, errors: d.errors };
}

function namespacesOf(st: ParsedStep): RecordedNamespace[] {
  // ndctl list -RN prints {regions: [...]}, [region, ...], a single region or namespace object,
  // or a list of namespaces, depending on how many of each there are
  const j = parseJsonOutput(section(st, 'ndctl-list-N')?.text ?? '');
  const sys = parseNdSysfs(section(st, 'nd-sysfs')?.text ?? '');
  const list: Record<string, unknown>[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(visit); return; }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.regions)) { visit(o.regions); return; }
    if (typeof o.dev === 'string' && o.dev.startsWith('namespace')) list.push(o);
    if (Array.isArray(o.namespaces)) visit(o.namespaces);
  };
  visit(j);
  return list.map((n) => {
    const name = String(n.dev);
    const ns = sys.get(name) ?? {};
    // the pfn/dax device that claims the namespace gives the data start: resource - namespace start = dataoff (+ start_pad)
    const holder = [...sys.entries()].find(([k, v]) => /^(pfn|dax|btt)\d+\.\d+$/.test(k) && v.namespace === name);
    const start = ns.resource ? Number(ns.resource) : null;
    const dataStart = holder?.[1].resource ? Number(holder[1].resource) : null;
    return {
      name,
      mode: String(n.mode ?? ''),
      map: n.map === undefined ? null : String(n.map),
      size: Number(n.size ?? 0),
      align: n.align === undefined ? null : Number(n.align),
      dev: (n.blockdev ?? n.chardev ?? (n.daxregion as { devices?: { chardev?: string }[] } | undefined)?.devices?.[0]?.chardev ?? null) as string | null,
      start,
      rawSize: ns.size ? Number(ns.size) : null,
      dataOffset: start !== null && dataStart !== null ? dataStart - start : null,
    };
  });
}

function daxOf(st: ParsedStep): RecordedStep['daxDevices'] {
  const sys = parseNdSysfs(section(st, 'nd-sysfs')?.text ?? '');
  const out: RecordedStep['daxDevices'] = [];
  for (const [name, a] of sys) {
    if (!/^dax\d+\.\d+$/.test(name) || a.devtype !== undefined) continue; // nd_dax devices carry devtype
    out.push({ name, size: a.size ? Number(a.size) : null, driver: a.driver ?? null, memmapOnMemory: a.memmap_on_memory ?? null, mappings: Object.entries(a).filter(([k]) => k.startsWith('mapping')).map(([k, v]) => `${k}=${v}`) });
  }
  return out;
}

export function blockRuns(mb: MemoryBlocks): BlockRun[] {
  const out: BlockRun[] = [];
  for (const b of mb.blocks) {
    const zone = b.state === 'online' ? b.zones : null;
    const last = out[out.length - 1];
    if (last && last.first + last.count === b.id && last.state === b.state && last.zone === zone && last.node === b.node) last.count++;
    else out.push({ first: b.id, count: 1, node: b.node, state: b.state, zone });
  }
  return out;
}

function recordStep(st: ParsedStep, c: Ctx): RecordedStep {
  const vd = parseVmemdump(section(st, 'vmemdump')?.text ?? '');
  const dm = dmesgLines(section(st, 'dmesg-delta')?.text ?? '');
  const mi = parseMeminfo(section(st, 'meminfo')?.text ?? '');
  const commands = st.sections.filter((s) => s.name.startsWith('cmd ')).map((s) => {
    const lines = s.text.split('\n');
    const el = lines.find((l) => l.startsWith('elapsed: '));
    return { cmd: s.name.slice(4), rc: s.rc, output: lines.filter((l) => !l.startsWith('elapsed: ') && l !== ''), elapsed: el ? el.slice(9) : null };
  });
  const rc = st.stepRc ?? commands.find((x) => x.rc !== 0)?.rc ?? 0;
  return {
    index: st.index,
    kind: st.kind,
    label: st.label,
    commands,
    rc,
    ok: rc === 0,
    events: st.events,
    uptime: st.snapshotAt,
    vmemmap: vmemmapOf(c, vd),
    dmesg: {
      altmap: dm.filter((l) => l.startsWith('altmap_alloc_block_buf:')),
      pmd: dm.filter((l) => /\] PMD -> \[/.test(l)),
      other: dm.filter((l) => !l.startsWith('altmap_alloc_block_buf:') && !/\] PMD -> \[/.test(l)),
    },
    namespaces: namespacesOf(st),
    daxDevices: daxOf(st),
    memory: {
      memTotalKiB: mi.MemTotal ?? null,
      memFreeKiB: mi.MemFree ?? null,
      zones: parseZoneinfo(section(st, 'zoneinfo')?.text ?? ''),
      blockSize: c.blocks.blockSize,
      autoOnline: c.blocks.autoOnline,
      blocks: blockRuns(c.blocks),
    },
    iomem: c.io.map((e) => ({ start: hex(e.start), end: hex(e.end), name: e.name, depth: e.depth })),
    ...(section(st, 'hugetlb') ? { hugetlb: parseHugetlb(section(st, 'hugetlb')!.text) } : {}),
    ...stuckOf(st),
  };
}

/** Sections init.sh's section_t stopped waiting for (rc 124 and its "section timed out" line). */
function stuckOf(st: ParsedStep): { stuck?: string[] } {
  const names = st.sections.filter((x) => x.rc === 124 && /^section timed out after \d+ s/m.test(x.text)).map((x) => x.name);
  return names.length ? { stuck: names } : {};
}

export interface BuildInput {
  caseName: string;
  results: string;
  plan: MachinePlan | null;
  kernelCmdline: string;
  qemuArgs: string[];
  wallSeconds: number;
  outcome: string;
  recordedAt?: string;
}

export function buildRecording(inp: BuildInput): Recording {
  const parsed = parseResults(inp.results);
  const boot0 = parsed.steps.find((s) => s.index === 0);
  const bootLog = dmesgLines(section(boot0, 'dmesg-boot')?.text ?? '');
  const uname = (section(boot0, 'uname')?.text ?? '').trim();
  const kver = uname.split(/\s+/)[2] ?? '';
  // "Debian 6.12.117-1~deb12u1" in uname -v names the upstream release; else uname -r
  const deb = /Debian (\d+\.\d+\.\d+)/.exec(uname);
  const release = deb ? deb[1]! : (/^(\d+\.\d+(?:\.\d+)?)/.exec(kver)?.[1] ?? kver);
  const bootRam = earlyNodeRanges(bootLog);
  const step1 = parsed.steps.find((s) => s.index === 1);
  const sys1 = parseNdSysfs(section(step1, 'nd-sysfs')?.text ?? '');
  const vd1 = parseVmemdump(section(step1, 'vmemdump')?.text ?? '');
  const mb1 = parseMemoryBlocks(section(step1, 'memory-blocks')?.text ?? '');
  const flags = (section(boot0, 'cpuinfo-flags')?.text ?? '').replace(/^[^:]*:\s*/, '').trim().split(/\s+/).filter(Boolean);
  const layout: Layout = {
    nodes: bootRam,
    devices: [...sys1.entries()].filter(([k]) => /^region\d+$/.test(k)).sort((a, b) => Number(a[0].slice(6)) - Number(b[0].slice(6))).map(([k, v]) => ({ region: k, start: Number(v.resource), size: Number(v.size), node: v.numa_node !== undefined ? Number(v.numa_node) : null })),
    paging: {
      arch: vd1.info.arch ?? '',
      levels: Number(vd1.info.levels ?? 0),
      pageSize: vd1.pageSize,
      vaBits: vd1.info.vabits ? Number(vd1.info.vabits) : null,
      vmemmapBase: vd1.info.vmemmap_base ?? (vd1.info.region ? vd1.info.region.split('-')[0]! : null),
      pfn0Va: vd1.info.pfn0_va ?? null,
    },
    cpuFlags: flags,
    memoryBlockSize: mb1.blockSize,
  };
  // adjacent "Soft Reserved" entries (e820 splits at the end of RAM) merged
  const sr: { start: number; size: number }[] = [];
  for (const e of parseIomem(section(step1, 'iomem')?.text ?? '').filter((x) => x.name === 'Soft Reserved')) { // 6.1: under "hmem.N"
    const last = sr[sr.length - 1];
    if (last && last.start + last.size === e.start) last.size += e.end + 1 - e.start;
    else sr.push({ start: e.start, size: e.end + 1 - e.start });
  }
  if (sr.length) layout.softReserved = sr;
  const flatRam = bootRam.flatMap((n) => n.memory);
  const steps: RecordedStep[] = [];
  for (const st of parsed.steps) {
    if (st.index === 0) continue;
    const c: Ctx = { io: parseIomem(section(st, 'iomem')?.text ?? ''), blocks: parseMemoryBlocks(section(st, 'memory-blocks')?.text ?? ''), bootRam: flatRam };
    steps.push(recordStep(st, c));
  }
  const pre = section(boot0, 'vmemdump-premodules');
  let premodules: Recording['boot']['premodules'] = null;
  if (pre && step1) {
    const c: Ctx = { io: parseIomem(section(step1, 'iomem')?.text ?? ''), blocks: mb1, bootRam: flatRam };
    const v = vmemmapOf(c, parseVmemdump(pre.text));
    premodules = { segments: v.segments, leaves: v.leaves };
  }
  return {
    schema: RECORDING_SCHEMA,
    case: inp.caseName,
    recordedAt: inp.recordedAt ?? new Date().toISOString(),
    kernel: { id: inp.plan?.kernel.id ?? null, package: inp.plan?.kernel.package ?? null, uname, release, kver },
    harness: { kernelCmdline: inp.kernelCmdline, qemuArgs: inp.qemuArgs, wallSeconds: Math.round(inp.wallSeconds * 10) / 10, outcome: inp.outcome, notes: inp.plan?.notes ?? [] },
    scenarioCmdline: inp.plan?.cmdline ?? '',
    layout,
    boot: { premodules, logLines: bootLog.filter((l) => /vmemmap|sparse|[Mm]emory block size|memblock_alloc/.test(l)), hugetlbLines: bootLog.filter((l) => /^HugeTLB/.test(l)), hotplugLines: bootLog.filter((l) => /^Memory hotplug will waste/.test(l)) },
    steps,
    ...snapshotOf(parsed),
  };
}

function snapshotOf(parsed: ReturnType<typeof parseResults>): { machineSnapshot?: string } {
  for (const st of [...parsed.steps].reverse()) {
    const s = section(st, 'vmemlab-snapshot');
    // a collector that blocked in the kernel (after an oops) left a truncated snapshot: none
    if (s && s.rc === 124) return {};
    if (s) return { machineSnapshot: s.text + '\n' };
  }
  return {};
}

// ---- layout check ------------------------------------------------------------------------------

const fmtRange = (r: { start: number; size: number }) => `{ start: ${hex(r.start)}, size: ${hex(r.size)} }`;

/** The scenario lines that describe the machine as the guest saw it. */
export function layoutYaml(l: Layout, deviceNames: string[], labels: boolean[] = []): string {
  const lines: string[] = [];
  if (l.paging.arch === 'x86_64') lines.push(`config: { levels: ${l.paging.levels}${l.cpuFlags.includes('pdpe1gb') ? '' : ', gbpages: false'} }`);
  else lines.push(`config: { pageSize: ${l.paging.pageSize / 1024}K, vaBits: ${l.paging.vaBits ?? 48} }`);
  lines.push('nodes:');
  for (const n of l.nodes) lines.push(`  - id: ${n.id}`, `    memory: [ ${n.memory.map(fmtRange).join(', ')} ]`);
  if (l.devices.length) {
    lines.push('devices:');
    l.devices.forEach((d, i) => lines.push(`  - { name: ${deviceNames[i] ?? 'nvdimm' + i}, type: nvdimm, node: ${d.node ?? 0}, start: ${hex(d.start)}, size: ${hex(d.size)}, labels: ${labels[i] ?? false} }`));
  }
  return lines.join('\n');
}

/** Differences between the scenario's machine and what the guest saw ([] when they agree). */
export function checkLayout(plan: MachinePlan, l: Layout, config: Record<string, unknown>): string[] {
  const out: string[] = [];
  // memoryless nodes have no "Early memory node ranges" line
  const want = plan.nodes.filter((n) => n.memory.length > 0).map((n) => ({ id: n.id, memory: mergeRanges(n.memory) }));
  const got = l.nodes;
  if (JSON.stringify(want) !== JSON.stringify(got)) {
    out.push(`boot memory (memblock, "Early memory node ranges"): scenario ${want.map((n) => `node ${n.id}: ${n.memory.map(fmtRange).join(' ')}`).join('; ')} but the guest had ${got.map((n) => `node ${n.id}: ${n.memory.map(fmtRange).join(' ')}`).join('; ') || '(none found)'}`);
  }
  const nvdimms = plan.devices.filter((d) => d.type === 'nvdimm');
  nvdimms.forEach((d, i) => {
    const g = l.devices[i];
    if (!g) out.push(`device ${d.name}: the guest has no region${i}`);
    else if (g.start !== d.start || g.size !== d.size) out.push(`device ${d.name}: scenario start ${hex(d.start)} size ${hex(d.size)}, guest region${i} at ${hex(g.start)} size ${hex(g.size)}`);
  });
  if (l.devices.length > nvdimms.length) out.push(`the guest has ${l.devices.length} regions, the scenario ${nvdimms.length} nvdimm devices`);
  for (const d of plan.devices.filter((x) => x.type === 'hmem')) {
    if (!(l.softReserved ?? []).some((r) => r.start === d.start && r.size === d.size)) {
      out.push(`device ${d.name}: no "Soft Reserved" [${hex(d.start)}, +${hex(d.size)}) in the guest's iomem (it has ${(l.softReserved ?? []).map(fmtRange).join(' ') || 'none'})`);
    }
  }
  if (plan.arch === 'x86_64' && l.paging.levels !== plan.levels) out.push(`paging levels: scenario ${plan.levels}, guest ${l.paging.levels}`);
  if (plan.arch === 'x86_64' && l.cpuFlags.length && x86Gbpages(config) !== l.cpuFlags.includes('pdpe1gb')) {
    out.push(`1 GiB pages: scenario config.gbpages ${x86Gbpages(config)}${config.gbpages === undefined ? ' (the default)' : ''}, but the guest's CPU ${l.cpuFlags.includes('pdpe1gb') ? 'has' : 'lacks'} pdpe1gb`);
  }
  if (plan.arch === 'arm64') {
    const ps = (l.paging.pageSize / 1024) + 'K';
    if (String(config.pageSize ?? '4K') !== ps) out.push(`page size: scenario ${String(config.pageSize ?? '4K')}, guest ${ps}`);
    if (Number(config.vaBits ?? 48) !== l.paging.vaBits) out.push(`VA bits: scenario ${String(config.vaBits ?? '48 (default)')}, guest ${String(l.paging.vaBits)}`);
  }
  return out;
}
