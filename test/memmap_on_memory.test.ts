/**
 * memory_hotplug.memmap_on_memory (mm/memory_hotplug.c, drivers/base/memory.c,
 * drivers/acpi/acpi_memhotplug.c): the memmap of hot-added memory taken from the memory
 * itself, per version - v5.13 (6.1 profile), v6.6, v6.8+ (6.18 profile).
 */
import { describe, expect, it } from 'vitest';
import { renderMessage } from '../src/kernel/printk.js';
import { memmapBacking } from '../src/report/summary.js';
import { run, stepOf } from './helpers.js';

const M = 2 ** 20;
const G = 2 ** 30;

const box = (kernel: string, cmdline: string, steps: string, mem = '8G', arch = 'x86_64', config = '') => `
arch: ${arch}
${config}
kernel: ${kernel}
cmdline: "${cmdline}"
nodes:
  - { id: 0, memory: [ { start: ${arch === 'arm64' ? '1G' : '0'}, size: ${mem} } ] }
steps:
  - boot
${steps}
`;

const ON = 'memory_hotplug.memmap_on_memory=1';

describe('v6.18: one altmap per memory block', () => {
  /* The reference's worked example: a 128 MiB block has 2 MiB of memmap = 512 pages, PMD-
   * and pageblock-aligned, so free = 512 and the single PMD comes from the block's first
   * 512 pages without alignment waste. */
  it('128 MiB block: 512 memmap pages from the block itself, one PMD', () => {
    const r = run(box('v6.18', ON, '  - hot-add: { node: 0, start: 8G, size: 128M }'));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.memmapBacking.self).toEqual({ 0: 2 * M });
    expect(r.report.dmesg).toContain('altmap_alloc_block_buf: pfn: 0x200000 alloc: 512 align: 0 nr: 0x200');
    expect(r.report.dmesg).toContain(' [ffffea0008000000-ffffea00081fffff] PMD -> [ffff888200000000-ffff8882001fffff] on node 0');
    expect(r.report.memory.blocks.at(-1)).toMatchObject({ first: 64, count: 1, state: 'offline', vmemmapPages: 512 });
    expect(r.report.invariants.violations).toEqual([]);
  });

  it('1 GiB is split into 8 blocks, each hosting its own memmap, printed block by block', () => {
    const r = run(box('v6.18', ON, '  - hot-add: { node: 0, start: 8G, size: 1G }'));
    expect(r.report.memmapBacking.self).toEqual({ 0: 16 * M });
    expect(r.report.memmapBacking.ram).toEqual({ 0: 128 * M }); // boot memory only
    const lines = stepOf(r, 2).dmesg.flatMap((m) => renderMessage(m));
    expect(lines.slice(0, 4).map((l) => l.trim())).toEqual([
      'altmap_alloc_block_buf: pfn: 0x200000 alloc: 512 align: 0 nr: 0x200',
      '[ffffea0008000000-ffffea00081fffff] PMD -> [ffff888200000000-ffff8882001fffff] on node 0',
      'altmap_alloc_block_buf: pfn: 0x208000 alloc: 512 align: 0 nr: 0x200',
      '[ffffea0008200000-ffffea00083fffff] PMD -> [ffff888208000000-ffff8882081fffff] on node 0',
    ]);
    expect(r.report.memory.blocks.at(-1)).toMatchObject({ first: 64, count: 8, vmemmapPages: 512 });
  });

  /* A 2 GiB block (bare metal with 64 GiB or more): free = 8192 pages, 16 PMDs. */
  it('2 GiB block: free 8192 pages, 16 PMDs of its own memory', () => {
    const r = run(box('v6.18', ON, '  - hot-add: { node: 0, start: 64G, size: 2G }', '64G'));
    expect(r.report.memory.blockSize).toBe(2 * G);
    expect(r.report.memmapBacking.self).toEqual({ 0: 32 * M });
    expect(r.report.memory.blocks.at(-1)).toMatchObject({ count: 1, vmemmapPages: 8192 });
    expect(r.report.dmesg).toContain('altmap_alloc_block_buf: pfn: 0x1001e00 alloc: 8192 align: 0 nr: 0x200');
  });

  it('onlining gives the buddy only the rest of the block; offlining reports it', () => {
    const before = run(box('v6.18', ON, '')).report.memory.nodes[0]!.freePages;
    const online = run(box('v6.18', ON, `  - hot-add: { node: 0, start: 8G, size: 256M }
  - online: { start: 8G, size: 256M }`));
    expect(online.report.memory.nodes[0]!.freePages - before).toBe(2 * 32256);
    const r = run(box('v6.18', ON, `  - hot-add: { node: 0, start: 8G, size: 256M }
  - online: { start: 8G, size: 256M }
  - offline: { start: 8G, size: 256M }`));
    expect(r.report.memory.nodes[0]!.freePages).toBe(before);
    expect(stepOf(r, 4).dmesg).toHaveLength(1);
    expect(renderMessage(stepOf(r, 4).dmesg[0]!)).toEqual(['Offlined Pages 32256', 'Offlined Pages 32256']);
  });

  it('hot-remove gives every page back to its block altmap; nothing leaks', () => {
    const r = run(box('v6.18', ON, `  - hot-add: { node: 0, start: 8G, size: 1G }
  - hot-remove: { start: 8G, size: 384M }
  - hot-remove: { start: 0x218000000, size: 640M }`));
    expect(r.report.steps.map((s) => s.ok)).toEqual([true, true, true, true]);
    expect(r.report.steps[2]!.delta.memmapBacking.self).toEqual({ 0: -6 * M });
    expect(r.report.memmapBacking.self).toEqual({});
    expect(r.report.pageTablePages).toMatchObject({ pud: 1, pmd: 1 }); // the boot tables only
    expect(r.report.invariants.violations).toEqual([]);
  });

  it('a range mixing self-hosting and other blocks: WARN_ON_ONCE and -EINVAL', () => {
    const r = run(box('v6.18', ON, `  - hot-add: { node: 0, start: 8G, size: 128M }
  - hot-remove: { start: 0x1f8000000, size: 256M }`));
    expect(stepOf(r, 3)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(r.report.dmesg).toContain('WARNING: at mm/memory_hotplug.c memory_blocks_have_altmaps');
  });

  it('off by default: the memmap comes from RAM', () => {
    const r = run(box('v6.18', '', '  - hot-add: { node: 0, start: 8G, size: 128M }'));
    expect(r.report.memmapBacking.self).toEqual({});
    expect(stepOf(r, 2).dmesg.some((m) => m.text.includes('altmap_alloc_block_buf'))).toBe(false);
  });

  it('force on x86_64 wastes nothing, and says so', () => {
    const r = run(box('v6.18', 'memory_hotplug.memmap_on_memory=force', '  - hot-add: { node: 0, start: 8G, size: 128M }'));
    expect(r.report.dmesg).toContain('Memory hotplug will waste 0 pages in each memory block');
    expect(r.report.memmapBacking.self).toEqual({ 0: 2 * M });
  });

  /* arm64 16K: a 128 MiB block's memmap is 32 pages (512 KiB); force pads it to a pageblock
   * (2048 pages), and arch_supports_memmap_on_memory() still refuses (not PMD-aligned). */
  it('arm64 16K force: 2016 pages of waste announced, then unsupported: RAM', () => {
    const r = run(box('v6.18', 'memory_hotplug.memmap_on_memory=force', '  - hot-add: { node: 0, start: 16G, size: 128M }', '4G', 'arm64', 'config: { pageSize: 16K, vaBits: 48 }'));
    expect(r.report.dmesg).toContain('Memory hotplug will waste 2016 pages in each memory block');
    expect(r.report.memmapBacking.self).toEqual({});
    expect(stepOf(r, 2).ok).toBe(true);
  });

  it('arm64 4K: self-hosted PMD, freed back to the block altmap on removal', () => {
    const r = run(box('v6.18', ON, `  - hot-add: { node: 0, start: 16G, size: 256M }
  - hot-remove: { start: 16G, size: 256M }`, '4G', 'arm64', 'config: { pageSize: 4K, vaBits: 48 }'));
    expect(r.report.steps[1]!.delta.memmapBacking.self).toEqual({ 0: 4 * M });
    expect(r.report.steps[2]!.delta.memmapBacking.self).toEqual({ 0: -4 * M });
    expect(r.report.invariants.violations).toEqual([]);
  });
});

