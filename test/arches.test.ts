/**
 * riscv64 and loongarch64: values derived by hand from the kernel source (docs/research/arches.md
 * sections 3 and 4 give the formulas and where they live), checked against the model.
 */
import { describe, expect, it } from 'vitest';
import { resolveArch } from '../src/arch/index.js';
import { findProfile, registerProfile } from '../src/kernels/index.js';
import { ppcSharedSection, run, stepOf } from './helpers.js';

const G = 2 ** 30;
const M = 2 ** 20;
const prof = (id: string) => findProfile(id)!;

const rv = (o: { kernel?: string; mode?: string; ram?: string; devices?: string; steps?: string; cmdline?: string } = {}) => `
arch: riscv64
kernel: ${o.kernel ?? 'v6.12'}
config: { mode: ${o.mode ?? 'sv39'} }
${o.cmdline ? `cmdline: ${o.cmdline}` : ''}
nodes:
  - { id: 0, memory: [ ${o.ram ?? '{ start: 0x80000000, size: 4G }'} ] }
devices: [ ${o.devices ?? ''} ]
steps:
  - boot
${o.steps ?? ''}`;

const la = (o: { kernel?: string; pageSize?: string; levels?: number; devices?: string; steps?: string; cmdline?: string } = {}) => `
arch: loongarch64
kernel: ${o.kernel ?? 'v6.12'}
config: { pageSize: ${o.pageSize ?? '16K'}, levels: ${o.levels ?? 3} }
${o.cmdline ? `cmdline: ${o.cmdline}` : ''}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
devices: [ ${o.devices ?? ''} ]
steps:
  - boot
${o.steps ?? ''}`;

