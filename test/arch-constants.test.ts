/**
 * Per-arch constants and small policy outputs that mutation testing of src/arch
 * (docs/testing.md) found unpinned, each through what a user sees where one exists: HugeTLB's
 * boot lines, the page-table pages of a boot or hot-add, ndctl's alignment check, `vmemlab size`
 * answers, explain's populate reasons, the oops lines of a kernel fault.
 * Kernel: arch/arm64/{mm/hugetlbpage.c,mm/fixmap.c,include/asm/pgtable-hwdef.h,Kconfig},
 * arch/x86/mm/fault.c, arch/s390/mm/fault.c, drivers/nvdimm/pfn_devs.c @ v6.1, v6.18.
 */
import { describe, expect, it } from 'vitest';
import { resolveArch } from '../src/arch/index.js';
import { s390FourLevel } from '../src/arch/s390x.js';
import { findProfile } from '../src/kernels/index.js';
import { sizeBlocks, sizeDedup, sizeHvo } from '../src/answers/size.js';
import { parseProfileFile, parseScenario, registerProfile } from '../src/index.js';
import { explainScenario, renderExplanation } from '../src/answers/explain.js';
import { ptdump } from '../src/report/ptdump.js';
import { v6_6 } from '../src/kernels/releases.js';
import { v6_18 } from '../src/kernels/v6.18.js';
import { run, stepOf } from './helpers.js';

const M = 2 ** 20;
const G = 2 ** 30;

const arm64 = (kernel: string, config: string, steps: string[], devices = '') => run(`
arch: arm64
kernel: ${kernel}
config: ${config}
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
${devices}
steps:
  - boot
${steps.map((s) => `  - ${s}`).join('\n')}
`);

describe('arm64', () => {
  /*
   * hugetlbpage_init() (arch/arm64/mm/hugetlbpage.c @ v6.18): PUD only if pud_sect_supported()
   * (4K pages), then CONT_PMD, PMD, CONT_PTE. pgtable-hwdef.h: CONT_PMDS 32 on 16K and 64K,
   * CONT_PTES 128 on 16K, 32 on 64K.
   *   16K: CONT_PMD 32 x 32 MiB = 1 GiB, PMD 32 MiB, CONT_PTE 128 x 16 KiB = 2 MiB
   *   64K: CONT_PMD 32 x 512 MiB = 16 GiB, PMD 512 MiB, CONT_PTE 32 x 64 KiB = 2 MiB
   */
  it.each([
    ['16K', ['1.00 GiB', '32.0 MiB', '2.00 MiB']],
    ['64K', ['16.0 GiB', '512 MiB', '2.00 MiB']],
  ])('%s: the hstates report_hugepages() lists', (ps, sizes) => {
    const d = arm64('v6.18', `{ pageSize: ${ps}, vaBits: 48 }`, []).report.dmesg.filter((l) => l.startsWith('HugeTLB: registered'));
    expect(d).toEqual(sizes.map((s) => `HugeTLB: registered ${s} page size, pre-allocated 0 pages`));
  });

  /*
   * The fixmap's tables exist from boot (arch/arm64/mm/fixmap.c early_fixmap_init()) and the
   * vmemmap populate walk reuses an upper table it finds present.
   * v5.11..v6.8 (v6.1): FIXADDR_TOP = VMEMMAP_START - 32 MiB, below the vmemmap window: boot
   * memory's memmap (4 GiB at 1 GiB: the first 64 MiB above VMEMMAP_START) needs its own PUD
   * and PMD table.
   * v6.9+ (v6.18), 4K/48: FIXADDR_TOP = -8 MiB, VMEMMAP_END = -1 GiB, VMEMMAP_START =
   * -1 GiB - 2 TiB (VMEMMAP_SIZE = 2^47 >> 12 x 64). The memmap of RAM at 100 TiB sits at
   * VMEMMAP_START - 16 MiB + 100 TiB / 64 = -449 GiB - 16 MiB: in the top 512 GiB PGD entry,
   * whose PUD table the fixmap brought, so only a PMD table is new; at 80 TiB (-769 GiB - 16 MiB)
   * a PUD table is allocated as well.
   */
  it('page tables the fixmap already has are not allocated for the vmemmap', () => {
    const levels = (r: ReturnType<typeof run>) => {
      expect(r.results.every((x) => x.ok)).toBe(true);
      const { byNode: _, ...l } = r.report.pageTablePages;
      return l;
    };
    expect(levels(arm64('v6.1', '{ pageSize: 4K, vaBits: 48 }', []))).toEqual({ pud: 1, pmd: 1, pte: 0 });
    expect(levels(arm64('v6.18', '{ pageSize: 4K, vaBits: 48 }', ['hot-add: { node: 0, start: 0x640000000000, size: 1G }']))).toEqual({ pud: 1, pmd: 2, pte: 0 });
    expect(levels(arm64('v6.18', '{ pageSize: 4K, vaBits: 48 }', ['hot-add: { node: 0, start: 0x500000000000, size: 1G }']))).toEqual({ pud: 2, pmd: 2, pte: 0 });
  });

  /*
   * nd_pfn_supported_alignments() (drivers/nvdimm/pfn_devs.c): PAGE_SIZE, HPAGE_PMD_SIZE with
   * THP, HPAGE_PUD_SIZE only with has_transparent_pud_hugepage(); arm64 does not select
   * HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD, so ndctl refuses --align=1G there (x86_64 takes it).
   */
  it('no 1 GiB namespace alignment (no PUD THP)', () => {
    const dev = 'devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 4G } ]';
    const r = arm64('v6.18', '{ pageSize: 4K }', ['create-namespace: { device: pmem0, mode: devdax, align: 1G }'], dev);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENXIO', messages: ['  Error: unsupported align: 1G', 'failed to create namespace: No such device or address'] });
    expect(arm64('v6.18', '{ pageSize: 4K }', ['create-namespace: { device: pmem0, mode: devdax, align: 2M }'], dev).results.every((x) => x.ok)).toBe(true);
  });

  /*
   * arm64 does not select ARCH_WANT_OPTIMIZE_DAX_VMEMMAP (arch/arm64/Kconfig @ v6.18), so
   * vmemmap_can_optimize() is false: device-dax memmap in RAM is not deduplicated, and
   * `vmemlab size dedup` says why.
   */
  it('size dedup: no device-dax vmemmap dedup, naming the Kconfig symbol', () => {
    const a = sizeDedup({ arch: 'arm64', size: 4 * G, align: 2 * M });
    expect(a.dedup).toBe(false);
    expect(a.explanation[0]).toBe('device-dax with 2 MiB alignment: no vmemmap dedup here (arm64 does not select ARCH_WANT_OPTIMIZE_DAX_VMEMMAP); the memmap costs all 64 MiB');
  });

  /*
   * v6.14+ vmemmap_populate() (arch/arm64/mm/mmu.c @ v6.18), 4K pages, a whole section of
   * boot or hot-added RAM (no altmap): vmemmap_populate_hugepages() from RAM; the reason names
   * no altmap.
   */
  it('v6.18 4K hot-add: PMD blocks for RAM, no altmap named', () => {
    const r = arm64('v6.18', '{ pageSize: 4K }', ['hot-add: { node: 0, start: 0x400000000, size: 1G }']);
    const why = new Set<string>();
    for (const e of r.machine.k.s.trace) if (e.t === 'populate' && e.altmap === null) why.add(`${e.path}: ${e.why}`);
    expect([...why]).toEqual(['hugepages: 4K pages, whole sections: PMD-sized blocks (vmemmap_populate_hugepages)']);
  });
});

/*
 * arm64 v5.11..v6.1 vmemmap_populate() (arch/arm64/mm/mmu.c @ v6.1), 4K: per PMD, pmd_none() ->
 * a PMD_SIZE block from the altmap, or base pages from the same altmap when that fails
 * (9f84f39f5515); any other PMD only goes through vmemmap_verify(). A 16 MiB namespace's altmap
 * holds its 256 KiB memmap, not a 2 MiB block: base pages, a PTE table in the section's PMD. A
 * second 16 MiB namespace in the same 128 MiB section meets that PMD, skips it, and its struct
 * pages stay unmapped: move_pfn_range_to_zone() faults writing them, at the struct page of pfn
 * 0x401002 (16 GiB + 16 MiB + the 8 KiB info block): VMEMMAP_START 0xfffffc0000000000 (v5.11
 * layout, 4K/48) - 16 MiB (memstart 1 GiB / 4 KiB x 64) + 0x401002 x 64.
 */
it('arm64 v6.1: a second sub-section namespace in a PMD holding a PTE table is not mapped', () => {
  const dev = 'devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G } ]';
  const ns = 'create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 16M }';
  const r = arm64('v6.1', '{ pageSize: 4K }', [ns, ns], dev);
  expect(r.results.map((x) => x.ok)).toEqual([true, true, false]);
  expect(r.results[2]!.oops).toMatchObject({ fn: 'memmap_init_range', access: 'write', va: 'fffffc000f040080' });
  const { byNode: _, ...levels } = r.report.pageTablePages;
  expect(levels).toEqual({ pud: 1, pmd: 1, pte: 1 });
});

/*
 * The " [%lx-%lx] PMD -> [%p-%p] on node %d" run tracker is x86's vmemmap_set_pmd() /
 * vmemmap_populate_print_last() (arch/x86/mm/init_64.c); the other arches' PMD loops print nothing.
 * x86: boot memory 1..5 GiB has its memmap at 0xffffea0000000000 + 1 GiB / 64 .. + 5 GiB / 64.
 */
it('the PMD run line is x86 only', () => {
  const pmdLines = (arch: string, base = 0x40000000) => run(`arch: ${arch}\nnodes: [ { id: 0, memory: [ { start: ${base}, size: 4G } ] } ]\nsteps: [ boot ]\n`).report.dmesg.filter((l) => l.includes('PMD ->'));
  expect(pmdLines('x86_64')).toEqual([' [ffffea0001000000-ffffea0004ffffff] PMD -> [(unknown)-(unknown)] on node 0']);
  // every other arch that maps boot memory's memmap with PMD blocks (default configs)
  for (const arch of ['arm64', 'riscv64', 'loongarch64', 's390x', 'powerpc64']) expect(pmdLines(arch, arch === 'riscv64' ? 0x80000000 : 0x40000000)).toEqual([]);
});

/*
 * arm64 v5.6 has no ZONE_DEVICE (it needs MEMORY_HOTREMOVE, which arm64 selects from v5.7): no
 * NVDIMM_PFN/NVDIMM_DAX seed, so ndctl refuses devdax (drivers/nvdimm, ndctl's "Kernel does not
 * support devdax mode"); v5.9 has it.
 */
it('arm64 v5.6: no devdax namespace (no ZONE_DEVICE)', () => {
  const dev = 'devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 4G } ]';
  const step = 'create-namespace: { device: pmem0, mode: devdax }';
  expect(stepOf(arm64('v5.6', '{ pageSize: 4K }', [step], dev), 2)).toMatchObject({ ok: false, errno: 'ENODEV', messages: ['  Error: Kernel does not support devdax mode', 'failed to create namespace: No such device'] });
  expect(stepOf(arm64('v5.9', '{ pageSize: 4K }', [step], dev), 2).ok).toBe(true);
});

