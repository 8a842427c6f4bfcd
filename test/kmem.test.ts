/**
 * Soft-reserved (hmem) and CXL memory, dax devices and `daxctl reconfigure-device
 * --mode=system-ram` (drivers/dax/hmem, drivers/dax/cxl.c, drivers/dax/kmem.c, daxctl).
 */
import { describe, expect, it } from 'vitest';
import { run, stepOf } from './helpers.js';

const M = 2 ** 20;

const box = (kernel: string, devices: string, steps: string, cmdline = '') => `
arch: x86_64
kernel: ${kernel}
cmdline: "${cmdline}"
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
  - { id: 1, memory: [] }
devices:
${devices}
steps:
  - boot
${steps}
`;

const CXL = '  - { name: cxl0, type: cxl, node: 1, start: 16G, size: 4G }';
const HMEM = '  - { name: hbm0, type: hmem, node: 1, start: 16G, size: 4G }';
const PMEM = '  - { name: pmem0, type: nvdimm, node: 0, start: 8G, size: 4G }';

describe('boot: soft-reserved memory becomes a dax device', () => {
  it('6.18: kmem binds hmem at boot; the blocks stay offline (upstream default)', () => {
    const r = run(box('v6.18', HMEM, ''));
    expect(r.report.memmapBacking.ram).toEqual({ 0: 64 * M + 64 * M }); // boot memmap + hmem memmap from node 0 (node 1 has no RAM)
    expect(r.report.memory.blocks.filter((b) => !b.boot)).toEqual([{ first: 128, count: 32, nid: 1, state: 'offline', zone: null, boot: false, vmemmapPages: 0 }]);
  });

  it('6.1: device_dax binds hmem at boot: compound pages, deduplicated memmap', () => {
    const r = run(box('v6.1.y', HMEM, ''));
    expect(r.report.memory.blocks.filter((b) => !b.boot)).toEqual([]);
    expect(r.report.memmapBacking.dedup).toEqual({ 'dax0.0': 48 * M }); // 4 GiB in 2 MiB compound pages: 16 of 64 MiB real
  });

  it('6.18: a CXL region defaults to memmap_on_memory: its memmap lives in its own blocks', () => {
    const r = run(box('v6.18', CXL, '', 'memory_hotplug.memmap_on_memory=1'));
    expect(r.report.memmapBacking.self).toEqual({ 1: 64 * M });
    expect(r.report.memory.blocks.filter((b) => !b.boot)[0]).toMatchObject({ count: 32, vmemmapPages: 512 });
  });

  it('6.1 has no dax_cxl: the region stays unused', () => {
    const r = run(box('v6.1.y', CXL, '', 'memory_hotplug.memmap_on_memory=1'));
    expect(r.report.dmesg.join('\n')).toContain('no dax_cxl driver');
    expect(r.report.memory.blocks.filter((b) => !b.boot)).toEqual([]);
  });
});

