/**
 * Dax devices and `daxctl reconfigure-device --mode=system-ram|devdax` (ndctl v76-v81
 * daxctl/device.c), on top of the kernel's device_dax and kmem drivers (src/kernel/dax.ts).
 *
 *  - hmem ("soft reserved", EFI_MEMORY_SP) and cxl devices get a dax region with PMD_SIZE
 *    alignment and one device daxN.0 of the whole range at boot (drivers/dax/hmem,
 *    drivers/dax/cxl.c); a range not PMD-aligned gets none (alloc_dax_region() -> NULL,
 *    -ENOMEM, silently). Up to 6.1 device_dax binds; from 6.6 the region is marked
 *    IORESOURCE_DAX_KMEM and kmem binds at boot. CXL devices default to memmap_on_memory=1.
 *  - a pmem devdax namespace's dax device covers [start + dataoff, end - end_trunc).
 * Device ids follow the scenario's device order (the kernel shares one memregion IDA between
 * nvdimm regions, hmem and cxl and numbers them in probe order).
 */
import { dev_dax_kmem_probe, dev_dax_kmem_remove, dev_dax_probe, dev_dax_remove, type DevDax } from '../kernel/dax.js';
import { mhp_supports_memmap_on_memory, offline_blocks, online_blocks } from '../kernel/memory_hotplug.js';
import { printk, KERN_INFO } from '../kernel/printk.js';
import { EBUSY, ENOENT, EOPNOTSUPP, strerror, type Kernel } from '../kernel/state.js';
import { orderBase2 } from '../util/bits.js';
import type { Namespace } from './ndctl.js';

export interface ReconfigureArgs {
  mode: 'system-ram' | 'devdax';
  memmapOnMemory?: boolean;
  online: 'movable' | 'normal' | 'none';
  force: boolean;
}

export interface DaxctlResult {
  errno: number;
  messages: string[];
}

/** The dax device an hmem or cxl device gets at boot (null: none), bound as the kernel does. */
export function probeSoftReserved(k: Kernel, d: { name: string; type: 'hmem' | 'cxl'; node: number; start: number; size: number }, index: number): DevDax | null {
  if (d.type === 'cxl' && !k.profile.daxCxl) {
    printk(k, KERN_INFO, 'vmemmap-lab', '%s', [`${d.name}: this kernel has no dax_cxl driver: the CXL region gets no dax device and stays unused\n`]);
    return null;
  }
  const align = k.c.PMD_SIZE;
  if (d.start % align !== 0 || d.size % align !== 0) return null; // alloc_dax_region(): NULL, probe -ENOMEM, nothing printed
  const dd: DevDax = {
    name: `dax${index}.0`, start: d.start, end: d.start + d.size, node: d.node, align,
    memmapOnMemory: d.type === 'cxl' && k.profile.daxMemmapOnMemory,
    driver: null, pgmap: null, staticPgmap: null, kmemRanges: [], leaked: [], source: d.type, owner: d.name,
  };
  // IORESOURCE_DAX_KMEM (v6.6 switch) asks for kmem; without DEV_DAX_KMEM (it depends on
  // MEMORY_HOTPLUG) drivers/dax/bus.c dax_match_type() lets device_dax bind instead
  if (k.profile.hmemKmemDefault && k.arch.cfg.lacks.hotplug === undefined) dev_dax_kmem_probe(k, dd);
  else dev_dax_probe(k, dd, devicePgmap(k, dd));
  return dd;
}

/** The pgmap device_dax registers for a dynamic (hmem/cxl) device: no altmap, compound pages of the align. */
function devicePgmap(k: Kernel, dd: DevDax) {
  const P = k.c.PAGE_SIZE;
  return {
    id: dd.name, start: dd.start, end: dd.end - 1, altmap: null, type: 'MEMORY_DEVICE_GENERIC' as const,
    vmemmap_shift: dd.align > P && k.profile.daxVmemmapDedup !== 'none' ? orderBase2(dd.align / P) : 0,
    dev: dd.name,
  };
}

/** The dax device of a pmem devdax namespace (device_dax already bound by create-namespace). */
export function namespaceDax(ns: Namespace, node: number): DevDax {
  const pg = ns.pgmap!;
  return {
    name: ns.dev, start: ns.start + ns.dataOffset, end: pg.end + 1, node, align: ns.align,
    memmapOnMemory: false, driver: 'device_dax', pgmap: pg, staticPgmap: pg, kmemRanges: [], leaked: [], source: 'pmem', owner: ns.name,
  };
}


/**
 * daxctl reconfigure-device --mode=system-ram [--no-movable|--no-online] [-f]:
 * the auto-online check, the memmap_on_memory attribute write (when asked), unbind
 * device_dax (memunmap_pages), bind kmem, then online the new blocks (movable by default).
 */
