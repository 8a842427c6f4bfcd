/**
 * src/kernel/memory_hotplug.ts paths its complete StrykerJS run (docs/testing.md) found without
 * a test, from offline_blocks() (offline_pages()) to the end of the file: the messages, errnos
 * and state of offlining block by block, firstRamHole(), and remove_memory()
 * (try_remove_memory()).
 *
 * Each expectation is derived by hand in its comment from the kernel's rules.
 */
import { describe, expect, it } from 'vitest';
import { acpi_memory_enable_device, offline_blocks, online_blocks, remove_memory } from '../src/kernel/memory_hotplug.js';
import { EBUSY, EINVAL, EPERM, type Kernel } from '../src/kernel/state.js';
import { parseProfileFile, registerProfile } from '../src/index.js';
import { run, setup_machine, stepOf } from './helpers.js';

const M = 2 ** 20;
const G = 2 ** 30;

/** A one-node machine: 4 GiB of RAM at `start` (0 on x86, 1 GiB on arm64), then `steps`. */
const box = (arch: string, kernel: string, extra = '', steps = '', start = '0') => `
arch: ${arch}
kernel: ${kernel}
${extra}
nodes:
  - { id: 0, memory: [ { start: ${start}, size: 4G } ] }
steps:
  - boot
${steps}
`;

/** The log lines (level, site, text) from index `from` on. */
const logFrom = (k: Kernel, from: number) => k.s.log.slice(from).map((m) => [m.level, m.site, m.text]);

/** Blocks [b0, b1) as [start, end, state, zone] runs. */
const blocks = (k: Kernel, b0: number, b1: number) => [...k.s.blocks.overlaps(b0, b1)].map((s) => [s.start, s.end, s.v.state, s.v.zone]);

const OP = 'mm/memory_hotplug.c:offline_pages';

/** A booted `kernel` machine (box()) with `size` hot-added at 16 GiB (blocks from 128 on), onlined as `type`. */
const hot = (kernel: string, size: number, type = 'online', extra = '') => {
  const k = setup_machine(box('x86_64', kernel, extra)).k;
  expect(acpi_memory_enable_device(k, 0, 16 * G, size)).toBe(0);
  expect(online_blocks(k, 16 * G, size, type)).toBe(0);
  return k;
};

