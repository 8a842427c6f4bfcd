/**
 * src/kernel/sparse-vmemmap.ts, the powerpc Book3S-64 helpers (ppc_list_blocks and its
 * vmemmap_list, ppc_radix_pmd_loop, ppc_basepages_fallback, altmap_cross_boundary and the
 * vmemmap_populated() reading): paths that mutation testing (docs/testing.md) found without a
 * test in the second half of the file. Each expectation is derived by hand in its comment from
 * the kernel's rules.
 */
import { describe, expect, it } from 'vitest';
import { renderTrace } from '../src/index.js';
import { renderMessage } from '../src/kernel/printk.js';
import { withoutBatching } from '../src/kernel/engine.js';
import { pfnToOff } from '../src/kernel/state.js';
import { ppcBox as ppc, ppcSharedSection, run, stepOf } from './helpers.js';

const K = 1024;
const M = 2 ** 20;

/** The `--trace` lines of step n. */
const traceOf = (text: string, n: number) => text.split(/^# step /m).find((b) => b.startsWith(`${n}:`))!.split('\n').slice(1).filter(Boolean);
const notesOf = (r: ReturnType<typeof run>, n: number) => traceOf(renderTrace(r), n).filter((l) => l.startsWith('note:'));
const freePages = (r: ReturnType<typeof run>, node = 0) => r.report.memory.nodes[node]!.freePages;


const HASH4K = '{ mmu: hash, pageSize: 4K, hash16M: false }';

/*
 * hash 4K without 16M pages: mmu_vmemmap_psize is the 4 KiB base page (hash_utils.c
 * htab_init_page_sizes), so __vmemmap_populate() (arch/powerpc/mm/init_64.c; vmemmap_populate()
 * before v6.6) maps 4 KiB blocks, one vmemmap_list entry each (struct vmemmap_backing, 24 bytes:
 * 4096 / 24 = 170 entries a page from vmemmap_alloc_block(PAGE_SIZE)). Boot: 2 GiB / 4 KiB x 64 B
 * = 32 MiB of memmap = 8192 blocks: ceil(8192 / 170) = 49 list pages, 49 x 170 - 8192 = 138
 * entries left (num_left). A hot-added 256 MiB is 16 sections of 4096 pfns, 256 KiB = 64 blocks
 * of memmap each: 1024 blocks.
 */
describe('hash vmemmap_list: a failed entry gives the block back (v5.10+)', () => {
  /*
   * init_64.c vmemmap_populate() @ 5.10.7 (__vmemmap_populate() @ v7.1 the same): when
   * vmemmap_list_populate() fails (pr_debug "vmemap list allocation failed" there) the block is
   * freed again - vmem_altmap_free(altmap, nr_pfns) if it came from the altmap, else
   * free_pages() - and -ENOMEM returned. Blocks 1..138 of the hot-add use the entries left;
   * block k's memmap page is buddy allocation #k, block 139's is #139 and its new list page #140,
   * which fails (injected). Section 2 (blocks 129..192) fails: mm/sparse.c section_activate() ->
   * section_deactivate() frees its blocks 129..138 (10 pages; their entries go on the free list,
   * vmemmap_list_free: num_freed 10); sections 0 and 1 stay (__add_pages() does not undo them):
   * 128 pages of memmap and 128 entries more than at boot, no new list page.
   */
  it('RAM: the page goes back to the buddy allocator', () => {
    const sc = (steps: string) => ppc({ kernel: 'v5.10', config: HASH4K, faults: '[ { alloc: buddy, nth: 140 } ]', steps });
    const booted = run(sc(''));
    const r = run(sc('  - hot-add: { node: 0, start: 0x80000000, size: 256M }\n'));
    expect(stepOf(r, 2).errno).toBe('ENOMEM');
    expect(freePages(booted) - freePages(r)).toBe(128);
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ ram: { 0: 128 * 4 * K } });
    expect(r.machine.k.s.memmapRamPages).toEqual([8192 + 128]);
    expect(r.machine.k.s.ppcList).toMatchObject({ entries: 8192 + 128, freed: 10, left: 0, pages: 49 });
    expect(stepOf(r, 2).dmesg.filter((m) => m.text.includes('list allocation')).map((m) => [m.level, m.site, m.text])).toEqual([
      [7, 'arch/powerpc/mm/init_64.c:vmemmap_list_populate', 'vmemap list allocation failed\n'],
    ]);
  });

  /*
   * The same with the blocks from an altmap: a 1 GiB fsdax --map=dev namespace at 64 GiB (4096
   * blocks of memmap, each a 4 KiB block of the device: nr_pfns 1, no alignment padding). The
   * first buddy allocation after boot is block 139's list page (#1, injected): block 139 goes
   * back to the altmap (vmem_altmap_free(altmap, 1)), section 2's blocks 129..138 are freed by
   * section_deactivate(), so the altmap's alloc is that of sections 0 and 1: 128.
   */
  it('altmap: the pfn goes back to the altmap', () => {
    const r = run(ppc({
      kernel: 'v6.18', config: HASH4K, faults: '[ { alloc: buddy, nth: 1 } ]',
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 1G }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    }));
    expect(stepOf(r, 2).errno).toBe('ENOMEM');
    expect(r.report.altmaps.map((a) => [a.alloc, a.align])).toEqual([[128, 0]]);
    expect(r.report.memmapBacking.altmap).toEqual({ 'namespace0.0~failed-step2': 128 * 4 * K });
    expect(r.machine.k.s.ppcList).toMatchObject({ entries: 8192 + 128, freed: 10, left: 0, pages: 49 });
  });
});

