/**
 * drivers/dax/device.c dev_dax_probe() and drivers/dax/kmem.c dev_dax_kmem_probe() /
 * dev_dax_kmem_remove() (read in 6.1.20 and 6.18.2), the paths mutation testing
 * (docs/testing.md) found without a test: a range too small for one memory block, a failed
 * add_memory_driver_managed(), a failed remove_memory() on unbind, and the probe-failure line
 * of device_dax per release (drivers/base/dd.c), including the -ENXIO that prints none.
 */
import { describe, expect, it } from 'vitest';
import { dev_dax_kmem_remove, dev_dax_probe, type DevDax } from '../src/kernel/dax.js';
import { online_blocks } from '../src/kernel/memory_hotplug.js';
import type { DevPagemap } from '../src/kernel/memremap.js';
import { ENXIO } from '../src/kernel/state.js';
import { run, setup_machine, stepOf } from './helpers.js';

const G = 2 ** 30;
const M = 2 ** 20;
const KMEM = 'drivers/dax/kmem.c:dev_dax_kmem_probe';

const box = (arch: string, kernel: string, ram: string, devices: string, steps = '') => `
arch: ${arch}
kernel: ${kernel}
nodes:
  - { id: 0, memory: [ { start: ${ram}, size: 4G } ] }
  - { id: 1, memory: [] }
devices:
${devices}
steps:
  - boot
${steps}`;

