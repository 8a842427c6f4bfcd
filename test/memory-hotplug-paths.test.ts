/**
 * src/kernel/memory_hotplug.ts, path by path (mutation testing, branch mut-mh): check_pfn_span()
 * and the misaligned WARNs of __add_pages() / __remove_pages(), the <= v5.10
 * check_hotplug_memory_addressable(), the altmap bounds check of __add_pages(), x86 add_pages()'s
 * DIRECT_MAP_PHYSMEM_END check, s390 arch_add_memory()'s altmap refusal before v6.9,
 * register_memory_resource() against a claimed namespace, mhp_supports_memmap_on_memory()'s
 * refusals (built-in and a profile's policy), add_memory_resource()'s -EINVAL for an unsupported
 * MHP_MEMMAP_ON_MEMORY request (v5.13..v6.5) and the v6.8 unwind of the blocks already added.
 *
 * Some of these paths no scenario reaches (every caller checks first, e.g. mhp_range_allowed()
 * before add_pages()); those tests call the kernel function directly on a booted machine, as a
 * driver calling it would. Each expectation is derived by hand in its comment.
 */
import { describe, expect, it } from 'vitest';
import { __add_pages, __remove_pages, add_memory, arch_add_memory, memmapOnMemoryRefusal } from '../src/kernel/memory_hotplug.js';
import { E2BIG, EINVAL, ERANGE, type Kernel } from '../src/kernel/state.js';
import { run, setup_machine, stepOf } from './helpers.js';

const M = 2 ** 20;

/** A one-node machine: 4 GiB of RAM at `start` (0 on x86, 1 GiB on arm64). */
const box = (arch: string, kernel: string, extra = '', start = '0') => `
arch: ${arch}
kernel: ${kernel}
${extra}
nodes:
  - { id: 0, memory: [ { start: ${start}, size: 4G } ] }
`;

/** The log lines (level, site, text) from index `from` on. */
const logFrom = (k: Kernel, from: number) => k.s.log.slice(from).map((m) => [m.level, m.site, m.text]);

describe('check_pfn_span(): sub-section granularity for the start and the length', () => {
  /*
   * mm/memory_hotplug.c (v5.3..v7.1) check_pfn_span(): !IS_ALIGNED(pfn | nr_pages,
   * PAGES_PER_SUBSECTION), 512 pages with 4K pages; either one misaligned refuses.
   * __add_pages() then WARN(1, "Misaligned %s start: %#lx end: %#lx\n", __func__, pfn,
   * pfn + nr_pages - 1) and -EINVAL (v6.6+ text; no '#' before the end). Here the start, pfn
   * 0x240000 (9 GiB), is aligned and the length 0x8100 is not (0x100 = 256 < 512): end
   * 0x240000 + 0x8100 - 1 = 0x2480ff. Nothing is added.
   */
  it('x86 v6.18 __add_pages(): an aligned start with a misaligned length is refused', () => {
    const k = setup_machine(box('x86_64', 'v6.18')).k;
    const from = k.s.log.length;
    expect(__add_pages(k, 0, 0x240000, 0x8100, null)).toBe(EINVAL);
    expect(logFrom(k, from)).toEqual([
      [4, 'mm/memory_hotplug.c:__add_pages', '------------[ cut here ]------------\n'],
      [4, 'mm/memory_hotplug.c:__add_pages', 'Misaligned __add_pages start: 0x240000 end: 0x2480ff\n'],
      [4, 'mm/memory_hotplug.c:__add_pages', 'WARNING: at mm/memory_hotplug.c __add_pages\n'],
    ]);
    expect(k.s.sections.coverage(72, 74)).toBe(0);
  });

  /*
   * __remove_pages() (v5.3..v7.1): the same check_pfn_span(), WARN(1, "Misaligned %s start: %#lx
   * end: %#lx\n", __func__, ...) and a plain return: nothing is removed. pfn 0x8000 (128 MiB,
   * section 1 of boot RAM) with 0x80 pages: end 0x8000 + 0x80 - 1 = 0x807f. Sections 0..31
   * (4 GiB / 128 MiB) and all 4 GiB / 2 MiB = 2048 sub-sections stay present.
   */
  it('x86 v6.18 __remove_pages(): a misaligned length WARNs and removes nothing', () => {
    const k = setup_machine(box('x86_64', 'v6.18')).k;
    const from = k.s.log.length;
    __remove_pages(k, 0x8000, 0x80, null);
    expect(logFrom(k, from)).toEqual([
      [4, 'mm/memory_hotplug.c:__remove_pages', '------------[ cut here ]------------\n'],
      [4, 'mm/memory_hotplug.c:__remove_pages', 'Misaligned __remove_pages start: 0x8000 end: 0x807f\n'],
      [4, 'mm/memory_hotplug.c:__remove_pages', 'WARNING: at mm/memory_hotplug.c __remove_pages\n'],
    ]);
    expect(k.s.sections.coverage(0, 32)).toBe(32);
    expect(k.s.subsections.coverage(0, 0x100000)).toBe(0x100000);
  });
});

