/**
 * struct vmem_altmap and its bump allocator (mm/sparse-vmemmap.c altmap_alloc_block_buf,
 * vmem_altmap_free, include/linux/mm.h vmem_altmap_offset) @ v6.18.
 */
import { describe, expect, it } from 'vitest';
import { altmap_alloc_block_buf, vmem_altmap_free, vmem_altmap_next_pfn, vmem_altmap_nr_free, vmem_altmap_offset } from '../src/kernel/sparse-vmemmap.js';
import type { Kernel } from '../src/kernel/state.js';
import { setup_machine, x86 } from './helpers.js';

function setup_altmap(base_pfn: number, reserve: number, free: number): Kernel {
  const { k } = setup_machine(x86());
  k.s.altmaps.set('a', { id: 'a', base_pfn, end_pfn: base_pfn + 0xfffff, reserve, free, align: 0, alloc: 0, owner: 'a', device: 'd' });
  return k;
}

describe('altmap_alloc_block_buf', () => {
  /*
   *  pfn: base                                              base+reserve+free
   *       |-res-|..510 waste..|====== 2 MiB (512) ======|......|
   *             ^ next_pfn = base + 2, aligned up to 512
   *
   * Expect the block at base + 512, alloc 512, align 510 (the lowest set bit of 512 pages).
   */
  it('pmd_first: a PMD-sized request is aligned to 512 pages, the gap is waste', () => {
    const k = setup_altmap(0x100000, 2, 66046);
    expect(altmap_alloc_block_buf(k, 2 * 1024 * 1024, 'a')).toBe(0x100200);
    const a = k.s.altmaps.get('a')!;
    expect(a).toMatchObject({ alloc: 512, align: 510 });
    expect(vmem_altmap_next_pfn(a)).toBe(0x100400);
    expect(vmem_altmap_nr_free(a)).toBe(66046 - 1022);
  });

  /*
   * 128 PMDs after the first wasted 510 pages fill free = 66,046 exactly (the 16 GiB
   * namespace). Expect a 129th request to fail and change nothing.
   */
  it('exhausted: the reservation of a 16 GiB namespace fits 128 PMDs exactly', () => {
    const k = setup_altmap(0x100000, 2, 66046);
    expect(altmap_alloc_block_buf(k, 2 * 1024 * 1024, 'a', 128)).toBe(0x100200);
    const a = k.s.altmaps.get('a')!;
    expect(a).toMatchObject({ alloc: 65536, align: 510 });
    expect(vmem_altmap_nr_free(a)).toBe(0);
    expect(altmap_alloc_block_buf(k, 2 * 1024 * 1024, 'a')).toBeNull();
    expect(a).toMatchObject({ alloc: 65536, align: 510 });
  });

  /* Base pages are unaligned: 3 pages has lowest set bit 1, 6 pages has 2. */
  it('odd sizes: alignment is the largest power of two dividing the page count', () => {
    const k = setup_altmap(0x100000, 1, 100);
    expect(altmap_alloc_block_buf(k, 3 * 4096, 'a')).toBe(0x100001);
    expect(altmap_alloc_block_buf(k, 6 * 4096, 'a')).toBe(0x100004); // next 0x100004 is 2-aligned
    expect(altmap_alloc_block_buf(k, 6 * 4096, 'a')).toBe(0x10000a);
    expect(k.s.altmaps.get('a')).toMatchObject({ alloc: 15, align: 0 });
    expect(altmap_alloc_block_buf(k, 2 * 4096, 'a')).toBe(0x100010);
    expect(k.s.altmaps.get('a')).toMatchObject({ alloc: 17, align: 0 });
    expect(altmap_alloc_block_buf(k, 4 * 4096, 'a')).toBe(0x100014);
    expect(k.s.altmaps.get('a')).toMatchObject({ alloc: 21, align: 2 });
  });

  it('not a multiple of PAGE_SIZE: NULL and a one-time warning', () => {
    const k = setup_altmap(0x100000, 1, 100);
    expect(altmap_alloc_block_buf(k, 100, 'a')).toBeNull();
    expect(altmap_alloc_block_buf(k, 100, 'a')).toBeNull();
    const warns = k.s.log.filter((m) => m.text.includes('allocations must be multiple of PAGE_SIZE'));
    expect(warns.map((m) => m.text)).toEqual(['altmap_alloc_block_buf: allocations must be multiple of PAGE_SIZE (100)\n']);
  });

  /* The kernel's pr_debug, one line per allocation, after the alignment is applied. */
  it('debug: one line per allocation, as the kernel prints it', () => {
    const k = setup_altmap(0x100000, 2, 66046);
    altmap_alloc_block_buf(k, 2 * 1024 * 1024, 'a', 2);
    const m = k.s.log.find((x) => x.site.endsWith('altmap_alloc_block_buf'))!;
    expect(m.text).toBe('altmap_alloc_block_buf: pfn: 0x100200 alloc: 512 align: 510 nr: 0x200\n');
    expect(m.run!.count).toBe(2);
    expect(m.run!.nth(1)).toBe('altmap_alloc_block_buf: pfn: 0x100400 alloc: 1024 align: 510 nr: 0x200\n');
  });
});

describe('vmem_altmap_free', () => {
  /* Only alloc goes down; align never does, so next_pfn moves back by the freed amount only. */
  it('simple: alloc -= nr, align kept', () => {
    const k = setup_altmap(0x100000, 2, 66046);
    altmap_alloc_block_buf(k, 2 * 1024 * 1024, 'a', 2);
    vmem_altmap_free(k, 'a', 512);
    const a = k.s.altmaps.get('a')!;
    expect(a).toMatchObject({ alloc: 512, align: 510 });
    expect(vmem_altmap_next_pfn(a)).toBe(0x100400);
  });

  it('offset: vmem_altmap_offset = reserve + free, 0 without an altmap', () => {
    const k = setup_altmap(0x100000, 2, 66046);
    expect(vmem_altmap_offset(k.s.altmaps.get('a'))).toBe(66048);
    expect(vmem_altmap_offset(null)).toBe(0);
  });
});
