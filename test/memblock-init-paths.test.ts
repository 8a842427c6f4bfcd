/**
 * The boot allocator (src/kernel/memblock.ts) and the model's boot (src/kernel/init.ts): paths
 * that mutation testing (docs/testing.md) left without a test. The arch cap on boot RAM
 * (arm64_memblock_init / riscv setup_bootmem), the powerpc memory-block probe over the firmware's
 * memory ranges, the resources boot registers, memory block devices, the top-down placement of
 * boot gigantic pages, the node fallback of vmemmap blocks above and below __pa(MAX_DMA_ADDRESS),
 * and early_pfn_to_nid() for a hot-added self-hosted memmap.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { boot } from '../src/kernel/init.js';
import { createMachine } from '../src/sim/machine.js';
import { run, scenario, stepOf } from './helpers.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

describe('capBootMemory(): RAM the linear map cannot reach', () => {
  /*
   * arm64_memblock_init() (arch/arm64/mm/init.c, v5.4..v6.18): memstart_addr is
   * round_down(memblock_start_of_DRAM(), ARM64_MEMSTART_ALIGN) and RAM at or past
   * memstart_addr + linear_region_size is memblock_remove()d after a pr_warn. 4K pages, VA_BITS 39:
   * the linear region is 2^38 = 256 GiB. The nodes are listed out of address order: the lowest RAM
   * (node 2 at 1 GiB) is the start of DRAM, so memstart = 1 GiB (ARM64_MEMSTART_ALIGN 1 GiB with
   * 4K pages) and the cap is [1 GiB, 257 GiB) = [0x40000000, 0x4040000000).
   *   node 0 [0x2040000000, +4G) = [129G, 133G): kept;
   *   node 1 [0x4040000000, +4G): starts exactly at the end of the cap: wholly removed, so node 1
   *     has no memory, never comes online and is not in the report.
   * Managed pages: node 2 = 1 Mi pages - 16384 (64 MiB default early reservation at the start of
   * DRAM, defaultReserved()) - 16384 (its 64 MiB memmap, 4 GiB / 4 KiB x 64 B) - 1 (a page table)
   * = 1015807; node 0: 1048576 - 16384 (its memmap) - 1 = 1032191.
   */
  const yaml = `
arch: arm64
config: { pageSize: 4K, vaBits: 39 }
nodes:
  - { id: 0, memory: [ { start: 0x2040000000, size: 4G } ] }
  - { id: 1, memory: [ { start: 0x4040000000, size: 4G } ] }
  - { id: 2, memory: [ { start: 0x40000000, size: 4G } ] }
`;
  it('arm64: a node wholly past the linear region is dropped with one warning; the nodes below stay', () => {
    const r = run(yaml);
    const s = stepOf(r, 1);
    expect(s.messages).toEqual([
      'note: RAM [0x4040000000-0x413fffffff] is beyond what the linear map reaches and is dropped at boot (arch/arm64/mm/init.c:arm64_memblock_init (memblock_remove))',
    ]);
    // the pr_warn's site is the function, without the "(memblock_remove)" detail
    expect(s.dmesg.filter((m) => m.level === 4).map((m) => [m.site, m.text])).toEqual([
      ['arch/arm64/mm/init.c:arm64_memblock_init', "Memory doesn't fit in the linear mapping, VA_BITS too small\n"],
    ]);
    expect(r.report.memory.nodes).toEqual({
      0: { managedPages: 1032191, freePages: 1032191 },
      2: { managedPages: 1015807, freePages: 1015807 },
    });
    expect(r.report.memmapBacking.ram).toEqual({ 0: 64 * MiB, 2: 64 * MiB });
  });

  /* 4 GiB from 1 GiB fits the default 48-bit linear region: no RAM removed, no pr_warn. */
  it('arm64: nothing removed, no warning and no note', () => {
    const r = run(`
arch: arm64
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
`);
    const s = stepOf(r, 1);
    expect(s.messages).toEqual([]);
    expect(s.dmesg.filter((m) => m.level <= 4)).toEqual([]);
    expect(r.report.memory.nodes).toEqual({ 0: { managedPages: 1015806, freePages: 1015806 } });
  });

  /*
   * riscv setup_bootmem() (arch/riscv/mm/init.c, v6.1+): memblock_cap_memory_range(phys_ram_base,
   * KERN_VIRT_SIZE) with no message. Sv39 (the default mode): 128 GiB from 0x80000000, so of
   * 130 GiB the last 2 GiB, [0x2080000000, 0x2100000000), are removed; no pr_warn is printed.
   */
  it('riscv64: the cap removes the top of RAM silently (no warning line)', () => {
    const r = run(`
arch: riscv64
nodes:
  - { id: 0, memory: [ { start: 0x80000000, size: 130G } ] }
`);
    const s = stepOf(r, 1);
    expect(s.messages).toEqual([
      'note: RAM [0x2080000000-0x20ffffffff] is beyond what the linear map reaches and is dropped at boot (arch/riscv/mm/init.c:setup_bootmem (memblock_cap_memory_range))',
    ]);
    expect(s.dmesg.filter((m) => m.level <= 4)).toEqual([]);
    // 128 GiB of memmap at 64 B per 4 KiB page = 2 GiB
    expect(r.report.memmapBacking.ram).toEqual({ 0: 2 * GiB });
  });
});

