/**
 * The simulator: builds the Kernel for a scenario, boots it, dispatches steps, and checks
 * the invariants after every step. Everything the kernel keeps in globals lives in the
 * Kernel object; the simulator adds what userspace and firmware own (regions, namespaces).
 */
import { resolveArch } from '../arch/index.js';
import { findProfile, type KernelProfile } from '../kernels/index.js';
import { boot } from '../kernel/init.js';
import { parseCmdline } from '../kernel/params.js';
import { acpi_memory_enable_device, offline_blocks, online_blocks, remove_memory, sclp_add_standby_memory } from '../kernel/memory_hotplug.js';
import { deriveConsts, EBUSY, EINVAL, errnoName, KState, rebuildAltPfns, type Kernel, type Message } from '../kernel/state.js';
import type { Scenario, ScenarioStep } from '../scenario/parse.js';
import { checkInvariants, checkTouched, classify, newCheckMemo, type CheckMemo, type Violation } from '../check/invariants.js';
import { KernelOops, type Oops } from '../kernel/fault.js';
import { createNamespace, destroyNamespace, makeRegion, type Region } from './ndctl.js';
import { namespaceDax, probeSoftReserved, reconfigureDevice, unbindKmem } from './daxctl.js';
import type { DevDax } from '../kernel/dax.js';
import { isGigantic, newHvoState, set_max_huge_pages } from '../kernel/hugetlb.js';
import { ENODEV } from '../kernel/state.js';
import { fmtSize } from '../util/units.js';

export interface Machine {
  k: Kernel;
  scenario: Scenario;
  regions: Map<string, Region>;
  /** Kernel parameters from the command line that the model does not use. */
  ignoredParams: string[];
  /** Kernel parameters this kernel version does not have (the model knows when they arrived). */
  absentParams: { param: string; why: string }[];
  /** Dax devices: of hmem/cxl devices (by device name) and of pmem devdax namespaces (by namespace name). */
  dax: Map<string, DevDax>;
  /** Check every invariant over the whole state after every step (--paranoid), not only what the step touched. */
  paranoid: boolean;
  /** No step labels (StepResult.label is ''): for callers that make no report (fuzz). */
  lean: boolean;
  /** The per-step check's memory: whether the last check was clean, and what checkTouched keeps. */
  check: { clean: boolean; memo: CheckMemo };
  /** The oops that crashed the machine: no kernel step runs after it. */
  crashed: Oops | null;
  /** Check results already explained by a predicted kernel bug (see classify()). */
  explained: Set<string>;
}

export interface StepResult {
  index: number;
  kind: string;
  label: string;
  ok: boolean;
  errno: string | null;
  /** What the user-space tool printed (ndctl), and model notes. */
  messages: string[];
  dmesg: Message[];
  /** Invariants broken after the step: bugs in vmemmap-lab. */
  violations: Violation[];
  /** Predicted kernel bugs the checks found after the step (struct pages of present pfns unmapped, memmap left behind, the kernel's anomalies, and what follows from them). */
  kernelBugs: Violation[];
  /** The step ended in a predicted kernel oops: an access to an unmapped struct page. */
  oops: Oops | null;
  /** Why the step did not run ("the kernel oopsed at step N"), or null. */
  notRun: string | null;
  /** The step's events in k.s.trace: [from, to) (`--trace`, explain). */
  trace: { from: number; to: number };
  /** expect steps: the failed expectations. */
  failedExpectations?: string[];
}

/**
 * Build the machine of a scenario. opts.paranoid: check every invariant over the whole state
 * after every step; opts.profile: run under this profile instead of the scenario's (compare's
 * attribution runs a profile with one switch flipped).
 */
