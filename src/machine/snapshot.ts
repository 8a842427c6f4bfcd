/**
 * A machine snapshot (format 1): what snapshot/collect.sh prints, read into one object. The
 * collector's text is the one definition of what a snapshot holds; `vmemlab snapshot` writes
 * this object as JSON, and `import`/`verify` accept either form. Pure: no Node imports.
 */

export const SNAPSHOT_FORMAT = 'vmemlab-snapshot';
export const SNAPSHOT_VERSION = 1;

export class SnapshotError extends Error {
  constructor(readonly file: string, rule: string) {
    super(`${file}: ${rule}`);
    this.name = 'SnapshotError';
  }
}

export interface IomemEntry {
  start: number;
  /** Inclusive, as /proc/iomem prints it. */
  end: number;
  name: string;
  /** Nesting depth (two spaces per level). */
  depth: number;
}

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  /** uname -r, uname -m, and uname -v (distributions name the upstream release there: "Debian 6.1.192-1"). */
  kernel: { release: string; machine: string; version?: string };
  pageSize: number;
  cmdline: string;
  cpuFlags: string[];
  /** riscv64: the paging mode /proc/cpuinfo names ("sv39"); absent elsewhere and in older snapshots. */
  mmu?: string;
  /** Whether the collector ran as root (addresses in /proc/iomem, dmesg, debugfs need it). */
  root: boolean;
  /** Sections the collector could not read, with why. */
  unreadable: Record<string, string>;
  /** /proc/iomem; null when unreadable or its addresses are hidden (not root). */
  iomem: IomemEntry[] | null;
  /** /sys/firmware/memmap (the firmware map as kexec sees it): start, end inclusive, type. */
  firmwareMemmap: { start: number; end: number; type: string }[];
  /** The boot log's memory lines (timestamps removed). */
  bootLog: string[];
  /** "Early memory node ranges" from the boot log: memblock.memory per node, end exclusive. */
  earlyNodeRanges: { node: number; start: number; end: number }[];
  nodes: { id: number; memTotal: number | null; memFree: number | null }[];
  memory: {
    blockSize: number;
    autoOnlineBlocks: string;
    memmapOnMemory: string | null;
    blocks: { id: number; state: string; zones: string[]; node: number | null }[];
  } | null;
  /** /proc/meminfo in bytes (kB values times 1024; counts as they are). */
  meminfo: Record<string, number>;
  vmstat: Record<string, number>;
  hugetlb: {
    pools: { size: number; node: number | null; nr: number; free: number; surplus: number }[];
    optimizeVmemmap: boolean | null;
  };
  nd: {
    /** `ndctl list -RNDi` and `daxctl list -RDM` output, when the tools were installed. */
    ndctl: unknown;
    daxctl: unknown;
    /** /sys/bus/nd and /sys/bus/dax devices: device -> attribute -> value. */
    sysfs: Record<string, Record<string, string>>;
  };
  /** The vmemmap part of the kernel page tables (debugfs dump or vmemdump), when readable. */
  pageTables: { source: string; lines: string[] } | null;
}

const num = (s: string) => (/^0x/i.test(s) ? Number.parseInt(s.slice(2), 16) : Number(s));