describe('v6.6: one block per request, silent fallback', () => {
  it('128 MiB: self-hosted; 1 GiB: not one block, so the memmap comes from RAM', () => {
    const r = run(box('v6.6', ON, `  - hot-add: { node: 0, start: 8G, size: 128M }
  - hot-add: { node: 0, start: 12G, size: 1G }`));
    expect(r.report.steps[1]!.delta.memmapBacking.self).toEqual({ 0: 2 * M });
    expect(r.report.steps[2]!.delta.memmapBacking.ram).toEqual({ 0: 16 * M });
  });

  it('removing two self-hosting blocks at once: "wrong granularity", -EINVAL', () => {
    const r = run(box('v6.6', ON, `  - hot-add: { node: 0, start: 8G, size: 128M }
  - hot-add: { node: 0, start: 0x208000000, size: 128M }
  - hot-remove: { start: 8G, size: 256M }
  - hot-remove: { start: 8G, size: 128M }`));
    expect(stepOf(r, 4)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(r.report.dmesg).toContain('Refuse to remove 0x200000000 - 0x210000000,wrong granularity');
    expect(stepOf(r, 5).ok).toBe(true);
    expect(r.report.invariants.violations).toEqual([]);
  });
});

describe('v6.1 (the v5.13 rules)', () => {
  it('the ACPI driver asks only for a single-block DIMM; its altmap spans the block', () => {
    const r = run(box('v6.1', ON, `  - hot-add: { node: 0, start: 8G, size: 128M }
  - hot-add: { node: 0, start: 12G, size: 1G }`));
    expect(r.report.steps[1]!.delta.memmapBacking.self).toEqual({ 0: 2 * M });
    expect(r.report.steps[2]!.delta.memmapBacking.ram).toEqual({ 0: 16 * M });
    expect(r.report.memory.blocks.find((b) => b.first === 64)).toMatchObject({ vmemmapPages: 512 });
  });

  /* kstrtobool() reads only the first character: 6.1 takes "force" for "false" silently,
   * 5.15 (no t/T/f/F yet) rejects it through parse_args(). */
  it('"force" before v6.6: false on 6.1, invalid on 5.15', () => {
    const step = '  - hot-add: { node: 0, start: 8G, size: 128M }';
    const r61 = run(box('v6.1', 'memory_hotplug.memmap_on_memory=force', step));
    expect(r61.report.memmapBacking.self).toEqual({});
    expect(r61.report.dmesg.some((l) => l.includes('invalid for parameter'))).toBe(false);
    const r515 = run(box('v5.15', 'memory_hotplug.memmap_on_memory=force', step));
    expect(r515.report.dmesg).toContain("Booting kernel: `force' invalid for parameter `memory_hotplug.memmap_on_memory'");
    expect(r515.report.memmapBacking.self).toEqual({});
  });

  it('removal rebuilds {alloc = nr_vmemmap_pages} and balances it', () => {
    const r = run(box('v6.1', ON, `  - hot-add: { node: 0, start: 8G, size: 128M }
  - hot-remove: { start: 8G, size: 128M }`));
    expect(r.report.steps.map((s) => s.ok)).toEqual([true, true, true]);
    expect(memmapBacking(r.machine.k).self).toEqual({});
    expect(r.report.invariants.violations).toEqual([]);
  });
});

describe('other versions', () => {
  it('5.15: hugetlb_free_vmemmap=on turns memmap_on_memory off', () => {
    const on = run(box('v5.15', ON, '  - hot-add: { node: 0, start: 8G, size: 128M }'));
    const hvo = run(box('v5.15', ON + ' hugetlb_free_vmemmap=on', '  - hot-add: { node: 0, start: 8G, size: 128M }'));
    expect(on.report.memmapBacking.self).toEqual({ 0: 2 * M });
    expect(hvo.report.memmapBacking.self).toEqual({});
  });

  it('5.10 has no such parameter: it is ignored', () => {
    const r = run(box('v5.10', ON, '  - hot-add: { node: 0, start: 8G, size: 128M }'));
    expect(r.report.memmapBacking.self).toEqual({});
    expect(r.report.warnings.join('\n')).toContain('memory_hotplug.memmap_on_memory=1');
  });
});
