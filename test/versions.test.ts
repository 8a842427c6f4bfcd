/**
 * Behaviour that differs between kernel profiles, one check per switch that shows in output.
 * Evidence: docs/research/versions-x86-generic.md, versions-arm64-seed.md.
 */
import { describe, expect, it } from 'vitest';
import { run, stepOf } from './helpers.js';

const x86 = (kernel: string, steps: string, extra = '') => `
arch: x86_64
kernel: ${kernel}
${extra}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
steps:
  - boot
${steps}
`;

describe('mm/memory_hotplug.c across versions', () => {
  /* <= v5.10: no mhp_range_allowed(); __add_pages() checks the range after the resource and
   * block checks, with its own WARN text and a "maximum" one bit too wide. */
  it('v5.10: an out-of-range hot-add is -E2BIG from check_hotplug_memory_addressable()', () => {
    const r = run(x86('v5.10', '  - hot-add: { node: 0, start: 0x400000000000, size: 128M }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'E2BIG' });
    expect(r.report.dmesg).toContain('Hotplugged memory exceeds maximum addressable address, range=0x400000000000-0x400007ffffff, maximum=0x7fffffffffff');
    const r2 = run(x86('v6.18', '  - hot-add: { node: 0, start: 0x400000000000, size: 128M }'));
    expect(r2.report.dmesg).toContain('Hotplug memory [0x400000000000-0x400008000000] exceeds maximum addressable range [0x0-0x3fffffffffff]');
  });

  it('v5.10: a misaligned out-of-range hot-add fails the block check first (-EINVAL)', () => {
    const r = run(x86('v5.10', '  - hot-add: { node: 0, start: 0x400000000000, size: 64M }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(run(x86('v6.18', '  - hot-add: { node: 0, start: 0x400000000000, size: 64M }')).results[1]).toMatchObject({ errno: 'E2BIG' });
  });

  it('v5.6: memhp_default_state=online_movable is ignored (only online/offline are known)', () => {
    const r = run(x86('v5.6', '  - hot-add: { node: 0, start: 16G, size: 128M }', 'cmdline: memhp_default_state=online_movable'));
    expect([...r.machine.k.s.blocks.overlaps(128, 129)][0]!.v.state).toBe('offline');
    const r2 = run(x86('v5.9', '  - hot-add: { node: 0, start: 16G, size: 128M }', 'cmdline: memhp_default_state=online_movable'));
    expect([...r2.machine.k.s.blocks.overlaps(128, 129)][0]!.v).toMatchObject({ state: 'online', zone: 'Movable' });
  });

  it('"Offlined Pages" is pr_info up to v5.10, pr_debug after', () => {
    const s = `  - hot-add: { node: 0, start: 16G, size: 128M }
  - online: { start: 16G, size: 128M, type: online_movable }
  - offline: { start: 16G, size: 128M }`;
    expect(run(x86('v5.10', s)).results[3]!.dmesg.find((m) => m.text.startsWith('Offlined Pages'))!.level).toBe(6);
    expect(run(x86('v5.15', s)).results[3]!.dmesg.find((m) => m.text.startsWith('Offlined Pages'))!.level).toBe(7);
  });
});

describe('mm/memremap.c and pfn_devs.c across versions', () => {
  const overlap = (k: string) => run(`
arch: x86_64
kernel: ${k}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 2G, size: 1G }
steps:
  - boot
  - create-namespace: { device: pmem0 }
`);
  it('the System RAM overlap WARN: %pr form in v5.6/v5.9, %#llx form from v5.10', () => {
    expect(overlap('v5.9').report.dmesg).toContain('memremap_pages attempted on ram region [mem 0x80000000-0xbfffffff flags 0x200]');
    expect(overlap('v5.10').report.dmesg).toContain('attempted on ram region 0x80000000-0xbfffffff');
  });

  it('v6.1.0 reserves 128 bytes per page: 16 GiB --map=dev is 15.5 GiB', () => {
    const r = run(`
arch: x86_64
kernel: v6.1
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 16G }
steps:
  - boot
  - create-namespace: { device: pmem0 }
`);
    expect(r.report.namespaces[0]).toMatchObject({ size: 16640901120, dataOffset: 538968064 });
  });
});

describe('mm/sparse*.c across versions', () => {
  it('vmemmap_verify: every time up to v5.15, once from v6.1', () => {
    const s = (k: string) => run(`
arch: arm64
kernel: ${k}
config: { pageSize: 64K, vaBits: 48 }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
  - { id: 1, memory: [ { start: 0x200000000, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 1, start: 0x1000000000, size: 2G }
steps:
  - boot
  - create-namespace: { device: pmem0 }
`);
    // altmap pages are not in memblock: early_pfn_to_nid() says node 0, the namespace is on node 1
    const count = (k: string) => s(k).report.dmesg.filter((l) => l.includes('potential offnode page_structs')).length;
    expect(count('v6.1')).toBe(1);
    expect(count('v5.15')).toBe(32); // one per 64 KiB memmap page of the 2 GiB namespace
  });

  it('v7.1 renamed subsection_map_init(): the debug line reads sparse_init_subsection_map', () => {
    expect(run(x86('v7.1', '')).report.dmesg.some((l) => l.startsWith('sparse_init_subsection_map: sec: 0 pfns: 32768 set(0, 63)'))).toBe(true);
    expect(run(x86('v6.18', '')).report.dmesg.some((l) => l.startsWith('subsection_map_init: sec: 0 pfns: 32768 set(0, 63)'))).toBe(true);
  });

  /* <= v5.10.7: a failed sparse_init_nid() skips sparse_buffer_fini(); the next node's
   * sparse_buffer_init() finds the old buffer and WARNs. */
  it('v5.10: the sparse buffer of a failed node is leaked and the next init WARNs', () => {
    const s = (k: string) => run(`
arch: x86_64
kernel: ${k}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
  - { id: 1, memory: [ { start: 64G, size: 1G } ] }
  - { id: 2, memory: [ { start: 128G, size: 1G } ] }
faults: [ { alloc: memblock, nth: 5 } ]
`);
    expect(s('v5.10').report.dmesg).toContain('WARNING: at mm/sparse.c sparse_buffer_init');
    expect(s('v5.15').report.dmesg).not.toContain('WARNING: at mm/sparse.c sparse_buffer_init');
  });
});

describe('arm64 across versions', () => {
  const arm = (k: string, cfg: string, steps = '') => run(`
arch: arm64
kernel: ${k}
config: ${cfg}
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
steps:
  - boot
${steps}
`);
  it('vmemmap layouts: v5.4-v5.10, v5.11-v6.8, v6.9+', () => {
    expect(arm('v5.10', '{ pageSize: 4K, vaBits: 48 }').report.vmemmap.start).toBe('0xfffffdffffe00000');
    expect(arm('v6.6', '{ pageSize: 4K, vaBits: 48 }').report.vmemmap.start).toBe('0xfffffc0000000000');
    expect(arm('v6.18', '{ pageSize: 4K, vaBits: 48 }').report.vmemmap.start).toBe('0xfffffdffc0000000');
  });

  it('sections and memory blocks: 1 GiB up to v5.10, 128 MiB / 512 MiB after', () => {
    expect(arm('v5.10', '{ pageSize: 16K, vaBits: 47 }').report.memory.blockSize).toBe(2 ** 30);
    expect(arm('v5.15', '{ pageSize: 16K, vaBits: 47 }').report.memory.blockSize).toBe(128 * 2 ** 20);
    expect(arm('v5.15', '{ pageSize: 64K, vaBits: 48 }').report.memory.blockSize).toBe(512 * 2 ** 20);
  });

  it('v5.10: a hot-add outside the linear map is refused by arch_add_memory()', () => {
    const r = arm('v5.10', '{ pageSize: 4K, vaBits: 39 }', '  - hot-add: { node: 0, start: 0x8000000000, size: 1G }');
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(r.report.dmesg).toContain('[8000000000 8040000000] is outside linear mapping region');
  });

  it('v5.6: no hot-remove (no MEMORY_HOTREMOVE), no ZONE_DEVICE', () => {
    const r = arm('v5.6', '{ pageSize: 4K, vaBits: 48 }', `  - hot-add: { node: 0, start: 0x1000000000, size: 1G }
  - online: { start: 0x1000000000, size: 1G, type: online_movable }
  - offline: { start: 0x1000000000, size: 1G }`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(stepOf(r, 4)).toMatchObject({ ok: false, errno: 'EINVAL' });
  });

  it('v5.9-v5.10: boot memory offline refused silently; v5.15+ with a message', () => {
    const s = '  - offline: { start: 0x40000000, size: 1G }';
    const a = arm('v5.10', '{ pageSize: 4K, vaBits: 48 }', s);
    expect(stepOf(a, 2)).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(a.report.dmesg.some((l) => l.startsWith('Boot memory'))).toBe(false);
    const b = arm('v5.15', '{ pageSize: 4K, vaBits: 48 }', '  - offline: { start: 0x40000000, size: 128M }');
    expect(b.report.dmesg).toContain('Boot memory [40000000 48000000] offlining attempted');
  });

  it('52-bit VA needs 64K pages before v6.9', () => {
    expect(() => arm('v6.6', '{ pageSize: 4K, vaBits: 52 }')).toThrow(/52 needs 64K pages before v6.9/);
    expect(arm('v6.6', '{ pageSize: 64K, vaBits: 52 }').results[0]!.ok).toBe(true);
  });
});
