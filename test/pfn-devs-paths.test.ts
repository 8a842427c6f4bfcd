/**
 * drivers/nvdimm/pfn_devs.c nd_pfn_init() (v5.6, v6.1.20, v6.6.9, v6.18.2), the paths mutation
 * testing (docs/testing.md) found without a test: the npfns estimate that sizes the memmap
 * reserve, the "unable to satisfy requested alignment" limit with end_trunc (v6.6+) and the
 * misaligned-start message's %pa. Each goes through ndctl create-namespace on a label-less
 * region (driven with -f -e: no 16 MiB start check, the region's size is the namespace's).
 */
import { describe, expect, it } from 'vitest';
import { run, stepOf } from './helpers.js';

const M = 2 ** 20;
const INIT = 'drivers/nvdimm/pfn_devs.c:nd_pfn_init';

const box = (kernel: string, start: string, size: string, create: string) => `
arch: x86_64
kernel: ${kernel}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: ${start}, size: ${size}, labels: false }
steps:
  - boot
  - create-namespace: ${create}
`;

describe('nd_pfn_init(): npfns = PHYS_PFN(size - SZ_8K) sizes the memmap reserve', () => {
  /*
   * x86 v5.6 4K (no memremap_compat_align(), no region-align check on the size): a label-less
   * region of 128 MiB - 504 KiB = 133,701,632 B at 8 GiB, fsdax --map=dev --align=4K.
   *   npfns = (133,701,632 - 8 KiB) / 4 KiB = 32,640; 8 KiB + 64 x 32,640 = 2,097,152 = 2 MiB
   *   exactly, so dataoff = ALIGN(8G + 2M, 2M) - 8G = 2 MiB (align = max(4K, SUBSECTION_SIZE)).
   *   (Counting 8 KiB more instead of less, 32,644 pfns, would need 256 B more: dataoff 4 MiB.)
   *   end_trunc = 2 MiB - 504 KiB = 1,544 KiB; npfns = (size - 2M - end_trunc) / 4K = 31,744,
   *   usable 130,023,424 B (124 MiB). __nvdimm_setup_pfn(): altmap reserve 2 pfns (the 8 KiB
   *   info block), free (2M - 8K) / 4K = 510 pfns.
   */
  it('x86 v5.6, 128 MiB - 504 KiB: 8 KiB + 64 B x npfns is exactly 2 MiB, dataoff 2 MiB', () => {
    const r = run(box('v5.6', '8G', '133701632', '{ device: pmem0, mode: fsdax, align: 4K }'));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.namespaces).toEqual([expect.objectContaining({ rawSize: 133701632, dataOffset: 2 * M, size: 130023424, npfns: 31744 })]);
    expect(r.report.altmaps[0]).toMatchObject({ base_pfn: 0x200000, reserve: 2, free: 510 });
  });
});

describe('nd_pfn_init(): "unable to satisfy requested alignment" (-ENXIO)', () => {
  /*
   * x86 4K, a label-less 1 GiB region at 8.5 GiB, devdax --align=1G (PUD, x86 with gbpages):
   *   end_trunc = 9.5G - ALIGN_DOWN(9.5G, 1G) = 512 MiB;
   *   dataoff = ALIGN(8.5G + 8K + 64 x 262,142, 1G) - 8.5G = 512 MiB.
   * v6.6+ compares with size - end_trunc = 512 MiB: dataoff >= it, dev_err + -ENXIO (ndctl:
   * "failed to enable"). v5.6..v6.1 compare with the size only and create a namespace with
   * (1G - 512M - 512M) / 4K = 0 pfns: 0 bytes usable (the zero-size device 6.6 prevents).
   */
  it('v6.18: dataoff 512 MiB >= size - end_trunc 512 MiB', () => {
    const r = run(box('v6.18', '8704M', '1G', '{ device: pmem0, mode: devdax, align: 1G }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENXIO' });
    expect(stepOf(r, 2).dmesg.filter((x) => x.site === INIT).map((x) => [x.level, x.text])).toEqual([[3, 'dax_pmem dax0.0: namespace0.0 unable to satisfy requested alignment\n']]);
    expect(r.report.namespaces).toEqual([]);
  });

  it('v6.1: only dataoff >= size is refused: a namespace of 0 bytes', () => {
    const r = run(box('v6.1', '8704M', '1G', '{ device: pmem0, mode: devdax, align: 1G }'));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.namespaces).toEqual([expect.objectContaining({ dataOffset: 512 * M, size: 0, npfns: 0 })]);
  });
});

