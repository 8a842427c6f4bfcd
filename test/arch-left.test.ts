/**
 * src/arch mutants that the earlier hand-mutation left (docs/testing.md, "Not yet covered"):
 * ARCH_INFO's notes, powerpc64's memory block probes for memory that does not start at 0, the
 * hash MMU's memmap_on_memory refusal, "Page orders" and vmemmap_list free path, s390x and
 * riscv64 base pages inside an altmap-backed range after a failed PMD / segment-frame
 * allocation (fault injection).
 * Kernel: arch/powerpc/mm/init_64.c (probe_memory_block_size, __vmemmap_free), arch/powerpc/
 * platforms/pseries/hotplug-memory.c (pseries_memory_block_size), arch/powerpc/include/asm/
 * pgtable.h (arch_supports_memmap_on_memory), arch/powerpc/mm/book3s64/hash_utils.c
 * (htab_init_page_sizes), arch/s390/mm/vmem.c (modify_pmd_table, modify_pte_table),
 * mm/sparse-vmemmap.c (vmemmap_populate_hugepages) @ v6.1, v6.6, v6.18.
 */
import { describe, expect, it } from 'vitest';
import { ARCH_INFO, ARCH_NAMES } from '../src/arch/index.js';
import { renderTrace } from '../src/index.js';
import { memmapOnMemoryRefusal } from '../src/kernel/memory_hotplug.js';
import { __populate_section_memmap } from '../src/kernel/sparse-vmemmap.js';
import { pfnToOff } from '../src/kernel/state.js';
import { vmemmap_free } from '../src/kernel/vmemmap-free.js';
import { run, setup_machine, stepOf } from './helpers.js';

const M = 2 ** 20;

/*
 * `vmemlab arches` prints ARCH_INFO (src/cli/commands/misc.ts); cli.test.ts runs the built CLI,
 * which mutation testing does not see, so the notes are pinned here, in-process. Each note is a
 * summary of what the model does per arch; the facts behind them are tested elsewhere
 * (arches.test.ts, arch-errors.test.ts).
 */
it('ARCH_INFO: the notes `vmemlab arches` prints, per arch', () => {
  expect(Object.fromEntries(ARCH_NAMES.map((a) => [a, ARCH_INFO[a].notes]))).toEqual({
    x86_64: '4K pages; PMD blocks from the altmap for whole sections, base pages from RAM below a section',
    arm64: '4K: PMD blocks; 16K/64K: base pages; altmap honoured from v5.9',
    riscv64: '4K pages; Sv48/Sv57 from v6.1; base pages up to v6.6, PMD blocks with the altmap and memory hot-plug, ZONE_DEVICE, memmap_on_memory from v6.11',
    loongarch64: 'from v6.2 (no vmemmap before); default 16K/3; the altmap is never used (memmap always in RAM) and vmemmap_free() is empty',
    ia64: 'up to v6.6 (removed in v6.7); default 16K/3; base pages from RAM, no ZONE_DEVICE, vmemmap_free() is empty',
    powerpc64: 'Book3S-64, every profile; default radix 64K (Debian ppc64el); radix (v6.6+; <= v6.5 2 MiB vmemmap_list blocks as PMD leaves): 2 MiB PMD blocks (from the altmap where aligned and inside the device), else base pages from the altmap or RAM (altmap_cross_boundary, RAM fallback); hash: mmu_vmemmap_psize blocks as bolted HPTEs + vmemmap_list, no Linux page tables',
    s390x: '4K pages, 3-level tables (16 KiB region/segment tables, 2 KiB page tables); EDAT-1: 1 MiB segment frames, else 4 KiB pages; altmap and memmap_on_memory from v6.9, ZONE_DEVICE from v6.17 (v6.18 profile); hot-add is sclp standby memory; hot-remove from v6.13 (virtio-mem); the 3-level layout only (memory past about 3.5 TiB refused); one NUMA node (numa_setup)',
  });
});

