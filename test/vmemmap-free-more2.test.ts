/**
 * Still more of the arch vmemmap_free() paths (src/kernel/vmemmap-free.ts) and of pgtable.ts that
 * mutation testing (docs/testing.md, the 09:15 run) left without a test: arm64's PTE walk from an
 * unaligned start (unmap_hotplug_pte_range() steps by PAGE_SIZE from the start it is given),
 * arm64's PTE walk over more than one PMD, arm64 freeing a partly covered PMD block only for the
 * blocks the range meets, x86's partly covered PMD block freed once all of it is marked unused,
 * freeBacking()'s anomalies for self-hosted and deduplicated memmap, powerpc's partly covered
 * edge pages and PMD blocks, hash __vmemmap_free() with no interior block, the page-table
 * freeing's floor and ceiling (arm64 free_empty_tables(), s390 remove_pagetable()), and
 * leafSegments()'s level filter.
 *
 * Where no scenario reaches a path (the x86 two-step PMD free, the anomalies of modelled kernel
 * bugs no scenario builds), the state is built by hand at a vmemmap offset far from any memmap
 * (64 GiB of vmemmap in: the struct pages of 4 TiB of physical memory) and vmemmap_free() is
 * called directly, as test/pmd-runs.test.ts does for pmdRuns().
 */
import { describe, expect, it } from 'vitest';
import { parseProfileFile, registerProfile } from '../src/index.js';
import { leafSegments, mapLeaves } from '../src/kernel/pgtable.js';
import { vmemmap_free } from '../src/kernel/vmemmap-free.js';
import { offToVa, type Kernel } from '../src/kernel/state.js';
import { run, setup_machine, stepOf } from './helpers.js';
import type { RunResult } from '../src/index.js';

const K = 1024;
const M = 2 ** 20;
const G = 2 ** 30;

/** The unmap events of step i: [vmemmap offset (hex), size, backing kind]. */
function unmaps(r: RunResult, i: number) {
  const t = stepOf(r, i).trace;
  return r.machine.k.s.trace.slice(t.from, t.to).flatMap((e) => (e.t === 'unmap' ? [[e.level, e.va.toString(16), e.size, e.b.kind]] : []));
}

/** Bytes of [a, b) mapped by leaves. */
const mapped = (k: Kernel, a: number, b: number) => k.s.leaves.coverage(a, b);