describe('oops lines of a kernel-mode fault on a not-present address', () => {
  /*
   * arch/x86/mm/fault.c show_fault_oops() @ v6.18: "#PF: supervisor read access in kernel mode"
   * and error_code 0 (no X86_PF_WRITE, X86_PF_USER or X86_PF_PROT bit) for a read.
   */
  it('x86_64: a read, a write (X86_PF_WRITE = 2)', () => {
    const x86 = resolveArch('x86_64', {}, v6_18).policy;
    const read = x86.oopsLines({ va: 'ffffea0000400000', fn: 'memunmap_pages', access: 'read' });
    expect(read.map((l) => [l.level, l.text])).toEqual([
      [1, 'BUG: unable to handle page fault for address: ffffea0000400000\n'],
      [1, '#PF: supervisor read access in kernel mode\n'],
      [1, '#PF: error_code(0x0000) - not-present page\n'],
      [4, 'RIP: 0010:memunmap_pages+(offset)\n'],
    ]);
    // the RIP line's offset is not modelled: marked approximate
    expect(read.map((l) => l.approx === true)).toEqual([false, false, false, true]);
    const write = x86.oopsLines({ va: 'ffffea0000400000', fn: 'memmap_init_zone_device', access: 'write' });
    expect(write.slice(1, 3).map((l) => l.text)).toEqual(['#PF: supervisor write access in kernel mode\n', '#PF: error_code(0x0002) - not-present page\n']);
  });

  /*
   * The other arches' fault.c, as the model words them (approx: what it cannot know - ESR, era,
   * ra, CPU, offsets, the faulting instruction):
   *  arm64 die_kernel_fault(): pr_alert "Unable to handle kernel paging request at virtual address
   *    %016lx", die("Oops") -> "Internal error: Oops: <esr> [#1] SMP", "pc : %pS";
   *  riscv64 die_kernel_fault(): the same pr_alert, die() -> pr_emerg "Oops [#1]", "epc : ";
   *  loongarch64 no_context(): one pr_alert "CPU %d Unable to handle kernel paging request at
   *    virtual address ..., era == ..., ra == ...", die() -> "Oops[#1]:";
   *  ia64 ia64_do_page_fault(): KERN_ALERT "Unable to handle kernel paging request at virtual
   *    address %016lx", die_if_kernel("Oops");
   *  powerpc64 bad_kernel_fault(): "BUG: Unable to handle kernel data access on read|write at
   *    0x...", "Faulting instruction address: 0x...", die() -> "Oops: Kernel access of bad area,
   *    sig: 11 [#1]", "NIP [...] %pS".
   */
  it('arm64, riscv64, loongarch64, ia64, powerpc64', () => {
    const o = { va: 'fffffc000f040080', fn: 'memmap_init_range', access: 'write' as const };
    const lines = (arch: 'arm64' | 'riscv64' | 'loongarch64' | 'ia64' | 'powerpc64', p = v6_18) => resolveArch(arch, {}, p).policy.oopsLines(o);
    expect(lines('arm64')).toEqual([
      { level: 1, text: 'Unable to handle kernel paging request at virtual address fffffc000f040080\n' },
      { level: 0, text: 'Internal error: Oops: (esr) [#1] SMP\n', approx: true },
      { level: 4, text: 'pc : memmap_init_range+(offset)\n', approx: true },
    ]);
    expect(lines('riscv64')).toEqual([
      { level: 1, text: 'Unable to handle kernel paging request at virtual address fffffc000f040080\n' },
      { level: 0, text: 'Oops [#1]\n', approx: true },
      { level: 4, text: 'epc : memmap_init_range+(offset)\n', approx: true },
    ]);
    expect(lines('loongarch64')).toEqual([
      { level: 1, text: 'CPU (cpu) Unable to handle kernel paging request at virtual address fffffc000f040080, era == (era), ra == (ra)\n', approx: true },
      { level: 0, text: 'Oops[#1]:\n', approx: true },
    ]);
    expect(lines('ia64', v6_6)).toEqual([
      { level: 1, text: 'Unable to handle kernel paging request at virtual address fffffc000f040080\n' },
      { level: 4, text: 'Oops (err) [1]\n', approx: true },
    ]);
    expect(lines('powerpc64')).toEqual([
      { level: 1, text: 'BUG: Unable to handle kernel data access on write at fffffc000f040080\n' },
      { level: 1, text: 'Faulting instruction address: 0x(unknown)\n', approx: true },
      { level: 0, text: 'Oops: Kernel access of bad area, sig: 11 [#1]\n', approx: true },
      { level: 4, text: 'NIP [(unknown)] memmap_init_range+(offset)\n', approx: true },
    ]);
  });

  /*
   * arch/s390/mm/fault.c do_no_context() @ v6.18: pr_alert "Unable to handle kernel pointer
   * dereference in virtual kernel address space", dump_fault_info()'s "Failing address: ...
   * TEID: ..." (the TEID is not modelled), then die(regs, "Oops") with the interruption code
   * 0011 (segment translation) and ilc 3.
   */
  it('s390x', () => {
    const lines = resolveArch('s390x', {}, v6_18).policy.oopsLines({ va: '0000037200400000', fn: 'memunmap_pages', access: 'write' });
    expect(lines).toEqual([
      { level: 1, text: 'Unable to handle kernel pointer dereference in virtual kernel address space\n' },
      { level: 1, text: 'Failing address: 0000037200400000 TEID: (teid)\n', approx: true },
      { level: 4, text: 'Oops: 0011 ilc:3 [#1] \n', approx: true },
    ]);
  });
});

/*
 * Profile files (docs/profiles.md) can pair an arch's populate generation with ZONE_DEVICE from
 * another release, so an altmap can reach a vmemmap_populate() that takes none: the model then
 * maps the memmap from RAM and says so. (No release has these pairs; each is one switch away.)
 */
describe('an altmap handed to a vmemmap_populate() that takes none (profile files)', () => {
  const profile = (id: string, base: string, switches: string) => registerProfile(parseProfileFile(`${id}.yaml`, `id: ${id}\ntitle: ${id}\nbase: ${base}\nswitches: { ${switches} }\n`));
  const pmem = (arch: string, kernel: string, config: string, ram: string) => run(`
arch: ${arch}
kernel: ${kernel}
config: ${config}
nodes: [ { id: 0, memory: [ { start: ${ram}, size: 4G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G } ]
steps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } } ]
`);
  const withAltmap = (r: ReturnType<typeof run>) => {
    expect(r.results.every((x) => x.ok)).toBe(true);
    const out = new Set<string>();
    for (const e of r.machine.k.s.trace) if (e.t === 'populate' && e.altmap !== null) out.add(`${e.path}: ${e.why}`);
    return [...out];
  };

  /* arm64 v5.6 vmemmap_populate(start, end, node) (arch/arm64/mm/mmu.c @ v5.6): no altmap argument; v5.9 added it (eee07935bb52). */
  it('arm64: v5.6 populate under v5.9 ZONE_DEVICE', () => {
    profile('arm64-v5.6-populate', 'v5.9', 'arm64Populate: v5.6');
    expect(withAltmap(pmem('arm64', 'arm64-v5.6-populate', '{ pageSize: 4K }', '0x40000000'))).toEqual([
      "hugepages: 4K pages: PMD-sized blocks, the altmap ignored (this kernel's arm64 vmemmap_populate() takes none) (arm64's own PMD loop)",
    ]);
  });

  /* riscv vmemmap_populate() (arch/riscv/mm/init.c): <= v6.6 vmemmap_populate_basepages(.., NULL); v6.7/v6.8 vmemmap_populate_hugepages(.., NULL). */
  it('riscv64: base pages or PMD blocks with NULL under v6.18 ZONE_DEVICE', () => {
    profile('riscv-basepages', 'v6.18', 'riscvPopulate: basepages');
    expect(withAltmap(pmem('riscv64', 'riscv-basepages', '{}', '0x80000000'))).toEqual([
      'basepages: riscv64 maps the vmemmap with base pages in riscv-basepages (vmemmap_populate_basepages), the altmap ignored (NULL)',
    ]);
    profile('riscv-hugepages-null', 'v6.18', 'riscvPopulate: hugepages-noaltmap');
    expect(withAltmap(pmem('riscv64', 'riscv-hugepages-null', '{}', '0x80000000'))).toEqual([
      'hugepages: PMD-sized blocks for any range, sub-sections too (vmemmap_populate_hugepages), the altmap ignored (NULL in riscv-hugepages-null)',
    ]);
  });
});

/*
 * `vmemlab size blocks` per arch: page, section, memory block, pageblock and PMD sizes, the
 * vmemmap window, the physical memory it describes (min(window / 64 x PAGE_SIZE,
 * 2^MAX_PHYSMEM_BITS)), the hot-plug range (arch_get_mappable_range) and the default namespace
 * alignment (nd_pfn_default_alignment: HPAGE_PMD_SIZE with THP, else PAGE_SIZE). 16 GiB of boot
 * RAM at the arch's usual base (riscv64 2 GiB, the others 0). The explanation opens with the
 * configuration's label.
 */
