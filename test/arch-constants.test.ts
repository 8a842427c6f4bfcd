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
import { sizeDedup } from '../src/answers/size.js';
import { parseProfileFile, registerProfile } from '../src/index.js';
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
    const write = x86.oopsLines({ va: 'ffffea0000400000', fn: 'memmap_init_zone_device', access: 'write' });
    expect(write.slice(1, 3).map((l) => l.text)).toEqual(['#PF: supervisor write access in kernel mode\n', '#PF: error_code(0x0002) - not-present page\n']);
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
