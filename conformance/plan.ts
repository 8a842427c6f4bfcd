/**
 * Scenario -> QEMU machine and guest script.
 *
 * The scenario is read with the plain YAML parser, not the model's validator, so that the
 * harness can record steps the model does not understand yet (`reconfigure-device`); the
 * comparison later runs the model's own parser. Only what QEMU can express is accepted:
 * boot RAM size and NUMA nodes, NVDIMMs (label-less, or labelled: QEMU's label-size, so that
 * one region holds several namespaces), the x86 paging mode, the kernel command
 * line, and the steps create-namespace, destroy-namespace, hot-add, hot-remove (an ACPI eject),
 * online, offline, reconfigure-device (daxctl: system-ram / devdax), hugepages (nr_hugepages). Everything else
 * is refused with a reason.
 */
import { parse as parseYaml } from 'yaml';
import { parseSize } from '../src/index.js';
import { kernelForScenario, type KernelEntry } from './kernels.js';

export class PlanError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'PlanError';
  }
}

export interface PlannedDevice {
  name: string;
  /** nvdimm: a QEMU NVDIMM; hmem: part of QEMU's RAM turned soft-reserved with memmap= (x86). */
  type: 'nvdimm' | 'hmem';
  index: number;
  node: number;
  start: number;
  size: number;
  /** nvdimm with a label area (QEMU label-size=LABEL_SIZE): several namespaces per region. */
  labels: boolean;
}

/**
 * The label area QEMU gives a labelled NVDIMM (-device nvdimm,label-size=). 128 KiB holds the
 * two index blocks and plenty of 256-byte v1.2 labels; QEMU takes it from the end of the
 * backing file, so the file is the region size plus this.
 */
export const LABEL_SIZE = 128 * 1024;

export interface PlannedStep {
  /** 1-based index in the scenario's steps (boot is 1, implied when absent). */
  index: number;
  kind: string;
  label: string;
  /** Shell lines for /steps.sh (without the step/snapshot framing). */
  script: string[];
  /** expect steps run nothing in the guest and take no snapshot. */
  guest: boolean;
}

export interface Dimm {
  id: number;
  start: number;
  size: number;
  node: number;
}

