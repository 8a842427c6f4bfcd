/**
 * src/kernel/memory_hotplug.ts paths its first complete StrykerJS run (docs/testing.md) found
 * without a test: __add_pages()'s altmap offset bound, __remove_pages() of a range inside one
 * section, ...
 *
 * Each expectation is derived by hand in its comment from the kernel's rules.
 */
import { describe, expect, it } from 'vitest';
import { __add_pages, add_memory, memmapOnMemoryRefusal, remove_memory, sclp_add_standby_memory } from '../src/kernel/memory_hotplug.js';
import { E2BIG, EINVAL, type Kernel } from '../src/kernel/state.js';
import { parseProfileFile, registerProfile } from '../src/index.js';
import { renderJson, runScenario, type RunResult } from '../src/core.js';
import { withoutBatching } from '../src/kernel/engine.js';
import { renderMessage } from '../src/kernel/printk.js';
import { scenarioFromObject } from '../src/scenario/parse.js';
import { run, setup_machine, stepOf } from './helpers.js';

/** A one-node x86_64 machine with 4 GiB of boot RAM, `extra` YAML before the nodes. */
const x86 = (kernel: string, extra = '') => `
arch: x86_64
kernel: ${kernel}
${extra}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
`;

/** The log lines (level, site, text) from index `from` on. */
const logFrom = (k: Kernel, from: number) => k.s.log.slice(from).map((m) => [m.level, m.site, m.text]);

describe('__add_pages(): the altmap must fit in the range', () => {
  /*
   * mm/memory_hotplug.c __add_pages() (v5.3..v7.1): altmap->base_pfn != pfn ||
   * vmem_altmap_offset(altmap) > nr_pages -> pr_warn_once("memory add fail, invalid altmap"),
   * -EINVAL, before check_pfn_span(). vmem_altmap_offset() = reserve + free = 2 + 0x8000 =
   * 32,770 pfns, more than the 0x8000 (32,768) being added: refused though base_pfn == pfn.
   * With free 0x7ffe the offset is exactly nr_pages, which is allowed (> not >=): the section
   * is added and alloc is reset to 0 (align is not).
   */
  it('reserve + free beyond nr_pages: "invalid altmap", -EINVAL; exactly nr_pages is allowed', () => {
    const k = setup_machine(x86('v6.18')).k;
    const base = 0x1000000; // 64 GiB: section 512
    k.s.altmaps.set('a', { id: 'a', base_pfn: base, end_pfn: base + 0x7fff, reserve: 2, free: 0x8000, align: 3, alloc: 7, owner: 'a', device: 'd' });
    const from = k.s.log.length;
    expect(__add_pages(k, 0, base, 0x8000, 'a')).toBe(EINVAL);
    expect(logFrom(k, from)).toEqual([[4, 'mm/memory_hotplug.c:__add_pages', 'memory add fail, invalid altmap\n']]);
    expect(k.s.sections.coverage(512, 513)).toBe(0);
    expect(k.s.altmaps.get('a')).toMatchObject({ alloc: 7, align: 3 });
    k.s.altmaps.get('a')!.free = 0x7ffe;
    expect(__add_pages(k, 0, base, 0x8000, 'a')).toBe(0);
    expect(k.s.sections.coverage(512, 513)).toBe(1);
    // the section's 2 MiB of memmap came from the altmap (altmap_alloc_block_buf()): the next
    // pfn is base + reserve 2 + alloc 0 + align 3 = base + 5, padded by 507 to the 512-pfn
    // boundary base + 0x200: alloc 512, align 3 + 507
    expect(k.s.altmaps.get('a')).toMatchObject({ alloc: 512, align: 3 + 507 });
  });
});

describe('__remove_pages(): a range inside one section', () => {
  /*
   * __remove_pages() (v5.3..v7.1) walks [pfn, pfn + nr) in section-bounded chunks
   * (min(end_pfn - pfn, SECTION_ALIGN_UP(pfn + 1) - pfn)): a range that starts and ends inside
   * section 512 (64 GiB) is one sparse_remove_section() call over exactly its own sub-sections.
   * pmem0 = [64 GiB, +64 MiB) and pmem1 = [64 GiB + 64 MiB, +32 MiB) share section 512; each is a
   * label-less region with one fsdax namespace. Destroying
   * pmem1's namespace clears only its 16 sub-sections (32 MiB / 2 MiB); pmem0's 32 sub-sections
   * [0x1000000, 0x1004000) and the section stay.
   */
  it('destroying one of two namespaces in a section leaves the other\'s sub-sections', () => {
    const r = run(`${x86('v6.18')}devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 64M }
  - { name: pmem1, type: nvdimm, node: 0, start: 0x1004000000, size: 32M }
steps:
  - boot
  - create-namespace: { device: pmem0 }
  - create-namespace: { device: pmem1 }
  - destroy-namespace: { device: pmem1, namespace: namespace1.0 }
`);
    expect([2, 3, 4].map((i) => stepOf(r, i).errno)).toEqual([null, null, null]);
    // nothing is cleared twice: no "section already deactivated" WARN from clear_subsection_map()
    expect(stepOf(r, 4).dmesg).toEqual([]);
    const k = r.machine.k;
    expect(k.s.subsections.overlaps(0x1000000, 0x1008000).map((s) => [s.start, s.end])).toEqual([[0x1000000, 0x1004000]]);
    expect(k.s.sections.coverage(512, 513)).toBe(1);
  });
});

describe('leftBehind(): what a failed arch_add_memory() leaves, counted inside its own range', () => {
  /*
   * mm/memory_hotplug.c __add_pages() (v5.3..v7.1) stops at the first sparse_add_section() error
   * with no rollback, and mm/memremap.c pagemap_range() (v5.10..v7.1) does not remove the
   * sections that were added before it either. x86 4K, fsdax namespaces (--map=dev): each
   * 128 MiB section's memmap is one 2 MiB PMD block from the altmap (128M / 4K x 64 B).
   * pmem1 (8 GiB at 128 GiB) is created first: 64 sections, altmap allocations 1..64, all
   * populated. pmem0 (8 GiB at 64 GiB) next: its allocations are 65.., the 104th overall (its
   * 40th section) fails -ENOMEM, so pmem0's first 39 sections stay populated: 39 x 64 = 2496
   * sub-sections (2 MiB each). pmem1's 64 sections above pmem0's range are not part of what
   * pmem0's failure left behind.
   */
  it('x86 v6.18: a namespace that fails above another: only its own 39 sections are counted', () => {
    const r = run(`${x86('v6.18', 'faults: [ { alloc: altmap, nth: 104 } ]')}devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 64G, size: 8G }
  - { name: pmem1, type: nvdimm, node: 0, start: 128G, size: 8G }
steps:
  - boot
  - create-namespace: { device: pmem1 }
  - create-namespace: { device: pmem0 }
`);
    expect([stepOf(r, 2).errno, stepOf(r, 3).errno]).toEqual([null, 'ENOMEM']);
    expect(r.machine.k.s.anomalies.map((a) => [a.step, a.site, a.text])).toEqual([[3, 'mm/memremap.c:pagemap_range',
      'arch_add_memory() failed and nothing undoes it: 2496 sub-sections (39 sections) of [0x1000000000, 0x1200000000) stay populated with their memmap, owned by nothing']]);
  });
});