describe('hash vmemmap_list: freed entries are used first', () => {
  /*
   * vmemmap_list_alloc() (init_64.c, every version): num_freed entries first, then num_left, then
   * a new page. Hot-add 256 MiB: 138 entries left + 886 from ceil(886 / 170) = 6 new pages (1020
   * entries, 134 left): 55 pages. Hot-remove: vmemmap_list_free() puts the 1024 entries on the
   * free list (num_freed 1024). Hot-add again: all 1024 from the free list, none left over, no
   * page: node 0 ends 1024 memmap pages + 6 list pages below boot.
   */
  it('a re-added range takes its entries from the free list', () => {
    const sc = (steps: string) => ppc({ kernel: 'v6.18', config: HASH4K, steps });
    const booted = run(sc(''));
    const r = run(sc(`
  - hot-add: { node: 0, start: 0x80000000, size: 256M }
  - hot-remove: { start: 0x80000000, size: 256M }
  - hot-add: { node: 0, start: 0x80000000, size: 256M }
`));
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true]);
    expect(r.machine.k.s.ppcList).toMatchObject({ entries: 8192 + 1024, freed: 0, left: 134, pages: 55 });
    expect(freePages(booted) - freePages(r)).toBe(1024 + 6);
    // pr_debug("vmemmap_populate %lx..%lx, node %d\n") once per section call, from __vmemmap_populate
    const calls = r.machine.k.s.log.filter((m) => m.step === 4).flatMap((m) => renderMessage(m, 1e6).filter((l) => l.startsWith('vmemmap_populate ')).map((l) => `${m.site} ${l}`));
    expect(calls).toHaveLength(16);
    expect(calls[0]).toBe('arch/powerpc/mm/init_64.c:__vmemmap_populate vmemmap_populate c0003f0002000000..c0003f0002040000, node 0');
  });
});

describe('hash vmemmap_list before v5.10: the WARNs and the block\'s own line', () => {
  /*
   * init_64.c vmemmap_populate() @ 5.6.4: vmemmap_list_populate() returns nothing; a failed
   * vmemmap_list_alloc() is WARN_ON(1) there and WARN_ON(1) in vmemmap_list_populate(), then
   * the block's pr_debug("      * %016lx..%016lx allocated at %p\n") as for any block. Block
   * 139 (as above, buddy #140 fails) is at the v5.6 hash 4K vmemmap 0xc000300000000000 +
   * 0x80000 x 64 + 138 x 4 KiB = 0xc00030000208a000: its line comes right after the two
   * WARNINGs, from vmemmap_populate()'s site (__vmemmap_populate() only from v6.6), and %p
   * prints as "(unknown)".
   */
  it('the WARNINGs, then block 139\'s line', () => {
    const r = run(ppc({ kernel: 'v5.6', config: HASH4K, faults: '[ { alloc: buddy, nth: 140 } ]', steps: '  - hot-add: { node: 0, start: 0x80000000, size: 256M }\n' }));
    expect(stepOf(r, 2).ok).toBe(true);
    const log = r.machine.k.s.log.filter((m) => m.step === 2);
    // (each WARN is its "cut here" line, then the WARNING line)
    const w = log.findIndex((m) => m.text.includes('cut here'));
    expect(log.slice(w, w + 5).map((m) => [m.site, renderMessage(m, 1e6)[0]])).toEqual([
      ['arch/powerpc/mm/init_64.c:vmemmap_list_alloc', '------------[ cut here ]------------'],
      ['arch/powerpc/mm/init_64.c:vmemmap_list_alloc', 'WARNING: at arch/powerpc/mm/init_64.c vmemmap_list_alloc'],
      ['arch/powerpc/mm/init_64.c:vmemmap_list_populate', '------------[ cut here ]------------'],
      ['arch/powerpc/mm/init_64.c:vmemmap_list_populate', 'WARNING: at arch/powerpc/mm/init_64.c vmemmap_list_populate'],
      ['arch/powerpc/mm/init_64.c:vmemmap_populate', '      * c00030000208a000..c00030000208b000 allocated at (unknown)'],
    ]);
    // every block's line ends in the pointer the model cannot know, the first of each run too
    const lines = log.flatMap((m) => renderMessage(m, 1e6)).filter((l) => l.includes(' allocated at '));
    expect(lines).toHaveLength(1024);
    expect(lines.every((l) => l.endsWith(' allocated at (unknown)'))).toBe(true);
  });
});