describe('offline_pages(): hot-added blocks, block by block', () => {
  /*
   * mm/memory_hotplug.c offline_pages() @ v6.18 (and v5.11+): per memory block
   * (drivers/base/memory.c memory_block_offline()), pr_debug("Offlined Pages %ld\n", nr_pages)
   * with nr_pages = 128 MiB / 4 KiB = 32768, and adjust_managed_page_count(-managed_pages):
   * the block's 32768 pages leave the node's free and managed counts. 1 GiB at 16 GiB is blocks
   * 128..135 (128 MiB each): eight identical lines (the model: one line with a run of 8), the
   * blocks offline with no zone (mem->zone = NULL). v5.10 prints the line with pr_info (6).
   */
  for (const [kernel, level] of [['v6.18', 7], ['v5.10', 6]] as const) {
    it(`x86 ${kernel}: eight Normal blocks offline, 8 x 32768 pages leave node 0`, () => {
      const k = hot(kernel, 1 * G);
      const n = k.s.nodes[0]!;
      const [free, managed] = [n.free, n.managed];
      const from = k.s.log.length;
      expect(offline_blocks(k, 16 * G, 1 * G)).toBe(0);
      expect(logFrom(k, from)).toEqual([[level, OP, 'Offlined Pages 32768\n']]);
      const m = k.s.log[from]!;
      expect([m.run?.count, m.run?.nth(7)]).toEqual([8, 'Offlined Pages 32768\n']);
      expect([free - n.free, managed - n.managed]).toEqual([8 * 32768, 8 * 32768]);
      expect(blocks(k, 120, 140)).toEqual([[128, 136, 'offline', null]]);
    });
  }

  /*
   * One block: a single line, no run. A ZONE_MOVABLE block (online_movable): its pages never
   * counted in the model's node free/managed (they do not serve GFP_KERNEL), so offlining it
   * leaves them as they are; the block goes offline all the same.
   */
  it('x86 v6.18: one ZONE_MOVABLE block offline, node 0 counts unchanged', () => {
    const k = hot('v6.18', 128 * M, 'online_movable');
    const n = k.s.nodes[0]!;
    const [free, managed] = [n.free, n.managed];
    const from = k.s.log.length;
    expect(offline_blocks(k, 16 * G, 128 * M)).toBe(0);
    expect(logFrom(k, from)).toEqual([[7, OP, 'Offlined Pages 32768\n']]);
    expect(k.s.log[from]!.run).toBeUndefined();
    expect([n.free, n.managed]).toEqual([free, managed]);
    expect(blocks(k, 120, 140)).toEqual([[128, 129, 'offline', null]]);
  });

  /*
   * offline_pages() -> start_isolate_page_range() -> has_unmovable_pages(): when the node's
   * other memory cannot take the kernel allocations, a block holds unmovable pages and
   * -EBUSY, pr_debug "memory offlining [mem %#010llx-%#010llx] failed due to failure to
   * isolate range" with [start_pfn << PAGE_SHIFT, (end_pfn << PAGE_SHIFT) - 1] of that block.
   * The model's rule: block by block while the node's free pages cover the block. Node 0's free
   * count is set by hand to 3 x 32768 + 5: blocks 128..130 go (3 lines), block 131
   * ([0x418000000, 0x420000000)) fails; 5 pages stay free, blocks 131..135 stay online.
   */
  it('x86 v6.18: the node runs short at the fourth block: -EBUSY, three blocks offline', () => {
    const k = hot('v6.18', 1 * G);
    const n = k.s.nodes[0]!;
    n.free = 3 * 32768 + 5;
    const managed = n.managed;
    const from = k.s.log.length;
    expect(offline_blocks(k, 16 * G, 1 * G)).toBe(EBUSY);
    expect(logFrom(k, from)).toEqual([
      [7, OP, 'Offlined Pages 32768\n'],
      [7, OP, 'memory offlining [mem 0x418000000-0x41fffffff] failed due to failure to isolate range\n'],
    ]);
    expect(k.s.log[from]!.run?.count).toBe(3);
    expect(k.s.log[from + 1]!.approx).toBe(true);
    expect([n.free, managed - n.managed]).toEqual([5, 3 * 32768]);
    expect(blocks(k, 120, 140)).toEqual([[128, 131, 'offline', null], [131, 136, 'online', 'Normal']]);
  });

  /*
   * memmap_on_memory (v6.18, memory_hotplug.memmap_on_memory=1): each 128 MiB block hosts its
   * own memmap, 32768 x 64 B = 2 MiB = 512 pages (mem->altmap->free). memory_block_offline()
   * calls offline_pages(start_pfn + 512, 32768 - 512): "Offlined Pages 32256", and 32256 pages
   * leave the node per block. With free set to 32256 + 3, block 128 goes and block 129 fails;
   * the failure names its offline_pages() range, from the first pfn after the vmemmap:
   * 129 x 128 MiB + 512 x 4 KiB = 0x408000000 + 0x200000 = 0x408200000 .. 0x40fffffff.
   */
  it('x86 v6.18 memmap_on_memory: 32256 pages per block, the failure starts after the vmemmap', () => {
    const k = hot('v6.18', 256 * M, 'online', 'cmdline: "memory_hotplug.memmap_on_memory=1"');
    expect([...k.s.blocks.overlaps(128, 130)].map((s) => s.v.vmemmapPages)).toEqual([512]);
    const n = k.s.nodes[0]!;
    n.free = 32256 + 3;
    const managed = n.managed;
    const from = k.s.log.length;
    expect(offline_blocks(k, 16 * G, 256 * M)).toBe(EBUSY);
    expect(logFrom(k, from)).toEqual([
      [7, OP, 'Offlined Pages 32256\n'],
      [7, OP, 'memory offlining [mem 0x408200000-0x40fffffff] failed due to failure to isolate range\n'],
    ]);
    expect([n.free, managed - n.managed]).toEqual([3, 32256]);
    expect(blocks(k, 120, 140)).toEqual([[128, 129, 'offline', null], [129, 130, 'online', 'Normal']]);
  });
});