describe('mhp_range_allowed(): empty, below and above the pluggable range', () => {
  const G = 2 ** 30;
  /*
   * mm/memory_hotplug.c mhp_range_allowed() (v5.11..v7.1): end = start + size; allowed iff
   * start < end && start >= mhp_range.start && end - 1 <= mhp_range.end, else pr_warn("Hotplug
   * memory [%#llx-%#llx] exceeds maximum addressable range [%#llx-%#llx]\n") and
   * register_memory_resource() returns -E2BIG before anything else (no resource, no
   * check_hotplug_memory_range() pr_err). x86 4-level, no KASLR: arch_get_mappable_range() is
   * [0, 2^46 - 1], DIRECT_MAP_PHYSMEM_END 2^46 - 1 too. A zero-size add_memory() at 16 GiB
   * (0x400000000; no caller passes 0, so called directly): start == end.
   */
  it('x86 v6.18 add_memory() of 0 bytes: -E2BIG and the pr_warn, not the alignment pr_err', () => {
    const k = setup_machine(x86('v6.18')).k;
    const from = k.s.log.length;
    expect(add_memory(k, 0, 16 * G, 0)).toBe(E2BIG);
    expect(logFrom(k, from)).toEqual([[4, 'mm/memory_hotplug.c:mhp_range_allowed',
      'Hotplug memory [0x400000000-0x400000000] exceeds maximum addressable range [0x0-0x3fffffffffff]\n']]);
  });

  /*
   * The same rule past the end: 128 MiB at 64 TiB (2^46) has end - 1 = 0x400007ffffff >
   * 0x3fffffffffff: the pr_warn, -E2BIG; x86 add_pages()'s WARN_ON_ONCE(end >
   * DIRECT_MAP_PHYSMEM_END) is never reached.
   */
  it('x86 v6.18 hot-add at 64 TiB: -E2BIG from mhp_range_allowed(), no add_pages() WARN', () => {
    const r = run(`${x86('v6.18')}steps:
  - boot
  - hot-add: { node: 0, start: 0x400000000000, size: 128M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'E2BIG' });
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([[4, 'mm/memory_hotplug.c:mhp_range_allowed',
      'Hotplug memory [0x400000000000-0x400008000000] exceeds maximum addressable range [0x0-0x3fffffffffff]\n']]);
    expect(r.machine.k.s.sections.coverage(2 ** 19, 2 ** 19 + 1)).toBe(0);
  });

  /*
   * arm64 4K, VA_BITS 48, RAM from 1 GiB: memstart_addr = 1 GiB (ARM64_MEMSTART_ALIGN = 1 GiB),
   * arch/arm64/mm/mmu.c arch_get_mappable_range() (v5.11..v7.1) = [__pa(_PAGE_OFFSET(48)),
   * __pa(PAGE_END - 1)] = [1 GiB, 1 GiB + 2^47 - 1] = [0x40000000-0x80003fffffff] (below
   * 2^48 - 1 and DIRECT_MAP_PHYSMEM_END, the same __pa(PAGE_END - 1)). 128 MiB at 0 starts below it:
   * the pr_warn with [0x0-0x8000000], -E2BIG, nothing added.
   */
  it('arm64 v6.18 hot-add below memstart_addr: -E2BIG from mhp_range_allowed()', () => {
    const r = run(`
arch: arm64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 0, size: 128M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'E2BIG' });
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([[4, 'mm/memory_hotplug.c:mhp_range_allowed',
      'Hotplug memory [0x0-0x8000000] exceeds maximum addressable range [0x40000000-0x80003fffffff]\n']]);
    expect(r.machine.k.s.sections.coverage(0, 1)).toBe(0);
  });

  /*
   * s390 v6.18: arch/s390/mm/vmem.c arch_get_mappable_range() = [0, max_mappable - 1],
   * max_mappable = min(max(ident_map_size, MAX_DCSS_ADDR = 512 GiB), vmemmap start)
   * (arch/s390/boot/startup.c setup_kernel_memory_layout(), v6.6..v7.1). Boot memory
   * [0, 4 GiB) and [1020 GiB, 1 TiB): ident_map_size is the end of memory, 1 TiB, so the
   * range reaches 1 TiB - 1 and 256 MiB at 600 GiB (above 512 GiB) is allowed: two 128 MiB
   * standby blocks (4800, 4801) added offline, nothing printed by mhp_range_allowed().
   */
  it('s390x v6.18 with boot memory up to 1 TiB: a hot-add at 600 GiB is inside the range', () => {
    const r = run(`
arch: s390x
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G }, { start: 1020G, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 600G, size: 256M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: true, errno: null });
    expect(stepOf(r, 2).dmesg.filter((m) => m.site === 'mm/memory_hotplug.c:mhp_range_allowed')).toEqual([]);
    expect([...r.machine.k.s.blocks.overlaps(4790, 4810)].map((s) => [s.start, s.end, s.v.state])).toEqual([[4800, 4802, 'offline']]);
  });
});

describe('the v5.10 linear-region check is arm64\'s own', () => {
  /*
   * inside_linear_region() and its pr_err("[%llx %llx] is outside linear mapping region\n") are
   * in arch/arm64/mm/mmu.c arch_add_memory() (v5.10 only); arch/riscv/mm/init.c
   * arch_add_memory() (v6.11..v7.1) has no such check. A profile file puts the arm64 switch (and
   * v5.10's range check in __add_pages(), so mhp_range_allowed() does not refuse first) on
   * v6.18; on riscv64 (memstart = phys_ram_base = 2 GiB, RAM at 2 GiB) a hot-add of 128 MiB at
   * 1 GiB, below memstart, still goes to __add_pages(): section 8 (1 GiB / 128 MiB) is added,
   * no pr_err.
   */
  it('riscv64 (profile file: v6.18 + arm64AddMemoryCheck linear-region) below memstart: added', () => {
    registerProfile(parseProfileFile('p.yaml', 'id: v6.18-linear-region\nbase: v6.18\nswitches:\n  arm64AddMemoryCheck: linear-region\n  hotplugRangeCheck: addressable\n'));
    const r = run(`
arch: riscv64
kernel: v6.18-linear-region
nodes:
  - { id: 0, memory: [ { start: 2G, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 1G, size: 128M }
`);
    expect(r.machine.k.boot.memstart).toBe(2 ** 31);
    expect(stepOf(r, 2)).toMatchObject({ ok: true, errno: null, dmesg: [] });
    expect(r.machine.k.s.sections.coverage(8, 9)).toBe(1);
  });
});

describe('arm64 v5.10 arch_add_memory(): inside_linear_region()', () => {
  /*
   * arch/arm64/mm/mmu.c (v5.10) inside_linear_region(start, size): start >=
   * __pa(_PAGE_OFFSET(vabits_actual)) && start + size - 1 <= __pa(PAGE_END - 1); else
   * pr_err("[%llx %llx] is outside linear mapping region\n", start, start + size), -EINVAL,
   * before __create_pgd_mapping(). 4K pages, VA_BITS 48, RAM from 1 GiB: memstart_addr = 1 GiB
   * (ARM64_MEMSTART_ALIGN = 1 << max(PUD_SHIFT 30, SECTION_SIZE_BITS 30)), so the linear region
   * holds [1 GiB, 1 GiB + 2^47 - 1]. Memory blocks are sections, 1 GiB. v5.10 has no
   * mhp_range_allowed(): the check is reached.
   *   [0, 1 GiB): starts below 1 GiB: "[0 40000000]", -EINVAL;
   *   [2^47, 2^47 + 2 GiB): last byte 2^47 + 2 GiB - 1 > 2^47 + 1 GiB - 1: "[800000000000
   *   800080000000]", -EINVAL;
   *   [2^47, 2^47 + 1 GiB): last byte exactly 1 GiB + 2^47 - 1: allowed (<=), block 131072
   *   (2^47 / 1 GiB) added offline.
   */
  it('below memstart_addr and past the linear region: the pr_err and -EINVAL; up to its last byte: added', () => {
    const r = run(`
arch: arm64
kernel: v5.10
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 0, size: 1G }
  - hot-add: { node: 0, start: 0x800000000000, size: 2G }
  - hot-add: { node: 0, start: 0x800000000000, size: 1G }
`);
    const site = 'arch/arm64/mm/mmu.c:arch_add_memory';
    expect([2, 3, 4].map((i) => stepOf(r, i).errno)).toEqual(['EINVAL', 'EINVAL', null]);
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([[3, site, '[0 40000000] is outside linear mapping region\n']]);
    expect(stepOf(r, 3).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([[3, site, '[800000000000 800080000000] is outside linear mapping region\n']]);
    expect(stepOf(r, 4).dmesg).toEqual([]);
    expect([...r.machine.k.s.blocks.overlaps(0, 2 ** 20)].map((s) => [s.start, s.end, s.v.state])).toEqual([[1, 5, 'online'], [131072, 131073, 'offline']]);
  });

  /*
   * The start bound is inclusive. RAM from 1.5 GiB still gives memstart_addr = round_down(1.5
   * GiB, 1 GiB) = 1 GiB; a pmem region at [1 GiB, 1.25 GiB) (no System RAM there, so
   * pagemap_range()'s region_intersects() is REGION_DISJOINT) starts exactly at the
   * linear region's start: memremap_pages() -> arch_add_memory() passes and the whole
   * region's 256 MiB / 2 MiB = 128 sub-sections (128 x 512 = 65,536 pfns from pfn 0x40000)
   * are added.
   */
  it('a namespace starting exactly at memstart_addr is inside', () => {
    const r = run(`
arch: arm64
kernel: v5.10
nodes:
  - { id: 0, memory: [ { start: 1536M, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 1G, size: 256M }
steps:
  - boot
  - create-namespace: { device: pmem0 }
`);
    expect(r.machine.k.boot.memstart).toBe(2 ** 30);
    expect(stepOf(r, 2)).toMatchObject({ ok: true, errno: null });
    expect(stepOf(r, 2).dmesg.filter((m) => m.site === 'arch/arm64/mm/mmu.c:arch_add_memory')).toEqual([]);
    expect(r.machine.k.s.subsections.coverage(0x40000, 0x50000)).toBe(0x10000);
  });
});

describe('x86 add_pages(): WARN_ON_ONCE(ret)', () => {
  /*
   * arch/x86/mm/init_64.c add_pages() (v5.3..v7.1): ret = __add_pages(...); WARN_ON_ONCE(ret):
   * one splat per boot however many adds fail. x86 4K fsdax namespaces, one 2 MiB PMD of memmap
   * per 128 MiB section from the altmap. Altmap allocation 1 fails: pmem0's first section,
   * -ENOMEM, the WARN (cut here, WARNING at add_pages), then drivers/base/dd.c
   * call_driver_probe()'s "probe with driver nd_pmem failed with error -12". Allocation 3 fails:
   * pmem1's second section (its first took allocation 2), -ENOMEM again, and no add_pages()
   * splat this time; memunmap_pages()' WARN_ONCE(altmap.alloc, "failed to free all reserved
   * pages") fires for the 512 pages its first section keeps.
   */
  it('x86 v6.18: two namespaces failing in __add_pages(): the WARN only for the first', () => {
    const r = run(`${x86('v6.18', 'faults: [ { alloc: altmap, nth: 1 }, { alloc: altmap, nth: 3 } ]')}devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 64G, size: 256M }
  - { name: pmem1, type: nvdimm, node: 0, start: 128G, size: 256M }
steps:
  - boot
  - create-namespace: { device: pmem0 }
  - create-namespace: { device: pmem1 }
`);
    expect([stepOf(r, 2).errno, stepOf(r, 3).errno]).toEqual(['ENOMEM', 'ENOMEM']);
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [4, 'arch/x86/mm/init_64.c:add_pages', '------------[ cut here ]------------\n'],
      [4, 'arch/x86/mm/init_64.c:add_pages', 'WARNING: at arch/x86/mm/init_64.c add_pages\n'],
      [3, 'drivers/base/dd.c:call_driver_probe', 'nd_pmem pfn0.0: probe with driver nd_pmem failed with error -12\n'],
    ]);
    expect(stepOf(r, 3).dmesg.filter((m) => m.level <= 4).map((m) => [m.level, m.site, m.text])).toEqual([
      [4, 'mm/memremap.c:memunmap_pages', '------------[ cut here ]------------\n'],
      [4, 'mm/memremap.c:memunmap_pages', 'failed to free all reserved pages\n'],
      [4, 'mm/memremap.c:memunmap_pages', 'WARNING: at mm/memremap.c memunmap_pages\n'],
      [3, 'drivers/base/dd.c:call_driver_probe', 'nd_pmem pfn1.0: probe with driver nd_pmem failed with error -12\n'],
    ]);
  });
});

describe('loongarch arch_add_memory(): the pr_warn when __add_pages() fails', () => {
  /*
   * arch/loongarch/mm/init.c arch_add_memory() (v6.2..v7.1): ret = __add_pages(...); if (ret)
   * pr_warn("%s: Problem encountered in __add_pages() as ret=%d\n", __func__, ret). loongarch64
   * 16K pages, 3 levels: a 512 MiB memory block = one section; PMD_SIZE = 2048 x 16 KiB =
   * 32 MiB, an order-11 block. The first buddy allocation (that PMD block) is refused:
   * vmemmap_alloc_block()'s warn_alloc("vmemmap alloc failure: order:11", GFP_KERNEL |
   * __GFP_RETRY_MAYFAIL = 0x4cc0), once per boot (static "warned"), and
   * vmemmap_populate_hugepages() falls back to base pages; the second (the first base page) is
   * refused too: -ENOMEM (-12) from __add_pages(), the pr_warn with ret=-12. Without faults the
   * same hot-add succeeds silently: the pr_warn is only for a failure.
   */
  const la = (faults: string) => run(`
arch: loongarch64
kernel: v6.18
${faults}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 512M }
`);
  it('loongarch64 v6.18: -ENOMEM prints it; a successful hot-add does not', () => {
    const bad = la('faults: [ { alloc: buddy, nth: 1 }, { alloc: buddy, nth: 2 } ]');
    expect(stepOf(bad, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(stepOf(bad, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [4, 'mm/sparse-vmemmap.c:vmemmap_alloc_block', '<comm>: vmemmap alloc failure: order:11, mode:0x4cc0(GFP_KERNEL|__GFP_RETRY_MAYFAIL), nodemask=(null)\n'],
      [4, 'arch/loongarch/mm/init.c:arch_add_memory', 'arch_add_memory: Problem encountered in __add_pages() as ret=-12\n'],
    ]);
    const good = la('');
    expect(stepOf(good, 2)).toMatchObject({ ok: true, errno: null, dmesg: [] });
  });

  /*
   * arch/arm64/mm/mmu.c arch_add_memory() (v6.18) has no such pr_warn: on __add_pages()'s
   * failure it only removes the linear map again. arm64 4K: the PMD block is 2 MiB, order 9;
   * the same two refusals: warn_alloc, -ENOMEM, nothing else.
   */
  it('arm64 v6.18: the same failure prints only warn_alloc', () => {
    const r = run(`
arch: arm64
kernel: v6.18
faults: [ { alloc: buddy, nth: 1 }, { alloc: buddy, nth: 2 } ]
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 128M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [4, 'mm/sparse-vmemmap.c:vmemmap_alloc_block', '<comm>: vmemmap alloc failure: order:9, mode:0x4cc0(GFP_KERNEL|__GFP_RETRY_MAYFAIL), nodemask=(null)\n'],
    ]);
  });
});