describe('hash vmemmap_populated(): a second sub-section of a live section', () => {
  /*
   * v6.1, hash 4K: PPC_SHARED_SECTION_REGIONS (test/helpers.ts), two label-less 16 MiB pmem
   * regions at 64 GiB + 8 MiB and + 24 MiB, each a
   * devdax --map=mem namespace; section 64 GiB + 16 MiB (pfn 0x1001000, 4096 pfns, 256 KiB of
   * memmap = 64 blocks) holds the second half of the first and the first half of the second.
   * mm/sparse.c section_activate() @ 6.1.20 sets the sub-sections' bits (fill_subsection_map)
   * before populate_section_memmap(); the section already has SECTION_HAS_MEM_MAP from
   * pmem0's namespace, so pfn_valid() (include/linux/mmzone.h: valid section, then the
   * sub-section bit) is true for pmem1's pfns there before their memmap exists, and init_64.c
   * vmemmap_populated(start, 4 KiB) - from the sub-section holding start's struct page - says
   * populated for each of those 32 blocks: __vmemmap_populate() skips them and they stay
   * unmapped. pfn 0x1001800's struct page is at 0xc0003f0000000000 + 0x1001800 x 64 =
   * 0xc0003f0040060000.
   */
  it('its blocks count as populated and stay unmapped: one note', () => {
    const r = run(ppcSharedSection({ kernel: 'v6.1', config: HASH4K }));
    expect(notesOf(r, 3).filter((l) => l.includes('vmemmap_populated'))).toEqual([
      'note: arch/powerpc/mm/init_64.c:vmemmap_populated: c0003f0040060000.. counts as populated (a valid sub-section\'s memmap is there) but is not mapped',
    ]);
    const k = r.machine.k;
    const off = pfnToOff(k, 0x1001000);
    expect([k.s.leaves.coverage(off, off + 128 * K), k.s.leaves.coverage(off + 128 * K, off + 256 * K)]).toEqual([128 * K, 0]);
  });
});

const RADIX64 = '{ mmu: radix, pageSize: 64K }';
const RADIX = 'arch/powerpc/mm/book3s64/radix_pgtable.c';

describe('radix__vmemmap_populate() with an altmap (v6.6..v6.14: the raw start)', () => {
  /*
   * radix 64K v6.12 (radix_pgtable.c radix__vmemmap_populate() @ v6.12; v6.17+ aligns start
   * first). A fsdax --map=dev namespace of 4 GiB - 16 MiB at 64 GiB + 16 MiB (base_pfn
   * 0x100100, end_pfn 0x10ffff). drivers/nvdimm/pfn_devs.c nd_pfn_init(): npfns = (size - 8 KiB)
   * / 64 KiB = 65279, offset = ALIGN(start + 8 KiB + 64 x 65279, 2 MiB) - start = 4 MiB = 64
   * pfns; reserve = 8 KiB rounded up to a page = 1 pfn, free = 63.
   * Its memmap [0xc00c000004004000, 0xc00c000004400000) (pfn 0x100100 x 64 = 0x4004000) is 64
   * pages of 64 KiB in two PMD slots. Section call 0 starts at 0x4004000: not PMD-aligned ->
   * base_mapping, and every later call in that PMD finds its PTE table (vmemmap_check_pmd() is
   * false: base pages too). radix__vmemmap_pte_populate(): altmap_cross_boundary(addr, 64 KiB)
   * is false for all 32 pages (pfns from the one at addr, not below base_pfn nor past end_pfn):
   * 32 pages from the altmap, pfn 0x100101..0x100120. Call 127 starts the second PMD slot
   * (0x4200000, aligned), altmap_cross_boundary(addr, PMD_SIZE) is false (pfns 0x108000 +
   * 32768 - 1 = 0x10ffff, not past end_pfn), so vmemmap_alloc_block_buf(PMD_SIZE, altmap):
   * altmap_alloc_block_buf() wants 32 pfns aligned to 32 from 0x100121 (31 of padding): 63 >
   * the 31 left, NULL -> base_mapping. 31 pages more from the altmap (63 = free), the last one
   * (the altmap has 0 left) from RAM: vmemmap_alloc_block_buf(PAGE_SIZE, node, NULL).
   */
  it('an unaligned first slot, a PMD the altmap cannot align, the last page from RAM', () => {
    const sc = ppc({
      kernel: 'v6.12', config: RADIX64,
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1001000000, size: 0xff000000 }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    });
    const r = run(sc);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.altmaps.map((a) => [a.reserve, a.free, a.alloc, a.align])).toEqual([[1, 63, 63, 0]]);
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ altmap: { 'namespace0.0': 63 * 64 * K }, ram: { 0: 64 * K } });
    expect(notesOf(r, 2)).toEqual([
      `note: ${RADIX}:radix__vmemmap_populate: address not PMD-aligned with an altmap: base pages`,
      'note: altmap_alloc_block_buf: altmap namespace0.0 has 31 free pfn(s), 63 needed (32 + 31 to align): NULL',
      `note: ${RADIX}:radix__vmemmap_populate: no PMD_SIZE block in the altmap: base pages`,
      'note: altmap_alloc_block_buf: altmap namespace0.0 has 0 free pfn(s), 1 needed: NULL',
    ]);
    // pr_debug("PAGE_SIZE vmemmap mapping\n") once per page, from radix__vmemmap_pte_populate
    // (with the range engine off every page's lines are messages of their own, with their sites)
    const lines = (x: ReturnType<typeof run>) => stepOf(x, 2).dmesg.flatMap((m) => renderMessage(m, 1e6).filter((l) => l.includes('vmemmap mapping')).map((l) => `${m.site} ${l}`));
    expect(lines(withoutBatching(() => run(sc)))).toEqual(Array(64).fill(`${RADIX}:radix__vmemmap_pte_populate radix-mmu: PAGE_SIZE vmemmap mapping`));
  });

  /*
   * The same device at 64 GiB, 4 GiB (as in test/ppc64-before-v6.1.test.ts: reserve 1, free 95):
   * both PMD slots of its memmap (0x4000000, 0x4200000) are aligned and inside the device, each
   * a PMD_SIZE block from the altmap - 32 pfns aligned to 32: pfn 0x100020 after 31 of padding,
   * then 0x100040 - and pr_debug("PMD_SIZE vmemmap mapping\n") from radix__vmemmap_populate.
   */
  it('aligned PMD slots inside the device: PMD blocks from the altmap', () => {
    const sc = ppc({
      kernel: 'v6.12', config: RADIX64,
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    });
    const r = run(sc);
    expect(r.report.altmaps.map((a) => [a.reserve, a.free, a.alloc, a.align])).toEqual([[1, 95, 64, 31]]);
    expect(notesOf(r, 2)).toEqual([]);
    const s = withoutBatching(() => run(sc));
    const lines = stepOf(s, 2).dmesg.flatMap((m) => renderMessage(m, 1e6).filter((l) => l.includes('vmemmap mapping')).map((l) => `${m.site} ${l}`));
    expect(lines).toEqual(Array(2).fill(`${RADIX}:radix__vmemmap_populate radix-mmu: PMD_SIZE vmemmap mapping`));
    expect(traceOf(renderTrace(s), 2).filter((l) => l.startsWith('map '))).toEqual([
      'map pmd: 0xc00c000004000000-0xc00c000004200000 (2 MiB) -> altmap namespace0.0 from pfn 0x100020',
      'map pmd: 0xc00c000004200000-0xc00c000004400000 (2 MiB) -> altmap namespace0.0 from pfn 0x100040',
    ]);
  });
});