describe('daxctl reconfigure-device --mode=system-ram', () => {
  it('refuses while the kernel auto-onlines hot-added memory, unless -f', () => {
    const steps = '  - create-namespace: { device: pmem0, mode: devdax, map: mem }\n  - reconfigure-device: { device: pmem0, mode: system-ram }';
    const r = run(box('v6.18', PMEM, steps, 'memhp_default_state=online'));
    expect(stepOf(r, 3)).toMatchObject({ ok: false, errno: 'EBUSY' });
    expect(stepOf(r, 3).messages[0]).toBe('dax0.0: error: kernel policy will auto-online memory, aborting');
    const f = run(box('v6.18', PMEM, steps.replace('system-ram }', 'system-ram, force: true }'), 'memhp_default_state=online'));
    expect(stepOf(f, 3).ok).toBe(true);
  });

  /* A 4 GiB --map=dev namespace at 8 GiB: dataoff 66 MiB, so kmem gets [8G + 128M, 12G):
   * 31 blocks, 62 MiB lost to alignment, the info block and the altmap area never reused. */
  it('a pmem devdax namespace: the memmap moves from the device to RAM, blocks online movable', () => {
    const r = run(box('v6.18', PMEM, '  - create-namespace: { device: pmem0, mode: devdax, map: dev }\n  - reconfigure-device: { device: pmem0, mode: system-ram }'));
    expect(stepOf(r, 3).ok).toBe(true);
    expect(r.report.dmesg).toContain('kmem dax0.0: DAX region truncated by 62.0 MiB due to alignment');
    expect(r.report.steps[2]!.delta.memmapBacking.altmap).toEqual({ 'namespace0.0': -64 * M });
    expect(r.report.steps[2]!.delta.memmapBacking.ram).toEqual({ 0: 62 * M });
    expect(r.report.memory.blocks.filter((b) => !b.boot)).toEqual([{ first: 65, count: 31, nid: 0, state: 'online', zone: 'Movable', boot: false, vmemmapPages: 0 }]);
    expect(r.report.invariants.violations).toEqual([]);
  });

  it('--no-movable onlines to ZONE_NORMAL (the node gets the pages), --no-online leaves them offline', () => {
    const ns = '  - create-namespace: { device: pmem0, mode: devdax, map: mem }\n';
    const normal = run(box('v6.18', PMEM, ns + '  - reconfigure-device: { device: pmem0, mode: system-ram, online: normal }'));
    expect(normal.report.memory.blocks.find((b) => !b.boot)).toMatchObject({ state: 'online', zone: 'Normal' });
    const none = run(box('v6.18', PMEM, ns + '  - reconfigure-device: { device: pmem0, mode: system-ram, online: none }'));
    expect(none.report.memory.blocks.find((b) => !b.boot)).toMatchObject({ state: 'offline' });
  });

  it('memmap_on_memory for a pmem dax device (6.12+): each block hosts its memmap', () => {
    const r = run(box('v6.18', PMEM, '  - create-namespace: { device: pmem0, mode: devdax, map: mem }\n  - reconfigure-device: { device: pmem0, mode: system-ram, memmapOnMemory: true }', 'memory_hotplug.memmap_on_memory=1'));
    expect(stepOf(r, 3).ok).toBe(true);
    expect(r.report.steps[2]!.delta.memmapBacking.self).toEqual({ 0: 31 * 2 * M });
  });

  it('the attribute needs the kernel parameter (-EOPNOTSUPP) and does not exist in 6.6', () => {
    const ns = '  - create-namespace: { device: pmem0, mode: devdax, map: mem }\n  - reconfigure-device: { device: pmem0, mode: system-ram, memmapOnMemory: true }';
    expect(stepOf(run(box('v6.18', PMEM, ns)), 3)).toMatchObject({ ok: false, errno: 'EOPNOTSUPP' });
    expect(stepOf(run(box('v6.6', PMEM, ns, 'memory_hotplug.memmap_on_memory=1')), 3)).toMatchObject({ ok: false, errno: 'ENOENT' });
  });

  it('ndctl refuses to destroy a namespace whose memory is online as system-ram, -f or not; offline, destroy unbinds kmem', () => {
    const r = run(box('v6.18', PMEM, '  - create-namespace: { device: pmem0, mode: devdax, map: mem }\n  - reconfigure-device: { device: pmem0, mode: system-ram }\n  - destroy-namespace: { device: pmem0 }\n  - destroy-namespace: { device: pmem0, force: false }'));
    // ndctl v81 ndctl_namespace_disable_safe(): "active as system-ram, refusing to disable" (with -v)
    expect(stepOf(r, 4)).toMatchObject({ ok: false, errno: 'EBUSY', messages: ['error destroying namespaces: Device or resource busy', 'destroyed 0 namespaces'] });
    // without -f, namespace_prep_reconfig() refuses any enabled namespace first
    expect(stepOf(r, 5)).toMatchObject({ ok: false, errno: 'EBUSY', messages: ['  Error: namespace0.0 is active, specify --force for re-configuration', 'error destroying namespaces: Device or resource busy', 'destroyed 0 namespaces'] });
    expect(r.report.memory.blocks.filter((b) => !b.boot && b.state === 'online')).toHaveLength(1); // nothing changed
    const off = run(box('v6.18', PMEM, '  - create-namespace: { device: pmem0, mode: devdax, map: mem }\n  - reconfigure-device: { device: pmem0, mode: system-ram, online: none }\n  - destroy-namespace: { device: pmem0 }'));
    expect(stepOf(off, 4)).toMatchObject({ ok: true, messages: ['destroyed 1 namespace'] });
    expect(off.report.memory.blocks.filter((b) => !b.boot)).toEqual([]); // kmem removed its memory
  });
});