describe('s390 vmem_add_mapping(): the range starts at 0, inclusive', () => {
  /*
   * arch/s390/mm/vmem.c vmem_add_mapping() (v5.15..v7.1): -ERANGE if start < range.start ||
   * start + size > range.end + 1, range = arch_get_mappable_range() = [0, max_mappable - 1].
   * A start of 0 is inside. The model lets node memory start above 0 (1 GiB here), so a pmem
   * region can sit at physical 0: s390 v6.18 has ZONE_DEVICE, a devdax namespace over
   * [0, 256 MiB) goes through arch_add_memory() -> vmem_add_mapping() and __add_pages(): all
   * of its sub-sections are added, 256 MiB / 4 KiB = 65,536 pfns.
   */
  it('s390x v6.18: a devdax namespace at physical 0 is added', () => {
    const r = run(`
arch: s390x
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0, size: 256M }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: true, errno: null });
    expect(r.machine.k.s.subsections.coverage(0, 0x10000)).toBe(0x10000);
  });
});

describe('sclp_add_standby_memory(): a request that is not whole blocks is one add_memory() call', () => {
  /*
   * The model's s390 hot-add (sclp_add_standby_memory) runs whole memory blocks as runs of
   * add_memory() calls; anything else, an empty range included, is passed to a single
   * add_memory(), which answers as mm/memory_hotplug.c does: register_memory_resource() ->
   * mhp_range_allowed() (v5.11..v7.1) refuses start == end with the pr_warn and -E2BIG. The
   * hot-add step never asks for 0 bytes (the scenario parser refuses a zero size), so called
   * directly: s390 v6.18, 0 bytes at 16 GiB; mappable range [0, max(ident_map_size 4 GiB,
   * MAX_DCSS_ADDR 512 GiB) - 1] = [0x0-0x7fffffffff].
   */
  it('s390x v6.18: 0 bytes: add_memory()\'s -E2BIG and pr_warn', () => {
    const k = setup_machine(`
arch: s390x
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
`).k;
    const from = k.s.log.length;
    expect(sclp_add_standby_memory(k, 0, 16 * 2 ** 30, 0)).toBe(E2BIG);
    expect(logFrom(k, from)).toEqual([[4, 'mm/memory_hotplug.c:mhp_range_allowed',
      'Hotplug memory [0x400000000-0x400000000] exceeds maximum addressable range [0x0-0x7fffffffff]\n']]);
  });
});

describe('s390 standby memory before v6.9: no MHP_MEMMAP_ON_MEMORY', () => {
  /*
   * drivers/s390/char/sclp_cmd.c add_memory_merged() (v5.6..v6.8) calls add_memory(0, start,
   * size, MHP_NONE): the memmap goes to RAM whatever memory_hotplug.memmap_on_memory says.
   * v6.9..v6.18 (sclp_mem.c) pass MHP_MEMMAP_ON_MEMORY when the CPU has EDAT-1. A profile file
   * gives v6.18 (where s390 supports memmap_on_memory) the v5.6 sclp: with EDAT-1 and
   * memory_hotplug.memmap_on_memory=1, two 128 MiB standby blocks at 16 GiB (blocks 128, 129)
   * are added with no self-hosted pages; the built-in v6.18 hosts each block's 128M / 4K x 64 B
   * = 2 MiB = 512 pages of memmap in the block itself.
   */
  const yaml = (kernel: string) => `
arch: s390x
kernel: ${kernel}
config: { edat1: true }
cmdline: "memory_hotplug.memmap_on_memory=1"
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 256M }
`;
  it('s390x (profile file: v6.18 + s390Standby v5.6): the memmap in RAM; v6.18: in the blocks', () => {
    registerProfile(parseProfileFile('p.yaml', 'id: v6.18-sclp-v5.6\nbase: v6.18\nswitches:\n  s390Standby: v5.6\n'));
    const blocks = (kernel: string) => {
      const r = run(yaml(kernel));
      expect(stepOf(r, 2)).toMatchObject({ ok: true, errno: null });
      return [...r.machine.k.s.blocks.overlaps(120, 140)].map((s) => [s.start, s.end, s.v.vmemmapPages]);
    };
    expect(blocks('v6.18-sclp-v5.6')).toEqual([[128, 130, 0]]);
    expect(blocks('v6.18')).toEqual([[128, 130, 512]]);
  });
});

describe('register_memory_resource() inside a pmem region split by System RAM', () => {
  /*
   * kernel/resource.c __request_region_locked() (v5.6..v7.1): a request wholly inside a
   * non-busy resource (the e820 "Persistent Memory" range, no namespace claimed) becomes its
   * child; one that sticks out of it conflicts (-EBUSY, register_memory_resource(): -EEXIST and
   * the pr_debug "Unable to reserve System RAM region: %016llx->%016llx"). Children do not split
   * their parent: pmem0 = [16G, 17G) stays one resource whatever RAM nests in it.
   * x86 v6.18, 128 MiB blocks, memory left offline (no memhp_default_state):
   *   2: [16.5G, 16.75G) inside pmem0: added;
   *   3: [16G, 16.25G) inside pmem0 (below that RAM): added;
   *   4: [16.75G, 17G) inside pmem0 (above it): added;
   *   5: [17.75G, 18.25G) starts below pmem1 = [18G, 19G): -EEXIST, though [16G, 19G) would
   *      hold it (pmem0 and pmem1 are two resources).
   */
  it('x86 v6.18: RAM below and above nested RAM is inside the region; a range across two regions is not', () => {
    const r = run(`${x86('v6.18')}devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 1G }
  - { name: pmem1, type: nvdimm, node: 0, start: 18G, size: 1G }
steps:
  - boot
  - hot-add: { node: 0, start: 0x420000000, size: 256M }
  - hot-add: { node: 0, start: 16G, size: 256M }
  - hot-add: { node: 0, start: 0x430000000, size: 256M }
  - hot-add: { node: 0, start: 0x470000000, size: 512M }
`);
    expect([2, 3, 4, 5].map((i) => stepOf(r, i).errno)).toEqual([null, null, null, 'EEXIST']);
    expect(stepOf(r, 5).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [7, 'kernel/resource.c:register_memory_resource', 'Unable to reserve System RAM region: 0000000470000000->0000000490000000\n'],
    ]);
  });

  /*
   * Boot RAM that the firmware lists inside a pmem range (the model keeps both; init.ts) splits
   * pmem0's resource in the model's flat map too. Once that RAM is offlined and removed,
   * [16.25G, 16.75G) lies inside pmem0 = [16G, 17G) (kernel/resource.c: inside the non-busy
   * resource, no busy child there any more): the hot-add nests in it and succeeds, though it
   * overlaps only pmem0's part above the hole.
   */
  it('x86 v6.18: a range across the hole boot RAM left inside pmem0 is inside pmem0', () => {
    const r = run(`
arch: x86_64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G }, { start: 0x410000000, size: 256M } ] }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 1G } ]
steps:
  - boot
  - offline: { start: 0x410000000, size: 256M }
  - hot-remove: { start: 0x410000000, size: 256M }
  - hot-add: { node: 0, start: 0x410000000, size: 512M }