describe('size blocks per arch (the arch constants as `vmemlab size blocks` reports them)', () => {
  const K = 1024;
  type Row = [string, Parameters<typeof sizeBlocks>[0], { label: string; page: number; section: number; block: number; pageblock: number; pmd: number; start: string; end: string; levels: number; maxPhysmem: number; hotplugEnd?: number; hotplugStart?: number; align: number }];
  const rows: Row[] = [
    /*
     * powerpc64 (book3s/64 radix-64k.h, hash-64k.h, hash-4k.h, asm/sparsemem.h): SECTION_SIZE_BITS 24;
     * memory block = ibm,lmb-size 256 MiB; radix 64K: PMD_SHIFT 16 + 5, pageblock 2 MiB (v6.1+
     * HPAGE_SHIFT 21); window 0xc00c000000000000 + 2^49; MAX_PHYSMEM_BITS 51.
     */
    ['powerpc64 radix 64K', { arch: 'powerpc64' }, { label: 'powerpc64 radix 64K', page: 64 * K, section: 16 * M, block: 256 * M, pageblock: 2 * M, pmd: 2 * M, start: '0xc00c000000000000', end: '0xc00e000000000000', levels: 4, maxPhysmem: 2 ** 51, hotplugEnd: 2 ** 51 - 1, align: 2 * M }],
    /* radix 4K: PMD_SHIFT 12 + 9 = 21, pageblock 21 - 12 = order 9 (2 MiB). */
    ['powerpc64 radix 4K', { arch: 'powerpc64', pageSize: '4K' }, { label: 'powerpc64 radix 4K', page: 4 * K, section: 16 * M, block: 256 * M, pageblock: 2 * M, pmd: 2 * M, start: '0xc00c000000000000', end: '0xc00e000000000000', levels: 4, maxPhysmem: 2 ** 51, hotplugEnd: 2 ** 51 - 1, align: 2 * M }],
    /* <= v5.15 pageblock_order = MAX_ORDER - 1 = 8 on 64K (HPAGE_SHIFT still 0 at set_pageblock_order()): 16 MiB. */
    ['powerpc64 radix 64K v5.15', { arch: 'powerpc64', kernel: 'v5.15' }, { label: 'powerpc64 radix 64K', page: 64 * K, section: 16 * M, block: 256 * M, pageblock: 16 * M, pmd: 2 * M, start: '0xc00c000000000000', end: '0xc00e000000000000', levels: 4, maxPhysmem: 2 ** 51, hotplugEnd: 2 ** 51 - 1, align: 2 * M }],
    /* hash 64K: PMD_SHIFT 16 + 8 = 24 (16 MiB), pageblock 24 - 16 = order 8; THP with 16M pages: 16 MiB alignment. */
    ['powerpc64 hash 64K', { arch: 'powerpc64', mmu: 'hash' }, { label: 'powerpc64 hash 64K', page: 64 * K, section: 16 * M, block: 256 * M, pageblock: 16 * M, pmd: 16 * M, start: '0xc00c000000000000', end: '0xc00e000000000000', levels: 4, maxPhysmem: 2 ** 51, hotplugEnd: 2 ** 51 - 1, align: 16 * M }],
    /* hash 4K (hash-4k.h, v5.10+): H_VMEMMAP_START 0xc0003f0000000000, one 2^40 region: 2^40 / 64 x 4 KiB = 2^46 of memory; no THP (PMD 2 MiB is not 16M). */
    ['powerpc64 hash 4K', { arch: 'powerpc64', mmu: 'hash', pageSize: '4K' }, { label: 'powerpc64 hash 4K', page: 4 * K, section: 16 * M, block: 256 * M, pageblock: 16 * M, pmd: 2 * M, start: '0xc0003f0000000000', end: '0xc000400000000000', levels: 4, maxPhysmem: 2 ** 46, hotplugEnd: 2 ** 51 - 1, align: 4 * K }],
    /* <= v5.9 with 64K pages: MAX_PHYSMEM_BITS 51 (only 4K kernels had 46). */
    ['powerpc64 radix 64K v5.9', { arch: 'powerpc64', kernel: 'v5.9' }, { label: 'powerpc64 radix 64K', page: 64 * K, section: 16 * M, block: 256 * M, pageblock: 16 * M, pmd: 2 * M, start: '0xc00c000000000000', end: '0xc00e000000000000', levels: 4, maxPhysmem: 2 ** 51, hotplugEnd: 2 ** 51 - 1, align: 2 * M }],
    /* <= v5.9 hash 4K: REGION_SHIFT 44, 0xc000300000000000 + 2^44; MAX_PHYSMEM_BITS 46 without PPC_64K_PAGES. */
    ['powerpc64 hash 4K v5.9', { arch: 'powerpc64', mmu: 'hash', pageSize: '4K', kernel: 'v5.9' }, { label: 'powerpc64 hash 4K', page: 4 * K, section: 16 * M, block: 256 * M, pageblock: 16 * M, pmd: 2 * M, start: '0xc000300000000000', end: '0xc000400000000000', levels: 4, maxPhysmem: 2 ** 46, hotplugEnd: 2 ** 46 - 1, align: 4 * K }],
    /*
     * s390x (asm/sparsemem.h, arch/s390/mm/init.c, vmem.c): sections 128 MiB from v6.13 (256 MiB
     * before); memory block max(section, sclp.rzm 1 MiB); segment (PMD) 1 MiB = pageblock
     * (HPAGE_SHIFT 20); 3 levels. vmemmap 0x37200000000 (v5.15+), ending after the struct pages
     * of [0, vmemmap): 0x37200000 pages x 64 = 0xdc80000000. Hot-plug up to
     * min(max(16 GiB, MAX_DCSS_ADDR 512 GiB), vmemmap) (v6.6+). THP with EDAT-1: 1 MiB alignment.
     */
    ['s390x', { arch: 's390x' }, { label: 's390x EDAT-1', page: 4 * K, section: 128 * M, block: 128 * M, pageblock: M, pmd: M, start: '0x37200000000', end: '0x37fc8000000', levels: 3, maxPhysmem: 0x37200000000, hotplugEnd: 512 * G - 1, align: M }],
    ['s390x no EDAT-1', { arch: 's390x', edat1: false }, { label: 's390x no EDAT', page: 4 * K, section: 128 * M, block: 128 * M, pageblock: M, pmd: M, start: '0x37200000000', end: '0x37fc8000000', levels: 3, maxPhysmem: 0x37200000000, hotplugEnd: 512 * G - 1, align: 4 * K }],
    /* v6.6: the same window; hot-plug up to min(max(boot end, MAX_DCSS_ADDR 512 GiB), vmemmap). */
    ['s390x v6.6', { arch: 's390x', kernel: 'v6.6' }, { label: 's390x EDAT-1', page: 4 * K, section: 256 * M, block: 256 * M, pageblock: M, pmd: M, start: '0x37200000000', end: '0x37fc8000000', levels: 3, maxPhysmem: 0x37200000000, hotplugEnd: 512 * G - 1, align: M }],
    ['s390x v6.12', { arch: 's390x', kernel: 'v6.12' }, { label: 's390x EDAT-1', page: 4 * K, section: 256 * M, block: 256 * M, pageblock: M, pmd: M, start: '0x37200000000', end: '0x37fc8000000', levels: 3, maxPhysmem: 0x37200000000, hotplugEnd: 512 * G - 1, align: M }],
    /* v5.6..v5.10 setup_memory_end(): vmemmap 0x3d080000000; VMEM_MAX_PHYS = vmemmap bounds hot-plug (<= v6.1). */
    ['s390x v5.10', { arch: 's390x', kernel: 'v5.10' }, { label: 's390x EDAT-1', page: 4 * K, section: 256 * M, block: 256 * M, pageblock: M, pmd: M, start: '0x3d080000000', end: '0x3dfc2000000', levels: 3, maxPhysmem: 0x3d080000000, hotplugEnd: 0x3d080000000 - 1, align: M }],
    /*
     * riscv64 (asm/page.h, pgtable.h, kasan.h, sparsemem.h): SECTION_SIZE_BITS 27, 4K pages, PMD
     * 2 MiB. VMEMMAP_START = PAGE_OFFSET - KERN_VIRT_SIZE / 2 - 2^(VA_BITS - 12 - 1 + 6) with
     * KERN_VIRT_SIZE = 256 x PGDIR_SIZE / 2 (v6.1+):
     *   Sv39 v6.11+: 0xffffffd600000000 - 64 GiB - 4 GiB = 0xffffffc500000000;
     *   Sv48: 0xffffaf8000000000 - 2^45 - 2^41; Sv57: 0xff60000000000000 - 2^54 - 2^50.
     * Hot-plug (v6.11+): [phys_ram_base, + PAGE_END - PAGE_OFFSET - 1], PAGE_END = (KERNEL_LINK_ADDR
     * - 2 GiB - 2^(VA_BITS - 4)) & PGDIR_MASK: Sv39 0xfffffff700000000 - 0xffffffd600000000 = 132 GiB.
     */
    ['riscv64 sv39', { arch: 'riscv64' }, { label: 'riscv64 sv39', page: 4 * K, section: 128 * M, block: 128 * M, pageblock: 2 * M, pmd: 2 * M, start: '0xffffffc500000000', end: '0xffffffc600000000', levels: 3, maxPhysmem: 2 ** 38, hotplugStart: 2 * G, hotplugEnd: 2 * G + 132 * G - 1, align: 2 * M }],
    /* Sv48: PAGE_END (0xffffffff80000000 - 2 GiB - 2^44) & (512 GiB mask) = 0xffffef8000000000; minus PAGE_OFFSET = 64 TiB. */
    ['riscv64 sv48', { arch: 'riscv64', paging: 'sv48' }, { label: 'riscv64 sv48', page: 4 * K, section: 128 * M, block: 128 * M, pageblock: 2 * M, pmd: 2 * M, start: '0xffff8d8000000000', end: '0xffff8f8000000000', levels: 4, maxPhysmem: 2 ** 47, hotplugStart: 2 * G, hotplugEnd: 2 * G + 0x400000000000 - 1, align: 2 * M }],
    /* Sv57: PAGE_END (... - 2^53) & (256 TiB mask) = 0xffdf000000000000; minus PAGE_OFFSET = 0x7f000000000000. */
    ['riscv64 sv57', { arch: 'riscv64', paging: 'sv57' }, { label: 'riscv64 sv57', page: 4 * K, section: 128 * M, block: 128 * M, pageblock: 2 * M, pmd: 2 * M, start: '0xff1c000000000000', end: '0xff20000000000000', levels: 5, maxPhysmem: 2 ** 56, hotplugStart: 2 * G, hotplugEnd: 2 * G + 0x7f000000000000 - 1, align: 2 * M }],
    /* v6.1..v6.10: PAGE_OFFSET_L3 0xffffffd800000000. (No hot-plug before v6.11: its range is not compared.) */
    ['riscv64 sv39 v6.6', { arch: 'riscv64', kernel: 'v6.6' }, { label: 'riscv64 sv39', page: 4 * K, section: 128 * M, block: 128 * M, pageblock: 2 * M, pmd: 2 * M, start: '0xffffffc700000000', end: '0xffffffc800000000', levels: 3, maxPhysmem: 2 ** 38, align: 2 * M }],
    /* v5.6..v5.15: PAGE_OFFSET 0xffffffe000000000, KERN_VIRT_SIZE = -PAGE_OFFSET = 128 GiB. */
    ['riscv64 sv39 v5.15', { arch: 'riscv64', kernel: 'v5.15' }, { label: 'riscv64 sv39', page: 4 * K, section: 128 * M, block: 128 * M, pageblock: 2 * M, pmd: 2 * M, start: '0xffffffcf00000000', end: '0xffffffd000000000', levels: 3, maxPhysmem: 2 ** 38, align: 2 * M }],
    /*
     * loongarch64 (asm/pgtable.h, sparsemem.h @ v6.18): SECTION_SIZE_BITS 29; PMD_SHIFT =
     * PAGE_SHIFT + (PAGE_SHIFT - 3) = pageblock (HUGETLB_PAGE_ORDER = PAGE_SHIFT - 3);
     * vmemmap = vm_map_base + min(2^reach, 2^48) - VMEMMAP_SIZE (64 << (49 - PAGE_SHIFT)),
     * vm_map_base = -2^48, reach = (PAGE_SHIFT - 3) x levels + PAGE_SHIFT:
     *   16K/3: reach 47: -2^48 + 2^47 - 2^41 = 0xffff7e0000000000;
     *   4K/4: reach 48: -2^43, the window ends at 2^64;
     *   64K/2: reach 42: -2^48 + 2^42 - 2^39 = 0xffff038000000000.
     * MAX_PHYSMEM_BITS 48 bounds the memory described and hot-plug.
     */
    ['loongarch64 16K/3', { arch: 'loongarch64' }, { label: 'loongarch64 16K/3-level', page: 16 * K, section: 512 * M, block: 512 * M, pageblock: 32 * M, pmd: 32 * M, start: '0xffff7e0000000000', end: '0xffff800000000000', levels: 3, maxPhysmem: 2 ** 48, hotplugEnd: 2 ** 48 - 1, align: 32 * M }],
    ['loongarch64 4K/4', { arch: 'loongarch64', pageSize: '4K' }, { label: 'loongarch64 4K/4-level', page: 4 * K, section: 512 * M, block: 512 * M, pageblock: 2 * M, pmd: 2 * M, start: '0xfffff80000000000', end: '0x10000000000000000', levels: 4, maxPhysmem: 2 ** 48, hotplugEnd: 2 ** 48 - 1, align: 2 * M }],
    ['loongarch64 64K/2', { arch: 'loongarch64', pageSize: '64K', levels: 2 }, { label: 'loongarch64 64K/2-level', page: 64 * K, section: 512 * M, block: 512 * M, pageblock: 512 * M, pmd: 512 * M, start: '0xffff038000000000', end: '0xffff040000000000', levels: 2, maxPhysmem: 2 ** 48, hotplugEnd: 2 ** 48 - 1, align: 512 * M }],
    /*
     * ia64 (asm/pgtable.h, sparsemem.h @ v6.6): vmemmap = RGN_BASE(5) + 2^(4 x PAGE_SHIFT - 10)
     * up to RGN_BASE(5) + 2^(4 x PAGE_SHIFT - 9); SECTION_SIZE_BITS max(30, 16 + PAGE_SHIFT);
     * pageblock = 256 MiB huge pages (HPAGE_SHIFT_DEFAULT 28); MAX_PHYSMEM_BITS 50; no THP.
     */
    ['ia64 16K/3', { arch: 'ia64', kernel: 'v6.6' }, { label: 'ia64 16K/3-level', page: 16 * K, section: G, block: G, pageblock: 256 * M, pmd: 32 * M, start: '0xa000400000000000', end: '0xa000800000000000', levels: 3, maxPhysmem: 2 ** 50, hotplugEnd: 2 ** 50 - 1, align: 16 * K }],
    /* 4K: the window 2^38 / 64 x 4 KiB describes only 2^44 of memory. */
    ['ia64 4K/4', { arch: 'ia64', kernel: 'v6.6', pageSize: '4K', levels: 4 }, { label: 'ia64 4K/4-level', page: 4 * K, section: G, block: G, pageblock: 256 * M, pmd: 2 * M, start: '0xa000004000000000', end: '0xa000008000000000', levels: 4, maxPhysmem: 2 ** 44, hotplugEnd: 2 ** 50 - 1, align: 4 * K }],
    /* 64K: sections of 2^32 (the largest buddy block, order 16, is larger than 2^30). */
    ['ia64 64K/3', { arch: 'ia64', kernel: 'v6.6', pageSize: '64K' }, { label: 'ia64 64K/3-level', page: 64 * K, section: 4 * G, block: 4 * G, pageblock: 256 * M, pmd: 512 * M, start: '0xa040000000000000', end: '0xa080000000000000', levels: 3, maxPhysmem: 2 ** 50, hotplugEnd: 2 ** 50 - 1, align: 64 * K }],
  ];
  it.each(rows)('%s', (_, q, want) => {
    const a = sizeBlocks(q);
    const got: Record<string, unknown> = {
      label: a.explanation[0].slice(0, a.explanation[0].indexOf(': ')), page: a.pageSize, section: a.sectionSize, block: a.memoryBlockSize, pageblock: a.pageblockSize, pmd: a.pmdSize,
      start: a.vmemmap.start, end: a.vmemmap.end, levels: a.vmemmap.pageTableLevels, maxPhysmem: a.maxPhysmem,
      hotplugStart: a.hotplugRange.start, hotplugEnd: a.hotplugRange.end, align: a.namespaceAlignment.default,
    };
    if (want.hotplugEnd === undefined) {
      delete got.hotplugStart;
      delete got.hotplugEnd;
    }
    expect(got).toEqual(want.hotplugEnd === undefined ? want : { hotplugStart: 0, ...want });
  });
});

