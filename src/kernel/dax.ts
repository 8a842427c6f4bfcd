/**
 * Device DAX (drivers/dax/) as far as the memmap is concerned, read in 6.1.20, 6.6.9, 6.12.0,
 * 6.18.2 (see docs/research/dax-kmem.md):
 *  - device_dax (drivers/dax/device.c dev_dax_probe): memremap_pages() of the device's range
 *    with a MEMORY_DEVICE_GENERIC pgmap, vmemmap_shift from the dax align (6.1+), the altmap
 *    of a pmem namespace with --map=dev; unbinding runs memunmap_pages();
 *  - kmem (drivers/dax/kmem.c dev_dax_kmem_probe): each range cut down to whole memory
 *    blocks (dax_kmem_range) and hot-added as driver-managed "System RAM (kmem)", with
 *    MHP_MEMMAP_ON_MEMORY when the device's memmap_on_memory attribute says so (6.12+).
 */
import { fmtSizeKernel } from '../util/units.js';
import { add_memory, remove_memory } from './memory_hotplug.js';
import { memremap_pages, memunmap_pages, type DevPagemap } from './memremap.js';
import { probeFailure } from './driver_core.js';
import { KERN_INFO, KERN_WARNING, printk, pr_err, WARN } from './printk.js';
import { EINVAL, ENXIO, type Kernel } from './state.js';

/** A struct dev_dax with its one range (the model's dax devices have a single range). */
export interface DevDax {
  /** daxR.N */
  name: string;
  /** Physical range [start, end). */
  start: number;
  end: number;
  /** target_node */
  node: number;
  /** The dax region's align (2 MiB for hmem/cxl; the namespace align for pmem). */
  align: number;
  /** dev_dax->memmap_on_memory (6.12+ attribute; 1 by default for CXL). */
  memmapOnMemory: boolean;
  /** Which driver is bound: device_dax (devdax mode), kmem (system-ram mode) or none. */
  driver: 'device_dax' | 'kmem' | null;
  /** device_dax: the pgmap it registered (pmem devices bring their own, with the altmap). */
  pgmap: DevPagemap | null;
  /**
   * pmem: the pgmap dax_pmem made for the device (dev_dax->pgmap, with the altmap), which
   * every device_dax bind registers again; null for hmem/cxl (device_dax builds one per bind).
   */
  staticPgmap: DevPagemap | null;
  /** kmem: the ranges it added. */
  kmemRanges: { start: number; end: number }[];
  /** kmem ranges that could not be removed on unbind ("until the next reboot"). */
  leaked: { start: number; end: number }[];
  /** Where the device comes from. */
  source: 'hmem' | 'cxl' | 'pmem';
  /** Whose resource claim the kmem ranges may sit inside (a pmem namespace). */
  owner: string;
}

/**
 * device_dax probe: devm_memremap_pages() of the device's pgmap. Without ZONE_DEVICE that is
 * include/linux/memremap.h's stub (v5.6..v7.1): WARN_ON_ONCE(1) and -ENXIO, which
 * really_probe() only pr_debug()s (a dax_hmem/dax_cxl device on riscv64 or loongarch64 before
 * v6.11 whose device_dax binds).
 */
export function dev_dax_probe(k: Kernel, dd: DevDax, pgmap: DevPagemap): number {
  const noZoneDevice = k.arch.cfg.lacks.zoneDevice !== undefined;
  if (noZoneDevice) WARN(k, true, 'include/linux/memremap.h:devm_memremap_pages', null, [], true);
  const err = noZoneDevice ? ENXIO : memremap_pages(k, pgmap, dd.node);
  if (err !== 0) {
    const msg = probeFailure(k.profile, 'device_dax', dd.name, err);
    if (msg) printk(k, msg.level, msg.site, msg.fmt, msg.args);
    return err;
  }
  dd.pgmap = pgmap;
  dd.driver = 'device_dax';
  return 0;
}

/** Unbinding device_dax: the devres actions end with memunmap_pages(). */
export function dev_dax_remove(k: Kernel, dd: DevDax): void {
  if (dd.pgmap) memunmap_pages(k, dd.pgmap);
  dd.pgmap = null;
  dd.driver = null;
}

/** dax_kmem_range(): the range rounded inward to whole memory blocks, or null (-ENOSPC). */
export function dax_kmem_range(k: Kernel, start: number, end: number): { start: number; end: number } | null {
  const bs = k.boot.memoryBlockSize;
  const s = Math.ceil(start / bs) * bs;
  const e = Math.floor(end / bs) * bs;
  return s < e ? { start: s, end: e } : null;
}

/**
 * dev_dax_kmem_probe(): the usable range (dev_info "mapping%d: %#llx-%#llx too small after
 * alignment" when none, then dev_warn "rejecting DAX region without any memory after
 * alignment" -EINVAL), 6.18's "DAX region truncated by %s due to alignment", then
 * add_memory_driver_managed(..., "System RAM (kmem)", MHP_NID_IS_MGID | [MHP_MEMMAP_ON_MEMORY]);
 * a failure there: dev_warn "mapping%d: %#llx-%#llx memory add failed" and its errno.
 */
export function dev_dax_kmem_probe(k: Kernel, dd: DevDax): number {
  const site = 'drivers/dax/kmem.c:dev_dax_kmem_probe';
  const dev = `kmem ${dd.name}: `; // dev_warn()/dev_info() prefix: driver and device name
  const r = dax_kmem_range(k, dd.start, dd.end);
  if (!r) {
    printk(k, KERN_INFO, site, '%s', [`${dev}mapping0: 0x${dd.start.toString(16)}-0x${(dd.end - 1).toString(16)} too small after alignment\n`]);
    printk(k, KERN_WARNING, site, '%s', [`${dev}rejecting DAX region without any memory after alignment\n`]);
    return EINVAL;
  }
  const lost = dd.end - dd.start - (r.end - r.start);
  if (lost > 0 && k.profile.kmemTruncatedWarning) {
    printk(k, KERN_WARNING, site, '%s', [`${dev}DAX region truncated by ${fmtSizeKernel(lost)} due to alignment\n`]);
  }
  const mom = k.profile.daxMemmapOnMemory && dd.memmapOnMemory;
  const err = add_memory(k, dd.node, r.start, r.end - r.start, { memmapOnMemory: mom, resourceName: 'System RAM (kmem)', inside: dd.owner });
  if (err !== 0) {
    printk(k, KERN_WARNING, site, '%s', [`${dev}mapping0: 0x${r.start.toString(16)}-0x${(r.end - 1).toString(16)} memory add failed\n`]);
    return err;
  }
  dd.kmemRanges = [r];
  dd.driver = 'kmem';
  return 0;
}

/**
 * dev_dax_kmem_remove(): remove_memory() per range; one that fails (online blocks) stays:
 * dev_err "mapping%d: %#llx-%#llx cannot be hotremoved until the next reboot". The unbind
 * itself always succeeds.
 */
export function dev_dax_kmem_remove(k: Kernel, dd: DevDax): void {
  dd.kmemRanges.forEach((r, i) => {
    if (remove_memory(k, r.start, r.end - r.start) !== 0) {
      pr_err(k, 'drivers/dax/kmem.c:dev_dax_kmem_remove', '%s', `kmem ${dd.name}: mapping${i}: 0x${r.start.toString(16)}-0x${(r.end - 1).toString(16)} cannot be hotremoved until the next reboot\n`);
      dd.leaked.push(r);
    }
  });
  dd.kmemRanges = [];
  dd.driver = null;
}
