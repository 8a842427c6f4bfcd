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
import { pfnToOff } from '../src/kernel/state.js';
import { run, stepOf } from './helpers.js';

const K = 1024;
const M = 2 ** 20;

/** The `--trace` lines of step n. */
const traceOf = (text: string, n: number) => text.split(/^# step /m).find((b) => b.startsWith(`${n}:`))!.split('\n').slice(1).filter(Boolean);
const notesOf = (r: ReturnType<typeof run>, n: number) => traceOf(renderTrace(r), n).filter((l) => l.startsWith('note:'));
const freePages = (r: ReturnType<typeof run>, node = 0) => r.report.memory.nodes[node]!.freePages;

/** A powerpc64 machine with 2 GiB of RAM on node 0 and the steps after boot. */
const ppc = (o: { kernel: string; config: string; devices?: string; faults?: string; nodes?: string; cmdline?: string; steps?: string }) => `
arch: powerpc64
kernel: ${o.kernel}
config: ${o.config}
${o.cmdline ? `cmdline: ${o.cmdline}` : ''}
${o.faults ? `faults: ${o.faults}` : ''}
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
${o.nodes ?? ''}
devices: [ ${o.devices ?? ''} ]
steps:
  - boot
${o.steps ?? ''}`;

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
  });
});

describe('hash vmemmap_list before v5.10: the WARNs and the block\'s own line', () => {
  /*
   * init_64.c vmemmap_populate() @ 5.6.4: vmemmap_list_populate() returns nothing; a failed
   * vmemmap_list_alloc() is WARN_ON(1) there and WARN_ON(1) in vmemmap_list_populate(), then
   * the block's pr_debug("      * %016lx..%016lx allocated at %p\n") as for any block. Block
   * 139 (as above, buddy #140 fails) is at the v5.6 hash 4K vmemmap 0xc000300000000000 +
   * 0x80000 x 64 + 138 x 4 KiB = 0xc00030000208a000: its line comes right after the two
   * WARNINGs, from __vmemmap_populate's site, and %p prints as "(unknown)".
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
      ['arch/powerpc/mm/init_64.c:__vmemmap_populate', '      * c00030000208a000..c00030000208b000 allocated at (unknown)'],
    ]);
    // every block's line ends in the pointer the model cannot know, the first of each run too
    const lines = log.flatMap((m) => renderMessage(m, 1e6)).filter((l) => l.includes(' allocated at '));
    expect(lines).toHaveLength(1024);
    expect(lines.every((l) => l.endsWith(' allocated at (unknown)'))).toBe(true);
  });
});

describe('hash vmemmap_populated(): a second sub-section of a live section', () => {
  /*
   * v6.1, hash 4K: two 2 MiB hmem ranges in one section, each a dax device whose
   * memremap_pages() adds one sub-section (512 pfns: 32 KiB of memmap = 8 blocks). mm/sparse.c
   * section_activate() sets the sub-section's bit (fill_subsection_map) before
   * populate_section_memmap(); the section already has SECTION_HAS_MEM_MAP from hmem0, so
   * pfn_valid() (include/linux/mmzone.h: valid section, then the sub-section bit) is true for
   * hmem1's pfns before their memmap exists, and init_64.c vmemmap_populated(start, 4 KiB) -
   * from the sub-section holding start's struct page - says populated for each of hmem1's 8
   * blocks: __vmemmap_populate() skips them and they stay unmapped. hmem1 (pfn 0x1000200) has
   * its memmap at 0xc0003f0000000000 + 0x1000200 x 64 = 0xc0003f0040008000.
   */
  it('its blocks count as populated and stay unmapped: one note', () => {
    const r = run(ppc({
      kernel: 'v6.1', config: HASH4K,
      devices: '{ name: hmem0, type: hmem, node: 0, start: 0x1000000000, size: 2M }, { name: hmem1, type: hmem, node: 0, start: 0x1000200000, size: 2M }',
    }));
    expect(notesOf(r, 1).filter((l) => l.includes('vmemmap_populated'))).toEqual([
      'note: arch/powerpc/mm/init_64.c:vmemmap_populated: c0003f0040008000.. counts as populated (a valid sub-section\'s memmap is there) but is not mapped',
    ]);
    const k = r.machine.k;
    const off = pfnToOff(k, 0x1000000);
    expect([k.s.leaves.coverage(off, off + 32 * K), k.s.leaves.coverage(off + 32 * K, off + 64 * K)]).toEqual([32 * K, 0]);
  });
});
