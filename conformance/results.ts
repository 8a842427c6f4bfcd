/**
 * Parser of the guest's results channel (conformance/guest/init.sh writes it):
 *
 *   @@READY / @@HOTPLUG_REQUEST ... / @@HOTPLUG_DONE ... / @@UNPLUG_REQUEST ... / @@DONE
 *   ########## STEP <n> <kind> t=<uptime> label=<text>
 *   ########## SNAPSHOT <n>-<kind> t=<uptime>
 *   ===== BEGIN <n>-<kind> <section> =====
 *   ...verbatim...
 *   ===== END <n>-<kind> <section> (rc=<exit code>) =====
 *   ########## END SNAPSHOT <n>-<kind> t=<uptime> step_rc=<rc>
 *
 * Commands run by a step are sections named "cmd <command line>" followed by an
 * "elapsed: t0 -> t1" line inside the section.
 */

export interface Section {
  name: string;
  text: string;
  rc: number | null;
}

export interface ParsedStep {
  index: number;
  kind: string;
  label: string;
  startedAt: number | null;
  snapshotAt: number | null;
  stepRc: number | null;
  /** Sections in order (the commands, then the snapshot's). */
  sections: Section[];
  events: string[];
}

export interface ParsedResults {
  ready: boolean;
  done: boolean;
  fatal: string | null;
  steps: ParsedStep[];
}

