/**
 * s390x: values derived by hand from the kernel source (docs/research/arches.md section 5;
 * arch/s390/mm/vmem.c, arch/s390/include/asm/{pgtable,pgalloc,sparsemem}.h,
 * arch/s390/boot/startup.c, drivers/s390/char/sclp_cmd.c / sclp_mem.c), checked against the model.
 */
import { describe, expect, it } from 'vitest';
import { resolveArch } from '../src/arch/index.js';
import { deriveConsts } from '../src/kernel/state.js';
import { findProfile } from '../src/kernels/index.js';
import { run, stepOf } from './helpers.js';

const G = 2 ** 30;
const M = 2 ** 20;
const T = 2 ** 40;
const prof = (id: string) => findProfile(id)!;

const s390 = (o: { kernel?: string; edat1?: boolean; ram?: string; devices?: string; steps?: string; cmdline?: string; faults?: string } = {}) => `
arch: s390x
kernel: ${o.kernel ?? 'v6.12'}
config: { edat1: ${o.edat1 ?? true} }
${o.cmdline ? `cmdline: ${o.cmdline}` : ''}
${o.faults ? `faults: ${o.faults}` : ''}
nodes:
  - { id: 0, memory: [ ${o.ram ?? '{ start: 0, size: 2G }'} ] }
devices: [ ${o.devices ?? ''} ]
steps:
  - boot
${o.steps ?? ''}`;

/** vmemmap = round_down(limit - SECTION_ALIGN_UP(limit / (4096 + 64)) x 64, 2 GiB), by hand. */
function vmemmapOf(limit: number, sectionPages: number): number {
  const pages = Math.ceil(Math.floor(limit / 4160) / sectionPages) * sectionPages;
  return Math.floor((limit - pages * 64) / (2 * G)) * 2 * G;
}

describe('s390x layout and table geometry', () => {
  it('vmemmap per release (3-level ASCE, default vmalloc size, no KASLR)', () => {
    // v5.6 setup_memory_end(): VMALLOC_START = 4 TiB - MODULES_LEN (2 GiB) - (128 GiB - 2 GiB)
    // = 3968 GiB; 3968 GiB / 4160 = 1,024,000,000 pages -> 1,024,000,000 (already a multiple
    // of 65536? no: 15625 x 65536 = 1,024,000,000, yes) x 64 = 61 GiB + ...; round down to 2 GiB
    const v56 = vmemmapOf(4 * T - 128 * G, 65536);
    expect(v56).toBe(0x3d080000000);
    expect(resolveArch('s390x', {}, prof('v5.6')).cfg.VMEMMAP_START).toBe(BigInt(v56));
    // v6.1 startup.c: __abs_lowcore = round_down(4 TiB - 4 KiB - 256 x 8 KiB, 8 KiB), modules
    // end at it rounded down to 1 MiB, VMALLOC_START = that - 2 GiB - (512 GiB - 2 GiB)
    const lowcore = Math.floor((4 * T - 4096 - 256 * 8192) / 8192) * 8192;
    const v61 = vmemmapOf(Math.floor(lowcore / M) * M - 512 * G, 65536);
    expect(v61).toBe(0x37200000000); // what the 6.1.176 recording's kcore shows
    expect(resolveArch('s390x', {}, prof('v6.1')).cfg.VMEMMAP_START).toBe(BigInt(v61));
    // v6.12: __abs_lowcore 0x37ffe5fe000 as read from 6.12.95 (kallsyms); v6.18: 128 MiB sections
    expect(vmemmapOf(0x37ffe5fe000, 65536)).toBe(0x37200000000);
    expect(vmemmapOf(0x37ffe5fe000, 32768)).toBe(0x37200000000);
    for (const k of ['v6.12', 'v6.18', 'v7.1']) expect(resolveArch('s390x', {}, prof(k)).cfg.VMEMMAP_START).toBe(0x37200000000n);
  });

  it('CRST tables of 16 KiB (2048 entries), page tables of 2 KiB (256 entries): spans and page costs', () => {
    const a = resolveArch('s390x', {}, prof('v6.12'));
    const c = deriveConsts(a);
    // a segment table: 2048 entries x 1 MiB; a page table: 256 x 4 KiB; the top region-third table: 2048 x 2 GiB
    expect([c.tableSpan.pmd, c.tableSpan.pte, c.tableSpan.pgd]).toEqual([2 * G, M, 4 * T]);
    // CRST_ALLOC_ORDER 2: four pages; a page table: half a page at boot (memblock_alloc(2 KiB)),
    // a whole page after boot from v6.8 (page_table_alloc()), half a page (a fragment) before
    expect([c.tableCost.boot.pmd, c.tableCost.boot.pte, c.tableCost.runtime.pte]).toEqual([4, 0.5, 1]);
    expect(deriveConsts(resolveArch('s390x', {}, prof('v6.6'))).tableCost.runtime.pte).toBe(0.5);
    // SECTION_SIZE_BITS 28 up to v6.12, 27 from v6.13; HPAGE_SHIFT 20 -> pageblock_order 8
    expect([a.cfg.SECTION_SIZE_BITS, resolveArch('s390x', {}, prof('v6.18')).cfg.SECTION_SIZE_BITS, a.cfg.pageblockOrder]).toEqual([28, 27, 8]);
    // has_transparent_hugepage() = EDAT-1; huge pages: 1 MiB with EDAT-1, none without
    expect([a.cfg.thpPmd, a.cfg.hugePageSizes]).toEqual([true, [M]]);
    expect(resolveArch('s390x', { edat1: false }, prof('v6.12')).cfg.hugePageSizes).toEqual([]);
    expect(() => resolveArch('s390x', { pageSize: '64K' }, prof('v6.12'))).toThrow('s390x has only 4K pages, not 64K');
  });
});