/*
 * What an arch's Kconfig does not select, as users are told: each arch's `lacks` reason, in the
 * warning for a kernel parameter that does not exist there, a refused step, or a `vmemlab size`
 * explanation. ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE: riscv v6.11, s390 v6.9, powerpc v6.6 (radix),
 * never loongarch or ia64. ARCH_ENABLE_MEMORY_HOTPLUG: riscv v6.11. Memory removal on s390:
 * virtio-mem from v6.13. ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP: riscv v6.3, s390 v6.6..v6.17, never
 * powerpc or ia64. ARCH_WANT_OPTIMIZE_DAX_VMEMMAP: not loongarch, s390; powerpc's
 * vmemmap_can_optimize() needs radix, whose own compound-page vmemmap the model does not have.
 */
describe('what an arch lacks, as users are told', () => {
  const machine = (arch: string, kernel: string, extra: string) => run(`arch: ${arch}\nkernel: ${kernel}\n${extra}\nnodes: [ { id: 0, memory: [ { start: 0x80000000, size: 4G } ] } ]\nsteps: [ boot ]\n`);
  it.each([
    ['loongarch64', 'v6.18', 'loongarch64 does not select ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE'],
    ['ia64', 'v6.6', 'ia64 does not select ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE'],
    ['s390x', 'v6.6', 's390x does not select ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE in v6.6 (v6.9)'],
    ['riscv64', 'v6.6', 'riscv64 has no memmap_on_memory in v6.6 (ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE arrived in v6.11)'],
    ['powerpc64', 'v6.1', 'powerpc64 does not select ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE in v6.1 (v6.6, radix only)'],
  ])('%s %s: memory_hotplug.memmap_on_memory does not exist', (arch, kernel, why) => {
    expect(machine(arch, kernel, 'cmdline: "memory_hotplug.memmap_on_memory=1"').report.warnings).toEqual([
      `kernel parameter "memory_hotplug.memmap_on_memory=1": memory_hotplug.memmap_on_memory does not exist here: ${why}; the kernel ignores it`,
    ]);
  });

  // ... and where it exists: powerpc64 radix v6.6+, riscv64 v6.11+, s390x v6.9+
  it.each([['powerpc64', 'v6.18'], ['riscv64', 'v6.18'], ['s390x', 'v6.18']])('%s %s: memory_hotplug.memmap_on_memory exists', (arch, kernel) => {
    expect(machine(arch, kernel, 'cmdline: "memory_hotplug.memmap_on_memory=1"').report.warnings).toEqual([]);
  });

  it('riscv64 v6.6 cannot hot-add; s390x v6.12 cannot hot-remove', () => {
    const add = run(`arch: riscv64\nkernel: v6.6\nnodes: [ { id: 0, memory: [ { start: 0x80000000, size: 4G } ] } ]\nsteps: [ boot, { hot-add: { node: 0, start: 0x200000000, size: 1G } } ]\n`);
    expect(stepOf(add, 2)).toMatchObject({ ok: false, messages: ['refused: riscv64 has no memory hot-plug in v6.6 (ARCH_ENABLE_MEMORY_HOTPLUG arrived in v6.11): no driver can add memory'] });
    const remove = run(`arch: s390x\nkernel: v6.12\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\nsteps: [ boot, { hot-remove: { start: 0x80000000, size: 256M } } ]\n`);
    expect(stepOf(remove, 2)).toMatchObject({ ok: false, messages: ['refused: nothing removes memory on s390x in v6.12: sclp adds standby memory but never removes it, and virtio-mem supports s390 from v6.13: no driver calls remove_memory()'] });
  });

  it.each([
    ['riscv64', 'v6.1', 2 * M, 'riscv64 does not select ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP in v6.1 (v6.3)'],
    ['powerpc64', 'v6.18', 2 * M, 'powerpc64 does not select ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP (no HugeTLB vmemmap optimisation)'],
    ['s390x', 'v6.18', M, 's390x does not select ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP in v6.18 (v6.6..v6.17; dropped in v6.18)'],
    ['ia64', 'v6.6', 256 * M, 'ia64 has no HugeTLB vmemmap optimisation'],
  ] as const)('%s %s: size hvo says why HVO is not possible', (arch, kernel, hugePage, why) => {
    const a = sizeHvo({ arch, kernel, hugePage, count: 4 });
    expect(a.hvo).toBe(false);
    expect(a.explanation[1]).toBe(`  HVO is not possible: ${why}; nothing is freed`);
  });

  it.each([
    ['loongarch64', {}, 32 * M, 'loongarch64 does not select ARCH_WANT_OPTIMIZE_DAX_VMEMMAP'],
    ['s390x', {}, M, 's390x does not select ARCH_WANT_OPTIMIZE_DAX_VMEMMAP'],
    ['powerpc64', { mmu: 'hash' }, 16 * M, 'powerpc64 hash: vmemmap_can_optimize() is false without the radix MMU (arch/powerpc/mm/book3s64/radix_pgtable.c)'],
    ['powerpc64', {}, 2 * M, 'powerpc64 radix: the kernel deduplicates device-dax memmap with its own vmemmap_populate_compound_pages() (arch/powerpc/mm/book3s64/radix_pgtable.c), which vmemmap-lab does not model: it maps the full memmap instead (docs/fidelity.md)'],
  ] as const)('%s %o: size dedup (v6.18) says why there is no device-dax dedup', (arch, o, align, why) => {
    const a = sizeDedup({ arch, ...o, size: 4 * G, align });
    expect(a.dedup).toBe(false);
    expect(a.explanation[0]).toContain(`: no vmemmap dedup here (${why}); the memmap costs all`);
  });

  /* v5.19..v6.3 run the generic vmemmap_populate_compound_pages() on powerpc too (next to its vmemmap_list blocks): not modelled. */
  it('powerpc64 v6.1: the generic compound-page vmemmap is not modelled', () => {
    const a = sizeDedup({ arch: 'powerpc64', kernel: 'v6.1', size: 4 * G, align: 2 * M });
    expect(a.explanation[0]).toContain('(powerpc64 in v6.1: the generic vmemmap_populate_compound_pages() runs here (every arch, v5.19-v6.3); what it does next to powerpc\'s own vmemmap mappings is not modelled: vmemmap-lab maps the full memmap instead (docs/fidelity.md))');
  });
});