export function parseResults(text: string): ParsedResults {
  const out: ParsedResults = { ready: false, done: false, fatal: null, steps: [] };
  let cur: ParsedStep | null = null;
  let sec: { name: string; lines: string[] } | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (sec) {
      const m = /^===== END (\S+) (.+) \(rc=(-?\d+)\) =====$/.exec(line);
      if (m) {
        // an END that names another section means the guest script clobbered the name it
        // prints: keep the section (it ends here) and say so among the step's events
        if (m[2] !== sec.name) cur!.events.push(`@@SECTION-MISMATCH began "${sec.name}", ended "${m[2]}"`);
        cur!.sections.push({ name: sec.name, text: sec.lines.join('\n'), rc: Number(m[3]) });
        sec = null;
      } else sec.lines.push(line);
      continue;
    }
    let m: RegExpExecArray | null;
    if (line.startsWith('@@')) {
      if (line.startsWith('@@READY')) out.ready = true;
      else if (line.startsWith('@@DONE')) out.done = true;
      else if (line.startsWith('@@FATAL')) out.fatal = line.slice(8);
      else cur?.events.push(line);
    } else if ((m = /^########## STEP (\d+) (\S+) t=([\d.]+) label=(.*)$/.exec(line))) {
      cur = { index: Number(m[1]), kind: m[2]!, label: m[4]!, startedAt: Number(m[3]), snapshotAt: null, stepRc: null, sections: [], events: [] };
      out.steps.push(cur);
    } else if ((m = /^########## SNAPSHOT \S+ t=([\d.]+)/.exec(line))) {
      if (cur) cur.snapshotAt = Number(m[1]);
    } else if ((m = /^########## END SNAPSHOT \S+ t=[\d.]+ step_rc=(-?\d+)/.exec(line))) {
      if (cur) cur.stepRc = Number(m[1]);
    } else if ((m = /^===== BEGIN (\S+) (.+) =====$/.exec(line))) {
      if (!cur) {
        cur = { index: 0, kind: 'boot', label: 'boot', startedAt: null, snapshotAt: null, stepRc: null, sections: [], events: [] };
        out.steps.push(cur);
      }
      sec = { name: m[2]!, lines: [] };
    }
  }
  if (sec && cur) cur.sections.push({ name: sec.name, text: sec.lines.join('\n'), rc: null });
  return out;
}

export function section(st: ParsedStep | undefined, name: string): Section | undefined {
  return st?.sections.find((s) => s.name === name);
}

// ---- section parsers --------------------------------------------------------------------------

export interface IomemEntry {
  start: number;
  end: number; // inclusive
  name: string;
  depth: number;
  parent: number; // index of the parent entry, -1 at top level
}

export function parseIomem(text: string): IomemEntry[] {
  const out: IomemEntry[] = [];
  const stack: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^( *)([0-9a-f]+)-([0-9a-f]+) : (.*)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 2;
    stack.length = depth;
    const parent = depth > 0 ? (stack[depth - 1] ?? -1) : -1;
    out.push({ start: parseInt(m[2]!, 16), end: parseInt(m[3]!, 16), name: m[4]!, depth, parent });
    stack[depth] = out.length - 1;
  }
  return out;
}

/** Entries containing pa, outermost first. */
export function iomemPath(io: IomemEntry[], pa: number): IomemEntry[] {
  return io.filter((e) => e.start <= pa && pa <= e.end).sort((a, b) => a.depth - b.depth);
}

export interface VmemRun {
  va: bigint;
  vaLast: bigint;
  level: string;
  n: number;
  sizeKiB: number;
  pa: number;
  paLast: number;
  same: boolean;
  flags: string;
  off: number;
}

export interface Vmemdump {
  info: Record<string, string>;
  pfn0Va: bigint | null;
  pageSize: number;
  levels: string[];
  runs: VmemRun[];
  summary: Record<string, number>;
  tables: Record<string, { visited: number; shared: number; leaves: number; mappedKiB: number }>;
  errors: string[];
}

export function parseVmemdump(text: string): Vmemdump {
  const d: Vmemdump = { info: {}, pfn0Va: null, pageSize: 4096, levels: [], runs: [], summary: {}, tables: {}, errors: [] };
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if (line.startsWith('INFO ')) {
      for (const kv of line.slice(5).matchAll(/(\S+)=(\S+)/g)) d.info[kv[1]!] = kv[2]!;
    } else if ((m = /^RUN (0x[0-9a-f]+)-(0x[0-9a-f]+) (\S+) n=(\d+) size=(\d+)K pa=(0x[0-9a-f]+)-(0x[0-9a-f]+)( \(SAME PAGE x\d+\))? (.*) off=(0x[0-9a-f]+) pfn=/.exec(line))) {
      d.runs.push({ va: BigInt(m[1]!), vaLast: BigInt(m[2]!), level: m[3]!.toLowerCase(), n: Number(m[4]), sizeKiB: Number(m[5]), pa: Number(m[6]), paLast: Number(m[7]), same: !!m[8], flags: m[9]!, off: Number(m[10]) });
    } else if ((m = /^SUMMARY (\w+): tables_visited=(\d+) shared=(\d+) leaves=(\d+) mapped=(\d+)K/.exec(line))) {
      d.tables[m[1]!.toLowerCase()] = { visited: Number(m[2]), shared: Number(m[3]), leaves: Number(m[4]), mappedKiB: Number(m[5]) };
    } else if (line.startsWith('SUMMARY ')) {
      for (const kv of line.matchAll(/(\w+)=(\d+)/g)) d.summary[kv[1]!] = Number(kv[2]);
    } else if (line.startsWith('ERROR')) d.errors.push(line);
  }
  if (d.info.pfn0_va) d.pfn0Va = BigInt(d.info.pfn0_va);
  if (d.info.page_size) d.pageSize = Number(d.info.page_size);
  if (d.info.names) d.levels = d.info.names.split(',').map((x) => x.split(':')[0]!.toLowerCase());
  return d;
}

export interface MemoryBlocks {
  blockSize: number;
  autoOnline: string;
  memmapOnMemory: string;
  blocks: { id: number; state: string; zones: string; node: number | null }[];
}

export function parseMemoryBlocks(text: string): MemoryBlocks {
  const mb: MemoryBlocks = { blockSize: 0, autoOnline: '', memmapOnMemory: '', blocks: [] };
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^block_size_bytes=([0-9a-f]+)/.exec(line))) mb.blockSize = parseInt(m[1]!, 16);
    else if ((m = /^auto_online_blocks=(.*)$/.exec(line))) mb.autoOnline = m[1]!;
    else if ((m = /^memmap_on_memory=(.*)$/.exec(line))) mb.memmapOnMemory = m[1]!;
    else if ((m = /^memory(\d+) state=(\S*) zones=(\S*) node=(\d*)/.exec(line))) mb.blocks.push({ id: Number(m[1]), state: m[2]!, zones: m[3]!, node: m[4] === '' ? null : Number(m[4]) });
  }
  mb.blocks.sort((a, b) => a.id - b.id);
  return mb;
}

