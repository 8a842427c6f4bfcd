/**
 * More src/kernel/sparse-vmemmap.ts paths that mutation testing (docs/testing.md, the complete
 * Stryker run on 1e16b08, survivors of its lines 536..836) found without a test:
 * vmemmap_verify() of a PMD that holds a PTE table (arm64 <= v6.13), s390's partly used
 * frames and its rollback of a failed vmemmap_populate(), the helpers a profile module's
 * vmemmap_populate() is given, __populate_section_memmap()'s checks and notes,
 * vmemmap_can_optimize() by version, device-dax compound pages.
 * Each expectation is derived by hand in its comment from the kernel's rules.
 */
import { describe, expect, it } from 'vitest';
import { __populate_section_memmap, vmemmap_can_optimize, vmemmap_one_page_per_pmd, vmemmap_populate_basepages, vmemmap_populate_hugepages } from '../src/kernel/sparse-vmemmap.js';
import { pfnToOff, type Kernel } from '../src/kernel/state.js';
import { parseProfileFile, registerProfile, renderTrace } from '../src/index.js';
import { profileFromModule } from '../src/kernels/profile-file.js';
import { findProfile } from '../src/kernels/index.js';
import { renderMessage } from '../src/kernel/printk.js';
import { withoutBatching } from '../src/kernel/engine.js';
import { run, setup_machine, stepOf, x86 } from './helpers.js';

const K = 1024;
const M = 2 ** 20;