export function createMachine(sc: Scenario, opts: { paranoid?: boolean; profile?: KernelProfile; lean?: boolean } = {}): Machine {
  const profile = opts.profile ?? findProfile(sc.kernel)!;
  const arch = resolveArch(sc.arch, sc.config, profile);
  const c = deriveConsts(arch);
  const s = new KState(c.PAGE_SIZE, c.tableSpan, c.tableCost);
  const nNodes = sc.distances.length;
  s.nodes = Array.from({ length: nNodes }, () => ({ online: false, free: 0, managed: 0 }));
  s.memmapRamPages = Array(nNodes).fill(0);
  s.tablePages = Array(nNodes).fill(0);
  const parsed = parseCmdline(profile, sc.cmdline, arch.cfg.lacks);
  const k: Kernel = {
    arch,
    profile,
    c,
    s,
    distance: sc.distances,
    vmemmapPfnBase: 0,
    optimistic: 0,
    modelGaps: new Set(),
    batchFree: null,
    abortAt: 1,
    boot: { done: false, maxPfn: 0, memoryBlockSize: 0, memstart: 0 },
    cmdline: parsed.cmdline,
    step: 0,
    faults: sc.faults,
    lazyText: opts.lean === true,
  };
  // Tables the kernel's own mappings hold from boot, where they reach into the vmemmap region.
  if (arch.cfg.staticTablesFor !== null) {
    const off = Number(arch.cfg.staticTablesFor - c.origin);
    for (const kind of arch.cfg.pt.allocLevels) {
      const span = c.tableSpan[kind];
      const t0 = Math.floor(off / span) * span;
      if (t0 < c.endOff) s.tables[kind].set(t0, t0 + span, { node: -1, src: 'static' });
    }
  }
  s.hvo = newHvoState(k);
  const regions = new Map<string, Region>();
  sc.devices.forEach((d, i) => { if (d.type === 'nvdimm') regions.set(d.name, makeRegion(k, d, i)); });
  return { k, scenario: sc, regions, ignoredParams: parsed.ignored, absentParams: parsed.absent, dax: new Map(), paranoid: opts.paranoid ?? false, lean: opts.lean ?? false, check: { clean: true, memo: newCheckMemo() }, crashed: null, explained: new Set() };
}

function label(st: ScenarioStep): string {
  const a = st.args;
  const sz = (v: unknown) => fmtSize(v as number);
  switch (st.kind) {
    case 'boot': return 'boot';
    case 'create-namespace': return `create-namespace ${a.device} ${a.mode}${a.map ? ' map=' + a.map : ''}${a.align ? ' align=' + sz(a.align) : ''}${a.size ? ' size=' + sz(a.size) : ''}`;
    case 'destroy-namespace': return `destroy-namespace ${a.device}${a.namespace ? ' ' + a.namespace : ''}`;
    case 'hugepages': return `hugepages ${sz(a.size)} nr_hugepages=${a.count}${a.node !== undefined ? ' node ' + a.node : ''}`;
    case 'reconfigure-device': return a.mode === 'devdax' ? `reconfigure-device ${a.device}${a.namespace ? ' ' + a.namespace : ''} devdax${a.force ? ' -f' : ''}` : `reconfigure-device ${a.device}${a.namespace ? ' ' + a.namespace : ''} system-ram${a.memmapOnMemory !== undefined ? ' memmap_on_memory=' + (a.memmapOnMemory ? 1 : 0) : ''} online=${a.online}${a.force ? ' -f' : ''}`;
    case 'hot-add': return `hot-add node ${a.node} 0x${(a.start as number).toString(16)} ${sz(a.size)}`;
    case 'hot-remove': return `hot-remove 0x${(a.start as number).toString(16)} ${sz(a.size)}`;
    case 'online': return `online 0x${(a.start as number).toString(16)} ${sz(a.size)} ${a.type}`;
    case 'offline': return `offline 0x${(a.start as number).toString(16)} ${sz(a.size)}`;
    case 'expect': return `expect step ${a.step}`;
  }
}

/**
 * A step's outcome in the words run, compare and explain share: "ok", "FAILED <errno>",
 * "predicted kernel oops in <fn>", or "not run: the kernel oopsed at step N".
 */
export function stepOutcome(r: StepResult): string {
  if (r.notRun) return r.notRun;
  if (r.oops) return `predicted kernel oops in ${r.oops.fn}`;
  return r.ok ? 'ok' : `FAILED ${r.errno ?? ''}`.trim();
}

/** One line on a predicted oops: the function, the access, the struct page's pfn and address. */
export function oopsLine(o: Oops): string {
  return `predicted kernel oops: ${o.fn} ${o.access === 'write' ? 'wrote' : 'read'} the struct page of pfn 0x${o.pfn.toString(16)} at 0x${o.va}, which is not mapped (${o.what})`;
}