/*
 * The report names the arch and its normalised config, and counts the pages of the page-table
 * tables the vmemmap of 4 GiB of boot RAM needs (4 KiB pages -> 64 MiB of memmap, 16K -> 16 MiB,
 * 64K -> 4 MiB), default config of each arch, v6.18 (ia64 v6.6):
 *  x86_64 4-level, arm64 4K/48: PMD blocks; one PUD and one PMD table, no PTE table.
 *  riscv64 Sv39: pgtable_cache_init() (v6.11+) preallocates the PMD tables of the whole 4 GiB
 *    vmemmap window (1 GiB each): 4; PMD blocks, no PTE table.
 *  loongarch64 16K/3: 32 MiB PMD blocks: one PMD table (64 GiB span).
 *  ia64 16K/3: base pages: one PTE table (2048 x 16 KiB = 32 MiB span) and one PMD table.
 *  powerpc64 radix 64K: 2 MiB PMD leaves; PUD and PMD tables from early_alloc_pgtable(PAGE_SIZE)
 *    at boot: one 64 KiB page each. hash: no Linux page tables for the vmemmap (bolted HPTEs).
 *  s390x EDAT-1: 1 MiB segment frames; one segment table, a 16 KiB CRST table = 4 pages.
 */
it.each([
  ['x86_64', 'v6.18', 0, { pageSize: '4K', levels: 4, pse: true, hypervisor: false, gbpages: true }, { pud: 1, pmd: 1, pte: 0 }],
  ['arm64', 'v6.18', 0x40000000, { pageSize: '4K', vaBits: 48, levels: 4 }, { pud: 1, pmd: 1, pte: 0 }],
  ['riscv64', 'v6.18', 0x80000000, { mode: 'sv39', levels: 3 }, { pmd: 4, pte: 0 }],
  ['loongarch64', 'v6.18', 0, { pageSize: '16K', levels: 3 }, { pmd: 1, pte: 0 }],
  ['ia64', 'v6.6', 0, { pageSize: '16K', levels: 3 }, { pmd: 1, pte: 1 }],
  ['powerpc64', 'v6.18', 0, { mmu: 'radix', pageSize: '64K', lmbSize: 256 * M }, { bytes: { pud: 65536, pmd: 65536, pte: 0 }, pud: 1, pmd: 1, pte: 0 }],
  ['s390x', 'v6.18', 0, { edat1: true, levels: 3, rzm: 1 }, { bytes: { pmd: 16384, pte: 0 }, pmd: 4, pte: 0 }],
])('%s: the report\'s arch, config and boot page-table pages', (arch, kernel, base, config, tables) => {
  const r = run(`arch: ${arch}\nkernel: ${kernel}\nnodes: [ { id: 0, memory: [ { start: ${base}, size: 4G } ] } ]\nsteps: [ boot ]\n`);
  expect([r.report.arch, r.report.config]).toEqual([arch, config]);
  const { byNode: _, ...levels } = r.report.pageTablePages;
  expect(levels).toEqual(tables);
});

it('powerpc64 hash: the report\'s config has the hash options and no page-table pages', () => {
  const r = run('arch: powerpc64\nconfig: { mmu: hash }\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\nsteps: [ boot ]\n');
  expect(r.report.config).toEqual({ mmu: 'hash', pageSize: '64K', lmbSize: 256 * M, hash16M: true, kfence: true });
  const { byNode: _, ...levels } = r.report.pageTablePages;
  expect(levels).toEqual({ bytes: {} });
});

/*
 * Booting 4 GiB: the branch each arch's vmemmap_populate() takes for boot memory (explain's
 * reason), the hstates report_hugepages() registers, and how `vmemlab ptdump` introduces the
 * vmemmap (the kernel's own dump where the model has its format):
 *  ia64 (discontig.c @ v6.6): base pages; HPAGE_SHIFT_DEFAULT 28: one 256 MiB hstate; no ptdump.
 *  loongarch64 (mm/init.c @ v6.18): 3 levels -> vmemmap_populate_hugepages(), 2 levels -> base
 *    pages; HPAGE_SIZE = PMD_SIZE (16K: 32 MiB, 64K: 512 MiB) only.
 *  riscv64 (mm/init.c): base pages up to v6.6, PMD blocks v6.7+; hstates PUD 1 GiB then PMD 2 MiB.
 *  s390x (mm/vmem.c): EDAT-1 1 MiB segment frames (modify_pmd_table), else page tables and 4 KiB
 *    pages; HugeTLB only with EDAT-1 (1 MiB).
 *  powerpc64 (radix_pgtable.c, init_64.c): radix v6.6+ radix__vmemmap_populate(), <= v6.5 and
 *    hash vmemmap_list blocks (hash: 16M mmu_vmemmap_psize with >= 1 GiB of RAM); hstates
 *    radix 2 MiB and 1 GiB, hash 16 MiB; kernel_page_tables starts at the I/O remap end on
 *    radix and shows nothing of a hash vmemmap.
 */
it.each([
  ['ia64', 'v6.6', '{}', 0, 'basepages: ia64 maps the vmemmap with base pages (vmemmap_populate_basepages)', ['256 MiB'],
    "# vmemlab: ia64 has no kernel page-table dump; the vmemmap's ranges, levels and leaves:"],
  ['loongarch64', 'v6.18', '{}', 0, 'hugepages: PMD-sized blocks (32 MiB) for any range, sub-sections too (vmemmap_populate_hugepages)', ['32.0 MiB'],
    "# vmemlab: loongarch64's own page-table dump format (arch/loongarch/mm/ptdump.c) is not modelled; the vmemmap's ranges, levels and leaves:"],
  ['loongarch64', 'v6.18', '{ pageSize: 64K, levels: 2 }', 0, 'basepages: 2-level page tables: base pages (vmemmap_populate_basepages)', ['512 MiB'],
    "# vmemlab: loongarch64's own page-table dump format (arch/loongarch/mm/ptdump.c) is not modelled; the vmemmap's ranges, levels and leaves:"],
  ['riscv64', 'v6.18', '{}', 0x80000000, 'hugepages: PMD-sized blocks for any range, sub-sections too (vmemmap_populate_hugepages)', ['1.00 GiB', '2.00 MiB'], '---[ PCI I/O start ]---'],
  ['riscv64', 'v6.6', '{}', 0x80000000, 'basepages: riscv64 maps the vmemmap with base pages in v6.6 (vmemmap_populate_basepages)', ['1.00 GiB', '2.00 MiB'], '---[ PCI I/O start ]---'],
  ['s390x', 'v6.18', '{}', 0, 'hugepages: EDAT-1: 1 MiB segment frames for any range, partly used ones too (modify_pmd_table)', ['1.00 MiB'],
    "# vmemlab: s390's own page-table dump format (arch/s390/mm/dump_pagetables.c) is not modelled; the vmemmap's ranges, tables and leaves:"],
  ['s390x', 'v6.18', '{ edat1: false }', 0, 'basepages: no EDAT-1: a page table and 4 KiB pages (modify_pte_table)', [],
    "# vmemlab: s390's own page-table dump format (arch/s390/mm/dump_pagetables.c) is not modelled; the vmemmap's ranges, tables and leaves:"],
  ['powerpc64', 'v6.18', '{}', 0, 'hugepages: radix: a PMD_SIZE block from RAM for every PMD slot the range touches (sub-sections too); base pages only if that fails', ['2.00 MiB', '1.00 GiB'], '---[ I/O remap end ]---'],
  ['powerpc64', 'v6.1', '{}', 0, 'blocks: radix v6.1: 2 MiB blocks (mmu_vmemmap_psize) mapped as PMD leaves, each with a vmemmap_list entry', ['2.00 MiB', '1.00 GiB'], '---[ I/O remap end ]---'],
  ['powerpc64', 'v6.18', '{ mmu: hash }', 0, 'blocks: hash MMU: 16 MiB blocks (mmu_vmemmap_psize), bolted HPTEs and vmemmap_list entries', ['16.0 MiB'],
    '# vmemlab: powerpc64 hash MMU: the vmemmap is not in the Linux page tables; each block is a bolted HPTE mapping (htab_bolt_mapping) recorded in vmemmap_list; kernel_page_tables shows none of it. The bolted blocks:'],
  // without 16M pages: base-page (64 KiB) vmemmap blocks and no hstate at all
  ['powerpc64', 'v6.18', '{ mmu: hash, hash16M: false, kfence: false }', 0, 'blocks: hash MMU: 64 KiB blocks (mmu_vmemmap_psize), bolted HPTEs and vmemmap_list entries', [],
    '# vmemlab: powerpc64 hash MMU: the vmemmap is not in the Linux page tables; each block is a bolted HPTE mapping (htab_bolt_mapping) recorded in vmemmap_list; kernel_page_tables shows none of it. The bolted blocks:'],
])('%s %s %s: boot populate path, hstates, ptdump heading', (arch, kernel, config, base, why, hstates, heading) => {
  const r = run(`arch: ${arch}\nkernel: ${kernel}\nconfig: ${config}\nnodes: [ { id: 0, memory: [ { start: ${base}, size: 4G } ] } ]\nsteps: [ boot ]\n`);
  const paths = new Set<string>();
  for (const e of r.machine.k.s.trace) if (e.t === 'populate') paths.add(`${e.path}: ${e.why}`);
  expect([...paths]).toEqual([why]);
  expect(r.report.dmesg.filter((l) => l.startsWith('HugeTLB: registered'))).toEqual(hstates.map((s) => `HugeTLB: registered ${s} page size, pre-allocated 0 pages`));
  expect(ptdump(r.machine.k)[0]).toBe(heading);
});

/*
 * mm/memory_hotplug.c add_memory_resource(): memblock_add_node() only with
 * CONFIG_ARCH_KEEP_MEMBLOCK, which loongarch64 and powerpc64 select, riscv64 from v6.8 (with ACPI,
 * as Debian builds it), s390x in v5.6 only (dropped in v5.9), ia64 never. memblock.memory then
 * holds the hot-added 1 GiB next to the boot RAM.
 */
it.each([
  ['ia64', 'v6.6', 0, [[0, 4 * G]]],
  ['loongarch64', 'v6.18', 0, [[0, 4 * G], [16 * G, 17 * G]]],
  ['powerpc64', 'v6.18', 0, [[0, 4 * G], [16 * G, 17 * G]]],
  ['riscv64', 'v6.18', 2 * G, [[2 * G, 6 * G], [16 * G, 17 * G]]],
  ['s390x', 'v6.18', 0, [[0, 4 * G]]],
  // v5.6 add_memory_resource() calls memblock_add_node() whatever the arch (the ARCH_KEEP_MEMBLOCK
  // condition came in v5.9): the memory at 4 GiB joins the boot region
  ['s390x', 'v5.6', 0, [[0, 5 * G]]],
] as const)('%s %s: memblock.memory after a hot-add (ARCH_KEEP_MEMBLOCK)', (arch, kernel, base, regions) => {
  const at = arch === 's390x' ? 4 * G : 16 * G;
  const r = run(`arch: ${arch}\nkernel: ${kernel}\nnodes: [ { id: 0, memory: [ { start: ${base}, size: 4G } ] } ]\nsteps: [ boot, { hot-add: { node: 0, start: ${at}, size: 1G } } ]\n`);
  expect(r.results.every((x) => x.ok)).toBe(true);
  expect([...r.machine.k.s.memblockMemory].map((s) => [s.start, s.end])).toEqual(regions);
});