/** "name key=value" lines of the nd-sysfs section: device -> attributes. */
export function parseNdSysfs(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) ([\w]+)=(.*)$/.exec(line);
    if (!m) continue;
    if (!out.has(m[1]!)) out.set(m[1]!, {});
    out.get(m[1]!)![m[2]!] = m[3]!;
  }
  return out;
}

export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

export interface ZoneFigures {
  node: number;
  zone: string;
  free: number;
  spanned: number;
  present: number;
  managed: number;
  startPfn: number | null;
}

export function parseZoneinfo(text: string): ZoneFigures[] {
  const out: ZoneFigures[] = [];
  let cur: ZoneFigures | null = null;
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^Node (\d+), zone\s+(\S+)/.exec(line))) {
      cur = { node: Number(m[1]), zone: m[2]!, free: 0, spanned: 0, present: 0, managed: 0, startPfn: null };
      out.push(cur);
    } else if (cur && (m = /^\s+pages free\s+(\d+)/.exec(line))) cur.free = Number(m[1]);
    else if (cur && (m = /^\s+(spanned|present|managed)\s+(\d+)/.exec(line))) cur[m[1] as 'spanned' | 'present' | 'managed'] = Number(m[2]);
    else if (cur && (m = /^\s+start_pfn:\s+(\d+)/.exec(line))) cur.startPfn = Number(m[1]);
  }
  return out;
}

/** dmesg lines without the "[ uptime]" prefix. */
export function dmesgLines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0).map((l) => l.replace(/^\[\s*\d+\.\d+\] ?/, ''));
}

/** JSON printed by ndctl/daxctl (an object, an array, or nothing). */
export function parseJsonOutput(text: string): unknown {
  const t = text.trim();
  if (!t) return null;
  try {
    return JSON.parse(t);
  } catch {
    return null;
  }
}

export interface HugetlbPool {
  /** huge page size in bytes */
  size: number;
  nr: number;
  free: number;
  surplus: number;
  /** nr_hugepages per node (the node files; absent without NUMA sysfs) */
  nodes: Record<string, number>;
}

export interface HugetlbDump {
  /** by size, largest first (the kernel's hstates order on x86 and arm64) */
  pools: HugetlbPool[];
  /** /proc/sys/vm/hugetlb_optimize_vmemmap (6.1+, only where HVO is possible), null when absent */
  optimizeVmemmap: string | null;
  /** /proc/vmstat lines nr_memmap*, htlb_*, nr_hugetlb* */
  vmstat: Record<string, number>;
}

/** The hugetlb section of a snapshot (guest/init.sh hugetlb_dump). */
export function parseHugetlb(text: string): HugetlbDump {
  const pools = new Map<number, HugetlbPool>();
  const pool = (kb: string) => {
    const size = Number(kb) * 1024;
    if (!pools.has(size)) pools.set(size, { size, nr: 0, free: 0, surplus: 0, nodes: {} });
    return pools.get(size)!;
  };
  const out: HugetlbDump = { pools: [], optimizeVmemmap: null, vmstat: {} };
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^global hugepages-(\d+)kB (.*)$/.exec(line))) {
      const p = pool(m[1]!);
      const kv = Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d*)/g)].map((x) => [x[1]!, Number(x[2] || 0)]));
      p.nr = kv.nr_hugepages ?? 0;
      p.free = kv.free_hugepages ?? 0;
      p.surplus = kv.surplus_hugepages ?? 0;
    } else if ((m = /^node(\d+) hugepages-(\d+)kB .*\bnr_hugepages=(\d+)/.exec(line))) {
      pool(m[2]!).nodes[m[1]!] = Number(m[3]);
    } else if ((m = /^hugetlb_optimize_vmemmap=(.*)$/.exec(line))) out.optimizeVmemmap = m[1]!;
    else if ((m = /^(\w+) (\d+)$/.exec(line))) out.vmstat[m[1]!] = Number(m[2]);
  }
  out.pools = [...pools.values()].sort((a, b) => b.size - a.size);
  return out;
}