/** Run one step; returns its result (never throws for kernel-level failures). */
export function runStep(m: Machine, st: ScenarioStep, results: StepResult[]): StepResult {
  const k = m.k;
  k.step = st.index;
  const logStart = k.s.log.length;
  const traceStart = k.s.trace.length;
  const r: StepResult = { index: st.index, kind: st.kind, label: m.lean ? '' : label(st), ok: true, errno: null, messages: [], dmesg: [], violations: [], kernelBugs: [], oops: null, notRun: null, trace: { from: traceStart, to: traceStart } };
  if (m.crashed && st.kind !== 'expect') {
    // the kernel died at an earlier step: nothing runs on it any more (expect steps only read results)
    r.ok = false;
    r.notRun = `not run: the kernel oopsed at step ${m.crashed.step}`;
    return r;
  }
  let errno = 0;
  try {
    errno = dispatch(m, st, r, results);
  } catch (e) {
    if (!(e instanceof KernelOops)) throw e;
    r.ok = false;
    r.oops = e.oops;
    m.crashed = e.oops;
  }
  if (errno !== 0) {
    r.ok = false;
    r.errno = errnoName(errno);
    k.s.trace.push({ t: 'errno', site: st.kind, errno });
  }
  r.dmesg = k.s.log.slice(logStart);
  r.trace.to = k.s.trace.length;
  if (k.modelGaps.size > 0) {
    for (const g of k.modelGaps) r.messages.push(`note: not modelled: ${g}`);
    k.modelGaps.clear();
  }
  if (st.kind !== 'expect') {
    // a predicted kernel bug explains what it breaks: the checks' findings in a step that
    // oopsed, or where the kernel leaves memmap unmapped or misaccounted, are the kernel's
    const c = classify(checkStep(m), m.explained, r.oops !== null);
    r.violations = c.violations;
    r.kernelBugs = c.findings;
  }
  return r;
}

