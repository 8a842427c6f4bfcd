/**
 * powerpc64 early_init_devtree() (arch/powerpc/kernel/prom.c) trims boot RAM before
 * sparse_init():
 *  - memblock_enforce_memory_limit(memory_limit): the limit is the RAM size aligned down to
 *    16 MiB from v6.11 (6.11.11, 6.12, 6.18.2, 7.1.5), aligned up to a page before (6.6.9,
 *    6.8, 6.9.0): RAM past the last whole 16 MiB is dropped (switch ppcMemoryLimit16M);
 *  - on 4K hash kernels (CONFIG_PPC_4K_PAGES, !early_radix_enabled()),
 *    memblock_cap_memory_range(0, 1 << H_MAX_PHYSMEM_BITS): RAM from 64 TiB is dropped
 *    (5.10.7 .. 7.1.5).
 */
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';

const ppc = (kernel: string, config: string, ram: string) => `arch: powerpc64
kernel: ${kernel}
config: ${config}
nodes: [ { id: 0, memory: [ ${ram} ] } ]
`;
const RADIX64 = '{ mmu: radix, pageSize: 64K }';

describe('powerpc64 boot RAM: the 16 MiB memory limit (v6.11+)', () => {
  it('v6.12: 2 GiB + 8 MiB boots as 2 GiB, with a note naming the dropped range', () => {
    const odd = run(ppc('v6.12', RADIX64, '{ start: 0, size: 0x80800000 }'));
    expect(odd.results[0]!.messages).toEqual([
      'note: RAM [0x80000000-0x807fffff] lies past the boot RAM aligned down to 16 MiB (the memory limit) and is dropped at boot (arch/powerpc/kernel/prom.c:early_init_devtree (memblock_enforce_memory_limit))',
    ]);
    const even = run(ppc('v6.12', RADIX64, '{ start: 0, size: 2G }'));
    expect(odd.report.memory.nodes).toEqual(even.report.memory.nodes);
    expect(odd.report.vmemmap.mappedBytes).toBe(even.report.vmemmap.mappedBytes);
  });

  it('the limit is the first 16 MiB multiple of RAM in address order, across ranges', () => {
    // 1 GiB + 4 MiB at 0 and 1 GiB + 4 MiB at 4 GiB: 2 GiB + 8 MiB in all, 2 GiB kept, so the
    // second range loses its last 8 MiB
    const r = run(ppc('v7.1', RADIX64, '{ start: 0, size: 0x40400000 }, { start: 4G, size: 0x40400000 }'));
    expect(r.results[0]!.messages).toEqual([
      'note: RAM [0x13fc00000-0x1403fffff] lies past the boot RAM aligned down to 16 MiB (the memory limit) and is dropped at boot (arch/powerpc/kernel/prom.c:early_init_devtree (memblock_enforce_memory_limit))',
    ]);
  });

  it('v6.6 keeps it all (the limit was only page-aligned)', () => {
    const r = run(ppc('v6.6', RADIX64, '{ start: 0, size: 0x80800000 }'));
    expect(r.results[0]!.messages).toEqual([]);
    expect(r.report.memory.nodes[0]!.managedPages).toBeGreaterThan(run(ppc('v6.6', RADIX64, '{ start: 0, size: 2G }')).report.memory.nodes[0]!.managedPages);
  });
});

describe('powerpc64 4K hash: boot RAM from 64 TiB is dropped (H_MAX_PHYSMEM_BITS 46)', () => {
  const ram = '{ start: 0, size: 2G }, { start: 0x3fffc0000000, size: 2G }';
  it('v6.12 hash 4K keeps the GiB below 64 TiB and drops the one above', () => {
    const r = run(ppc('v6.12', '{ mmu: hash, pageSize: 4K }', ram));
    expect(r.results[0]!.messages).toEqual([
      'note: RAM [0x400000000000-0x40003fffffff] is above the 64 TiB a 4K hash kernel reaches (H_MAX_PHYSMEM_BITS 46) and is dropped at boot (arch/powerpc/kernel/prom.c:early_init_devtree (memblock_cap_memory_range))',
    ]);
    // 2 GiB + 1 GiB kept: the same memory as when the top GiB is not there at all
    const kept = run(ppc('v6.12', '{ mmu: hash, pageSize: 4K }', '{ start: 0, size: 2G }, { start: 0x3fffc0000000, size: 1G }'));
    expect(r.report.memory.nodes).toEqual(kept.report.memory.nodes);
  });
  it('radix 4K and hash 64K keep it', () => {
    for (const config of ['{ mmu: radix, pageSize: 4K }', '{ mmu: hash, pageSize: 64K }']) {
      expect(run(ppc('v6.12', config, ram)).results[0]!.messages, config).toEqual([]);
    }
  });
});