describe('arm64 boot memory: prevent_bootmem_remove_notifier', () => {
  /*
   * arch/arm64/mm/mmu.c prevent_bootmem_remove_notifier() @ v6.18 (v5.11+): MEM_GOING_OFFLINE
   * over an early section -> pr_warn("Boot memory [%lx %lx] offlining attempted\n", start,
   * start + section size) and NOTIFY_BAD; offline_pages() then pr_debug "memory offlining [mem
   * %#010llx-%#010llx] failed due to notifier failure" for its own block
   * (memory_block_offline() calls it per block) and -EPERM (notifier_to_errno(NOTIFY_BAD)).
   * arm64 4K v6.18: sections and memory blocks are 128 MiB. Boot RAM [1 GiB, 5 GiB). Offlining
   * [0x50000000, +256 MiB) stops at its first block, [0x50000000, 0x58000000): the debug line
   * ends at 0x57ffffff (not at the request's end, 0x5fffffff); nothing goes offline.
   */
  const arm = (kernel: string, steps: string) => run(box('arm64', kernel, '', steps, '1G'));
  const NB = 'arch/arm64/mm/mmu.c:prevent_bootmem_remove_notifier';
  it('arm64 v6.18: a two-block request stops at its first block, with that block\'s range', () => {
    const r = arm('v6.18', '  - offline: { start: 0x50000000, size: 256M }');
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [4, NB, 'Boot memory [50000000 58000000] offlining attempted\n'],
      [7, OP, 'memory offlining [mem 0x50000000-0x57ffffff] failed due to notifier failure\n'],
    ]);
    expect(blocks(r.machine.k, 0, 64)).toEqual([[8, 40, 'online', 'Normal']]);
    expect(EPERM).toBe(-1);
  });

  /*
   * offline_pages() @ v6.18 checks for holes (walk_system_ram_range()) before any notifier:
   * boot RAM [1 GiB, 5 GiB) + [5 GiB, 5 GiB + 64 MiB) leaves block [0x140000000, 0x148000000)
   * half RAM: -EINVAL, "memory offlining [mem 0x140000000-0x147ffffff] failed due to memory
   * holes", no "Boot memory" warning. The block before it, whole RAM, is refused by the
   * notifier (-EPERM) as usual.
   */
  it('arm64 v6.18: a boot block with a hole fails on the hole, not on the notifier', () => {
    const r = run(`
arch: arm64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G }, { start: 5G, size: 64M } ] }
steps:
  - boot
  - offline: { start: 5G, size: 128M }
  - offline: { start: 0x138000000, size: 128M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [7, OP, 'memory offlining [mem 0x140000000-0x147ffffff] failed due to memory holes\n'],
    ]);
    expect(stepOf(r, 3)).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(stepOf(r, 3).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [4, NB, 'Boot memory [138000000 140000000] offlining attempted\n'],
      [7, OP, 'memory offlining [mem 0x138000000-0x13fffffff] failed due to notifier failure\n'],
    ]);
    expect(blocks(r.machine.k, 0, 48)).toEqual([[8, 41, 'online', 'Normal']]);
  });

  /*
   * v5.7..v5.10 (read in 5.10.7): the notifier returns NOTIFY_BAD without a message; only
   * offline_pages()'s pr_debug. v5.10 arm64 has 1 GiB sections (SECTION_SIZE_BITS 30 before
   * v5.12), so a memory block is 1 GiB: [0x50000000, +256 MiB) lies in block 1, [1 GiB, 2 GiB),
   * and the line names that block, 0x40000000-0x7fffffff.
   */
  it('arm64 v5.10: no notifier message; the debug line names the 1 GiB block', () => {
    const r = arm('v5.10', '  - offline: { start: 0x50000000, size: 256M }');
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [7, OP, 'memory offlining [mem 0x40000000-0x7fffffff] failed due to notifier failure\n'],
    ]);
  });

  /*
   * v5.6: arm64 has no MEMORY_HOTREMOVE; the offline_pages() stub returns -EINVAL before any
   * notifier: no message at all.
   */
  it('arm64 v5.6: -EINVAL and no message', () => {
    const r = arm('v5.6', '  - offline: { start: 0x50000000, size: 256M }');
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL', dmesg: [] });
    expect(blocks(r.machine.k, 0, 8)).toEqual([[1, 5, 'online', 'Normal']]);
  });
});

describe('try_remove_memory(): checks, memblock and the resource', () => {
  /*
   * mm/memory_hotplug.c check_memblock_offlined_cb() @ v6.18: the first block not MEM_OFFLINE ->
   * pr_warn("removing memory fails, because memory [%pa-%pa] is onlined\n") with its first
   * byte and + memory_block_size_bytes() - 1 (%pa: 0x and 16 hex digits), -EBUSY, nothing
   * removed. 512 MiB at 16 GiB is blocks 128..131; only block 129 ([0x408000000,
   * 0x410000000)) is online.
   */
  it('x86 v6.18: the online block is named with its own range; nothing is removed', () => {
    const r = run(box('x86_64', 'v6.18', '', `  - hot-add: { node: 0, start: 16G, size: 512M }
  - online: { start: 0x408000000, size: 128M }
  - hot-remove: { start: 16G, size: 512M, offline: false }`));
    expect(stepOf(r, 4)).toMatchObject({ ok: false, errno: 'EBUSY' });
    expect(stepOf(r, 4).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [4, 'mm/memory_hotplug.c:check_memblock_offlined_cb', 'removing memory fails, because memory [0x0000000408000000-0x000000040fffffff] is onlined\n'],
    ]);
    const k = r.machine.k;
    expect(blocks(k, 120, 140)).toEqual([[128, 129, 'offline', null], [129, 130, 'online', 'Normal'], [130, 132, 'offline', null]]);
    expect(k.s.sections.coverage(128, 132)).toBe(4);
    expect(k.s.iomem.overlaps(16 * G, 16 * G + 512 * M).map((x) => [x.start, x.end, x.v.kind])).toEqual([[16 * G, 16 * G + 512 * M, 'System RAM']]);
  });

  /*
   * BUG_ON(check_hotplug_memory_range(start, size)) in try_remove_memory(): a range that is not
   * a whole number of memory blocks (64 MiB of 128 MiB blocks): check_hotplug_memory_range()
   * pr_err("Block size [%#lx] unaligned hotplug range: start %#llx, size %#llx") (no newline),
   * then the BUG, which the model reports at level 0 (KERN_EMERG) and as -EINVAL, leaving
   * everything in place.
   */
  it('x86 v6.18: a half-block remove is the BUG_ON; the blocks stay', () => {
    const k = setup_machine(box('x86_64', 'v6.18')).k;
    expect(acpi_memory_enable_device(k, 0, 16 * G, 128 * M)).toBe(0);
    const from = k.s.log.length;
    expect(remove_memory(k, 16 * G, 64 * M)).toBe(EINVAL);
    expect(logFrom(k, from)).toEqual([
      [3, 'mm/memory_hotplug.c:check_hotplug_memory_range', 'Block size [0x8000000] unaligned hotplug range: start 0x400000000, size 0x4000000'],
      [0, 'mm/memory_hotplug.c:try_remove_memory', 'kernel BUG at mm/memory_hotplug.c (try_remove_memory: BUG_ON(check_hotplug_memory_range))\n']]);
    expect(k.s.log[from + 1]!.approx).toBe(true);
    expect(blocks(k, 120, 140)).toEqual([[128, 129, 'offline', null]]);
    expect(k.s.sections.coverage(128, 129)).toBe(1);
  });

  /*
   * arm64 v5.6 has no MEMORY_HOTREMOVE: the remove_memory() stub returns -EBUSY at once
   * (include/linux/memory_hotplug.h @ 5.6.4), so even a misaligned range gets no BUG and boot
   * memory stays. (Its hot-add fails too, so only a direct call reaches it.)
   */
  it('arm64 v5.6: remove_memory() is the -EBUSY stub', () => {
    const k = setup_machine(box('arm64', 'v5.6', '', '', '1G')).k;
    const from = k.s.log.length;
    expect(remove_memory(k, 1 * G, 64 * M)).toBe(EBUSY);
    expect(k.s.log.length).toBe(from);
    expect(blocks(k, 0, 8)).toEqual([[1, 5, 'online', 'Normal']]);
  });

  /*
   * memblock: v5.6/v5.7 add_memory_resource() memblock_add_node() and try_remove_memory()
   * memblock_free() + memblock_remove() on every arch (read in 5.6.4, 5.7.14); from v5.8 both
   * only with CONFIG_ARCH_KEEP_MEMBLOCK (read in 5.8.1, 6.18.2), which arm64 selects and x86
   * does not. Hot-adding and removing 256 MiB at 16 GiB leaves memblock as it was booted on
   * x86 v5.6 and arm64 v6.18 (both add and remove); on x86 v6.18 removing boot block 31
   * ([0xf8000000, 4 GiB), offlined first) keeps memblock's [0, 4 GiB), while
   * release_mem_region_adjustable() trims the boot System RAM resource to [.., 0xf8000000).
   */
  for (const [arch, kernel, start] of [['x86_64', 'v5.6', 0], ['arm64', 'v6.18', 1 * G]] as const) {
    it(`${arch} ${kernel}: memblock gets the hot-added range and loses it on remove`, () => {
      const k = setup_machine(box(arch, kernel, '', '', String(start))).k;
      expect(acpi_memory_enable_device(k, 0, 16 * G, 256 * M)).toBe(0);
      expect([...k.s.memblockMemory].map((m) => [m.start, m.end])).toEqual([[start, start + 4 * G], [16 * G, 16 * G + 256 * M]]);
      expect(remove_memory(k, 16 * G, 256 * M)).toBe(0);
      expect([...k.s.memblockMemory].map((m) => [m.start, m.end])).toEqual([[start, start + 4 * G]]);
      expect(k.s.iomem.overlaps(16 * G, 17 * G)).toEqual([]);
      expect([...k.s.blocks.overlaps(128, 130)]).toEqual([]);
    });
  }
  it('x86 v6.18: removing a boot block keeps memblock, trims the resource', () => {
    const r = run(box('x86_64', 'v6.18', '', '  - hot-remove: { start: 0xf8000000, size: 128M }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: true });
    const k = r.machine.k;
    expect([...k.s.memblockMemory].map((m) => [m.start, m.end])).toEqual([[0, 4 * G]]);
    expect(k.s.iomem.overlaps(0xf0000000, 4 * G).map((x) => [x.start, x.end, x.v.kind])).toEqual([[0xf0000000, 0xf8000000, 'System RAM']]);
    expect(blocks(k, 0, 40)).toEqual([[0, 31, 'online', 'Normal']]);
  });
});

describe('offline_blocks(): which blocks may be offlined at all', () => {
  /*
   * drivers/base/memory.c state_store() @ v6.18: "offline" on a block already offline ->
   * device_offline() returns 1 -> -EINVAL; offline_pages() never runs (no message, the node
   * counts unchanged). Block 128 is hot-added and left offline.
   */
  it('x86 v6.18: offlining an offline block is -EINVAL with no message', () => {
    const k = setup_machine(box('x86_64', 'v6.18')).k;
    expect(acpi_memory_enable_device(k, 0, 16 * G, 128 * M)).toBe(0);
    const n = k.s.nodes[0]!;
    const [free, managed, from] = [n.free, n.managed, k.s.log.length];
    expect(offline_blocks(k, 16 * G, 128 * M)).toBe(EINVAL);
    expect(k.s.log.length).toBe(from);
    expect([n.free, n.managed]).toEqual([free, managed]);
  });

  /*
   * An `offline` step over several blocks writes "offline" to each block's state in address
   * order (drivers/base/memory.c memory_block_offline() per block, v5.6..v7.1): blocks 128 and
   * 129 hot-added at 16 GiB, only 128 onlined. Block 128 goes offline ("Offlined Pages 32768",
   * pr_debug from v5.10) before block 129, already offline, refuses with -EINVAL: the step
   * fails, block 128 stays offline and its 32,768 pages leave node 0's free and managed counts.
   */
  it('x86 v6.18: the blocks before a refused one are offline already', () => {
    const k = setup_machine(box('x86_64', 'v6.18')).k;
    expect(acpi_memory_enable_device(k, 0, 16 * G, 256 * M)).toBe(0);
    expect(online_blocks(k, 16 * G, 128 * M, 'online')).toBe(0);
    const n = k.s.nodes[0]!;
    const [free, managed, from] = [n.free, n.managed, k.s.log.length];
    expect(offline_blocks(k, 16 * G, 256 * M)).toBe(EINVAL);
    expect(blocks(k, 120, 140)).toEqual([[128, 130, 'offline', null]]);
    expect([free - n.free, managed - n.managed]).toEqual([32768, 32768]);
    expect(logFrom(k, from).map((l) => l[2])).toEqual(['Offlined Pages 32768\n']);
  });

  /*
   * x86 v5.6 (MEMORY_HOTREMOVE on x86, no arm64 rule applies): a hot-added, onlined block
   * offlines; v5.6 prints pr_info (6) "Offlined Pages 32768".
   */
  it('x86 v5.6: an online hot-added block offlines (pr_info)', () => {
    const k = hot('v5.6', 128 * M);
    const from = k.s.log.length;
    expect(offline_blocks(k, 16 * G, 128 * M)).toBe(0);
    expect(logFrom(k, from)).toEqual([[6, OP, 'Offlined Pages 32768\n']]);
    expect(blocks(k, 120, 140)).toEqual([[128, 129, 'offline', null]]);
  });

  /*
   * A profile file: v5.6 with arm64 hot-remove (arm64HotRemove: true) but without
   * prevent_bootmem_remove_notifier (arm64BootmemNotifier stays 'none': arch/arm64/mm/mmu.c
   * has it in 5.7.14, not in 5.6.4): nothing refuses boot memory, so arm64 boot block [1 GiB, 2 GiB) (1 GiB
   * sections and blocks before v5.12) offlines: "Offlined Pages 262144" (1 GiB / 4 KiB), pr_info.
   */
  it('arm64 v5.6 with hot-remove and no notifier (profile file): boot memory offlines', () => {
    registerProfile(parseProfileFile('p.yaml', 'id: v5.6-arm64-hotremove\nbase: v5.6\nswitches:\n  arm64HotRemove: true\n'));
    const r = run(box('arm64', 'v5.6-arm64-hotremove', '', '  - offline: { start: 1G, size: 1G }', '1G'));
    expect(r.machine.k.profile.arm64BootmemNotifier).toBe('none');
    expect(stepOf(r, 2)).toMatchObject({ ok: true, errno: null });
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([[6, OP, 'Offlined Pages 262144\n']]);
    expect(blocks(r.machine.k, 0, 8)).toEqual([[1, 2, 'offline', null], [2, 5, 'online', 'Normal']]);
  });
});

describe('offline_pages(): memory holes (firstRamHole())', () => {
  /*
   * offline_pages() @ v6.18: walk_system_ram_range() counts only "System RAM" resources; fewer
   * pages than the block's -> -EINVAL "failed due to memory holes" for that block.
   * x86 boot RAM [0, 4 GiB) + [0x104000000, +64 MiB) + [0x108000000, +64 MiB), and pmem0 (e820
   * "Persistent Memory", not System RAM) at [0x10c000000, +64 MiB). Block 32, [4 GiB,
   * 0x108000000), has its hole at the start; block 33, [0x108000000, 0x110000000), is half
   * pmem: both are holes.
   */
  it('x86 v6.18: a hole at the start of a block, and a pmem half, are both holes', () => {
    const r = run(`
arch: x86_64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G }, { start: 0x104000000, size: 64M }, { start: 0x108000000, size: 64M } ] }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x10c000000, size: 64M } ]
steps:
  - boot
  - offline: { start: 4G, size: 128M }
  - offline: { start: 0x108000000, size: 128M }