/** The step's kernel and tool work; returns an errno (0 = success). */
function dispatch(m: Machine, st: ScenarioStep, r: StepResult, results: StepResult[]): number {
  const k = m.k;
  let errno = 0;
  const a = st.args;
  const refusal = refused(k, st);
  if (refusal) {
    r.ok = false;
    r.messages.push(`refused: ${refusal}`);
    return 0;
  }
  switch (st.kind) {
    case 'boot':
      boot(k, { nodes: m.scenario.nodes, devices: m.scenario.devices, reserved: m.scenario.reserved });
      for (const d of k.boot.dropped ?? []) r.messages.push(`note: RAM [${'0x' + d.start.toString(16)}-${'0x' + (d.end - 1).toString(16)}] ${d.why ?? 'is beyond what the linear map reaches'} and is dropped at boot (${d.site})`);
      // device initcalls: dax_hmem / dax_cxl give soft-reserved memory its dax device
      m.scenario.devices.forEach((d, i) => {
        if (d.type === 'nvdimm') return;
        const dd = probeSoftReserved(k, { ...d, type: d.type }, i);
        if (dd) m.dax.set(d.name, dd);
      });
      break;
    case 'create-namespace': {
      const res = createNamespace(k, m.regions.get(a.device as string)!, { mode: a.mode as 'fsdax', map: a.map as 'dev' | undefined, align: a.align as number | undefined, size: a.size as number | undefined, force: a.force as boolean | undefined });
      errno = res.errno;
      r.messages.push(...res.messages);
      if (res.namespace) r.messages.push(`${res.namespace.name}: ${res.namespace.mode}${res.namespace.map ? ' map=' + res.namespace.map : ''} size ${res.namespace.usable} (${fmtSize(res.namespace.usable)}), dev ${res.namespace.dev}`);
      break;
    }
    case 'destroy-namespace': {
      const r0 = m.regions.get(a.device as string)!;
      const target = a.namespace ? r0.namespaces.find((n) => n.name === a.namespace) : r0.namespaces[r0.namespaces.length - 1];
      const dd = target ? m.dax.get(target.name) : undefined;
      // ndctl v81 namespace_destroy(): without -f an enabled namespace is refused
      // (namespace_prep_reconfig); with it, ndctl_namespace_disable_safe() still refuses a dax
      // device in system-ram mode with memory online ("active as system-ram, refusing to disable")
      if (a.force !== false && dd && dd.driver === 'kmem' && kmemOnline(k, dd)) {
        errno = EBUSY;
        r.messages.push('error destroying namespaces: Device or resource busy', 'destroyed 0 namespaces');
        break;
      }
      if (a.force !== false && dd) {
        // disabling the namespace unbinds kmem first (dev_dax_kmem_remove)
        if (dd.driver === 'kmem') unbindKmem(k, dd);
        m.dax.delete(target!.name);
      }
      const res = destroyNamespace(k, r0, a.namespace as string | undefined, a.force !== false);
      errno = res.errno;
      r.messages.push(...res.messages);
      break;
    }
    case 'reconfigure-device': {
      // daxctl/device.c: --no-online with --mode=devdax is an option error (usage, exit 129)
      if (a.mode === 'devdax' && a.online === 'none') {
        errno = EINVAL;
        r.messages.push('--no-online is incompatible with --mode=devdax', ' usage: daxctl reconfigure-device <dax0.0> [<dax1.0>...<daxY.Z>] [<options>]');
        break;
      }
      let dd = m.dax.get(a.device as string);
      const r0 = m.regions.get(a.device as string);
      if (r0) {
        const ns = a.namespace ? r0.namespaces.find((n) => n.name === a.namespace) : [...r0.namespaces].reverse().find((n) => n.mode === 'devdax');
        if (!ns || ns.mode !== 'devdax') {
          errno = ENODEV;
          r.messages.push(`error: ${String(a.namespace ?? a.device)}: no enabled devdax namespace, so no dax device`);
          break;
        }
        dd = m.dax.get(ns.name) ?? namespaceDax(ns, r0.node);
        m.dax.set(ns.name, dd);
        if (dd.driver !== 'device_dax') ns.pgmap = null; // device_dax unbound: its pgmap is gone
      }
      if (!dd) {
        errno = ENODEV;
        r.messages.push(`error: ${String(a.device)}: no dax device (not PMD-aligned, or no driver for it in this kernel)`);
        break;
      }
      const res = reconfigureDevice(k, dd, { mode: a.mode as 'system-ram' | 'devdax', memmapOnMemory: a.memmapOnMemory as boolean | undefined, online: a.online as 'movable', force: a.force as boolean });
      if (r0) {
        // the namespace's pgmap is registered exactly while device_dax is bound
        const ns = [...r0.namespaces].find((n) => n.name === dd!.owner);
        if (ns) ns.pgmap = dd.driver === 'device_dax' ? dd.pgmap : null;
      }
      errno = res.errno;
      r.messages.push(...res.messages);
      break;
    }
    case 'hugepages': {
      const res = set_max_huge_pages(k, a.size as number, a.count as number, (a.node as number | undefined) ?? null);
      errno = res.errno;
      if (errno) r.messages.push(`/sys/kernel/mm/hugepages/hugepages-${(a.size as number) / 1024}kB: No such file or directory (the kernel has no ${fmtSize(a.size as number)} huge pages here)`);
      if (!errno) r.messages.push(`nr_hugepages ${fmtSize(a.size as number)}: ${res.pages}${res.pages < (a.count as number) ? ` (asked for ${a.count as number}: not enough free memory)` : ''}`);
      // runtime gigantic pages come from alloc_contig_pages(): a free, aligned range the
      // model cannot know about (it has no fragmentation); say so when it grew such a pool
      if (!errno && isGigantic(k, a.size as number) && res.grew > 0) r.messages.push(`note: ${fmtSize(a.size as number)} pages at run time need free, ${fmtSize(a.size as number)}-aligned ranges (alloc_contig_pages); the model does not know fragmentation and assumes there are (a real kernel, x86-612-hvo-1g, found none in a 3 GiB guest)`);
      // where the allocator puts the pages is not modelled: HVO figures assume boot memory.
      // Pages in hot-added blocks have buddy-allocated vmemmap (no MemTotal gain), and in
      // self-hosting blocks (memmap_on_memory) HVO skips them (vmemmap_should_optimize_folio)
      if (!errno && k.cmdline.hugetlbFreeVmemmap) {
        const nodes = a.node === undefined ? null : (a.node as number);
        const hot = [...k.s.blocks].filter((b) => !b.v.early && b.v.state === 'online' && (nodes === null || b.v.nid === nodes));
        if (hot.length) {
          const self = hot.some((b) => b.v.vmemmapPages > 0);
          r.messages.push(`note: hot-added memory is online${nodes === null ? '' : ` on node ${nodes}`}; the model counts every huge page in boot memory, so its HVO figures hold only for pages the allocator takes from there${self ? ' (in self-hosting blocks HVO would skip the page)' : ' (in hot-added blocks the vmemmap freed is a buddy page: no MemTotal gain)'}`);
        }
      }
      break;
    }
    case 'hot-add':
      // s390x: standby memory through sclp; elsewhere an ACPI memory device
      errno = (k.arch.cfg.arch === 's390x' ? sclp_add_standby_memory : acpi_memory_enable_device)(k, a.node as number, a.start as number, a.size as number);
      break;
    case 'hot-remove': {
      // ACPI eject: offline the blocks (acpi_scan_try_to_offline), then __remove_memory()
      const bs = k.boot.memoryBlockSize;
      const s0 = a.start as number;
      const sz = a.size as number;
      const online = [...k.s.blocks.overlaps(Math.floor(s0 / bs), Math.ceil((s0 + sz) / bs))].filter((b) => b.v.state === 'online');
      for (const b of a.offline === false ? [] : online) {
        errno = offline_blocks(k, b.start * bs, (b.end - b.start) * bs);
        if (errno) break;
      }
      if (!errno) errno = remove_memory(k, s0, sz);
      break;
    }
    case 'online':
      errno = online_blocks(k, a.start as number, a.size as number, a.type as string);
      break;
    case 'offline':
      errno = offline_blocks(k, a.start as number, a.size as number);
      break;
    case 'expect':
      r.failedExpectations = checkExpect(m, st, results);
      r.ok = r.failedExpectations.length === 0;
      break;
  }
  return errno;
}

