/**
 * src/kernel/sparse-vmemmap.ts paths that mutation testing (docs/testing.md, branch mut-svm)
 * found without a test: vmem_altmap_nr_free()'s clamp, altmap_alloc_block_buf()'s NULL note and
 * its per-block (memmap_on_memory) form, vmemmap_alloc_block()'s one-time warn_alloc(), ...
 * Each expectation is derived by hand in its comment from the kernel's rules.
 */
import { describe, expect, it } from 'vitest';
import { __populate_section_memmap, altmap_alloc_block_buf, vmem_altmap_nr_free, vmemmap_can_optimize } from '../src/kernel/sparse-vmemmap.js';
import { pfnToOff, type Kernel, type VmemAltmap } from '../src/kernel/state.js';
import { parseProfileFile, registerProfile, renderTrace } from '../src/index.js';
import { withoutBatching } from '../src/kernel/engine.js';
import { renderMessage } from '../src/kernel/printk.js';
import { run, setup_machine, stepOf, x86 } from './helpers.js';

const P = 4096;
const M2 = 2 ** 21;

/** The `--trace` lines of step n. */
const traceOf = (text: string, n: number) => text.split(/^# step /m).find((b) => b.startsWith(`${n}:`))!.split('\n').slice(1).filter(Boolean);

/** A booted 4 GiB x86_64 machine with altmap `id` added as given. */
function withAltmap(a: Partial<VmemAltmap> & { base_pfn: number; free: number }, id = 'a'): Kernel {
  const { k } = setup_machine(x86());
  k.s.altmaps.set(id, { id, end_pfn: a.base_pfn + 0xfffff, reserve: 0, align: 0, alloc: 0, owner: id, device: 'd', ...a });
  return k;
}

describe('vmem_altmap_nr_free()', () => {
  /*
   * mm/sparse-vmemmap.c @ v6.18: allocated = alloc + align; free > allocated ? free - allocated
   * : 0 (unsigned long: the clamp keeps it from wrapping). alloc 90 + align 20 = 110 > free 100.
   */
  it('more allocated than free: 0, not negative', () => {
    const a: VmemAltmap = { id: 'a', base_pfn: 0, end_pfn: 0xfff, reserve: 0, free: 100, alloc: 90, align: 20, owner: 'a', device: 'd' };
    expect(vmem_altmap_nr_free(a)).toBe(0);
    expect(vmem_altmap_nr_free({ ...a, align: 9 })).toBe(1);
  });
});

describe('altmap_alloc_block_buf(): NULL', () => {
  /*
   * The kernel returns NULL when nr_pfns + nr_align > vmem_altmap_nr_free(). The model notes
   * why in the trace: a 2 MiB request (512 pfns) at next pfn 0x100001 needs 511 pfns of
   * padding to reach 0x100200 (512-aligned): 1023 > 600 free.
   */
  it('the trace note gives the free pfns, the pfns needed and the padding', () => {
    const k = withAltmap({ base_pfn: 0x100001, free: 600 });
    expect(altmap_alloc_block_buf(k, M2, 'a')).toBeNull();
    expect(k.s.trace.at(-1)).toEqual({ t: 'note', text: 'altmap_alloc_block_buf: altmap a has 600 free pfn(s), 1023 needed (512 + 511 to align): NULL' });
    // next pfn 0x100000 is 512-aligned: no padding, 512 > 100
    const k2 = withAltmap({ base_pfn: 0x100000, free: 100 });
    expect(altmap_alloc_block_buf(k2, M2, 'a')).toBeNull();
    expect(k2.s.trace.at(-1)).toEqual({ t: 'note', text: 'altmap_alloc_block_buf: altmap a has 100 free pfn(s), 512 needed: NULL' });
  });

  /* pr_warn_once() from altmap_alloc_block_buf(): the message's site is that function's. */
  it('a size that is not a multiple of PAGE_SIZE: the warning comes from altmap_alloc_block_buf', () => {
    const k = withAltmap({ base_pfn: 0x100000, free: 100 });
    expect(altmap_alloc_block_buf(k, 100, 'a')).toBeNull();
    expect(k.s.log.filter((m) => m.text.includes('multiple of PAGE_SIZE')).map((m) => m.site)).toEqual(['mm/sparse-vmemmap.c:altmap_alloc_block_buf']);
  });
});

describe('altmap_alloc_block_buf() on per-block altmaps (memmap_on_memory)', () => {
  /*
   * v6.8+ create_altmaps_and_memory_blocks() gives every memory block its own altmap: base_pfn
   * the block's first pfn, free its memmap pages. The model holds `blocks` of them as one object
   * (self: stride = pfns per block, slice = memmap pages per block; alloc is their sum), and the
   * j-th page handed out is page j % slice of block j / slice. x86_64: 128 MiB blocks, stride
   * 32768 pfns, 512 memmap pages (2 MiB, one PMD) each.
   */
  const selfMap = (alloc: number, slice: number, free: number, blocks = 2) => withAltmap({
    base_pfn: 0x200000, end_pfn: 0x200000 + 32767, free, alloc,
    self: { stride: 32768, slice, blocks, node: 0 },
  }, 'm');

  it('block 0 used up: the next PMD is the first 512 pages of block 1', () => {
    // j = 512: block 1, page 0: pfn 0x200000 + 32768 = 0x208000; alloc 1024 (512 in each)
    const k = selfMap(512, 512, 512);
    expect(altmap_alloc_block_buf(k, M2, 'm')).toBe(0x208000);
    expect(k.s.altmaps.get('m')!.alloc).toBe(1024);
    // block 1's own altmap: alloc 512 after this request, align 0
    expect(k.s.log.at(-1)!.text).toBe('altmap_alloc_block_buf: pfn: 0x208000 alloc: 512 align: 0 nr: 0x200\n');
    expect(k.s.trace.at(-1)).toEqual({ t: 'altmap-alloc', id: 'm', pfn: 0x208000, nr: 512, count: 1, align: 0 });
  });

  it('mid-block: the request starts slice-relative inside its block', () => {
    // slice 1024 (4 MiB of memmap, a 256 MiB block's), j = 1536: block 1, page 512:
    // pfn 0x208000 + 0x200 = 0x208200; that block's alloc becomes 1024, the object's 2048
    const k = selfMap(1536, 1024, 1024);
    expect(altmap_alloc_block_buf(k, M2, 'm')).toBe(0x208200);
    expect(k.s.altmaps.get('m')!.alloc).toBe(2048);
    expect(k.s.log.at(-1)!.text).toBe('altmap_alloc_block_buf: pfn: 0x208200 alloc: 1024 align: 0 nr: 0x200\n');
  });

  it('the request does not fit its own block\'s altmap: NULL, nothing taken', () => {
    // j = 512: block 0, page 512; 512 + 512 > free 512 of block 0, although the two blocks
    // together (2 x slice 1024) would have room: each block is its own altmap
    const k = selfMap(512, 1024, 512);
    expect(altmap_alloc_block_buf(k, M2, 'm')).toBeNull();
    expect(k.s.altmaps.get('m')!.alloc).toBe(512);
  });

  it('a run of requests past the last block: NULL, nothing taken', () => {
    // j = 512 (block 1, page 0) fits block 1, but 2 requests take 512 + 2 x 512 = 1536 pages
    // of 2 blocks x 512
    const k = selfMap(512, 512, 512);
    expect(altmap_alloc_block_buf(k, M2, 'm', 2)).toBeNull();
    expect(k.s.altmaps.get('m')!.alloc).toBe(512);
    // a single one fits: 1024 pages of 1024
    expect(altmap_alloc_block_buf(k, M2, 'm', 1)).toBe(0x208000);
  });
});

describe('faults and failures of the allocators', () => {
  /*
   * An injected failure of a per-block altmap (memmap_on_memory, v6.8+): 384 MiB = 3 blocks of
   * 128 MiB, each populating its one PMD from its own altmap. The 2nd altmap allocation (block 1)
   * fails: vmemmap_populate_hugepages() returns -ENOMEM (no fallback with an altmap), and
   * create_altmaps_and_memory_blocks() removes block 0 again: nothing stays self-hosted.
   */
  it('an injected altmap failure in a memmap_on_memory block fails the hot-add', () => {
    const text = `
arch: x86_64
cmdline: memory_hotplug.memmap_on_memory=1
nodes:
  - { id: 0, memory: [ { start: 0, size: 8G } ] }
faults:
  - { alloc: altmap, nth: 2 }
steps:
  - boot
  - hot-add: { node: 0, start: 8G, size: 384M }
`;
    const r = run(text);
    expect([stepOf(r, 2).ok, stepOf(r, 2).errno]).toEqual([false, 'ENOMEM']);
    expect(r.report.memmapBacking.self).toEqual({});
    expect(traceOf(renderTrace(r), 2).filter((l) => l.startsWith('note:'))).toEqual([
      'note: fault injection: altmap allocation #2 fails',
      'note: vmemmap_populate_hugepages: no PMD_SIZE block left in the altmap: -ENOMEM (no fallback with an altmap)',
    ]);
  });

  /*
   * vmemmap_alloc_block() after boot: alloc_pages_node(GFP_KERNEL|__GFP_RETRY_MAYFAIL|
   * __GFP_NOWARN) and, on the first failure ever (static bool warned), warn_alloc("vmemmap
   * alloc failure: order:%u"). The PMD block (order 9) fails, the base-page fallback's first
   * page (order 0) fails too: one warning, for order 9, from vmemmap_alloc_block.
   */
  it('warn_alloc() once per boot, from vmemmap_alloc_block', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 8G } ] }
faults:
  - { alloc: buddy, nth: 1 }
  - { alloc: buddy, nth: 2 }
steps:
  - boot
  - hot-add: { node: 0, start: 8G, size: 128M }
`);
    expect(stepOf(r, 2).errno).toBe('ENOMEM');
    expect(traceOf(renderTrace(r), 2).filter((l) => l.startsWith('note: fault injection'))).toEqual([
      'note: fault injection: buddy allocation #1 fails',
      'note: fault injection: buddy allocation #2 fails',
    ]);
    const warns = stepOf(r, 2).dmesg.filter((m) => m.text.includes('vmemmap alloc failure'));
    expect(warns.map((m) => [m.site, m.text])).toEqual([['mm/sparse-vmemmap.c:vmemmap_alloc_block', '<comm>: vmemmap alloc failure: order:9, mode:0x4cc0(GFP_KERNEL|__GFP_RETRY_MAYFAIL), nodemask=(null)\n']]);
    // the task name (<comm>) is not the model's to know: the line is marked approximate
    expect(warns.map((m) => m.approx)).toEqual([true]);
  });

  /*
   * s390 v6.6 vmemmap_populate() calls vmemmap_alloc_block() (no sparse buffer): at boot,
   * memblock. With the range engine off, every 1 MiB PMD block is its own memblock_alloc():
   * the map events name memblock as the source.
   */
  it('s390 boot memmap one PMD at a time: RAM from memblock', () => {
    const r = withoutBatching(() => run(`
arch: s390x
kernel: v6.6
nodes:
  - { id: 0, memory: [ { start: 0, size: 256M } ] }
`));
    const maps = traceOf(renderTrace(r), 1).filter((l) => l.startsWith('map pmd'));
    // 256 MiB = 65536 pfns x 64 B = 4 MiB of memmap = 4 PMD blocks of 1 MiB from VMEMMAP_START
    expect(maps).toEqual([
      'map pmd: 0x37200000000-0x37200100000 (1 MiB) -> node 0 RAM (memblock)',
      'map pmd: 0x37200100000-0x37200200000 (1 MiB) -> node 0 RAM (memblock)',
      'map pmd: 0x37200200000-0x37200300000 (1 MiB) -> node 0 RAM (memblock)',
      'map pmd: 0x37200300000-0x37200400000 (1 MiB) -> node 0 RAM (memblock)',
    ]);
  });
});

describe('x86 vmemmap_set_pmd() print tracker over self-hosted memmap', () => {
  /*
   * arch/x86/mm/init_64.c vmemmap_set_pmd(): one " [%lx-%lx] PMD -> [%p-%p] on node %d" line
   * per run of PMDs whose backing continues physically (p_end == p) on one node. With 64 GiB of
   * RAM the memory block is 2 GiB, so memmap_on_memory puts 32 MiB of memmap (524288 pfns x
   * 64 B) at the start of each block: 16 PMDs, each section's call mapping one, all contiguous.
   * Block 0 at 64 GiB (pfn 0x1000000): vmemmap 0xffffea0000000000 + 0x1000000 x 64 =
   * 0xffffea0040000000, direct map 0xffff888000000000 + 64 GiB = 0xffff889000000000; block 1
   * at 66 GiB starts a new line (0xffff889080000000 is not where block 0's memmap ends).
   * With the range engine off each section's PMD is tracked on its own, from inside the block.
   */
  it('section by section: one line per 2 GiB block', () => {
    const text = `
arch: x86_64
cmdline: memory_hotplug.memmap_on_memory=1
nodes:
  - { id: 0, memory: [ { start: 0, size: 64G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 64G, size: 4G }
`;
    const lines = [
      ' [ffffea0040000000-ffffea0041ffffff] PMD -> [ffff889000000000-ffff889001ffffff] on node 0',
      ' [ffffea0042000000-ffffea0043ffffff] PMD -> [ffff889080000000-ffff889081ffffff] on node 0',
    ];
    const pmdLines = (r: ReturnType<typeof run>) => stepOf(r, 2).dmesg.filter((m) => m.text.includes('PMD ->'));
    const r = withoutBatching(() => run(text));
    expect(pmdLines(r).flatMap((m) => renderMessage(m))).toEqual(lines);
    // the same with the range engine on (each block's 16 PMDs at once), all from print_last's site,
    // exact (the physical addresses of self-hosted memmap are known)
    const b = run(text);
    expect(pmdLines(b).flatMap((m) => renderMessage(m))).toEqual(lines);
    expect([...pmdLines(r), ...pmdLines(b)].map((m) => [m.site, m.approx ?? false])).toEqual(Array(4).fill(['arch/x86/mm/init_64.c:vmemmap_populate_print_last', false]));
  });
});

describe('vmemmap_populate_compound_pages(): a section inside a compound page', () => {
  /*
   * v5.17..v6.0 (the v6.1 profile with vmemmap_verify()'s pr_warn every time, not once): x86_64,
   * a 2 GiB device-dax namespace --map=mem --align=1G on memoryless node 1, so every memmap
   * page comes from node 0 (distance 20 > LOCAL_DISTANCE) and every PTE's vmemmap_verify()
   * prints "[%lx-%lx] potential offnode page_structs".
   * Per 128 MiB section (2 MiB of memmap, 512 PTEs): a section that starts a 1 GiB compound
   * page (pfn 0x1000000, 0x1040000) gets a head page and a tail page from RAM and aliases the
   * other 510 PTEs to the tail page; the 7 sections after it in the same compound page are
   * reuse_compound_section(): compound_section_tail_page() takes the page behind the PTE just
   * before the section, and all 512 PTEs map it (no allocation). So RAM holds 2 x 2 pages above
   * the boot memmap (16 GiB / 64 = 256 MiB), the rest of the 32 MiB memmap is deduplicated,
   * and each of the 16 sections has its own PTE table. With the range engine off every call
   * runs on its own.
   */
  it('the reused sections map the previous tail page, one PTE table each, each PTE verified', () => {
    try { registerProfile(parseProfileFile('p.yaml', 'id: svm-v600\ntitle: v6.1 with pr_warn every time\nbase: v6.1\nswitches:\n  vmemmapVerifyOnce: false\n')); } catch { /* registered by an earlier test */ }
    const r = withoutBatching(() => run(`
arch: x86_64
kernel: svm-v600
nodes:
  - { id: 0, memory: [ { start: 0, size: 16G } ] }
  - { id: 1, memory: [] }
devices:
  - { name: pmem0, type: nvdimm, node: 1, start: 64G, size: 2G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax, map: mem, align: 1G }
`));
    expect([stepOf(r, 2).ok, stepOf(r, 2).violations]).toEqual([true, []]);
    expect(r.report.memmapBacking.ram).toEqual({ 0: 256 * 2 ** 20 + 4 * P });
    expect(r.report.memmapBacking.dedup).toEqual({ 'namespace0.0': 32 * 2 ** 20 - 4 * P });
    // the trace names the compound backing (it used to say memmap_on_memory): the first
    // section's head and tail pages, then its 510 aliases, then the next section reusing them
    const t = traceOf(renderTrace(r), 2).filter((l) => l.startsWith('map pte'));
    expect(t.slice(0, 4)).toEqual([
      'map pte: 0xffffea0040000000-0xffffea0040001000 (4 KiB) -> node 0 RAM (buddy)',
      'map pte: 0xffffea0040001000-0xffffea0040002000 (4 KiB) -> node 0 RAM (buddy)',
      'map pte: 0xffffea0040000000-0xffffea0040200000 (2 MiB) -> device-dax namespace0.0 compound pages, head pages node 0, tail pages node 0',
      'map pte: 0xffffea0040200000-0xffffea0040400000 (2 MiB) -> device-dax namespace0.0 compound pages, head pages node 0, tail pages node 0',
    ]);
    // PTE tables (2 MiB of vmemmap each) over all 32 MiB of the namespace's memmap
    const k = r.machine.k;
    const off0 = pfnToOff(k, 0x1000000);
    expect(k.s.tables.pte.coverage(off0, off0 + 32 * 2 ** 20)).toBe(32 * 2 ** 20);
    // the memmap of pfn 0x1000000 (64 GiB) starts at 0xffffea0000000000 + 0x1000000 x 64
    const lines = stepOf(r, 2).dmesg.flatMap((m) => renderMessage(m)).filter((l) => l.includes('offnode'));
    const va0 = 0xffffea0040000000n;
    expect(lines).toEqual(Array.from({ length: 8192 }, (_, i) => {
      const x = va0 + BigInt(i) * 4096n;
      return `[${x.toString(16)}-${(x + 4095n).toString(16)}] potential offnode page_structs`;
    }));
  });
});

describe('a PMD block kept from an earlier life of the same altmap', () => {
  /*
   * s390x EDAT-1 v6.18 (1 MiB segment frames; 1 MiB of memmap describes 64 MiB): pmem0 [16G,
   * +160M) and pmem1 right after it, each a devdax --map=dev namespace with its memmap from its
   * own altmap. 160 MiB is not a multiple of 64 MiB, so the last frame namespace0.0 maps (from
   * its altmap) also holds the first struct pages of pmem1, which namespace1.0 then uses as it is.
   * reconfigure-device --mode=system-ram unbinds device_dax (memunmap_pages -> vmemmap_free:
   * the shared frame stays, pmem1 still uses it) and kmem then fails (EINVAL); back to devdax,
   * memremap_pages() re-creates altmap namespace0.0 with alloc 0: reserve 2 + 512 pfns of
   * memmap (2 frames) + 254 pfns of alignment padding give next pfn 0x400000 + 768 = 0x400300,
   * and the kept frame - pfn 0x400300, the old life's third frame - is found populated and
   * reused: a kernel anomaly at s390's vmemmap_populate(), once.
   */
  it('s390x: a devdax namespace back from system-ram reuses its old frame', () => {
    const r = run(`
arch: s390x
config: { edat1: true }
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 160M }
  - { name: pmem1, type: nvdimm, node: 0, start: 0x40a000000, size: 160M }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax, map: dev }
  - create-namespace: { device: pmem1, mode: devdax, map: dev }
  - reconfigure-device: { device: pmem0, mode: system-ram }
  - reconfigure-device: { device: pmem0, mode: devdax, force: true }
`);
    expect([2, 3, 4, 5].map((i) => stepOf(r, i).errno)).toEqual([null, null, 'EINVAL', null]);
    // namespace1.0 reused namespace0.0's frame in step 3: not an earlier life of its own altmap
    expect([2, 3, 4].map((i) => stepOf(r, i).kernelBugs)).toEqual([[], [], []]);
    expect(stepOf(r, 5).kernelBugs.filter((v) => v.invariant === 'kernel-anomaly').map((v) => [v.fn, v.detail])).toEqual([[
      'arch/s390/mm/vmem.c:vmemmap_populate',
      'the PMD block at 37210200000 (pfn 0x400300) was mapped from an earlier life of altmap namespace0.0 and is reused, but the re-created altmap counts its pfns as free (next pfn 0x400300): another allocation would hand them out again, and freeing the block through this altmap takes alloc below what it allocated',
    ]]);
  });
  /*
   * The other way round: namespace1.0 (pmem1) first, its first frame - from its own altmap, pfn
   * 0x40a100 after reserve 2 and 254 pfns of padding - also holds pmem0's last struct pages; then
   * namespace0.0 finds that frame populated. It is another altmap's (pfns above namespace0.0's
   * next pfn, but not its own earlier life): no anomaly.
   */
  it('a frame of a neighbour\'s altmap is reused without an anomaly', () => {
    const r = run(`
arch: s390x
config: { edat1: true }
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 160M }
  - { name: pmem1, type: nvdimm, node: 0, start: 0x40a000000, size: 160M }