describe('powerpc64: the memory block size for memory that does not start at 0', () => {
  const blockSize = (kernel: string, memory: string) => run(`
arch: powerpc64
kernel: ${kernel}
config: { mmu: radix, lmbSize: 0 }
nodes:
  - { id: 0, memory: ${memory} }
`).report.memory.blockSize;

  /*
   * probe_memory_block_size() (arch/powerpc/mm/init_64.c @ v6.6) without ibm,lmb-size:
   * update_memory_block_size(&block, size) with the node's size (reg's second cell), from 1 GiB:
   * for (; block > DEFAULT_MEMORY_BLOCK_SIZE (16 MiB); block >>= 2) if ((size & block) == 0) break;
   *   [512M, 1536M): size 1 GiB: bit 1G set -> 256M, bit 256M clear -> 256 MiB (the size, not the end);
   *   [0, 1360M): 1360M = 1G + 256M + 64M + 16M: 1G, 256M, 64M set -> 16 MiB, where the loop stops
   *   (block > 16 MiB is false) though bit 16M is set too.
   */
  it('v6.6+ probe: the size of each range, down to 16 MiB and no further', () => {
    expect(blockSize('v6.18', '[ { start: 512M, size: 1G } ]')).toBe(256 * M);
    expect(blockSize('v6.18', '[ { start: 0, size: 1360M } ]')).toBe(16 * M);
  });

  /*
   * pseries_memory_block_size() (arch/powerpc/platforms/pseries/hotplug-memory.c @ v6.1) without
   * ibm,dynamic-reconfiguration-memory: memblock_size = MIN_MEMORY_BLOCK_SIZE (16 MiB); the size
   * of the node /memory@<size of /memory@0> only when /memory@0 exists. Memory from 256 MiB
   * (nodes memory@10000000 and memory@20000000): no memory@0, so 16 MiB, not the 512 MiB of the
   * node that follows the first.
   */
  it('v6.1 (pseries_memory_block_size): no /memory@0, 16 MiB', () => {
    expect(blockSize('v6.1', '[ { start: 256M, size: 256M }, { start: 512M, size: 512M } ]')).toBe(16 * M);
  });
});