describe('radix memmap_on_memory (v6.8+ create_altmaps_and_memory_blocks)', () => {
  /*
   * radix 64K v6.12 (mm/memory_hotplug.c create_altmaps_and_memory_blocks(), radix_pgtable.c
   * radix__vmemmap_populate() @ v6.12), memory_hotplug.memmap_on_memory=force, 256 MiB LMBs (4096 pfns, 4 pages of
   * memmap each, padded to a 32-page pageblock), 1 GiB hot-added: four blocks, each with its own
   * altmap from its first pfn. The first call's PMD slot (0xc00c000000200000: pfn 0x8000 x 64)
   * is aligned, but 2 MiB of memmap describes 32768 pfns, more than the block's altmap holds
   * (altmap_cross_boundary(PMD_SIZE) is true): base pages, and every later call finds the PTE
   * table. Each page's 1024 pfns lie in its own block: 4 pages from each block's altmap.
   */
  it('four blocks: base pages from each block\'s own altmap, one note for the PMD slot', () => {
    const r = run(ppc({
      kernel: 'v6.12', config: RADIX64, cmdline: 'memory_hotplug.memmap_on_memory=force',
      steps: '  - hot-add: { node: 0, start: 0x80000000, size: 1G }\n',
    }));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.memmapBacking.self).toEqual({ 0: 4 * 4 * 64 * K });
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ ram: {} });
    expect(notesOf(r, 2)).toEqual([`note: ${RADIX}:radix__vmemmap_populate: altmap_cross_boundary(PMD_SIZE) with an altmap: base pages`]);
  });
});

