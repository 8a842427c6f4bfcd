/** The vmemmap part of the kernel page-table dump, per arch format (report/ptdump.ts). */
import { describe, expect, it } from 'vitest';
import { renderPtdump } from '../src/index.js';
import { run } from './helpers.js';

describe('ptdump', () => {
  /*
   * x86 4-level: 3 GiB of boot RAM (48 PMDs), a 2 MiB sub-section device at 4 GiB (8 PTEs
   * from RAM). Lines as arch/x86/mm/dump_pagetables.c prints them.
   */
  it('x86: PMD and PTE runs, holes at each level', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 3G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 4G, size: 16M }
steps:
  - boot
  - create-namespace: { device: pmem0, map: mem }
`);
    expect(renderPtdump(r).split('\n').slice(0, 9)).toEqual([
      '---[ Vmemmap ]---',
      '0xffffea0000000000-0xffffea0003000000          48M     RW         PSE     GLB NX pmd',
      '0xffffea0003000000-0xffffea0004000000          16M                               pmd',
      '0xffffea0004000000-0xffffea0004040000         256K     RW                 GLB NX pte',
      '0xffffea0004040000-0xffffea0004200000        1792K                               pte',
      '0xffffea0004200000-0xffffea0040000000         958M                               pmd',
      '0xffffea0040000000-0xffffea8000000000         511G                               pud',
      '0xffffea8000000000-0xffffeb0000000000         512G                               pgd',
      '# vmemlab: the dump stops at the end of the vmemmap region (0xffffeb0000000000); the kernel continues the last hole to the next marker',
    ]);
  });

  /* arm64 4K/48 with 1 GiB at 1 GiB: 8 PMD blocks (arch/arm64/mm/ptdump.c format). */
  it('arm64 4K: PMD blocks', () => {
    const r = run(`
arch: arm64
config: { pageSize: 4K, vaBits: 48 }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 1G } ] }
`);
    expect(renderPtdump(r).split('\n').slice(0, 6)).toEqual([
      '---[ vmalloc() end ]---',
      '---[ vmemmap start ]---',
      '0xfffffdffc0000000-0xfffffdffc1000000          16M PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL',
      '0xfffffdffc1000000-0xfffffe0000000000        1008M PMD',
      '0xfffffe0000000000-0xffffff8000000000        1536G PGD',
      '0xffffff8000000000-0xffffffffc0000000         511G PUD',
    ]);
  });

  it('arm64 64K: PTE pages', () => {
    const r = run(`
arch: arm64
config: { pageSize: 64K, vaBits: 48 }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 1G } ] }
`);
    expect(renderPtdump(r).split('\n').slice(2, 6)).toEqual([
      '0xffffffdfc0000000-0xffffffdfc0100000           1M PTE       RW NX SHD AF            UXN    MEM/NORMAL',
      '0xffffffdfc0100000-0xffffffdfe0000000         511M PTE',
      '0xffffffdfe0000000-0xffffffffc0000000      130560M PMD',
      '---[ vmemmap end ]---',
    ]);
  });
});