`);
    expect([2, 3].map((i) => stepOf(r, i).errno)).toEqual(['EINVAL', 'EINVAL']);
    expect([2, 3].map((i) => stepOf(r, i).dmesg.map((m) => [m.level, m.site, m.text]))).toEqual([
      [[7, OP, 'memory offlining [mem 0x100000000-0x107ffffff] failed due to memory holes\n']],
      [[7, OP, 'memory offlining [mem 0x108000000-0x10fffffff] failed due to memory holes\n']],
    ]);
    expect(blocks(r.machine.k, 0, 40)).toEqual([[0, 34, 'online', 'Normal']]);
  });

  /*
   * Boot RAM [0, 4 GiB) + [4 GiB, 4 GiB + 64 MiB): block 32 is half RAM. Offlining blocks
   * 30..32 ([0xf0000000, +384 MiB)) block by block: 30 and 31 go ("Offlined Pages 32768"
   * twice), 32 fails on its hole, [0x100000000-0x107ffffff]. With the node's free pages set
   * by hand to one page short of a block, block 30 already fails to isolate (-EBUSY, its own
   * range [0xf0000000-0xf7ffffff]), before block 32's hole is reached.
   */
  const holed = () => setup_machine(`
arch: x86_64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G }, { start: 4G, size: 64M } ] }
`).k;
  it('x86 v6.18: two whole blocks offline, then the hole', () => {
    const k = holed();
    const from = k.s.log.length;
    expect(offline_blocks(k, 0xf0000000, 384 * M)).toBe(EINVAL);
    expect(logFrom(k, from)).toEqual([
      [7, OP, 'Offlined Pages 32768\n'],
      [7, OP, 'memory offlining [mem 0x100000000-0x107ffffff] failed due to memory holes\n'],
    ]);
    expect(k.s.log[from]!.run?.count).toBe(2);
    expect(blocks(k, 28, 34)).toEqual([[28, 30, 'online', 'Normal'], [30, 32, 'offline', null], [32, 33, 'online', 'Normal']]);
  });
  it('x86 v6.18: short of free pages, the first block fails to isolate before the hole', () => {
    const k = holed();
    k.s.nodes[0]!.free = 32767;
    const from = k.s.log.length;
    expect(offline_blocks(k, 0xf0000000, 384 * M)).toBe(EBUSY);
    expect(logFrom(k, from)).toEqual([
      [7, OP, 'memory offlining [mem 0xf0000000-0xf7ffffff] failed due to failure to isolate range\n'],
    ]);
    expect(k.s.nodes[0]!.free).toBe(32767);
    expect(blocks(k, 28, 34)).toEqual([[28, 33, 'online', 'Normal']]);
  });
});

describe('try_remove_memory(): memmap_on_memory blocks', () => {
  const MOM = 'cmdline: "memory_hotplug.memmap_on_memory=1"';
  /*
   * v6.6 and v6.1 (the v5.13 rule) with memory_hotplug.memmap_on_memory=1: ACPI asks for
   * MHP_MEMMAP_ON_MEMORY and mhp_supports_memmap_on_memory(size) allows exactly one memory block
   * (128 MiB): the 128 MiB add at 16 GiB hosts its memmap (512 pages, block 128), the 256 MiB
   * add after it takes 2 x 512 pages (two PMDs) of node 0's RAM (blocks 129, 130).
   * try_remove_memory() (read in 6.1.20; v6.6 the same with mem->altmap): a range with a
   * self-hosting block must be exactly one block, else pr_warn("Refuse to remove %#llx -
   * %#llx,wrong granularity\n", start, start + size) and -EINVAL: 384 MiB from 16 GiB ends at
   * 0x418000000. Then the 256 MiB alone goes without an altmap (1024 pages back to node 0),
   * and block 128 alone with its altmap: alloc 512 - 512 freed = 0, so no "Altmap not fully
   * unmapped" (v6.6), no page back to the node, no altmap left.
   */
  for (const kernel of ['v6.6', 'v6.1']) {
    it(`x86 ${kernel}: a range with a self-hosting block must be that one block`, () => {
      const k = setup_machine(box('x86_64', kernel, MOM)).k;
      const n = k.s.nodes[0]!;
      const free0 = n.free;
      expect(acpi_memory_enable_device(k, 0, 16 * G, 128 * M)).toBe(0);
      expect(acpi_memory_enable_device(k, 0, 16 * G + 128 * M, 256 * M)).toBe(0);
      expect([...k.s.blocks.overlaps(128, 131)].map((b) => [b.start, b.end, b.v.vmemmapPages])).toEqual([[128, 129, 512], [129, 131, 0]]);
      expect(free0 - n.free).toBe(1024);
      let from = k.s.log.length;
      expect(remove_memory(k, 16 * G, 384 * M)).toBe(EINVAL);
      expect(logFrom(k, from)).toEqual([[4, 'mm/memory_hotplug.c:try_remove_memory', 'Refuse to remove 0x400000000 - 0x418000000,wrong granularity\n']]);
      expect(k.s.sections.coverage(128, 131)).toBe(3);
      from = k.s.log.length;
      expect(remove_memory(k, 16 * G + 128 * M, 256 * M)).toBe(0);
      expect(n.free).toBe(free0);
      expect(remove_memory(k, 16 * G, 128 * M)).toBe(0);
      expect(logFrom(k, from)).toEqual([]);
      expect(n.free).toBe(free0);
      expect([k.s.sections.coverage(128, 131), k.s.blocks.coverage(128, 131), k.s.altmaps.size]).toEqual([0, 0, 0]);
    });
  }

  /*
   * v6.1 (the v5.13 rule): try_remove_memory() rebuilds the altmap with alloc =
   * nr_vmemmap_pages and has no "Altmap not fully unmapped" check (read in 6.1.20; the WARN
   * came with v6.6's mem->altmap). Block 128's recorded vmemmap pages are raised by one by hand
   * (513; x86 gives back its one 512-page PMD, so alloc ends at 1): still no WARN, the block
   * and its sections go.
   */
  it('x86 v6.1: an altmap left with alloc 1 after the removal is not checked', () => {
    const k = setup_machine(box('x86_64', 'v6.1', MOM)).k;
    expect(acpi_memory_enable_device(k, 0, 16 * G, 128 * M)).toBe(0);
    const b = [...k.s.blocks.overlaps(128, 129)][0]!;
    k.s.blocks.set(128, 129, { ...b.v, vmemmapPages: 513 });
    const from = k.s.log.length;
    expect(remove_memory(k, 16 * G, 128 * M)).toBe(0);
    expect(logFrom(k, from)).toEqual([]);
    expect([k.s.sections.coverage(128, 129), k.s.blocks.coverage(128, 129), k.s.altmaps.size]).toEqual([0, 0, 0]);
  });

  /*
   * v6.8+ memory_blocks_have_altmaps() (read in 6.18.2): with the parameter on, the blocks of
   * the range that have an altmap must be all of them, else WARN_ON_ONCE and -EINVAL before
   * anything is removed. Every v6.18 hot-add with the parameter self-hosts each block, so
   * block 129 of a two-block add is turned into one without (vmemmapPages 0) by hand: two
   * calls, one WARN (once), both -EINVAL, both sections still there.
   */
  it('x86 v6.18: blocks with and without altmaps in one range: WARN_ON_ONCE, -EINVAL', () => {
    const k = setup_machine(box('x86_64', 'v6.18', MOM)).k;
    expect(acpi_memory_enable_device(k, 0, 16 * G, 256 * M)).toBe(0);
    const b = [...k.s.blocks.overlaps(129, 130)][0]!;
    k.s.blocks.set(129, 130, { ...b.v, vmemmapPages: 0, altmapAlloc: 0 });
    const from = k.s.log.length;
    expect(remove_memory(k, 16 * G, 256 * M)).toBe(EINVAL);
    expect(remove_memory(k, 16 * G, 256 * M)).toBe(EINVAL);
    expect(logFrom(k, from)).toEqual([
      [4, 'mm/memory_hotplug.c:memory_blocks_have_altmaps', '------------[ cut here ]------------\n'],
      [4, 'mm/memory_hotplug.c:memory_blocks_have_altmaps', 'WARNING: at mm/memory_hotplug.c memory_blocks_have_altmaps\n'],
    ]);
    expect([k.s.sections.coverage(128, 130), k.s.blocks.coverage(128, 130)]).toEqual([2, 2]);
  });

  /*
   * v6.18, all blocks self-hosting: remove_memory_blocks_and_altmaps(); each block's memmap
   * was in the block itself, so node 0's free count is what it was before the add, nothing is
   * printed, no section or block is left.
   */
  it('x86 v6.18: two self-hosting blocks go with their altmaps; node 0 as before', () => {
    const k = setup_machine(box('x86_64', 'v6.18', MOM)).k;
    const n = k.s.nodes[0]!;
    const free0 = n.free;
    expect(acpi_memory_enable_device(k, 0, 16 * G, 256 * M)).toBe(0);
    expect(n.free).toBe(free0);
    const from = k.s.log.length;
    expect(remove_memory(k, 16 * G, 256 * M)).toBe(0);
    expect(logFrom(k, from)).toEqual([]);
    expect([n.free, k.s.sections.coverage(128, 130), k.s.blocks.coverage(128, 130), k.s.altmaps.size]).toEqual([free0, 0, 0, 0]);
  });

  /*
   * Boot memory never has an altmap: with the parameter on, memory_blocks_have_altmaps() counts
   * none and try_remove_memory() takes the plain path, exactly as with the parameter off. Hot-
   * removing boot block 31 ([0xf8000000, 4 GiB)) therefore leaves the same node counts,
   * sections and messages either way.
   */
  it('x86 v6.18: removing a boot block is the same with memmap_on_memory=1 as without', () => {
    const go = (extra: string) => {
      const r = run(box('x86_64', 'v6.18', extra, '  - hot-remove: { start: 0xf8000000, size: 128M }'));
      const k = r.machine.k;
      return { errno: stepOf(r, 2).errno, dmesg: stepOf(r, 2).dmesg.map((m) => m.text), free: k.s.nodes[0]!.free, managed: k.s.nodes[0]!.managed, sections: k.s.sections.coverage(0, 32) };
    };
    const on = go(MOM);
    expect(on).toEqual(go(''));
    expect(on).toMatchObject({ errno: null, dmesg: ['Offlined Pages 32768\n'], sections: 31 });
  });
});