/** Whether any memory block of a kmem-bound dax device is online. */
function kmemOnline(k: Kernel, dd: DevDax): boolean {
  const bs = k.boot.memoryBlockSize;
  return dd.kmemRanges.some((r) => k.s.blocks.overlaps(r.start / bs, r.end / bs).some((b) => b.v.state === 'online'));
}

/**
 * A step this kernel has no path for (the arch does not select the feature): the reason, or
 * null. Without MEMORY_HOTPLUG there is no add_memory(), no memory block devices to online or
 * offline (drivers/base/memory.c is built only with it) and no kmem driver.
 */
function refused(k: Kernel, st: ScenarioStep): string | null {
  const noHotplug = k.arch.cfg.lacks.hotplug;
  const noRemove = k.arch.cfg.lacks.hotRemove;
  if (noRemove && st.kind === 'hot-remove') return `${noRemove}: no driver calls remove_memory()`;
  if (!noHotplug) return null;
  if (st.kind === 'hot-add') return `${noHotplug}: no driver can add memory`;
  if (st.kind === 'hot-remove' || st.kind === 'online' || st.kind === 'offline') return `${noHotplug}: there are no memory block devices`;
  if (st.kind === 'reconfigure-device' && st.args.mode === 'system-ram') return `${noHotplug}: there is no kmem driver (DEV_DAX_KMEM depends on MEMORY_HOTPLUG)`;
  return null;
}

/**
 * The invariants after a step: what the step touched (checkTouched) when the state was clean
 * before it, every invariant over the whole state otherwise, under --paranoid, and whenever
 * the touched check finds anything (for the exact list).
 */
export function checkStep(m: Machine): Violation[] {
  const k = m.k;
  const quick = !m.paranoid && m.check.clean && !k.s.ledger.overlap;
  let v = quick ? checkTouched(k, k.s.touched, m.check.memo) : [];
  if (!quick || v.length > 0) {
    v = checkInvariants(k);
    if (v.length === 0 && k.s.ledger.overlap) rebuildAltPfns(k.s);
    checkTouched(k, { va: [], sections: [], subsections: [], blocks: [] }, m.check.memo); // remember the altmaps' bounds
  }
  m.check.clean = v.length === 0;
  const t = k.s.touched;
  t.va.length = 0;
  t.sections.length = 0;
  t.subsections.length = 0;
  t.blocks.length = 0;
  return v;
}

export { checkExpect } from './expect.js';
import { checkExpect } from './expect.js';