`);
    expect([2, 3, 4].map((i) => stepOf(r, i).errno)).toEqual([null, null, null]);
    expect([...r.machine.k.s.blocks.overlaps(130, 134)].map((s) => [s.start, s.end, s.v.early])).toEqual([[130, 134, false]]);
  });

  /*
   * The extent of pmem0 is its own: a device may be named like anything else in the map (here
   * "hotplug"), and hot-added System RAM elsewhere (at 20 GiB) is no part of it. [16.75G,
   * 17.25G) sticks out of the region [16G, 17G): -EEXIST.
   */
  it('x86 v6.18: a region named "hotplug" does not reach over hot-added RAM', () => {
    const r = run(`${x86('v6.18')}devices:
  - { name: hotplug, type: nvdimm, node: 0, start: 16G, size: 1G }
steps:
  - boot
  - hot-add: { node: 0, start: 20G, size: 256M }
  - hot-add: { node: 0, start: 0x430000000, size: 512M }
`);
    expect([2, 3].map((i) => stepOf(r, i).errno)).toEqual([null, 'EEXIST']);
  });

  /*
   * MODEL BUG (fixed): hot-remove freed the pmem region's part under the RAM. try_remove_memory()
   * -> kernel/resource.c release_mem_region_adjustable() (6.1.20, 7.1.5) descends into the
   * non-busy parent and frees only the busy System RAM child; pmem0 stays [16G, 17G). So after
   * adding and removing [16G, 16.25G), [16G, 16.5G) is again wholly inside pmem0: added (the
   * model used to answer -EEXIST, the range sticking out of what was left of pmem0). And
   * [16.75G, 17.25G) still sticks out of pmem0's end: -EEXIST.
   */
  it('x86 v6.18: after hot-remove of RAM nested in pmem0, pmem0 is whole again', () => {
    const r = run(`${x86('v6.18')}devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 1G }
steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 256M }
  - hot-remove: { start: 16G, size: 256M }
  - hot-add: { node: 0, start: 16G, size: 512M }
  - hot-add: { node: 0, start: 0x430000000, size: 512M }
`);
    expect([2, 3, 4, 5].map((i) => stepOf(r, i).errno)).toEqual([null, null, null, 'EEXIST']);
    const k = r.machine.k;
    expect([...k.s.iomem].filter((x) => x.start >= 16 * 2 ** 30).map((x) => [x.start, x.end, x.v.kind, x.v.owner])).toEqual([
      [16 * 2 ** 30, 16.5 * 2 ** 30, 'System RAM', 'hotplug'],
      [16.5 * 2 ** 30, 17 * 2 ** 30, 'Persistent Memory', 'pmem0'],
    ]);
  });
});

describe('check_hotplug_memory_range(): a range that is not whole memory blocks', () => {
  /*
   * mm/memory_hotplug.c check_hotplug_memory_range() (v5.6..v7.1): !size or start / size not
   * aligned to memory_block_size_bytes() -> pr_err("Block size [%#lx] unaligned hotplug
   * range: start %#llx, size %#llx", ...) (no newline in the format) and -EINVAL. x86 v6.18,
   * 4 GiB of RAM: 128 MiB blocks; 64 MiB at 16 GiB.
   */
  it('x86 v6.18 hot-add of 64 MiB: the pr_err, -EINVAL', () => {
    const r = run(`${x86('v6.18')}steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 64M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([[3, 'mm/memory_hotplug.c:check_hotplug_memory_range',
      'Block size [0x8000000] unaligned hotplug range: start 0x400000000, size 0x4000000']]);
  });
});

describe('mhp_supports_memmap_on_memory(): more refusals, in the kernel\'s order', () => {
  const M = 2 ** 20;
  const box = (arch: string, kernel: string, extra: string, start = '0') => setup_machine(`
arch: ${arch}
kernel: ${kernel}
${extra}
nodes:
  - { id: 0, memory: [ { start: ${start}, size: 4G } ] }
`).k;
  /*
   * Without ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE there is no MHP_MEMMAP_ON_MEMORY: s390 selects it
   * from v6.9 (arch/s390/Kconfig), so v6.6 refuses even with the parameter set.
   */
  it('s390x v6.6: the arch does not offer it', () => {
    const k = box('s390x', 'v6.6', 'cmdline: "memory_hotplug.memmap_on_memory=1"');
    expect(memmapOnMemoryRefusal(k, k.boot.memoryBlockSize)).toBe('s390x does not select ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE in v6.6 (v6.9)');
  });

  /*
   * v5.15 mhp_supports_memmap_on_memory(): memmap_on_memory && !hugetlb_free_vmemmap_enabled
   * && ... (the two were exclusive until v5.16). 5.15 frees HugeTLB vmemmap only on x86_64
   * (ARCH_WANT_HUGETLB_PAGE_FREE_VMEMMAP): with both parameters x86 refuses; arm64 4K (128 MiB
   * block, 2 MiB = PMD_SIZE of memmap, 126 MiB left, a multiple of the 2 MiB pageblock) is
   * supported.
   */
  it('v5.15 with hugetlb_free_vmemmap=on: x86_64 refuses, arm64 (no HVO in 5.15) does not', () => {
    const cmd = 'cmdline: "memory_hotplug.memmap_on_memory=1 hugetlb_free_vmemmap=on"';
    expect(memmapOnMemoryRefusal(box('x86_64', 'v5.15', cmd), 128 * M)).toBe('hugetlb_free_vmemmap is on (this version allows only one of the two)');
    expect(memmapOnMemoryRefusal(box('arm64', 'v5.15', cmd, '1G'), 128 * M)).toBe(null);
  });

  /* v6.1 (the v5.13 rule): size == memory_block_size_bytes(); 256 MiB is two 128 MiB blocks. */
  it('x86 v6.1: a two-block request', () => {
    const k = box('x86_64', 'v6.1', 'cmdline: "memory_hotplug.memmap_on_memory=1"');
    expect(memmapOnMemoryRefusal(k, 256 * M)).toBe('the request is 2 memory blocks; this version supports exactly one (128 MiB)');
  });

  /*
   * v6.18 mhp_supports_memmap_on_memory(): pageblock_aligned(memory_block_memmap_on_memory_pages())
   * next, then memmap_pages != the block's pages, then arch_supports_memmap_on_memory()
   * (default: IS_ALIGNED(memory_block_memmap_size(), PMD_SIZE)). arm64 16K: 128 MiB blocks
   * (SECTION_SIZE_BITS 27), memmap 128M / 16K x 64 B = 512 KiB = 32 pages; pageblock = PMD =
   * 32 MiB = 2048 pages: not a multiple. With =force, memory_block_memmap_on_memory_pages() is
   * pageblock_align(32) = 2048 pages (of 8192): on to the arch check, 512 KiB not a multiple of
   * 32 MiB. arm64 64K: 512 MiB blocks (SECTION_SIZE_BITS 29) of 8192 pages, memmap 512 KiB =
   * 8 pages, pageblock 8192 pages: =force pads it to the whole block.
   */
  it('arm64 v6.18 16K and 64K: pageblock, whole block, PMD', () => {
    const a16 = (mode: string) => box('arm64', 'v6.18', `config: { pageSize: 16K }\ncmdline: "memory_hotplug.memmap_on_memory=${mode}"`, '1G');
    expect(memmapOnMemoryRefusal(a16('1'), 128 * M)).toBe('the block\'s memmap is 32 page(s), not a multiple of a pageblock (2048 pages); memory_hotplug.memmap_on_memory=force pads it to whole pageblocks');
    expect(memmapOnMemoryRefusal(a16('force'), 128 * M)).toBe('the block\'s memmap (512 KiB) is not PMD-aligned (arch_supports_memmap_on_memory: 32 MiB)');
    const k = box('arm64', 'v6.18', 'config: { pageSize: 64K }\ncmdline: "memory_hotplug.memmap_on_memory=force"', '1G');
    expect(k.boot.memoryBlockSize).toBe(512 * M);
    expect(memmapOnMemoryRefusal(k, 512 * M)).toBe('the memmap would fill the whole block (force padding to a pageblock as large as the block)');
  });
});