/*
 * The same through profile files: riscv64 with the v6.8..v6.12.9 layout (ARCH_KEEP_MEMBLOCK if
 * ACPI since v6.8) keeps the hot-added range, with the v6.1 layout it does not; s390x with
 * v5.6's vmemmap generation (which selects ARCH_KEEP_MEMBLOCK) on a v6.18 base does.
 */
it('ARCH_KEEP_MEMBLOCK follows the riscv64 layout and the s390x generation (profile files)', () => {
  const memblock = (arch: string, base: number, at: number, id: string, from: string, switches: string) => {
    registerProfile(parseProfileFile(`${id}.yaml`, `id: ${id}\ntitle: ${id}\nbase: ${from}\nswitches: { ${switches} }\n`));
    const r = run(`arch: ${arch}\nkernel: ${id}\nnodes: [ { id: 0, memory: [ { start: ${base}, size: 4G } ] } ]\nsteps: [ boot, { hot-add: { node: 0, start: ${at}, size: 1G } } ]\n`);
    expect(r.results.every((x) => x.ok)).toBe(true);
    return [...r.machine.k.s.memblockMemory].map((s) => [s.start, s.end]);
  };
  expect(memblock('riscv64', 2 * G, 16 * G, 'riscv-v6.11-layout', 'v6.18', 'riscvLayout: v6.11')).toEqual([[2 * G, 6 * G], [16 * G, 17 * G]]);
  expect(memblock('riscv64', 2 * G, 16 * G, 'riscv-v6.1-layout', 'v6.18', 'riscvLayout: v6.1')).toEqual([[2 * G, 6 * G]]);
  expect(memblock('s390x', 0, 4 * G, 's390-v5.6-populate', 'v6.18', 's390Populate: v5.6')).toEqual([[0, 5 * G]]);
});

/*
 * s390x: memory the 3-level layout cannot hold (s390FourLevel), at the boundary, per layout:
 *  v5.6..v5.10 setup_memory_end(): 4 levels once pages x (4096 + 64) + 126 GiB + 2 GiB > 4 TiB,
 *    i.e. above 3968 GiB x 64 / 65 = 0x3d0bd000000 (a whole MiB);
 *  v5.11+ setup_kernel_memory_layout(): round_up(end, 2 GiB) + end / 64 (the vmemmap) + 510 GiB +
 *    2 GiB (+ a page + 2 MiB of lowcore from v6.6) > 4 TiB: 3528 GiB fits (3528 + 55.125 + 512
 *    <= 4096), one MiB more rounds up to 3530 GiB and does not.
 */
it('s390x: where the 3-level layout ends, per layout', () => {
  const at = (id: string, end: number) => s390FourLevel(findProfile(id)!, end);
  expect(at('v5.10', 0x3d0bd000000)).toBeNull();
  expect(at('v5.10', 0x3d0bd100000)).toBe('s390x in v5.10 with memory up to 0x3d0bd100000: the kernel switches to 4-level page tables (setup_memory_end), a layout the model does not have');
  for (const id of ['v6.1', 'v6.6']) {
    expect(at(id, 3528 * G)).toBeNull();
    expect(at(id, 3528 * G + M)).toBe(`s390x in ${id} with memory up to 0x37200100000: the kernel switches to 4-level page tables (setup_kernel_memory_layout), a layout the model does not have`);
  }
  expect(at('v6.18', 3528 * G)).toBeNull();
  expect(at('v6.18', 3528 * G + M)).toBe('s390x in v6.18 with memory up to 0x37200100000: with KASLR the kernel switches to 4-level page tables at a random place, without it the identity map is cut at vmemmap (setup_kernel_memory_layout); the model has only the 3-level layout');
});

/*
 * memory_block_size_bytes() without an arch override (drivers/base/memory.c): the section size,
 * and nothing printed (only x86 prints "x86/mm: Memory block size"); powerpc64: ibm,lmb-size;
 * s390x: max(section, sclp.rzm).
 */
it.each([
  ['ia64', v6_6, G],
  ['loongarch64', v6_18, 512 * M],
  ['riscv64', v6_18, 128 * M],
  ['s390x', v6_18, 128 * M],
  ['powerpc64', v6_18, 256 * M],
] as const)('%s: memory block size without a message', (arch, p, size) => {
  expect(resolveArch(arch, {}, p).policy.memoryBlockSize(4 * G, 0, [{ start: 0, end: 4 * G }])).toEqual({ size, messages: [] });
});

/*
 * `vmemlab explain` of a 1 GiB hot-add names the file of the arch's vmemmap_populate() and counts
 * one call per section (sparse_add_section()): ia64 1 GiB sections, loongarch64 512 MiB,
 * riscv64 and s390x (v6.13+) 128 MiB, powerpc64 16 MiB. Struct pages: 1 GiB / PAGE_SIZE x 64.
 */
it.each([
  ['ia64', 'v6.6', '{}', 0, 'arch/ia64/mm/discontig.c vmemmap_populate() for 1 GiB of memory (4 MiB of struct pages, 1 call(s))'],
  ['loongarch64', 'v6.18', '{}', 0, 'arch/loongarch/mm/init.c vmemmap_populate() for 1 GiB of memory (4 MiB of struct pages, 2 call(s))'],
  ['riscv64', 'v6.18', '{}', 0x80000000, 'arch/riscv/mm/init.c vmemmap_populate() for 1 GiB of memory (16 MiB of struct pages, 8 call(s))'],
  ['s390x', 'v6.18', '{}', 0, 'arch/s390/mm/vmem.c vmemmap_populate() for 1 GiB of memory (16 MiB of struct pages, 8 call(s))'],
  ['powerpc64', 'v6.18', '{}', 0, 'arch/powerpc/mm/book3s64/radix_pgtable.c vmemmap_populate() for 1 GiB of memory (1 MiB of struct pages, 64 call(s))'],
  ['powerpc64', 'v6.18', '{ mmu: hash }', 0, 'arch/powerpc/mm/init_64.c vmemmap_populate() for 1 GiB of memory (1 MiB of struct pages, 64 call(s))'],
  ['powerpc64', 'v6.1', '{}', 0, 'arch/powerpc/mm/init_64.c vmemmap_populate() for 1 GiB of memory (1 MiB of struct pages, 64 call(s))'],
])('%s %s %s: explain names the populate site of a hot-add', (arch, kernel, config, base, line) => {
  const at = arch === 's390x' ? '0x100000000' : '0x400000000';
  const sc = parseScenario('t.yaml', `arch: ${arch}\nkernel: ${kernel}\nconfig: ${config}\nnodes: [ { id: 0, memory: [ { start: ${base}, size: 4G } ] } ]\nsteps: [ boot, { hot-add: { node: 0, start: ${at}, size: 1G } } ]\n`);
  const lines = renderExplanation(explainScenario(sc, { step: 2 })).split('\n').filter((l) => l.includes('vmemmap_populate() for'));
  expect(lines.map((l) => l.slice(0, l.indexOf('):') + 1).trim())).toEqual([line]);
});

describe('powerpc64 radix: table sizes after boot and PUD-sized namespace alignment', () => {
  /*
   * radix-64k.h: PTE/PMD/PUD/PGD index 5/9/9/13: PMD and PUD tables of 2^9 x 8 = 4 KiB after
   * boot (pmd_frag / pud cache), one 64 KiB page each at boot (early_alloc_pgtable(PAGE_SIZE)).
   * PUD entries span 2^30, PGD entries 2^39. 4 GiB of boot RAM: one PUD and one PMD table page.
   * RAM at 64 TiB: memmap 64 GiB past VMEMMAP_START, the boot PGD entry: one new PMD table (4 KiB).
   * RAM at 1 PiB: memmap 1 TiB past it, another PGD entry: a PUD and a PMD table (4 KiB each).
   * radix-4k.h (index 9/9/9/13): 4 KiB tables at boot and after: one page per table.
   */
  const tables = (config: string, at: string) => {
    const r = run(`arch: powerpc64\nconfig: ${config}\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\nsteps: [ boot, { hot-add: { node: 0, start: ${at}, size: 1G } } ]\n`);
    expect(r.results.every((x) => x.ok)).toBe(true);
    return r.report.pageTablePages.bytes;
  };
  it('64K and 4K pages', () => {
    // remove_pagetable() (radix_pgtable.c, v6.6+) frees the PMD and PUD tables once empty
    const removed = run('arch: powerpc64\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\nsteps: [ boot, { hot-add: { node: 0, start: 0x4000000000000, size: 1G } }, { hot-remove: { start: 0x4000000000000, size: 1G } } ]\n');
    expect(removed.results.every((x) => x.ok)).toBe(true);
    expect(removed.report.pageTablePages.bytes).toEqual({ pud: 65536, pmd: 65536, pte: 0 });
    expect(tables('{}', '0x400000000000')).toEqual({ pud: 65536, pmd: 65536 + 4096, pte: 0 });
    expect(tables('{}', '0x4000000000000')).toEqual({ pud: 65536 + 4096, pmd: 65536 + 4096, pte: 0 });
    expect(tables('{ pageSize: 4K }', '0x4000000000000')).toEqual({ pud: 8192, pmd: 8192, pte: 0 });
  });

  /*
   * A 1 GiB fsdax namespace (--map=dev) on radix 64K: its 1 MiB of memmap would be half of a
   * 2 MiB PMD block describing 2 GiB of pfns, more than the device (altmap_cross_boundary()):
   * 16 base pages from the altmap in one PTE table, a 256 B fragment (2^5 x 8, PTE_FRAG_SIZE).
   */
  it('64K: a namespace in base pages takes one 256 B PTE table', () => {
    const r = run('arch: powerpc64\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\ndevices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G } ]\nsteps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } } ]\n');
    expect(r.results.every((x) => x.ok)).toBe(true);
    expect(r.report.pageTablePages.bytes).toEqual({ pud: 65536, pmd: 65536, pte: 256 });
    expect(r.report.vmemmap.mappings).toEqual({ pte: 16, pmd: 2, pud: 0 });
    // destroying it frees the pages and the empty PTE table (free_pte_table)
    const gone = run('arch: powerpc64\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\ndevices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G } ]\nsteps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } }, { destroy-namespace: { device: pmem0 } } ]\n');
    expect(gone.results.every((x) => x.ok)).toBe(true);
    expect(gone.report.pageTablePages.bytes).toEqual({ pud: 65536, pmd: 65536, pte: 0 });
    expect(gone.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 2, pud: 0 });
  });

  /*
   * nd_pfn_supported_alignments(): HPAGE_PUD_SIZE needs has_transparent_pud_hugepage(), on
   * powerpc radix from v6.6 (1 GiB = PUD_SHIFT 30); v6.1 and the hash MMU: no 1 GiB alignment.
   */
  it('--align=1G: radix v6.18 only', () => {
    const ns = (kernel: string, config: string) => stepOf(run(`arch: powerpc64\nkernel: ${kernel}\nconfig: ${config}\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\ndevices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 4G } ]\nsteps: [ boot, { create-namespace: { device: pmem0, mode: devdax, align: 1G } } ]\n`), 2);
    expect(ns('v6.18', '{}').ok).toBe(true);
    for (const [kernel, config] of [['v6.1', '{}'], ['v6.18', '{ mmu: hash }']]) expect(ns(kernel, config)).toMatchObject({ ok: false, errno: 'ENXIO', messages: ['  Error: unsupported align: 1G', 'failed to create namespace: No such device or address'] });
  });
});