/** The `--trace` lines of step n. */
const traceOf = (text: string, n: number) => text.split(/^# step /m).find((b) => b.startsWith(`${n}:`))!.split('\n').slice(1).filter(Boolean);

/** Register a profile once per test process (a later test file in the same process may have done it). */
function profileOnce(yaml: string): void {
  try { registerProfile(parseProfileFile('p.yaml', yaml)); } catch { /* already registered */ }
}

/** [site, line] of the "potential offnode page_structs" lines logged from `from` on (runs written out). */
const offnode = (k: Kernel, from = 0) => k.s.log.slice(from).filter((m) => m.text.includes('offnode')).flatMap((m) => renderMessage(m).map((l) => [m.site, l]));

describe('vmemmap_verify() of a PMD that holds a PTE table (arm64 4K, v5.11..v6.1)', () => {
  /*
   * arch/arm64/mm/mmu.c vmemmap_populate() @ v6.1 (read in 6.1.20): per PMD step [addr, next),
   * a PMD that is not none - a leaf or a PTE table - only gets vmemmap_verify((pte_t *)pmdp,
   * node, addr, next): pte_pfn() of that entry is the PTE table page's pfn, and when its node is
   * farther than LOCAL_DISTANCE from `node`, pr_warn_once("[%lx-%lx] potential offnode
   * page_structs\n", start, end - 1) (mm/sparse-vmemmap.c vmemmap_verify() @ v6.1; one static
   * "once" for every caller).
   * Three nodes, 0 at [1G, 5G), 1 at [8G, 12G), 2 at [16G, 20G), distance 20 between any two.
   * memstart 1 GiB (pfn 0x40000), so the struct page of pfn 0x1000000 (64 GiB) is at
   * VMEMMAP_START 0xfffffc0000000000 + (0x1000000 - 0x40000) x 64 = 0xfffffc003f000000,
   * PMD-aligned. Base pages over the first 32 KiB of that PMD and of the next one for node 0,
   * and of the third for node 2, give each a PTE table from that node (and pages of that node:
   * verified against it, nothing printed). Three PMD steps: the model runs them as one batch.
   */
  const setup = (kernel: string) => {
    const { k } = setup_machine(`
arch: arm64
config: { pageSize: 4K }
kernel: ${kernel}
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
  - { id: 1, memory: [ { start: 8G, size: 4G } ] }
  - { id: 2, memory: [ { start: 16G, size: 4G } ] }
`);
    const off = pfnToOff(k, 0x1000000);
    expect(vmemmap_populate_basepages(k, off, off + 32 * K, 0, null)).toBe(0);
    expect(vmemmap_populate_basepages(k, off + 2 * M, off + 2 * M + 32 * K, 0, null)).toBe(0);
    expect(vmemmap_populate_basepages(k, off + 4 * M, off + 4 * M + 32 * K, 2, null)).toBe(0);
    expect(offnode(k)).toEqual([]);
    return { k, off };
  };

  /*
   * v6.1 (pr_warn_once): [off + 32K, off + 4M + 64K) for node 1 is three PMD steps, all PTE
   * tables of node 0: the first step prints [0xfffffc003f008000-0xfffffc003f1fffff] (next = the
   * PMD end), the others nothing (once). Later calls print nothing more, neither this path nor
   * vmemmap_verify() of a node-0 PTE seen for node 1 (the same pr_warn_once).
   */
  it('v6.1: the first table step is warned about, once per boot for every vmemmap_verify()', () => {
    const { k, off } = setup('v6.1');
    expect(vmemmap_populate_hugepages(k, off + 32 * K, off + 4 * M + 64 * K, 1, null)).toBe(0);
    expect(offnode(k)).toEqual([['mm/sparse-vmemmap.c:vmemmap_verify', '[fffffc003f008000-fffffc003f1fffff] potential offnode page_structs']]);
    // nothing was mapped: the struct pages past the first 32 KiB of each PMD stay unbacked
    expect(k.s.leaves.coverage(off, off + 6 * M)).toBe(96 * K);
    // again, then a base-page pass for node 1 over node 0's pages: no second warning
    expect(vmemmap_populate_hugepages(k, off + 64 * K, off + 96 * K, 1, null)).toBe(0);
    expect(vmemmap_populate_basepages(k, off, off + 32 * K, 1, null)).toBe(0);
    expect(offnode(k)).toHaveLength(1);
  });

  /*
   * Up to v6.0 the same vmemmap_verify() says it every time (pr_warn): one line per PMD step,
   * [0xfffffc003f008000-0xfffffc003f1fffff], [0xfffffc003f200000-0xfffffc003f3fffff] and
   * [0xfffffc003f400000-0xfffffc003f40ffff].
   */
  it('pr_warn every time (v6.0): one line per PMD step, batched or not', () => {
    profileOnce('id: svm2-v600\ntitle: v6.1 with pr_warn every time\nbase: v6.1\nswitches:\n  vmemmapVerifyOnce: false\n');
    const populate = () => {
      const { k, off } = setup('svm2-v600');
      expect(vmemmap_populate_hugepages(k, off + 32 * K, off + 4 * M + 64 * K, 1, null)).toBe(0);
      return offnode(k);
    };
    expect(withoutBatching(populate)).toEqual(populate());
    expect(populate()).toEqual([
      ['mm/sparse-vmemmap.c:vmemmap_verify', '[fffffc003f008000-fffffc003f1fffff] potential offnode page_structs'],
      ['mm/sparse-vmemmap.c:vmemmap_verify', '[fffffc003f200000-fffffc003f3fffff] potential offnode page_structs'],
      ['mm/sparse-vmemmap.c:vmemmap_verify', '[fffffc003f400000-fffffc003f40ffff] potential offnode page_structs'],
    ]);
  });
});

describe('s390 vmemmap_use_new_sub_pmd(): the unused head of a new frame', () => {
  /*
   * arch/s390/mm/vmem.c @ v6.18 (read in 7.1.5): a new 1 MiB frame for [start, end) with start
   * not frame-aligned gets memset(page, PAGE_UNUSED, start - page) (vmemmap_use_new_sub_pmd);
   * removing [start, end) later memsets that part too and frees the frame when all of it is
   * PAGE_UNUSED (vmemmap_unuse_sub_pmd, modify_pmd_table). s390x EDAT-1: pmem1 at 0x40a000000
   * (pfn 0x40a000) has its struct pages from 0x40a000 x 64 = 0x10280000, half way into the frame
   * at 0x10200000 (VA 0x37200000000 + 0x10200000), to 0x414000 x 64 = 0x10500000: 3 frames from
   * its altmap. Nothing else uses the first frame's head, so destroying the namespace frees all
   * three: no memmap left in the altmap.
   */
  it('a namespace alone in its first frame frees it on destroy', () => {
    const r = run(`
arch: s390x
config: { edat1: true }
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices:
  - { name: pmem1, type: nvdimm, node: 0, start: 0x40a000000, size: 160M }
steps:
  - boot
  - create-namespace: { device: pmem1, mode: devdax, map: dev }
  - destroy-namespace: { device: pmem1 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    expect(r.report.steps.map((s) => s.delta.memmapBacking.altmap)).toEqual([{}, { 'namespace0.0': 3 * M }, { 'namespace0.0': -3 * M }]);
    expect(traceOf(renderTrace(r), 3).filter((l) => l.startsWith('unmap pmd')).map((l) => l.split(' (')[0]).sort()).toEqual([
      'unmap pmd: 0x37210200000-0x37210300000',
      'unmap pmd: 0x37210300000-0x37210400000',
      'unmap pmd: 0x37210400000-0x37210500000',
    ]);
  });
});

describe('s390 vmemmap_populate(): a failed populate is rolled back', () => {
  /*
   * arch/s390/mm/vmem.c vmemmap_populate() @ v5.9+ (v6.18): ret = add_pagetable(start, end,
   * false, altmap); if (ret) remove_pagetable(start, end, false, altmap). At boot the sparse
   * buffer fails (memblock request #1, injected), so every frame is memblock_alloc()'d on its
   * own: #2 the segment table, #3 the first 1 MiB frame of section 0's 2 MiB of memmap, #4 the
   * second frame (fails, injected), then a page table for base pages (#5, fails too): -ENOMEM.
   * remove_pagetable() unmaps the first frame (vmem_free_pages() gives nothing back before
   * slab is up: the 1 MiB stays reserved), sparse_init_nid() gives up the node: no vmemmap
   * mapping is left.
   */
  it('at boot: the frame mapped before the failure is unmapped again', () => {
    const r = run(`
arch: s390x
config: { edat1: true }
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
faults: [ { alloc: memblock, nth: 1 }, { alloc: memblock, nth: 4 }, { alloc: memblock, nth: 5 } ]
`);
    expect(r.report.dmesg).toContain('sparse_init_nid: node[0] memory map backing failed. Some memory will not be available.');
    expect(traceOf(renderTrace(r), 1).filter((l) => l.includes('map pmd'))).toEqual([
      'map pmd: 0x37200000000-0x37200100000 (1 MiB) -> node 0 RAM (memblock)',
      'unmap pmd: 0x37200000000-0x37200100000 (1 MiB), was node 0 RAM (memblock)',
    ]);
    expect(r.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 0, pud: 0 });
  });
});

describe("Robin Murphy's sketch: a page that is already mapped", () => {
  /*
   * The sketch (docs/thread.md section 3, against v5.6) maps the page at each PMD step's start
   * through vmemmap_pte_populate(), which allocates only if pte_none() (mm/sparse-vmemmap.c @
   * v5.6). arm64 16K: two calls starting in the same 16 KiB page of memmap (two sub-sections'
   * 8 KiB each) - the second finds the page mapped and takes nothing: one PTE table and one
   * page from the page allocator in all.
   */
  it('the second call into the same page allocates nothing', () => {
    const { k } = setup_machine(`
arch: arm64
config: { pageSize: 16K }
kernel: robin-arm64
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
`);
    const off = pfnToOff(k, 0x100000);
    const buddy = k.s.allocCount.buddy;
    expect(vmemmap_one_page_per_pmd(k, off, off + 8 * K, 0)).toBe(0);
    const first = k.s.leaves.get(off);
    expect(vmemmap_one_page_per_pmd(k, off + 8 * K, off + 16 * K, 0)).toBe(0);
    expect(k.s.allocCount.buddy - buddy).toBe(2);
    expect(k.s.leaves.get(off)).toBe(first);
  });
});

describe("the helpers a profile module's vmemmap_populate() is given", () => {
  type Ops = {
    warn_on_once: (site: string, cond: boolean, what: string) => boolean;
    basepagesFallback: (s: number, e: number, n: number, a: unknown) => number;
    altmapCrossBoundary: (a: unknown, s: number, size: number) => boolean;
  };
  type Ctx = { ops: Ops; range: { start: number; end: number; callBytes: number }; node: number; altmap: unknown; base: () => number };

  /*
   * ops.warn_on_once(site, cond, what) is WARN_ON_ONCE(cond) (include/asm-generic/bug.h @
   * v6.18): the value is cond on every call, the splat ("------------[ cut here ]------------",
   * "WARNING: at ...") only the first time cond is true. A module asking with false, true, true
   * in every vmemmap_populate() call of an x86 boot and a 128 MiB hot-add gets false, true,
   * true each time, and one splat in all, at the arch's vmemmap_populate() (replaced by the
   * profile).
   */
  it('warn_on_once(): the condition every time, one splat', () => {
    const seen: boolean[][] = [];
    registerProfile(profileFromModule('warn.mjs', {
      id: 'svm2-warn-once',
      base: 'v6.18',
      policies: {
        vmemmap_populate: (c: Ctx) => {
          seen.push([c.ops.warn_on_once('x', false, 'never'), c.ops.warn_on_once('x', true, 'always'), c.ops.warn_on_once('x', true, 'always')]);
          return c.base();
        },
      },
    }));
    const r = run(x86('kernel: svm2-warn-once\nsteps:\n  - boot\n  - hot-add: { node: 0, start: 4G, size: 128M }'));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen.map((s) => s.join()))).toEqual(new Set(['false,true,true']));
    const splat = r.machine.k.s.log.filter((m) => m.text.includes('cut here') || m.text.startsWith('WARNING:'));
    expect(splat.map((m) => [m.step, m.text])).toEqual([
      [1, '------------[ cut here ]------------\n'],
      [1, 'WARNING: at arch/x86/mm/init_64.c vmemmap_populate (replaced by the profile)\n'],
    ]);
  });

  /*
   * powerpc radix 64K v6.12, a 4 GiB fsdax --map=dev namespace at 64 GiB (pfn 0x100000, the
   * altmap's base_pfn). A module maps it with ops.basepagesFallback() (radix__vmemmap_pte_
   * populate() per page: from the altmap unless altmap_cross_boundary()), and first asks
   * ops.altmapCrossBoundary() (arch/powerpc/mm/init_64.c @ v6.12: start_pfn + nr_pfn - 1 >
   * end_pfn or start_pfn < base_pfn) about the first 64 KiB page of memmap (pfns 0x100000..
   * 0x1003ff: inside) and the page before it (pfns 0xffc00..0xfffff: below base_pfn). The whole
   * memmap, 65536 pfns x 64 B = 4 MiB, then comes from the altmap.
   */
  it('basepagesFallback() and altmapCrossBoundary()', () => {
    const crossed: boolean[] = [];
    registerProfile(profileFromModule('ppc.mjs', {
      id: 'svm2-ppc-basepages',
      base: 'v6.12',
      policies: {
        vmemmap_populate: (c: Ctx) => {
          if (!c.altmap) return c.base();
          if (crossed.length === 0) crossed.push(c.ops.altmapCrossBoundary(c.altmap, c.range.start, 64 * K), c.ops.altmapCrossBoundary(c.altmap, c.range.start - 64 * K, 64 * K));
          return c.ops.basepagesFallback(c.range.start, c.range.end, c.node, c.altmap);
        },
      },
    }));
    const r = run(`
arch: powerpc64
config: { mmu: radix, pageSize: 64K }
kernel: svm2-ppc-basepages
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
`);
    expect(crossed).toEqual([false, true]);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ ram: {}, altmap: { 'namespace0.0': 4 * M } });
  });
});

describe('__populate_section_memmap()', () => {
  /*
   * mm/sparse-vmemmap.c @ v6.18: WARN_ON_ONCE(!IS_ALIGNED(pfn, PAGES_PER_SUBSECTION) ||
   * !IS_ALIGNED(nr_pages, PAGES_PER_SUBSECTION)) -> NULL. x86_64: 512 pfns a sub-section;
   * pfn 0x100100 is half way into one although nr_pages (512) is a whole one: NULL, one WARN.
   */
  it('v6.18: a start inside a sub-section is refused even with a whole number of them', () => {
    const { k } = setup_machine(x86('kernel: v6.18'));
    const off = pfnToOff(k, 0x100000);
    expect(__populate_section_memmap(k, 0x100100, 512, 0, null)).toBe(-12);
    expect(k.s.log.filter((m) => m.site === 'mm/sparse-vmemmap.c:__populate_section_memmap').map((m) => m.text)).toEqual([
      '------------[ cut here ]------------\n',
      'WARNING: at mm/sparse-vmemmap.c __populate_section_memmap\n',
    ]);
    expect(k.s.leaves.coverage(off, off + 2 * M)).toBe(0);
  });

  /*
   * riscv64 sv39 with the 6.8..6.12.9 layout (vmemmap = VMEMMAP_START - phys_ram_base's pfn;
   * "riscv: mm: Fix the out of bound issue of vmemmap address", v6.13 / 6.12.10, rounds it down
   * to a section): DRAM at 0x82200000 (pfn 0x82200) puts the struct page of pfn 0x80000, the
   * first of its 128 MiB section that sparse_init() populates whole, at 0xffffffc500000000 -
   * 0x2200 x 64 = 0xffffffc4fff78000, below the region [0xffffffc500000000, 0xffffffc5ffffffff];
   * the section's last struct page (pfn 0x87fff) ends at + 0x8000 x 64 - 1 = 0xffffffc500177fff.
   * The kernel maps it anyway: the model reports a kernel anomaly at __populate_section_memmap,
   * for that section only (the next ones are inside), and says so in the trace.
   */
  it('riscv: a section whose struct pages start below VMEMMAP_START', () => {
    try { registerProfile({ ...findProfile('v6.12')!, id: 'svm2-riscv-6.12.0-layout', kind: 'proposal', riscvLayout: 'v6.11' }); } catch { /* registered */ }
    const r = run(`
arch: riscv64
kernel: svm2-riscv-6.12.0-layout
config: { mode: sv39 }
nodes:
  - { id: 0, memory: [ { start: 0x82200000, size: 1G } ] }
`);
    const text = 'the struct pages of pfns 80000..87fff (ffffffc4fff78000-ffffffc500177fff) fall outside the vmemmap region [ffffffc500000000-ffffffc5ffffffff]: the kernel maps them there anyway';
    expect(stepOf(r, 1).kernelBugs.map((v) => [v.invariant, v.fn, v.detail])).toEqual([['kernel-anomaly', 'mm/sparse-vmemmap.c:__populate_section_memmap', text]]);
    expect(traceOf(renderTrace(r), 1).filter((l) => l.includes('outside'))).toEqual([`note: mm/sparse-vmemmap.c:__populate_section_memmap: ${text}`]);
  });

  /*
   * arm64 4K v5.9 (no mhp_range_allowed() yet, v5.10 adds it): hot-adding 1 GiB at 144 TiB
   * (pfn 0x900000000) puts its struct pages at VMEMMAP_START 0xfffffdffffe00000 + (0x900000000
   * - 0x40000) x 64, past the 2 TiB region's end and, in 64-bit arithmetic, wrapped to
   * 0x3ffee00000 (to 0x3fffdfffff for the last of its 0x40000 pfns): an anomaly. x86_64 v6.18
   * (4-level: 1 TiB of vmemmap, 2^46 bytes of physical address space) hot-adding the last 128 MiB
   * below 64 TiB: its memmap is the last 2 MiB of the region, ending exactly at its end: inside.
   */
  it('the end of the vmemmap region: past it an anomaly, up to it none', () => {
    const past = run(`
arch: arm64
config: { pageSize: 4K }
kernel: v5.9
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 0x900000000000, size: 1G }
`);
    expect(stepOf(past, 2).kernelBugs.map((v) => v.detail)).toEqual(['the struct pages of pfns 900000000..90003ffff (3ffee00000-3fffdfffff) fall outside the vmemmap region [fffffdffffe00000-ffffffffffdfffff]: the kernel maps them there anyway']);
    const top = run(x86('kernel: v6.18\nsteps:\n  - boot\n  - hot-add: { node: 0, start: 0x3FFFF8000000, size: 128M }'));
    expect([stepOf(top, 2).ok, stepOf(top, 2).kernelBugs]).toEqual([true, []]);
  });

  /*
   * arm64 4K v6.6: a sub-section range is populated with vmemmap_populate_hugepages() (v6.14
   * changed that). pfn 0x1000000's 512 pfns for node 0: a PMD block from node 0 RAM over the
   * 2 MiB of memmap at 0xfffffc003f000000 (see above). Then pfns 0x1000200.. (1024) for node 1:
   * the PMD is a leaf, so vmemmap_check_pmd() (arm64 v6.6: vmemmap_verify((pte_t *)pmdp, node,
   * addr, next); return 1) with addr = the call's start 0xfffffc003f008000 and next =
   * pmd_addr_end(addr, end) = end = + 1024 x 64: [fffffc003f008000-fffffc003f017fff] - the
   * call's range, not a piece of it.
   */
  it('a call inside an existing PMD block is verified over its whole range', () => {
    const { k } = setup_machine(`
arch: arm64
config: { pageSize: 4K }
kernel: v6.6
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
  - { id: 1, memory: [ { start: 8G, size: 4G } ] }
`);
    expect(__populate_section_memmap(k, 0x1000000, 512, 0, null)).toBe(0);
    expect(offnode(k)).toEqual([]);
    expect(__populate_section_memmap(k, 0x1000200, 1024, 1, null)).toBe(0);
    expect(offnode(k)).toEqual([['mm/sparse-vmemmap.c:vmemmap_verify', '[fffffc003f008000-fffffc003f017fff] potential offnode page_structs']]);
  });
});

describe('vmemmap_can_optimize() in v6.1 (the inline rule)', () => {
  /*
   * mm/sparse-vmemmap.c __populate_section_memmap() @ v6.1: is_power_of_2(sizeof(struct page))
   * && pgmap && pgmap_vmemmap_nr(pgmap) > 1 && !altmap -> vmemmap_populate_compound_pages(), on
   * every arch and however few vmemmap pages a compound page has (v6.6's "more than
   * VMEMMAP_RESERVE_NR" is not there yet). powerpc radix 64K, devdax --align=2M: 32 pfns a
   * compound page, 32 x 64 B = 2 KiB of memmap - less than a page, still the compound path,
   * which the model does not have for powerpc <= v6.5: it says so.
   */
  it('powerpc 64K, 2 MiB compound pages: the compound path, not modelled there', () => {
    const r = run(`
arch: powerpc64
config: { mmu: radix, pageSize: 64K }
kernel: v6.1
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax, map: mem, align: 2M }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(stepOf(r, 2).messages.filter((m) => m.startsWith('note: not modelled'))).toEqual([
      "note: not modelled: powerpc64 in v6.1: the generic vmemmap_populate_compound_pages() runs here (every arch, v5.19-v6.3); what it does next to powerpc's own vmemmap mappings is not modelled: vmemmap-lab maps the full memmap instead (docs/fidelity.md)",
    ]);
  });
});

