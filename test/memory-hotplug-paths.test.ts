/**
 * src/kernel/memory_hotplug.ts, path by path (mutation testing, branch mut-mh): check_pfn_span()
 * and the misaligned WARNs of __add_pages() / __remove_pages(), the <= v5.10
 * check_hotplug_memory_addressable(), the altmap bounds check of __add_pages(), x86 add_pages()'s
 * DIRECT_MAP_PHYSMEM_END check, s390 arch_add_memory()'s altmap refusal before v6.9,
 * register_memory_resource() against a claimed namespace, mhp_supports_memmap_on_memory()'s
 * refusals (built-in and a profile's policy), add_memory_resource()'s -EINVAL for an unsupported
 * MHP_MEMMAP_ON_MEMORY request (v5.13..v6.5), the v6.8 unwind of the blocks already added,
 * "Altmap not fully unmapped", s390 standby runs that meet the range limit inside a run, and a
 * failed add leaving a new node offline.
 *
 * Some of these paths no scenario reaches (every caller checks first, e.g. mhp_range_allowed()
 * before add_pages()); those tests call the kernel function directly on a booted machine, as a
 * driver calling it would. Each expectation is derived by hand in its comment.
 */
import { describe, expect, it } from 'vitest';
import { __add_pages, __remove_pages, add_memory, arch_add_memory, memmapOnMemoryRefusal, remove_memory } from '../src/kernel/memory_hotplug.js';
import { E2BIG, EINVAL, ERANGE, type Kernel } from '../src/kernel/state.js';
import { parseProfileFile, registerProfile } from '../src/index.js';
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