/*
 * No HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD on loongarch64 or s390x: nd_pfn_supported_alignments()
 * offers PAGE_SIZE and the PMD size only, so a PUD-sized --align (loongarch 16K/3: PUD_SHIFT =
 * PGDIR_SHIFT 36, 64 GiB; s390 region-third entry 2 GiB) is refused and the PMD size is taken.
 */
it.each([
  ['loongarch64', '64G', '32M'],
  ['s390x', '2G', '1M'],
])('%s: no PUD-sized namespace alignment', (arch, pud, pmd) => {
  const ns = (align: string) => stepOf(run(`arch: ${arch}\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\ndevices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 4G } ]\nsteps: [ boot, { create-namespace: { device: pmem0, mode: devdax, align: ${align} } } ]\n`), 2);
  expect(ns(pud)).toMatchObject({ ok: false, errno: 'ENXIO', messages: [`  Error: unsupported align: ${pud}`, 'failed to create namespace: No such device or address'] });
  expect(ns(pmd).ok).toBe(true);
});

/*
 * s390x v6.18 (arch/s390/mm/vmem.c, v6.9+ with the altmap): the memmap of 4 GiB at vmemmap
 * 0x37200000000 is 64 MiB of 1 MiB segment frames (EDAT-1) or page tables and 4 KiB pages; a
 * 1 GiB fsdax namespace at 16 GiB (--map=dev) gets 16 MiB of frames from its altmap at
 * vmemmap + 16 GiB / 64. One segment table spans 2 GiB; the rest of the window is only
 * region-third entries. ptdump names s390's tables as the architecture does.
 */
it('s390x: the altmap path and the tables by their s390 names', () => {
  const r = run('arch: s390x\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\ndevices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G } ]\nsteps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } } ]\n');
  expect(r.results.every((x) => x.ok)).toBe(true);
  const paths = new Set<string>();
  for (const e of r.machine.k.s.trace) if (e.t === 'populate' && e.altmap !== null) paths.add(`${e.path}: ${e.why}`);
  expect([...paths]).toEqual(['hugepages: EDAT-1: 1 MiB segment frames for any range, partly used ones too (modify_pmd_table) from the altmap']);
  expect(ptdump(r.machine.k).slice(1)).toEqual([
    '0x0000037200000000-0x0000037204000000          64M segment table 1 MiB frame',
    '0x0000037204000000-0x0000037210000000         192M segment table',
    '0x0000037210000000-0x0000037211000000          16M segment table 1 MiB frame',
    '0x0000037211000000-0x0000037280000000        1776M segment table',
    '0x0000037280000000-0x0000037fc8000000       54400M region-third table',
  ]);
  const noEdat = run('arch: s390x\nconfig: { edat1: false }\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\nsteps: [ boot ]\n');
  expect(ptdump(noEdat.machine.k).slice(1)).toEqual([
    '0x0000037200000000-0x0000037204000000          64M page table page',
    '0x0000037204000000-0x0000037280000000        1984M segment table',
    '0x0000037280000000-0x0000037fc8000000       54400M region-third table',
  ]);
});

/*
 * loongarch64 16K/3 (v6.18) runs the generic vmemmap_populate_hugepages() with a NULL altmap
 * (mm/sparse-vmemmap.c): a PMD_SIZE (32 MiB) block that cannot be allocated falls back to base
 * pages, leaving a PTE table in the PMD; a later call that meets it (vmemmap_check_pmd(): not
 * _PAGE_HUGE) gets base pages again. 1 GiB of RAM with 900 MiB in use has no free 32 MiB block
 * for the memmap of 512 MiB at 8 GiB (vmemmap + 32 MiB); once onlined, the next 512 MiB (memmap
 * at vmemmap + 34 MiB) lands in the same PMD.
 */
it('loongarch64: a PMD block that cannot be had, then a PMD holding a PTE table', () => {
  const r = run(`arch: loongarch64
nodes: [ { id: 0, memory: [ { start: 0, size: 1G } ], used: 900M } ]
steps:
  - boot
  - { hot-add: { node: 0, start: 0x200000000, size: 512M } }
  - { online: { start: 0x200000000, size: 512M, type: online_movable } }
  - { hot-add: { node: 0, start: 0x220000000, size: 512M } }
`);
  expect(r.results.every((x) => x.ok)).toBe(true);
  const notes = r.machine.k.s.trace.flatMap((e) => (e.t === 'note' && e.text.startsWith('vmemmap_populate_hugepages:') ? [e.text] : []));
  expect(notes).toEqual([
    'vmemmap_populate_hugepages: no PMD_SIZE block in RAM for 1 PMD step: base pages instead',
    'vmemmap_populate_hugepages: the PMD already holds a PTE table (1 PMD step): base pages',
  ]);
});

/*
 * A 1 GiB fsdax namespace with --map=dev: what each arch's vmemmap_populate() does with the
 * altmap. loongarch64 (mm/init.c @ v6.18) passes NULL to vmemmap_populate_hugepages(); riscv64
 * (v6.11+) passes it on; powerpc64 radix (radix__vmemmap_populate(), v6.6+) takes PMD blocks
 * from it where altmap_cross_boundary() allows; hash and radix <= v6.5 (__vmemmap_populate())
 * take vmemmap_list blocks from it where the block describes only the device.
 */
it.each([
  ['loongarch64', 'v6.18', '{}', 0, 'hugepages: PMD-sized blocks (32 MiB) for any range, sub-sections too (vmemmap_populate_hugepages), the altmap ignored (loongarch64 passes NULL)'],
  ['riscv64', 'v6.18', '{}', 0x80000000, 'hugepages: PMD-sized blocks for any range, sub-sections too (vmemmap_populate_hugepages) from the altmap'],
  ['powerpc64', 'v6.18', '{}', 0, 'hugepages: radix: PMD blocks from the altmap where the address is PMD-aligned and the 2 MiB of memmap describes only the device; base pages otherwise (from the altmap when the page describes only the device, else RAM; RAM when the altmap runs out)'],
  ['powerpc64', 'v6.18', '{ mmu: hash }', 0, "blocks: hash MMU: 16 MiB blocks (mmu_vmemmap_psize), bolted HPTEs and vmemmap_list entries; the altmap for blocks whose pfns are all the device's, RAM otherwise or when it runs out"],
  ['powerpc64', 'v6.1', '{}', 0, 'blocks: radix v6.1: 2 MiB blocks (mmu_vmemmap_psize) mapped as PMD leaves, each with a vmemmap_list entry; from the altmap when the block describes only the device, else RAM'],
])('%s %s %s: the populate path with an altmap', (arch, kernel, config, base, why) => {
  const r = run(`arch: ${arch}\nkernel: ${kernel}\nconfig: ${config}\nnodes: [ { id: 0, memory: [ { start: ${base}, size: 4G } ] } ]\ndevices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G } ]\nsteps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } } ]\n`);
  expect(r.results.every((x) => x.ok)).toBe(true);
  const paths = new Set<string>();
  for (const e of r.machine.k.s.trace) if (e.t === 'populate' && e.altmap !== null) paths.add(`${e.path}: ${e.why}`);
  expect([...paths]).toEqual([why]);
});

/*
 * riscv64: which pfn's struct page sits at VMEMMAP_START (asm/pgtable.h vmemmap): pfn 0 up to
 * v6.6, phys_ram_base's PMD-aligned pfn v6.8..v6.12.9, vmemmap_start_pfn = round_down(phys_ram_base,
 * 128 MiB) from v6.13 (the model's memstartAlign 0, 2 MiB, 128 MiB). The boot memmap of RAM at
 * 2 GiB therefore starts 2 GiB / 64 = 32 MiB into the window on v6.6, at its start on v6.18.
 */
it('riscv64: the pfn at VMEMMAP_START per layout', () => {
  const first = (kernel: string) => ptdump(run(`arch: riscv64\nkernel: ${kernel}\nnodes: [ { id: 0, memory: [ { start: 0x80000000, size: 4G } ] } ]\nsteps: [ boot ]\n`).machine.k)[3]!.slice(0, 37);
  expect(first('v6.6')).toBe('0xffffffc702000000-0xffffffc706000000');
  expect(first('v6.18')).toBe('0xffffffc500000000-0xffffffc504000000');
  expect([v6_6, { ...v6_18, riscvLayout: 'v6.11' as const }, v6_18].map((p) => resolveArch('riscv64', {}, p).cfg.memstartAlign)).toEqual([0, 2 * M, 128 * M]);
});

/*
 * s390x v6.18: setup_memory_end()'s pr_notice "The maximum memory size is %luMB"
 * (ident_map_size = min(end of memory, vmemmap) >> 20); remove_pagetable() frees a segment
 * table once empty (try_free_pmd_table): 1 GiB at 256 GiB has its memmap 4 GiB into the window,
 * in a segment table of its own (2 GiB span, a 16 KiB CRST = 4 pages); the hot-remove gives it
 * back. A 16 MiB fsdax namespace with --map=mem gets a 1 MiB frame from RAM for its 256 KiB of
 * memmap (the rest marked unused, vmemmap_use_new_sub_pmd); destroying it frees the frame:
 * only boot memory's 64 frames stay.
 */
it('s390x: the boot notice, segment tables freed, a partly used frame freed', () => {
  const box = (extra: string, steps: string) => run(`arch: s390x\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\n${extra}\nsteps: [ boot${steps} ]\n`);
  expect(box('', '').report.dmesg.filter((l) => l.startsWith('setup:'))).toEqual(['setup: The maximum memory size is 4096MB']);
  const add = ', { hot-add: { node: 0, start: 0x4000000000, size: 1G } }';
  const pmdPages = (r: ReturnType<typeof run>) => {
    expect(r.results.every((x) => x.ok)).toBe(true);
    return r.report.pageTablePages.pmd;
  };
  expect(pmdPages(box('', add))).toBe(8);
  expect(pmdPages(box('', `${add}, { hot-remove: { start: 0x4000000000, size: 1G } }`))).toBe(4);
  const ns = box('devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G } ]', ', { create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 16M } }, { destroy-namespace: { device: pmem0 } }');
  expect(ns.results.every((x) => x.ok)).toBe(true);
  expect(ns.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 64, pud: 0 });
});