describe('daxctl reconfigure-device --mode=devdax', () => {
  const ram = '  - create-namespace: { device: pmem0, mode: devdax, map: dev, align: 2M }\n  - reconfigure-device: { device: pmem0, mode: system-ram }\n';

  /* Recorded on Debian 6.12.117 and 6.1.192 (conformance cases x86-*-kmem-back): refused
   * while the blocks are online; -f offlines them, kmem lets go and device_dax maps the
   * memmap from the same altmap again: alloc from 0, the 510 pages of padding still counted. */
  it('refuses while the memory is online; -f offlines it and device_dax maps the memmap on the device again', () => {
    const r = run(box('v6.12', PMEM, ram + '  - reconfigure-device: { device: pmem0, mode: devdax }\n  - reconfigure-device: { device: pmem0, mode: devdax, force: true }'));
    expect(stepOf(r, 4)).toMatchObject({ ok: false, errno: 'EBUSY', messages: ['error reconfiguring devices: Device or resource busy', 'reconfigured 0 devices'] });
    expect(stepOf(r, 5).ok).toBe(true);
    expect(r.report.memmapBacking.altmap).toEqual({ 'namespace0.0': 64 * M });
    expect(r.report.altmaps[0]).toMatchObject({ alloc: 16384, align: 510 });
    expect(r.report.memory.blocks.filter((b) => !b.boot)).toEqual([]);
    expect(r.report.dmesg.filter((l) => l.startsWith('Offlined Pages'))).toHaveLength(31);
    expect(r.report.invariants.violations).toEqual([]);
  });

  it('already in devdax mode: daxctl says so and counts it', () => {
    const r = run(box('v6.18', PMEM, '  - create-namespace: { device: pmem0, mode: devdax, map: mem }\n  - reconfigure-device: { device: pmem0, mode: devdax }'));
    expect(stepOf(r, 3)).toMatchObject({ ok: true, messages: ['dax0.0 was already in devdax mode', 'reconfigured 1 device'] });
  });

  it('hmem back to devdax: device_dax registers compound pages (6.6+ dedup on x86)', () => {
    const r = run(box('v6.18', HMEM, '  - reconfigure-device: { device: hbm0, mode: devdax }'));
    expect(stepOf(r, 2).ok).toBe(true); // kmem bound at boot, blocks offline: nothing to refuse
    expect(r.report.memory.blocks.filter((b) => !b.boot)).toEqual([]);
    expect(r.report.memmapBacking.dedup).toEqual({ 'dax0.0': 48 * M });
    expect(r.report.invariants.violations).toEqual([]);
  });
});

describe('daxctl reconfigure-device: every refusal and message, as daxctl prints it', () => {
  const NS = '  - create-namespace: { device: pmem0, mode: devdax, map: mem }\n';
  it('memhp_default_state=online_movable auto-onlines too: refused without -f', () => {
    const r = run(box('v6.18', PMEM, NS + '  - reconfigure-device: { device: pmem0, mode: system-ram }', 'memhp_default_state=online_movable'));
    expect([stepOf(r, 3).errno, stepOf(r, 3).messages]).toEqual(['EBUSY', ['dax0.0: error: kernel policy will auto-online memory, aborting', 'error reconfiguring devices: Device or resource busy', 'reconfigured 0 devices']]);
  });

  it('memmap_on_memory: no attribute before v6.8; not available without the parameter; busy once kmem holds the device', () => {
    const ask = '  - reconfigure-device: { device: pmem0, mode: system-ram, memmapOnMemory: true }';
    const old = run(box('v6.6', PMEM, NS + ask));
    expect([stepOf(old, 3).errno, stepOf(old, 3).messages]).toEqual(['ENOENT', ['/sys/bus/dax/devices/dax0.0/memmap_on_memory: No such file or directory (the attribute is newer than this kernel)']]);
    const off = run(box('v6.18', PMEM, NS + ask));
    expect([stepOf(off, 3).errno, stepOf(off, 3).messages]).toEqual(['EOPNOTSUPP', ['writing memmap_on_memory: Operation not supported']]);
    expect(stepOf(off, 3).dmesg.map((d) => d.text)).toEqual(['dax dax0.0: memmap_on_memory is not available\n']);
    const busy = run(box('v6.18', PMEM, NS + '  - reconfigure-device: { device: pmem0, mode: system-ram, online: none }\n' + ask, 'memory_hotplug.memmap_on_memory=1'));
    expect([stepOf(busy, 3).messages, stepOf(busy, 4).errno, stepOf(busy, 4).messages]).toEqual([['reconfigured 1 device'], 'EBUSY', ['writing memmap_on_memory: Device or resource busy']]);
  });

  it('a device already in system-ram mode says so and counts as reconfigured', () => {
    const again = '  - reconfigure-device: { device: pmem0, mode: system-ram, online: none }\n';
    const r = run(box('v6.18', PMEM, NS + again + again));
    expect([stepOf(r, 4).ok, stepOf(r, 4).messages]).toEqual([true, ['dax0.0 was already in system-ram mode', 'reconfigured 1 device']]);
  });

  it('a pmem dax device does not default to memmap_on_memory (only CXL does): its memmap comes from RAM', () => {
    const r = run(box('v6.18', PMEM, NS + '  - reconfigure-device: { device: pmem0, mode: system-ram }', 'memory_hotplug.memmap_on_memory=1'));
    expect(r.report.memmapBacking.self).toEqual({});
    expect(r.report.memory.blocks.filter((b) => !b.boot)).toEqual([{ first: 65, count: 31, nid: 0, state: 'online', zone: 'Movable', boot: false, vmemmapPages: 0 }]);
  });

  it('5.15 (no device-dax vmemmap dedup): hmem bound to device_dax has a whole memmap, from node 0 RAM', () => {
    const r = run(box('v5.15', HMEM, ''));
    expect(r.report.memmapBacking.dedup).toEqual({});
    expect(r.report.memmapBacking.ram).toEqual({ 0: 64 * M + 64 * M });
  });
});