describe('arm64 unmap_hotplug_pte_range(): the walk from an unaligned start', () => {
  /*
   * arm64 64K with the early-section partial depopulate of v5.6 (section_deactivate() before
   * ef69bc9f689d; arm64 has had a real vmemmap_free() since v5.7, so v5.7/v5.8 combine both):
   * boot RAM [1 GiB, 5 GiB + 32 MiB) ends 32 MiB into the 512 MiB section [5 GiB, 5.5 GiB),
   * an early section; pmem0 takes [5 GiB + 32 MiB, 5 GiB + 96 MiB) of it. Its namespace adds no memmap (the early section's is
   * there), and its destroy depopulates the struct pages of those 64 MiB:
   *   offset (5 GiB + 32 MiB - memstart 1 GiB) / 64 KiB x 64 B = 0x408000, 64 MiB / 1024 = 64 KiB:
   *   [0x408000, 0x418000), i.e. the second half of the page at 0x400000 and the first half of
   *   the page at 0x410000.
   * unmap_hotplug_pte_range(addr = 0x408000, end = 0x418000) unmaps the page holding addr, then
   * addr += PAGE_SIZE = 0x418000 is not below end: the page at 0x410000 stays mapped, though the
   * range covers half of it (x86's remove_pte_table() steps to the next page boundary instead).
   * The boot memmap was mapped at boot from memblock: (4 GiB + 32 MiB) / 1024 = 4.5 MiB.
   */
  it('v6.18 with the early-section partial depopulate: one page unmapped, the next kept', () => {
    registerProfile(parseProfileFile('arm64-early.yaml', 'id: arm64-v5.7ish\ntitle: v6.18 with the v5.6 early-section partial depopulate\nbase: v6.18\nswitches:\n  earlySectionPartialDepopulate: true\n'));
    const r = run(`
arch: arm64
kernel: arm64-v5.7ish
config: { pageSize: 64K }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 0x102000000 } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x142000000, size: 64M, labels: false }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, align: 64K }
  - destroy-namespace: { device: pmem0 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    const k = r.machine.k;
    const base = k.c.startOff;
    expect(unmaps(r, 3)).toEqual([['pte', (base + 0x400000).toString(16), 64 * K, 'ram']]);
    // the boot memmap, 4.5 MiB, less the one page
    expect(mapped(k, base, base + 0x480000)).toBe(0x480000 - 64 * K);
    expect(mapped(k, base + 0x410000, base + 0x420000)).toBe(64 * K);
  });
});

describe('arm64 unmap_hotplug_range(): a PTE-mapped range over more than one PMD', () => {
  /*
   * arm64 16K: base pages only (arm64 maps PMD blocks with 4K pages only); a PMD entry maps
   * 32 MiB of vmemmap, the struct pages of 32 MiB / 64 B x 16 KiB = 8 GiB. A 1 GiB namespace at
   * memstart + 7.5 GiB (memstart 1 GiB: pmem0 at 8.5 GiB) has 1 GiB / 16 KiB x 64 B = 4 MiB of
   * memmap, [30 MiB, 34 MiB) from the vmemmap's start: 2 MiB below and 2 MiB above a PMD
   * boundary. unmap_hotplug_pmd_range() hands unmap_hotplug_pte_range() each PMD's part: every
   * page of the 4 MiB is unmapped, and both PTE tables are then empty (free_empty_tables()).
   */
  it('every page of both PMDs is unmapped', () => {
    const r = run(`
arch: arm64
kernel: v6.18
config: { pageSize: 16K }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x220000000, size: 1G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }
  - destroy-namespace: { device: pmem0 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    const k = r.machine.k;
    const base = k.c.startOff;
    expect(k.c.PMD_SIZE).toBe(32 * M);
    expect(mapped(k, base + 30 * M, base + 34 * M)).toBe(0);
    expect(unmaps(r, 3).reduce((n, u) => n + (u[2] as number), 0)).toBe(4 * M);
    expect(r.report.invariants.violations).toEqual([]);
  });
});

describe('arm64 unmap_hotplug_pmd_range(): only the blocks the range meets', () => {
  /*
   * arm64 4K: a 128 MiB section's memmap is one 2 MiB PMD block. Two 128 MiB --map=mem
   * namespaces at 16 GiB: blocks at (16 GiB - memstart 1 GiB) / 4 KiB x 64 = 0xf000000 and
   * 0xf200000. Destroying namespace0.0 frees its block only; namespace0.1's block, right after
   * the range's end, stays.
   */
  it('destroying the first of two adjacent PMD-mapped namespaces keeps the second block', () => {
    const r = run(`
arch: arm64
kernel: v6.18
config: { pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G, labels: true }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 128M }
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 128M }
  - destroy-namespace: { device: pmem0, namespace: namespace0.0 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true]);
    const k = r.machine.k;
    const base = k.c.startOff;
    expect(unmaps(r, 4)).toEqual([['pmd', (base + 0xf000000).toString(16), 2 * M, 'ram']]);
    expect(mapped(k, base + 0xf200000, base + 0xf400000)).toBe(2 * M);
  });
});

/** A booted machine and a fresh vmemmap offset 64 GiB in (nothing mapped there). */
function bare(yaml: string) {
  const k = setup_machine(yaml).k;
  const base = k.c.startOff + 64 * G;
  expect(k.s.leaves.overlaps(base, base + 64 * M)).toEqual([]);
  return { k, base };
}

const X86 = `arch: x86_64\nkernel: v6.18\nnodes:\n  - { id: 0, memory: [ { start: 0, size: 4G } ] }\n`;
const ARM64 = `arch: arm64\nkernel: v6.18\nconfig: { pageSize: 4K }\nnodes:\n  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }\n`;
const RADIX = `arch: powerpc64\nkernel: v6.12\nconfig: { mmu: radix, pageSize: 64K }\nnodes:\n  - { id: 0, memory: [ { start: 0, size: 2G } ] }\n`;

describe('x86 remove_pmd_table(): a PMD block freed by its second partial removal', () => {
  /*
   * arch/x86/mm/init_64.c remove_pmd_table(): a PMD leaf the range covers only in part is freed
   * once vmemmap_pmd_is_unused() finds the whole 2 MiB block PAGE_UNUSED. Two removals of 1 MiB
   * each: the first marks [0, 1 MiB) of the block and keeps it, the second marks the rest and
   * frees it (one unmap of 2 MiB; the marks go with it).
   */
  it('the first half keeps the block, the second frees it', () => {
    const { k, base } = bare(X86);
    mapLeaves(k, base, base + 2 * M, 'pmd', { kind: 'ram', node: 0, src: 'buddy', key: 990 });
    const from = k.s.trace.length;
    vmemmap_free(k, base, base + M, null);
    expect(mapped(k, base, base + 2 * M)).toBe(2 * M);
    expect(k.s.pmdUnused.coverage(base - 4 * M, base + 4 * M)).toBe(M);
    vmemmap_free(k, base + M, base + 2 * M, null);
    expect(mapped(k, base, base + 2 * M)).toBe(0);
    expect(k.s.pmdUnused.coverage(base - 4 * M, base + 4 * M)).toBe(0);
    expect(k.s.trace.slice(from).flatMap((e) => (e.t === 'unmap' ? [[e.level, e.va - base, e.size]] : []))).toEqual([['pmd', 0, 2 * M]]);
  });
});

describe('freeBacking(): memmap that is not the altmap\'s charged to it', () => {
  /*
   * arm64 free_hotplug_page_range() hands every page to vmem_altmap_free() when vmemmap_free()
   * gets an altmap, whatever backs it. The model names two such cases as kernel anomalies:
   * self-hosted (memmap_on_memory) memmap charged to an altmap that is not the block's, and
   * device-dax deduplicated memmap charged to an altmap. No scenario maps either under another
   * altmap's range today, so the leaves are put there by hand. One 4 KiB page at offset 64 GiB:
   * VA 0xfffffd8000000000 + 0x7fc0000000 + 64 GiB = 0xfffffe0fc0000000.
   */
  const altmap = (k: Kernel, id: string, self: boolean) =>
    k.s.altmaps.set(id, { id, base_pfn: 0x4000000, end_pfn: 0x4040000, reserve: 0, free: 0x40000, align: 0, alloc: 1, owner: id, device: 'pmem9', ...(self ? { self: { stride: 0x8000, slice: 512, blocks: 1, node: 0 } } : {}) });

  it('self-hosted memmap charged to a device\'s altmap: an anomaly; to a self-hosting altmap: none', () => {
    const { k, base } = bare(ARM64);
    mapLeaves(k, base, base + 4096, 'pte', { kind: 'self', node: 0 });
    altmap(k, 'namespace9.0', false);
    vmemmap_free(k, base, base + 4096, 'namespace9.0');
    expect(k.s.anomalies.map(({ site, text }) => ({ site, text }))).toEqual([
      { site: 'arch/arm64/mm/mmu.c:vmemmap_free', text: 'self-hosted memmap at fffffe0fc0000000 was charged to altmap namespace9.0' },
    ]);
    expect(k.s.altmaps.get('namespace9.0')!.alloc).toBe(0);
    // the same page under a self-hosting altmap is where it belongs
    mapLeaves(k, base, base + 4096, 'pte', { kind: 'self', node: 0 });
    altmap(k, 'memory9', true);
    vmemmap_free(k, base, base + 4096, 'memory9');
    expect(k.s.anomalies).toHaveLength(1);
    expect(k.s.altmaps.get('memory9')!.alloc).toBe(0);
  });

  it('deduplicated memmap charged to an altmap: an anomaly', () => {
    const { k, base } = bare(ARM64);
    mapLeaves(k, base, base + 4096, 'pte', { kind: 'compound', node: 0, tailNode: 0, pgmap: 'pgmap9', period: 8, phase: 0 });
    altmap(k, 'namespace9.0', false);
    vmemmap_free(k, base, base + 4096, 'namespace9.0');
    expect(k.s.anomalies.map(({ site, text }) => ({ site, text }))).toEqual([
      { site: 'arch/arm64/mm/mmu.c:vmemmap_free', text: 'deduplicated memmap at fffffe0fc0000000 was charged to altmap namespace9.0' },
    ]);
    expect(k.s.altmaps.get('namespace9.0')!.alloc).toBe(0);
  });

  /*
   * Without an altmap the self-hosted page goes to the page allocator as if it were RAM: the
   * model does not free it and names it (the memory belongs to the hot-added block).
   */
  it('self-hosted memmap freed without an altmap: freed as RAM, named as a self-hosting block', () => {
    const { k, base } = bare(ARM64);
    mapLeaves(k, base, base + 2 * 4096, 'pte', { kind: 'self', node: 0 });
    vmemmap_free(k, base, base + 2 * 4096, null);
    expect(k.s.anomalies.map(({ site, text }) => ({ site, text }))).toEqual([
      { site: 'arch/arm64/mm/mmu.c:vmemmap_free', text: '2 page(s) of a self-hosting memory block backing fffffe0fc0000000 were freed to the page allocator as RAM' },
    ]);
  });
});

describe('powerpc radix remove_pte_table(): the page after a page-aligned end', () => {
  /*
   * radix 64K: vmemmap_free() over exactly one page [base, base + 64 KiB) frees that page; the
   * partly-covered-page rule looks at the pages holding start and end - 1, both this one. The
   * next page, mapped and describing no valid sub-section, is not the range's: it stays.
   */
  it('a range ending on a page boundary leaves the next page alone', () => {
    const { k, base } = bare(RADIX);
    const P = 64 * K;
    mapLeaves(k, base, base + 2 * P, 'pte', { kind: 'ram', node: 0, src: 'buddy', key: 991 });
    vmemmap_free(k, base, base + P, null);
    expect(mapped(k, base, base + P)).toBe(0);
    expect(mapped(k, base + P, base + 2 * P)).toBe(P);
  });
});

describe('leafSegments()', () => {
  /*
   * The leaves of a range, optionally of one level only. A PMD leaf at 64 GiB and PTE leaves
   * right after it (x86 4K): all three asked for together, and each level alone.
   */
  it('filters by level when one is given', () => {
    const { k, base } = bare(X86);
    mapLeaves(k, base, base + 2 * M, 'pmd', { kind: 'ram', node: 0, src: 'buddy', key: 992 });
    mapLeaves(k, base + 2 * M, base + 2 * M + 8192, 'pte', { kind: 'ram', node: 0, src: 'buddy', key: 993 });
    const spans = (level?: 'pte' | 'pmd') => leafSegments(k, base, base + 4 * M, level).map((s) => [s.start - base, s.end - base, s.v.level]);
    expect(spans()).toEqual([[0, 2 * M, 'pmd'], [2 * M, 2 * M + 8192, 'pte']]);
    expect(spans('pmd')).toEqual([[0, 2 * M, 'pmd']]);
    expect(spans('pte')).toEqual([[2 * M, 2 * M + 8192, 'pte']]);
  });
});

describe('arm64 free_empty_tables(): floor VMEMMAP_START, ceiling VMEMMAP_END', () => {
  /*
   * arm64 4K (48-bit VA, v6.18): VMEMMAP_START = 0xfffffdffc0000000 sits 511 GiB into the 512 GiB
   * a PUD table maps, so that table [0xfffffd8000000000, 0xfffffe0000000000) also maps what lies
   * below the vmemmap. free_empty_pud_table() frees a PUD table only when
   * pgtable_range_aligned(start, end, floor, ceiling, PGDIR_MASK) holds, which the floor
   * VMEMMAP_START rules out for this one; the PMD table [VMEMMAP_START, + 1 GiB) lies wholly
   * inside the window and goes once empty.
   * The profile drops prevent_bootmem_remove_notifier (arm64BootmemNotifier none, as v5.6 had it,
   * with v5.7's hot-remove): boot RAM [1 GiB, 2 GiB) can be offlined and removed. Its memmap
   * (1 GiB / 4 KiB x 64 = 16 MiB, PMD blocks) is the only thing in the first PMD table; the
   * other boot range at 65 GiB has its memmap 64 GiB / 4 KiB x 64 = 1 GiB further on, in the next
   * PUD table (0xfffffe0000000000).
   */
  it('removing the memory at VMEMMAP_START frees its PMD table, not the PUD table across the floor', () => {
    registerProfile(parseProfileFile('arm64-bootmem.yaml', 'id: arm64-bootmem-removable\ntitle: v6.18 without prevent_bootmem_remove_notifier\nbase: v6.18\nswitches:\n  arm64BootmemNotifier: none\n'));
    const r = run(`
arch: arm64
kernel: arm64-bootmem-removable
config: { pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 1G }, { start: 0x1040000000, size: 1G } ] }
steps:
  - boot
  - offline: { start: 0x40000000, size: 1G }
  - hot-remove: { start: 0x40000000, size: 1G }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    const k = r.machine.k;
    const base = k.c.startOff;
    const t = stepOf(r, 3).trace;
    expect(k.s.trace.slice(t.from, t.to).flatMap((e) => (e.t === 'unmap' || e.t === 'table-free' ? [[e.t, e.level, e.va - base]] : []))).toEqual([
      ['unmap', 'pmd', 0],
      ['table-free', 'pmd', 0],
    ]);
    // the PUD table holding VMEMMAP_START: 1 GiB of window (512 GiB - 511 GiB) below its end
    expect(k.s.tables.pud.coverage(base - 511 * G, base + G)).toBe(512 * G);
  });
});

