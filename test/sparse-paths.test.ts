/**
 * mm/sparse.c paths (src/kernel/sparse.ts) that mutation testing (docs/testing.md) found
 * without a test: subsection_map_init()'s per-section debug lines (partial head, run of whole
 * sections, partial tail), sparse_init_nid()'s early-section trace events and its pr_err site,
 * sparse_buffer_alloc() giving back the alignment gap in front of a block and running out of
 * buffer, and v5.6 section_deactivate() freeing an emptied early section's whole memmap.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario, renderTrace, runScenario } from '../src/index.js';
import { run, stepOf } from './helpers.js';

/** The `--trace` lines of step n. */
const traceOf = (text: string, n: number) => text.split(/^# step /m).find((b) => b.startsWith(`${n}:`))!.split('\n').slice(1).filter(Boolean);
const trace = (yaml: string) => renderTrace(runScenario(parseScenario('t.yaml', yaml)));

describe('subsection_map_init(): one debug line per section', () => {
  /*
   * subsection_map_init() in mm/sparse.c (v5.3+; renamed sparse_init_subsection_map() in v7.1)
   * prints, per section a memblock range touches, "%s: sec: %lu pfns: %lu set(%d, %d)" with the
   * section number, the range's pfns inside it and its first and last sub-section index
   * (x86_64: 32768 pfns per 128 MiB section, 512 pfns per 2 MiB sub-section, 64 per section).
   *   [64M, 1124M): pfns 16384..287744. Section 0 from pfn 16384 (sub-section 32): 16384 pfns,
   *     set(32, 63); sections 1..7 whole; section 8 [262144, 287744): 25600 pfns, set(0, 49).
   *   [2G, 2G + 100M): starts on section 16's boundary but is shorter than a section: one line,
   *     25600 pfns, set(0, 49).
   *   [3G + 32M, 3G + 64M): inside section 24, from pfn offset 8192 (sub-section 16) to 16383
   *     (sub-section 31): 8192 pfns, set(16, 31).
   */
  it('partial head, whole sections, partial tail, a short aligned range, a range inside one section', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 64M, size: 1060M }, { start: 2G, size: 100M }, { start: 0xC2000000, size: 32M } ] }
`);
    const whole = (s: number) => `subsection_map_init: sec: ${s} pfns: 32768 set(0, 63)`;
    expect(r.report.dmesg.filter((l) => l.startsWith('subsection_map_init:'))).toEqual([
      'subsection_map_init: sec: 0 pfns: 16384 set(32, 63)',
      ...[1, 2, 3, 4, 5, 6, 7].map(whole),
      'subsection_map_init: sec: 8 pfns: 25600 set(0, 49)',
      'subsection_map_init: sec: 16 pfns: 25600 set(0, 49)',
      'subsection_map_init: sec: 24 pfns: 8192 set(16, 31)',
    ]);
  });

  /*
   * A range of 4100 whole sections from 4 GiB (section 32) to 4 GiB + 4100 x 128 MiB: the kernel
   * prints 4100 lines, sections 32..4131. The model keeps them as one message repeated 4100
   * times (one printk per section of a run), and the report shows at most 4096 lines of a
   * message, then "[vmemlab: N more repetitions of the same form omitted]": here the lines of
   * sections 32..4127 and 4 omitted. The 16 sections of [0, 2G) are one message of 16.
   */
  it('a run of whole sections is one repeated message: 4096 lines shown, the rest counted', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G }, { start: 4G, size: 525G } ] }
`);
    // 525 GiB = 4200 sections of 128 MiB: sections 32..4231; lines 32..4127 shown, 104 omitted
    const lines = r.report.dmesg.filter((l) => l.startsWith('subsection_map_init:') || l.startsWith('[vmemlab:'));
    expect(lines).toHaveLength(16 + 4096 + 1);
    expect(lines[15]).toBe('subsection_map_init: sec: 15 pfns: 32768 set(0, 63)');
    expect(lines[16]).toBe('subsection_map_init: sec: 32 pfns: 32768 set(0, 63)');
    expect(lines[16 + 4095]).toBe('subsection_map_init: sec: 4127 pfns: 32768 set(0, 63)');
    expect(lines[16 + 4096]).toBe('[vmemlab: 104 more repetitions of the same form omitted]');
    const msgs = stepOf(r, 1).dmesg.filter((m) => m.site === 'mm/sparse.c:subsection_map_init');
    expect(msgs.map((m) => [m.text, m.run?.count])).toEqual([
      ['subsection_map_init: sec: 0 pfns: 32768 set(0, 63)\n', 16],
      ['subsection_map_init: sec: 32 pfns: 32768 set(0, 63)\n', 4200],
    ]);
  });
});

