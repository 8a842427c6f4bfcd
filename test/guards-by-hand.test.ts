/**
 * Guards of the kernel model that no scenario reaches, run on states built by hand on a booted
 * machine. mm/sparse-vmemmap.c's populate paths: base pages asked for over a PMD leaf (the
 * generic vmemmap_populate_basepages() and powerpc radix's PTE loop), x86 <= v6.1's hugepages
 * over a PMD that already holds a PTE table with an altmap, and a PMD block of an altmap found
 * again by vmemmap_populate_hugepages() (staleAltmapFrames()). Each pins what the model does
 * there, so that a change to the guard is seen (docs/testing.md, src/kernel's "left").
 * device-dax compound pages (vmemmap_populate_compound_pages()) reusing a page that is not a
 * compound tail page, or a section holding a head. mm/sparse.c: a sub-section deactivated twice.
 */
import { describe, expect, it } from 'vitest';
import { __populate_section_memmap, ppc_basepages_fallback, vmemmap_populate_basepages, vmemmap_populate_hugepages } from '../src/kernel/sparse-vmemmap.js';
import { section_deactivate } from '../src/kernel/sparse.js';
import { ENOMEM, pfnToOff, type Kernel } from '../src/kernel/state.js';
import { setup_machine } from './helpers.js';

const x86 = (kernel: string) => `
arch: x86_64
kernel: ${kernel}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
`;

/** An altmap made by hand over [pfn, pfn + n): no reserve, nothing allocated. */
function handAltmap(k: Kernel, id: string, pfn: number, n: number): void {
  k.s.altmaps.set(id, { id, base_pfn: pfn, end_pfn: pfn + n - 1, reserve: 0, free: n, align: 0, alloc: 0, owner: id, device: id });
}

const ptes = (k: Kernel, a: number, b: number) => k.s.tables.pte.coverage(a, b);

describe('base pages asked for over a PMD leaf', () => {
  /*
   * x86 v6.18, 4 GiB at 0: the boot memmap of pfn 0.. is mapped by 2 MiB PMD blocks
   * (VMEMMAP_START 0xffffea0000000000, 64 bytes a pfn). vmemmap_pte_populate() under a huge PMD would take
   * the block's struct pages for a PTE table: the model maps nothing, allocates no PTE table,
   * and says so in the trace; the call returns 0 (the kernel's loop does not fail there).
   */
  it('vmemmap_populate_basepages(): skipped with a note, no PTE table', () => {
    const { k } = setup_machine(x86('v6.18'));
    const off = pfnToOff(k, 0);
    const P = k.c.PAGE_SIZE;
    const traced = k.s.trace.length;
    expect(vmemmap_populate_basepages(k, off, off + 4 * P, 0, null)).toBe(0);
    // one note per page, as the kernel's loop meets the PMD once per PAGE_SIZE step
    expect(k.s.trace.slice(traced)).toEqual(['0', '1', '2', '3'].map((i) => ({ t: 'note', text: `vmemmap_populate_basepages over a PMD leaf at ffffea000000${i}000: the kernel would corrupt memory; skipped` })));
    expect(ptes(k, off, off + k.c.PMD_SIZE)).toBe(0);
  });

  /*
   * powerpc radix (v6.12, 64K pages): the boot memmap is mapped by 2 MiB PMD leaves. The
   * radix PTE loop (radix__vmemmap_pte_populate(), via ppc_basepages_fallback()) is passed only
   * PMDs that are none or hold a table; over a leaf the model does nothing at all.
   */
  it('powerpc radix base pages: nothing mapped, no PTE table', () => {
    const { k } = setup_machine(`
arch: powerpc64
kernel: v6.12
config: { mmu: radix, pageSize: 64K }
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
`);
    const off = pfnToOff(k, 0);
    const P = k.c.PAGE_SIZE;
    expect(k.s.leaves.get(off)?.level).toBe('pmd');
    const leaves = [...k.s.leaves].length;
    const pagesBefore = k.s.nodes[0]!.freePages;
    expect(ppc_basepages_fallback(k, off, off + 2 * P, 0, null)).toBe(0);
    expect(ptes(k, off, off + k.c.PMD_SIZE)).toBe(0);
    expect([...k.s.leaves].length).toBe(leaves);
    expect(k.s.nodes[0]!.freePages).toBe(pagesBefore);
  });
});