describe('check_hotplug_memory_addressable(): <= v5.10 only', () => {
  /*
   * v5.11 moved the range check to mhp_range_allowed() in the callers; v6.18 __add_pages() has
   * only a VM_BUG_ON (CONFIG_DEBUG_VM, not modelled). A direct __add_pages() at 64 TiB (pfn
   * 0x400000000, past MAX_PHYSMEM_BITS 46) with a misaligned length therefore reaches
   * check_pfn_span(): the Misaligned WARN and -EINVAL, not v5.10's -E2BIG. End 0x400000000 +
   * 0x100 - 1 = 0x4000000ff.
   */
  it('x86 v6.18: no addressable check in __add_pages(); check_pfn_span() answers', () => {
    const k = setup_machine(box('x86_64', 'v6.18')).k;
    const from = k.s.log.length;
    expect(__add_pages(k, 0, 0x400000000, 0x100, null)).toBe(EINVAL);
    expect(logFrom(k, from).map((l) => l[2])).toEqual([
      '------------[ cut here ]------------\n',
      'Misaligned __add_pages start: 0x400000000 end: 0x4000000ff\n',
      'WARNING: at mm/memory_hotplug.c __add_pages\n',
    ]);
  });

  /*
   * v5.10 mm/memory_hotplug.c check_hotplug_memory_addressable(): max_addr = PFN_PHYS(pfn +
   * nr_pages) - 1 = 0x400007ffffff; max_addr >> MAX_PHYSMEM_BITS (46) is 1: WARN(1, ...) in
   * that function ("maximum" = (1 << 47) - 1 = 0x7fffffffffff, as the kernel prints), -E2BIG.
   * The WARNING line names the function the WARN sits in.
   */
  it('x86 v5.10 hot-add at 64 TiB: the WARN is check_hotplug_memory_addressable()\'s', () => {
    const r = run(`${box('x86_64', 'v5.10')}steps:
  - boot
  - hot-add: { node: 0, start: 0x400000000000, size: 128M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'E2BIG' });
    const site = 'mm/memory_hotplug.c:check_hotplug_memory_addressable';
    expect(stepOf(r, 2).dmesg.filter((m) => m.site === site).map((m) => [m.level, m.text])).toEqual([
      [4, '------------[ cut here ]------------\n'],
      [4, 'Hotplugged memory exceeds maximum addressable address, range=0x400000000000-0x400007ffffff, maximum=0x7fffffffffff\n'],
      [4, 'WARNING: at mm/memory_hotplug.c check_hotplug_memory_addressable\n'],
    ]);
    expect(E2BIG).toBe(-7);
  });
});

describe('__add_pages(): the altmap must start at the first pfn', () => {
  /*
   * x86 v5.6 (no start check in nd_pfn_init() before v5.7): a label-less 1 GiB region at
   * 8 GiB + 8 MiB - 8 KiB (8,396,792 KiB), fsdax --map=dev --align=4K. __nvdimm_setup_pfn():
   * base = the start, pfn 0x2007fe; altmap base_pfn = SUBSECTION_ALIGN_DOWN(0x2007fe) = 0x200600
   * (init_altmap_base()). __add_pages(): altmap->base_pfn != pfn -> pr_warn_once("memory add
   * fail, invalid altmap\n"), -EINVAL, before check_pfn_span() (so no Misaligned WARN, though
   * the start is misaligned too); x86 add_pages()'s WARN_ON_ONCE(ret); nd_pmem's probe fails
   * with -22.
   */
  it('x86 v5.6 fsdax at a misaligned start: "invalid altmap", not the Misaligned WARN', () => {
    const r = run(`${box('x86_64', 'v5.6')}devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 8396792K, size: 1G, labels: false }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, align: 4K }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(stepOf(r, 2).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [4, 'mm/memory_hotplug.c:__add_pages', 'memory add fail, invalid altmap\n'],
      [4, 'arch/x86/mm/init_64.c:add_pages', '------------[ cut here ]------------\n'],
      [4, 'arch/x86/mm/init_64.c:add_pages', 'WARNING: at arch/x86/mm/init_64.c add_pages\n'],
      [4, 'drivers/base/dd.c:really_probe', 'nd_pmem: probe of pfn0.0 failed with error -22\n'],
    ]);
    expect(r.machine.k.s.subsections.coverage(0x200000, 0x240800)).toBe(0);
  });
});