steps:
  - boot
  - create-namespace: { device: pmem1, mode: devdax, map: dev }
  - create-namespace: { device: pmem0, mode: devdax, map: dev }
`);
    expect([stepOf(r, 2).ok, stepOf(r, 3).ok]).toEqual([true, true]);
    expect(stepOf(r, 3).kernelBugs).toEqual([]);
    // namespace1.0's first call starts half way into a frame (its end is frame-aligned): a new
    // frame partly used, vmemmap_use_new_sub_pmd() (arch/s390/mm/vmem.c modify_pmd_table)
    expect(traceOf(renderTrace(r), 2).filter((l) => l.includes('sub_pmd'))).toEqual(['note: vmemmap_use_new_sub_pmd: partial PMD']);
    // pmem1's memmap starts half way into a frame (pfn 0x40a000 x 64 B = 0x10280000): 3 frames;
    // pmem0's 3rd frame is that first one of pmem1, so namespace0.0 allocates 2 (512 pfns)
    expect(r.report.altmaps.map((a) => [a.id, a.alloc])).toEqual([['namespace1.0', 768], ['namespace0.0', 512]]);
  });
});

describe('vmemmap_can_optimize()', () => {
  /*
   * include/linux/mm.h @ v6.6+: false unless is_power_of_2(sizeof(struct page)) (the tail
   * struct pages must tile the shared page exactly). Every modelled arch has a 64-byte struct
   * page; a 56-byte one (a config without the fields that round it up) gets no dedup, although
   * 2 MiB compound pages would need 512 x 56 B = 7 vmemmap pages, more than the 2 kept.
   */
  it('a struct page that is not a power of two: no compound-page dedup', () => {
    const { k } = setup_machine(x86());
    const pgmap = { id: 'p', nr: 512, rangeStartPfn: 0x1000000 };
    expect(vmemmap_can_optimize(k, null, pgmap)).toBe(true);
    expect(vmemmap_can_optimize({ ...k, c: { ...k.c, STRUCT_PAGE: 56 } }, null, pgmap)).toBe(false);
  });
});

describe('s390 2 KiB page tables after boot (page_table_alloc, up to v6.7)', () => {
  /*
   * s390x without EDAT-1, v6.6: the memmap of hot-added memory is 4 KiB pages under 2 KiB page
   * tables, and page_table_alloc() hands out the two halves of one 4 KiB page (the free half
   * stays on the mm's list for the next table). Each 256 MiB hot-add: 65536 pfns x 64 B = 4 MiB
   * of memmap = 1024 pages, under 4 page tables (256 entries x 4 KiB = 1 MiB each) = 2 pages;
   * the segment table (2048 x 1 MiB) from boot already covers both ranges. So each hot-add
   * takes 1026 pages of node 0, in one run of 4 tables or table by table (range engine off).
   */
  const box = (steps: string) => `