describe('dev_dax_kmem_probe(): dax_kmem_range() leaves no whole memory block', () => {
  /*
   * x86 v6.18, 128 MiB memory blocks (4 GiB of RAM: probe_memory_block_size()'s default), an
   * hmem device [16G + 64M, 16G + 192M): PMD-aligned, so it gets dax0.0, and kmem binds it at
   * boot (6.6+). dax_kmem_range(): ALIGN(16G + 64M, 128M) = 16G + 128M and
   * ALIGN_DOWN(16G + 192M, 128M) - 1 = 16G + 128M - 1, so start >= end: -ENOSPC and the range
   * is printed as it was (0x404000000-0x40bffffff, inclusive). total_len 0: dev_warn
   * "rejecting DAX region without any memory after alignment", -EINVAL. Start == end after
   * rounding is the boundary case of that test (start >= end, both block multiples).
   */
  it('a range across one block boundary: dev_info "too small", dev_warn "rejecting", no block added', () => {
    const r = run(box('x86_64', 'v6.18', '0', '  - { name: hbm0, type: hmem, node: 1, start: 16448M, size: 128M }'));
    const k = stepOf(r, 1).dmesg.filter((x) => x.text.startsWith('kmem '));
    expect(k.map((x) => [x.level, x.site, x.text])).toEqual([
      [6, KMEM, 'kmem dax0.0: mapping0: 0x404000000-0x40bffffff too small after alignment\n'],
      [4, KMEM, 'kmem dax0.0: rejecting DAX region without any memory after alignment\n'],
    ]);
    expect(r.report.memory.blocks.filter((b) => !b.boot)).toEqual([]);
  });

  /*
   * The same device inside one block, [16G + 32M, 16G + 96M): rounded inward it is
   * [16G + 128M, 16G), start > end. Through daxctl on 6.1 (device_dax bound at boot):
   * device_dax is unbound, kmem's probe fails with -EINVAL, libdaxctl reports the enable failure.
   */
  it('a range inside one block, through daxctl on 6.1: -EINVAL and the two lines', () => {
    const r = run(box('x86_64', 'v6.1', '0', '  - { name: hbm0, type: hmem, node: 1, start: 16416M, size: 64M }', '  - reconfigure-device: { device: hbm0, mode: system-ram }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(stepOf(r, 2).messages).toEqual(['libdaxctl: daxctl_dev_enable: dax0.0: failed to enable', 'error reconfiguring devices: Invalid argument', 'reconfigured 0 devices']);
    expect(stepOf(r, 2).dmesg.filter((x) => x.site === KMEM).map((x) => x.text)).toEqual([
      'kmem dax0.0: mapping0: 0x402000000-0x405ffffff too small after alignment\n',
      'kmem dax0.0: rejecting DAX region without any memory after alignment\n',
    ]);
  });
});

describe('dev_dax_kmem_probe(): add_memory_driver_managed() fails', () => {
  /*
   * arm64 v6.18 4K, 48-bit VA, RAM from 1 GiB: memstart_addr = 1 GiB and the linear map spans
   * 2^47 bytes, so arch_get_mappable_range() ends at 0x80003fffffff and an hmem device at
   * 160 TiB + 64 MiB (1 GiB long) is beyond it. kmem (bound at boot, 6.6+) rounds it inward
   * to 128 MiB memory blocks (one section): [160T + 128M, 160T + 1G), 64 MiB + 64 MiB lost:
   * 6.18's "DAX region truncated by 128 MiB due to alignment" (string_get_size: "128 MiB"),
   * then mhp_range_allowed() refuses (-E2BIG) and kmem prints the rounded range, inclusive.
   */
  it('arm64 v6.18: the rounded range in "memory add failed", after the truncation warning', () => {
    const r = run(box('arm64', 'v6.18', '1G', '  - { name: hbm0, type: hmem, node: 1, start: 167772224M, size: 1G }'));
    const k = stepOf(r, 1).dmesg.filter((x) => x.site === KMEM);
    expect(k.map((x) => [x.level, x.text])).toEqual([
      [4, 'kmem dax0.0: DAX region truncated by 128 MiB due to alignment\n'],
      [4, 'kmem dax0.0: mapping0: 0xa00008000000-0xa0003fffffff memory add failed\n'],
    ]);
  });
});

describe("dev_dax_probe(): the driver core's line for a failed probe", () => {
  /*
   * The same arm64 hmem device as above, beyond the linear map. On 6.1 device_dax binds it at
   * boot: pagemap_range()'s mhp_range_allowed() fails, memremap_pages() returns -EINVAL, and
   * really_probe() (drivers/base/dd.c, up to 6.8) pr_warn()s "%s: probe of %s failed with
   * error %d" with the driver's name. 6.9+ says it with dev_err() in call_driver_probe(): on
   * 6.18 kmem's add fails at boot, so the device is unbound and daxctl --mode=devdax binds
   * device_dax, whose probe fails the same way.
   */
  it('6.1: really_probe() pr_warn at boot', () => {
    const r = run(box('arm64', 'v6.1', '1G', '  - { name: hbm0, type: hmem, node: 1, start: 167772224M, size: 1G }'));
    const p = stepOf(r, 1).dmesg.filter((x) => x.text.includes('probe'));
    expect(p.map((x) => [x.level, x.site, x.text])).toEqual([[4, 'drivers/base/dd.c:really_probe', 'device_dax: probe of dax0.0 failed with error -22\n']]);
  });

  it('6.18: call_driver_probe() dev_err when daxctl binds device_dax', () => {
    const r = run(box('arm64', 'v6.18', '1G', '  - { name: hbm0, type: hmem, node: 1, start: 167772224M, size: 1G }', '  - reconfigure-device: { device: hbm0, mode: devdax }'));
    const p = stepOf(r, 2).dmesg.filter((x) => x.text.includes('probe'));
    expect(p.map((x) => [x.level, x.site, x.text])).toEqual([[3, 'drivers/base/dd.c:call_driver_probe', 'device_dax dax0.0: probe with driver device_dax failed with error -22\n']]);
  });

  /*
   * -ENXIO is one of the two errnos the driver core reports at debug level only (really_probe()
   * and call_driver_probe(): -ENODEV/-ENXIO "rejects match"). pagemap_range() returns it for a
   * range over System RAM (region_intersects() == REGION_INTERSECTS, after its WARN_ONCE). No
   * dax device of a scenario lies over RAM, so the device is built by hand over boot memory
   * [1G, 1G + 128M) of an x86 v6.18 machine.
   */
  it('-ENXIO (a range over System RAM): the WARN, no probe line, the device stays unbound', () => {
    const m = setup_machine(box('x86_64', 'v6.18', '0', '  []'));
    const dd: DevDax = {
      name: 'dax9.0', start: G, end: G + 128 * M, node: 0, align: 2 * M, memmapOnMemory: false,
      driver: null, pgmap: null, staticPgmap: null, kmemRanges: [], leaked: [], source: 'hmem', owner: 'hbm9',
    };
    const pg: DevPagemap = { id: 'dax9.0', start: G, end: G + 128 * M - 1, altmap: null, type: 'MEMORY_DEVICE_GENERIC', vmemmap_shift: 0, dev: 'dax9.0' };
    const from = m.k.s.log.length;
    expect(dev_dax_probe(m.k, dd, pg)).toBe(ENXIO);
    // the WARN_ONCE splat (cut here, message, WARNING line), all from pagemap_range(); nothing from drivers/base/dd.c
    const lines = m.k.s.log.slice(from);
    expect(lines.map((x) => x.site)).toEqual(Array(3).fill('mm/memremap.c:pagemap_range'));
    expect(lines[1]!.text).toBe('attempted on ram region 0x40000000-0x47ffffff\n');
    expect([dd.driver, dd.pgmap]).toEqual([null, null]);
  });
});

describe('dev_dax_kmem_remove(): remove_memory() fails', () => {
  /*
   * x86 v6.18, an hmem device [16G, 17G) on node 1: kmem adds blocks 128..135 at boot, offline.
   * daxctl and ndctl offline the blocks (or refuse) before unbinding kmem, so online memory at
   * unbind needs a direct sysfs unbind (echo dax0.0 > /sys/bus/dax/drivers/kmem/unbind): the
   * blocks are onlined by hand, then kmem is unbound. remove_memory() pr_warn()s the first
   * online block and fails -EBUSY; kmem dev_err()s the range (inclusive end) and keeps it: the
   * unbind itself succeeds (kmem.c: "device unbind will succeed even if we return failure").
   */
  it('online memory: dev_err "cannot be hotremoved until the next reboot", the range leaked', () => {
    const m = setup_machine(box('x86_64', 'v6.18', '0', '  - { name: hbm0, type: hmem, node: 1, start: 16G, size: 1G }'));
    const dd = m.dax.get('hbm0')!;
    expect(dd.kmemRanges).toEqual([{ start: 16 * G, end: 17 * G }]);
    expect(online_blocks(m.k, 16 * G, G, 'online_movable')).toBe(0);
    const from = m.k.s.log.length;
    dev_dax_kmem_remove(m.k, dd);
    expect(m.k.s.log.slice(from).map((x) => [x.level, x.site, x.text])).toEqual([
      [4, 'mm/memory_hotplug.c:check_memblock_offlined_cb', 'removing memory fails, because memory [0x0000000400000000-0x0000000407ffffff] is onlined\n'],
      [3, 'drivers/dax/kmem.c:dev_dax_kmem_remove', 'kmem dax0.0: mapping0: 0x400000000-0x43fffffff cannot be hotremoved until the next reboot\n'],
    ]);
    expect(dd.leaked).toEqual([{ start: 16 * G, end: 17 * G }]);
    expect([dd.driver, dd.kmemRanges]).toEqual([null, []]);
    expect(m.k.s.blocks.overlaps(128, 136).map((b) => b.v.state)).toEqual(['online']);
  });
});