describe('boot: the firmware memory ranges in address order', () => {
  /*
   * powerpc probe_memory_block_size() (arch/powerpc/mm/init_64.c, v6.6..v7.1) without an
   * ibm,lmb-size starts from 1 GiB and, for each memory range, divides by 4 while the range's
   * size has the block's bit set. The result depends on the order of the ranges; the model takes
   * them in address order (as firmware device trees list memory@ nodes). Listed here high first:
   *   [0, 1G): bit 1G set -> 256M (bit clear) ; [2G, 2G + 768M): bit 256M set -> 64M (clear).
   * (High first would give 1G, then 256M.)
   */
  it('powerpc64 (no lmb-size): memory block size from the ranges in address order', () => {
    const r = run(`
arch: powerpc64
config: { mmu: radix, lmbSize: 0 }
nodes:
  - { id: 0, memory: [ { start: 2G, size: 768M }, { start: 0, size: 1G } ] }
`);
    expect(r.report.memory.blockSize).toBe(64 * MiB);
  });
});

describe('boot: debug lines, resources, memory block devices', () => {
  /*
   * htab_init_page_sizes() (arch/powerpc/mm/book3s64/hash_utils.c) prints "Page orders: ..."
   * at KERN_DEBUG; with 64K pages the io page size is not known (marked approximate).
   */
  it('powerpc64 hash 64K: the "Page orders" line is approximate', () => {
    const r = run(`
arch: powerpc64
config: { mmu: hash, pageSize: 64K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
`);
    const l = stepOf(r, 1).dmesg.filter((m) => m.site === 'arch/powerpc/mm/book3s64/hash_utils.c:htab_init_page_sizes');
    expect(l.map((m) => [m.level, m.text, m.approx])).toEqual([[7, 'Page orders: linear mapping = 16, virtual = 16, io = 16, vmemmap = 24\n', true]]);
  });

  /* x86 probe_memory_block_size(): "x86/mm: Memory block size: 128MB" below 64 GiB of RAM. */
  it('x86_64: the memory block size line and its site', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
`);
    const l = stepOf(r, 1).dmesg.filter((m) => m.text.startsWith('x86/mm: Memory block size'));
    expect(l.map((m) => [m.level, m.site, m.text])).toEqual([[6, 'arch/x86/mm/init_64.c:probe_memory_block_size', 'x86/mm: Memory block size: 128MB\n']]);
    expect(r.report.memory.blocks).toEqual([{ first: 0, count: 32, nid: 0, state: 'online', zone: 'Normal', boot: true, vmemmapPages: 0 }]);
  });

  /*
   * drivers/base/memory.c is built only with CONFIG_MEMORY_HOTPLUG; riscv64 selects
   * ARCH_ENABLE_MEMORY_HOTPLUG only from v6.11, so a v6.6 kernel has no memory block devices.
   */
  it('riscv64 v6.6 (no MEMORY_HOTPLUG): no memory block devices', () => {
    const r = run(`
arch: riscv64
kernel: v6.6
nodes:
  - { id: 0, memory: [ { start: 0x80000000, size: 4G } ] }
`);
    expect(r.report.memory.blocks).toEqual([]);
  });

  /*
   * /proc/iomem after boot: e820 RAM is "System RAM"; an NFIT pmem range is e820 type 12,
   * "Persistent Memory" (arch/x86/kernel/e820.c e820_type_to_string); an EFI_MEMORY_SP range is
   * "Soft Reserved". Each device range belongs to its device. boot() alone: the dax_hmem probe
   * (which would turn the soft-reserved range into kmem RAM) is a later initcall, in the machine's
   * boot step.
   */
  it('x86_64: boot registers System RAM, Persistent Memory and Soft Reserved resources', () => {
    const sc = scenario(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 8G, size: 4G }
  - { name: hmem0, type: hmem, node: 0, start: 16G, size: 4G }
`);
    const m = createMachine(sc);
    boot(m.k, { nodes: sc.nodes, devices: sc.devices, reserved: sc.reserved });
    expect([...m.k.s.iomem].map((x) => [x.start / GiB, x.end / GiB, x.v.name, x.v.kind, x.v.owner])).toEqual([
      [0, 4, 'System RAM', 'System RAM', 'boot'],
      [8, 12, 'Persistent Memory', 'Persistent Memory', 'pmem0'],
      [16, 20, 'Soft Reserved', 'Soft Reserved', 'hmem0'],
    ]);
  });
});