arch: s390x
config: { edat1: false }
kernel: v6.6
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
steps:
  - boot
${steps}`;
  const freePages = (text: string) => run(text).report.memory.nodes[0]!.freePages;
  it.each([['batched', (f: () => number) => f()], ['table by table', withoutBatching]] as const)('%s: 1026 pages a hot-add', (_, how) => {
    const booted = how(() => freePages(box('')));
    const added = how(() => freePages(box('  - hot-add: { node: 0, start: 4G, size: 256M }\n  - hot-add: { node: 0, start: 8G, size: 256M }\n')));
    expect(booted - added).toBe(2 * 1026);
  });
});

describe('riscv preallocate_pgd_pages_range() failing', () => {
  /*
   * arch/riscv/mm/init.c @ v6.18 preallocate_pgd_pages_range(VMEMMAP_START, VMEMMAP_END,
   * "vmemmap"): p4d_alloc, then (not Sv57) pud_alloc, then (not Sv48) pmd_alloc; the first that
   * fails panics with "Failed to pre-allocate %s pages for %s area" naming its level: the
   * table under the PGD entry is a pmd table on Sv39, a pud table on Sv48, a p4d table on Sv57.
   * It is the first page-allocator request after boot: the injected buddy failure #1.
   */
  it.each([['sv39', 'pmd'], ['sv48', 'pud'], ['sv57', 'p4d']])('%s: the panic names the %s level', (mode, lvl) => {
    const { k } = setup_machine(`