describe('register_memory_resource(): a claimed namespace is busy', () => {
  /*
   * x86 v6.18, pmem0 [8G, 9G) with an fsdax namespace: the region's "Persistent Memory" resource
   * is not busy, namespace0.0 inside it is (devm_request_mem_region() by nd_pmem).
   * __request_region_locked() descends into the region and conflicts with the namespace: the
   * hot-add of [8G, 8G + 128M) gets pr_debug("Unable to reserve System RAM region: %016llx->%016llx\n")
   * and -EEXIST; nothing is added.
   */
  it('x86 v6.18: hot-add over a claimed fsdax namespace is -EEXIST', () => {
    const r = run(`${box('x86_64', 'v6.18')}devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 8G, size: 1G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax }
  - hot-add: { node: 0, start: 8G, size: 128M }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(stepOf(r, 3)).toMatchObject({ ok: false, errno: 'EEXIST' });
    expect(stepOf(r, 3).dmesg.map((m) => [m.level, m.site, m.text])).toEqual([
      [7, 'kernel/resource.c:register_memory_resource', 'Unable to reserve System RAM region: 0000000200000000->0000000208000000\n'],
    ]);
    expect([...r.machine.k.s.blocks.overlaps(64, 72)]).toEqual([]);
  });
});

describe('mhp_supports_memmap_on_memory(): why it refuses', () => {
  /* v5.10 has no memory_hotplug.memmap_on_memory (mm/memory_hotplug.c gained it in v5.13). */
  it('x86 v5.10: the parameter does not exist', () => {
    const k = setup_machine(box('x86_64', 'v5.10')).k;
    expect(memmapOnMemoryRefusal(k, 128 * M)).toBe('memory_hotplug.memmap_on_memory does not exist in v5.10 (v5.13+)');
  });

  /*
   * v6.6 mhp_supports_memmap_on_memory(size): "size == memory_block_size_bytes()" comes right
   * after the parameter check; two 128 MiB blocks fail it (v6.8 drops the test and splits the
   * request per block in create_altmaps_and_memory_blocks()).
   */
  it('x86 v6.6: a two-block request is refused', () => {
    const k = setup_machine(box('x86_64', 'v6.6', 'cmdline: "memory_hotplug.memmap_on_memory=1"')).k;
    expect(memmapOnMemoryRefusal(k, 256 * M)).toBe('the request is 2 memory blocks; v6.6-v6.7 support exactly one (128 MiB); v6.8 splits a request per block');
  });

  /*
   * v6.1 (the v5.13 rule): IS_ALIGNED(vmemmap_size, PMD_SIZE). arm64 64K pages: the memory block
   * is a section, 2^29 = 512 MiB; its memmap 512M / 64K x 64 B = 512 KiB; PMD_SIZE 512 MiB.
   */
  it('arm64 v6.1 64K: the block\'s memmap is not a multiple of PMD_SIZE', () => {
    const k = setup_machine(box('arm64', 'v6.1', 'config: { pageSize: 64K }\ncmdline: "memory_hotplug.memmap_on_memory=1"', '1G')).k;
    expect(memmapOnMemoryRefusal(k, 512 * M)).toBe('the block\'s memmap (512 KiB) is not a multiple of PMD_SIZE (512 MiB)');
  });

  /*
   * The v5.13 rule's last test, IS_ALIGNED(size - vmemmap_size, pageblock_nr_pages << PAGE_SHIFT),
   * never refuses on the arches that had memmap_on_memory under it (x86, arm64: pageblock ==
   * PMD_SIZE). A profile file puts the rule on powerpc64 hash 4K (v6.18 with memmapOnMemory:
   * v5.13): the 256 MiB block's memmap is 65536 x 64 B = 4 MiB, a multiple of PMD_SIZE (2 MiB),
   * but pageblock_order = HPAGE_SHIFT (16 MiB) - PAGE_SHIFT = 12, 4096 pages = 16 MiB, and the
   * remaining 252 MiB is not a multiple of it.
   */
  it('powerpc64 hash 4K under the v5.13 rule (profile file): the rest is not pageblock-aligned', () => {
    registerProfile(parseProfileFile('p.yaml', 'id: v6.18-v5.13-rule\nbase: v6.18\nswitches:\n  memmapOnMemory: v5.13\n'));
    const k = setup_machine(box('powerpc64', 'v6.18-v5.13-rule', 'config: { mmu: hash, pageSize: 4K }\ncmdline: "memory_hotplug.memmap_on_memory=1"')).k;
    expect([k.boot.memoryBlockSize, k.c.PAGEBLOCK_PAGES, k.c.PMD_SIZE]).toEqual([256 * M, 4096, 2 * M]);
    expect(memmapOnMemoryRefusal(k, 256 * M)).toBe('the rest of the block is not pageblock-aligned (pageblock 4096 pages)');
  });

  /*
   * v6.8+ (v6.18) mhp_supports_memmap_on_memory(): !IS_ALIGNED(memory_block_memmap_size(),
   * PAGE_SIZE) refuses before the pageblock and arch checks. powerpc64 radix 64K with a 16 MiB
   * LMB: the block is 16M / 64K = 256 pages, its memmap 256 x 64 B = 16384 B, a quarter page.
   */
  it('powerpc64 radix 64K, 16 MiB blocks: the memmap is not a whole number of pages', () => {
    const k = setup_machine(box('powerpc64', 'v6.18', 'config: { mmu: radix, pageSize: 64K, lmbSize: 16777216 }\ncmdline: "memory_hotplug.memmap_on_memory=1"')).k;
    expect(k.boot.memoryBlockSize).toBe(16 * M);
    expect(memmapOnMemoryRefusal(k, 16 * M)).toBe('the block\'s memmap (16384 B) is not a whole number of pages');
  });

  /*
   * A profile's memmap_on_memory policy decides instead, with the request's numbers: x86 4K, 128 MiB
   * blocks, a three-block request of 384 MiB; a block's memmap 128M / 4K x 64 B = 2 MiB = 512
   * pages; pageblock 512 pages; PMD 2 MiB. base() is the profile's own check, which refuses
   * because the parameter is off (the default).
   */
  it('x86 v6.18: a profile policy gets the request\'s numbers and the built-in check as base()', () => {
    const k = setup_machine(box('x86_64', 'v6.18')).k;
    let seen: Record<string, unknown> = {};
    k.profile = { ...k.profile, policies: { memmap_on_memory: (c) => { seen = { ...c, base: c.base() }; return 'refused by the profile'; } } };
    expect(memmapOnMemoryRefusal(k, 384 * M)).toBe('refused by the profile');
    expect(seen).toEqual({
      size: 384 * M, blockSize: 128 * M, pageSize: 4096, memmapBytes: 2 * M, memmapPages: 512,
      pageblockPages: 512, pmdSize: 2 * M, base: 'memory_hotplug.memmap_on_memory is off',
    });
  });
});

describe('add_memory_resource(): MHP_MEMMAP_ON_MEMORY', () => {
  /*
   * v6.1 add_memory_resource(): if (mhp_flags & MHP_MEMMAP_ON_MEMORY) and
   * !mhp_supports_memmap_on_memory(size) -> -EINVAL, "goto error": memblock_remove (not on x86,
   * no ARCH_KEEP_MEMBLOCK) and the resource released; nothing printed. Every v6.1 caller asks
   * only when supported (acpi_memory_enable_device()), so add_memory() is called directly with
   * two blocks (256 MiB; v6.1 supports exactly one).
   */
  it('x86 v6.1: an unsupported request with the flag is -EINVAL and leaves nothing', () => {
    const k = setup_machine(box('x86_64', 'v6.1', 'cmdline: "memory_hotplug.memmap_on_memory=1"')).k;
    const from = k.s.log.length;
    expect(add_memory(k, 0, 16 * 2 ** 30, 256 * M, { memmapOnMemory: true })).toBe(EINVAL);
    expect(k.s.log.length).toBe(from);
    expect([...k.s.blocks.overlaps(128, 130)]).toEqual([]);
    expect(k.s.iomem.overlaps(16 * 2 ** 30, 17 * 2 ** 30)).toEqual([]);
    expect(k.s.sections.coverage(128, 130)).toBe(0);
    expect([...k.s.altmaps.keys()]).toEqual([]);
  });

  /*
   * v6.18 create_altmaps_and_memory_blocks(): per 128 MiB block an altmap (free = 512 pages) and
   * arch_add_memory(). The third altmap allocation fails (fault injection): the third block's
   * vmemmap_populate_hugepages() gets no PMD from its altmap and returns -ENOMEM (no RAM fallback
   * with an altmap); x86 add_pages() WARN_ON_ONCE. The two blocks done are undone by
   * remove_memory_blocks_and_altmaps(start, cur_start - start), i.e. both of them: no block, no
   * section, no altmap left, and no resource (register_memory_resource() is released).
   */
  it('x86 v6.18 memmap_on_memory, 4 blocks, the third fails: both blocks before it are removed', () => {
    const r = run(`${box('x86_64', 'v6.18', 'cmdline: "memory_hotplug.memmap_on_memory=1"\nfaults: [ { alloc: altmap, nth: 3 } ]')}steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 512M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    const k = r.machine.k;
    expect([...k.s.blocks.overlaps(128, 132)]).toEqual([]);
    expect(k.s.sections.coverage(128, 132)).toBe(0);
    expect([...k.s.altmaps.keys()]).toEqual([]);
    expect(k.s.iomem.overlaps(16 * 2 ** 30, 17 * 2 ** 30)).toEqual([]);
    expect(stepOf(r, 2).dmesg.filter((m) => m.level <= 4).map((m) => m.text)).toEqual([
      '------------[ cut here ]------------\n',
      'WARNING: at arch/x86/mm/init_64.c add_pages\n',
    ]);
  });
});

describe('"Altmap not fully unmapped"', () => {
  /*
   * v6.8+ remove_memory_blocks_and_altmaps(): per block, arch_remove_memory() with the block's
   * altmap, then WARN(altmap->alloc, "Altmap not fully unmapped") (no newline) and kfree; the
   * WARNING names that function (v6.6/v6.7: the same WARN in try_remove_memory()). No
   * modelled arch leaves an altmap unbalanced, so the blocks' recorded alloc is raised by one page
   * (as if a vmemmap page were never given back): x86 frees each block's one PMD (512 pages) to
   * its altmap and 1 stays. The model prints the WARN once per run of identical blocks and notes
   * how many blocks it stands for (the kernel prints one per block).
   */
  const leaky = (blocks: number, kernel = 'v6.18') => {
    const k = setup_machine(box('x86_64', kernel, 'cmdline: "memory_hotplug.memmap_on_memory=1"')).k;
    const size = blocks * 128 * M;
    expect(add_memory(k, 0, 16 * 2 ** 30, size, { memmapOnMemory: true })).toBe(0);
    for (const s of k.s.blocks.overlaps(128, 128 + blocks)) k.s.blocks.set(s.start, s.end, { ...s.v, altmapAlloc: s.v.altmapAlloc + 1 });
    const from = k.s.log.length;
    const trace = k.s.trace.length;
    expect(remove_memory(k, 16 * 2 ** 30, size)).toBe(0);
    expect(k.s.sections.coverage(128, 128 + blocks)).toBe(0);
    return { log: logFrom(k, from), notes: k.s.trace.slice(trace).filter((t) => t.t === 'note') };
  };
  const splat = (fn: string) => [
    [4, `mm/memory_hotplug.c:${fn}`, '------------[ cut here ]------------\n'],
    [4, `mm/memory_hotplug.c:${fn}`, 'Altmap not fully unmapped'],
    [4, `mm/memory_hotplug.c:${fn}`, `WARNING: at mm/memory_hotplug.c ${fn}\n`],
  ];
  it('x86 v6.18, two blocks: the WARN, and a note that it stands for each of the 2 blocks', () => {
    const r = leaky(2);
    expect(r.log).toEqual(splat('remove_memory_blocks_and_altmaps'));
    expect(r.notes).toEqual([{ t: 'note', text: '"Altmap not fully unmapped" for each of 2 blocks' }]);
  });
  it('x86 v6.18, one block: the WARN and no note', () => {
    const r = leaky(1);
    expect(r.log).toEqual(splat('remove_memory_blocks_and_altmaps'));
    expect(r.notes).toEqual([]);
  });
  /* v6.6 (one block, the block keeps its altmap): try_remove_memory() WARNs itself. */
  it('x86 v6.6, one block: the WARN is try_remove_memory()\'s', () => {
    const r = leaky(1, 'v6.6');
    expect(r.log).toEqual(splat('try_remove_memory'));
    expect(r.notes).toEqual([]);
  });
});

describe('s390 standby memory: a run of blocks that reaches VMEM_MAX_PHYS', () => {
  /*
   * v5.10 (no mhp_range_allowed() yet): sclp adds each 256 MiB standby block with add_memory();
   * arch/s390/mm/init.c arch_add_memory() -> vmem_add_mapping(): start + size > VMEM_MAX_PHYS
   * (= vmemmap, asm/pgtable.h) -> -ERANGE, nothing printed. 3-level layout, no EDAT-1: vmemmap =
   * 0x3d080000000 (section 15624). Twelve blocks from five blocks below it: blocks
   * 15619..15623 are added (offline), the sixth, [0x3d080000000, +256M), fails with -ERANGE
   * and the model (like the first failure sclp would log) stops there.
   */
  it('s390x v5.10: the blocks below the limit are added, then -ERANGE', () => {
    const lim = 0x3d080000000;
    const r = run(`${box('s390x', 'v5.10', 'config: { edat1: false }')}steps:
  - boot
  - hot-add: { node: 0, start: ${lim - 5 * 256 * M}, size: ${12 * 256 * M} }
`);
    const k = r.machine.k;
    expect(Number(k.arch.cfg.VMEMMAP_START)).toBe(lim);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ERANGE' });
    expect(stepOf(r, 2).dmesg).toEqual([]);
    expect([...k.s.blocks.overlaps(15600, 15700)].map((s) => [s.start, s.end, s.v.state])).toEqual([[15619, 15624, 'offline']]);
    expect(k.s.sections.coverage(15619, 15700)).toBe(5);
  });
});

describe('s390 standby memory with memmap_on_memory: a run that reaches the mappable limit', () => {
  /*
   * A profile file: v6.18 with hotplugRangeCheck: addressable (no mhp_range_allowed() in
   * add_memory(), as up to v5.10), so the limit is met inside create_altmaps_and_memory_blocks().
   * s390 v6.18, EDAT-1, memory_hotplug.memmap_on_memory=1: sclp (sclp_mem.c, v6.9+) adds each
   * 128 MiB block with MHP_MEMMAP_ON_MEMORY; one altmap per block, 128M / 4K x 64 B = 2 MiB =
   * 512 self-hosted pages. The mappable limit is max(ident_map_size, MAX_DCSS_ADDR) = 512 GiB
   * (arch/s390/boot/startup.c setup_kernel_memory_layout(), below vmemmap 0x37200000000).
   * Twenty-four blocks from ten blocks below it: blocks 4086..4095 are added; block 4096's
   * arch_add_memory() -> vmem_add_mapping() is -ERANGE (arch_get_mappable_range()), the altmap
   * is freed, cur_start == start so nothing is removed, and the model stops there.
   */
  it('s390x v6.18 (no mhp_range_allowed): ten self-hosted blocks, then -ERANGE', () => {
    registerProfile(parseProfileFile('p.yaml', 'id: v6.18-addressable\nbase: v6.18\nswitches:\n  hotplugRangeCheck: addressable\n'));
    const lim = 512 * 2 ** 30;
    const r = run(`${box('s390x', 'v6.18-addressable', 'config: { edat1: true }\ncmdline: "memory_hotplug.memmap_on_memory=1"')}steps:
  - boot
  - hot-add: { node: 0, start: ${lim - 10 * 128 * M}, size: ${24 * 128 * M} }
`);
    const k = r.machine.k;
    expect(k.arch.policy.mappableRange(k.boot.memstart, k.boot.maxPfn * 4096).end).toBe(lim - 1);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ERANGE' });
    expect([...k.s.blocks.overlaps(4000, 5000)].map((s) => [s.start, s.end, s.v.state, s.v.vmemmapPages])).toEqual([[4086, 4096, 'offline', 512]]);
    // SECTION_SIZE_BITS 27 on s390: a section is a block
    expect([k.s.sections.coverage(4086, 4096), k.s.sections.coverage(4096, 5000)]).toEqual([10, 0]);
    expect([...k.s.altmaps.keys()]).toEqual([]);
  });
});

describe('add_memory_resource(): a failed add leaves a new node offline', () => {
  /*
   * arm64 4K, VA_BITS 39: the linear map reaches [1G, 257G), so node 1's boot RAM at 257 GiB is
   * dropped (arm64_memblock_init) and node 1 is offline. A hot-add of 1 GiB at 16 GiB to node 1:
   * add_memory_resource() onlines the node (v6.18: node_set_online() after __try_online_node()),
   * then vmemmap_populate() fails - the first buddy allocation (the 2 MiB PMD block, warn_alloc
   * "vmemmap alloc failure: order:9") and the second (the base-page fallback) are injected
   * faults: -ENOMEM, and the "error:" path node_set_offline()s the new node. It is not in the
   * report's nodes. The same hot-add without faults brings it online (no RAM of its own: 0 pages).
   */
  const yaml = (faults: string) => `${box('arm64', 'v6.18', `config: { pageSize: 4K, vaBits: 39 }\n${faults}`, '1G')}  - { id: 1, memory: [ { start: 0x4040000000, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 1, start: 16G, size: 1G }
`;
  it('arm64 v6.18: -ENOMEM, node 1 offline again; without the faults it comes online', () => {
    const r = run(yaml('faults: [ { alloc: buddy, nth: 1 }, { alloc: buddy, nth: 2 } ]'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(r.machine.k.s.nodes.map((n) => n.online)).toEqual([true, false]);
    expect(Object.keys(r.report.memory.nodes)).toEqual(['0']);
    const ok = run(yaml(''));
    expect(stepOf(ok, 2).ok).toBe(true);
    expect(ok.report.memory.nodes[1]).toEqual({ managedPages: 0, freePages: 0 });
  });
});