describe('memblock_alloc(): top-down placement', () => {
  /*
   * hugepagesz=1G hugepages=2 on x86_64: gigantic boot pages come from memblock
   * (memblock_alloc_try_nid_raw(1G, 1G, 0, .., nid) with exact_nid for a node-specific request;
   * here node 0 only), top-down (memblock_find_in_range_node). RAM [0, 2G) + [4G, 6G): sparse_init()
   * put node 0's 64 MiB sparse buffer (4 GiB / 4 KiB x 64 B) at the top of [4G, 6G). Free below it
   * is [4G, 6G - 64M): the highest 1G-aligned 1 GiB fit is at 4G, the very start of that free range.
   * The second page then goes at 1G in [80M, 2G) (the default early reservation is [16M, 80M)).
   * Both fit: 2 pages on node 0.
   */
  it('a gigantic page that fits exactly at the bottom of a free range is placed there', () => {
    const r = run(`
arch: x86_64
cmdline: hugepagesz=1G hugepages=2
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G }, { start: 4G, size: 2G } ] }
`);
    expect(r.report.hugetlb.hstates.find((h) => h.size === GiB)!.pages).toEqual({ 0: 2 });
    expect(stepOf(r, 1).dmesg.map((m) => m.text)).toContain('HugeTLB: registered 1.00 GiB page size, pre-allocated 2 pages\n');
  });
});

describe('memblock_alloc_range_nid() order: the goal before the node', () => {
  /*
   * memblock_alloc_try_nid_raw(size, align, __pa(MAX_DMA_ADDRESS) = 16M, .., nid) on x86_64
   * (mm/memblock.c memblock_alloc_internal / memblock_alloc_range_nid, v5.6..v7.1): node nid above
   * the goal; then any node above the goal; only then the retry with min_addr = 0.
   * Node 0 is [0, 256M) with everything reserved except [1M, 5M) and [8M, 11M), all below 16M.
   * Its sparse buffer (2 sections x 2 MiB = 4 MiB, aligned to 2 MiB, exact node) does not fit
   * anywhere, so its two 2 MiB memmap blocks come from vmemmap_alloc_block(): node 0 has nothing
   * above 16M, node 1 [4G, 8G) has: both blocks go to node 1, none below the goal on node 0.
   * Node 1's own memmap: 4 GiB / 4 KiB x 64 B = 64 MiB. Node 1 RAM holding memmap: 68 MiB.
   * Node 0 keeps its 4 + 3 MiB free = 1792 pages.
   */
  it('vmemmap blocks of a node with memory only below the goal go above the goal on another node', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 256M } ] }
  - { id: 1, memory: [ { start: 4G, size: 4G } ] }
reserved: [ { start: 0, size: 1M }, { start: 5M, size: 3M }, { start: 11M, size: 245M } ]
`);
    expect(r.report.memmapBacking.ram).toEqual({ 1: 68 * MiB });
    expect(r.report.memory.nodes[0]).toEqual({ managedPages: 1792, freePages: 1792 });
  });

  /*
   * Node 1 [4G, 5G) with all but its top 8 MiB reserved: its 16 MiB sparse buffer (1 GiB / 4 KiB
   * x 64 B, exact node) fails; its 8 memmap blocks of 2 MiB each go to the first place with room,
   * call by call: 4 fill node 1's free 8 MiB, the other 4 fall back to node 0 (above 16M).
   * Node 0: its own 64 MiB memmap + 8 MiB = 72 MiB; node 1: 8 MiB and no free page left.
   */
  it('a node that runs out part way: its own blocks first, the rest on another node', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
  - { id: 1, memory: [ { start: 4G, size: 1G } ] }
reserved: [ { start: 0, size: 1M }, { start: 4G, size: 1016M } ]
`);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 72 * MiB, 1: 8 * MiB });
    expect(r.report.memory.nodes[1]).toEqual({ managedPages: 0, freePages: 0 });
  });
});