describe('nd_pfn_init(): a start not aligned to memremap_compat_align() (v5.7+)', () => {
  /*
   * x86 v6.18: a label-less region at 8 GiB + 1 MiB; memremap_compat_align() = SUBSECTION_SIZE
   * = 2 MiB. dev_err(&nd_pfn->dev, "%s: start %pa misaligned to %#lx\n"): %pa prints the
   * phys_addr_t as 0x and 16 zero-padded hex digits, %#lx 0x200000; -EINVAL.
   */
  it('v6.18, 8 GiB + 1 MiB: the %pa start, zero-padded, and -EINVAL', () => {
    const r = run(box('v6.18', '8193M', '1G', '{ device: pmem0, mode: fsdax }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(stepOf(r, 2).dmesg.filter((x) => x.site === INIT).map((x) => [x.level, x.text])).toEqual([[3, 'nd_pmem pfn0.0: namespace0.0: start 0x0000000200100000 misaligned to 0x200000\n']]);
  });
});

describe('__nvdimm_setup_pfn(): --map=mem (PFN_MODE_RAM)', () => {
  /*
   * x86 v6.18, a label-less 16 GiB region at 16 GiB, fsdax --map=mem: dataoff = ALIGN(16G + 8K,
   * 2M) - 16G = 2 MiB, npfns = (16G - 2M) / 4K = 4,193,792, usable 17,177,772,032 B. RAM mode
   * takes npfns from the info block and has no altmap; only the PMEM branch can print "number
   * of pfns truncated", so pfn_devs.c prints nothing.
   */
  it('x86 v6.18 16 GiB: no altmap, npfns from the info block, no pfn_devs.c line', () => {
    const r = run(box('v6.18', '16G', '16G', '{ device: pmem0, mode: fsdax, map: mem }'));
    expect(r.report.namespaces).toEqual([expect.objectContaining({ map: 'mem', dataOffset: 2 * M, size: 17177772032, npfns: 4193792 })]);
    expect(r.report.altmaps).toEqual([]);
    expect(stepOf(r, 2).dmesg.filter((x) => x.site.startsWith('drivers/nvdimm/pfn_devs.c'))).toEqual([]);
  });

  /*
   * x86 v5.6 (no start check before v5.7): a label-less 1 GiB region at 8 GiB + 8 MiB - 8 KiB,
   * fsdax --map=mem --align=4K. dataoff = ALIGN(start + 8K, 2M) - start = 8 KiB, exactly
   * nd_info_block_reserve() (ALIGN(SZ_8K, PAGE_SIZE) = 8 KiB): "offset < reserve" is false, so
   * __nvdimm_setup_pfn() accepts it, and devm_memremap_pages() of [start, end - end_trunc]
   * reaches __add_pages(), whose check_pfn_span() refuses a start off a sub-section boundary:
   * WARN "Misaligned __add_pages start: %#lx end: #%lx" (the kernel's literal '#'), pfns
   * 0x2007fe..0x2405ff (end_trunc = 2 MiB - 8 KiB), -EINVAL; x86's add_pages() WARN_ON_ONCE, and
   * really_probe()'s line for nd_pmem.
   */
  it('x86 v5.6, dataoff == the 8 KiB reserve: accepted, then __add_pages() refuses the misaligned start', () => {
    const r = run(box('v5.6', '8396792K', '1G', '{ device: pmem0, mode: fsdax, map: mem, align: 4K }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL' });
    const texts = stepOf(r, 2).dmesg.map((x) => x.text);
    expect(texts).toContain('Misaligned __add_pages start: 0x2007fe end: #2405ff\n');
    expect(texts).toContain('nd_pmem: probe of pfn0.0 failed with error -22\n');
  });
});