describe('create_altmaps_and_memory_blocks(): what a failure removes and what it leaves', () => {
  /*
   * mm/memory_hotplug.c create_altmaps_and_memory_blocks() (v6.8..v7.1): per memory block an
   * altmap and arch_add_memory(); on a failure the altmap is kfree()d and "out:" calls
   * remove_memory_blocks_and_altmaps(start, cur_start - start): only the blocks of this request
   * before the failing one. x86 v6.18, memmap_on_memory=1, 128 MiB blocks, one 2 MiB PMD of
   * memmap per block from its own altmap. Step 2 adds blocks 132..134 (altmap allocations
   * 1..3). Step 3 asks for blocks 128..131: 128 and 129 take allocations 4 and 5, block 130's
   * (allocation 6) fails: -ENOMEM, x86 add_pages()' WARN_ON_ONCE; 128 and 129 are removed;
   * blocks 132..134 of step 2 stay, self-hosted (512 pages each).
   */
  it('x86 v6.18: the blocks of an earlier hot-add above the request stay', () => {
    const r = run(`${x86('v6.18', 'cmdline: "memory_hotplug.memmap_on_memory=1"\nfaults: [ { alloc: altmap, nth: 6 } ]')}steps:
  - boot
  - hot-add: { node: 0, start: 0x420000000, size: 384M }
  - hot-add: { node: 0, start: 16G, size: 512M }
`);
    expect([stepOf(r, 2).errno, stepOf(r, 3).errno]).toEqual([null, 'ENOMEM']);
    const k = r.machine.k;
    expect([...k.s.blocks.overlaps(120, 140)].map((s) => [s.start, s.end, s.v.state, s.v.vmemmapPages])).toEqual([[132, 135, 'offline', 512]]);
    expect([k.s.sections.coverage(128, 132), k.s.sections.coverage(132, 135)]).toEqual([0, 3]);
    expect(k.s.anomalies).toEqual([]);
  });

  /*
   * x86 with 64 GiB of boot RAM: probe_memory_block_size() picks 2 GiB blocks (16 sections).
   * Each block's memmap, 2G / 4K x 64 B = 32 MiB, is 16 PMDs from its own altmap, one per
   * section. Hot-add of 4 GiB at 128 GiB (blocks 64, 65): allocation 19 fails, block 65's third
   * section. __add_pages() stops there with no rollback: block 65's first two sections stay
   * populated; block 64 (done) is removed; the altmap is freed. What is left is block 65's
   * [0x2080000000, 0x2100000000) with 2 sections = 128 sub-sections (2 MiB) in it.
   */
  it('x86 v6.18, 2 GiB blocks: the failing block\'s first sections are left behind', () => {
    const r = run(`
arch: x86_64
kernel: v6.18
cmdline: "memory_hotplug.memmap_on_memory=1"
faults: [ { alloc: altmap, nth: 19 } ]
nodes:
  - { id: 0, memory: [ { start: 0, size: 64G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 128G, size: 4G }
`);
    const k = r.machine.k;
    expect(k.boot.memoryBlockSize).toBe(2 ** 31);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect([...k.s.blocks.overlaps(64, 66)]).toEqual([]);
    expect([k.s.sections.coverage(1024, 1040), k.s.sections.coverage(1040, 1056)]).toEqual([0, 2]);
    expect([...k.s.altmaps.keys()]).toEqual([]);
    expect(k.s.anomalies.map((a) => [a.step, a.site, a.text])).toEqual([[2, 'mm/memory_hotplug.c:create_altmaps_and_memory_blocks',
      'arch_add_memory() failed and nothing undoes it: 128 sub-sections (2 sections) of [0x2080000000, 0x2100000000) stay populated with their memmap, owned by nothing']]);
  });
});

describe('add_memory_resource(): a failure removes the range from memblock again', () => {
  /*
   * mm/memory_hotplug.c add_memory_resource() (v5.9..v7.1): memblock_add_node() only with
   * CONFIG_ARCH_KEEP_MEMBLOCK (arm64), and on the "error:" path memblock_remove(start, size).
   * arm64 4K v6.18: hot-add of 128 MiB at 16 GiB whose vmemmap PMD and base-page fallback are
   * both refused (injected): -ENOMEM, and memblock.memory holds only the boot RAM
   * [1G, 5G) again. Without the faults the block stays in memblock.
   */
  const yaml = (faults: string) => `
arch: arm64
kernel: v6.18
${faults}
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 128M }
`;
  it('arm64 v6.18: -ENOMEM leaves memblock as it was; a successful add keeps the range', () => {
    const G = 2 ** 30;
    const bad = run(yaml('faults: [ { alloc: buddy, nth: 1 }, { alloc: buddy, nth: 2 } ]'));
    expect(stepOf(bad, 2).errno).toBe('ENOMEM');
    expect([...bad.machine.k.s.memblockMemory].map((m) => [m.start, m.end])).toEqual([[G, 5 * G]]);
    const good = run(yaml(''));
    expect(stepOf(good, 2).errno).toBe(null);
    expect([...good.machine.k.s.memblockMemory].map((m) => [m.start, m.end])).toEqual([[G, 5 * G], [16 * G, 16 * G + 2 ** 27]]);
  });
});

