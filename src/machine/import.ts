/**
 * `vmemlab import`: the scenario that reproduces a snapshotted machine - boot memory as the
 * kernel saw it, the nearest kernel profile, the command-line parameters the model knows,
 * then steps for what exists now (hot-added memory, namespaces, dax devices in system-ram
 * mode, huge pages). Every choice that is a guess is said in `notes` (and in the YAML's
 * header), so the user knows what to check before asking "what if". Pure: no Node imports.
 */
import type { ArchName } from '../arch/types.js';
import { stringify } from 'yaml';
import { PROFILES } from '../kernels/index.js';
import { alignDown, alignUp } from '../util/bits.js';
import { parseSize, shortSize } from '../util/units.js';

const parseSz = (v: string) => parseSize(v);
import { SnapshotError, type Snapshot } from './snapshot.js';

export interface Imported {
  /** The scenario as an object (the scenario format) and as YAML with the notes on top. */
  scenario: Record<string, unknown>;
  yaml: string;
  /** The kernel profile chosen and why. */
  kernel: { id: string; why: string };
  /** What was guessed, approximated or left out. */
  notes: string[];
  /** Physical ranges the scenario adds after boot (hot-added memory), for verify. */
  hotAdded: { node: number; start: number; size: number }[];
}

const PARAMS_MODELLED = ['memhp_default_state', 'memory_hotplug.memmap_on_memory', 'hugetlb_free_vmemmap', 'hugepagesz', 'hugepages', 'default_hugepagesz'];

const ARCHES: Record<string, ArchName> = { x86_64: 'x86_64', aarch64: 'arm64', arm64: 'arm64', riscv64: 'riscv64', loongarch64: 'loongarch64' };