describe('riscv64 layout (arch/riscv/include/asm/pgtable.h)', () => {
  // VMEMMAP_START = PAGE_OFFSET - VMALLOC_SIZE - VMEMMAP_SIZE, VMEMMAP_SIZE = 1 << (VA_BITS - 12 - 1 + 6)
  it.each([
    // <= v5.15: KERN_VIRT_SIZE = -PAGE_OFFSET = 128 GiB, VMALLOC_SIZE 64 GiB, VMEMMAP_SIZE 4 GiB
    ['v5.15', 'sv39', 0xffffffcf00000000n, 4n * 2n ** 30n],
    // v6.1: PAGE_OFFSET_L3 0xffffffd800000000; KERN_VIRT_SIZE = 256 * 1 GiB / 2, VMALLOC_SIZE 64 GiB
    ['v6.6', 'sv39', 0xffffffc700000000n, 4n * 2n ** 30n],
    // v6.11: PAGE_OFFSET_L3 0xffffffd600000000
    ['v6.12', 'sv39', 0xffffffc500000000n, 4n * 2n ** 30n],
    // Sv48: 0xffffaf8000000000 - 32 TiB - 2 TiB
    ['v6.12', 'sv48', 0xffff8d8000000000n, 2n * 2n ** 40n],
    // Sv57: 0xff60000000000000 - 16 PiB - 1 PiB
    ['v6.18', 'sv57', 0xff1c000000000000n, 2n ** 50n],
  ])('%s %s: VMEMMAP_START %s', (k, mode, start, size) => {
    const a = resolveArch('riscv64', { mode }, prof(k)).cfg;
    expect(a.VMEMMAP_START).toBe(start);
    expect(a.VMEMMAP_END - a.VMEMMAP_START).toBe(size);
    expect(a.pt.levels).toBe({ sv39: 3, sv48: 4, sv57: 5 }[mode]);
  });

  it('which pfn sits at VMEMMAP_START: 0 (v6.6), phys_ram_base (6.8..6.12.9: out of bounds), rounded to a section (6.12.10+, v6.13+)', () => {
    // DRAM at 0x82200000, inside the section that starts at 0x80000000; sparse_init() populates
    // the whole section, so the first struct page mapped is pfn 0x80000's
    const ram = '{ start: 0x82200000, size: 1G }';
    // v6.6: pfn 0 at VMEMMAP_START: 0xffffffc700000000 + 0x80000 x 64
    const v66 = run(rv({ kernel: 'v6.6', ram }));
    expect(v66.report.vmemmap.ranges[0]!.va).toBe('0x' + (0xffffffc700000000n + 0x80000n * 64n).toString(16));
    // 6.8..6.12.9 (no built-in profile: the v6.12 one models the Debian 6.12.y build, which has
    // the fix): pfn 0x82200 (phys_ram_base, PMD-aligned) at VMEMMAP_START, so pfn 0x80000 is
    // 0x2200 x 64 = 0x88000 below it, in the 2 MiB block at VMEMMAP_START - 2 MiB: the bug
    // "riscv: mm: Fix the out of bound issue of vmemmap address" fixed (v6.13, stable 6.12.10)
    if (!findProfile('v6.12.0-riscv-layout')) registerProfile({ ...prof('v6.12'), id: 'v6.12.0-riscv-layout', kind: 'proposal', riscvLayout: 'v6.11' });
    const v6120 = run(rv({ kernel: 'v6.12.0-riscv-layout', ram }));
    expect(v6120.report.vmemmap.ranges[0]!.va).toBe('0xffffffc4ffe00000');
    expect(stepOf(v6120, 1).kernelBugs.map((v) => v.invariant)).toContain('kernel-anomaly');
    expect(stepOf(v6120, 1).violations).toEqual([]);
    expect(stepOf(v6120, 1).kernelBugs.find((v) => v.invariant === 'kernel-anomaly')!.detail).toContain('fall outside the vmemmap region [ffffffc500000000-ffffffc5ffffffff]');
    // v6.12 (Debian 6.12.118, recorded: sv39-base2m) and v6.18: vmemmap_start_pfn =
    // round_down(0x82200000, 128 MiB) >> 12 = 0x80000: back at VMEMMAP_START
    for (const k of ['v6.12', 'v6.18']) {
      const r = run(rv({ kernel: k, ram }));
      expect(r.report.vmemmap.ranges[0]!.va).toBe('0xffffffc500000000');
      expect([...stepOf(r, 1).violations, ...stepOf(r, 1).kernelBugs]).toEqual([]);
    }
  });

  it('v6.6 maps the vmemmap with base pages; v6.12 with PMD blocks, all tables under the PGD preallocated', () => {
    // 4 GiB of RAM: 1 Mi pages x 64 B = 64 MiB of memmap
    const old = run(rv({ kernel: 'v6.6' })).report;
    expect(old.vmemmap.mappings).toEqual({ pte: 16384, pmd: 0, pud: 0 }); // 64 MiB / 4 KiB
    // one PMD table (64 MiB < 1 GiB, one PGD entry) and 32 PTE tables (one per 2 MiB)
    expect(old.pageTablePages).toMatchObject({ pmd: 1, pte: 32 });
    const now = run(rv({ kernel: 'v6.12' })).report;
    expect(now.vmemmap.mappings).toEqual({ pte: 0, pmd: 32, pud: 0 });
    // pgtable_cache_init(): 4 GiB of vmemmap / 1 GiB per PGD entry = 4 PMD tables, one of them from boot
    expect(now.pageTablePages).toMatchObject({ pmd: 4, pte: 0 });
    // Sv48: 2 TiB / 512 GiB = 4 PUD tables preallocated; the PMD table is allocated on demand
    expect(run(rv({ mode: 'sv48' })).report.pageTablePages).toMatchObject({ pud: 4, pmd: 1 });
  });

  it('before v6.11: no hot-plug and no ZONE_DEVICE (refused / EINVAL as ndctl reports it)', () => {
    const r = run(rv({ kernel: 'v6.6', devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x200000000, size: 4G }', steps: `
  - hot-add: { node: 0, start: 0x200000000, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax }
  - create-namespace: { device: pmem0, mode: raw }
` }));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: null, messages: ['refused: riscv64 has no memory hot-plug in v6.6 (ARCH_ENABLE_MEMORY_HOTPLUG arrived in v6.11): no driver can add memory'] });
    expect(stepOf(r, 3)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(stepOf(r, 4)).toMatchObject({ ok: true });
    // no memory block devices without MEMORY_HOTPLUG
    expect(r.report.sections.present).toBe(32);
  });

  it('v6.12: a sub-section namespace gets a whole 2 MiB PMD block of memmap (no size threshold)', () => {
    // fsdax map=mem of 16 MiB: 4096 pfns x 64 B = 256 KiB of struct pages, mapped with one 2 MiB block from RAM
    const r = run(rv({ devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x200000000, size: 16M, labels: true }', steps: `
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }
` }));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.vmemmap.mappings.pmd).toBe(32 + 1);
  });

  it('v6.12 remove_pmd_mapping() frees a PMD block another namespace still uses (a kernel finding)', () => {
    // two fsdax map=mem namespaces in one labelled region whose memmaps share a 2 MiB block
    // (352 MiB then 80 MiB: the boundary at +352 MiB is inside the block covering +256..+384 MiB)
    const r = run(rv({ devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x380000000, size: 2G, labels: true }', steps: `
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 352M }
  - create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 80M }
  - destroy-namespace: { device: pmem0 }
` }));
    expect(stepOf(r, 4).kernelBugs.map((v) => v.invariant)).toEqual(['memmap-coverage']);
    expect(stepOf(r, 4).kernelBugs[0]!.detail).toContain('struct pages of present pfns are not mapped');
  });

  it('hot-add past the linear map is refused by mhp_range_allowed() (Sv39: 132 GiB from phys_ram_base)', () => {
    // PAGE_END = (0xffffffff80000000 - 2 GiB - 32 GiB) & PGDIR_MASK = 0xfffffff700000000;
    // PAGE_END - PAGE_OFFSET(0xffffffd600000000) = 132 GiB -> mappable [0x80000000, 0x80000000 + 132 GiB - 1]
    const end = 0x80000000 + 132 * G;
    const r = run(rv({ steps: `
  - hot-add: { node: 0, start: ${end - 128 * M}, size: 128M }
  - hot-add: { node: 0, start: ${end}, size: 128M }
` }));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(stepOf(r, 3)).toMatchObject({ ok: false, errno: 'E2BIG' });
    expect(r.report.steps[2]!.dmesg.join('')).toContain(`Hotplug memory [${'0x' + end.toString(16)}-${'0x' + (end + 128 * M).toString(16)}] exceeds maximum addressable range [0x80000000-0x${(end - 1).toString(16)}]`);
  });

  it('boot RAM beyond the linear map is dropped: v6.12 keeps [phys_ram_base, + KERN_VIRT_SIZE), v5.15 the first 128 GiB', () => {
    // Sv39 KERN_VIRT_SIZE = PTRS_PER_PGD / 2 x PGDIR_SIZE / 2 = 256 x 1 GiB / 2 = 128 GiB
    const ram = '{ start: 0x80000000, size: 100G }, { start: 0x2000000000, size: 64G }';
    const r = run(rv({ ram }));
    // kept: 100 GiB + [128 GiB, 0x80000000 + 128 GiB) = 100 GiB + 2 GiB; 102 GiB of RAM -> 1632 MiB of memmap
    expect(r.report.vmemmap.mappedBytes).toBe(102 * 16 * M);
    expect(stepOf(r, 1).messages).toEqual(['note: RAM [0x2080000000-0x2fffffffff] is beyond what the linear map reaches and is dropped at boot (arch/riscv/mm/init.c:setup_bootmem (memblock_cap_memory_range))']);
    // v5.15: memblock_enforce_memory_limit(-PAGE_OFFSET = 128 GiB): 100 GiB + the first 28 GiB of the second range
    const old = run(rv({ kernel: 'v5.15', ram }));
    expect(old.report.vmemmap.mappedBytes).toBe(128 * 16 * M);
    expect(stepOf(old, 1).messages[0]).toBe('note: RAM [0x2700000000-0x2fffffffff] is beyond what the linear map reaches and is dropped at boot (arch/riscv/mm/init.c:setup_bootmem (memblock_enforce_memory_limit))');
  });

  it('memory_hotplug.memmap_on_memory: a 128 MiB block hosts its own 2 MiB memmap (one pageblock, PMD-aligned)', () => {
    const r = run(rv({ cmdline: 'memory_hotplug.memmap_on_memory=1', steps: `
  - hot-add: { node: 0, start: 0x200000000, size: 128M }
` }));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.memmapBacking.self).toBeDefined();
  });

  it('HugeTLB: 1 GiB and 2 MiB pages; HVO from v6.3 (not in v6.1)', () => {
    expect(resolveArch('riscv64', {}, prof('v6.12')).cfg.hugePageSizes).toEqual([G, 2 * M]);
    expect(resolveArch('riscv64', {}, prof('v6.1')).cfg.lacks.hvo).toContain('ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP');
    expect(resolveArch('riscv64', {}, prof('v6.6')).cfg.lacks.hvo).toBeUndefined();
  });
});

describe('loongarch64 (arch/loongarch)', () => {
  // vmemmap = (vm_map_base + min(reach, 2^48) - PMD_SIZE - VMEMMAP_SIZE + PMD_SIZE) & PMD_MASK,
  // vm_map_base = -(1 << 48), VMEMMAP_SIZE = 64 << (48 + 1 - PAGE_SHIFT)
  it.each([
    ['16K', 3, 0xffff7e0000000000n, 2n ** 41n], // reach 2^47, 2 TiB
    ['4K', 4, 0xfffff80000000000n, 2n ** 43n], // reach 2^48, 8 TiB
    ['64K', 3, 0xffffff8000000000n, 2n ** 39n], // reach 2^55 > 2^48
    ['64K', 2, 0xffff038000000000n, 2n ** 39n], // reach 2^42; PMD folded: 512 MiB
  ])('%s/%d-level: vmemmap at %s', (ps, levels, start, size) => {
    const a = resolveArch('loongarch64', { pageSize: ps, levels }, prof('v6.12')).cfg;
    expect(a.VMEMMAP_START).toBe(start);
    expect(a.VMEMMAP_END - a.VMEMMAP_START).toBe(size);
  });

  it('16K/3: 32 MiB PMD blocks from RAM; a --map=dev namespace reserves its memmap space on the device and leaves it unused', () => {
    // 4 GiB / 16 KiB x 64 B = 16 MiB of boot memmap -> one 32 MiB block (section_map_size() rounds to PMD_SIZE)
    const r = run(la({ devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 16G }', steps: `
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
` }));
    expect(r.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 1 + 2, pud: 0 }); // 16 GiB -> 64 MiB = two more blocks
    expect(r.report.steps[1]!.delta.memmapBacking.altmap).toEqual({});
    expect(r.report.steps[1]!.delta.memmapBacking.ram).toEqual({ 0: 64 * M });
    // the info block's reservation is still made: usable = 16 GiB - ALIGN(8K + 64 x npfns0, 32 MiB)
    // npfns0 = (16 GiB - 8 KiB) / 16 KiB = 1048575 -> 8K + 67108800 B rounds up to 96 MiB
    expect(r.report.namespaces[0]!.size).toBe(16 * G - 96 * M);
  });

  it('vmemmap_free() is empty: removal leaves the memmap mapped (a kernel finding), re-adding reuses it', () => {
    const r = run(la({ steps: `
  - hot-add: { node: 0, start: 0x200000000, size: 512M }
  - hot-remove: { start: 0x200000000, size: 512M }
  - hot-add: { node: 0, start: 0x200000000, size: 512M }
` }));
    expect([2, 3, 4].map((i) => stepOf(r, i).ok)).toEqual([true, true, true]);
    expect(stepOf(r, 3).kernelBugs.map((v) => v.invariant)).toEqual(['memmap-coverage']);
    // the 32 MiB block the first add mapped is still there: the second add allocates nothing
    expect(r.report.steps[3]!.delta.memmapBacking.ram).toEqual({});
  });

  it('2 levels: base pages; no memmap_on_memory parameter; ZONE_DEVICE only from v6.11', () => {
    const r = run(la({ pageSize: '64K', levels: 2, cmdline: 'memory_hotplug.memmap_on_memory=1' }));
    // 4 GiB / 64 KiB x 64 B = 4 MiB = 64 pages of 64 KiB
    expect(r.report.vmemmap.mappings).toEqual({ pte: 64, pmd: 0, pud: 0 });
    expect(r.report.warnings.join('\n')).toContain('memory_hotplug.memmap_on_memory does not exist here: loongarch64 does not select ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE');
    const old = run(la({ kernel: 'v6.6', devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 4G }', steps: `
  - create-namespace: { device: pmem0, mode: fsdax }
` }));
    expect(stepOf(old, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
  });

  it('huge pages: HPAGE_SIZE only (PMD size: 2 MiB, 32 MiB, 512 MiB)', () => {
    expect(['4K', '16K', '64K'].map((ps) => resolveArch('loongarch64', { pageSize: ps }, prof('v6.12')).cfg.hugePageSizes)).toEqual([[2 * M], [32 * M], [512 * M]]);
  });
});

const ppc = (o: { kernel?: string; config?: string; ram?: string; devices?: string; steps?: string; cmdline?: string } = {}) => `
arch: powerpc64
kernel: ${o.kernel ?? 'v6.12'}
config: ${o.config ?? '{ mmu: radix, pageSize: 64K }'}
${o.cmdline ? `cmdline: ${o.cmdline}` : ''}
nodes:
  - { id: 0, memory: [ ${o.ram ?? '{ start: 0, size: 2G }'} ] }
devices: [ ${o.devices ?? ''} ]
steps:
  - boot
${o.steps ?? ''}`;

describe('powerpc64 Book3S-64 (arch/powerpc, v6.6+)', () => {
  // PMD_SHIFT = PAGE_SHIFT + PTE_INDEX_SIZE, PUD_SHIFT = PMD_SHIFT + PMD_INDEX_SIZE with the index
  // sizes of radix-4k.h 9/9/9/13, radix-64k.h 5/9/9/13, hash-4k.h 9/7/9/9, hash-64k.h 8/10/10/8;
  // a table holds 2^index eight-byte entries; VMEMMAP_START = KERN_VIRT_START + 2 x area
  it.each([
    ['radix', '64K', 21, 30, 0xc00c000000000000n, 2n ** 49n, 256, 2 * M, 5],
    ['radix', '4K', 21, 30, 0xc00c000000000000n, 2n ** 49n, 4096, 2 * M, 9],
    ['hash', '64K', 24, 34, 0xc00c000000000000n, 2n ** 49n, 2048, 16 * M, 8],
    ['hash', '4K', 21, 28, 0xc0003f0000000000n, 2n ** 40n, 4096, 2 * M, 12],
  ] as const)('%s %s: PMD_SHIFT %d, PUD_SHIFT %d, vmemmap %s, PTE table %d B spanning %d', async (mmu, ps, pmd, pud, start, area, pteBytes, pteSpan, pb) => {
    const { deriveConsts } = await import('../src/kernel/state.js');
    const a = resolveArch('powerpc64', { mmu, pageSize: ps }, prof('v6.12'));
    expect([a.cfg.PMD_SHIFT, a.cfg.PUD_SHIFT]).toEqual([pmd, pud]);
    expect([a.cfg.VMEMMAP_START, a.cfg.VMEMMAP_END - a.cfg.VMEMMAP_START]).toEqual([start, area]);
    expect(a.cfg.pt.tableBytes!.pte).toBe(pteBytes);
    expect(deriveConsts(a).tableSpan.pte).toBe(pteSpan); // 2^5 x 64 KiB, 2^9 x 4 KiB, 2^8 x 64 KiB
    expect(a.cfg.SECTION_SIZE_BITS).toBe(24);
    expect(a.cfg.pageblockOrder).toBe(pb); // HPAGE_SHIFT 21 (radix 2M) / 24 (hash 16M) - PAGE_SHIFT
    // radix: PMD tables of 2^9 entries span 1 GiB; hash has no Linux page tables for the vmemmap
    expect(a.cfg.pt.allocLevels).toEqual(mmu === 'radix' ? ['pud', 'pmd', 'pte'] : []);
  });

  it('a profile without powerpc64 and a hash-only option on radix are refused', () => {
    // every built-in profile has it (v5.6.. and the proposals: test/ppc64-before-v6.1.test.ts)
    expect(resolveArch('powerpc64', {}, prof('v5.6')).cfg.arch).toBe('powerpc64');
    expect(() => resolveArch('powerpc64', {}, { ...prof('v5.15'), id: 'no-ppc', ppc64: false })).toThrow('powerpc64 is not modelled in no-ppc');
    expect(() => resolveArch('powerpc64', { mmu: 'radix', hash16M: false }, prof('v6.12'))).toThrow('hash16M applies to the hash MMU only');
    expect(() => resolveArch('powerpc64', { pageSize: '16K' }, prof('v6.12'))).toThrow('pageSize must be 4K or 64K');
  });

  it('radix 64K boot: one 2 MiB PMD from RAM per 2 GiB; PUD and PMD tables of 4 KiB each take a whole 64 KiB page from memblock', () => {
    // 2 GiB / 64 KiB = 32768 pfns x 64 B = 2 MiB of memmap = one PMD block
    const r = run(ppc());
    expect(r.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 1, pud: 0 });
    expect(r.report.pageTablePages).toMatchObject({ pud: 1, pmd: 1, pte: 0 });
    // vmemmap_pud_alloc / vmemmap_pmd_alloc before slab: early_alloc_pgtable(PAGE_SIZE)
    expect(r.report.pageTablePages.bytes).toEqual({ pud: 65536, pmd: 65536, pte: 0 });
    // radix 4K: 2 GiB / 4 KiB x 64 B = 32 MiB = 16 PMDs, still under one PMD table (1 GiB of vmemmap)
    const r4 = run(ppc({ config: '{ mmu: radix, pageSize: 4K }' }));
    expect(r4.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 16, pud: 0 });
    expect(r4.report.pageTablePages.bytes).toEqual({ pud: 4096, pmd: 4096, pte: 0 });
  });

  it('radix 64K memmap_on_memory=force: base pages from the block (altmap_cross_boundary refuses a PMD), a 256 B PTE fragment after boot', () => {
    // a 256 MiB LMB: 4096 pfns x 64 B = 256 KiB = 4 pages of memmap; its PMD slot (2 MiB of memmap)
    // describes 32768 pfns, more than the block: altmap_cross_boundary() -> base pages, each from
    // the block's altmap (every page describes 1024 of its pfns)
    const r = run(ppc({ cmdline: 'memory_hotplug.memmap_on_memory=force', steps: `
  - hot-add: { node: 0, start: 0x80000000, size: 256M }
  - online: { start: 0x80000000, size: 256M, type: online }
` }));
    expect(r.report.vmemmap.mappings).toEqual({ pte: 4, pmd: 1, pud: 0 });
    expect(r.report.steps[1]!.delta.memmapBacking.self).toEqual({ 0: 256 * 1024 });
    // pte_alloc_kernel() after boot: one PTE_FRAG_SIZE fragment (2^5 x 8 B)
    expect(r.report.pageTablePages.bytes).toEqual({ pud: 65536, pmd: 65536, pte: 256 });
    // force pads the 4 pages to a pageblock (2^5 pages = 2 MiB): onlining manages 256 MiB - 2 MiB
    expect(r.report.memory.nodes[0]!.managedPages - run(ppc()).report.memory.nodes[0]!.managedPages).toBe(4096 - 32);
    // without force: 4 pages are not a multiple of the 32-page pageblock -> memmap from RAM (a PMD)
    const one = run(ppc({ cmdline: 'memory_hotplug.memmap_on_memory=1', steps: `
  - hot-add: { node: 0, start: 0x80000000, size: 256M }
` }));
    expect(one.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 2, pud: 0 });
  });

  it('arch_supports_memmap_on_memory(): false on hash; radix 4K needs a PMD-aligned memmap (256 MiB -> 4 MiB: two PMDs from the block)', () => {
    const h = run(ppc({ config: '{ mmu: hash, pageSize: 64K, hash16M: false }', cmdline: 'memory_hotplug.memmap_on_memory=force', steps: `
  - hot-add: { node: 0, start: 0x80000000, size: 256M }
` }));
    expect(h.report.steps[1]!.delta.memmapBacking.self ?? {}).toEqual({});
    const r4 = run(ppc({ config: '{ mmu: radix, pageSize: 4K }', cmdline: 'memory_hotplug.memmap_on_memory=1', steps: `
  - hot-add: { node: 0, start: 0x80000000, size: 256M }
` }));
    expect(r4.report.steps[1]!.delta.memmapBacking.self).toEqual({ 0: 4 * M });
    expect(r4.report.vmemmap.mappings.pmd).toBe(16 + 2);
  });

  it('radix 64K fsdax --map=dev, 4 GiB at 64 GiB: two PMD blocks from the altmap (alloc 64, align 31)', () => {
    // npfns = 65536 -> 4 MiB of memmap; dataoff = ALIGN(64 KiB info + 4 MiB, 2 MiB) = 6 MiB = 96 pfns;
    // reserve 1 pfn (the 64 KiB info page), free 95. Each PMD block is 32 pfns aligned to 32:
    // the first starts at base + 32 (31 pfns of padding), the second at base + 64: 63 + 32 = 95
    const r = run(ppc({ devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G }', steps: `
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
` }));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.namespaces[0]!.dataOffset).toBe(6 * M);
    expect(r.report.altmaps[0]).toMatchObject({ base_pfn: 0x100000, reserve: 1, free: 95, alloc: 64, align: 31 });
    expect(r.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 1 + 2, pud: 0 });
    expect(r.report.steps[1]!.delta.memmapBacking.ram).toEqual({});
  });

  it('radix 64K: a namespace whose memmap does not start on a PMD gets base pages; pages that describe pfns outside it come from RAM (v6.12 checks the unaligned start)', () => {
    // 1 GiB at 65 GiB + 32 MiB: memmap [65 MiB + 32 KiB, + 1 MiB) -> pages 1040..1056 (17). Page 1056
    // describes pfns 0x108000.. past the device's last pfn 0x1081ff: altmap_cross_boundary -> RAM.
    // Page 1040 describes pfns from 0x104000, before base_pfn 0x104200: v6.17+ aligns the address
    // down and sends it to RAM too; v6.6..v6.14 check the unaligned call start (pfn 0x104200, inside)
    // and take it from the altmap
    const steps = `
  - create-namespace: { device: pmem0, mode: fsdax, map: dev, align: 65536 }
`;
    const devices = '{ name: pmem0, type: nvdimm, node: 0, start: 0x1042000000, size: 1G }';
    const old = run(ppc({ devices, steps }));
    expect(stepOf(old, 2).ok).toBe(true);
    expect(old.report.steps[1]!.delta.memmapBacking.ram).toEqual({ 0: 65536 });
    expect(old.report.altmaps[0]!.alloc).toBe(16);
    expect(old.report.vmemmap.mappings.pte).toBe(17);
    const now = run(ppc({ kernel: 'v6.18', devices, steps }));
    expect(now.report.steps[1]!.delta.memmapBacking.ram).toEqual({ 0: 2 * 65536 });
    expect(now.report.altmaps[0]!.alloc).toBe(15);
  });

  it('v6.12 takes a shared vmemmap page from the altmap at an unaligned start and later frees it as RAM; v6.18 aligns and uses RAM', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('./fuzz-cases/ppc64-radix-64k-shared-page-altmap.yaml', import.meta.url), 'utf8');
    const old = run(text);
    expect(old.report.kernelBugs.findings.map((v) => v.invariant)).toContain('altmap-accounting');
    const now = run(text.replace('kernel: v6.12', 'kernel: v6.18'));
    expect(now.report.kernelBugs.findings.map((v) => v.invariant)).not.toContain('altmap-accounting');
    // v6.17+ has its own leak here: without an altmap the start is aligned down to PMD_SIZE, and
    // in a PMD that already holds a PTE table every page from the PMD's start gets mapped - 1 MiB
    // of memmap for the pfns below the device, which the namespace's removal never frees
    expect(stepOf(now, 5).kernelBugs.map((v) => [v.invariant, v.range])).toEqual([['memmap-coverage', 'va 0xc00c000006200000-0xc00c0000062fffff']]);
  });

  it('hash 64K: 64 KiB blocks without 16M pages (32 per 2 GiB, +16 per GiB hot-added, back on removal); 16M blocks describe 16 GiB', () => {
    const r = run(ppc({ config: '{ mmu: hash, pageSize: 64K, hash16M: false }', steps: `
  - hot-add: { node: 0, start: 0x80000000, size: 1G }
  - hot-remove: { start: 0x80000000, size: 1G }
` }));
    // 2 GiB -> 2 MiB of memmap = 32 blocks; 1 GiB -> 16 more; vmemmap_list_free() puts them on the free list
    expect(r.machine.k.s.ppcList).toMatchObject({ entries: 32, freed: 16, blockSize: 65536, pages: 1 });
    expect(r.report.pageTablePages.byNode).toEqual({});
    // with 16M pages and >= 1 GiB of boot RAM: one 16 MiB block (16 GiB / 64 KiB x 64 B) for everything;
    // a 4 GiB namespace's memmap block describes pfns outside it: altmap_cross_boundary -> RAM
    const h = run(ppc({ config: '{ mmu: hash, pageSize: 64K }', devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G }', steps: `
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
` }));
    expect(h.machine.k.s.ppcList.blockSize).toBe(16 * M);
    expect(h.report.altmaps[0]!.alloc).toBe(0);
    expect(h.report.steps[1]!.delta.memmapBacking.ram).toEqual({ 0: 16 * M });
  });

  it('hash 4K with 4K blocks: a second sub-section added to a live section counts as populated (vmemmap_populated) and stays unmapped: a predicted oops', () => {
    // PPC_SHARED_SECTION_REGIONS (test/helpers.ts), devdax --map=mem both: pmem0's
    // namespace makes section 64 GiB + 16 MiB's memmap valid (SECTION_HAS_MEM_MAP) for its
    // first half; pmem1's sub-section bits of the second half are set before its populate, so
    // each 4 KiB block of its memmap starts in a valid sub-section: skipped;
    // memmap_init_zone_device() then writes pfn 0x1001800's struct page, at
    // 0xc0003f0000000000 + 0x1001800 x 64
    const r = run(ppcSharedSection({ kernel: 'v6.12', config: '{ mmu: hash, pageSize: 4K, hash16M: false }' }));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.kernelBugs.crashed).toMatchObject({ step: 3, fn: '__init_zone_device_page', pfn: 0x1001800, va: '0xc0003f0040060000' });
    // with 16M blocks the first namespace's populate mapped the whole section's memmap: no oops
    const big = run(ppcSharedSection({ kernel: 'v6.12', config: '{ mmu: hash, pageSize: 4K }' }));
    expect(big.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(big.report.kernelBugs.crashed).toBeNull();
  });

  it('memremap_compat_align(): 16 MiB on hash with a 16M linear map, 2 MiB with KFENCE (Debian) or radix', async () => {
    const { memremap_compat_align } = await import('../src/kernel/nvdimm/pfn_devs.js');
    const c = (o: Record<string, unknown>) => memremap_compat_align(resolveArch('powerpc64', o, prof('v6.12')).cfg);
    expect([c({ mmu: 'hash', kfence: false }), c({ mmu: 'hash' }), c({ mmu: 'hash', hash16M: false, kfence: false }), c({ mmu: 'radix' })]).toEqual([16 * M, 2 * M, 2 * M, 2 * M]);
  });

  it.each([
    [0, '{ start: 0, size: 2G }', G], // bit 30 of 2 GiB is clear: 1 GiB stays
    [0, '{ start: 0, size: 3G }', 256 * M], // 1 GiB set -> 256 MiB, bit 28 of 3 GiB clear
    [0, '{ start: 0, size: 1G }', 256 * M],
    [0, '{ start: 0, size: 512M }', G], // bit 30 clear at once
    [2 ** 28, '{ start: 0, size: 2G }', 256 * M], // ibm,lmb-size wins
  ])('memory block size: lmbSize %d, RAM %s -> %d (probe_memory_block_size)', (lmb, ram, want) => {
    expect(run(ppc({ config: `{ mmu: radix, pageSize: 64K, lmbSize: ${lmb} }`, ram })).report.memory.blockSize).toBe(want);
  });
});

describe('boot RAM the linear map cannot reach (bootMemoryCap)', () => {
  it('arm64: arm64_memblock_init() warns and removes RAM past memstart_addr + linear_region_size', () => {
    // 4K pages, VA_BITS 39: linear_region_size = PAGE_END - PAGE_OFFSET = 2^38 = 256 GiB;
    // memstart_addr = round_down(1 GiB, ARM64_MEMSTART_ALIGN = 1 GiB) = 1 GiB
    const r = run(`
arch: arm64
config: { pageSize: 4K, vaBits: 39 }
nodes:
  - { id: 0, memory: [ { start: 1G, size: 300G } ] }
`);
    expect(stepOf(r, 1).messages).toEqual(['note: RAM [0x4040000000-0x4b3fffffff] is beyond what the linear map reaches and is dropped at boot (arch/arm64/mm/init.c:arm64_memblock_init (memblock_remove))']);
    expect(r.report.dmesg).toContain("Memory doesn't fit in the linear mapping, VA_BITS too small");
    // 256 GiB kept: 256 GiB / 4 KiB x 64 B = 4 GiB of memmap
    expect(r.report.vmemmap.mappedBytes).toBe(4 * G);
  });
});

describe('ia64 (arch/ia64, up to v6.6)', () => {
  it.each([
    // region 5 + (1 << (4 x PAGE_SHIFT - 10)) .. + (1 << (4 x PAGE_SHIFT - 9))
    ['16K', 0xa000400000000000n, 0xa000800000000000n, 30],
    ['64K', 0xa040000000000000n, 0xa080000000000000n, 32], // 4 x 16 - 10 = 54; sections 2^(16 + 16)
    ['4K', 0xa000004000000000n, 0xa000008000000000n, 30],
  ])('%s pages: vmemmap %s..%s, SECTION_SIZE_BITS %d', (ps, start, end, sec) => {
    const a = resolveArch('ia64', { pageSize: ps }, prof('v6.6')).cfg;
    expect([a.VMEMMAP_START, a.VMEMMAP_END, a.SECTION_SIZE_BITS]).toEqual([start, end, sec]);
  });

  it('base pages from RAM, no ZONE_DEVICE, an empty vmemmap_free(); gone from v6.7 (the v6.12 profile refuses it)', () => {
    const r = run(`
arch: ia64
kernel: v6.6
nodes:
  - { id: 0, memory: [ { start: 0, size: 8G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x800000000, size: 4G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax }
  - hot-add: { node: 0, start: 0x400000000, size: 2G }
  - hot-remove: { start: 0x400000000, size: 2G }
`);
    // 8 GiB / 16 KiB x 64 B = 32 MiB = 2048 PTEs of 16 KiB
    expect(r.report.steps[0]!.delta.memmapBacking.ram).toEqual({ 0: 32 * M });
    expect(r.report.vmemmap.mappings.pte).toBe(2048 + 512);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(stepOf(r, 4).kernelBugs.map((v) => v.invariant)).toEqual(['memmap-coverage']);
    expect(() => resolveArch('ia64', {}, prof('v6.12'))).toThrow('ia64 is not in v6.12 (it was removed in v6.7)');
    // HPAGE_SHIFT 28 -> pageblock_order 28 - 14 = 14
    expect(resolveArch('ia64', {}, prof('v6.6')).cfg.pageblockOrder).toBe(14);
  });
});

describe('every answer works for every arch (size questions, explain on their scenarios)', () => {
  const machines = [
    { arch: 'x86_64' as const }, { arch: 'arm64' as const, pageSize: '64K' as const },
    { arch: 'riscv64' as const, paging: 'sv48' }, { arch: 'loongarch64' as const },
    { arch: 'ia64' as const, kernel: 'v6.6' }, { arch: 'powerpc64' as const }, { arch: 'powerpc64' as const, mmu: 'hash', pageSize: '4K' as const },
    { arch: 's390x' as const }, { arch: 's390x' as const, kernel: 'v6.12' },
  ];
  it.each(machines)('%o', async (m) => {
    const L = await import('../src/index.js');
    const { parseScenario } = L;
    const a = resolveArch(m.arch, { ...(m.pageSize ? { pageSize: m.pageSize } : {}), ...(m.paging ? { mode: m.paging } : {}), ...(m.mmu ? { mmu: m.mmu } : {}) }, prof(m.kernel ?? 'v6.18')).cfg;
    const answers = [
      L.sizeNamespace({ ...m, size: 16 * G, mode: 'fsdax', map: 'dev' }),
      L.sizeMemmap({ ...m, size: 64 * G }),
      ...(a.hugePageSizes.length ? [L.sizeHvo({ ...m, hugePage: a.hugePageSizes[a.hugePageSizes.length - 1]!, count: 4 })] : []),
      L.sizeDedup({ ...m, size: 16 * G, align: 2 ** a.PMD_SHIFT }),
      L.sizeBlocks({ ...m, ram: 16 * G }),
      ...(a.lacks.hotplug ? [] : [L.sizeHotAdd({ ...m, size: 8 * G, free: 2 * G })]),
    ];
    for (const ans of answers) {
      expect(ans.machine.label).toBe(a.label);
      expect(ans.explanation.length).toBeGreaterThan(0);
      // the scenario an answer ran can be explained step by step
      const ex = L.explainScenario(parseScenario('a.yaml', ans.scenario), { whatIf: false });
      expect(ex.steps.length).toBeGreaterThan(0);
    }
    // ia64 and s390x before v6.17 have no ZONE_DEVICE: the namespace answer says the kernel refuses (as on arm64 v5.6)
    expect(answers[0]!.ok).toBe(m.arch !== 'ia64' && !(m.arch === 's390x' && m.kernel === 'v6.12'));
  });
});

describe('the oops each arch prints (arch/*/mm/fault.c)', () => {
  it.each([
    ['x86_64', 'v6.18', 'BUG: unable to handle page fault for address: ffffea0000200000'], // show_fault_oops()
    ['arm64', 'v6.18', 'Unable to handle kernel paging request at virtual address ffffea0000200000'], // die_kernel_fault()
    ['riscv64', 'v6.18', 'Unable to handle kernel paging request at virtual address ffffea0000200000'], // die_kernel_fault(), REG_FMT
    ['ia64', 'v6.6', 'Unable to handle kernel paging request at virtual address ffffea0000200000'], // ia64_do_page_fault()
    ['powerpc64', 'v6.18', 'BUG: Unable to handle kernel data access on read at ffffea0000200000'], // __bad_page_fault(), data storage
  ] as const)('%s', (arch, k, first) => {
    const lines = resolveArch(arch, {}, prof(k)).policy.oopsLines({ va: 'ffffea0000200000', fn: 'memunmap_pages', access: 'read' });
    expect(lines[0]).toEqual({ level: 1, text: first + '\n' });
    // what the model cannot know (registers, offsets) is marked approximate
    expect(lines.slice(1).every((l) => l.approx || l.text.startsWith('#PF'))).toBe(true);
  });
  it('loongarch64: the one line holds the CPU, era and ra the model does not know: approximate', () => {
    const [l] = resolveArch('loongarch64', {}, prof('v6.18')).policy.oopsLines({ va: 'ffff7e0000200000', fn: 'memunmap_pages', access: 'read' });
    expect(l).toMatchObject({ level: 1, approx: true });
    expect(l!.text).toContain('Unable to handle kernel paging request at virtual address ffff7e0000200000, era == ');
  });
});

describe('powerpc64: what the model does not have is said in the step', () => {
  const dax = (align: string) => run(`
arch: powerpc64
config: { mmu: radix, pageSize: 64K }
nodes:
  - id: 0
    memory: [ { start: 0, size: 4G } ]
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x200000000, size: 4G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax, map: mem, align: ${align} }
`).results[1]!.messages.filter((m) => m.startsWith('note: not modelled:'));
  it('radix devdax with 1 GiB compound pages: the kernel dedups (its own vmemmap_populate_compound_pages), the model maps it all and says so', () => {
    // vmemmap_can_optimize(): 1 GiB / 64 KiB = 16384 pfns x 64 B = 16 vmemmap pages per compound page > VMEMMAP_RESERVE_NR (2)
    expect(dax('1G')).toEqual([expect.stringContaining('powerpc64 radix: the kernel deduplicates device-dax memmap')]);
  });
  it('radix devdax with 2 MiB compound pages: no dedup in the kernel either, nothing to say', () => {
    // 2 MiB / 64 KiB = 32 pfns x 64 B = 2 KiB, not more than 2 vmemmap pages: vmemmap_can_optimize() is false
    expect(dax('2M')).toEqual([]);
  });
});