arch: riscv64
config: { mode: ${mode} }
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0x80000000, size: 2G } ] }
faults:
  - { alloc: buddy, nth: 1 }
`);
    expect(k.s.log.filter((m) => m.text.includes('Failed to pre-allocate')).map((m) => [m.level, m.site, m.text])).toEqual([
      [0, 'arch/riscv/mm/init.c:preallocate_pgd_pages_range', `Kernel panic - not syncing: Failed to pre-allocate ${lvl} pages for vmemmap area\n`],
    ]);
  });
});

describe('the thread\'s posted vmemmap_alloc_block_buf(..., fallback=true) on powerpc', () => {
  /*
   * seed-v2-fallback, radix 64K, a 4 GiB fsdax --map=dev namespace at 64 GiB (see
   * ppc64-before-v6.1.test.ts): block 1 of the memmap is charged to the altmap (pfn 0x100020
   * after reserve 1 and 31 pfns of padding, 32 pfns a block), then the pr_debug and RAM. The
   * anomaly is said once per altmap and step: created again after a destroy (step 4), altmap
   * namespace0.0 is charged again, and said again.
   */
  it('the altmap charged for a RAM block: a kernel anomaly at each creation', () => {
    const r = run(`
arch: powerpc64
kernel: seed-v2-fallback
config: { mmu: radix, pageSize: 64K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - destroy-namespace: { device: pmem0 }
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true]);
    const text = 'as posted (thread section 4) it charges altmap namespace0.0 for every block and maps RAM instead (from pfn 0x100020, 32 pfn(s) a block): the altmap\'s alloc counts pages that no mapping uses';
    expect(r.report.kernelBugs.findings.filter((v) => v.invariant === 'kernel-anomaly').map((v) => [v.step, v.fn, v.detail])).toEqual([
      [2, 'mm/sparse-vmemmap.c:vmemmap_alloc_block_buf', text],
      [4, 'mm/sparse-vmemmap.c:vmemmap_alloc_block_buf', text],
    ]);
    expect(traceOf(renderTrace(r), 4).filter((l) => l.includes('as posted'))).toEqual([`note: mm/sparse-vmemmap.c:vmemmap_alloc_block_buf: ${text}`]);
    // the pr_debug once per block (one block each time), among __vmemmap_populate()'s lines in kernel order
    expect(r.machine.k.s.log.flatMap((m) => renderMessage(m, 1e6).filter((l) => l.includes('falling back')).map(() => m.step))).toEqual([2, 4]);
  });
});

