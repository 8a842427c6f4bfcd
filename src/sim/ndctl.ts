/**
 * What `ndctl create-namespace` / `destroy-namespace` (ndctl v7x, ndctl/namespace.c) do to a
 * region, and the kernel drivers they bind (drivers/nvdimm/pmem.c for fsdax,
 * drivers/dax/pmem.c + device.c for devdax): option defaults and checks, first-fit
 * placement in a labelled region, the pfn info block, the pgmap + altmap, memremap_pages.
 *
 * ndctl's own messages go to the step's `messages`; the kernel's to dmesg. The step's errno
 * is the kernel's (the one the sysfs bind write returns); ndctl itself reports every
 * enable failure as ENXIO ("No such device or address").
 */
import { alignDown, alignUp, isPow2, MiB } from '../util/bits.js';
import { kfmt } from '../util/kfmt.js';
import { shortSize } from '../util/units.js';
import { memremap_pages, memunmap_pages, type DevPagemap } from '../kernel/memremap.js';
import { probeFailure } from '../kernel/driver_core.js';
import { __nvdimm_setup_pfn, nd_pfn_default_alignment, nd_pfn_init, nd_pfn_supported_alignments } from '../kernel/nvdimm/pfn_devs.js';
import { KERN_ERR, KERN_INFO, printk, type KMsg } from '../kernel/printk.js';
import { EBUSY, EINVAL, ENODEV, ENOSPC, ENXIO, strerror, type Kernel } from '../kernel/state.js';
import type { ArchConfig } from '../arch/types.js';
import type { KernelProfile } from '../kernels/types.js';
import { orderBase2 } from '../util/bits.js';

const SZ_16M = 16 * MiB;

export interface Namespace {
  name: string;
  region: string;
  device: string;
  id: number;
  mode: 'fsdax' | 'devdax' | 'raw';
  map: 'dev' | 'mem' | null;
  align: number;
  start: number;
  rawSize: number;
  usable: number;
  dataOffset: number;
  npfns: number;
  /** Block or character device: pmemR[.N] / daxR.N. */
  dev: string;
  pgmap: DevPagemap | null;
  altmap: string | null;
  /** The kernel's setup failed: sections it added may remain. */
  failed?: boolean;
  /** The pfn/dax device that claims the namespace (pfnR.N / daxR.N), while it lives. */
  holder?: string;
}

export interface Region {
  device: string;
  name: string;
  index: number;
  node: number;
  start: number;
  size: number;
  labels: boolean;
  align: number;
  namespaces: Namespace[];
  /**
   * The region's pfn and dax seed device ids (pfnR.<pfn>, daxR.<dax>): separate seeds, each
   * replaced only after a successful probe (drivers/nvdimm/bus.c nvdimm_bus_probe():
   * nd_region_advance_seeds() when the probe returns 0 or -EOPNOTSUPP, v5.4..v7.1) by a new
   * device with the lowest free id (nd_region_create_{pfn,dax}_seed(), ida_simple_get /
   * ida_alloc); a destroyed namespace's claiming device is unregistered, freeing its id.
   * Recorded: x86-612-chain (pfn0.0, pfn0.1, dax0.0, dax0.1), x86-612-l4-high (a failed probe
   * leaves pfn0.0 the seed).
   */
  seeds: { pfn: number; dax: number };
}

/** The lowest id no live namespace's claiming device of that kind (pfn/dax) holds. */
function lowestFreeSeed(r: Region, kind: 'pfn' | 'dax'): number {
  const used = new Set(r.namespaces.map((n) => n.holder).filter((h): h is string => !!h && h.startsWith(kind)).map((h) => Number(h.split('.')[1])));
  let id = 0;
  while (used.has(id)) id++;
  return id;
}

export function makeRegion(k: Kernel, d: { name: string; node: number; start: number; size: number; labels: boolean }, index: number): Region {
  // drivers/nvdimm/region_devs.c default_align(): 16 MiB (MEMREMAP_COMPAT_ALIGN_MAX), PAGE_SIZE below 16 MiB
  const align = d.size < SZ_16M ? k.c.PAGE_SIZE : SZ_16M;
  return { device: d.name, name: `region${index}`, index, node: d.node, start: d.start, size: d.size, labels: d.labels, align, namespaces: [], seeds: { pfn: 0, dax: 0 } };
}