describe('vmemmap_populate_compound_pages() over runs of sections', () => {
  /*
   * x86_64 v6.18, 16 GiB on node 0 (256 MiB of boot memmap) and a memoryless node 1 holding a
   * 4 GiB pmem device at 64 GiB: devdax --map=mem --align=1G. dev_dax_probe() sets vmemmap_shift
   * = order_base_2(1G >> 12) = 18 on the static pgmap, which covers the whole device: 4 compound
   * pages of 16 MiB of memmap each. mm/sparse-vmemmap.c @ v6.18: the first section of each gets
   * a head page and a tail page (node 1 has no memory: from node 0), the other 7 sections reuse
   * the page behind the previous PTE (reuse_compound_section / compound_section_tail_page). So
   * 4 x 2 pages = 32 KiB of RAM, and 64 MiB - 32 KiB deduplicated; the same with the range
   * engine batching the 32 section calls or not.
   */
  it('1 GiB compound pages: two pages of RAM each, batched or not', () => {
    const text = `
arch: x86_64
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 16G } ] }
  - { id: 1, memory: [] }
devices:
  - { name: pmem0, type: nvdimm, node: 1, start: 64G, size: 4G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax, map: mem, align: 1G }
`;
    for (const r of [run(text), withoutBatching(() => run(text))]) {
      expect(stepOf(r, 2).ok).toBe(true);
      expect(r.report.memmapBacking).toEqual({ ram: { 0: 256 * M + 32 * K }, altmap: {}, self: {}, dedup: { 'namespace0.0': 64 * M - 32 * K } });
    }
  });

  /*
   * The same with --align=2M on a 1 GiB device at 64 GiB on node 0 (8 GiB of RAM): 512 compound
   * pages of 32 KiB of memmap (8 pages): a head and a tail page each from the page allocator,
   * 1024 pages, plus the tables for its 16 MiB of memmap at 0xffffea0040000000: 8 PTE tables and
   * one PMD table (a 1 GiB PUD slot the boot memmap of 8 GiB, 128 MiB from 0xffffea0000000000,
   * does not reach; the PUD table is boot's): 1033 pages fewer free than after boot - batched or
   * not (a batch of compound pages must take 2 pages for each of them too).
   */
  it('2 MiB compound pages: a head and a tail page each, batched or not', () => {
    const box = (steps: string) => `
arch: x86_64
kernel: v6.18
nodes: [ { id: 0, memory: [ { start: 0, size: 8G } ] } ]
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 1G }
steps:
  - boot
${steps}`;
    const freePages = (text: string) => run(text).report.memory.nodes[0]!.freePages;
    const add = '  - create-namespace: { device: pmem0, mode: devdax, map: mem, align: 2M }\n';
    expect(freePages(box('')) - freePages(box(add))).toBe(1033);
    expect(withoutBatching(() => freePages(box('')) - freePages(box(add)))).toBe(1033);
    const r = run(box(add));
    expect(r.report.steps[1]!.delta).toEqual({ memmapBacking: { ram: { 0: 4 * M }, altmap: {}, self: {}, dedup: { 'namespace0.0': 12 * M } }, pageTablePages: { pmd: 1, pte: 8 } });
  });

  /*
   * v6.0 (pr_warn every time): the same 1 GiB device on a memoryless node 1, --align=2M. Every
   * PTE of the compound pages goes through vmemmap_verify(pte, node, addr, addr + PAGE_SIZE)
   * (vmemmap_populate_address() for the head and the tail page, vmemmap_populate_range() for the
   * aliases), and every page behind them is node 0's: one line per 4 KiB of the 16 MiB of memmap
   * from 0xffffea0000000000 + 0x1000000 x 64 = 0xffffea0040000000, 4096 lines, batched or not.
   */
  it('v6.0: every PTE of the compound pages verified, batched or not', () => {
    profileOnce('id: svm2-v600\ntitle: v6.1 with pr_warn every time\nbase: v6.1\nswitches:\n  vmemmapVerifyOnce: false\n');
    const text = `
arch: x86_64
kernel: svm2-v600
nodes:
  - { id: 0, memory: [ { start: 0, size: 8G } ] }
  - { id: 1, memory: [] }
devices:
  - { name: pmem0, type: nvdimm, node: 1, start: 0x1000000000, size: 1G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax, map: mem, align: 2M }
`;
    const va0 = 0xffffea0040000000n;
    const want = Array.from({ length: 4096 }, (_, i) => `[${(va0 + BigInt(i) * 4096n).toString(16)}-${(va0 + BigInt(i) * 4096n + 4095n).toString(16)}] potential offnode page_structs`);
    for (const r of [run(text), withoutBatching(() => run(text))]) {
      expect(stepOf(r, 2).ok).toBe(true);
      expect(r.machine.k.s.log.filter((m) => m.text.includes('offnode')).flatMap((m) => renderMessage(m, 1e6))).toEqual(want);
    }
  });

  /*
   * A profile module whose vmemmap_alloc_block_buf() fails every request for more than two pages
   * at once: the kernel asks for one page at a time anyway (vmemmap_populate_address() per head
   * and tail page), so the 2 MiB compound pages come up as before - 4 MiB of RAM for 512 of them.
   */
  it('an allocator that refuses runs of pages: the same compound pages', () => {
    registerProfile(profileFromModule('one-at-a-time.mjs', {
      id: 'svm2-one-page-at-a-time',
      base: 'v6.18',
      policies: { vmemmap_alloc_block_buf: (c: { count: number; base: () => unknown }) => (c.count > 2 ? null : c.base()) },
    }));
    const r = run(`
arch: x86_64
kernel: svm2-one-page-at-a-time
nodes: [ { id: 0, memory: [ { start: 0, size: 8G } ] } ]
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 1G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax, map: mem, align: 2M }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.steps[1]!.delta.memmapBacking).toEqual({ ram: { 0: 4 * M }, altmap: {}, self: {}, dedup: { 'namespace0.0': 12 * M } });
  });

  /*
   * arm64 4K v6.1: a partial section's memmap gets a whole PMD block (arm64's own vmemmap_populate()
   * @ v6.1 maps PMD_SIZE blocks for any range). pmem0 (fsdax --map=mem, 64 MiB at 64 GiB) leaves
   * such a block over the section's 2 MiB of memmap; pmem1 right after it, devdax --align=2M,
   * then takes v6.1's inline compound path (every arch) for the section's second half, whose
   * struct pages at 0xfffffc0000000000 + (0x1004000 - 0x40000) x 64 = 0xfffffc003f100000 are
   * inside the block: vmemmap_pte_populate() would read the block as a PTE table. A kernel
   * anomaly at vmemmap_populate_compound_pages, said in the trace too; the namespace comes up
   * (its struct pages are mapped by the block).
   */
  it('arm64 v6.1: compound pages over a PMD block', () => {
    const r = run(`
arch: arm64
config: { pageSize: 4K }
kernel: v6.1
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 64M }
  - { name: pmem1, type: nvdimm, node: 0, start: 0x1004000000, size: 64M }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }
  - create-namespace: { device: pmem1, mode: devdax, map: mem, align: 2M }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true]);
    const text = "device-dax compound pages at fffffc003f100000 fall in a PMD block mapping: vmemmap_pte_populate() walks the block's struct pages as if they were a PTE table";
    expect(stepOf(r, 3).kernelBugs.map((v) => [v.invariant, v.fn, v.detail])).toEqual([['kernel-anomaly', 'mm/sparse-vmemmap.c:vmemmap_populate_compound_pages', text]]);
    expect(traceOf(renderTrace(r), 3).filter((l) => l.startsWith('note:'))).toEqual([`note: mm/sparse-vmemmap.c:vmemmap_populate_compound_pages: ${text}`]);
  });
});