describe('radix memmap_on_memory: a hot-add that continues a PMD of memmap and starts the next', () => {
  /*
   * The same machine. A 2 MiB PMD of memmap describes 32768 pfns, 8 LMBs: 1792 MiB at 64 GiB
   * (LMBs 0-6 of that 2 GiB) leaves the PMD holding a PTE table; 1 GiB after it is LMB 7, the
   * last of that PMD (its 4 pages under the existing table), and LMBs 8-10 at the start of the
   * next PMD (altmap_cross_boundary(PMD_SIZE): base pages under a new PTE table). Each LMB's
   * pages describe only that LMB, so each comes from that LMB's own altmap (its first 4 pfns):
   * no memmap in RAM. The model runs the four LMBs as one run first; each must keep its own
   * altmap bounds (altmapBounds()), not the run's first LMB's.
   */
  it('eleven blocks in two hot-adds: every memmap page from its own block', () => {
    const r = run(ppc({
      kernel: 'v6.12', config: RADIX64, cmdline: 'memory_hotplug.memmap_on_memory=force',
      steps: '  - hot-add: { node: 0, start: 0x1000000000, size: 1792M }\n  - hot-add: { node: 0, start: 0x1070000000, size: 1G }\n',
    }));
    expect(stepOf(r, 3).ok).toBe(true);
    expect(r.report.memmapBacking.self).toEqual({ 0: 11 * 4 * 64 * K });
    expect(r.report.steps[2]!.delta.memmapBacking).toMatchObject({ ram: {}, self: { 0: 4 * 4 * 64 * K } });
    expect(notesOf(r, 3)).toEqual([`note: ${RADIX}:radix__vmemmap_populate: altmap_cross_boundary(PMD_SIZE) with an altmap: base pages`]);
  });
});

describe('vmemmap_populated() when freeing, with boot memory further up', () => {
  /*
   * init_64.c vmemmap_populated(addr, size) @ v6.12/v6.18: from the sub-section holding addr's
   * struct page, any pfn_valid() sub-section whose first struct page lies before addr + size.
   * Node 1's boot memory at 128 GiB is far past every range freed here, so it keeps nothing: the
   * namespace at 64 GiB (4 MiB of memmap from its altmap) and a 256 MiB LMB at 2 GiB (radix: its
   * memmap's 2 MiB PMD block of RAM, vmemmap_pmd_is_unused() in remove_pmd_table; hash 64K:
   * 4 blocks of 64 KiB, __vmemmap_free()) give their memmap back in full.
   */
  it.each([
    ['radix 64K v6.12', RADIX64, 'v6.12', 2 * M],
    ['hash 64K v6.18', '{ mmu: hash, pageSize: 64K, hash16M: false }', 'v6.18', 256 * K],
  ] as const)('%s: everything freed', (_, config, kernel, lmbMemmap) => {
    const r = run(ppc({
      kernel, config,
      nodes: '  - { id: 1, memory: [ { start: 0x2000000000, size: 2G } ] }',
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G }',
      steps: `
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - destroy-namespace: { device: pmem0 }
  - hot-add: { node: 0, start: 0x80000000, size: 256M }
  - hot-remove: { start: 0x80000000, size: 256M }
`,
    }));
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true, true]);
    const d = r.report.steps.map((s) => s.delta.memmapBacking);
    expect([d[1]!.altmap, d[2]!.altmap]).toEqual([{ 'namespace0.0': 4 * M }, { 'namespace0.0': -4 * M }]);
    expect([d[3]!.ram, d[4]!.ram]).toEqual([{ 0: lmbMemmap }, { 0: -lmbMemmap }]);
  });
});

describe('radix__vmemmap_populate(): a PMD block the altmap cannot give', () => {
  /*
   * radix 64K v6.12, the 4 GiB namespace at 64 GiB (reserve 1, free 95): the first PMD block
   * from the altmap fails (injected), and v6.12's radix__vmemmap_populate() goes to
   * base_mapping ("else if (altmap)"): 32 pages from the altmap one by one (pfn 0x100001..
   * 0x100020, altmap_alloc_block_buf() with nr_pfns 1 needs no padding). The second slot's
   * PMD block is then 32 pfns aligned to 32 from 0x100021: 0x100040 after 31 of padding.
   */
  it('base pages for that slot, from the same altmap', () => {
    const r = run(ppc({
      kernel: 'v6.12', config: RADIX64, faults: '[ { alloc: altmap, nth: 1 } ]',
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    }));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.altmaps.map((a) => [a.alloc, a.align])).toEqual([[64, 31]]);
    expect(r.report.memmapBacking.altmap).toEqual({ 'namespace0.0': 4 * M });
    expect(notesOf(r, 2)).toEqual([
      'note: fault injection: altmap allocation #1 fails',
      `note: ${RADIX}:radix__vmemmap_populate: no PMD_SIZE block in the altmap: base pages`,
    ]);
    expect(traceOf(renderTrace(r), 2).filter((l) => l.startsWith('map pmd'))).toEqual(['map pmd: 0xc00c000004200000-0xc00c000004400000 (2 MiB) -> altmap namespace0.0 from pfn 0x100040']);
  });
});