export interface NdctlResult {
  errno: number;
  messages: string[];
  namespace?: Namespace;
}

/** Free extents of a labelled region, in DPA order, trimmed to the region alignment. */
export function freeExtents(r: Region): { start: number; end: number }[] {
  const used = [...r.namespaces].sort((a, b) => a.start - b.start);
  const out: { start: number; end: number }[] = [];
  let cur = r.start;
  for (const ns of used) {
    if (ns.start > cur) out.push({ start: cur, end: ns.start });
    cur = Math.max(cur, ns.start + ns.rawSize);
  }
  if (cur < r.start + r.size) out.push({ start: cur, end: r.start + r.size });
  return out
    .map((g) => ({ start: r.start + alignUp(g.start - r.start, r.align), end: r.start + alignDown(g.end - r.start, r.align) }))
    .filter((g) => g.end > g.start);
}

export function lowestFreeId(r: Region): number {
  const ids = new Set(r.namespaces.map((n) => n.id));
  let i = 0;
  while (ids.has(i)) i++;
  return i;
}

export interface CreateArgs {
  mode: 'fsdax' | 'devdax' | 'raw';
  map?: 'dev' | 'mem';
  align?: number;
  size?: number;
  /** ndctl -f: skips check_dax_align()'s 16 MiB start check (a label-less region is always driven with -f -e). */
  force?: boolean;
}

/** What usage_with_options() prints after an option error (ndctl exits 129 there). */
const USAGE = ' usage: ndctl create-namespace [<options>]';

export type { KMsg };

/** What creating a namespace will do, decided without touching kernel state. */
export interface NamespacePlan {
  errno: number;
  messages: string[];
  kmsgs: KMsg[];
  ns?: Namespace;
  /** The altmap to build (PMEM mode), without its counters. */
  altmap?: { base_pfn: number; end_pfn: number; reserve: number; free: number } | null;
  /** Device prefix and driver for the kernel's probe messages. */
  devPrefix?: string;
  /** Whether the region has labels (ndctl's wording: create vs reconfigure). */
  labels?: boolean;
  driver?: string;
  pfnDev?: string;
}

/**
 * The user-space half and the pure kernel arithmetic of `ndctl create-namespace`: option
 * defaults and checks, placement, nd_pfn_init() and __nvdimm_setup_pfn(). The region is not
 * changed.
 */