describe('v6.6 memmap_on_memory: one altmap for the one block, unwound by add_memory_resource()', () => {
  /*
   * mm/memory_hotplug.c add_memory_resource() (v6.6, v6.7): with MHP_MEMMAP_ON_MEMORY and
   * mhp_supports_memmap_on_memory(size) (size == one block) it sets up params.altmap itself and
   * calls arch_add_memory(); a failure goes to error_free / error in add_memory_resource()
   * (create_altmaps_and_memory_blocks() arrived in v6.8). x86, 64 GiB of boot RAM: 2 GiB blocks,
   * 32 MiB of memmap each = 16 PMDs, one per section. Altmap allocation 3 fails: the block's
   * third section; its first two stay populated (__add_pages() has no rollback), reported at
   * add_memory_resource: [128G, 130G) = [0x2000000000, 0x2080000000), 2 sections = 128
   * sub-sections.
   */
  it('x86 v6.6, 2 GiB block: the failure is add_memory_resource()\'s', () => {
    const r = run(`
arch: x86_64
kernel: v6.6
cmdline: "memory_hotplug.memmap_on_memory=1"
faults: [ { alloc: altmap, nth: 3 } ]
nodes:
  - { id: 0, memory: [ { start: 0, size: 64G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 128G, size: 2G }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(r.machine.k.s.anomalies.map((a) => [a.step, a.site, a.text])).toEqual([[2, 'mm/memory_hotplug.c:add_memory_resource',
      'arch_add_memory() failed and nothing undoes it: 128 sub-sections (2 sections) of [0x2000000000, 0x2080000000) stay populated with their memmap, owned by nothing']]);
  });
});

describe('add_memory_resource(): which requests get an altmap, and the resource names', () => {
  /*
   * v6.6 add_memory_resource(): an altmap only when the caller passes MHP_MEMMAP_ON_MEMORY and
   * mhp_supports_memmap_on_memory(size). x86 v6.6, memory_hotplug.memmap_on_memory=1:
   *   - ACPI (acpi_memory_enable_device(), v6.6: always asks) hot-adds block 128 (16 GiB):
   *     self-hosted, 128M / 4K x 64 B = 2 MiB = 512 pages; resource "System RAM";
   *   - dax kmem (drivers/dax/kmem.c v6.6: add_memory_driver_managed(..., "System RAM (kmem)",
   *     MHP_NID_IS_MGID), no memmap_on_memory attribute before v6.8) over a 256 MiB --map=mem
   *     devdax namespace at 8 GiB: the range rounded inward to blocks is block 65 only, one
   *     block as v6.6 needs, yet no flag: memmap in RAM (0 self-hosted pages); daxctl onlines
   *     it movable. Its resource "System RAM (kmem)" nests in pmem0's "Persistent Memory".
   */
  it('x86 v6.6: ACPI asks for memmap_on_memory, dax kmem does not', () => {
    const r = run(`${x86('v6.6', 'cmdline: "memory_hotplug.memmap_on_memory=1"')}devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 8G, size: 256M }
steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 128M }
  - create-namespace: { device: pmem0, mode: devdax, map: mem }
  - reconfigure-device: { device: pmem0, mode: system-ram }
`);
    expect([2, 3, 4].map((i) => stepOf(r, i).errno)).toEqual([null, null, null]);
    const k = r.machine.k;
    expect([...k.s.blocks].filter((s) => !s.v.early).map((s) => [s.start, s.end, s.v.state, s.v.zone, s.v.vmemmapPages])).toEqual([
      [65, 66, 'online', 'Movable', 0], [128, 129, 'offline', null, 512],
    ]);
    expect([...k.s.iomem].filter((x) => x.start >= 8 * 2 ** 30).map((x) => [x.start / 2 ** 20, x.end / 2 ** 20, x.v.name, x.v.kind, x.v.owner])).toEqual([
      [8192, 8320, 'Persistent Memory', 'Persistent Memory', 'pmem0'],
      [8320, 8448, 'System RAM (kmem)', 'System RAM', 'hotplug'],
      [16384, 16512, 'System RAM', 'System RAM', 'hotplug'],
    ]);
  });

  /*
   * A kernel without memmap_on_memory (profile memmapOnMemory 'none', <= v5.10) has no altmap
   * code in add_memory_resource() at all: a profile policy that calls the request supported
   * cannot give it one. x86 v6.18 with the profile switched to 'none' and such a policy,
   * add_memory() of block 128 with the flag: added, memmap in RAM.
   */
  it('memmapOnMemory none: a supporting policy does not make a self-hosted block', () => {
    const k = setup_machine(x86('v6.18')).k;
    k.profile = { ...k.profile, memmapOnMemory: 'none', policies: { memmap_on_memory: () => null } };
    expect(add_memory(k, 0, 16 * 2 ** 30, 128 * 2 ** 20, { memmapOnMemory: true })).toBe(0);
    expect([...k.s.blocks.overlaps(128, 129)].map((s) => [s.start, s.end, s.v.vmemmapPages])).toEqual([[128, 129, 0]]);
  });
});

describe('s390 standby memory: a run of blocks (add_memory_blocks) leaves what block-by-block add_memory() leaves', () => {
  /*
   * drivers/s390/char/sclp_cmd.c / sclp_mem.c add each standby memory block with its own
   * add_memory() (v5.6..v7.1); the model runs identical blocks as one add_memory_blocks() call,
   * which must leave the state, messages and errno of the per-block calls. Here the same
   * scenario runs batched and under withoutBatching() (engine.ts: every loop one iteration at
   * a time, so every block is its own add_memory()), and the two reports and every message line
   * must agree. (test/s390-standby-runs.test.ts checks far more cases against a per-block loop
   * swapped in with vi.mock; StrykerJS does not attribute those to this module.) Hand-derived
   * anchors: s390 v6.18 memory blocks are 128 MiB sections, v5.10's 256 MiB.
   */
  const G = 2 ** 30;
  const M = 2 ** 20;
  const lines = (r: RunResult) => r.results.flatMap((x) => [`# step ${x.index}`, ...x.dmesg.flatMap((m) => renderMessage(m, Infinity).map((l) => `<${m.level}>${l}`))]);
  const both = (o: Record<string, unknown>) => {
    const a = runScenario(scenarioFromObject('runs.json', structuredClone(o)));
    const b = withoutBatching(() => runScenario(scenarioFromObject('runs.json', structuredClone(o))));
    expect(lines(a)).toEqual(lines(b));
    expect(renderJson(a)).toEqual(renderJson(b));
    return a;
  };
  const machine = (kernel: string, edat1: boolean, cmdline: string, steps: unknown[], more: Record<string, unknown> = {}) => ({
    arch: 's390x', kernel, config: { edat1 }, cmdline, faults: [],
    nodes: [{ id: 0, memory: [{ start: 0, size: 6 * G }] }], // s390x has one NUMA node
    devices: [], steps: ['boot', ...steps], ...more,
  });
  const add = (start: number, size: number) => ({ 'hot-add': { node: 0, start, size } });
  const blocks = (r: RunResult, lo: number, hi: number) => [...r.machine.k.s.blocks.overlaps(lo, hi)].map((s) => [s.start, s.end, s.v.nid, s.v.state, s.v.zone, s.v.vmemmapPages]);

  it('s390x v6.18: long hot-adds, memmap_on_memory, online to kernel and movable zones, busy overlaps', () => {
    for (const [edat1, cmdline] of [[true, 'memory_hotplug.memmap_on_memory=1 memhp_default_state=online'], [false, 'memhp_default_state=online_movable'], [true, '']] as const) {
      const r = both(machine('v6.18', edat1, cmdline, [
        add(16 * G, 10 * 256 * M),
        add(32 * G, 9 * 256 * M),
        add(16 * G + 9 * 256 * M, 4 * 256 * M), // its first block is busy: -EEXIST, nothing added
        add(16 * G - 3 * 256 * M, 4 * 256 * M), // the blocks before the busy one are added
      ]));
      expect(r.results.slice(1).map((x) => x.errno)).toEqual([null, null, 'EEXIST', 'EEXIST']);
      // 16 GiB = block 128; 10 x 256 MiB = 20 blocks; 32 GiB = block 256, 18 blocks;
      // the last request adds blocks 122..127 before meeting block 128
      const mom = edat1 && cmdline !== '' ? 512 : 0; // 128M / 4K x 64 B = 2 MiB = 512 pages in each block
      const st = cmdline === '' ? ['offline', null] : cmdline.includes('movable') ? ['online', 'Movable'] : ['online', 'Normal'];
      expect(blocks(r, 100, 300)).toEqual([[122, 148, 0, ...st, mom], [256, 274, 0, ...st, mom]]);
    }
  });

  /*
   * The point of the runs: 20 identical blocks (16 GiB, 20 x 128 MiB) are one
   * add_memory_blocks() call and one section_activate() of 20 x 32,768 pfns in the trace,
   * offline, onlined to ZONE_NORMAL (node 0 has plenty free) or movable, with or without
   * memmap_on_memory; anything unusual() would split the run.
   */
  it('s390x v6.18: a clean run of 20 blocks is one section activation', () => {
    for (const cmdline of ['', 'memhp_default_state=online', 'memory_hotplug.memmap_on_memory=1 memhp_default_state=online_movable']) {
      const r = both(machine('v6.18', true, cmdline, [add(16 * G, 10 * 256 * M)]));
      const act = r.machine.k.s.trace.filter((e) => e.t === 'section' && e.op === 'activate');
      expect(act, cmdline).toEqual([{ t: 'section', op: 'activate', pfn: 16 * G / 4096, nr: 20 * 32768, nid: 0 }]);
    }
  });

  it('s390x v6.18: RAM nearly full, onlined to the kernel zone block after block', () => {
    // block i's onlining gives the node free pages before block i + 1 allocates its memmap
    for (const edat1 of [false, true]) {
      for (const used of [0.97, 0.999, 0.99999]) {
        const o = machine('v6.18', edat1, 'memhp_default_state=online', [add(16 * G, 64 * 256 * M), add(48 * G, 32 * 256 * M), add(80 * G, 16 * 256 * M)]);
        (o.nodes as { used?: number }[])[0]!.used = Math.floor(used * 6 * G / 4096) * 4096;
        both(o);
      }
    }
  });

  it('s390x: runs that reach the end of the pluggable range (v5.10: vmem_add_mapping(); v6.18: mhp_range_allowed())', () => {
    // v5.10: VMEM_MAX_PHYS = vmemmap = 0x3d080000000; 256 MiB blocks: 5 added, then -ERANGE
    const old = both(machine('v5.10', false, '', [add(0x3d080000000 - 5 * 256 * M, 12 * 256 * M)]));
    expect(old.results[1]!.errno).toBe('ERANGE');
    expect(old.machine.k.s.blocks.coverage(15600, 15700)).toBe(5);
    // v6.18, 6 GiB of RAM: max_mappable = max(ident_map_size, MAX_DCSS_ADDR 512 GiB); 128 MiB
    // blocks: the 10 below 512 GiB added, then -E2BIG with mhp_range_allowed()'s pr_warn
    const r = both(machine('v6.18', true, '', [add(512 * G - 10 * 128 * M, 24 * 128 * M)]));
    expect(r.results[1]!.errno).toBe('E2BIG');
    expect(r.machine.k.s.blocks.coverage(4000, 4200)).toBe(10);
  });

  it('s390x v6.18: a claimed namespace in the middle of a standby range', () => {
    // pmem0's fsdax namespace claims [20G, 21G): blocks 128..159 are added, block 160 is busy
    const r = both(machine('v6.18', true, 'memory_hotplug.memmap_on_memory=1', [
      { 'create-namespace': { device: 'pmem0', mode: 'fsdax' } },
      add(16 * G, 8 * G),
    ], { devices: [{ name: 'pmem0', type: 'nvdimm', node: 0, start: 20 * G, size: G }] }));
    expect(r.results.slice(1).map((x) => x.errno)).toEqual([null, 'EEXIST']);
    expect(blocks(r, 100, 300)).toEqual([[128, 160, 0, 'offline', null, 512]]);
  });

  it('s390x v6.18: a raw namespace (claimed, no memmap) in the middle of a standby range', () => {
    // a raw namespace claims [20G, 21G) with no sections of its own: only
    // register_memory_resource() stops the blocks there (-EEXIST at block 160)
    const r = both(machine('v6.18', false, '', [
      { 'create-namespace': { device: 'pmem0', mode: 'raw' } },
      add(16 * G, 8 * G),
    ], { devices: [{ name: 'pmem0', type: 'nvdimm', node: 0, start: 20 * G, size: G }] }));
    expect(r.results.slice(1).map((x) => x.errno)).toEqual([null, 'EEXIST']);
    expect(blocks(r, 100, 300)).toEqual([[128, 160, 0, 'offline', null, 0]]);
  });

  it('s390x v6.18 without EDAT-1: sclp asks for no memmap_on_memory even with the parameter on', () => {
    // sclp_mem.c (v6.9..v6.18): MHP_MEMMAP_ON_MEMORY only when the CPU has EDAT-1
    const r = both(machine('v6.18', false, 'memory_hotplug.memmap_on_memory=1', [add(16 * G, 10 * 256 * M)]));
    expect(blocks(r, 100, 300)).toEqual([[128, 148, 0, 'offline', null, 0]]);
  });

  it('s390x (profile file: v6.18 + memmapOnMemory v6.6): each block its own altmap, as block-by-block calls', () => {
    // v6.6's add_memory_resource() gives a one-block request its own altmap; a profile file puts
    // that rule under v6.18's EDAT-1 sclp: every 128 MiB block hosts its 512 pages of memmap
    registerProfile(parseProfileFile('p.yaml', 'id: v6.18-mom-v6.6\nbase: v6.18\nswitches:\n  memmapOnMemory: v6.6\n'));
    const r = both(machine('v6.18-mom-v6.6', true, 'memory_hotplug.memmap_on_memory=1', [add(16 * G, 10 * 256 * M)]));
    expect(blocks(r, 100, 300)).toEqual([[128, 148, 0, 'offline', null, 512]]);
  });
});

describe('online_pages(): which function writes the struct pages, by release', () => {
  /*
   * Onlining a memory block initialises every struct page of it: move_pfn_range_to_zone() ->
   * memmap_init_zone() in mm/page_alloc.c up to v5.10, memmap_init_range() from v5.11 (renamed),
   * in mm/mm_init.c from v6.4. Robin Murphy's sketch (robin-arm64, 64K pages, v5.6 base) maps one
   * 64 KiB page of memmap per 512 MiB PMD step: of a hot-added 1 GiB block (v5.6 base:
   * SECTION_SIZE_BITS 30) at 16 GiB (pfns 0x40000..0x4ffff, memmap 16 pages) the first mapped
   * page holds the struct pages of pfns 0x40000-0x403ff only. Onlined at once
   * (memhp_default_state=online), the write to pfn 0x40400 oopses, at VMEMMAP_START
   * 0xffffffdfffe00000 + (0x40400 - memstart pfn 0x4000) x 64 = 0xffffffe000d10000. Profile files
   * give the sketch the later releases' zoneDeviceInit.
   */
  const sc = (kernel: string) => `
arch: arm64
kernel: ${kernel}
config: { pageSize: 64K }
cmdline: "memhp_default_state=online"
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 1G }
`;
  it.each([
    ['robin-arm64', null, 'mm/page_alloc.c:memmap_init_zone'],
    ['mhc-robin-zdi-v5.11', 'v5.11', 'mm/page_alloc.c:memmap_init_range'],
    ['mhc-robin-zdi-v6.4', 'v6.4', 'mm/mm_init.c:memmap_init_range'],
  ])('%s: onlining oopses in %s', (id, zdi, site) => {
    if (zdi) registerProfile(parseProfileFile('p.yaml', `id: ${id}\ntitle: robin-arm64 with zoneDeviceInit ${zdi}\nbase: robin-arm64\nswitches:\n  zoneDeviceInit: ${zdi}\n`));
    const r = run(sc(id));
    expect(stepOf(r, 2).oops).toEqual({
      step: 2, fn: site.split(':')[1], site, va: 'ffffffe000d10000', pfn: 0x40400, access: 'write',
      what: 'online_pages() initialising the struct pages of the memory block',
    });
  });
});

describe('offline_pages() on arm64: holes, boot memory, the messages', () => {
  /*
   * arm64 4K v6.18: 128 MiB memory blocks. Boot RAM [1G, 1G + 64M) and [1G + 96M, 5G): block 8
   * = [1G, 1.125G) has a hole. mm/memory_hotplug.c offline_pages() (v5.6..v7.1, c5e79ef561b0)
   * counts System RAM with walk_system_ram_range() first: short -> "memory holes", -EINVAL,
   * before memory_notify(MEM_GOING_OFFLINE); its pr_debug("memory offlining [mem
   * %#010llx-%#010llx] failed due to %s\n"). Block 16 = [2G, 2.125G) has no hole: arch/arm64/mm/
   * mmu.c prevent_bootmem_remove_notifier() (v5.11..v7.1) finds an early section:
   * pr_warn("Boot memory [%lx %lx] offlining attempted\n", start, start + section size 128M) and
   * NOTIFY_BAD: "failed due to notifier failure", -EPERM. Two hot-added blocks at 16 GiB, onlined
   * movable and offlined: offline_pages()' pr_debug("Offlined Pages %ld\n", 32768) once per
   * block (one message repeated twice).
   */
  it('arm64 v6.18: a boot block with a hole, a boot block without, two hot-added blocks', () => {
    const r = run(`
arch: arm64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 1G, size: 64M }, { start: 0x46000000, size: 0xfa000000 } ] }
steps:
  - boot
  - offline: { start: 1G, size: 128M }
  - offline: { start: 2G, size: 128M }
  - hot-add: { node: 0, start: 16G, size: 256M }
  - online: { start: 16G, size: 256M, type: online_movable }
  - offline: { start: 16G, size: 256M }
`);
    expect([2, 3, 4, 5, 6].map((i) => stepOf(r, i).errno)).toEqual(['EINVAL', 'EPERM', null, null, null]);
    const d = (i: number) => stepOf(r, i).dmesg.map((m) => [m.level, m.site, m.text, m.run?.count ?? 1]);
    expect(d(2)).toEqual([[7, 'mm/memory_hotplug.c:offline_pages', 'memory offlining [mem 0x40000000-0x47ffffff] failed due to memory holes\n', 1]]);
    expect(d(3)).toEqual([
      [4, 'arch/arm64/mm/mmu.c:prevent_bootmem_remove_notifier', 'Boot memory [80000000 88000000] offlining attempted\n', 1],
      [7, 'mm/memory_hotplug.c:offline_pages', 'memory offlining [mem 0x80000000-0x87ffffff] failed due to notifier failure\n', 1],
    ]);
    expect(d(6)).toEqual([[7, 'mm/memory_hotplug.c:offline_pages', 'Offlined Pages 32768\n', 2]]);
    expect([...r.machine.k.s.blocks.overlaps(8, 9), ...r.machine.k.s.blocks.overlaps(16, 17)].map((s) => s.v.state)).toEqual(['online', 'online']);
  });
});

describe('offline_pages() on x86: a kernel-zone block that cannot be isolated, holes, try_remove_memory()\'s BUG', () => {
  /*
   * x86 v6.18, memory_hotplug.memmap_on_memory=1, memhp_default_state=online_kernel, node 0
   * with 4000 MiB of its 4 GiB in use. Hot-add of blocks 128, 129 (16 GiB): each hosts its 512
   * pages of memmap (128M / 4K x 64 B), the other 32,256 go to ZONE_NORMAL. 40 HugeTLB 2 MiB
   * pages (20,480 base pages) take most of that. Offlining both: offline_pages() per block
   * (memory_block_offline(): the block minus its self-hosted pages); block 128 fits in what is
   * free and goes ("Offlined Pages 32256", pr_debug since v6.6), block 129's pages cannot all be
   * migrated away: start_isolate_page_range() / has_unmovable_pages() -> -EBUSY, pr_debug
   * "memory offlining [mem %#010llx-%#010llx] failed due to failure to isolate range" for
   * [16G + 128M + 2M (its first non-memmap page), 16G + 256M - 1] (the model marks the
   * line approximate: which page fails and how is not modelled).
   * Then hot-remove of 64 MiB: try_remove_memory(): BUG_ON(check_hotplug_memory_range()) - its
   * pr_err first, then the BUG (reported as a level-0 approximate line).
   */
  it('x86 v6.18: EBUSY at the second block; the misaligned remove BUG', () => {
    const r = run(`
arch: x86_64
kernel: v6.18
cmdline: "memory_hotplug.memmap_on_memory=1 memhp_default_state=online_kernel"
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ], used: 4000M }
steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 256M }
  - hugepages: { size: 2M, count: 40, node: 0 }
  - offline: { start: 16G, size: 256M }
  - hot-remove: { start: 16G, size: 64M }
`);
    expect([2, 3, 4, 5].map((i) => stepOf(r, i).errno)).toEqual([null, null, 'EBUSY', 'EINVAL']);
    const d = (i: number) => stepOf(r, i).dmesg.map((m) => [m.level, m.site, m.text, m.approx ?? false]);
    expect(d(4)).toEqual([
      [7, 'mm/memory_hotplug.c:offline_pages', 'Offlined Pages 32256\n', false],
      [7, 'mm/memory_hotplug.c:offline_pages', 'memory offlining [mem 0x408200000-0x40fffffff] failed due to failure to isolate range\n', true],
    ]);
    expect(d(5)).toEqual([
      [3, 'mm/memory_hotplug.c:check_hotplug_memory_range', 'Block size [0x8000000] unaligned hotplug range: start 0x400000000, size 0x4000000', false],
      [0, 'mm/memory_hotplug.c:try_remove_memory', 'kernel BUG at mm/memory_hotplug.c (try_remove_memory: BUG_ON(check_hotplug_memory_range))\n', true],
    ]);
    expect([...r.machine.k.s.blocks.overlaps(128, 130)].map((s) => [s.start, s.end, s.v.state])).toEqual([[128, 129, 'offline'], [129, 130, 'online']]);
  });

  /*
   * Boot RAM [0, 2G + 64M) and [2G + 96M, 4G), 4000 MiB in use: block 16 = [2G, 2.125G) has a
   * hole. Offlining blocks 15 and 16: block 15 has no hole but its pages cannot be isolated
   * (too little free memory to migrate them): -EBUSY at block 15, before block 16's hole is
   * looked at.
   */
  it('x86 v6.18: EBUSY before a later block\'s hole', () => {
    const r = run(`
arch: x86_64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 0x84000000 }, { start: 0x86000000, size: 0x7a000000 } ], used: 3900M }
steps:
  - boot
  - offline: { start: 0x78000000, size: 256M }
`);
    expect(stepOf(r, 2).errno).toBe('EBUSY');
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [7, 'mm/memory_hotplug.c:offline_pages', 'memory offlining [mem 0x78000000-0x7fffffff] failed due to failure to isolate range\n'],
    ]);
  });

  /*
   * walk_system_ram_range() counts only System RAM: boot RAM [0, 2G + 64M) and pmem0's
   * "Persistent Memory" [2G + 64M, 2G + 128M) share block 16; offlining it is "memory holes",
   * -EINVAL, though no byte of the block is without a resource.
   */
  it('x86 v6.18: a block half RAM, half pmem region has a hole', () => {
    const r = run(`
arch: x86_64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 0x84000000 } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x84000000, size: 0x4000000 }
steps:
  - boot
  - offline: { start: 2G, size: 128M }
`);
    expect(stepOf(r, 2).errno).toBe('EINVAL');
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [7, 'mm/memory_hotplug.c:offline_pages', 'memory offlining [mem 0x80000000-0x87ffffff] failed due to memory holes\n'],
    ]);
  });
});