describe('runs of vmemmap blocks (memblock_alloc_many): alike only while each call lands alike', () => {
  /*
   * The same rule for a run of calls (the range engine batches vmemmap_alloc_block() calls of a
   * run of PMDs). Node 0 [0, 1G): all reserved but [2M, 8M) (below the 16M goal) and [20M, 24M).
   * Its 16 MiB sparse buffer fails; its two page tables (PUD, PMD: 4 KiB each) come first,
   * top-down from [24M - 8K, 24M), which leaves one 2 MiB-aligned block above the goal,
   * [20M, 22M). Its 8 memmap blocks of 2 MiB, call by call: the 1st takes [20M, 22M); the other
   * 7 find nothing on node 0 above the goal and go to node 1 above the goal (never to node 0's
   * free 6 MiB below it, which the retry without min_addr would only use if no node had room).
   * memmap on node 0: 2 MiB; on node 1: its own 64 MiB + 14 MiB = 78 MiB.
   * Node 0 free: [2M, 8M) = 1536 pages + [22M, 24M - 8K) = 510 pages = 2046.
   */
  it('blocks that do not fit above the goal on their node go above the goal on another node', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 1G } ] }
  - { id: 1, memory: [ { start: 4G, size: 4G } ] }
reserved: [ { start: 0, size: 2M }, { start: 8M, size: 12M }, { start: 24M, size: 1000M } ]
`);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 2 * MiB, 1: 78 * MiB });
    expect(r.report.memory.nodes[0]).toEqual({ managedPages: 2046, freePages: 2046 });
    expect(r.report.pageTablePages.byNode).toEqual({ 0: 2 });
  });
});

describe('a call whose PMDs meet a new table past the first: table and blocks in the kernel\'s order', () => {
  /*
   * test/regressions/arm64-39bit-table-after-first-block.yaml, boot only (found by the property
   * test). seed-v2-fallback is v5.6 on arm64: 1 GiB sections, 16 MiB of memmap each, arm64's own
   * PMD loop (vmemmap_pud_populate() - the PMD table when missing - then
   * vmemmap_alloc_block_buf(PMD_SIZE), PMD by PMD). Node 0 is [1408M, 1474M); the model's boot
   * reservation takes its first 64 MiB, leaving [1472M, 1474M) free, so its 16 MiB sparse buffer
   * fails. Its section (pfn 0x40000) has its memmap at 0xfffffffeffe00000: the first PMD lies in
   * the GB below 0xffffffff00000000, whose PMD table is the fixmap's (static); the other 7 need
   * a new one. In the kernel's order the first block takes node 0's 2 MiB, then the table finds
   * node 0 full and comes from node 1 (top-down: its last page below 2586M), and blocks 2-8 from
   * node 1 too: node 0 holds 2 MiB of memmap and has no page left. (The model allocated the
   * table first: it took a page of node 0's 2 MiB and every block went to node 1.)
   */
  it('arm64 39-bit: the first block before the new PMD table', () => {
    const r = run(readFileSync('test/regressions/arm64-39bit-table-after-first-block.yaml', 'utf8').replace(/^steps:[\s\S]*/m, 'steps: [ boot ]\n'));
    expect(r.report.memmapBacking.ram).toEqual({ 0: 2 * MiB, 1: 30 * MiB });
    expect(r.report.pageTablePages.byNode).toEqual({ 1: 1 });
    expect(r.report.memory.nodes[0]).toEqual({ managedPages: 0, freePages: 0 });
  });
});

describe('runs of vmemmap blocks: the other-node tier and node spans', () => {
  /*
   * The same layout with the node ids swapped: the constrained low node is node 1, the 4 GiB
   * node at 4G is node 0. memblock_alloc_range_nid() falls back to NUMA_NO_NODE (any node) above
   * the goal, which here is node 0 - not the requested node again, and not node 1's free memory
   * below the goal. Node 1's memmap: 2 MiB (one block above the goal); node 0: 64 + 14 MiB.
   */
  it('the fallback above the goal is any node, here node 0', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 4G, size: 4G } ] }
  - { id: 1, memory: [ { start: 0, size: 1G } ] }
reserved: [ { start: 0, size: 2M }, { start: 8M, size: 12M }, { start: 24M, size: 1000M } ]
`);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 78 * MiB, 1: 2 * MiB });
    expect(r.report.memory.nodes[1]).toEqual({ managedPages: 2046, freePages: 2046 });
  });

  /*
   * Node 1 [4G, 5G) wholly reserved: all 8 of its 2 MiB memmap blocks come from other nodes,
   * top-down over every node (NUMA_NO_NODE, above 16M). Node 2 [8G, 8G + 256M) keeps only its
   * top 12 MiB free: its own 4 MiB sparse buffer (2 sections) takes the top 4 MiB, so the highest
   * free memory of all is node 2's remaining 8 MiB: node 1's first 4 blocks land there, the last
   * 4 below it on node 0 (the next highest free range, under 4G). Each block is accounted to the
   * node it came from: node 2 holds 4 + 8 = 12 MiB of memmap, node 0 64 + 8 = 72 MiB.
   */
  it('blocks that fall back spread over nodes in address order, each counted on its node', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
  - { id: 1, memory: [ { start: 4G, size: 1G } ] }
  - { id: 2, memory: [ { start: 8G, size: 256M } ] }
reserved: [ { start: 0, size: 1M }, { start: 4G, size: 1G }, { start: 8G, size: 244M } ]
`);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 72 * MiB, 2: 12 * MiB });
    expect(r.report.memory.nodes[2]).toEqual({ managedPages: 0, freePages: 0 });
  });
});

describe('runs of vmemmap blocks below the goal (memblock_alloc_internal(): the retry without min_addr)', () => {
  /*
   * mm/memblock.c memblock_alloc_internal() @ v6.18: when nothing fits above min_addr (x86:
   * __pa(MAX_DMA_ADDRESS) = 16M) on the node or on any node, memblock_alloc_range_nid() runs
   * again from 0: the requested node first, then NUMA_NO_NODE, each top-down. Below, every byte
   * above 16M is reserved, so a run of sections' memmap blocks meets those two tiers.
   *
   * Node 1 owns sections 0 (pfn 0 is its) and 2-4: its 8 MiB sparse buffer does not fit in its
   * free [0, 2M) + [4M, 8M), so each section's 2 MiB block is allocated alone. Its two page
   * tables (PUD, PMD) take [8M - 8K, 8M), so section 0's block is [4M, 6M). Sections 2-4: node 1
   * first, [0, 2M); then node 1 holds no aligned block and any node gives node 0's [14M, 16M)
   * and [12M, 14M). memmap: node 0 4 MiB, node 1 4 MiB; free: node 0 [2M, 4M) + [8M, 12M) =
   * 1536 pages, node 1 [6M, 8M - 8K) = 510.
   */
  it('the requested node first', () => {
    const r = run(`
arch: x86_64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 2M, size: 2M }, { start: 8M, size: 8M } ] }
  - { id: 1, memory: [ { start: 0, size: 2M }, { start: 4M, size: 4M }, { start: 256M, size: 384M } ] }