export function planNamespace(a0: ArchConfig, prof: KernelProfile, r: Region, a: CreateArgs): NamespacePlan {
  const mode = a.mode;
  const map = mode === 'raw' ? null : (a.map ?? 'dev');
  const P = a0.PAGE_SIZE;
  const no = (errno: number, ...messages: string[]): NamespacePlan => ({ errno, messages, kmsgs: [] });
  // ndctl v81 ndctl/namespace.c, in its order (validate_namespace_options, setup_namespace).
  // error() lines are "  Error: ..."; err() adds "create namespace: " and suppresses the final
  // "failed to create namespace: <strerror>" line (-e, as for label-less regions: "reconfigure").
  const final = (errno: number) => `failed to ${r.labels ? 'create' : 'reconfigure'} namespace: ${strerror(errno)}`;
  const fail = (errno: number, ...lines: string[]) => no(errno, ...lines, final(errno));
  const err = (errno: number, text: string) => no(errno, `  Error: create namespace: ${text}`);
  // set_defaults(): option errors print the usage and exit 129
  if (mode === 'raw' && a.map !== undefined) return no(EINVAL, '  Error: --map only valid for an devdax mode pmem namespace', USAGE);
  if (a.align !== undefined && (!isPow2(a.align) || a.align < P)) return no(EINVAL, `  Error: align must be a power-of-2 greater than ${P}`, USAGE);
  // capacity (validate_available_capacity / namespace_create: -EAGAIN, reported as -ENOSPC)
  let start = 0;
  let size: number;
  if (!r.labels) {
    if (r.namespaces.length > 0) return fail(ENOSPC);
    // label-less regions cannot be sub-divided (since ndctl v71)
    if (a.size !== undefined && a.size !== r.size) return fail(EINVAL, '  Error: Legacy / label-less namespaces do not support sub-dividing a region', '  Error: Retry without -s/--size=');
    start = r.start;
    size = r.size;
  } else {
    const ext = freeExtents(r);
    const avail = ext.reduce((m, g) => Math.max(m, g.end - g.start), 0);
    size = a.size ?? avail;
    if (avail === 0 || size > avail) return fail(ENOSPC);
  }
  // the mode's seed device: none without ZONE_DEVICE (arm64 v5.6: no MEMORY_HOTREMOVE;
  // riscv64, loongarch64 before v6.11; ia64): NVDIMM_PFN/NVDIMM_DAX depend on it
  const noSeed = a0.lacks.zoneDevice !== undefined && mode !== 'raw';
  if (noSeed && mode === 'devdax') return fail(ENODEV, '  Error: Kernel does not support devdax mode');
  // --align
  let align: number;
  if (a.align !== undefined) {
    if (noSeed) return fail(ENXIO, '  Error: Kernel does not support setting an alignment in fsdax mode');
    if (mode === 'raw') return fail(ENXIO, `  Error: ${mode} mode does not support setting an alignment`);
    if (!nd_pfn_supported_alignments(a0).includes(a.align)) return fail(ENXIO, `  Error: unsupported align: ${shortSize(a.align)}`);
    align = a.align;
  } else {
    align = mode === 'raw' ? P : nd_pfn_default_alignment(a0);
    if (r.start % align !== 0) align = P; // "falling back to a page alignment"
  }
  // the region's align attribute (drivers/nvdimm/region_devs.c, v5.7 with memremap_compat_align)
  if (prof.memremapCompatAlign && size % r.align !== 0) return err(EINVAL, kfmt('%s: align setting is %#lx size %#llx is misaligned', r.name, r.align, size));
  if (size % align !== 0) {
    // the harness passes --size in bytes: ndctl's suggestion is in the units given (here 1)
    const suggest = (Math.floor(size / align) + 1) * align;
    return no(EINVAL, `  Error: create namespace: '--size=' must align to interleave-width: 1 and alignment: ${align}`, `did you intend --size=${suggest}?`);
  }
  if (size < SZ_16M && mode !== 'raw') {
    // a defaulted size on a labelled region: -EAGAIN, then "No space left on device"
    if (a.size === undefined && r.labels) return fail(ENOSPC);
    return fail(EINVAL, `  Error: '--size=' must be >= 16MiB for '${mode}' mode`);
  }
  if (noSeed) return fail(EINVAL, `  Error: operation failed, ${r.name} cannot support requested mode`);
  if (r.labels) start = freeExtents(r).find((e) => e.end - e.start >= size)!.start;
  const id = r.labels ? lowestFreeId(r) : 0;
  const name = `namespace${r.index}.${id}`;
  // setup_namespace() -> check_dax_align(): skipped with -f
  if (r.labels && mode !== 'raw' && !a.force && start % SZ_16M !== 0) return fail(EINVAL, `  Error: ${name} misaligned to 16M, adjust region alignment and retry`);
  const dev = mode === 'devdax' ? `dax${r.index}.${id}` : id === 0 ? `pmem${r.index}` : `pmem${r.index}.${id}`;
  const ns: Namespace = { name, region: r.name, device: r.device, id, mode, map, align, start, rawSize: size, usable: size, dataOffset: 0, npfns: 0, dev, pgmap: null, altmap: null };
  if (mode === 'raw') return { errno: 0, messages: [], kmsgs: [], ns, altmap: null };
  // The kernel: nd_pfn_init() / __nvdimm_setup_pfn() on the pfn or dax device.
  const pfnDev = mode === 'devdax' ? `dax${r.index}.${r.seeds.dax}` : `pfn${r.index}.${r.seeds.pfn}`;
  const driver = mode === 'devdax' ? 'dax_pmem' : 'nd_pmem';
  const devPrefix = `${driver} ${pfnDev}: `;
  const pfnMode = map === 'dev' ? 'pmem' : 'ram';
  const info = nd_pfn_init(a0, prof, start, size, pfnMode, align, name);
  if ('errno' in info) {
    const args = info.args.map((x, i) => (i === 0 && typeof x === 'string' ? devPrefix + x : x));
    return { errno: info.errno, messages: [], kmsgs: [{ level: KERN_ERR, site: 'drivers/nvdimm/pfn_devs.c:nd_pfn_init', fmt: info.msg, args }], ns, devPrefix, driver, pfnDev, labels: r.labels };
  }
  const setup = __nvdimm_setup_pfn(a0, start, size, pfnMode, info);
  if ('errno' in setup) return { errno: setup.errno, messages: [], kmsgs: [], ns, devPrefix, driver, pfnDev, labels: r.labels };
  const kmsgs: KMsg[] = [];
  if (setup.truncated) kmsgs.push({ level: KERN_INFO, site: 'drivers/nvdimm/pfn_devs.c:__nvdimm_setup_pfn', fmt: '%snumber of pfns truncated from %lld to %ld\n', args: [devPrefix, info.npfns, setup.npfns] });
  ns.dataOffset = info.dataoff;
  ns.npfns = map === 'dev' ? setup.npfns : info.npfns;
  ns.usable = size - info.start_pad - info.end_trunc - info.dataoff;
  ns.altmap = setup.altmap ? name : null;
  ns.pgmap = {
    id: name,
    start: setup.rangeStart,
    end: setup.rangeEnd,
    altmap: ns.altmap,
    type: mode === 'devdax' ? 'MEMORY_DEVICE_GENERIC' : 'MEMORY_DEVICE_FS_DAX',
    // drivers/dax/device.c dev_dax_probe() (6.1+; no vmemmap_shift in 5.15): order_base_2(align >> PAGE_SHIFT) if align > PAGE_SIZE
    vmemmap_shift: mode === 'devdax' && align > P && prof.daxVmemmapDedup !== 'none' ? orderBase2(align / P) : 0,
    dev,
  };
  return { errno: 0, messages: [], kmsgs, ns, altmap: setup.altmap, devPrefix, driver, pfnDev, labels: r.labels };
}