describe('try_remove_memory(): memblock_remove() follows memblock_add_node()', () => {
  /*
   * MODEL BUG (fixed): v5.6 (read in 5.6.4) add_memory_resource() calls memblock_add_node()
   * and try_remove_memory() memblock_free() + memblock_remove() on every arch; from v5.8 (5.8.1) both
   * only with CONFIG_ARCH_KEEP_MEMBLOCK. The model added the range to memblock on x86 v5.6 but
   * removed it only on ARCH_KEEP_MEMBLOCK arches, so a removed block stayed in memblock.memory.
   * x86 v5.6: hot-add of block 128 (16 GiB, 128 MiB) puts it in memblock next to the boot RAM
   * [0, 4G); hot-remove takes it out again. x86 v6.18 never has it there.
   */
  it('x86 v5.6: the removed block leaves memblock; x86 v6.18 never adds it', () => {
    const G = 2 ** 30;
    for (const [kernel, during] of [['v5.6', [[0, 4 * G], [16 * G, 16 * G + 2 ** 27]]], ['v6.18', [[0, 4 * G]]]] as const) {
      const k = setup_machine(x86(kernel)).k;
      const mem = () => [...k.s.memblockMemory].map((m) => [m.start, m.end]);
      expect(add_memory(k, 0, 16 * G, 2 ** 27)).toBe(0);
      expect(mem(), kernel).toEqual(during);
      expect(remove_memory(k, 16 * G, 2 ** 27)).toBe(0);
      expect(mem(), kernel).toEqual([[0, 4 * G]]);
    }
  });
});