/** "6.18.44-fc-v1300" -> [6, 18, 44] */
export function kernelVersion(release: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

/** The profile nearest to a kernel release: the newest release profile not newer than it. */
export function nearestProfile(release: string): { id: string; why: string } {
  const v = kernelVersion(release);
  const releases = PROFILES.filter((p) => p.kind === 'release' && p.id !== 'v6.1.y');
  const ver = (id: string) => id.slice(1).split('.').map(Number) as [number, number];
  if (!v) return { id: 'v6.18', why: `"${release}" is not a version number: the default profile v6.18` };
  const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
  const older = releases.filter((p) => cmp(ver(p.id), [v[0], v[1]]) <= 0);
  if (older.length === 0) return { id: releases[0]!.id, why: `${release} is older than every modelled release: the oldest profile, ${releases[0]!.id} (behaviour before it is not modelled)` };
  let best = older[older.length - 1]!.id;
  const exact = cmp(ver(best), [v[0], v[1]]) === 0;
  if (best === 'v6.1' && v[2] >= 12) best = 'v6.1.y';
  const why = exact
    ? `${release} is a ${v[0]}.${v[1]} kernel: profile ${best}${best === 'v6.1.y' ? ' (6.1.12 and later: MAX_STRUCT_PAGE_SIZE 64)' : ''}`
    : `${release}: no ${v[0]}.${v[1]} profile; the newest older one is ${best} (changes between it and ${v[0]}.${v[1]} are not modelled)`;
  return { id: best, why };
}

/** A size or address as the scenario format spells it. */
function sz(n: number): string {
  const s = shortSize(n);
  return /^\d+$/.test(s) && n >= 1024 ? '0x' + n.toString(16) : s;
}

interface Range { node: number; start: number; end: number }

/** Boot memory per node: the kernel's own "Early memory node ranges" when the log has them. */
function bootMemory(s: Snapshot, notes: string[]): Range[] {
  if (s.earlyNodeRanges.length) {
    // memblock lists a node's memory in pieces where flags change (arm64 EFI NOMAP, mirrors):
    // adjacent pieces are one range of memory
    const out: Range[] = [];
    for (const r of [...s.earlyNodeRanges].sort((a, b) => a.start - b.start)) {
      const last = out[out.length - 1];
      if (last && last.node === r.node && last.end === r.start) last.end = r.end;
      else out.push({ ...r });
    }
    return out;
  }
  const blockNode = (addr: number) => {
    if (!s.memory) return 0;
    const b = s.memory.blocks.find((x) => x.id === Math.floor(addr / s.memory!.blockSize));
    return b?.node ?? 0;
  };
  const fromIomem = s.iomem?.filter((e) => e.depth === 0 && e.name === 'System RAM');
  if (fromIomem?.length) {
    notes.push('boot memory from /proc/iomem "System RAM" (the boot log\'s "Early memory node ranges" were not readable): hot-added memory cannot be told apart from boot memory, and nodes come from the memory blocks');
    return fromIomem.map((e) => ({ node: blockNode(e.start), start: e.start, end: e.end + 1 }));
  }
  const fw = s.firmwareMemmap.filter((e) => e.type === 'System RAM');
  if (fw.length) {
    notes.push('boot memory from /sys/firmware/memmap (neither the boot log nor /proc/iomem addresses were readable: run the collector as root for an exact map)');
    return fw.map((e) => ({ node: blockNode(e.start), start: e.start, end: e.end + 1 }));
  }
  throw new SnapshotError('snapshot', 'no memory map is readable (no boot log node ranges, /proc/iomem addresses or /sys/firmware/memmap): run the collector as root');
}

export function importSnapshot(s: Snapshot): Imported {
  const notes: string[] = [];
  const arch = ARCHES[s.kernel.machine];
  // powerpc64 is modelled, but a snapshot does not say which MMU ran or what the DR-memory node holds
  if (/^ppc64/.test(s.kernel.machine)) throw new SnapshotError('snapshot', `arch "${s.kernel.machine}": powerpc64 snapshots are not imported yet (the MMU, ibm,lmb-size and 16M page support are not in a snapshot); write a scenario with arch: powerpc64 instead`);
  if (!arch) throw new SnapshotError('snapshot', `arch "${s.kernel.machine}" is not modelled (x86_64, arm64, riscv64 and loongarch64 are${/^(i[3-6]86|armv[5-7]|arm$)/.test(s.kernel.machine) ? '; 32-bit kernels have no SPARSEMEM_VMEMMAP model here' : ''})`);
  const P = s.pageSize;
  // distribution kernels name the upstream release in uname -v / the boot log ("Debian 6.1.192-1")
  const upstream = /#\d+ [^(]*?\b(?:Debian|Ubuntu) (\d+\.\d+\.\d+)/.exec([s.kernel.version ?? '', ...s.bootLog.filter((l) => l.startsWith('Linux version'))].join(' '))?.[1];
  const kernel = nearestProfile(upstream ?? s.kernel.release);
  if (upstream && upstream !== s.kernel.release.split('-')[0]) kernel.why = `${s.kernel.release} is upstream ${upstream} (uname -v / the boot log): ${kernel.why}`;
  const flags = new Set(s.cpuFlags);
  const config: Record<string, unknown> = {};
  // the page-table walker (vmemdump) states the paging geometry when it ran
  const info = (key: string) => {
    for (const l of s.pageTables?.lines ?? []) {
      const m = new RegExp(`^INFO .*\\b${key}=(\\d+)`).exec(l);
      if (m) return Number(m[1]);
    }
    return null;
  };
  if (arch === 'x86_64') {
    if (P !== 4096) throw new SnapshotError('snapshot', `x86_64 with ${P}-byte pages is not a Linux configuration`);
    const walked = info('levels');
    const la57 = walked !== null ? walked === 5 : flags.has('la57') && !/\bno5lvl\b/.test(s.cmdline);
    config.levels = la57 ? 5 : 4;
    if (la57 && walked === null) notes.push('5-level paging assumed: the CPU has la57 and the command line has no no5lvl (a kernel built without CONFIG_X86_5LEVEL would use 4 levels)');
    config.pse = flags.has('pse');
    config.gbpages = flags.has('pdpe1gb');
    config.hypervisor = flags.has('hypervisor');
  } else if (arch === 'riscv64') {
    if (P !== 4096) throw new SnapshotError('snapshot', `riscv64 with ${P}-byte pages is not modelled (4K only)`);
    const mode = s.mmu && /^sv(39|48|57)$/.test(s.mmu) ? s.mmu : null;
    config.mode = mode ?? 'sv39';
    if (!mode) notes.push(`riscv64 paging mode not in the snapshot (${s.mmu ? `/proc/cpuinfo says mmu ${s.mmu}` : 'no mmu line in /proc/cpuinfo'}): sv39 assumed; change config.mode if the kernel runs Sv48 or Sv57`);
  } else if (arch === 'loongarch64') {
    const ps = ({ 4096: '4K', 16384: '16K', 65536: '64K' } as Record<number, string>)[P];
    if (!ps) throw new SnapshotError('snapshot', `loongarch64 page size ${P} is not 4K, 16K or 64K`);
    config.pageSize = ps;
    config.levels = ps === '4K' ? 4 : 3;
    notes.push(`loongarch64 page-table levels are not in a snapshot: ${config.levels} assumed (the Kconfig default for ${ps} pages); change config.levels if the kernel was built with another layout`);
  } else {
    const ps = { 4096: '4K', 16384: '16K', 65536: '64K' }[P];
    if (!ps) throw new SnapshotError('snapshot', `arm64 page size ${P} is not 4K, 16K or 64K`);
    config.pageSize = ps;
    const va = info('vabits');
    config.vaBits = va ?? 48;
    if (va === null) notes.push('arm64 VA_BITS is not in the snapshot (no page-table walk): 48 assumed; change config.vaBits if the kernel was built with another');
  }
  // command line: only what the model understands
  const toks = s.cmdline.split(/\s+/).filter(Boolean);
  const kept = toks.filter((t) => PARAMS_MODELLED.includes(t.split('=')[0]!));
  const dropped = toks.length - kept.length;
  if (dropped) notes.push(`${dropped} kernel parameter(s) the model does not use were left out of cmdline`);
  // boot memory, trimmed to pages as memblock does
  const boot = bootMemory(s, notes)
    .map((r) => ({ node: r.node, start: alignUp(r.start, P), end: alignDown(r.end, P) }))
    .filter((r) => r.end > r.start);
  const trimmed = bootMemory(s, []).some((r) => r.start % P !== 0 || r.end % P !== 0);
  if (trimmed) notes.push('boot memory ranges trimmed to whole pages (the firmware map is not page-aligned; memblock keeps whole pages)');
  const nodeIds = new Set<number>([...boot.map((r) => r.node), ...s.nodes.map((n) => n.id), ...(s.memory?.blocks.flatMap((b) => (b.node === null ? [] : [b.node])) ?? [])]);
  const maxNode = Math.max(0, ...nodeIds);
  const nodes = Array.from({ length: maxNode + 1 }, (_, id) => {
    const n = s.nodes.find((x) => x.id === id);
    const used = n && n.memTotal !== null && n.memFree !== null ? alignDown(Math.max(0, n.memTotal - n.memFree), 2 ** 20) : 0;
    return { id, memory: boot.filter((r) => r.node === id).map((r) => ({ start: sz(r.start), size: sz(r.end - r.start) })), ...(used ? { used: sz(used) } : {}) };
  });
  if (s.nodes.some((n) => n.memTotal !== null)) notes.push('each node\'s "used" is its MemTotal - MemFree at snapshot time, rounded down to MiB: approximate (the kernel\'s own boot allocations are partly in it)');
  // hot-added memory: present blocks outside the boot ranges and outside dax kmem ranges
  const steps: unknown[] = ['boot'];
  const hotAdded: Imported['hotAdded'] = [];
  const kmemRanges = (s.iomem ?? []).filter((e) => e.name === 'System RAM (kmem)');
  if (s.memory) {
    const bs = s.memory.blockSize;
    const inBoot = (a: number) => boot.some((r) => a < r.end && r.start < a + bs);
    const inKmem = (a: number) => kmemRanges.some((r) => a <= r.end && r.start < a + bs);
    let run: { node: number; start: number; end: number; online: boolean[] } | null = null;
    const flush = () => {
      if (!run) return;
      hotAdded.push({ node: run.node, start: run.start, size: run.end - run.start });
      steps.push({ 'hot-add': { node: run.node, start: sz(run.start), size: sz(run.end - run.start) } });
      run.online.forEach((on, i) => { if (on) steps.push({ online: { start: sz(run!.start + i * bs), size: sz(bs) } }); });
      run = null;
    };
    for (const b of s.memory.blocks) {
      const a = b.id * bs;
      if (inBoot(a) || inKmem(a)) { flush(); continue; }
      const node = b.node ?? 0;
      if (run && run.end === a && run.node === node) {
        run.end += bs;
        run.online.push(b.state === 'online');
      } else {
        flush();
        run = { node, start: a, end: a + bs, online: [b.state === 'online'] };
      }
    }
    flush();
    if (hotAdded.length) notes.push(`${hotAdded.length} hot-added memory range(s) (memory blocks outside the boot ranges), each added at once and onlined block by block as now; the order of past hot-adds and removals is not in a snapshot`);
    if (!s.earlyNodeRanges.length && hotAdded.length === 0) notes.push('no boot log: memory hot-added before the snapshot is imported as boot memory');
  }
  // huge pages: the pools as they are (the boot command line's pools come from cmdline)
  const bootHuge = new Set(toks.filter((t) => t.startsWith('hugepagesz=')).map((t) => t.split('=')[1]));
  for (const p of s.hugetlb.pools.filter((x) => x.node === null && x.nr > 0)) {
    const name = shortSize(p.size);
    if (bootHuge.has(name) || bootHuge.has(name.toLowerCase())) continue;
    steps.push({ hugepages: { size: sz(p.size), count: p.nr } });
  }
  if (s.hugetlb.pools.some((x) => x.node !== null && x.nr > 0)) notes.push('huge pages are requested globally; the kernel\'s per-node spread is not reproduced');
  // nvdimm regions and namespaces (sysfs), and soft-reserved memory
  const devices: Record<string, unknown>[] = [];
  const sys = s.nd.sysfs;
  const regions = Object.keys(sys).filter((d) => /^region\d+$/.test(d) && sys[d]!.resource).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  for (const r of regions) {
    const a = sys[r]!;
    const node = Number(a.numa_node ?? a.target_node ?? 0);
    const nss = Object.keys(sys).filter((d) => d.startsWith(`namespace${r.slice(6)}.`) && Number(sys[d]!.size ?? 0) > 0);
    // a label-less region (nd_namespace_io) holds one namespace of the whole region
    const labelless = Object.keys(sys).some((d) => d.startsWith(`namespace${r.slice(6)}.`) && sys[d]!.devtype === 'nd_namespace_io');
    devices.push({ name: r.replace('region', 'pmem'), type: 'nvdimm', node: Math.max(0, node), start: sz(Number(a.resource)), size: sz(Number(a.size)), ...(labelless ? { labels: false } : {}) });
    nss.sort((x, y) => Number(sys[x]!.resource ?? 0) - Number(sys[y]!.resource ?? 0));
    for (const ns of nss) {
      const n = sys[ns]!;
      const holder = n.holder && sys[n.holder] ? sys[n.holder]! : null;
      const mode = n.holder?.startsWith('dax') ? 'devdax' : n.holder?.startsWith('pfn') ? 'fsdax' : 'raw';
      const map = holder?.mode === 'pmem' ? 'dev' : holder?.mode === 'ram' ? 'mem' : undefined;
      if (mode === 'raw' && labelless) continue; // the label-less region's namespace exists from boot in raw mode
      steps.push({ 'create-namespace': { device: r.replace('region', 'pmem'), mode, ...(map ? { map } : {}), ...(holder?.align ? { align: sz(Number(holder.align)) } : {}), ...(labelless ? {} : { size: sz(Number(n.size)) }) } });
    }
  }
  if (regions.length) notes.push('nvdimm regions and their namespaces are imported in address order (label-less regions, nd_namespace_io, take one namespace of the whole region)');
  for (const e of (s.iomem ?? []).filter((x) => x.depth === 0 && x.name === 'Soft Reserved')) {
    // its node: the target_node of the dax device over it
    const dax = Object.values(sys).find((a) => a.target_node !== undefined && (a.mapping0 ?? a.resource) && Number((a.mapping0 ?? a.resource)!.split('-')[0]) >= e.start && Number((a.mapping0 ?? a.resource)!.split('-')[0]) <= e.end);
    const node = dax ? Math.max(0, Number(dax.target_node)) : 0;
    devices.push({ name: `hmem${devices.length}`, type: 'hmem', node, start: sz(e.start), size: sz(e.end + 1 - e.start) });
    if (!dax) notes.push(`soft-reserved memory at 0x${e.start.toString(16)} imported as an hmem device on node 0 (no dax device over it names its node)`);
  }
  // dax devices that kmem holds (System RAM mode): a reconfigure-device step for those a
  // daxctl command made (hmem/cxl devices come up in kmem at boot from 6.6 on)
  const profile = PROFILES.find((p) => p.id === kernel.id)!;
  for (const [name, a] of Object.entries(sys).filter(([d, x]) => /^dax\d+\.\d+$/.test(d) && x.driver === 'kmem')) {
    const start = Number((a.mapping0 ?? a.resource ?? '').split('-')[0]);
    const dev = devices.find((d) => start >= parseSz(d.start as string) && start < parseSz(d.start as string) + parseSz(d.size as string));
    if (!dev) { notes.push(`${name} is System RAM (kmem) but belongs to no imported device: left out`); continue; }
    const bs = s.memory?.blockSize ?? 0;
    const mine = s.memory?.blocks.filter((b) => bs && b.id * bs >= start && b.id * bs < start + Number(a.size ?? 0)) ?? [];
    const online = mine.length === 0 || mine.every((b) => b.state === 'offline') ? 'none' : mine.every((b) => b.state !== 'online' || b.zones.includes('Movable')) ? 'movable' : 'normal';
    const autoOnline = (s.memory?.autoOnlineBlocks ?? 'offline') !== 'offline';
    // soft-reserved/CXL memory comes up in kmem at boot (6.6+), its blocks onlined per the
    // default online type: a daxctl command is only needed to online them otherwise
    if (dev.type !== 'nvdimm' && profile.hmemKmemDefault && (online === 'none' || autoOnline)) continue;
    steps.push({ 'reconfigure-device': { device: dev.name, mode: 'system-ram', online, ...(a.memmap_on_memory === '1' && profile.daxMemmapOnMemory ? { memmapOnMemory: true } : {}), ...(autoOnline ? { force: true } : {}) } });
  }
  const scenario: Record<string, unknown> = {
    description: `imported from a snapshot of ${s.kernel.machine} ${s.kernel.release}`,
    arch,
    config,
    kernel: kernel.id,
    ...(kept.length ? { cmdline: kept.join(' ') } : {}),
    nodes,
    ...(devices.length ? { devices } : {}),
    steps,
  };
  const header = [
    `# vmemlab import: ${s.kernel.machine} ${s.kernel.release}`,
    `# kernel profile: ${kernel.why}`,
    ...notes.map((n) => `# note: ${n}`),
    '',
  ].join('\n');
  const yaml = header + stringify(scenario, { lineWidth: 0, flowCollectionPadding: true });
  return { scenario, yaml, kernel, notes, hotAdded };
}