reserved: [ { start: 256M, size: 384M } ]
`);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 4 * MiB, 1: 4 * MiB });
    expect(r.report.memory.nodes).toEqual({ 0: { managedPages: 1536, freePages: 1536 }, 1: { managedPages: 510, freePages: 510 } });
    expect(r.report.pageTablePages.byNode).toEqual({ 1: 2 });
  });

  /*
   * Three nodes: node 0 owns sections 0 and 2-4 with free memory only in [0, 2M), where its two
   * page tables go ([2M - 8K, 2M)); node 1 is [2M, 8M), node 2 [8M, 16M), neither with a section
   * of its own. Every block of node 0 then comes from NUMA_NO_NODE below the goal, top-down:
   * node 2's [14M, 16M) for section 0, [8M, 14M) for sections 2-4; node 1, lower, keeps all of
   * its 1536 pages.
   */
  it('then any node, the highest free memory first', () => {
    const r = run(`
arch: x86_64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 2M }, { start: 256M, size: 384M } ] }
  - { id: 1, memory: [ { start: 2M, size: 6M } ] }
  - { id: 2, memory: [ { start: 8M, size: 8M } ] }
reserved: [ { start: 256M, size: 384M } ]
`);
    expect(r.report.memmapBacking.ram).toEqual({ 2: 8 * MiB });
    expect(r.report.memory.nodes).toEqual({ 0: { managedPages: 510, freePages: 510 }, 1: { managedPages: 1536, freePages: 1536 }, 2: { managedPages: 0, freePages: 0 } });
    expect(r.report.pageTablePages.byNode).toEqual({ 0: 2 });
  });
});

describe('runs of vmemmap blocks: free fragments that hold no aligned block', () => {
  /*
   * memblock_find_in_range_node() only returns a block that is wholly free and aligned: a free
   * fragment that holds no 2 MiB-aligned 2 MiB block takes none. Node 0 [0, 1G) has free
   * [20M, 34M) (seven aligned 2 MiB blocks) and [41M, 41.5M), all else reserved. Its two 4 KiB page
   * tables come first, from the top of the highest free range: [41.5M - 8K, 41.5M). Its 16 MiB
   * sparse buffer does not fit (exact node), so its 8 memmap blocks go call by call: 7 fill
   * [20M, 34M) top-down, the 8th finds no room on node 0 above 16M (the fragment holds no block)
   * and goes to node 1. memmap: node 0 14 MiB; node 1 64 + 2 = 66 MiB. Node 0 keeps only the
   * fragment's 512 KiB - 8 KiB = 126 pages.
   */
  it('a fragment with no aligned block neither takes nor breaks the run', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 1G } ] }
  - { id: 1, memory: [ { start: 4G, size: 4G } ] }
reserved: [ { start: 0, size: 20M }, { start: 34M, size: 7M }, { start: 0x2980000, size: 0x3d680000 } ]
`);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 14 * MiB, 1: 66 * MiB });
    expect(r.report.memory.nodes[0]).toEqual({ managedPages: 126, freePages: 126 });
  });
});

