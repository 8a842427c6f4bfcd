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
import { __nvdimm_setup_pfn, nd_pfn_default_alignment, nd_pfn_init, nd_pfn_supported_alignments } from '../kernel/nvdimm/pfn_devs.js';
import { KERN_ERR, KERN_INFO, printk } from '../kernel/printk.js';
import { EINVAL, ENOSPC, ENXIO, type Kernel } from '../kernel/state.js';
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
  pfnSeq: number;
}

export function makeRegion(k: Kernel, d: { name: string; node: number; start: number; size: number; labels: boolean }, index: number): Region {
  // drivers/nvdimm/region_devs.c default_align(): 16 MiB (MEMREMAP_COMPAT_ALIGN_MAX), PAGE_SIZE below 16 MiB
  const align = d.size < SZ_16M ? k.c.PAGE_SIZE : SZ_16M;
  return { device: d.name, name: `region${index}`, index, node: d.node, start: d.start, size: d.size, labels: d.labels, align, namespaces: [], pfnSeq: 0 };
}

export interface NdctlResult {
  errno: number;
  messages: string[];
  namespace?: Namespace;
}

function fail(errno: number, ...lines: string[]): NdctlResult {
  return { errno, messages: lines };
}

/** Free extents of a labelled region, in DPA order, trimmed to the region alignment. */
function freeExtents(r: Region): { start: number; end: number }[] {
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

function lowestFreeId(r: Region): number {
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
}

/** ndctl create-namespace [-f -e namespaceR.0 for a label-less region]. */
export function createNamespace(k: Kernel, r: Region, a: CreateArgs): NdctlResult {
  const cmd = 'create namespace';
  const a0 = k.arch.cfg;
  const mode = a.mode;
  const map = mode === 'raw' ? null : (a.map ?? 'dev');
  // --align
  let align: number;
  if (a.align !== undefined) {
    if (!isPow2(a.align) || a.align < a0.PAGE_SIZE) return fail(EINVAL, `  Error: align must be a power-of-2 greater than ${a0.PAGE_SIZE}`);
    if (mode === 'raw') return fail(ENXIO, `  Error: ${mode} mode does not support setting an alignment`);
    if (!nd_pfn_supported_alignments(a0).includes(a.align)) return fail(ENXIO, `  Error: unsupported align: ${shortSize(a.align)}`, `failed to create namespace: No such device or address`);
    align = a.align;
  } else {
    align = mode === 'raw' ? a0.PAGE_SIZE : nd_pfn_default_alignment(a0);
    if (r.start % align !== 0) align = a0.PAGE_SIZE; // "falling back to a page alignment"
  }
  // --size and placement
  let start: number;
  let size: number;
  if (!r.labels) {
    if (r.namespaces.length > 0) return fail(ENOSPC, `failed to create namespace: No space left on device`);
    if (a.size !== undefined && a.size !== r.size) return fail(EINVAL, '  Error: Legacy / label-less namespaces do not support sub-dividing a region', '  Error: Retry without -s/--size=');
    start = r.start;
    size = r.size;
  } else {
    const ext = freeExtents(r);
    const avail = ext.reduce((m, g) => Math.max(m, g.end - g.start), 0);
    size = a.size ?? avail;
    if (avail === 0 || size > avail) return fail(ENOSPC, `failed to create namespace: No space left on device`);
    start = 0;
  }
  if (size % r.align !== 0) return fail(EINVAL, kfmt('  Error: %s: align setting is %#lx size %#llx is misaligned', r.name, r.align, size));
  if (size % align !== 0) {
    const unit = a.size !== undefined ? unitOf(a.size) : 1;
    const step = Math.max(unit, align);
    const suggest = (Math.floor(size / step) + 1) * step / unit;
    return fail(EINVAL, `  Error: '--size=' must align to interleave-width: 1 and alignment: ${align}`, `  Error: did you intend --size=${suggest}${suffixOf(unit)}?`);
  }
  if (size < SZ_16M && mode !== 'raw') return fail(EINVAL, `  Error: '--size=' must be >= 16MiB for '${mode}' mode`);
  if (r.labels) {
    const g = freeExtents(r).find((e) => e.end - e.start >= size)!;
    start = g.start;
  }
  const id = r.labels ? lowestFreeId(r) : 0;
  const name = `namespace${r.index}.${id}`;
  if (r.labels && mode !== 'raw' && start % SZ_16M !== 0) return fail(EINVAL, `  Error: ${name} misaligned to 16M, adjust region alignment and retry`);
  const dev = mode === 'devdax' ? `dax${r.index}.${id}` : id === 0 ? `pmem${r.index}` : `pmem${r.index}.${id}`;
  const ns: Namespace = { name, region: r.name, device: r.device, id, mode, map, align, start, rawSize: size, usable: size, dataOffset: 0, npfns: 0, dev, pgmap: null, altmap: null };
  if (mode === 'raw') {
    r.namespaces.push(ns);
    k.s.claims.set(start, start + size, { name, kind: 'namespace', owner: name });
    return { errno: 0, messages: [], namespace: ns };
  }
  // The kernel: nd_pfn_init() / __nvdimm_setup_pfn() on the pfn or dax device, then memremap_pages().
  const pfnDev = mode === 'devdax' ? `dax${r.index}.${r.pfnSeq}` : `pfn${r.index}.${r.pfnSeq}`;
  const driver = mode === 'devdax' ? 'dax_pmem' : 'nd_pmem';
  const devPrefix = `${driver} ${pfnDev}: `;
  const enableFail = (errno: number): NdctlResult => {
    if (errno !== ENXIO) printk(k, KERN_ERR, 'drivers/base/dd.c:really_probe', '%s', [`${devPrefix}probe with driver ${driver} failed with error ${errno}\n`]);
    return fail(errno, `libndctl: ndctl_${mode === 'devdax' ? 'dax' : 'pfn'}_enable: ${pfnDev}: failed to enable`, `  Error: ${name}: failed to enable`, `failed to create namespace: No such device or address`);
  };
  const info = nd_pfn_init(a0, k.profile, start, size, map === 'dev' ? 'pmem' : 'ram', align, name);
  if ('errno' in info) {
    printk(k, KERN_ERR, 'drivers/nvdimm/pfn_devs.c:nd_pfn_init', info.msg, info.args.map((x, i) => (i === 0 && typeof x === 'string' ? devPrefix + x : x)));
    return enableFail(info.errno);
  }
  const setup = __nvdimm_setup_pfn(a0, start, size, map === 'dev' ? 'pmem' : 'ram', info);
  if ('errno' in setup) return enableFail(setup.errno);
  if (setup.truncated) printk(k, KERN_INFO, 'drivers/nvdimm/pfn_devs.c:__nvdimm_setup_pfn', '%snumber of pfns truncated from %lld to %ld\n', [devPrefix, info.npfns, setup.npfns]);
  r.pfnSeq++;
  ns.dataOffset = info.dataoff;
  ns.npfns = map === 'dev' ? setup.npfns : info.npfns;
  ns.usable = size - info.start_pad - info.end_trunc - info.dataoff;
  let altmapId: string | null = null;
  if (setup.altmap) {
    altmapId = name;
    k.s.altmaps.set(altmapId, { id: altmapId, ...setup.altmap, align: 0, alloc: 0, owner: name, device: r.device });
  }
  const pgmap: DevPagemap = {
    id: name,
    start: setup.rangeStart,
    end: setup.rangeEnd,
    altmap: altmapId,
    type: mode === 'devdax' ? 'MEMORY_DEVICE_GENERIC' : 'MEMORY_DEVICE_FS_DAX',
    // drivers/dax/device.c dev_dax_probe(): vmemmap_shift = order_base_2(align >> PAGE_SHIFT) if align > PAGE_SIZE
    vmemmap_shift: mode === 'devdax' && align > a0.PAGE_SIZE ? orderBase2(align / a0.PAGE_SIZE) : 0,
    dev,
  };
  ns.pgmap = pgmap;
  ns.altmap = altmapId;
  k.s.claims.set(start, start + size, { name, kind: 'namespace', owner: name });
  const err = memremap_pages(k, pgmap, r.node);
  if (err !== 0) {
    ns.failed = true;
    k.s.claims.clear(start, start + size);
    if (altmapId) k.s.altmaps.get(altmapId)!.owner = name + ' (failed)';
    return enableFail(err);
  }
  r.namespaces.push(ns);
  return { errno: 0, messages: [], namespace: ns };
}

function unitOf(n: number): number {
  for (const u of [2 ** 40, 2 ** 30, 2 ** 20, 2 ** 10]) if (n % u === 0) return u;
  return 1;
}

function suffixOf(u: number): string {
  return u === 2 ** 40 ? 'T' : u === 2 ** 30 ? 'G' : u === 2 ** 20 ? 'M' : u === 2 ** 10 ? 'K' : '';
}

/** ndctl destroy-namespace -f: disable (memunmap_pages for fsdax/devdax), then free the extent. */
export function destroyNamespace(k: Kernel, r: Region, name?: string): NdctlResult {
  const ns = name ? r.namespaces.find((n) => n.name === name) : r.namespaces[r.namespaces.length - 1];
  if (!ns) return fail(ENXIO, `  Error: ${name ?? 'namespace'}: no such namespace on ${r.device}`);
  if (ns.pgmap) memunmap_pages(k, ns.pgmap);
  if (ns.altmap) k.s.altmaps.delete(ns.altmap);
  k.s.claims.clear(ns.start, ns.start + ns.rawSize);
  r.namespaces.splice(r.namespaces.indexOf(ns), 1);
  return { errno: 0, messages: [] };
}