/** Parse the collector's text, or a snapshot's JSON. */
export function parseSnapshot(file: string, text: string): Snapshot {
  const t = text.replace(/^\uFEFF/, '');
  if (t.trimStart().startsWith('{')) return fromJson(file, t);
  const lines = t.split('\n');
  const head = lines[0]?.trim() ?? '';
  const m = /^vmemlab-snapshot (\d+)$/.exec(head);
  if (!m) throw new SnapshotError(file, `line 1: not a vmemlab snapshot (expected "vmemlab-snapshot 1", got "${head.slice(0, 40)}")`);
  if (Number(m[1]) !== SNAPSHOT_VERSION) throw new SnapshotError(file, `line 1: snapshot format ${m[1]} is not supported (this vmemlab reads format ${SNAPSHOT_VERSION})`);
  if (!lines.some((l) => l.trim() === 'vmemlab-snapshot end')) throw new SnapshotError(file, `truncated: no "vmemlab-snapshot end" line after line ${lines.length} (the collector was interrupted?)`);
  const sections = new Map<string, string[]>();
  const unreadable: Record<string, string> = {};
  let cur: { name: string; body: string[]; line: number } | null = null;
  lines.forEach((l, i) => {
    const b = /^===== BEGIN (.+) =====$/.exec(l);
    const e = /^===== END (.+) =====$/.exec(l);
    const u = /^===== UNREADABLE ([^:]+): (.*) =====$/.exec(l);
    if (b) {
      if (cur) throw new SnapshotError(file, `line ${i + 1}: section "${b[1]}" begins inside "${cur.name}" (line ${cur.line})`);
      cur = { name: b[1]!, body: [], line: i + 1 };
    } else if (e) {
      if (!cur || cur.name !== e[1]) throw new SnapshotError(file, `line ${i + 1}: END of "${e[1]}" without its BEGIN`);
      sections.set(cur.name.split(' ')[0]!, cur.body);
      if (cur.name.startsWith('page-tables ')) sections.set('page-tables-source', [cur.name.slice('page-tables '.length)]);
      cur = null;
    } else if (u) unreadable[u[1]!] = u[2]!;
    else if (cur) cur.body.push(l);
  });
  if (cur) throw new SnapshotError(file, `section "${(cur as { name: string }).name}" (line ${(cur as { line: number }).line}) has no END: truncated`);
  const need = (name: string) => {
    const s = sections.get(name);
    if (!s) throw new SnapshotError(file, `no "${name}" section`);
    return s;
  };
  const [release = '', machine = '', version = ''] = need('uname').map((x) => x.trim());
  if (!release || !machine) throw new SnapshotError(file, 'the uname section needs the release and the machine');
  const pageSize = Number(need('pagesize')[0]?.trim());
  if (!Number.isInteger(pageSize) || pageSize <= 0) throw new SnapshotError(file, `page size "${need('pagesize')[0] ?? ''}" is not a number`);
  const uid = sections.get('user')?.[0]?.trim();
  const flagsLine = sections.get('cpuflags')?.[0] ?? '';
  const cpuFlags = flagsLine.includes(':') ? flagsLine.split(':')[1]!.trim().split(/\s+/).filter(Boolean) : [];
  const bootLog = sections.get('boot-log') ?? [];
  const mmu = /^mmu\s*:\s*(\S+)/.exec(sections.get('cpummu')?.[0] ?? '')?.[1];
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    kernel: { release, machine, ...(version ? { version } : {}) },
    pageSize,
    cmdline: (sections.get('cmdline') ?? []).join(' ').trim(),
    cpuFlags,
    ...(mmu ? { mmu } : {}),
    root: uid === '0',
    unreadable,
    iomem: parseIomem(sections.get('iomem'), unreadable),
    firmwareMemmap: (sections.get('firmware-memmap') ?? []).map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 3).map(([s, e, ...ty]) => ({ start: num(s!), end: num(e!), type: ty.join(' ') })),
    bootLog,
    earlyNodeRanges: parseEarlyNodeRanges(bootLog),
    nodes: (sections.get('nodes') ?? []).map(parseNode).filter((n): n is Snapshot['nodes'][number] => n !== null),
    memory: parseMemoryBlocks(file, sections.get('memory-blocks')),
    meminfo: parseMeminfo(sections.get('meminfo') ?? []),
    vmstat: Object.fromEntries((sections.get('vmstat') ?? []).map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 2).map(([k, v]) => [k!, Number(v)])),
    hugetlb: parseHugetlb(sections.get('hugetlb') ?? []),
    nd: {
      ndctl: parseJsonSection(sections.get('ndctl-list')),
      daxctl: parseJsonSection(sections.get('daxctl-list')),
      sysfs: parseNdSysfs(sections.get('nd-sysfs') ?? []),
    },
    pageTables: sections.has('page-tables')
      ? { source: sections.get('page-tables-source')![0]!, lines: sections.get('page-tables')! }
      : sections.has('vmemdump') ? { source: 'vmemdump', lines: sections.get('vmemdump')! } : null,
  };
}

function fromJson(file: string, text: string): Snapshot {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new SnapshotError(file, `not valid JSON (${(e as Error).message.split('\n')[0]}): truncated or not a snapshot`);
  }
  const o = j as Partial<Snapshot>;
  if (!o || typeof o !== 'object' || o.format !== SNAPSHOT_FORMAT) throw new SnapshotError(file, `not a vmemlab snapshot (no "format": "${SNAPSHOT_FORMAT}")`);
  if (o.version !== SNAPSHOT_VERSION) throw new SnapshotError(file, `snapshot format ${String(o.version)} is not supported (this vmemlab reads format ${SNAPSHOT_VERSION})`);
  for (const k of ['kernel', 'pageSize', 'cmdline', 'cpuFlags', 'bootLog', 'earlyNodeRanges', 'nodes', 'meminfo', 'hugetlb', 'nd'] as const) {
    if (o[k] === undefined) throw new SnapshotError(file, `missing "${k}"`);
  }
  return o as Snapshot;
}