describe('x86 add_pages(): DIRECT_MAP_PHYSMEM_END (v6.11+)', () => {
  /*
   * arch/x86/mm/init_64.c add_pages() (v6.18): end = ((start_pfn + nr_pages) << PAGE_SHIFT) - 1;
   * WARN_ON_ONCE(end > DIRECT_MAP_PHYSMEM_END) -> -ERANGE before __add_pages(). 4-level paging,
   * no KASLR: DIRECT_MAP_PHYSMEM_END = 2^46 - 1. A range [2^46 - 128M, 2^46 + 128M) ends past
   * it. mhp_range_allowed() in every caller stops such a range first, so this calls
   * arch_add_memory() directly, twice: one WARN (once), -ERANGE (-34) both times, no section.
   */
  it('x86 v6.18 arch_add_memory() past the direct map: WARN_ON_ONCE and -ERANGE', () => {
    const k = setup_machine(box('x86_64', 'v6.18')).k;
    const from = k.s.log.length;
    const start = 2 ** 46 - 128 * M;
    expect(arch_add_memory(k, 0, start, 256 * M, null)).toBe(ERANGE);
    expect(arch_add_memory(k, 0, start, 256 * M, null)).toBe(-34);
    expect(logFrom(k, from)).toEqual([
      [4, 'arch/x86/mm/init_64.c:add_pages', '------------[ cut here ]------------\n'],
      [4, 'arch/x86/mm/init_64.c:add_pages', 'WARNING: at arch/x86/mm/init_64.c add_pages\n'],
    ]);
    expect(k.s.sections.coverage(2 ** 19 - 1, 2 ** 19 + 1)).toBe(0);
  });
});

describe('s390 arch_add_memory(): no altmap before v6.9', () => {
  /*
   * arch/s390/mm/init.c arch_add_memory() (v5.6..v6.8): if (WARN_ON_ONCE(params->altmap))
   * return -EINVAL; (vmemmap_populate() could not use one). No s390 caller passes an altmap
   * then (no ZONE_DEVICE, no memmap_on_memory), so it is called directly, twice: one WARN,
   * -EINVAL both times, nothing added.
   */
  it('s390x v6.6: an altmap is refused with one WARN', () => {
    const k = setup_machine(box('s390x', 'v6.6')).k;
    const from = k.s.log.length;
    expect(arch_add_memory(k, 0, 4096 * M, 256 * M, 'some-altmap')).toBe(EINVAL);
    expect(arch_add_memory(k, 0, 4096 * M, 256 * M, 'some-altmap')).toBe(EINVAL);
    expect(logFrom(k, from)).toEqual([
      [4, 'arch/s390/mm/init.c:arch_add_memory', '------------[ cut here ]------------\n'],
      [4, 'arch/s390/mm/init.c:arch_add_memory', 'WARNING: at arch/s390/mm/init.c arch_add_memory\n'],
    ]);
    expect(k.s.sections.coverage(16, 18)).toBe(0);
  });
});