export function reconfigureDevice(k: Kernel, dd: DevDax, a: ReconfigureArgs): DaxctlResult {
  if (a.mode === 'devdax') return reconfigureDevdax(k, dd, a.force);
  const messages: string[] = [];
  const busy = (text: string): DaxctlResult => ({ errno: EBUSY, messages: [text, 'error reconfiguring devices: Device or resource busy', 'reconfigured 0 devices'] });
  // daxctl checks auto_online_blocks unless --no-movable is given without --no-online
  if (a.online !== 'normal' && k.cmdline.onlineType.startsWith('online') && !a.force) {
    return busy(`${dd.name}: error: kernel policy will auto-online memory, aborting`);
  }
  if (a.memmapOnMemory !== undefined) {
    // drivers/dax/bus.c memmap_on_memory_store()
    if (!k.profile.daxMemmapOnMemory) return { errno: ENOENT, messages: [`/sys/bus/dax/devices/${dd.name}/memmap_on_memory: No such file or directory (the attribute is newer than this kernel)`] };
    if (a.memmapOnMemory && !mhp_supports_memmap_on_memory(k, k.boot.memoryBlockSize)) {
      printk(k, 7, 'drivers/dax/bus.c:memmap_on_memory_store', '%s', [`dax ${dd.name}: memmap_on_memory is not available\n`]);
      return { errno: EOPNOTSUPP, messages: [`writing memmap_on_memory: Operation not supported`] };
    }
    if (dd.driver === 'kmem' && a.memmapOnMemory !== dd.memmapOnMemory) return { errno: EBUSY, messages: ['writing memmap_on_memory: Device or resource busy'] };
    dd.memmapOnMemory = a.memmapOnMemory;
  }
  if (dd.driver === 'kmem') messages.push(`${dd.name} was already in system-ram mode`);
  else {
    if (dd.driver === 'device_dax') dev_dax_remove(k, dd);
    const err = dev_dax_kmem_probe(k, dd);
    // libdaxctl daxctl_dev_enable(): the bind's errno, device_dax already unbound
    if (err !== 0) return { errno: err, messages: [`libdaxctl: daxctl_dev_enable: ${dd.name}: failed to enable`, `error reconfiguring devices: ${strerror(err)}`, 'reconfigured 0 devices'] };
  }
  if (a.online !== 'none') {
    const type = a.online === 'movable' ? 'online_movable' : 'online';
    for (const r of dd.kmemRanges) {
      const bs = k.boot.memoryBlockSize;
      for (const b of k.s.blocks.overlaps(r.start / bs, r.end / bs)) {
        if (b.v.state !== 'offline') continue;
        // daxctl/device.c dev_online_memory(): a failed online stops the reconfigure
        const err = online_blocks(k, b.start * bs, (b.end - b.start) * bs, type);
        if (err !== 0) return { errno: err, messages: [...messages, `${dd.name}: failed to online memory: ${strerror(err)}`, `error reconfiguring devices: ${strerror(err)}`, 'reconfigured 0 devices'] };
      }
    }
  }
  messages.push('reconfigured 1 device');
  return { errno: 0, messages };
}

/**
 * daxctl reconfigure-device --mode=devdax [-f] (ndctl v76 reconfig_mode_devdax): in system-ram
 * mode, -f first offlines the device's memory blocks one by one; any block still online ->
 * -EBUSY ("refusing to change modes", said only with -v); else unbind kmem (remove_memory per
 * range) and bind device_dax, whose memremap_pages() maps the memmap again (a pmem device's
 * from the same altmap: alloc went back to 0, the alignment padding stays counted in align).
 * Already in devdax mode: daxctl says so and counts the device as reconfigured.
 */
function reconfigureDevdax(k: Kernel, dd: DevDax, force: boolean): DaxctlResult {
  const busy: DaxctlResult = { errno: EBUSY, messages: ['error reconfiguring devices: Device or resource busy', 'reconfigured 0 devices'] };
  if (dd.driver === 'device_dax') return { errno: 0, messages: [`${dd.name} was already in devdax mode`, 'reconfigured 1 device'] };
  if (dd.driver === 'kmem') {
    const bs = k.boot.memoryBlockSize;
    const online = () => dd.kmemRanges.flatMap((r) => k.s.blocks.overlaps(r.start / bs, r.end / bs).filter((b) => b.v.state === 'online'));
    if (force) {
      for (const b of online()) if (offline_blocks(k, b.start * bs, (b.end - b.start) * bs) !== 0) return busy;
    }
    if (online().length > 0) return busy;
    dev_dax_kmem_remove(k, dd);
  }
  const err = dev_dax_probe(k, dd, dd.staticPgmap ?? devicePgmap(k, dd));
  if (err !== 0) return { errno: err, messages: [`libdaxctl: daxctl_dev_enable: ${dd.name}: failed to enable`, `error reconfiguring devices: ${err === EBUSY ? 'Device or resource busy' : 'No such device or address'}`, 'reconfigured 0 devices'] };
  return { errno: 0, messages: ['reconfigured 1 device'] };
}

/** Unbind kmem (destroy-namespace of a namespace in system-ram mode). */
export function unbindKmem(k: Kernel, dd: DevDax): void {
  dev_dax_kmem_remove(k, dd);
}