/** The probe-failure messages and ndctl's report of a failed enable. */
export function enableFailure(profile: KernelProfile, plan: NamespacePlan, errno: number): { kmsg: KMsg | null; messages: string[] } {
  const kmsg = probeFailure(profile, plan.driver!, plan.pfnDev!, errno);
  const mode = plan.ns!.mode;
  // libndctl discards the bind's errno: -ENXIO; a label-less region is driven with -f -e ("reconfigure")
  const labels = plan.labels !== false;
  return { kmsg, messages: [`libndctl: ndctl_${mode === 'devdax' ? 'dax' : 'pfn'}_enable: ${plan.pfnDev}: failed to enable`, `  Error: ${plan.ns!.name}: failed to enable`, `failed to ${labels ? 'create' : 'reconfigure'} namespace: No such device or address`] };
}

/** ndctl create-namespace [-f -e namespaceR.0 for a label-less region]. */
export function createNamespace(k: Kernel, r: Region, a: CreateArgs): NdctlResult {
  const plan = planNamespace(k.arch.cfg, k.profile, r, a);
  for (const m of plan.kmsgs) printk(k, m.level, m.site, m.fmt, m.args);
  const fail = (errno: number): NdctlResult => {
    const f = enableFailure(k.profile, plan, errno);
    if (f.kmsg) printk(k, f.kmsg.level, f.kmsg.site, f.kmsg.fmt, f.kmsg.args);
    return { errno, messages: f.messages };
  };
  if (plan.errno !== 0) return plan.ns ? fail(plan.errno) : { errno: plan.errno, messages: plan.messages };
  const ns = plan.ns!;
  if (plan.altmap) k.s.altmaps.set(ns.name, { id: ns.name, ...plan.altmap, align: 0, alloc: 0, owner: ns.name, device: r.device });
  k.s.claims.set(ns.start, ns.start + ns.rawSize, { name: ns.name, kind: 'namespace', owner: ns.name });
  if (ns.pgmap) {
    const err = memremap_pages(k, ns.pgmap, r.node);
    if (err !== 0) {
      ns.failed = true;
      k.s.claims.clear(ns.start, ns.start + ns.rawSize);
      // The pfn device and its pgmap/altmap go away with the failed probe, but what the failed
      // memremap_pages() left populated still points at the altmap's pages: keep the altmap
      // under a name of its own so a later namespace of the same name gets a fresh one.
      if (ns.altmap) renameAltmap(k, ns.altmap, `${ns.altmap}~failed-step${k.step}`);
      return fail(err); // the probe failed: the seed stays
    }
  }
  r.namespaces.push(ns);
  if (ns.mode !== 'raw') {
    // the probe succeeded: the seed now claims the namespace, a new seed takes the lowest free id
    const kind = ns.mode === 'devdax' ? 'dax' : 'pfn';
    ns.holder = plan.pfnDev;
    r.seeds[kind] = lowestFreeSeed(r, kind);
  }
  return { errno: 0, messages: [], namespace: ns };
}