describe('runs of vmemmap blocks without a goal (arm64: __pa(MAX_DMA_ADDRESS) below all DRAM)', () => {
  /*
   * arm64, min_addr 0: memblock_alloc_range_nid() tries the node, then NUMA_NO_NODE (any node,
   * top-down). Node 2 [16G, 17G) is wholly reserved: its 16 MiB sparse buffer fails and its 8
   * memmap blocks of 2 MiB go to the highest free memory of any node: node 0 [8G, 12G), under
   * node 0's own 64 MiB sparse buffer - not node 1 [1G, 5G), lower down.
   * memmap: node 0 64 + 16 = 80 MiB, node 1 64 MiB. Managed: node 0 1 Mi - 16384 - 4096 = 1028096;
   * node 1 1 Mi - 16384 (reserved 64 MiB) - 16384 (memmap) - 2 (page tables) = 1015806.
   */
  it('a node with no free memory: its blocks go to the highest free memory of any node', () => {
    const r = run(`
arch: arm64
nodes:
  - { id: 0, memory: [ { start: 0x200000000, size: 4G } ] }
  - { id: 1, memory: [ { start: 0x40000000, size: 4G } ] }
  - { id: 2, memory: [ { start: 0x400000000, size: 1G } ] }
reserved: [ { start: 0x40000000, size: 64M }, { start: 0x400000000, size: 1G } ]
`);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 80 * MiB, 1: 64 * MiB });
    expect(r.report.memory.nodes).toEqual({
      0: { managedPages: 1028096, freePages: 1028096 },
      1: { managedPages: 1015806, freePages: 1015806 },
      2: { managedPages: 0, freePages: 0 },
    });
  });
});

describe('early_pfn_to_nid()', () => {
  /*
   * arm64 (ARCH_KEEP_MEMBLOCK) hot-adds 1 GiB at 16 GiB to node 1 with
   * memory_hotplug.memmap_on_memory=1: memblock keeps the range with node 1, and each block's
   * memmap lives in the block itself. vmemmap_verify() (mm/sparse-vmemmap.c) asks
   * early_pfn_to_nid() for the node of each backing page: node 1, the requested node, so no
   * "potential offnode page_structs" warning (node 0 is at distance 20 from node 1, so a page
   * reported on node 0 would warn). 8 blocks x 2 MiB of memmap on node 1.
   */
  it('a self-hosted memmap on a kept memblock range is on its own node: no offnode warning', () => {
    const r = run(`
arch: arm64
cmdline: memory_hotplug.memmap_on_memory=1
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
  - { id: 1, memory: [ { start: 0x200000000, size: 4G } ] }
distances: [[10, 20], [20, 10]]
steps:
  - boot
  - hot-add: { node: 1, start: 0x400000000, size: 1G }
`);
    const s = stepOf(r, 2);
    expect(s.ok).toBe(true);
    expect(s.dmesg.filter((m) => m.text.includes('offnode'))).toEqual([]);
    expect(r.report.memmapBacking.self).toEqual({ 1: 16 * MiB });
  });
});