describe('sparse_init_nid()', () => {
  /*
   * sparse_init_nid() in mm/sparse.c: one call per run of present sections on one node; each
   * section's memmap is populated and the section marked SECTION_IS_EARLY. The model traces a
   * run of consecutive present sections as one "section early" event: sections 0..8 (9 x 32768
   * pfns = 294912), section 16 (pfn 0x80000) and section 24 (pfn 0xc0000), 32768 pfns each. The
   * memmap of section s starts at VMEMMAP_START 0xffffea0000000000 + s x 2 MiB.
   */
  it('the early-section events: first pfn and page count of each run of present sections', () => {
    const boot = traceOf(trace(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 64M, size: 1060M }, { start: 2G, size: 100M }, { start: 0xC2000000, size: 32M } ] }
`), 1);
    expect(boot.filter((l) => l.startsWith('section early:'))).toEqual([
      'section early: pfn 0x0, 294912 pages, node 0',
      'section early: pfn 0x80000, 32768 pages, node 0',
      'section early: pfn 0xc0000, 32768 pages, node 0',
    ]);
    expect(boot).toContain('map pmd: 0xffffea0002000000-0xffffea0002200000 (2 MiB) -> node 0 RAM (sparse buffer)');
    expect(boot).toContain('map pmd: 0xffffea0003000000-0xffffea0003200000 (2 MiB) -> node 0 RAM (sparse buffer)');
  });

  /*
   * 64 MiB of RAM with 63 MiB reserved: the section's 2 MiB memmap cannot be allocated.
   * sparse_init_nid() prints pr_err("%s: node[%d] memory map backing failed. Some memory will
   * not be available.") - no newline in the kernel's format - from mm/sparse.c's
   * sparse_init_nid (KERN_ERR, level 3).
   */
  it('the failure pr_err: level 3, printed by sparse_init_nid', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 64M } ] }
reserved: [ { start: 0, size: 63M } ]
`);
    const m = stepOf(r, 1).dmesg.filter((x) => x.text.includes('memory map backing failed'));
    expect(m.map((x) => [x.level, x.site, x.text])).toEqual([
      [3, 'mm/sparse.c:sparse_init_nid', 'sparse_init_nid: node[0] memory map backing failed. Some memory will not be available.'],
    ]);
  });
});