function parseIomem(body: string[] | undefined, unreadable: Record<string, string>): IomemEntry[] | null {
  if (!body) return null;
  const out: IomemEntry[] = [];
  for (const l of body) {
    const m = /^( *)([0-9a-f]+)-([0-9a-f]+) : (.*)$/i.exec(l);
    if (m) out.push({ start: Number.parseInt(m[2]!, 16), end: Number.parseInt(m[3]!, 16), name: m[4]!.trim(), depth: m[1]!.length / 2 });
  }
  if (out.length && out.every((e) => e.start === 0 && e.end === 0)) {
    unreadable.iomem = '/proc/iomem hides its addresses from non-root readers';
    return null;
  }
  return out;
}

function parseEarlyNodeRanges(log: string[]): Snapshot['earlyNodeRanges'] {
  const out: Snapshot['earlyNodeRanges'] = [];
  let inside = false;
  for (const l of log) {
    if (/Early memory node ranges/.test(l)) { inside = true; continue; }
    const m = /^\s*node\s+(\d+): \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\]/i.exec(l);
    if (inside && m) out.push({ node: Number(m[1]), start: num(m[2]!), end: num(m[3]!) + 1 });
    else if (inside) inside = false;
  }
  return out;
}

function parseNode(l: string): Snapshot['nodes'][number] | null {
  const m = /^node(\d+)(.*)$/.exec(l.trim());
  if (!m) return null;
  const kb = (k: string) => {
    const x = new RegExp(`${k}=(\\d+)kB`).exec(m[2]!);
    return x ? Number(x[1]) * 1024 : null;
  };
  return { id: Number(m[1]), memTotal: kb('MemTotal'), memFree: kb('MemFree') };
}

function parseMemoryBlocks(file: string, body: string[] | undefined): Snapshot['memory'] {
  if (!body) return null;
  const kv = (k: string) => body.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1).trim();
  const bs = kv('block_size_bytes');
  if (!bs || !/^[0-9a-f]+$/i.test(bs)) throw new SnapshotError(file, `memory-blocks: block_size_bytes "${bs ?? ''}" is not a hex number`);
  const blocks: NonNullable<Snapshot['memory']>['blocks'] = [];
  for (const l of body) {
    const m = /^memory(\d+) state=(\S*) zones=(\S*) node=(\d*)$/.exec(l.trim());
    if (m) blocks.push({ id: Number(m[1]), state: m[2]!, zones: m[3] ? m[3].split(',').filter(Boolean) : [], node: m[4] === '' ? null : Number(m[4]) });
  }
  blocks.sort((a, b) => a.id - b.id);
  return { blockSize: Number.parseInt(bs, 16), autoOnlineBlocks: kv('auto_online_blocks') ?? '', memmapOnMemory: kv('memmap_on_memory') ?? null, blocks };
}

function parseMeminfo(body: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of body) {
    const m = /^(\S+):\s+(\d+)( kB)?$/.exec(l.trim());
    if (m) out[m[1]!] = Number(m[2]) * (m[3] ? 1024 : 1);
  }
  return out;
}

function parseHugetlb(body: string[]): Snapshot['hugetlb'] {
  const pools: Snapshot['hugetlb']['pools'] = [];
  let optimizeVmemmap: boolean | null = null;
  for (const l of body) {
    const m = /^(global|node(\d+)) hugepages-(\d+)kB(.*)$/.exec(l.trim());
    if (m) {
      const f = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(m[4]!)?.[1] ?? 0);
      pools.push({ size: Number(m[3]) * 1024, node: m[2] === undefined ? null : Number(m[2]), nr: f('nr_hugepages'), free: f('free_hugepages'), surplus: f('surplus_hugepages') });
    }
    const o = /^hugetlb_optimize_vmemmap=(\d)$/.exec(l.trim());
    if (o) optimizeVmemmap = o[1] === '1';
  }
  return { pools, optimizeVmemmap };
}

function parseJsonSection(body: string[] | undefined): unknown {
  if (!body || body.join('').trim() === '') return null;
  try {
    return JSON.parse(body.join('\n'));
  } catch {
    return null;
  }
}

function parseNdSysfs(body: string[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const l of body) {
    const m = /^(\S+) ([a-z_0-9]+)=(.*)$/.exec(l);
    if (m) (out[m[1]!] ??= {})[m[2]!] = m[3]!.trim();
  }
  return out;
}