describe('s390x vmemmap_populate (arch/s390/mm/vmem.c)', () => {
  it('EDAT-1: 1 MiB segment frames; 2 GiB of RAM = 32 MiB of memmap = 32 frames under one segment table (4 pages)', () => {
    const r = run(s390());
    expect(r.report.vmemmap.mappings).toMatchObject({ pmd: 32, pte: 0 });
    expect(r.report.pageTablePages).toMatchObject({ pmd: 4, pte: 0 });
  });

  it('no EDAT-1: 4 KiB pages; 1 GiB = 4096 PTEs in 16 page tables of 2 KiB (8 pages) under one segment table', () => {
    const r = run(s390({ edat1: false, ram: '{ start: 0, size: 1G }' }));
    expect(r.report.vmemmap.mappings).toMatchObject({ pmd: 0, pte: 4096 });
    expect(r.report.pageTablePages).toMatchObject({ pmd: 4, pte: 8 });
  });

  it('page tables after boot: 2 KiB fragments up to v6.7, a whole page each from v6.8 (page_table_alloc)', () => {
    // one 256 MiB standby block without EDAT-1: 4 MiB of memmap = 4 page tables
    const steps = '  - hot-add: { node: 0, start: 0x100000000, size: 256M }';
    expect(stepOf(run(s390({ kernel: 'v6.6', edat1: false, steps })), 2)).toMatchObject({ ok: true });
    expect(run(s390({ kernel: 'v6.6', edat1: false, steps })).report.steps[1]!.delta.pageTablePages).toMatchObject({ pte: 2 });
    expect(run(s390({ kernel: 'v6.12', edat1: false, steps })).report.steps[1]!.delta.pageTablePages).toMatchObject({ pte: 4 });
  });

  it('standby memory: memmap in the block itself from v6.9 with EDAT-1 (sclp MHP_MEMMAP_ON_MEMORY), in RAM before and without EDAT-1', () => {
    const steps = '  - hot-add: { node: 0, start: 0x100000000, size: 512M }';
    const cmdline = 'memory_hotplug.memmap_on_memory=1';
    // 2 blocks of 256 MiB: 4 MiB of memmap each (1024 pages, a multiple of pageblock 256, 1 MiB-aligned)
    expect(run(s390({ cmdline, steps })).report.steps[1]!.delta.memmapBacking.self).toEqual({ 0: 8 * M });
    expect(run(s390({ cmdline, steps, edat1: false })).report.steps[1]!.delta.memmapBacking.ram).toEqual({ 0: 8 * M });
    expect(run(s390({ cmdline, steps, kernel: 'v6.6' })).report.steps[1]!.delta.memmapBacking.ram).toEqual({ 0: 8 * M });
    // v7.1: the block's memmap_on_memory attribute defaults to mhp_supports_memmap_on_memory(), EDAT-1 or not
    expect(run(s390({ cmdline, steps, edat1: false, kernel: 'v7.1' })).report.steps[1]!.delta.memmapBacking.self).toEqual({ 0: 8 * M });
  });

  it('a failed 1 MiB frame falls back to a page table and 4 KiB pages from v5.9 (v5.6: -ENOMEM)', () => {
    // the 3rd page-allocator request is the third 1 MiB frame of the block's 4 MiB memmap
    const o = { steps: '  - hot-add: { node: 0, start: 0x100000000, size: 256M }', faults: '[ { alloc: buddy, nth: 3 } ]' };
    const v612 = run(s390(o));
    expect(stepOf(v612, 2)).toMatchObject({ ok: true });
    expect(v612.report.vmemmap.mappings).toMatchObject({ pmd: 32 + 3, pte: 256 });
    expect(stepOf(run(s390({ ...o, kernel: 'v5.6' })), 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
  });

  it('a failed populate is rolled back by remove_pagetable() from v5.9; v5.6 leaves what it mapped', () => {
    // no EDAT-1: the 10th page-allocator request (a 4 KiB memmap page) fails
    const o = { edat1: false, steps: '  - hot-add: { node: 0, start: 0x100000000, size: 256M }', faults: '[ { alloc: buddy, nth: 10 } ]' };
    for (const kernel of ['v5.9', 'v6.12']) {
      const r = run(s390({ ...o, kernel }));
      expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
      // back to the boot state: 32 MiB of memmap, 32 page tables (16 pages) and a segment table (4)
      expect([r.report.vmemmap.mappedBytes, r.report.pageTablePages.pte, r.report.kernelBugs.findings]).toEqual([32 * M, 16, []]);
    }
    const v56 = run(s390({ ...o, kernel: 'v5.6' }));
    expect(stepOf(v56, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    // one page table (2 KiB) and the memmap pages mapped before the failure stay: vmemmap_free() is empty
    expect(v56.report.vmemmap.mappedBytes).toBeGreaterThan(32 * M);
    expect(v56.report.pageTablePages.pte).toBe(16.5);
    expect(v56.report.kernelBugs.findings.map((f) => f.invariant)).toEqual(['memmap-coverage']);
  });
});

describe('s390x features per release', () => {
  it('no ZONE_DEVICE before v6.17: fsdax fails as on riscv64 before v6.11; v6.18 puts the memmap on the device', () => {
    const devices = '{ name: pmem0, type: nvdimm, node: 0, start: 0x200000000, size: 4G }';
    const steps = '  - create-namespace: { device: pmem0, mode: fsdax }';
    expect(stepOf(run(s390({ devices, steps })), 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    const r = run(s390({ kernel: 'v6.18', devices, steps }));
    expect(stepOf(r, 2)).toMatchObject({ ok: true });
    // 4 GiB / 4 KiB x 64 B = 64 MiB of memmap, 64 frames from the altmap
    expect(r.report.memmapBacking.altmap).toEqual({ 'namespace0.0': 64 * M });
  });

  it('hot-remove: refused up to v6.12 (nothing calls remove_memory on s390); v6.18 frees the block and its tables', () => {
    const steps = '  - hot-add: { node: 0, start: 0x100000000, size: 256M }\n  - hot-remove: { start: 0x100000000, size: 256M }';
    const r612 = run(s390({ steps }));
    expect(stepOf(r612, 3).ok).toBe(false);
    expect(stepOf(r612, 3).messages.join('\n')).toContain('refused: nothing removes memory on s390x in v6.12');
    const r618 = run(s390({ kernel: 'v6.18', steps }));
    expect(stepOf(r618, 3)).toMatchObject({ ok: true });
    expect(r618.report.vmemmap.mappedBytes).toBe(32 * M);
  });

  it('boot memory: vmem_free_pages() keeps it after a WARN (<= v6.18); v7.1 frees it', () => {
    const steps = '  - hot-remove: { start: 0x40000000, size: 256M }';
    const r618 = run(s390({ kernel: 'v6.18', steps }));
    expect(stepOf(r618, 2)).toMatchObject({ ok: true });
    // 256 MiB of boot memory: 4 MiB of memmap unmapped but not freed
    expect(r618.report.kernelBugs.findings.map((f) => f.invariant)).toContain('kernel-anomaly');
    expect(r618.report.dmesg.join('')).toContain('WARNING: at arch/s390/mm/vmem.c vmem_free_pages');
    const r71 = run(s390({ kernel: 'v7.1', steps }));
    expect(r71.report.kernelBugs.findings).toEqual([]);
    expect(r71.report.memory.nodes['0']!.freePages - r618.report.memory.nodes['0']!.freePages).toBe(1024);
  });

  it('hot-add past vmemmap (VMEM_MAX_PHYS, <= v6.1) or max_mappable (v6.6+: at least 512 GiB) is refused', () => {
    // v6.12 with 2 GiB of RAM: max_mappable = max(2 GiB, 512 GiB) -> mhp_range_allowed() refuses above 512 GiB
    const steps = '  - hot-add: { node: 0, start: 0x8000000000, size: 256M }';
    expect(stepOf(run(s390({ steps })), 2)).toMatchObject({ ok: false, errno: 'E2BIG' });
    // v6.1: the limit is vmemmap = 0x37200000000
    expect(stepOf(run(s390({ kernel: 'v6.1', steps })), 2)).toMatchObject({ ok: true });
    expect(stepOf(run(s390({ kernel: 'v6.1', steps: '  - hot-add: { node: 0, start: 0x37200000000, size: 256M }' })), 2)).toMatchObject({ ok: false, errno: 'E2BIG' });
  });

  it('no hmem or CXL devices on s390x', () => {
    expect(() => run(s390({ devices: '{ name: hmem0, type: hmem, node: 0, start: 0x200000000, size: 1G }' }))).toThrow('s390x has no EFI soft-reserved memory');
  });
});

describe('s390x: memory the 3-level layout cannot hold', () => {
  it('is refused, naming the kernel path the model does not have', () => {
    // v6.1: round_up(ident, 2 GiB) + ident / 64 + 510 GiB + 2 GiB > 4 TiB from about 3.5 TiB:
    // 3.5 TiB = 3584 GiB -> 3584 + 56 + 512 = 4152 GiB > 4096
    const big = (kernel: string, size: string) => run(s390({ kernel, ram: `{ start: 0, size: ${size} }` }));
    expect(() => big('v6.1', '3584G')).toThrow('the kernel switches to 4-level page tables (setup_kernel_memory_layout)');
    // 3 TiB: 3072 + 48 + 512 = 3632 GiB fits
    expect(big('v6.1', '3T').report.vmemmap.mappedBytes).toBe(48 * G);
    // v5.6: pages x 4160 + 128 GiB > 4 TiB: 3.9 TiB -> 3993.6 x 4160/4096 + 128 > 4096
    expect(() => big('v5.6', '3993G')).toThrow('setup_memory_end');
    expect(() => big('v6.12', '3584G')).toThrow('with KASLR the kernel switches to 4-level page tables at a random place');
  });
});

describe('s390x v5.6: a failed vmemmap_populate() is not rolled back', () => {
  /*
   * arch/s390/mm/vmem.c vmemmap_populate() @ 5.6.4 walks the range itself: a 1 MiB frame it
   * cannot get is -ENOMEM at once, with the frames before it left mapped (remove_pagetable()
   * rollback arrived with modify_pagetable() in v5.9), and section_activate()'s
   * section_deactivate() -> vmemmap_free() cannot take them back: it is empty in v5.6. A 256 MiB
   * standby block at 16 GiB has 4 MiB of memmap = 4 frames; the third buddy request fails
   * (injected): frames 1 and 2 stay, on top of the boot memmap's 32 (2 GiB / 4 KiB x 64 B).
   */
  it('the frames mapped before the failure stay', () => {
    const r = run(`arch: s390x
kernel: v5.6
config: { edat1: true }
nodes: [ { id: 0, memory: [ { start: 0, size: 2G } ] } ]
faults: [ { alloc: buddy, nth: 3 } ]
steps:
  - boot
  - hot-add: { node: 0, start: 16G, size: 256M }
`);
    expect(r.results.map((x) => [x.ok, x.errno])).toEqual([[true, null], [false, 'ENOMEM']]);
    expect(r.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 34, pud: 0 });
    expect(r.report.steps[1]!.delta.memmapBacking.ram).toEqual({ 0: 2 * 2 ** 20 });
  });
});

describe('s390x has one NUMA node (arch/s390/kernel/numa.c numa_setup(), v5.7+)', () => {
  // numa_setup() makes node 0 the only possible and online node and spans all of memory with it;
  // v5.6's arch/s390/numa/ did the same unless booted with numa=emu (striped nodes, not modelled)
  const msg = 's390x has one NUMA node, node 0: numa_setup() puts all memory on it (numa=emu on v5.6 is not modelled)';
  it.each(['v5.6', 'v6.18'])('%s: a second node is refused where it is written', (kernel) => {
    expect(() => run(`arch: s390x\nkernel: ${kernel}\nnodes: [ { id: 0, memory: [ { start: 0, size: 2G } ] }, { id: 1, memory: [ { start: 2G, size: 2G } ] } ]\n`))
      .toThrow(`test.yaml:3:63: nodes[1].id: ${msg}`);
  });
  it('a single node must be node 0', () => {
    expect(() => run('arch: s390x\nnodes:\n  - { id: 1, memory: [ { start: 0, size: 2G } ] }\n')).toThrow(`test.yaml:3:11: nodes[0].id: ${msg}`);
    expect(run('arch: s390x\nnodes:\n  - { id: 0, memory: [ { start: 0, size: 2G }, { start: 4G, size: 2G } ] }\n').report.memory.nodes).toHaveProperty('0');
  });
  it('other arches keep their nodes', () => {
    expect(Object.keys(run('arch: riscv64\nnodes: [ { id: 0, memory: [ { start: 2G, size: 2G } ] }, { id: 1, memory: [ { start: 4G, size: 2G } ] } ]\n').report.memory.nodes)).toEqual(['0', '1']);
  });
});

describe('s390x memory block size (arch/s390/mm/init.c memory_block_size_bytes)', () => {
  it('max(MIN_MEMORY_BLOCK_SIZE, sclp.rzm); not a power of two: the boot panics in memory_dev_init()', () => {
    const withRzm = (rzm: number, kernel = 'v6.12') => run(s390({ kernel }).replace('config: { edat1: true }', `config: { edat1: true, rzm: ${rzm} }`));
    // QEMU's 1 MiB increment: the section, 256 MiB (128 MiB from v6.13)
    expect(withRzm(1).report.memory.blockSize).toBe(256 * M);
    expect(withRzm(1, 'v6.18').report.memory.blockSize).toBe(128 * M);
    // a 1 GiB increment: 1 GiB blocks
    expect(withRzm(1024).report.memory.blockSize).toBe(G);
    // 384 MiB = 0x18000000 is not a power of two
    expect(() => withRzm(384)).toThrow('"Memory block size not suitable: 0x18000000"');
    // below the section size the increment does not matter
    expect(withRzm(192).report.memory.blockSize).toBe(256 * M);
  });
});