describe('powerpc hash __vmemmap_free(): a removal inside one block of a bigger mapping', () => {
  /*
   * hash 4K (v6.12): a 16 MiB vmemmap block describes 1 GiB of pfns. A 3 GiB hot-add at 64 GiB
   * maps three blocks at vmemmap offset 64 GiB / 4 KiB x 64 = 0x40000000 in one go (48 MiB of RAM).
   * Removing the 256 MiB memory block at 65 GiB: its memmap [0x41000000, 0x41400000) is in the
   * middle block, which the rest of that GiB still populates (vmemmap_populated()): kept. There is
   * no block between the edges (start and end in one block): nothing unmapped, nothing freed.
   * Then removing [65.5 GiB, 66.5 GiB): memmap [0x41800000, 0x42800000) meets the last two
   * blocks, both still populated ([65.25 GiB, 65.5 GiB) and [66.5 GiB, 67 GiB) stay): again
   * nothing between them, nothing unmapped.
   */
  it('edge blocks that stay populated, no interior block: nothing unmapped', () => {
    const r = run(`
arch: powerpc64
kernel: v6.12
config: { mmu: hash, pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 0x1000000000, size: 3G }
  - hot-remove: { start: 0x1040000000, size: 256M }
  - hot-remove: { start: 0x1060000000, size: 1G }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true]);
    const k = r.machine.k;
    expect(unmaps(r, 3)).toEqual([]);
    expect(unmaps(r, 4)).toEqual([]);
    expect(mapped(k, 0x40000000, 0x43000000)).toBe(48 * M);
    expect(r.report.steps[2]!.delta.memmapBacking.ram).toEqual({});
    expect(r.report.steps[3]!.delta.memmapBacking.ram).toEqual({});
    expect(r.report.invariants.violations).toEqual([]);
  });
});

describe('s390 remove_pagetable(): no floor or ceiling', () => {
  /*
   * s390 (v6.18, EDAT-1): the vmemmap window is 0x37200000000-0x37fc8000000 (the struct pages of
   * 3528 GiB), and a segment table (CRST of 2048 entries x 1 MiB) maps 2 GiB of it, so the last
   * one, [0x37f80000000, 0x38000000000), reaches past the window's end. try_free_pmd_table()
   * frees a segment table whose entries are all none, wherever it lies (arch/s390/mm/vmem.c
   * @ v6.18: only modify_pagetable() checks the whole range against __abs_lowcore).
   * Boot RAM [3527 GiB, 3528 GiB) has its 16 MiB of memmap at the window's end, alone in that
   * table; offlined and removed, the table goes (boot memory: vmem_free_pages() keeps the pages
   * after its WARN_ON_ONCE, the entry cleared).
   */
  it('the segment table across the window\'s end is freed once empty', () => {
    const r = run(`
arch: s390x
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G }, { start: 0x371c0000000, size: 1G } ] }
steps:
  - boot
  - offline: { start: 0x371c0000000, size: 1G }
  - hot-remove: { start: 0x371c0000000, size: 1G }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    const k = r.machine.k;
    const t = stepOf(r, 3).trace;
    const va = (off: number) => offToVa(k, off).toString(16);
    expect(k.s.trace.slice(t.from, t.to).flatMap((e) => (e.t === 'unmap' || e.t === 'table-free' ? [[e.t, e.level, va(e.va)]] : []))).toEqual([
      ['unmap', 'pmd', '37fc7000000'],
      ['table-free', 'pmd', '37f80000000'],
    ]);
  });
});