/*
 * riscv64 v6.18 remove_pgd_mapping(is_vmemmap) (arch/riscv/mm/init.c): PTE tables always, PMD
 * tables only with pgtable_l4_enabled (Sv48/Sv57), PUD tables only with pgtable_l5_enabled (Sv57);
 * pgtable_cache_init() preallocated the level below the PGD for the whole window (Sv48: 4 PUD
 * tables, Sv57: 4 P4D tables, Sv39: 4 PMD tables), which stays. 1 GiB at 16 TiB (Sv48) has its memmap 256 GiB into
 * the window: a new PMD table (1 GiB span); at 64 TiB (Sv57) 1 TiB in: a new PUD table (512 GiB
 * span) too. The hot-remove gives them back.
 */
it.each([
  // Sv39, 128 GiB: memmap (128 - 2) GiB / 64 in (vmemmap starts at phys_ram_base), under the
  // second of the 4 preallocated PMD tables, which stays
  ['sv39', '0x2000000000', [{ pmd: 4, pte: 0 }, { pmd: 4, pte: 0 }]],
  ['sv48', '0x100000000000', [{ pud: 4, pmd: 2, pte: 0 }, { pud: 4, pmd: 1, pte: 0 }]],
  // Sv48, 48 TiB: memmap 768 GiB in, under the second preallocated PUD table, which stays
  ['sv48', '0x300000000000', [{ pud: 4, pmd: 2, pte: 0 }, { pud: 4, pmd: 1, pte: 0 }]],
  ['sv57', '0x400000000000', [{ p4d: 4, pud: 2, pmd: 2, pte: 0 }, { p4d: 4, pud: 1, pmd: 1, pte: 0 }]],
])('riscv64 %s: the tables a far hot-add needs, freed by its hot-remove', (mode, at, want) => {
  const tables = (remove: boolean) => {
    const r = run(`arch: riscv64\nconfig: { mode: ${mode} }\nnodes: [ { id: 0, memory: [ { start: 0x80000000, size: 4G } ] } ]\nsteps: [ boot, { hot-add: { node: 0, start: ${at}, size: 1G } }${remove ? `, { hot-remove: { start: ${at}, size: 1G } }` : ''} ]\n`);
    expect(r.results.every((x) => x.ok)).toBe(true);
    const { byNode: _, ...levels } = r.report.pageTablePages;
    return levels;
  };
  expect([tables(false), tables(true)]).toEqual(want);
});

/*
 * riscv64 v6.18 passes the altmap to the generic vmemmap_populate_hugepages() (mm/sparse-vmemmap.c):
 * a PMD_SIZE block the altmap cannot give is -ENOMEM, no fallback ("the altmap should be
 * reasonably sized and aligned"). A 16 MiB namespace's altmap has 510 free pfns after the info
 * block, and altmap_alloc_block_buf() needs 512 aligned to 512: 1022.
 */
it('riscv64: a PMD block the altmap cannot give is -ENOMEM', () => {
  const r = run('arch: riscv64\nnodes: [ { id: 0, memory: [ { start: 0x80000000, size: 4G } ] } ]\ndevices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G } ]\nsteps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 16M } } ]\n');
  expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
  expect(r.machine.k.s.trace.flatMap((e) => (e.t === 'note' && e.text.startsWith('vmemmap_populate_hugepages:') ? [e.text] : []))).toEqual(['vmemmap_populate_hugepages: no PMD_SIZE block left in the altmap: -ENOMEM (no fallback with an altmap)']);
});

/*
 * riscv64 setup_bootmem(): <= v5.15 memblock_enforce_memory_limit(-PAGE_OFFSET) keeps the first
 * 128 GiB of RAM in address order; v6.1+ memblock_cap_memory_range(phys_ram_base, KERN_VIRT_SIZE)
 * keeps [2 GiB, 130 GiB) (Sv39). RAM at 2..66 GiB and 200..280 GiB: v5.15 keeps 64 GiB of the
 * second range too and drops its last 16 GiB; v6.1 drops the whole second range.
 */
it('riscv64: boot RAM the linear map cannot reach, per layout', () => {
  const boot = (kernel: string) => {
    const r = run(`arch: riscv64\nkernel: ${kernel}\nnodes: [ { id: 0, memory: [ { start: 0x80000000, size: 64G }, { start: 0x3200000000, size: 80G } ] } ]\nsteps: [ boot ]\n`);
    return { memblock: [...r.machine.k.s.memblockMemory].map((s) => [s.start / G, s.end / G]), dropped: r.machine.k.boot.dropped!.map((d) => [d.start / G, d.end / G, d.site]) };
  };
  expect(boot('v5.15')).toEqual({ memblock: [[2, 66], [200, 264]], dropped: [[264, 280, 'arch/riscv/mm/init.c:setup_bootmem (memblock_enforce_memory_limit)']] });
  expect(boot('v6.1')).toEqual({ memblock: [[2, 66]], dropped: [[200, 280, 'arch/riscv/mm/init.c:setup_bootmem (memblock_cap_memory_range)']] });
});

/*
 * powerpc64 hash, htab_init_page_sizes() (arch/powerpc/mm/book3s64/hash_utils.c): printk(KERN_DEBUG
 * "Page orders: linear mapping = %d, virtual = %d, io = %d, vmemmap = %d") with the page shifts
 * of mmu_linear_psize (16M with 16M pages and neither KFENCE nor debug_pagealloc, else the base
 * page), mmu_virtual_psize, mmu_io_psize and mmu_vmemmap_psize (16M with 16M pages and at least
 * 1 GiB of memblock memory, else the base page).
 * pseries_memory_block_size() (<= v6.5, no ibm,lmb-size): the size of the memory node starting
 * where memory@0 ends (4 GiB here), 16 MiB without one.
 */
it.each([
  ['{ mmu: hash }', '4G', 'Page orders: linear mapping = 16, virtual = 16, io = 16, vmemmap = 24'],
  // exactly 1 GiB is enough for 16M vmemmap blocks (>= 0x40000000)
  ['{ mmu: hash }', '1G', 'Page orders: linear mapping = 16, virtual = 16, io = 16, vmemmap = 24'],
  ['{ mmu: hash, pageSize: 4K, kfence: false }', '4G', 'Page orders: linear mapping = 24, virtual = 12, io = 12, vmemmap = 24'],
  ['{ mmu: hash, pageSize: 4K, kfence: false }', '512M', 'Page orders: linear mapping = 24, virtual = 12, io = 12, vmemmap = 12'],
  ['{ mmu: hash, hash16M: false, kfence: false }', '4G', 'Page orders: linear mapping = 16, virtual = 16, io = 16, vmemmap = 16'],
])('powerpc64 %s with %s: the hash page orders', (config, ram, line) => {
  expect(run(`arch: powerpc64\nconfig: ${config}\nnodes: [ { id: 0, memory: [ { start: 0, size: ${ram} } ] } ]\nsteps: [ boot ]\n`).report.dmesg.filter((l) => l.startsWith('Page orders'))).toEqual([line]);
});

it('powerpc64 v6.1: pseries_memory_block_size() without ibm,lmb-size', () => {
  const block = (memory: string) => run(`arch: powerpc64\nkernel: v6.1\nconfig: { lmbSize: 0 }\nnodes: [ { id: 0, memory: ${memory} } ]\nsteps: [ boot ]\n`).report.memory.blockSize;
  expect(block('[ { start: 0, size: 2G }, { start: 2G, size: 4G } ]')).toBe(4 * G);
  expect(block('[ { start: 0, size: 2G } ]')).toBe(16 * M);
});

/*
 * riscv64 v6.18 remove_pmd_mapping() (arch/riscv/mm/init.c): a PMD leaf in the range is
 * cleared and freed whatever part of it the range covers. Two 16 MiB fsdax namespaces with
 * --map=mem share one 2 MiB PMD block of memmap (128 MiB of pfns); destroying the first frees
 * the block, and the second's struct pages are no longer mapped (a kernel bug the model reports):
 * only boot memory's 32 blocks stay.
 */
it('riscv64: destroying a namespace frees a PMD block its neighbour still uses', () => {
  const r = run(`arch: riscv64
nodes: [ { id: 0, memory: [ { start: 0x80000000, size: 4G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 1G } ]
steps:
  - boot
  - { create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 16M } }
  - { create-namespace: { device: pmem0, mode: fsdax, map: mem, size: 16M } }
  - { destroy-namespace: { device: pmem0, namespace: namespace0.0 } }
`);
  expect(r.results.every((x) => x.ok)).toBe(true);
  expect(r.report.vmemmap.mappings).toEqual({ pte: 0, pmd: 32, pud: 0 });
  expect(r.report.kernelBugs.findings.map((f) => f.invariant)).toContain('memmap-coverage');
});

/*
 * s390x v5.6..v5.10 setup_memory_end() (arch/s390/kernel/setup.c): memory above vmemmap
 * (0x3d080000000 = 3906 GiB) is memblock_remove()d, and pr_notice("The maximum memory size is
 * %luMB") reports min(end of memory, vmemmap) = 3999744 MB. RAM to 3906.5 GiB is still below the
 * 4-level boundary (3906.95 GiB), so the last 512 MiB is dropped, not refused.
 */
it('s390x v5.10: RAM above vmemmap is dropped at boot', () => {
  const r = run('arch: s390x\nkernel: v5.10\nnodes: [ { id: 0, memory: [ { start: 0, size: 4000256M } ] } ]\nsteps: [ boot ]\n');
  const boot = stepOf(r, 1);
  expect(boot.messages).toEqual(['note: RAM [0x3d080000000-0x3d09fffffff] is beyond what the linear map reaches and is dropped at boot (arch/s390/kernel/setup.c:setup_memory_end)']);
  expect(boot.dmesg.filter((l) => l.text.startsWith('setup:')).map((l) => [l.text, l.site])).toEqual([['setup: The maximum memory size is 3999744MB\n', 'arch/s390/kernel/setup.c:setup_memory_end']]);
});

/*
 * The "generic vmemmap_populate_compound_pages() next to powerpc's own mappings" caveat holds
 * for the v5.19..v6.3 dedup together with the <= v6.5 vmemmap_list populate only; with either
 * swapped by a profile file (v6.18 with the list populate, v6.1 with radix__vmemmap_populate())
 * the explanation is radix's own (not modelled) compound-page vmemmap.
 */
it('powerpc64: which dedup caveat a profile file gets', () => {
  const why = (id: string, base: string, populate: string) => {
    registerProfile(parseProfileFile(`${id}.yaml`, `id: ${id}\ntitle: ${id}\nbase: ${base}\nswitches: { ppcRadixPopulate: ${populate} }\n`));
    return sizeDedup({ arch: 'powerpc64', kernel: id, size: 4 * G, align: 2 * M }).explanation[0];
  };
  const radixOwn = '(powerpc64 radix: the kernel deduplicates device-dax memmap with its own vmemmap_populate_compound_pages() (arch/powerpc/mm/book3s64/radix_pgtable.c), which vmemmap-lab does not model: it maps the full memmap instead (docs/fidelity.md))';
  expect(why('ppc-list-v6.18', 'v6.18', 'list')).toContain(radixOwn);
  expect(why('ppc-radix-v6.1', 'v6.1', 'radix')).toContain(radixOwn);
});