describe('the thread\'s posted vmemmap_alloc_block_buf(..., fallback=true) when RAM fails too', () => {
  /*
   * seed-v2-fallback's powerpc hunk (thread §4) calls vmemmap_alloc_block_buf(page_size, node,
   * altmap, true) in place of the altmap try and the RAM retry: with the altmap allocation
   * failing (injected #1) it falls back to RAM itself, and when that fails too (buddy #1) it
   * returns NULL and vmemmap_populate() returns -ENOMEM - nobody asks RAM a second time.
   */
  it('-ENOMEM, after one altmap and one RAM try', () => {
    const r = run(ppc({
      kernel: 'seed-v2-fallback', config: RADIX64, faults: '[ { alloc: altmap, nth: 1 }, { alloc: buddy, nth: 1 } ]',
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    }));
    expect(stepOf(r, 2).errno).toBe('ENOMEM');
    expect(notesOf(r, 2)).toEqual(['note: fault injection: altmap allocation #1 fails', 'note: fault injection: buddy allocation #1 fails']);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 2 * M });
  });
});

describe('radix base pages over a page another device mapped', () => {
  /*
   * radix 64K v6.12. pmem0 [64 GiB, +48 MiB) on node 0, fsdax --map=dev: its memmap (pfn
   * 0x100000..0x1002ff, [0xc00c000004000000, +48 KiB)) is in one 64 KiB page, which
   * describes 1024 pfns, more than the device: altmap_cross_boundary() for the PMD slot and for
   * the page, so the page is RAM of node 0. pmem1 right after it (pfn 0x100300) on node 1,
   * --map=mem: its first call starts at 0xc00c00000400c000 (v6.12 does not align it), in the
   * PMD that now holds a PTE table: base_mapping, radix__vmemmap_pte_populate() finds the PTE
   * present, and vmemmap_verify(pte, 1, addr, addr + PAGE_SIZE) sees node 0's page at distance
   * 20: pr_warn_once "[c00c00000400c000-c00c00000401bfff] potential offnode page_structs".
   * Its other 16 pages (1 GiB: 1 MiB of memmap up to 0xc00c00000410c000) are node 1's RAM.
   */
  it('the mapped page is verified for the new node: the only offnode warning', () => {
    const r = run(ppc({
      kernel: 'v6.12', config: RADIX64,
      nodes: '  - { id: 1, memory: [ { start: 2G, size: 2G } ] }',
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 48M }, { name: pmem1, type: nvdimm, node: 1, start: 0x1003000000, size: 1G }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n  - create-namespace: { device: pmem1, mode: fsdax, map: mem }\n',
    }));
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(r.report.steps.slice(1).map((s) => s.delta.memmapBacking.ram)).toEqual([{ 0: 64 * K }, { 1: 16 * 64 * K }]);
    expect(r.machine.k.s.log.filter((m) => m.text.includes('offnode')).map((m) => [m.step, m.site, m.text])).toEqual([
      [3, 'mm/sparse-vmemmap.c:vmemmap_verify', '[c00c00000400c000-c00c00000401bfff] potential offnode page_structs\n'],
    ]);
  });
});

describe('radix base pages: RAM fails too', () => {
  /*
   * radix 64K v6.12, pmem0 [64 GiB, +48 MiB) as above: its one memmap page crosses the device's
   * boundary, so radix__vmemmap_pte_populate() drops the altmap and asks RAM; the PTE table is the
   * first page-allocator request after boot, the page the second, which fails (injected): with
   * no altmap there is no retry ("if (!p && altmap)"), NULL, -ENOMEM.
   */
  it('-ENOMEM, nothing left mapped', () => {
    const r = run(ppc({
      kernel: 'v6.12', config: RADIX64, faults: '[ { alloc: buddy, nth: 2 } ]',
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 48M }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    }));
    expect(stepOf(r, 2).errno).toBe('ENOMEM');
    expect(notesOf(r, 2)).toEqual([
      `note: ${RADIX}:radix__vmemmap_populate: altmap_cross_boundary(PMD_SIZE) with an altmap: base pages`,
      'note: fault injection: buddy allocation #2 fails',
    ]);
    const k = r.machine.k;
    expect(k.s.leaves.coverage(pfnToOff(k, 0x100000), pfnToOff(k, 0x100000) + 2 * M)).toBe(0);
  });
});

describe('radix base pages: the device ends inside the memmap\'s last page', () => {
  /*
   * radix 64K v6.12, a 160 MiB fsdax --map=dev namespace at 64 GiB + 16 MiB: pfn 0x100100..
   * 0x1009ff (end_pfn), nd_pfn_init(): npfns 2559, offset ALIGN(8 KiB + 64 x 2559, 2 MiB) = 2 MiB:
   * reserve 1, free 31. Its memmap [0xc00c000004004000, 0xc00c000004028000) is in 3 pages, all
   * base pages (the first call's address is not PMD-aligned, later calls find the PTE table).
   * altmap_cross_boundary(addr, 64 KiB) per page, at the address the kernel is at: page 1 at
   * 0x4004000 (the unaligned call start, pfns 0x100100..0x1004ff) and page 2 at 0x4010000 (call
   * 3's start, pfns 0x100400..0x1007ff) are inside: the altmap's pfn 0x100101 and 0x100102; page
   * 3 (0x4020000, pfns 0x100800..0x100bff) reaches past end_pfn: RAM.
   */
  it('two pages from the altmap, the third from RAM', () => {
    const r = run(ppc({
      kernel: 'v6.12', config: RADIX64,
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1001000000, size: 160M }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    }));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.altmaps.map((a) => [a.reserve, a.free, a.alloc, a.align])).toEqual([[1, 31, 2, 0]]);
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ altmap: { 'namespace0.0': 2 * 64 * K }, ram: { 0: 64 * K } });
    expect(traceOf(renderTrace(r), 2).filter((l) => l.startsWith('map '))).toEqual([
      'map pte: 0xc00c000004000000-0xc00c000004010000 (64 KiB) -> altmap namespace0.0 from pfn 0x100101',
      'map pte: 0xc00c000004010000-0xc00c000004020000 (64 KiB) -> altmap namespace0.0 from pfn 0x100102',
      'map pte: 0xc00c000004020000-0xc00c000004030000 (64 KiB) -> node 0 RAM (buddy)',
    ]);
  });
});