describe('the boot sparse buffer', () => {
  /*
   * powerpc64 hash 4K: section_map_size() = ALIGN(4096 pfns x 64 B, PMD_SIZE 2 MiB) = 2 MiB per
   * 16 MiB section, but hash vmemmap_populate() allocates mmu_vmemmap_psize (16 MiB) blocks
   * through vmemmap_alloc_block_buf() -> sparse_buffer_alloc(), which rounds the buffer cursor
   * up to 16 MiB and gives the gap back with sparse_buffer_free() (mm/sparse.c).
   * With 2 GiB of RAM the 128-section buffer (256 MiB, allocated top-down) starts at 0x70000000,
   * 16 MiB aligned: no gap. With 2046 MiB it starts at 0x6fe00000: the 2 MiB gap before
   * 0x70000000 is freed, the tail after the two 16 MiB blocks is freed by sparse_buffer_fini(),
   * so exactly as much stays reserved as with 2 GiB and the node manages exactly 512 pages
   * (2 MiB) less. v6.6: from v6.11 early_init_devtree() drops RAM past the last whole 16 MiB
   * (2046 MiB boots as 2032 MiB; test/ppc-boot-caps.test.ts).
   */
  it('powerpc hash: the gap in front of a 16 MiB block goes back to memblock', () => {
    const managed = (size: string) => run(`
arch: powerpc64
kernel: v6.6
config: { mmu: hash, pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0, size: ${size} } ] }
`).report.memory.nodes[0]!.managedPages;
    expect(managed('2046M')).toBe(managed('2G') - 512);
  });

  /*
   * <= v5.10.7: a failed sparse_init_nid() skips sparse_buffer_fini(), so the buffer of the last
   * node stays set and vmemmap_alloc_block_buf() -> sparse_buffer_alloc() serves later hot-adds
   * from it until it runs out, then vmemmap_alloc_block() (the buddy allocator).
   * Node 1 (1 GiB at 64 GiB: 8 sections) gets a buffer of 8 x 2 MiB = 16 MiB; its memmap at
   * 0xffffea0040000000 needs a new PMD table, memblock allocation #5 (after node 0's buffer,
   * PUD table and PMD table, and node 1's buffer), which fails: the buffer is left untouched.
   * The hot-add of 2 GiB at 66 GiB (16 sections, memmap 0xffffea0042000000 + 32 MiB in 2 MiB
   * PMD blocks) takes the first 8 blocks (16 MiB) from the buffer and the other 8 from the buddy
   * allocator.
   */
  it('v5.10: a leaked buffer serves a hot-add until it runs out', () => {
    const t = trace(`
arch: x86_64
kernel: v5.10
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
  - { id: 1, memory: [ { start: 64G, size: 1G } ] }
faults: [ { alloc: memblock, nth: 5 } ]
steps:
  - boot
  - hot-add: { node: 1, start: 66G, size: 2G }
`);
    expect(traceOf(t, 1)).toContain('note: fault injection: memblock allocation #5 fails');
    const maps = traceOf(t, 2).map((l) => /^map pmd: 0x([0-9a-f]+)-0x([0-9a-f]+) \(.*\) -> node 1 RAM \((.*)\)$/.exec(l)).filter((x) => x !== null);
    const span = (src: string) => {
      const xs = maps.filter((x) => x[3] === src);
      return [xs[0]![1], xs[xs.length - 1]![2], xs.reduce((t, x) => t + Number(BigInt('0x' + x[2]) - BigInt('0x' + x[1])), 0)];
    };
    expect(span('sparse buffer')).toEqual(['ffffea0042000000', 'ffffea0043000000', 16 * 2 ** 20]);
    expect(span('buddy')).toEqual(['ffffea0043000000', 'ffffea0044000000', 16 * 2 ** 20]);
  });
});