/** Give an altmap a new id, in the altmap table and in every leaf it backs. */
export function renameAltmap(k: Kernel, from: string, to: string): void {
  const a = k.s.altmaps.get(from);
  if (!a) return;
  k.s.altmaps.delete(from);
  k.s.altmaps.set(to, { ...a, id: to, owner: to });
  for (const seg of [...k.s.leaves]) {
    if (seg.v.b.kind === 'altmap' && seg.v.b.id === from) k.s.leaves.set(seg.start, seg.end, { level: seg.v.level, b: { ...seg.v.b, id: to } });
  }
}

/**
 * ndctl destroy-namespace [-f]: an enabled namespace needs -f (namespace_prep_reconfig); then
 * disable (memunmap_pages for fsdax/devdax) and free the extent; "destroyed 1 namespace".
 */
export function destroyNamespace(k: Kernel, r: Region, name: string | undefined, force: boolean): NdctlResult {
  const ns = name ? r.namespaces.find((n) => n.name === name) : r.namespaces[r.namespaces.length - 1];
  // A label-less region always has its namespaceR.0 (raw when nothing claims it: the model
  // lists no namespace then). ndctl's namespace_destroy() disables it and, for a label-less
  // (io) namespace, stops there with 0 ("Labeless namespaces can't be deleted"): "destroyed 1
  // namespace" (ndctl v76-v81 ndctl/namespace.c; recorded: x86-612-l4-high step 3, after a
  // failed create)
  if (!ns && !r.labels && (name === undefined || name === `namespace${r.index}.0`)) {
    return force ? { errno: 0, messages: ['destroyed 1 namespace'] } : { errno: EBUSY, messages: [`  Error: namespace${r.index}.0 is active, specify --force for re-configuration`, 'error destroying namespaces: Device or resource busy', 'destroyed 0 namespaces'] };
  }
  if (!ns) return { errno: ENXIO, messages: [`  Error: ${name ?? "namespace"}: no such namespace on ${r.device}`] };
  if (!force) return { errno: EBUSY, messages: [`  Error: ${ns.name} is active, specify --force for re-configuration`, 'error destroying namespaces: Device or resource busy', 'destroyed 0 namespaces'] };
  if (ns.pgmap) memunmap_pages(k, ns.pgmap);
  if (ns.altmap) {
    // The pgmap and its altmap are freed with the device; memmap that an earlier failed
    // memremap_pages() left mapped (a kernel anomaly, reported when it happened) still points
    // at the device's pages: keep its accounting under a name of its own
    const a = k.s.altmaps.get(ns.altmap);
    if (a && a.alloc > 0) renameAltmap(k, ns.altmap, `${ns.altmap}~destroyed-step${k.step}`);
    else k.s.altmaps.delete(ns.altmap);
  }
  k.s.claims.clear(ns.start, ns.start + ns.rawSize);
  r.namespaces.splice(r.namespaces.indexOf(ns), 1);
  return { errno: 0, messages: ['destroyed 1 namespace'] };
}