describe('powerpc64 hash', () => {
  const hash = (config: string, extra: string) => `
arch: powerpc64
kernel: v6.18
config: ${config}
${extra}
nodes: [ { id: 0, memory: [ { start: 0, size: 2G } ] } ]
`;

  /*
   * arch_supports_memmap_on_memory() (arch/powerpc/include/asm/pgtable.h @ v6.6+): false unless
   * radix_enabled(). With force the earlier checks pass (the 4 pages of memmap of a 256 MiB
   * block are padded to a pageblock), so the arch hook is the one that refuses.
   */
  it('memmap_on_memory: the arch hook refuses with the hash MMU', () => {
    const k = setup_machine(hash('{ mmu: hash, pageSize: 64K, hash16M: false }', 'cmdline: "memory_hotplug.memmap_on_memory=force"')).k;
    expect(memmapOnMemoryRefusal(k, 256 * M)).toBe('arch_supports_memmap_on_memory() is false with the hash MMU (!radix_enabled())');
  });

  /*
   * htab_init_page_sizes(): "Page orders: ..." at KERN_DEBUG; with 4K pages mmu_io_psize is the
   * 4K base page (the 64K io choice exists only on 64K kernels), so nothing in the line is a guess.
   */
  it('4K pages: the "Page orders" line is exact', () => {
    const r = run(`${hash('{ mmu: hash, pageSize: 4K }', '')}steps: [ boot ]\n`);
    const l = stepOf(r, 1).dmesg.filter((m) => m.site === 'arch/powerpc/mm/book3s64/hash_utils.c:htab_init_page_sizes');
    // hash16M defaults true and KFENCE on (Debian): linear 12; 2 GiB >= 1 GiB: vmemmap 16M = 24
    expect(l.map((m) => [m.text, m.approx ?? false])).toEqual([['Page orders: linear mapping = 12, virtual = 12, io = 12, vmemmap = 24\n', false]]);
  });

  /*
   * __vmemmap_free() (init_64.c @ v6.6+) with 64 KiB blocks (no 16M pages): a 4 GiB fsdax
   * namespace at 64 GiB, --map=dev: 65536 pfns x 64 B = 4 MiB of memmap = 64 blocks, all from
   * the altmap (each block describes only the device). destroy-namespace: per section a
   * pr_debug("vmemmap_free %lx...%lx") with the start aligned down to the block, each block
   * found in vmemmap_list (vmemmap_list_free(): 64 entries onto the free list) and, its pfn in
   * [base_pfn, base_pfn + reserve + free), given back with vmem_altmap_free() (whatever size the
   * mapping: the 64 KiB blocks are PTE-level here).
   */
  it('64 KiB blocks: a namespace\'s memmap back to its altmap through vmemmap_list', () => {
    const r = run(`${hash('{ mmu: hash, pageSize: 64K, hash16M: false }', 'devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]')}steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - destroy-namespace: { device: pmem0 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ ram: {}, altmap: { 'namespace0.0': 4 * M } });
    expect(r.report.steps[2]!.delta.memmapBacking).toMatchObject({ ram: {}, altmap: { 'namespace0.0': -4 * M } });
    expect(r.machine.k.s.ppcList).toMatchObject({ freed: 64, blockSize: 64 * 1024 });
    expect(r.machine.k.s.anomalies).toEqual([]);
    // 256 sections: the first section's memmap, 16 KiB at 0x1000000000 / 64 KiB x 64 B = 64 MiB
    const lines = r.report.dmesg.filter((l) => l.startsWith('vmemmap_free'));
    expect(lines.length).toBe(256);
    expect(lines.slice(0, 2)).toEqual(['vmemmap_free c00c000004000000...c00c000004004000', 'vmemmap_free c00c000004000000...c00c000004008000']);
  });
});

/*
 * powerpc64 radix <= v6.5: vmemmap_free() (arch/powerpc/mm/init_64.c @ v6.1) aligns the start
 * down to mmu_vmemmap_psize (2 MiB on radix), pr_debug("vmemmap_free %lx...%lx") once per
 * section (__remove_pages), and per 2 MiB block not vmemmap_populated(): vmemmap_list_free()
 * (the entry onto the free list) and radix__vmemmap_remove_mapping(). 4 GiB at 4 GiB, 64K pages:
 * 65536 pfns x 64 B = 4 MiB of memmap at 0x400000 (pfn 0x10000 x 64) = two blocks.
 */
it('powerpc64 radix v6.1: a hot-remove frees its 2 MiB blocks through vmemmap_list', () => {
  const r = run(`
arch: powerpc64
kernel: v6.1
config: { mmu: radix, pageSize: 64K }
nodes: [ { id: 0, memory: [ { start: 0, size: 2G } ] } ]
steps:
  - boot
  - hot-add: { node: 0, start: 4G, size: 4G }
  - hot-remove: { start: 4G, size: 4G }
`);
  expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
  expect(r.report.steps[2]!.delta.memmapBacking.ram).toEqual({ 0: -4 * M });
  expect(r.machine.k.s.ppcList).toMatchObject({ freed: 2, blockSize: 2 * M });
  // 256 sections of 16 MiB, each 16 KiB of memmap; the start aligned down to the 2 MiB block
  const lines = r.report.dmesg.filter((l) => l.startsWith('vmemmap_free'));
  expect(lines.length).toBe(256);
  expect(lines.slice(0, 2)).toEqual(['vmemmap_free c00c000000400000...c00c000000404000', 'vmemmap_free c00c000000400000...c00c000000408000']);
});

/*
 * s390x v6.18 (arch/s390/mm/vmem.c, v6.9+ with the altmap), EDAT-1. modify_pmd_table() on an
 * empty segment entry: vmemmap_alloc_block_buf(PMD_SIZE, NUMA_NO_NODE, altmap), a 1 MiB frame
 * even for part of it; when that fails, vmem_pte_alloc() and modify_pte_table() with 4 KiB pages
 * from vmemmap_alloc_block_buf(PAGE_SIZE, NUMA_NO_NODE, altmap): the same altmap. A segment entry
 * that already holds a page table goes to modify_pte_table() with the caller's altmap too; on
 * removal vmem_free_pages() gives every page back with vmem_altmap_free() when an altmap is given.
 *   pmem0, 32 MiB at 16 GiB: 512 KiB of memmap at vmemmap + 16 GiB / 64 = + 256 MiB; its one
 *     frame is altmap allocation #1, which fails (fault injection): 128 pages from its altmap.
 *   pmem1, 1 GiB at 16 GiB + 32 MiB: memmap [256.5 MiB, 272.5 MiB); the segment at 256 MiB holds
 *     pmem0's page table: 128 pages from pmem1's altmap; then 16 frames (the last one half used).
 */
it('s390x v6.18: base pages from the altmap after a failed 1 MiB frame, and in a segment holding a page table', () => {
  const r = run(`
arch: s390x
kernel: v6.18
nodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 32M }, { name: pmem1, type: nvdimm, node: 0, start: 0x402000000, size: 1G } ]
faults: [ { alloc: altmap, nth: 1 } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - create-namespace: { device: pmem1, mode: fsdax, map: dev }
  - destroy-namespace: { device: pmem1 }
  - destroy-namespace: { device: pmem0 }
`);
  expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true, true]);
  const backing = r.report.steps.slice(1).map((s) => [s.delta.memmapBacking.ram, s.delta.memmapBacking.altmap]);
  expect(backing).toEqual([
    [{}, { 'namespace0.0': 512 * 1024 }],
    [{}, { 'namespace1.0': 16 * M + 512 * 1024 }],
    [{}, { 'namespace1.0': -(16 * M + 512 * 1024) }],
    [{}, { 'namespace0.0': -512 * 1024 }],
  ]);
  expect(r.machine.k.s.anomalies).toEqual([]);
});

/*
 * riscv64 v6.18: vmemmap_populate() -> vmemmap_populate_hugepages() (mm/sparse-vmemmap.c);
 * riscv's vmemmap_check_pmd() (arch/riscv/mm/init.c, v6.11+) returns 1 for any non-empty PMD
 * after vmemmap_verify(). A 64 MiB namespace (--map=mem) at 16 GiB has 1 MiB of memmap at
 * vmemmap + 256 MiB: half a PMD. Its PMD_SIZE block is the run's 4th page-allocator allocation;
 * made to fail, the step falls back to vmemmap_populate_basepages() from RAM (no altmap): a PTE
 * table and 256 pages.
 *   Destroyed: remove_pmd_mapping() -> remove_pte_mapping() frees the pages and
 *     free_pte_table() the now empty PTE table (remove_pgd_mapping(is_vmemmap), PTE tables on
 *     every paging mode).
 *   A second namespace right after it (--map=dev) shares the PMD: vmemmap_check_pmd() says
 *     populated, and its half of the PMD stays unmapped (the model's memmap-coverage finding).
 */
describe('riscv64 v6.18: a PMD holding a PTE table after a failed PMD block', () => {
  const sc = (steps: string, faults = 'faults: [ { alloc: buddy, nth: 4 } ]') => run(`
arch: riscv64
kernel: v6.18
nodes: [ { id: 0, memory: [ { start: 0x80000000, size: 4G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 64M }, { name: pmem1, type: nvdimm, node: 0, start: 0x404000000, size: 64M } ]
${faults}
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }
${steps}`);

  it('base pages from RAM; the PTE table freed with them', () => {
    const r = sc('  - destroy-namespace: { device: pmem0 }\n');
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(r.machine.k.s.trace.filter((e) => e.t === 'note' && e.text.startsWith('vmemmap_populate_hugepages')).map((e) => e.t === 'note' && e.text))
      .toEqual(['vmemmap_populate_hugepages: no PMD_SIZE block in RAM for 1 PMD step: base pages instead']);
    expect(r.report.steps.slice(1).map((s) => [s.delta.memmapBacking.ram, s.delta.pageTablePages])).toEqual([
      [{ 0: M }, { pte: 1 }],
      [{ 0: -M }, { pte: -1 }],
    ]);
  });

  it('the next namespace in that PMD is skipped (vmemmap_check_pmd)', () => {
    const r = sc('  - create-namespace: { device: pmem1, mode: fsdax, map: dev }\n');
    // pmem1's memmap: vmemmap + 256 MiB + 1 MiB .. + 2 MiB, never mapped
    expect(stepOf(r, 3).kernelBugs.map((v) => [v.invariant, v.range])).toEqual([['memmap-coverage', 'va 0xffffffc50e100000-0xffffffc50e1fffff']]);
    expect(r.report.steps[2]!.delta.memmapBacking).toMatchObject({ ram: {}, altmap: {} });
  });
});

/*
 * The same two namespaces without the fault: pmem0 gets a whole 2 MiB PMD block from RAM, which
 * pmem1 (--map=dev) finds populated. Destroying pmem1: remove_pmd_mapping() (arch/riscv/mm/
 * init.c @ v6.18) clears a PMD leaf whatever part of it the range covers and
 * free_vmemmap_storage(pmd_page, PMD_SIZE, altmap) gives its 512 pages to pmem1's altmap
 * (vmem_altmap_free()): RAM never freed, charged to the altmap, at remove_pgd_mapping's site.
 */
it('riscv64 v6.18: a shared RAM PMD leaf freed with the second namespace, charged to its altmap', () => {
  const r = run(`
arch: riscv64
kernel: v6.18
nodes: [ { id: 0, memory: [ { start: 0x80000000, size: 4G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 64M }, { name: pmem1, type: nvdimm, node: 0, start: 0x404000000, size: 64M } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }
  - create-namespace: { device: pmem1, mode: fsdax, map: dev }
  - destroy-namespace: { device: pmem1 }
`);
  // the block no longer backs memmap after step 4 (its pages are leaked, not freed)
  expect(r.report.steps.slice(1).map((s) => s.delta.memmapBacking.ram)).toEqual([{ 0: 2 * M }, {}, { 0: -2 * M }]);
  expect(r.machine.k.s.anomalies.map((a) => [a.step, a.site, a.text])).toEqual([[4, 'arch/riscv/mm/init.c:remove_pgd_mapping',
    'RAM-backed pmd-mapped memmap at ffffffc50e000000..ffffffc50e200000 was charged to altmap namespace1.0 (vmem_altmap_free) and its 512 RAM pages were never freed']]);
});

/*
 * s390x v6.18: two 32 MiB namespaces at 16 GiB share one 1 MiB segment frame of memmap (512 KiB
 * each at vmemmap + 256 MiB). pmem0 (--map=mem) allocates it from RAM; pmem1 (--map=dev) finds
 * it (vmemmap_use_sub_pmd()). Destroying pmem0 leaves the frame (vmemmap_unuse_sub_pmd(): not all
 * unused yet); destroying pmem1 frees it: modify_pmd_table(add = false) -> vmem_free_pages(...,
 * altmap) -> vmem_altmap_free() (arch/s390/mm/vmem.c @ v6.18): the RAM frame is charged to
 * pmem1's altmap and never freed, reported at remove_pagetable().
 */
it('s390x v6.18: a shared RAM segment frame freed with the --map=dev namespace is charged to its altmap', () => {
  const r = run(`
arch: s390x
kernel: v6.18
nodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 32M }, { name: pmem1, type: nvdimm, node: 0, start: 0x402000000, size: 32M } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }
  - create-namespace: { device: pmem1, mode: fsdax, map: dev }
  - destroy-namespace: { device: pmem0 }
  - destroy-namespace: { device: pmem1 }
`);
  expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true, true]);
  expect(r.report.steps.slice(1).map((s) => [s.delta.memmapBacking.ram, s.delta.memmapBacking.altmap])).toEqual([[{ 0: M }, {}], [{}, {}], [{}, {}], [{ 0: -M }, {}]]);
  expect(r.machine.k.s.anomalies.map((a) => [a.step, a.site, a.text])).toEqual([[5, 'arch/s390/mm/vmem.c:remove_pagetable',
    'RAM-backed pmd-mapped memmap at 37210000000..37210100000 was charged to altmap namespace1.0 (vmem_altmap_free) and its 256 RAM pages were never freed']]);
});

/*
 * x86_64 v6.18: the vmemmap's page tables at boot come from vmemmap_alloc_block_zero(PAGE_SIZE,
 * node) -> __earlyonly_bootmem_alloc(node, ..., __pa(MAX_DMA_ADDRESS) = 16 MiB) ->
 * memblock_alloc_try_nid_raw(), not exact (mm/sparse-vmemmap.c, mm/memblock.c): node `node`
 * above 16 MiB, then any node above 16 MiB. The memmap itself comes from the node's sparse
 * buffer (memblock_alloc_exact_nid_raw: node 1 keeps its own). sparse_init() meets node 1 (pfn 0)
 * first: its PUD and PMD table pages land on node 0, the only memory above the goal.
 */
it('x86_64 v6.18: boot page tables for a node below 16 MiB come from the node above the memblock goal', () => {
  const r = run(`
arch: x86_64
kernel: v6.18
nodes: [ { id: 0, memory: [ { start: 16M, size: 4080M } ] }, { id: 1, memory: [ { start: 0, size: 16M } ] } ]
steps: [ boot ]
`);
  // node 1: 16 MiB -> 256 KiB of memmap, one 2 MiB PMD block from its own buffer
  expect(r.report.memmapBacking.ram[1]).toBe(2 * M);
  expect(r.report.pageTablePages).toEqual({ byNode: { 0: 2 }, pud: 1, pmd: 1, pte: 0 });
});

describe("arm64 under Robin Murphy's sketch (robin-arm64): one call at a time", () => {
  /*
   * The sketch's arm64 vmemmap_populate() for 16K/64K pages walks [start, end) of one
   * __populate_section_memmap() call: per PMD step, the tables, then one base page. A run of
   * section calls is modelled call by call (its loop restarts at every call's start), so the
   * kernel's order is kept: a PTE table is allocated when the walk first enters its PMD, and
   * pages are mapped in address order. 16K pages: 1 GiB sections (4 MiB of memmap each), 32 MiB
   * PMDs. 24 GiB hot-added at 64 GiB: 24 calls over 96 MiB of memmap from vmemmap + 0xfa00000,
   * so 4 PMDs (4 PTE tables) and 27 pages: one at each call's start, and one more where a call
   * crosses into the next PMD (3 do). Calls of the run walked as one range would map the later
   * PMDs' pages first.
   */
  it('16K pages, 24 GiB hot-added: tables and pages in address order', () => {
    const r = run(`
arch: arm64
kernel: robin-arm64
config: { pageSize: 16K }
nodes:
  - { id: 0, memory: [ { start: 1G, size: 8G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 64G, size: 24G }
`);
    const s = stepOf(r, 2);
    expect(s.ok).toBe(true);
    const ev = r.machine.k.s.trace.slice(s.trace.from, s.trace.to).flatMap((e) => (e.t === 'map' || e.t === 'table' ? [{ t: e.t, va: e.va }] : []));
    const tables = ev.filter((e) => e.t === 'table');
    expect(tables.length).toBe(4);
    expect(ev.filter((e) => e.t === 'map').length).toBe(27);
    // in address order, a PMD's table before its first page
    const sorted = [...ev].sort((x, y) => (x.va === y.va ? (x.t === 'table' ? -1 : 1) : x.va < y.va ? -1 : 1));
    expect(ev).toEqual(sorted);
  });
});

describe('arm64 vmemmap_free(): unmap_hotplug_pte_range() steps from the unaligned start', () => {
  /*
   * arch/arm64/mm/mmu.c @ v6.12: unmap_hotplug_pte_range() walks addr += PAGE_SIZE from the
   * range's start, which on 64K pages can sit inside a memmap page (a 2 MiB sub-section's
   * memmap is 2 KiB). Three label-less regions at 3 GiB: pmem0 48 MiB (memmap +0x0-0xbfff of
   * the 64 KiB page at vmemmap + 0x200000), pmem1 32 MiB (+0xc000-0x13fff: the end of that
   * page and the start of the next) and pmem2 16 MiB (+0x14000-0x17fff). Created in the order
   * pmem0, pmem2, pmem1, every page pmem1 needs is there already. Destroying pmem1 visits one
   * page only (0xc000, then 0x1c000 is past the end): the first page goes while pmem0 lives
   * (a predicted kernel bug), the second stays for pmem2, whose destroy then frees it. A walk
   * over every page the range touches would take pmem2's page too.
   */
  it('v6.12 64K: a range over two memmap pages unmaps the first only', () => {
    const r = run(`
arch: arm64
kernel: v6.12
config: { pageSize: 64K, vaBits: 48 }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 0x80000000 } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0xc0000000, size: 48M }
  - { name: pmem1, type: nvdimm, node: 0, start: 0xc3000000, size: 32M }
  - { name: pmem2, type: nvdimm, node: 0, start: 0xc5000000, size: 16M }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, align: 64K }
  - create-namespace: { device: pmem2, mode: fsdax, map: mem, align: 64K }
  - create-namespace: { device: pmem1, mode: fsdax, map: mem, align: 64K }
  - destroy-namespace: { device: pmem1 }
  - destroy-namespace: { device: pmem2 }
`);
    const t = renderTrace(r);
    const traceOf = (n: number) => t.split(/^# step /m).find((b) => b.startsWith(`${n}:`))!.split('\n').slice(1).filter(Boolean);
    expect(traceOf(4).filter((l) => l.startsWith('map'))).toEqual([]);
    expect(traceOf(5)).toEqual([
      'unmap pte: 0xffffffdfc0200000-0xffffffdfc0210000 (64 KiB), was node 0 RAM (buddy)',
      'section deactivate: pfn 0xc300, 512 pages, node 0',
    ]);
    expect(stepOf(r, 5).kernelBugs.map((b) => [b.invariant, b.range])).toEqual([['memmap-coverage', 'va 0xffffffdfc0200000-0xffffffdfc020bfff']]);
    expect(stepOf(r, 6)).toMatchObject({ ok: true, oops: null });
    expect(traceOf(6)).toEqual([
      'unmap pte: 0xffffffdfc0210000-0xffffffdfc0220000 (64 KiB), was node 0 RAM (buddy)',
      'section deactivate: pfn 0xc500, 256 pages, node 0',
    ]);
  });
});

describe('powerpc64 free paths: the site of a free-path anomaly', () => {
  /*
   * Memmap of [64 GiB, 66 GiB) (64K pages: 32768 pfns, 2 MiB of struct pages) populated from an
   * altmap made by hand over [64 GiB, 128 GiB), then freed with no altmap: its pages would go to
   * the page allocator as RAM, which the model reports as a kernel anomaly at the arch's free
   * function. Radix <= v6.5 (vmemmap_list, 2 MiB blocks: 32 pages), hash (16 MiB blocks: 256
   * pages), radix v6.6+ (remove_pagetable(): 32 base pages). No scenario frees an altmap's
   * block without its altmap, so these sites are read only here.
   */
  it.each([
    ['v6.1', 'radix', 'arch/powerpc/mm/init_64.c:vmemmap_free', 32],
    ['v6.12', 'hash', 'arch/powerpc/mm/init_64.c:__vmemmap_free', 256],
    ['v6.12', 'radix', 'arch/powerpc/mm/book3s64/radix_pgtable.c:remove_pagetable', 32],
  ])('%s %s: %s', (kernel, mmu, site, pages) => {
    const { k } = setup_machine(`
arch: powerpc64
kernel: ${kernel}
config: { mmu: ${mmu}, pageSize: 64K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
`);
    const pfn = 0x100000;
    k.s.altmaps.set('t', { id: 't', base_pfn: pfn, end_pfn: pfn + 2 ** 20 - 1, reserve: 0, free: 2 ** 20, align: 0, alloc: 0, owner: 't', device: 't' });
    expect(__populate_section_memmap(k, pfn, 32768, 0, 't')).toBe(0);
    expect(k.s.altmaps.get('t')!.alloc).toBe(pages);
    const from = k.s.anomalies.length;
    vmemmap_free(k, pfnToOff(k, pfn), pfnToOff(k, pfn + 32768), null);
    expect(k.s.anomalies.slice(from).map((a) => [a.site, a.text])).toEqual([[site, `${pages} page(s) of altmap t backing c00c000004000000 were freed to the page allocator as RAM`]]);
  });
});