describe('x86 <= v6.1: hugepages over a PMD that holds a PTE table, with an altmap', () => {
  /*
   * arch/x86/mm/init_64.c vmemmap_populate_hugepages() @ v6.1: a PMD that is present but not
   * a leaf goes to vmemmap_populate_basepages(addr, next, node, NULL): no altmap, so the base
   * pages come from RAM even when the call has one (v6.2+'s generic copy passes the altmap).
   * The PMD at 64 GiB's memmap gets a PTE table from one base page first.
   */
  it.each([
    ['v6.1', ' from RAM (x86 <= v6.1 passes no altmap)', 0],
    ['v6.18', '', 512 - 1],
  ])('%s', (kernel, tail, fromAltmap) => {
    const { k } = setup_machine(x86(kernel));
    const pfn = 0x1000000; // 64 GiB
    const off = pfnToOff(k, pfn);
    handAltmap(k, 't', 0x2000000, 4096);
    expect(vmemmap_populate_basepages(k, off, off + k.c.PAGE_SIZE, 0, null)).toBe(0);
    const traced = k.s.trace.length;
    expect(vmemmap_populate_hugepages(k, off, off + k.c.PMD_SIZE, 0, 't')).toBe(0);
    expect(k.s.trace.slice(traced).map((t) => (t.t === 'note' ? t.text : t.t))).toContain(
      `vmemmap_populate_hugepages: the PMD already holds a PTE table (1 PMD step): base pages${tail}`,
    );
    // the other 511 pages of the PMD: from the altmap only where the altmap is passed
    expect(k.s.altmaps.get('t')!.alloc).toBe(fromAltmap);
  });
});

describe('vmemmap_populate_hugepages() finding a PMD block of its own altmap', () => {
  /*
   * x86 v6.18, an altmap made by hand at pfn 0x2000000 (128 GiB): the memmap of [64 GiB,
   * 64 GiB + 256 MiB) takes two 2 MiB blocks of it, pfns 0x2000000.. and 0x2000200.. (512
   * pfns each): next pfn 0x2000400. Populating the second PMD again finds its block, whose
   * pfns end exactly at the next pfn: allocated by this altmap, nothing to say. Once the
   * altmap counts only the first block as allocated (as a re-created altmap would, alloc from
   * 0, with a block kept from its earlier life), the same call reports the block's pfns as
   * handed out twice.
   */
  const setup = () => {
    const { k } = setup_machine(x86('v6.18'));
    const off = pfnToOff(k, 0x1000000);
    handAltmap(k, 't', 0x2000000, 1 << 16);
    const PMD = k.c.PMD_SIZE;
    expect(vmemmap_populate_hugepages(k, off, off + 2 * PMD, 0, 't')).toBe(0);
    expect(k.s.altmaps.get('t')!.alloc).toBe(1024);
    return { k, off, PMD };
  };
  it('its last block, found again: no anomaly', () => {
    const { k, off, PMD } = setup();
    const anomalies = k.s.anomalies.length;
    expect(vmemmap_populate_hugepages(k, off + PMD, off + 2 * PMD, 0, 't')).toBe(0);
    expect(vmemmap_populate_hugepages(k, off, off + PMD, 0, 't')).toBe(0);
    expect(k.s.anomalies.length).toBe(anomalies);
    expect(k.s.altmaps.get('t')!.alloc).toBe(1024);
  });
  it('a block beyond what the altmap counts: the anomaly names it', () => {
    const { k, off, PMD } = setup();
    k.s.altmaps.get('t')!.alloc = 512;
    const anomalies = k.s.anomalies.length;
    expect(vmemmap_populate_hugepages(k, off + PMD, off + 2 * PMD, 0, 't')).toBe(0);
    expect(k.s.anomalies.slice(anomalies).map((a) => a.text)).toEqual([
      'the PMD block at ffffea0040200000 (pfn 0x2000200) was mapped from an earlier life of altmap t and is reused, but the re-created altmap counts its pfns as free (next pfn 0x2000200): another allocation would hand them out again, and freeing the block through this altmap takes alloc below what it allocated',
    ]);
  });
});

describe('section_deactivate() over sub-sections already clear', () => {
  /*
   * mm/sparse.c clear_subsection_map() (v5.7+; inside section_deactivate() in v5.6): WARN(...,
   * "section already deactivated (%#lx + %ld)\n", pfn, nr_pages) when a sub-section bit of the
   * range is clear, and section_deactivate() returns without touching the section. The model
   * reaches it only by hand: offline_pages() refuses a block with holes, so a removal never
   * meets a present section whose sub-sections are not all active. Boot RAM's sub-section at
   * pfn 0x10000 (256 MiB), deactivated twice.
   */
  it('the WARN, and nothing else, the second time', () => {
    const { k } = setup_machine(x86('v6.18'));
    section_deactivate(k, 0x10000, 512, null);
    const logged = k.s.log.length;
    const traced = k.s.trace.length;
    const sections = [...k.s.sections];
    section_deactivate(k, 0x10000, 512, null);
    expect(k.s.log.slice(logged).map((m) => [m.level, m.site, m.text])).toEqual([
      [4, 'mm/sparse.c:clear_subsection_map', '------------[ cut here ]------------\n'],
      [4, 'mm/sparse.c:clear_subsection_map', 'section already deactivated (0x10000 + 512)\n'],
      [4, 'mm/sparse.c:clear_subsection_map', 'WARNING: at mm/sparse.c clear_subsection_map\n'],
    ]);
    expect(k.s.trace.length).toBe(traced);
    expect([...k.s.sections]).toEqual(sections);
  });
});