describe('powerpc radix remove_pmd_table(): blocks in address order', () => {
  /*
   * radix 4K (v6.12): a PMD entry maps 2 MiB of memmap = 32768 struct pages = 128 MiB. A 448 MiB
   * --map=mem namespace at 64 GiB has 7 MiB of memmap at offset 64 GiB / 4 KiB x 64 = 0x40000000:
   * PMD blocks for each PMD slot it touches, the last one half used. The 3rd page-allocator
   * request (after the PMD table and the first block) fails, so the second PMD slot
   * [0x40200000, 0x40400000) gets a PTE table and base pages (radix__vmemmap_populate()'s
   * fallback); the rest is one 4 MiB run of blocks.
   * The destroy: remove_pmd_table() walks the PMD entries in address order and frees the blocks
   * 0x40000000, 0x40400000 (whole) and 0x40600000 (half covered, freed as vmemmap_pmd_is_unused():
   * no valid sub-section is left in it); slot 0x40200000 goes through remove_pte_table(). (The
   * kernel meets the base pages between the first two blocks; the model unmaps all PTE leaves in
   * a pass of their own first, so only the PMD events' order is pinned here.)
   */
  it('the partly covered last block comes after the whole ones', () => {
    const r = run(`
arch: powerpc64
kernel: v6.12
config: { mmu: radix, pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 1G, labels: true } ]
faults: [ { alloc: buddy, nth: 3 } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 448M }
  - destroy-namespace: { device: pmem0 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(unmaps(r, 3).filter((u) => u[0] === 'pmd')).toEqual([
      ['pmd', '40000000', 2 * M, 'ram'],
      ['pmd', '40400000', 2 * M, 'ram'],
      ['pmd', '40600000', 2 * M, 'ram'],
    ]);
    expect(unmaps(r, 3).filter((u) => u[0] === 'pte')).toEqual([['pte', '40200000', 2 * M, 'ram']]);
    expect(r.report.vmemmap.mappedBytes).toBe(32 * M);
  });
});

describe('arm64 free_empty_tables(): only the tables of the range removed', () => {
  /*
   * arm64 4K (v6.18), boot RAM [1 GiB, 2 GiB) and [129 GiB, 129 GiB + 128 MiB) on node 0. The
   * sparse buffer (memblock allocation 1) fails, so each memmap block comes from memblock; for
   * the second range (memmap at VMEMMAP_START + 128 GiB / 4 KiB x 64 = 0xfffffe0040000000)
   * sparse_init_nid() allocates a PUD table (12) and a PMD table (13), then its PMD block (14)
   * and the PTE table of the base-page fallback (15) fail: "memory map backing failed", the two
   * tables stay, empty. A later hot-add/hot-remove of 128 MiB at 16 GiB (memmap at
   * 0xfffffdffcf000000, in the first PMD table with boot memory's) frees its block; its
   * free_empty_tables(start, end, VMEMMAP_START, VMEMMAP_END) looks only at the tables over
   * [start, end): the empty ones further up stay.
   */
  it('the empty tables a failed boot populate left stay', () => {
    const r = run(`
arch: arm64
kernel: v6.18
config: { pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 1G }, { start: 0x2040000000, size: 128M } ] }
faults: [ { alloc: memblock, nth: 1 }, { alloc: memblock, nth: 14 }, { alloc: memblock, nth: 15 } ]
steps:
  - boot
  - hot-add: { node: 0, start: 0x400000000, size: 128M }
  - hot-remove: { start: 0x400000000, size: 128M }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    const k = r.machine.k;
    const va = (off: number) => offToVa(k, off).toString(16);
    expect(stepOf(r, 1).dmesg.map((m) => m.text).filter((x) => x.includes('backing failed'))).toEqual(['sparse_init_nid: node[0] memory map backing failed. Some memory will not be available.']);
    const t = stepOf(r, 3).trace;
    expect(k.s.trace.slice(t.from, t.to).flatMap((e) => (e.t === 'unmap' || e.t === 'table-free' ? [[e.t, e.level, va(e.va)]] : []))).toEqual([
      ['unmap', 'pmd', 'fffffdffcf000000'],
    ]);
    expect([...k.s.tables.pmd].map((s) => [va(s.start), (s.end - s.start) / G])).toEqual([['fffffdffc0000000', 1], ['fffffe0040000000', 1]]);
    // the two PUD tables side by side (one segment), and the fixmap's static one at the top
    expect([...k.s.tables.pud].map((s) => [va(s.start), (s.end - s.start) / (512 * G), s.v.src])).toEqual([['fffffd8000000000', 2, 'memblock'], ['ffffff8000000000', 1, 'static']]);
  });
});