describe('radix 4K, v6.12: an unaligned first call, then PMD-aligned calls', () => {
  /*
   * radix 4K (PMD_SIZE 2 MiB of memmap = 8 section calls of 256 KiB), v6.12: a 3 GiB fsdax
   * --map=dev namespace at 64 GiB + 16 MiB, pfn 0x1001000..0x10c0fff. nd_pfn_init(): npfns
   * (3 GiB - 8 KiB) / 4 KiB = 786430, offset ALIGN(8 KiB + 64 x 786430, 2 MiB) = 50 MiB = 12800
   * pfns: reserve 2, free 12798. Memmap [0xc00c000040040000, 0xc00c000043040000): call 0
   * starts 256 KiB into its PMD slot (base pages), calls 1..6 find its PTE table (base pages):
   * 448 pages of the altmap, pfn 0x1001002..0x10011c1. Call 7 starts the next slot, aligned and
   * inside the device: a PMD block, 512 pfns aligned to 512 from 0x10011c2 = 0x1001200 after 62
   * of padding; so on for the 23 slots up to 0xc00c000043000000. The last slot describes pfns
   * past end_pfn (0x10c0000 + 32767 > 0x10c0fff): base pages, its 64 pages inside the device.
   * The kernel calls radix__vmemmap_populate() once per section: only call 0's start is
   * unaligned, whatever the model batches.
   */
  it('base pages in the first and last slot, 23 PMD blocks between, all from the altmap', () => {
    const r = run(ppc({
      kernel: 'v6.12', config: '{ mmu: radix, pageSize: 4K }',
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1001000000, size: 3G }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    }));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.altmaps.map((a) => [a.reserve, a.free, a.alloc, a.align])).toEqual([[2, 12798, 448 + 23 * 512 + 64, 62]]);
    const k = r.machine.k;
    const lvl = (a: number, b: number) => k.s.leaves.overlaps(pfnToOff(k, 0x1000000) + a, pfnToOff(k, 0x1000000) + b).map((s) => [s.v.level, s.end - s.start]);
    // from 0xc00c000040000000: [+256 KiB, +2 MiB) PTEs, [2 MiB, 48 MiB) PMDs, [48 MiB, +256 KiB) PTEs
    expect(lvl(0, 2 * M)).toEqual([['pte', 2 * M - 256 * K]]);
    expect(lvl(2 * M, 48 * M).every(([l]) => l === 'pmd')).toBe(true);
    expect(k.s.leaves.coverage(pfnToOff(k, 0x1000000) + 2 * M, pfnToOff(k, 0x1000000) + 48 * M)).toBe(46 * M);
    expect(lvl(48 * M, 50 * M)).toEqual([['pte', 256 * K]]);
  });
});

describe('hash __vmemmap_populate(): the mapping size is mmu_vmemmap_psize', () => {
  /*
   * arch/powerpc/mm/book3s64/hash_utils.c htab_init_page_sizes() @ 6.18.2: mmu_vmemmap_psize is 16M when the MMU has 16M pages and
   * there is at least 1 GiB of boot RAM, else the base page. hash 64K (PMD_SIZE 16 MiB: 16 + 8
   * index bits): 2 GiB of boot RAM has 2 MiB of memmap, 32 bolted 64 KiB mappings (base-page
   * size) without 16M pages, one 16 MiB mapping (a PMD's size) with them.
   */
  it.each([
    ['64K', false, { pte: 32, pmd: 0, pud: 0 }, 2 * M],
    ['16M', true, { pte: 0, pmd: 1, pud: 0 }, 16 * M],
  ] as const)('%s blocks', (_, hash16M, mappings, bytes) => {
    const r = run(ppc({ kernel: 'v6.18', config: `{ mmu: hash, pageSize: 64K, hash16M: ${hash16M} }` }));
    expect([r.report.vmemmap.mappings, r.report.vmemmap.mappedBytes]).toEqual([mappings, bytes]);
  });
});