export interface MachinePlan {
  arch: 'x86_64' | 'arm64';
  kernel: KernelEntry;
  pageSize: string;
  levels: number;
  cpu: string;
  ramBytes: number;
  nodes: { id: number; bytes: number; memory: { start: number; size: number }[] }[];
  distances: number[][] | null;
  devices: PlannedDevice[];
  /** The scenario's kernel command line (the model sees exactly this). */
  cmdline: string;
  steps: PlannedStep[];
  dimms: Dimm[];
  /** Scenario parts that have no QEMU equivalent and were left out (said in the recording). */
  notes: string[];
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function size(v: unknown, what: string): number {
  try {
    return parseSize(v as string | number);
  } catch (e) {
    throw new PlanError(`${what}: ${(e as Error).message}`);
  }
}

/** 4K, 2M, 1G, ... for ndctl. */
export function ndctlSize(n: number): string {
  for (const [u, s] of [[GiB, 'G'], [MiB, 'M'], [1024, 'K']] as const) if (n % u === 0) return `${n / u}${s}`;
  return String(n);
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface RawScenario {
  description?: string;
  arch?: string;
  config?: Record<string, unknown>;
  kernel?: string | number;
  cmdline?: string;
  nodes?: { id: number; memory?: { start: unknown; size: unknown }[]; used?: unknown }[];
  distances?: number[][];
  devices?: { name: string; type?: string; node?: number; start: unknown; size: unknown; labels?: boolean }[];
  faults?: unknown[];
  reserved?: unknown[];
  steps?: unknown[];
}

export function readScenario(text: string): RawScenario {
  const v = parseYaml(text) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new PlanError('the scenario is not a YAML map');
  return v as RawScenario;
}

/** The memhp_default_state= value of a command line, if any. */
export function memhpDefaultState(cmdline: string): string | null {
  const m = /(?:^|\s)memhp_default_state=(\S+)/.exec(cmdline);
  return m ? m[1]! : null;
}

/** config.gbpages as the model reads it (X86_DEFAULTS: true). */
export function x86Gbpages(config: Record<string, unknown>): boolean {
  return config.gbpages === undefined ? true : config.gbpages !== false;
}

/** The sysfs file a hugepages step writes: global, or the node's. */
export function nrHugepagesFile(sizeBytes: number, node: number | null): string {
  const dir = `hugepages-${sizeBytes / 1024}kB`;
  return node === null ? `/sys/kernel/mm/hugepages/${dir}/nr_hugepages` : `/sys/devices/system/node/node${node}/hugepages/${dir}/nr_hugepages`;
}

export function planScenario(text: string, opts: { kernel?: KernelEntry } = {}): MachinePlan {
  const sc = readScenario(text);
  const notes: string[] = [];
  const arch = sc.arch;
  if (arch !== 'x86_64' && arch !== 'arm64') throw new PlanError(`arch must be x86_64 or arm64, got ${String(arch)}`);
  const config = sc.config ?? {};
  const pageSize = arch === 'arm64' ? String(config.pageSize ?? '4K') : '4K';
  const kernel = opts.kernel ?? (() => {
    try {
      return kernelForScenario(arch, arch === 'arm64' ? pageSize : undefined, sc.kernel === undefined ? undefined : String(sc.kernel));
    } catch (e) {
      throw new PlanError((e as Error).message);
    }
  })();
  if (arch === 'arm64' && config.vaBits !== undefined && config.vaBits !== 52) notes.push(`config.vaBits ${String(config.vaBits)}: the Debian arm64 kernels are built with VA_BITS=52; the guest runs what the kernel and CPU give (recorded in the layout)`);
  const levels = arch === 'x86_64' ? Number(config.levels ?? 4) : 0;
  if (arch === 'x86_64' && levels !== 4 && levels !== 5) throw new PlanError(`config.levels must be 4 or 5, got ${String(config.levels)}`);
  let cpu: string;
  if (arch === 'x86_64') {
    // qemu64 has no LA57: 4-level paging; -cpu max has LA57 (5-level) and pdpe1gb. The 1 GiB
    // page flag follows config.gbpages (the model's default: true), so that the CPU is the one
    // the model assumes: qemu64 gets pdpe1gb=on unless the scenario says gbpages: false, max
    // loses it with gbpages: false (the layout check compares the guest's flags)
    cpu = levels === 5 ? 'max' : 'qemu64';
    const gbpages = x86Gbpages(config);
    if (levels === 4 && gbpages) cpu += ',pdpe1gb=on';
    if (levels === 5 && !gbpages) cpu += ',pdpe1gb=off';
    if (config.pse === false) cpu += ',pse=off';
    if (config.hypervisor === true) notes.push('config.hypervisor: QEMU TCG CPUs expose the hypervisor CPUID bit anyway (see cpuinfo-flags in the recording)');
  } else {
    cpu = 'max,pauth-impdef=on';
  }
  const cmdline = String(sc.cmdline ?? '');
  if (!memhpDefaultState(cmdline)) {
    throw new PlanError('the scenario\'s cmdline must set memhp_default_state= explicitly (Debian 6.12 auto-onlines hot-added memory by default, the model\'s profiles do not): add e.g. "cmdline: memhp_default_state=offline"');
  }
  if (sc.faults && sc.faults.length) throw new PlanError('faults: allocation failures cannot be injected into a real kernel by the harness');
  if (sc.reserved) notes.push('reserved: memblock reservations are the real kernel\'s own (the scenario\'s list only steers the model)');
  const nodes = (sc.nodes ?? []).map((n, i) => {
    if (n.used !== undefined) notes.push(`nodes[${i}].used: RAM use is the guest's own (only the model takes this value)`);
    const memory = (n.memory ?? []).map((m, j) => ({ start: size(m.start, `nodes[${i}].memory[${j}].start`), size: size(m.size, `nodes[${i}].memory[${j}].size`) }));
    // QEMU's -m is the RAM before the firmware takes its part. x86: the holes below 4 GiB
    // (the first page, 0x9f000-0xfffff, the top of low RAM) are rounded up to 128 MiB, RAM
    // above 4 GiB counts as it is. arm64 virt: RAM starts at 1 GiB; what memblock holds
    // below (the EFI flash at 64 MiB, nomap) is firmware, not -m.
    const ramBase = arch === 'arm64' ? GiB : 0;
    const low = memory.filter((m) => m.start >= ramBase && m.start < 4 * GiB).reduce((s, m) => s + m.size, 0);
    const high = memory.filter((m) => m.start >= 4 * GiB).reduce((s, m) => s + m.size, 0);
    return { id: n.id, memory, bytes: Math.ceil(low / (128 * MiB)) * 128 * MiB + high };
  });
  if (nodes.length === 0) throw new PlanError('nodes: at least one node with memory');
  nodes.forEach((n, i) => { if (n.id !== i) throw new PlanError(`nodes[${i}].id: QEMU numbers NUMA nodes 0..N-1 in order; got ${n.id}`); });
  if (nodes.length > 2) throw new PlanError('nodes: the harness runs -smp 2 and gives each NUMA node one CPU, so at most 2 nodes');
  const devices: PlannedDevice[] = (sc.devices ?? []).map((d, i) => {
    const start = size(d.start, `devices[${i}].start`);
    const bytes = size(d.size, `devices[${i}].size`);
    if (d.type === 'hmem') {
      // soft-reserved memory: QEMU RAM that the kernel's e820 table gets as type
      // 0xefffffff (memmap=<size>%<start>+0xefffffff), which hmem turns into a dax device.
      // The scenario lists it as a device, not as node memory; -m covers both.
      if (arch !== 'x86_64') throw new PlanError(`devices[${i}] (${d.name}): hmem devices are x86 only here (memmap= of the e820 table)`);
      if (nodes.length !== 1) throw new PlanError(`devices[${i}] (${d.name}): hmem needs a one-node scenario (QEMU's SRAT gives soft-reserved RAM the node of its memdev)`);
      if (start + bytes > 3 * GiB) throw new PlanError(`devices[${i}] (${d.name}): hmem must lie in QEMU's low RAM, below 3 GiB`);
      nodes[0]!.bytes += bytes;
      return { name: d.name, type: 'hmem' as const, index: i, node: 0, start, size: bytes, labels: false };
    }
    if (d.type !== undefined && d.type !== 'nvdimm') throw new PlanError(`devices[${i}].type: nvdimm or (x86) hmem`);
    // labels (the model's default: true): QEMU's label-size; the guest initialises the label
    // area at boot (ndctl init-labels), then create-namespace carves namespaces out of the region
    const labels = d.labels !== false;
    return { name: d.name, type: 'nvdimm' as const, index: i, node: d.node ?? 0, start, size: bytes, labels };
  });
  nodes.forEach((n) => { n.bytes = Math.ceil(n.bytes / (128 * MiB)) * 128 * MiB; });
  // QEMU's TCG x86 CPUs address 40 bits (1 TiB) unless told more: a device above needs
  // phys-bits=52 (the guest then sees a 52-bit physical address width in CPUID)
  if (arch === 'x86_64' && devices.some((d) => d.start + d.size > 2 ** 40)) {
    cpu += ',phys-bits=52';
  }
  const ramBytes = nodes.reduce((s, n) => s + n.bytes, 0);

  // ---- steps ----
  const rawSteps = sc.steps ?? ['boot'];
  const norm = rawSteps.map((s, i) => {
    if (s === 'boot') return { kind: 'boot', args: {} as Record<string, unknown>, pos: i };
    if (!s || typeof s !== 'object') throw new PlanError(`steps[${i}]: expected "boot" or a map`);
    const kind = Object.keys(s)[0]!;
    return { kind, args: ((s as Record<string, unknown>)[kind] ?? {}) as Record<string, unknown>, pos: i };
  });
  if (norm[0]?.kind !== 'boot') norm.unshift({ kind: 'boot', args: {}, pos: -1 });
  const byName = new Map(devices.map((d) => [d.name, d]));
  const live = new Map<string, boolean>(); // label-less namespace of a device is configured
  // labelled devices: the namespaces created (ids in creation order). The kernel names them
  // after the region's seed: namespaceR.0 first, then the next seed namespaceR.1, ...
  // (drivers/nvdimm/namespace_devs.c nd_region_create_ns_seed(); ndctl creates in the seed;
  // recorded in the arm64-64k-shared-* cases). Which name the seed has after a destroy was not
  // recorded, so a default destroy after create-destroy-create must name its namespace.
  const created = new Map<string, number[]>();
  const nextId = new Map<string, number>();
  const destroyedOn = new Set<string>();
  const nameUncertain = new Set<string>();
  const dimms: Dimm[] = [];
  const steps: PlannedStep[] = [];
  const dev = (a: Record<string, unknown>, where: string) => {
    const d = byName.get(String(a.device));
    if (!d) throw new PlanError(`${where}: no device "${String(a.device)}"`);
    return d;
  };
  norm.forEach((s, i) => {
    const index = i + 1;
    const a = s.args;
    const where = `steps[${s.pos}] ${s.kind}`;
    const script: string[] = [];
    let label: string = s.kind;
    let guest = true;
    switch (s.kind) {
      case 'boot':
        if (i !== 0) throw new PlanError(`${where}: boot can only be the first step`);
        // a fresh label area has no valid index block: write one (the region must be disabled
        // for that), then the region comes back with a zero-size seed namespace
        for (const d of devices.filter((x) => x.type === 'nvdimm' && x.labels)) {
          script.push(`cmd ndctl disable-region region${d.index}`, `cmd ndctl init-labels -f nmem${d.index}`, `cmd ndctl enable-region region${d.index}`);
        }
        break;
      case 'create-namespace': {
        const d = dev(a, where);
        const mode = String(a.mode ?? 'fsdax');
        const args = ['-m', mode];
        if (a.map !== undefined) args.push(`--map=${String(a.map)}`);
        else if (mode !== 'raw') args.push('--map=dev'); // the model's default; ndctl's too
        if (a.align !== undefined) args.push(`--align=${ndctlSize(size(a.align, `${where}.align`))}`);
        if (a.size !== undefined) args.push(`--size=${size(a.size, `${where}.size`)}`);
        if (d.labels) {
          // labelled: a new namespace in the region's seed
          script.push(`cmd ndctl create-namespace ${['-r', `region${d.index}`, ...args].join(' ')}`);
          if (destroyedOn.has(d.name)) nameUncertain.add(d.name);
          const id = nextId.get(d.name) ?? 0;
          nextId.set(d.name, id + 1);
          created.set(d.name, [...(created.get(d.name) ?? []), id]);
        } else {
          // label-less: the one namespace is reconfigured in place (-f -e); while it is
          // configured, a plain create in the region is what the scenario asks for
          const target = live.get(d.name) ? ['-r', `region${d.index}`] : ['-f', '-e', `namespace${d.index}.0`];
          script.push(`cmd ndctl create-namespace ${[...target, ...args].join(' ')}`);
          live.set(d.name, true);
        }
        label = `create-namespace ${d.name} ${mode}${a.map ? ' map=' + String(a.map) : ''}${a.align !== undefined ? ' align=' + ndctlSize(size(a.align, where)) : ''}${a.size !== undefined ? ' size=' + ndctlSize(size(a.size, where)) : ''}`;
        break;
      }
      case 'destroy-namespace': {
        const d = dev(a, where);
        // default: the last namespace created on the device (the model's default too)
        const ids = created.get(d.name) ?? [];
        if (d.labels && a.namespace === undefined && nameUncertain.has(d.name)) throw new PlanError(`${where}: name the namespace (namespace: namespace${d.index}.N): after a destroy in a labelled region, the name of the next namespace created there is not known here`);
        const ns = a.namespace !== undefined ? String(a.namespace) : `namespace${d.index}.${d.labels && ids.length ? ids[ids.length - 1] : 0}`;
        if (d.labels) {
          created.set(d.name, ids.filter((x) => `namespace${d.index}.${x}` !== ns));
          destroyedOn.add(d.name);
        }
        script.push(`cmd ndctl destroy-namespace -f ${ns}`);
        live.set(d.name, false);
        label = `destroy-namespace ${d.name} ${ns}`;
        break;
      }
      case 'hot-add': {
        const start = size(a.start, `${where}.start`);
        const sz = size(a.size, `${where}.size`);
        const node = Number(a.node ?? 0);
        if (arch === 'arm64') throw new PlanError(`${where}: the Debian arm64 kernels have no ACPI memory hotplug (CONFIG_ACPI_HOTPLUG_MEMORY is not set): the guest never sees a pc-dimm; use reconfigure-device (dax kmem)`);
        if (sz % (128 * MiB) !== 0) throw new PlanError(`${where}.size: a pc-dimm of whole 128 MiB memory blocks, got ${sz}`);
        const id = dimms.length + 1;
        dimms.push({ id, start, size: sz, node });
        script.push(`hotplug ${id} ${sz} ${node} 0x${start.toString(16)}`);
        label = `hot-add node${node} 0x${start.toString(16)} ${ndctlSize(sz)}`;
        break;
      }
      case 'hot-remove': {
        const start = size(a.start, `${where}.start`);
        const sz = size(a.size, `${where}.size`);
        if (a.offline === false) throw new PlanError(`${where}: offline: false (remove_memory() without offlining) has no QEMU equivalent; an ACPI eject always offlines first`);
        const d = dimms.find((x) => x.start === start && x.size === sz);
        if (!d) throw new PlanError(`${where}: QEMU ejects whole pc-dimms; no earlier hot-add of exactly 0x${start.toString(16)}+${sz}`);
        script.push(`unplug ${d.id} 0x${start.toString(16)}`);
        label = `hot-remove 0x${start.toString(16)} ${ndctlSize(sz)}`;
        break;
      }
      case 'online':
      case 'offline': {
        const start = size(a.start, `${where}.start`);
        const sz = size(a.size, `${where}.size`);
        const state = s.kind === 'offline' ? 'offline' : String(a.type ?? 'online');
        script.push(`set_range ${state} 0x${start.toString(16)} ${sz}`);
        label = `${s.kind} 0x${start.toString(16)} ${ndctlSize(sz)}${s.kind === 'online' ? ' ' + state : ''}`;
        break;
      }
      case 'reconfigure-device': {
        // daxctl reconfigure-device (dax kmem), the model's step: device (an nvdimm; its
        // devdax namespace, default namespaceR.0) or dax (daxR.N), mode system-ram,
        // memmapOnMemory (the dax device attribute, 6.8+), online movable (daxctl's default) |
        // normal (--no-movable) | none (--no-online), force (-f)
        const d = a.device !== undefined ? dev(a, where) : null;
        const ns = a.namespace !== undefined ? String(a.namespace) : d ? `namespace${d.index}.0` : null;
        const dax = a.dax !== undefined ? String(a.dax) : ns ? ns.replace(/^namespace/, 'dax') : null;
        if (!dax) throw new PlanError(`${where}: needs device (an nvdimm) or dax (daxR.N)`);
        const mode = String(a.mode ?? 'system-ram');
        if (mode !== 'system-ram' && mode !== 'devdax') throw new PlanError(`${where}.mode: system-ram or devdax`);
        const online = String(a.online ?? 'movable');
        if (mode === 'devdax') {
          // back to device_dax: daxctl refuses while blocks are online, -f offlines them first
          script.push(`cmd daxctl reconfigure-device --mode=devdax${a.force ? ' -f' : ''} ${dax}`);
          label = `reconfigure-device ${dax} devdax${a.force ? ' -f' : ''}`;
          break;
        }
        // conformance.md: daxctl refuses while the kernel auto-onlines; the scenario's
        // memhp_default_state decides that, so the write below only restates "offline"
        if (memhpDefaultState(cmdline) === 'offline') script.push(`sh_cmd 'echo offline > /sys/devices/system/memory/auto_online_blocks'`);
        if (a.memmapOnMemory !== undefined) script.push(`sh_cmd 'echo ${a.memmapOnMemory ? 1 : 0} > /sys/bus/dax/devices/${dax}/memmap_on_memory'`);
        const flags = (online === 'none' ? ' --no-online' : online === 'normal' ? ' --no-movable' : '') + (a.force ? ' -f' : '');
        script.push(`cmd daxctl reconfigure-device --mode=system-ram${flags} ${dax}`);
        label = `reconfigure-device ${dax} ${mode}${a.memmapOnMemory ? ' memmap_on_memory' : ''}${online !== 'movable' ? ' online=' + online : ''}`;
        break;
      }
      case 'hugepages': {
        // echo N > .../hugepages-<kB>kB/nr_hugepages (global, or the node's file), then read it
        // back: the pool the kernel reached (a shortfall is not an error in the kernel either)
        const sz = size(a.size, `${where}.size`);
        const count = Number(a.count);
        if (!Number.isInteger(count) || count < 0) throw new PlanError(`${where}.count: a whole number >= 0, got ${String(a.count)}`);
        if (sz % 1024 !== 0) throw new PlanError(`${where}.size: a huge page size in whole KiB, got ${sz}`);
        const node = a.node === undefined ? null : Number(a.node);
        if (node !== null && !(Number.isInteger(node) && node >= 0 && node < nodes.length)) throw new PlanError(`${where}.node: the guest has nodes 0..${nodes.length - 1}, got ${String(a.node)}`);
        const file = nrHugepagesFile(sz, node);
        script.push(`sh_cmd 'echo ${count} > ${file} && cat ${file}'`);
        label = `hugepages ${ndctlSize(sz)} nr_hugepages=${count}${node !== null ? ' node' + node : ''}`;
        break;
      }
      case 'expect':
        guest = false;
        label = `expect step ${String(a.step)}`;
        break;
      default:
        throw new PlanError(`${where}: the harness cannot perform "${s.kind}" in a real guest`);
    }
    steps.push({ index, kind: s.kind, label, script, guest });
  });
  return { arch, kernel, pageSize, levels, cpu, ramBytes, nodes, distances: sc.distances ?? null, devices, cmdline, steps, dimms, notes };
}

/** /steps.sh for the guest's /init. */
export function stepsScript(plan: MachinePlan): string {
  const out = ['# generated by conformance/plan.ts', ''];
  for (const s of plan.steps) {
    if (!s.guest) continue;
    out.push(`step ${s.index} ${s.kind} ${shq(s.label)}`);
    out.push(...s.script);
    out.push('sleep 1', 'snapshot', '');
  }
  return out.join('\n') + '\n';
}
