/**
 * mm/memremap.c @ v6.18: memremap_pages() / pagemap_range() and memunmap_pages() for a
 * single-range ZONE_DEVICE pgmap (what pmem fsdax and device-dax use).
 */
import { arch_add_memory, arch_remove_memory, leftBehind, mhp_range_allowed } from './memory_hotplug.js';
import { printk, WARN } from './printk.js';
import { touchStructPages } from './fault.js';
import { EINVAL, ENOMEM, ENXIO, type Kernel } from './state.js';

const FILE = 'mm/memremap.c';

export interface DevPagemap {
  id: string;
  /** Physical range, inclusive end (struct range). */
  start: number;
  end: number;
  /** Altmap id when PGMAP_ALTMAP_VALID. */
  altmap: string | null;
  type: 'MEMORY_DEVICE_FS_DAX' | 'MEMORY_DEVICE_GENERIC';
  /** pgmap->vmemmap_shift (device-dax compound pages). */
  vmemmap_shift: number;
  /** Device name for messages (dev_name). */
  dev: string;
}

/**
 * memremap_pages(pgmap, nid) with one range -> pagemap_range(): a live pgmap at the first
 * or last pfn -> "Conflicting mapping in same section" -ENOMEM; overlap with System RAM ->
 * "attempted on %s region" -ENXIO (WARN_ONCE); mhp_range_allowed -> -EINVAL;
 * arch_add_memory() with the altmap (its failure leaves the sections it added); on failure
 * memunmap_pages() of the completed ranges (none) and its "failed to free all reserved pages"
 * check of altmap->alloc.
 */
export function memremap_pages(k: Kernel, pgmap: DevPagemap, nid: number): number {
  const P = k.c.PAGE_SIZE;
  const spfn = Math.floor(pgmap.start / P);
  const epfn = Math.floor(pgmap.end / P);
  const len = pgmap.end + 1 - pgmap.start;
  const err = pagemap_range(k, pgmap, nid, spfn, epfn, len);
  if (err !== 0) {
    const a = pgmap.altmap ? k.s.altmaps.get(pgmap.altmap) : undefined;
    // v5.10+ unwinds through memunmap_pages() and its altmap check; v5.6/v5.9 do not
    if (k.profile.memremapFailCheck) WARN(k, !!a && a.alloc !== 0, FILE + ':memunmap_pages', 'failed to free all reserved pages\n', [], true);
    return err;
  }
  return 0;
}

function pagemap_range(k: Kernel, pgmap: DevPagemap, nid: number, spfn: number, epfn: number, len: number): number {
  if (k.s.pgmaps.get(spfn) !== undefined || k.s.pgmaps.get(epfn) !== undefined) {
    WARN(k, true, FILE + ':pagemap_range', 'Conflicting mapping in same section\n');
    return ENOMEM;
  }
  const ram = k.s.iomem.overlaps(pgmap.start, pgmap.end + 1).filter((r) => r.v.kind === 'System RAM');
  if (ram.length > 0) {
    // region_intersects(): REGION_INTERSECTS ("ram") when only System RAM is there, else REGION_MIXED
    const covered = ram.reduce((t, r) => t + r.end - r.start, 0);
    const others = k.s.iomem.overlaps(pgmap.start, pgmap.end + 1).some((r) => r.v.kind !== 'System RAM');
    const kind = covered === len || !others ? 'ram' : 'mixed';
    if (k.profile.memremapRamFmt === 'pr') {
      // v5.6/v5.9: "%s attempted on %s region %pr\n" with __func__ and the resource (%pr; flags assumed IORESOURCE_MEM)
      const pr = `[mem 0x${pgmap.start.toString(16).padStart(8, '0')}-0x${pgmap.end.toString(16).padStart(8, '0')} flags 0x200]`;
      WARN(k, true, FILE + ':memremap_pages', '%s attempted on %s region %pr\n', ['memremap_pages', kind, pr], true);
    } else WARN(k, true, FILE + ':pagemap_range', 'attempted on %s region %#llx-%#llx\n', [kind, BigInt(pgmap.start), BigInt(pgmap.end)], true);
    return ENXIO;
  }
  k.s.pgmaps.set(spfn, epfn + 1, pgmap.id); // xa_store_range()
  if (k.profile.hotplugRangeCheck === 'mhp' && !mhp_range_allowed(k, pgmap.start, len)) {
    k.s.pgmaps.clear(spfn, epfn + 1); // pgmap_array_delete()
    return EINVAL;
  }
  // params.pgmap: the compound geometry vmemmap_populate_compound_pages() reads (pgmap->ranges[nr_range].start)
  const geom = pgmap.vmemmap_shift > 0 ? { id: pgmap.id, nr: 2 ** pgmap.vmemmap_shift, rangeStartPfn: spfn } : null;
  const err = arch_add_memory(k, nid, pgmap.start, len, pgmap.altmap, geom);
  if (err !== 0) {
    k.s.pgmaps.clear(spfn, epfn + 1);
    leftBehind(k, FILE + ':pagemap_range', pgmap.start, len);
    return err;
  }
  // move_pfn_range_to_zone(ZONE_DEVICE, ...) and memmap_init_zone_device(): no model state, but
  // they write struct pages, which oopses where one is not mapped (kernel/fault.ts).
  // memmap_init_zone_device() (mm/page_alloc.c, mm/mm_init.c from v6.4): pr_debug("%s initialised
  // %lu pages in %ums\n", __func__, nr_pages, ...) where nr_pages counts pfns from pfn_first();
  // the time is unknown
  const a = pgmap.altmap ? k.s.altmaps.get(pgmap.altmap)! : null;
  const first = spfn + (a ? a.reserve + a.free : 0);
  initZoneDevicePages(k, pgmap, spfn, epfn + 1, a);
  printk(k, k.profile.memmapInitZoneDeviceLevel, `${initFile(k)}:memmap_init_zone_device`, '%s initialised %lu pages in %ums\n', ['memmap_init_zone_device', epfn + 1 - first, '?'], { approx: true });
  return 0;
}