describe('hash before v5.10: an altmap block that fails, in a block whose list entry fails', () => {
  /*
   * init_64.c vmemmap_populate() @ 5.6.4 with an altmap: altmap_alloc_block_buf() unless
   * altmap_cross_boundary() (v5.6: start_pfn + nr_pfn > end_pfn), pr_debug("altmap block
   * allocation failed, falling back to system memory") and vmemmap_alloc_block_buf() from RAM
   * when it fails. hash 4K, a 1 GiB fsdax --map=dev namespace at 64 GiB (pfn 0x1000000..
   * 0x103ffff, 4096 blocks of 64 struct pages): block 139's altmap allocation fails (injected
   * #139), its RAM page is buddy #1 and its list page (the 138 entries left at boot are used up)
   * #2, which fails (vmemmap_alloc_block()'s one warn_alloc(), mm/sparse-vmemmap.c @ 5.6.4): the
   * two WARN_ON(1)s, then its line. So in kernel order: the pr_debug, the
   * WARNINGs, the line, each from its own function. The last block (start pfn 0x103ffc0 + 64 =
   * 0x1040000 > end_pfn 0x103ffff: the v5.6 test counts it as crossing) is RAM too: the altmap
   * serves 4094 blocks.
   */
  it('the pr_debug keeps its place and site among the WARNs', () => {
    const r = run(ppc({
      kernel: 'v5.6', config: HASH4K, faults: '[ { alloc: altmap, nth: 139 }, { alloc: buddy, nth: 2 } ]',
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 1G }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    }));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.altmaps.map((a) => a.alloc)).toEqual([4094]);
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ ram: { 0: 2 * 4 * K } });
    const log = r.machine.k.s.log.filter((m) => m.step === 2);
    const w = log.findIndex((m) => m.text.startsWith('altmap block allocation failed'));
    // (the list page's vmemmap_alloc_block() failure is the boot's first: its warn_alloc())
    expect(log.slice(w, w + 7).map((m) => [m.site, renderMessage(m, 1e6)[0]])).toEqual([
      ['arch/powerpc/mm/init_64.c:vmemmap_populate', 'altmap block allocation failed, falling back to system memory'],
      ['mm/sparse-vmemmap.c:vmemmap_alloc_block', '<comm>: vmemmap alloc failure: order:0, mode:0x4cc0(GFP_KERNEL|__GFP_RETRY_MAYFAIL), nodemask=(null)'],
      ['arch/powerpc/mm/init_64.c:vmemmap_list_alloc', '------------[ cut here ]------------'],
      ['arch/powerpc/mm/init_64.c:vmemmap_list_alloc', 'WARNING: at arch/powerpc/mm/init_64.c vmemmap_list_alloc'],
      ['arch/powerpc/mm/init_64.c:vmemmap_list_populate', '------------[ cut here ]------------'],
      ['arch/powerpc/mm/init_64.c:vmemmap_list_populate', 'WARNING: at arch/powerpc/mm/init_64.c vmemmap_list_populate'],
      ['arch/powerpc/mm/init_64.c:vmemmap_populate', '      * c00030004008a000..c00030004008b000 allocated at (unknown)'],
    ]);
  });
});

describe('radix: a later call of a run finds another device\'s PTE table', () => {
  /*
   * radix 64K v6.12. pmem1 [66 GiB + 128 MiB, +48 MiB) first (pfn 0x108800..0x108aff): its memmap
   * page 0xc00c000004220000 describes 0x108800..0x108bff, past its end: RAM, under a new PTE
   * table in the PMD slot 0xc00c000004200000. Then pmem0 [64 GiB + 16 MiB, +2 GiB) (pfn
   * 0x100100..0x1080ff; nd_pfn_init(): npfns 32767, offset ALIGN(8 KiB + 64 x 32767, 2 MiB) =
   * 4 MiB: reserve 1, free 63): its first PMD slot (unaligned first call) gets 32 base pages from
   * its altmap (pfn 0x100101..0x100120). Its last section's call starts at 0xc00c000004200000,
   * PMD-aligned, but the slot holds pmem1's PTE table: base_mapping, and
   * radix__vmemmap_pte_populate() checks altmap_cross_boundary() at that call's address: pfns
   * 0x108000 + 1023 > end_pfn 0x1080ff, RAM. (Each section is its own call in the kernel; the
   * check is never made at the run's first address.)
   */
  it('its page is checked where that call is: RAM', () => {
    const r = run(ppc({
      kernel: 'v6.12', config: RADIX64,
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1001000000, size: 2G }, { name: pmem1, type: nvdimm, node: 0, start: 0x1088000000, size: 48M }',
      steps: '  - create-namespace: { device: pmem1, mode: fsdax, map: dev }\n  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    }));
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(r.report.altmaps.map((a) => [a.id, a.reserve, a.free, a.alloc])).toEqual([['namespace1.0', 1, 31, 0], ['namespace0.0', 1, 63, 32]]);
    expect(r.report.steps[2]!.delta.memmapBacking).toMatchObject({ altmap: { 'namespace0.0': 32 * 64 * K }, ram: { 0: 64 * K } });
  });
});
