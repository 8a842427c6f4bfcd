/**
 * mm/memory_hotplug.c @ v6.18: add_memory() / remove_memory() checks, errnos and messages,
 * memory blocks, onlining, and teardown through vmemmap_free().
 */
import { describe, expect, it } from 'vitest';
import { memmapBacking, pageTablePages } from '../src/report/summary.js';
import { run, stepOf } from './helpers.js';

const M = 2 ** 20;

const box = (steps: string, extra = '') => `
arch: x86_64
${extra}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
  - { id: 1, memory: [ { start: 4G, size: 4G } ] }
steps:
  - boot
${steps}
`;

describe('add_memory', () => {
  it('block-misaligned range: -EINVAL with the kernel message (no newline)', () => {
    const r = run(box('  - hot-add: { node: 0, start: 0x400000000, size: 64M }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(r.report.dmesg).toContain('Block size [0x8000000] unaligned hotplug range: start 0x400000000, size 0x4000000');
  });

  it('beyond MAX_PHYSMEM_BITS: -E2BIG from mhp_range_allowed()', () => {
    const r = run(box('  - hot-add: { node: 0, start: 0x400000000000, size: 128M }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'E2BIG' });
    expect(r.report.dmesg).toContain('Hotplug memory [0x400000000000-0x400008000000] exceeds maximum addressable range [0x0-0x3fffffffffff]');
  });

  it('over existing System RAM: -EEXIST, only a pr_debug', () => {
    const r = run(box('  - hot-add: { node: 0, start: 0, size: 128M }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EEXIST' });
    expect(r.report.dmesg).toContain('Unable to reserve System RAM region: 0000000000000000->0000000008000000');
  });

  /*
   * 1 GiB on node 1: 8 sections, 8 PMDs of memmap from node 1's free RAM. The blocks stay
   * offline (upstream default MHP_DEFAULT_ONLINE_TYPE_OFFLINE).
   */
  it('simple: memmap from the node, blocks offline', () => {
    const r = run(box('  - hot-add: { node: 1, start: 16G, size: 1G }'));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(memmapBacking(r.machine.k).ram).toEqual({ 0: 64 * M, 1: 64 * M + 16 * M });
    const blocks = [...r.machine.k.s.blocks.overlaps(128, 136)];
    expect(blocks).toEqual([{ start: 128, end: 136, v: { nid: 1, state: 'offline', zone: null, early: false, vmemmapPages: 0, altmapAlloc: 0 } }]);
  });

  it('memhp_default_state=online_movable: blocks come up in ZONE_MOVABLE and do not feed GFP_KERNEL', () => {
    const r = run(box('  - hot-add: { node: 1, start: 16G, size: 1G }', 'cmdline: memhp_default_state=online_movable'));
    const k = r.machine.k;
    expect([...k.s.blocks.overlaps(128, 136)][0]!.v).toMatchObject({ state: 'online', zone: 'Movable' });
  });
});

describe('remove_memory', () => {
  /* An online block: "removing memory fails, because memory [%pa-%pa] is onlined", -EBUSY. */
  it('online block: -EBUSY', () => {
    const r = run(box(`  - hot-add: { node: 1, start: 16G, size: 1G }
  - online: { start: 16G, size: 1G, type: online_movable }
  - hot-remove: { start: 16G, size: 1G, offline: false }
  - offline: { start: 16G, size: 1G }
  - hot-remove: { start: 16G, size: 1G, offline: false }`));
    expect(stepOf(r, 3).ok).toBe(true);
    expect(stepOf(r, 4)).toMatchObject({ ok: false, errno: 'EBUSY' });
    expect(r.report.dmesg).toContain('removing memory fails, because memory [0x0000000400000000-0x0000000407ffffff] is onlined');
    expect(stepOf(r, 5).ok).toBe(true);
    expect(stepOf(r, 6).ok).toBe(true);
  });

  it('online twice: -EINVAL (device_online() returns 1)', () => {
    const r = run(box(`  - hot-add: { node: 1, start: 16G, size: 1G }
  - online: { start: 16G, size: 1G }
  - online: { start: 16G, size: 128M }`));
    expect(stepOf(r, 4)).toMatchObject({ ok: false, errno: 'EINVAL' });
  });

  it('round trip: everything the hot-add took is given back', () => {
    const r = run(box(`  - hot-add: { node: 1, start: 64G, size: 4G }
  - hot-remove: { start: 64G, size: 4G }`));
    const k = r.machine.k;
    expect(stepOf(r, 3).ok).toBe(true);
    expect(memmapBacking(k).ram).toEqual({ 0: 64 * M, 1: 64 * M });
    expect(pageTablePages(k)).toEqual({ pud: 1, pmd: 1, pte: 0, byNode: { 0: 2 } });
    expect(k.s.nodes[1]!.free).toBe(r.machine.k.s.nodes[1]!.managed);
    expect(r.report.invariants.violations).toEqual([]);
  });

  it('misaligned remove: the kernel BUG()s', () => {
    const r = run(box(`  - hot-add: { node: 1, start: 16G, size: 1G }
  - hot-remove: { start: 16G, size: 64M }`));
    expect(stepOf(r, 3).ok).toBe(false);
    expect(r.report.dmesg.some((l) => l.startsWith('kernel BUG at mm/memory_hotplug.c'))).toBe(true);
  });

  /* Boot memory on arm64 cannot be offlined: prevent_bootmem_remove_notifier, -EPERM. */
  it('arm64 boot memory: offlining refused', () => {
    const r = run(`
arch: arm64
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
steps:
  - boot
  - offline: { start: 0x40000000, size: 128M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(r.report.dmesg).toContain('Boot memory [40000000 48000000] offlining attempted');
  });
});

describe('offline_pages(): a memory block with a hole', () => {
  /*
   * mm/memory_hotplug.c offline_pages() (v5.6+, commit c5e79ef561b0): walk_system_ram_range()
   * counts the block's System RAM pages; fewer than the block's pages -> -EINVAL, pr_debug
   * "memory offlining [mem %#010llx-%#010llx] failed due to memory holes", nothing offlined.
   * Boot RAM [0, 4 GiB) + [4 GiB, 4 GiB + 64 MiB): the block [4 GiB, 4 GiB + 128 MiB) is half
   * RAM. Offlining [4 GiB - 128 MiB, 4 GiB + 128 MiB), block by block: the first (whole RAM)
   * goes offline, the second fails on its hole; hot-removing it then finds it online (-EBUSY).
   */
  const holed = (kernel: string, steps: string) => `
arch: x86_64
kernel: ${kernel}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G }, { start: 4G, size: 64M } ] }
steps:
  - boot
${steps}
`;
  for (const kernel of ['v5.6', 'v6.18']) {
    it(`${kernel}: the whole block goes offline, the one with the hole fails with -EINVAL`, () => {
      const r = run(holed(kernel, `  - offline: { start: 0xf8000000, size: 256M }
  - hot-remove: { start: 4G, size: 128M, offline: false }`));
      expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
      const texts = stepOf(r, 2).dmesg.map((m) => m.text);
      expect(texts).toEqual(['Offlined Pages 32768\n', 'memory offlining [mem 0x100000000-0x107ffffff] failed due to memory holes\n']);
      const k = r.machine.k;
      // block 31 ([3968 MiB, 4 GiB)) offline, block 32 still online
      expect([...k.s.blocks.overlaps(31, 33)].map((s) => [s.start, s.end, s.v.state])).toEqual([[31, 32, 'offline'], [32, 33, 'online']]);
      expect(stepOf(r, 3)).toMatchObject({ ok: false, errno: 'EBUSY' });
    });
  }

  it('a block that is all RAM but in two resources has no hole', () => {
    // [4 GiB, 4 GiB + 64 MiB) and [4 GiB + 64 MiB, 4 GiB + 128 MiB): two ranges, no gap
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G }, { start: 4G, size: 64M }, { start: 0x104000000, size: 64M } ] }
steps:
  - boot
  - offline: { start: 4G, size: 128M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: true, errno: null });
    expect(stepOf(r, 2).dmesg.map((m) => m.text)).toEqual(['Offlined Pages 32768\n']);
  });
});

describe('register_memory_resource() over a pmem range nobody claimed', () => {
  /*
   * kernel/resource.c __request_region_locked(): the e820 "Persistent Memory" resource is not
   * busy, so System RAM requested wholly inside it becomes its child; a range that sticks out of
   * it conflicts with it (-EBUSY), which register_memory_resource() turns into pr_debug
   * "Unable to reserve System RAM region: %016llx->%016llx" and -EEXIST.
   */
  const pm = (steps: string) => `
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 1G } ]
steps:
  - boot
${steps}
`;
  it('a range that sticks out of it at either end: -EEXIST', () => {
    const r = run(pm(`  - hot-add: { node: 0, start: 0x3f8000000, size: 256M }
  - hot-add: { node: 0, start: 0x438000000, size: 256M }
  - hot-add: { node: 0, start: 0x3f8000000, size: 2G }`));
    expect([2, 3, 4].map((i) => stepOf(r, i).errno)).toEqual(['EEXIST', 'EEXIST', 'EEXIST']);
    expect(stepOf(r, 2).dmesg.map((m) => m.text)).toEqual(['Unable to reserve System RAM region: 00000003f8000000->0000000408000000\n']);
    expect(r.machine.k.s.blocks.size).toBe(1); // boot memory's blocks only
  });

  it('a range inside it: added (nested under it)', () => {
    const r = run(pm('  - hot-add: { node: 0, start: 16G, size: 256M }\n  - hot-add: { node: 0, start: 0x430000000, size: 256M }'));
    expect([stepOf(r, 2).ok, stepOf(r, 3).ok]).toEqual([true, true]);
  });
});