/**
 * The struct-page writes of a new pgmap, in the kernel's order (each oopses on an unmapped
 * struct page): move_pfn_range_to_zone() -> memmap_init_range() (memmap_init_zone() before
 * v5.11), which for ZONE_DEVICE with an altmap initialises only the altmap's pfns
 * [start (+ reserve when start == base_pfn), base_pfn + vmem_altmap_offset()); then
 * memmap_init_zone_device() every pfn from there to the end (__init_single_page() /
 * __init_zone_device_page() start with mm_zero_struct_page(): a write at offset 0).
 * Read in 5.9.1 / 5.10.7 (page_alloc.c), 5.15.100, 6.1.20, 6.6.9 .. 7.1.5 (mm_init.c).
 * With DEBUG_VM, sparse_add_section()'s page_init_poison() memsets the whole range first (the
 * same first unmapped byte, a different function); DEBUG_VM is not modelled.
 */
/** Where the memmap initialisation code lives: mm/page_alloc.c, mm/mm_init.c from v6.4. */
const initFile = (k: Kernel) => (k.profile.zoneDeviceInit === 'v6.4' ? 'mm/mm_init.c' : 'mm/page_alloc.c');

function initZoneDevicePages(k: Kernel, pgmap: DevPagemap, spfn: number, epfn: number, a: { base_pfn: number; reserve: number; free: number } | null): void {
  const v = k.profile.zoneDeviceInit;
  const file = initFile(k);
  const range = v === 'v5.9' ? 'memmap_init_zone' : 'memmap_init_range';
  const dev = v === 'v5.17' || v === 'v6.4' ? '__init_zone_device_page' : 'memmap_init_zone_device';
  let first = spfn;
  if (a) {
    const s = spfn === a.base_pfn ? spfn + a.reserve : spfn;
    first = a.base_pfn + a.reserve + a.free;
    touchStructPages(k, { fn: range, site: `${file}:${range}`, access: 'write', field: 0, what: `move_pfn_range_to_zone() initialising the struct pages of ${pgmap.dev}'s altmap pfns` }, s, first);
  }
  touchStructPages(k, { fn: dev, site: `${file}:${dev}`, access: 'write', field: 0, what: `memmap_init_zone_device() initialising the struct pages of ${pgmap.dev}` }, first, epfn);
}

/** memunmap_pages(pgmap): arch_remove_memory() with the altmap, then the altmap->alloc check. */
export function memunmap_pages(k: Kernel, pgmap: DevPagemap): void {
  const P = k.c.PAGE_SIZE;
  const len = pgmap.end + 1 - pgmap.start;
  // before unmapping, the struct pages are read: <= 5.15 put_page(pfn_to_page(pfn)) of every pfn
  // from pfn_first() (compound_head(), offset 8, is read first); then (every version)
  // pageunmap_range()'s page_zone(first_page) reads the flags of pfn_first()'s page. Read in
  // 5.9.1, 5.10.7, 5.15.100, 6.1.20 .. 7.1.5. pfn_first() = start + vmem_altmap_offset().
  const a0 = pgmap.altmap ? k.s.altmaps.get(pgmap.altmap) : undefined;
  const spfn = Math.floor(pgmap.start / P);
  const pfnFirst = spfn + (a0 ? a0.reserve + a0.free : 0);
  const epfn = Math.floor(pgmap.end / P) + 1;
  if (k.profile.memunmapPutPage) touchStructPages(k, { fn: 'memunmap_pages', site: FILE + ':memunmap_pages', access: 'read', field: 8, what: `memunmap_pages() dropping the references of ${pgmap.dev}'s pages (put_page)` }, pfnFirst, epfn);
  touchStructPages(k, { fn: 'memunmap_pages', site: FILE + ':pageunmap_range', access: 'read', field: 0, what: `memunmap_pages() reading the zone of ${pgmap.dev}'s first page (pageunmap_range: page_zone(first_page))` }, pfnFirst, pfnFirst + 1);
  arch_remove_memory(k, pgmap.start, len, pgmap.altmap);
  k.s.pgmaps.clear(Math.floor(pgmap.start / P), Math.floor(pgmap.end / P) + 1);
  const a = pgmap.altmap ? k.s.altmaps.get(pgmap.altmap) : undefined;
  WARN(k, !!a && a.alloc !== 0, FILE + ':memunmap_pages', 'failed to free all reserved pages\n', [], true);
}

export { EINVAL };