describe('try_remove_memory() with memmap_on_memory blocks', () => {
  /*
   * v6.18 try_remove_memory() -> memory_blocks_have_altmaps() (v6.8..v7.1): some but not all
   * blocks of the range with an altmap -> WARN_ON_ONCE, -EINVAL. x86, memmap_on_memory=1: block
   * 32 hot-added at 4 GiB hosts its memmap; boot block 31 (offlined first) does not. Removing
   * [3.875G, 4.125G) twice: -EINVAL both times, one WARN.
   */
  it('x86 v6.18: a range with and without altmaps: WARN_ON_ONCE and -EINVAL', () => {
    const r = run(`${x86('v6.18', 'cmdline: "memory_hotplug.memmap_on_memory=1"')}steps:
  - boot
  - hot-add: { node: 0, start: 4G, size: 128M }
  - offline: { start: 0xf8000000, size: 128M }
  - hot-remove: { start: 0xf8000000, size: 256M }
  - hot-remove: { start: 0xf8000000, size: 256M }
`);
    expect([2, 3, 4, 5].map((i) => stepOf(r, i).errno)).toEqual([null, null, 'EINVAL', 'EINVAL']);
    const site = 'mm/memory_hotplug.c:memory_blocks_have_altmaps';
    expect(stepOf(r, 4).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [4, site, '------------[ cut here ]------------\n'],
      [4, site, 'WARNING: at mm/memory_hotplug.c memory_blocks_have_altmaps\n'],
    ]);
    expect(stepOf(r, 5).dmesg).toEqual([]);
  });

  /*
   * v6.6 try_remove_memory(): a block with an altmap (test_has_altmap_cb) and size !=
   * memory_block_size_bytes() -> pr_warn("Refuse to remove %#llx - %#llx,wrong granularity\n"),
   * -EINVAL. Two one-block hot-adds at 16 GiB, each self-hosted, removed together: refused;
   * removed one by one: each block's altmap gets all 512 pages back (alloc 0), so no "Altmap not
   * fully unmapped" WARN.
   */
  it('x86 v6.6: two self-hosted blocks at once are refused; one by one they go without a WARN', () => {
    const r = run(`${x86('v6.6', 'cmdline: "memory_hotplug.memmap_on_memory=1"')}steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 128M }
  - hot-add: { node: 0, start: 0x408000000, size: 128M }
  - hot-remove: { start: 16G, size: 256M }
  - hot-remove: { start: 16G, size: 128M }
  - hot-remove: { start: 0x408000000, size: 128M }
`);
    expect([2, 3, 4, 5, 6].map((i) => stepOf(r, i).errno)).toEqual([null, null, 'EINVAL', null, null]);
    expect(stepOf(r, 4).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [4, 'mm/memory_hotplug.c:try_remove_memory', 'Refuse to remove 0x400000000 - 0x410000000,wrong granularity\n'],
    ]);
    expect([5, 6].map((i) => stepOf(r, i).dmesg.filter((m) => m.level <= 4))).toEqual([[], []]);
    expect(r.machine.k.s.sections.coverage(128, 130)).toBe(0);
  });
});