describe('vmemmap_populate_compound_pages(): reusing the page before a section', () => {
  /*
   * x86 v6.18, device-dax with 1 GiB compound pages (nr 262144 > PAGES_PER_SUBSECTION 512): a
   * section call that starts inside a compound page (reuse_compound_section()) maps every PTE
   * of its memmap to the page behind the PTE before it (compound_section_tail_page()), which
   * sequential population makes the previous section's tail page. Called by hand out of order:
   */
  const pgmap = (rangeStartPfn: number) => ({ id: 'dax0.0', nr: 262144, rangeStartPfn });
  const S = 0x8000; // pfns a section
  const at = (k: Kernel, pfn: number) => k.s.leaves.get(pfnToOff(k, pfn));

  it('nothing before it: an anomaly, -ENOMEM, nothing mapped', () => {
    const { k } = setup_machine(x86('v6.18'));
    const base = 0x1000000; // 64 GiB
    const anomalies = k.s.anomalies.length;
    expect(__populate_section_memmap(k, base + S, S, 0, null, 1, pgmap(base))).toBe(ENOMEM);
    expect(k.s.anomalies.slice(anomalies).map((a) => [a.site, a.text])).toEqual([
      ['mm/sparse-vmemmap.c:vmemmap_populate_compound_pages', 'device-dax compound pages at ffffea0040200000 reuse the page behind the PTE before them, which maps nothing, not a compound tail page: compound_section_tail_page() does not check; the model stops with -ENOMEM'],
    ]);
    expect(k.s.trace.at(-1)).toEqual({ t: 'note', text: `${k.s.anomalies.at(-1)!.site}: ${k.s.anomalies.at(-1)!.text}` });
    expect(at(k, base + S)).toBeUndefined();
  });

  it('a base page of RAM before it: the same, naming what is there', () => {
    const { k } = setup_machine(x86('v6.18'));
    const base = 0x1000000;
    const off = pfnToOff(k, base + S);
    expect(vmemmap_populate_basepages(k, off - k.c.PAGE_SIZE, off, 0, null)).toBe(0);
    const anomalies = k.s.anomalies.length;
    expect(__populate_section_memmap(k, base + S, S, 0, null, 1, pgmap(base))).toBe(ENOMEM);
    expect(k.s.anomalies.slice(anomalies).map((a) => a.text)).toEqual([
      'device-dax compound pages at ffffea0040200000 reuse the page behind the PTE before them, which maps a PTE of ram memmap, not a compound tail page: compound_section_tail_page() does not check; the model stops with -ENOMEM',
    ]);
    expect(at(k, base + S)).toBeUndefined();
  });

  /*
   * A range starting 2 MiB into a section (pfn 0x1000200): compound page 1's head, pfn
   * 0x1040200, lies inside the section call [0x1040000, 0x1048000), which starts inside compound
   * page 0 and so reuses: the kernel maps that whole memmap, the head's struct page included,
   * to compound page 0's tail page. The model maps it as one alias (period 0) of the page before.
   * (nd_pfn aligns a device-dax range to its compound size, so no namespace builds this.)
   */
  it('a head inside a reused section: the whole section aliases the previous tail page', () => {
    const { k } = setup_machine(x86('v6.18'));
    const start = 0x1000200;
    expect(__populate_section_memmap(k, start, 0x1008000 - start, 0, null, 1, pgmap(start))).toBe(0);
    for (let sec = 0x1008000; sec <= 0x1040000; sec += S) expect(__populate_section_memmap(k, sec, S, 0, null, 1, pgmap(start))).toBe(0);
    const prev = k.s.leaves.get(pfnToOff(k, 0x1040000) - k.c.PAGE_SIZE)!;
    expect(prev.b).toMatchObject({ kind: 'compound', pgmap: 'dax0.0', period: 262144 * 64 / 4096 });
    for (const pfn of [0x1040000, 0x1040200, 0x1047fff]) expect(at(k, pfn)?.b).toEqual({ ...prev.b, period: 0 });
  });
});