describe('section_activate(): a sub-section range of an early section', () => {
  /*
   * section_activate() in mm/sparse.c (v5.3+): "if (nr_pages < PAGES_PER_SECTION &&
   * early_section(ms)) return pfn_to_page(pfn)" - an early section already has its whole
   * memmap, so a sub-section add only sets its sub-section bits; section_deactivate() of a
   * partial range of an early section that stays non-empty frees nothing (v5.9+). A 64 MiB
   * namespace at 4 GiB + 64 MiB (pfn 0x104000, 16384 pages) in section 32, whose first half is
   * boot RAM: no vmemmap_populate at all, only the section events.
   */
  it('no populate on create, no free on destroy', () => {
    const t = trace(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G }, { start: 4G, size: 64M } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x104000000, size: 64M }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }
  - destroy-namespace: { device: pmem0 }
`);
    expect(traceOf(t, 2)).toEqual(['section activate: pfn 0x104000, 16384 pages, node 0']);
    expect(traceOf(t, 3)).toEqual(['section deactivate: pfn 0x104000, 16384 pages, node 0']);
  });
});

describe('section_activate(): a failed populate rolled back through section_deactivate()', () => {
  /*
   * arm64 v5.10 4K: SECTION_SIZE_BITS 30, so a section is 262144 pfns and its memmap 16 MiB,
   * eight 2 MiB PMD blocks (arm64's own vmemmap_populate(), blocks from the altmap, -ENOMEM when
   * the altmap has none: no fallback). A 2 GiB fsdax namespace at 16 GiB (pfn 0x400000): its
   * altmap starts at the namespace base with 2 pfns of info block reserved, so the first block
   * is at pfn 0x400200 after 510 pfns of alignment, the second at 0x400400; the third altmap
   * allocation is made to fail. The memmap of pfn 0x400000 is at VMEMMAP_START
   * 0xfffffdffffe00000 + (0x400000 - memstart pfn 0x40000) x 64 = 0xfffffe000ee00000.
   * section_activate() in mm/sparse.c then calls section_deactivate(pfn, nr_pages, altmap): the
   * section is not present yet (not early), so depopulate_section_memmap() -> vmemmap_free()
   * with the altmap unmaps the two blocks and gives their 1024 pfns back to the altmap
   * (vmem_altmap_free). The section never got a node (set_section_nid() runs only after
   * section_activate() succeeds): the model's event shows node -1. The step fails -ENOMEM.
   */
  it('the mapped blocks go back to the altmap; the event names no node', () => {
    const t = trace(`
arch: arm64
kernel: v5.10
config: { pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 2G }
faults: [ { alloc: altmap, nth: 3 } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
`);
    const ns = traceOf(t, 2);
    expect(ns.slice(ns.indexOf('note: fault injection: altmap allocation #3 fails'))).toEqual([
      'note: fault injection: altmap allocation #3 fails',
      'note: vmemmap_populate_hugepages: no PMD_SIZE block left in the altmap: -ENOMEM (no fallback with an altmap)',
      'unmap pmd: 0xfffffe000ee00000-0xfffffe000f200000 (4 MiB), was altmap namespace0.0 from pfn 0x400200',
      'altmap namespace0.0 free: 1024 pfns',
      'section deactivate: pfn 0x400000, 262144 pages, node -1',
      'errno: create-namespace failed with ENOMEM',
    ]);
  });
});

describe('sparse_remove_section(): WARN_ON_ONCE(!valid_section(ms))', () => {
  /*
   * A hot-remove where nothing was ever added: try_remove_memory() finds no memory block to
   * refuse it (all absent blocks count as offline), arch_remove_memory() -> __remove_pages()
   * calls sparse_remove_section() for sections that are not present, which WARN_ON_ONCE()s
   * and returns (mm/sparse.c, v5.3+). The WARN has no message of its own, only the splat, and
   * fires once per boot: the second removal is silent. Nothing is freed, the steps succeed.
   */
  it('the first removal over absent sections WARNs, the next does not', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
steps:
  - boot
  - hot-remove: { start: 64G, size: 256M }
  - hot-remove: { start: 72G, size: 128M }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    const warns = (i: number) => stepOf(r, i).dmesg.filter((m) => m.site.startsWith('mm/sparse.c')).map((m) => [m.level, m.site, m.text]);
    expect(warns(2)).toEqual([
      [4, 'mm/sparse.c:sparse_remove_section', '------------[ cut here ]------------\n'],
      [4, 'mm/sparse.c:sparse_remove_section', 'WARNING: at mm/sparse.c sparse_remove_section\n'],
    ]);
    expect(warns(3)).toEqual([]);
  });
});

describe('v5.6 section_deactivate(): an early section emptied', () => {
  /*
   * v5.6 section_deactivate() in mm/sparse.c (before ef69bc9f689d, v5.9): once an early
   * section has no sub-section left it frees the section's whole memmap with
   * free_map_bootmem() -> vmemmap_free(). Offlining and removing [2G, 2G + 256M) of boot RAM
   * empties sections 16 and 17 (pfns 0x80000 and 0x88000); their memmap, 2 MiB each at
   * 0xffffea0000000000 + 0x80000 x 64 = 0xffffea0002000000, is unmapped (it came from the
   * boot sparse buffer).
   */
  it('the emptied sections memmap is unmapped', () => {
    const t = trace(`
arch: x86_64
kernel: v5.6
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
steps:
  - boot
  - offline: { start: 2G, size: 256M }
  - hot-remove: { start: 2G, size: 256M }
`);
    expect(traceOf(t, 3)).toEqual([
      'unmap pmd: 0xffffea0002000000-0xffffea0002200000 (2 MiB), was node 0 RAM (sparse buffer)',
      'section deactivate: pfn 0x80000, 32768 pages, node 0',
      'unmap pmd: 0xffffea0002200000-0xffffea0002400000 (2 MiB), was node 0 RAM (sparse buffer)',
      'section deactivate: pfn 0x88000, 32768 pages, node 0',
    ]);
  });
});