describe('vmemmap_verify() of self-hosted memmap pages', () => {
  /*
   * powerpc radix 64K v6.12, memmap_on_memory=force (examples/powerpc64-radix-64k-dimm-
   * memmap-on-memory.yaml): a 256 MiB LMB hot-added to node 1 gets its 4 memmap pages from its
   * own start, base page by base page, each PTE through vmemmap_verify(): early_pfn_to_nid() of
   * the page is node 1 (powerpc keeps memblock, and add_memory_resource() added the LMB to it
   * with its node), the node asked for: no "potential offnode page_structs".
   */
  it('powerpc: a hot-added LMB\'s own pages are on its node', () => {
    const r = run(`
arch: powerpc64
config: { mmu: radix, pageSize: 64K }
kernel: v6.12
cmdline: memory_hotplug.memmap_on_memory=force
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
  - { id: 1, memory: [ { start: 2G, size: 2G } ] }
steps:
  - boot
  - hot-add: { node: 1, start: 0x100000000, size: 256M }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.steps[1]!.delta.memmapBacking).toMatchObject({ self: { 1: 4 * 65536 } });
    expect(r.machine.k.s.log.filter((m) => m.text.includes('offnode'))).toEqual([]);
  });
});

describe('powerpc radix__vmemmap_populate() base pages', () => {
  /*
   * radix 64K v6.12, a 4 GiB fsdax --map=dev namespace at 64 GiB + 16 MiB on node 1 (node 0 also
   * has RAM). Sections are 16 MiB: 256 pfns x 64 B = 16 KiB of memmap a call, and the first call
   * starts at vmemmap 0xc00c000000000000 + 0x100100 x 64 = 0xc00c000004004000, not PMD-aligned:
   * with an altmap radix__vmemmap_populate() takes base_mapping, maps the 64 KiB page holding
   * addr from the altmap (pfn 0x100101 after the 1-pfn reserve) and calls vmemmap_verify(pte,
   * node, addr, addr + PAGE_SIZE). The page is device memory, not in memblock: early_pfn_to_nid()
   * gives the first online node, 0, at distance 20 from node 1: pr_warn_once of
   * [addr, addr + PAGE_SIZE - 1] - v6.12 does not align addr, so the range starts 16 KiB into
   * the page (radix_pgtable.c @ v6.12: vmemmap_verify(pte, node, addr, addr + PAGE_SIZE)).
   */
  it('an unaligned first page: the offnode warning names the unaligned address', () => {
    const r = run(`
arch: powerpc64
config: { mmu: radix, pageSize: 64K }
kernel: v6.12
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
  - { id: 1, memory: [ { start: 2G, size: 2G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 1, start: 0x1001000000, size: 4G } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(traceOf(renderTrace(r), 2).slice(1, 3)).toEqual([
      'note: arch/powerpc/mm/book3s64/radix_pgtable.c:radix__vmemmap_populate: address not PMD-aligned with an altmap: base pages',
      'table alloc: 1 pte table for 0xc00c000004000000-0xc00c000004200000 (node 1, buddy)',
    ]);
    expect(r.machine.k.s.log.filter((m) => m.text.includes('offnode')).map((m) => [m.site, m.text])).toEqual([
      ['mm/sparse-vmemmap.c:vmemmap_verify', '[c00c000004004000-c00c000004013fff] potential offnode page_structs\n'],
    ]);
  });

  /*
   * The same namespace at 64 GiB (the first call PMD-aligned) with the first altmap allocation
   * failing (injected): radix__vmemmap_populate() has an altmap, so "goto base_mapping": the
   * 64 KiB page from the altmap after all (pfn 0x100001: reserve 1, no padding for one page).
   */
  it('a PMD block the altmap cannot give: a base page from the same altmap', () => {
    const r = run(`
arch: powerpc64
config: { mmu: radix, pageSize: 64K }
kernel: v6.12
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
faults:
  - { alloc: altmap, nth: 1 }
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(traceOf(renderTrace(r), 2).slice(2, 7)).toEqual([
      'note: arch/powerpc/mm/book3s64/radix_pgtable.c:radix__vmemmap_populate: no PMD_SIZE block in the altmap: base pages',
      'table alloc: 1 pte table for 0xc00c000004000000-0xc00c000004200000 (node 0, buddy)',
      'altmap namespace0.0 alloc: 1 x 1 pfns from pfn 0x100001',
      'map pte: 0xc00c000004000000-0xc00c000004010000 (64 KiB) -> altmap namespace0.0 from pfn 0x100001',
      'section activate: pfn 0x100000, 256 pages, node 0',
    ]);
  });

  /*
   * radix 4K v6.12, 256 MiB hot-added (no altmap): the first call's memmap (section 0x100000,
   * 16 MiB = 4096 pfns, 256 KiB at 0xc00c000004000000) touches one PMD slot; its PMD_SIZE block
   * from RAM is the first page-allocator request after boot and fails (injected): without an
   * altmap the kernel falls through to base_mapping and maps the range with 4 KiB pages.
   */
  it('a PMD block that RAM cannot give: base pages for the slot', () => {
    const r = run(`
arch: powerpc64
config: { mmu: radix, pageSize: 4K }
kernel: v6.12
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
faults:
  - { alloc: buddy, nth: 1 }
steps:
  - boot
  - hot-add: { node: 0, start: 0x100000000, size: 256M }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(traceOf(renderTrace(r), 2).slice(1, 6)).toEqual([
      'note: fault injection: buddy allocation #1 fails',
      'note: arch/powerpc/mm/book3s64/radix_pgtable.c:radix__vmemmap_populate: no PMD_SIZE block in RAM: base pages',
      'table alloc: 1 pte table for 0xc00c000004000000-0xc00c000004200000 (node 0, buddy)',
      'map pte: 0xc00c000004000000-0xc00c000004040000 (256 KiB) -> node 0 RAM (buddy)',
      'section activate: pfn 0x100000, 4096 pages, node 0',
    ]);
  });
});

describe('__populate_section_memmap(): a range not aligned to sub-sections', () => {
  /*
   * v5.9+ (6cda72047ea4): if (WARN_ON_ONCE(!IS_ALIGNED(pfn, PAGES_PER_SUBSECTION) ||
   * !IS_ALIGNED(nr_pages, PAGES_PER_SUBSECTION))) return NULL; - x86_64: 512 pfns a
   * sub-section. pfn 0x100100 is half way into one: NULL (-ENOMEM here) and one WARN for two
   * such calls, nothing mapped.
   */
  it('v6.18: WARN_ON_ONCE and NULL', () => {
    const { k } = setup_machine(x86('kernel: v6.18'));
    const off = pfnToOff(k, 0x100000);
    expect(__populate_section_memmap(k, 0x100100, 256, 0, null)).toBe(-12);
    expect(__populate_section_memmap(k, 0x100000, 300, 0, null)).toBe(-12);
    expect(k.s.log.filter((m) => m.site === 'mm/sparse-vmemmap.c:__populate_section_memmap').map((m) => m.text)).toEqual([
      '------------[ cut here ]------------\n',
      'WARNING: at mm/sparse-vmemmap.c __populate_section_memmap\n',
    ]);
    expect(k.s.leaves.coverage(off, off + 2 ** 21)).toBe(0);
  });

  /*
   * v5.6 rounds the range out instead: end = ALIGN(pfn + nr_pages, 512) = 0x100200, pfn &=
   * PAGE_SUBSECTION_MASK = 0x100000, so 512 pfns: 32 KiB of struct pages from pfn 0x100000's,
   * less than a section's, which x86 maps with base pages (8 PTEs).
   */
  it('v5.6: rounded out to whole sub-sections and populated', () => {
    const { k } = setup_machine(x86('kernel: v5.6'));
    const off = pfnToOff(k, 0x100000);
    expect(__populate_section_memmap(k, 0x100100, 256, 0, null)).toBe(0);
    expect([k.s.leaves.coverage(off, off + 32768), k.s.leaves.coverage(off + 32768, off + 2 ** 21)]).toEqual([32768, 0]);
    expect(k.s.log.some((m) => m.site === 'mm/sparse-vmemmap.c:__populate_section_memmap')).toBe(false);
  });
});

describe('vmemmap_verify() of PMD blocks', () => {
  /*
   * powerpc radix 64K v6.12 vmemmap_set_pmd() ends with vmemmap_verify(ptep, node, addr, next),
   * next = pmd_addr_end(addr, end) of the call. A 4 GiB fsdax --map=dev namespace at 64 GiB on
   * node 1: the first section's call [0xc00c000004000000, +16 KiB) maps the PMD from the altmap
   * (device memory, not in memblock: early_pfn_to_nid() = first online node 0, distance 20):
   * pr_warn_once of that call's part of the PMD, [addr, next - 1].
   */
  it('powerpc: the first call\'s part of a new PMD block', () => {
    const r = run(`
arch: powerpc64
config: { mmu: radix, pageSize: 64K }
kernel: v6.12
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
  - { id: 1, memory: [ { start: 2G, size: 2G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 1, start: 0x1000000000, size: 4G } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
`);
    expect(r.machine.k.s.log.filter((m) => m.text.includes('offnode')).map((m) => [m.site, m.text])).toEqual([
      ['mm/sparse-vmemmap.c:vmemmap_verify', '[c00c000004000000-c00c000004003fff] potential offnode page_structs\n'],
    ]);
  });
});

describe('s390 segment tables: one allocator request each', () => {
  /*
   * s390x EDAT-1 v6.18: memory hot-added at 128 GiB has its memmap at vmemmap + 2 GiB, past
   * the boot segment table (2048 x 1 MiB): vmem_pmd_alloc() -> crst_table_alloc() takes a new
   * 16 KiB segment table, one order-2 page-allocator request (#1). The 1 MiB frame for the
   * memmap is request #2, which fails (injected): modify_pmd_table() falls through to a page
   * table and 4 KiB pages for that frame's range.
   */
  it('the table is one request, the frame the next', () => {
    const r = run(`
arch: s390x
config: { edat1: true }
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
faults:
  - { alloc: buddy, nth: 2 }
steps:
  - boot
  - hot-add: { node: 0, start: 128G, size: 256M }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(traceOf(renderTrace(r), 2).slice(1, 5)).toEqual([
      'table alloc: 1 pmd table for 0x37280000000-0x37300000000 (node 0, buddy)',
      'note: fault injection: buddy allocation #2 fails',
      'note: vmemmap_populate_hugepages: no PMD_SIZE block in RAM for 1 PMD step: base pages instead',
      'table alloc: 1 pte table for 0x37280000000-0x37280100000 (node 0, buddy)',
    ]);
  });

  /*
   * At boot the same table comes from memblock: vmem_crst_alloc() -> memblock_alloc() of 16 KiB,
   * one request, #2 after the sparse buffer (#1). It fails (injected): vmemmap_populate() returns
   * -ENOMEM and sparse_init_nid() gives up the node ("memory map backing failed"): no section.
   */
  it('at boot: the segment table is memblock request #2', () => {
    const r = run(`
arch: s390x
config: { edat1: true }
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
faults:
  - { alloc: memblock, nth: 2 }
`);
    expect(traceOf(renderTrace(r), 1).filter((l) => l.startsWith('note: fault'))).toEqual(['note: fault injection: memblock allocation #2 fails']);
    expect(r.report.dmesg).toContain('sparse_init_nid: node[0] memory map backing failed. Some memory will not be available.');
    expect(r.report.sections.present).toBe(0);
  });
});

describe('vmemmap_populate_basepages() from a start inside a page', () => {
  /*
   * arm64 64K v6.18 maps the vmemmap with base pages (vmemmap_populate_basepages ->
   * vmemmap_populate_range: for (; addr < end; addr += PAGE_SIZE) ... vmemmap_verify(pte, node,
   * addr, addr + PAGE_SIZE)). A 1 GiB fsdax --map=dev namespace at 16 GiB + 16 MiB on node 1:
   * its first struct page (pfn 0x40100; memstart 1 GiB = pfn 0x4000) is at vmemmap + (0x40100
   * - 0x4000) x 64 = +0xf04000, 16 KiB into its 64 KiB page, and that page comes from the
   * altmap: device memory, outside memblock, so early_pfn_to_nid() is node 0, at distance 20
   * from node 1: pr_warn_once of [addr, addr + PAGE_SIZE - 1] with the unaligned addr.
   */
  it('arm64 64K: the offnode warning keeps the start\'s offset into the page', () => {
    const r = run(`
arch: arm64
config: { pageSize: 64K }
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
  - { id: 1, memory: [ { start: 8G, size: 4G } ] }
devices: [ { name: pmem0, type: nvdimm, node: 1, start: 0x401000000, size: 1G } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.machine.k.s.log.filter((m) => m.text.includes('offnode')).map((m) => m.text)).toEqual(['[ffffffdfc0f04000-ffffffdfc0f13fff] potential offnode page_structs\n']);
  });
});

describe('x86 vmemmap_set_pmd() tracker: a new line where the backing changes', () => {
  /*
   * The v5.10 leaked sparse buffer (test/sparse-paths.test.ts): the hot-add of 2 GiB at 66 GiB
   * maps its first 8 PMDs (16 MiB) from node 1's boot buffer, which is one physically contiguous
   * block, and the other 8 from the buddy allocator, somewhere else: p_end != p at the switch,
   * so vmemmap_set_pmd() prints the buffer's run and starts a new one. Physical addresses the
   * model cannot know print as (unknown), the lines marked approximate.
   */
  it('the boot buffer\'s PMDs, then the buddy allocator\'s: two lines', () => {
    const r = run(`
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
    expect(stepOf(r, 2).dmesg.filter((m) => m.text.includes('PMD ->')).map((m) => [m.text, m.approx])).toEqual([
      [' [ffffea0042000000-ffffea0042ffffff] PMD -> [(unknown)-(unknown)] on node 1\n', true],
      [' [ffffea0043000000-ffffea0043ffffff] PMD -> [(unknown)-(unknown)] on node 1\n', true],
    ]);
  });
});

describe('loongarch64: a batch over PMDs that already hold PTE tables', () => {
  /*
   * loongarch64 16K/3 levels v6.18: sections of 512 MiB (2 MiB of memmap each), PMD_SIZE 32 MiB
   * (16 sections' memmap), the memmap of 16 GiB at 16 GiB in two PMDs. Hot-adding one section at
   * the start of each: the PMD block is buddy request #1 and fails (injected), so
   * vmemmap_populate_hugepages() maps the section with base pages - a PTE table (#2) and 128
   * pages of 16 KiB (#3..#130); the second section's PMD block, #131, fails too. vmemmap_free()
   * is an empty function on loongarch (arch/loongarch/mm/init.c): after the hot-removes both PMDs
   * keep their PTE tables and pages. Hot-adding all 16 GiB: 32 section calls, one batch whose
   * PMD run has 2 steps that vmemmap_check_pmd() does not accept (not _PAGE_HUGE), so
   * vmemmap_populate_basepages() per PMD step maps the rest of both: all 64 MiB of memmap
   * present (node 0: 32 MiB boot memmap for 8 GiB + 64 MiB), nothing unmapped.
   */
  it('base pages for every PMD step of the run', () => {
    const r = run(`
arch: loongarch64
nodes: [ { id: 0, memory: [ { start: 0, size: 8G } ] } ]
faults: [ { alloc: buddy, nth: 1 }, { alloc: buddy, nth: 131 } ]
steps:
  - boot
  - { hot-add: { node: 0, start: 0x400000000, size: 512M } }
  - { hot-add: { node: 0, start: 0x600000000, size: 512M } }
  - { hot-remove: { start: 0x400000000, size: 512M } }
  - { hot-remove: { start: 0x600000000, size: 512M } }
  - { hot-add: { node: 0, start: 0x400000000, size: 16G } }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true, true, true]);
    const t = renderTrace(r);
    for (const [step, nth] of [[2, 1], [3, 131]] as const) {
      expect(traceOf(t, step).filter((l) => l.startsWith('note:'))).toEqual([
        `note: fault injection: buddy allocation #${nth} fails`,
        'note: vmemmap_populate_hugepages: no PMD_SIZE block in RAM for 1 PMD step: base pages instead',
      ]);
    }
    expect(traceOf(t, 6).filter((l) => l.startsWith('note:'))).toEqual([
      'note: vmemmap_populate_hugepages: the PMD already holds a PTE table (2 PMD steps): base pages',
    ]);
    expect(r.report.memmapBacking.ram).toEqual({ 0: (32 + 64) * 2 ** 20 });
    expect([stepOf(r, 6).violations, stepOf(r, 6).kernelBugs]).toEqual([[], []]);
  });
});

describe('x86 vmemmap_set_pmd() tracker: a new line for a new node', () => {
  /*
   * x86_64 v6.18, node 0 [0, 4G) and node 1 [4G, 5G), with both boot sparse buffers failing:
   * memblock request #1 is node 0's buffer; then its PUD and PMD tables (#2, #3) and its 32 PMD
   * blocks from memblock one by one (#4..#35); #36 is node 1's buffer. Both nodes' memmap is plain
   * memblock memory, but vmemmap_set_pmd() starts a new line when node_start != node: one line per
   * node (node 0's 64 MiB of memmap, node 1's 16 MiB after it).
   */
  it('memblock blocks of two nodes: one line each', () => {
    const r = run(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
  - { id: 1, memory: [ { start: 4G, size: 1G } ] }
faults: [ { alloc: memblock, nth: 1 }, { alloc: memblock, nth: 36 } ]
`);
    expect(traceOf(renderTrace(r), 1).filter((l) => l.includes('sparse buffer'))).toEqual([
      'note: sparse buffer: 67108864 bytes on node 0 failed; every block comes from memblock',
      'note: sparse buffer: 16777216 bytes on node 1 failed; every block comes from memblock',
    ]);
    expect(r.report.dmesg.filter((l) => l.includes('PMD ->'))).toEqual([
      ' [ffffea0000000000-ffffea0003ffffff] PMD -> [(unknown)-(unknown)] on node 0',
      ' [ffffea0004000000-ffffea0004ffffff] PMD -> [(unknown)-(unknown)] on node 1',
    ]);
  });
});

describe('arm64 v5.10 vmemmap_populate(): no fallback', () => {
  /*
   * arch/arm64/mm/mmu.c @ v5.10: p = vmemmap_alloc_block_buf(PMD_SIZE, node, altmap); if (!p)
   * return -ENOMEM; - no base pages. A 1 GiB hot-add (one arm64 v5.10 section) whose first PMD
   * block, the first page-allocator request after boot, fails (injected) fails with -ENOMEM.
   */
  it('a PMD block RAM cannot give: -ENOMEM', () => {
    const r = run(`
arch: arm64
config: { pageSize: 4K }
kernel: v5.10
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
faults: [ { alloc: buddy, nth: 1 } ]
steps:
  - boot
  - hot-add: { node: 0, start: 8G, size: 1G }
`);
    expect(stepOf(r, 2).errno).toBe('ENOMEM');
    expect(traceOf(renderTrace(r), 2).filter((l) => l.startsWith('note:'))).toEqual([
      'note: fault injection: buddy allocation #1 fails',
      'note: vmemmap_populate_hugepages: no PMD_SIZE block in RAM: -ENOMEM (this version has no fallback)',
    ]);
  });
});

describe('arm64 v6.1 vmemmap_populate(): base pages from the same altmap', () => {
  /*
   * arch/arm64/mm/mmu.c @ v6.1 (since 9f84f39f5515, v5.11): when vmemmap_alloc_block_buf(PMD_SIZE,
   * node, altmap) fails, vmemmap_populate_basepages(addr, next, node, altmap) for that 2 MiB
   * step - from the same altmap. A 1 GiB fsdax --map=dev namespace (8 sections, one PMD block
   * each) whose 3rd altmap allocation fails (injected): the note says so, the step comes up.
   */
  it('the note names the altmap the base pages come from', () => {
    const r = run(`
arch: arm64
kernel: v6.1
config: { pageSize: 4K }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 4G }
faults: [ { alloc: altmap, nth: 3 } ]
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 1G }
`);
    expect(stepOf(r, 2).ok).toBe(true);
    expect(traceOf(renderTrace(r), 2).filter((l) => l.startsWith('note:'))).toEqual([
      'note: fault injection: altmap allocation #3 fails',
      'note: vmemmap_populate_hugepages: no PMD_SIZE block in the altmap for 1 PMD step: base pages instead (from the same altmap)',
    ]);
  });
});

describe('s390 vmemmap_use_sub_pmd(): a reused frame is in use again', () => {
  /*
   * s390x EDAT-1 v6.18, as in 'a frame of a neighbour's altmap is reused': namespace1.0's first
   * frame is partly used (vmemmap_use_new_sub_pmd() marks the rest PAGE_UNUSED), then
   * namespace0.0 maps its last struct pages through it (vmemmap_use_sub_pmd(): in use again).
   * Destroying namespace1.0: vmemmap_unuse_sub_pmd() finds namespace0.0's part still in use, so
   * the frame stays (1 MiB still counted to namespace1.0's old altmap) and namespace0.0's struct
   * pages stay mapped.
   */
  it('destroying the frame\'s first user keeps the frame', () => {
    const r = run(`
arch: s390x
config: { edat1: true }
kernel: v6.18
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 160M }
  - { name: pmem1, type: nvdimm, node: 0, start: 0x40a000000, size: 160M }
steps:
  - boot
  - create-namespace: { device: pmem1, mode: devdax, map: dev }
  - create-namespace: { device: pmem0, mode: devdax, map: dev }
  - destroy-namespace: { device: pmem1 }
`);
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true]);
    expect(stepOf(r, 4).kernelBugs.filter((v) => v.invariant === 'memmap-coverage')).toEqual([]);
    expect(r.report.memmapBacking.altmap).toEqual({ 'namespace0.0': 2 * 2 ** 20, 'namespace1.0~destroyed-step4': 2 ** 20 });
  });
});
