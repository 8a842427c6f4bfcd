/**
 * Which branch of the arch's vmemmap_populate() runs, per arch, granule and kernel generation,
 * and what `vmemlab explain` says about it (the model records each call's path and reason).
 * Kernel: arch/arm64/mm/mmu.c vmemmap_populate() @ v5.6, v5.9, v6.1, v6.6, v6.18 and Robin
 * Murphy's sketch (docs/thread.md §3); arch/x86/mm/init_64.c vmemmap_populate() @ v6.18.
 * Mutation testing (docs/testing.md) found these reasons and conditions untested.
 */
import { describe, expect, it } from 'vitest';
import { run, stepOf } from './helpers.js';

const machine = (arch: string, kernel: string, config: string, step: string) => `
arch: ${arch}
kernel: ${kernel}
config: ${config}
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x400000000, size: 4G }
steps:
  - boot
  - ${step}
`;
const ns = (size: string) => `create-namespace: { device: pmem0, mode: fsdax, map: dev, size: ${size} }`;
const hotAdd = 'hot-add: { node: 0, start: 0x400000000, size: 1G }';

/** The distinct (path: reason) pairs of the populate calls made with an altmap (or without). */
function decisions(r: ReturnType<typeof run>, withAltmap: boolean): string[] {
  const out = new Set<string>();
  for (const e of r.machine.k.s.trace) if (e.t === 'populate' && (e.altmap !== null) === withAltmap) out.add(`${e.path}: ${e.why}`);
  return [...out];
}

describe('arm64 vmemmap_populate() by generation', () => {
  /*
   * v6.14+ (v6.18): 16K/64K -> vmemmap_populate_basepages(start, end, node, altmap); 4K ->
   * vmemmap_populate_hugepages() for whole sections, base pages for a range smaller than a
   * section's memmap. The WARN_ON_ONCE(end - start > PAGES_PER_SECTION * sizeof(struct page))
   * never fires: sparse_add_section() populates at most one section per call.
   * 1040 MiB on 4K = 8 sections + 16 MiB: the 16 MiB tail is 8 sub-sections.
   */
  it('v6.18 4K: hugepages for whole sections, base pages from the altmap for the sub-section tail', () => {
    const r = run(machine('arm64', 'v6.18', '{ pageSize: 4K }', ns('1040M')));
    expect(decisions(r, true)).toEqual([
      'hugepages: 4K pages, whole sections: PMD-sized blocks from the altmap (vmemmap_populate_hugepages)',
      "basepages: less than a section's memmap (a sub-section range): base pages from the altmap",
    ]);
    expect(r.report.dmesg.filter((l) => l.startsWith('WARNING: at arch/arm64'))).toEqual([]);
  });

  it('v6.18 64K: base pages from the altmap; no WARN for one section per call', () => {
    const r = run(machine('arm64', 'v6.18', '{ pageSize: 64K }', ns('1G')));
    expect(stepOf(r, 2).ok).toBe(true);
    expect(decisions(r, true)).toEqual(['basepages: 64K pages: arm64 maps the vmemmap with base pages from the altmap']);
    expect(r.report.dmesg.filter((l) => l.startsWith('WARNING: at arch/arm64'))).toEqual([]);
  });

  /* v6.2..v6.13: 16K/64K base pages (with the altmap); 4K the generic vmemmap_populate_hugepages(). */
  it('v6.6: generic hugepages on 4K, base pages on 16K, both with the altmap', () => {
    const r4 = run(machine('arm64', 'v6.6', '{ pageSize: 4K }', ns('1G')));
    expect(decisions(r4, true)).toEqual(['hugepages: 4K pages: PMD-sized blocks from the altmap (vmemmap_populate_hugepages)']);
    expect(decisions(r4, false)).toEqual(['hugepages: 4K pages: PMD-sized blocks (vmemmap_populate_hugepages)']);
    const r16 = run(machine('arm64', 'v6.6', '{ pageSize: 16K }', ns('1G')));
    expect(decisions(r16, true)).toEqual(['basepages: 16K pages: arm64 maps the vmemmap with base pages (vmemmap_populate_basepages) from the altmap']);
  });

  /* v5.9 (eee07935bb52) .. v6.1: arm64's own PMD loop on 4K, passing the altmap. */
  it('v6.1 4K: arm64 own PMD loop with the altmap', () => {
    const r = run(machine('arm64', 'v6.1', '{ pageSize: 4K }', ns('1G')));
    expect(decisions(r, true)).toEqual(["hugepages: 4K pages: PMD-sized blocks from the altmap (arm64's own PMD loop)"]);
  });

  /* v5.6: no altmap parameter used at all (and no ZONE_DEVICE on arm64): RAM hot-add only. */
  it('v5.6: hot-added RAM, 4K PMD loop and 64K base pages', () => {
    expect(decisions(run(machine('arm64', 'v5.6', '{ pageSize: 4K }', hotAdd)), false)).toEqual(["hugepages: 4K pages: PMD-sized blocks (arm64's own PMD loop)"]);
    expect(decisions(run(machine('arm64', 'v5.6', '{ pageSize: 64K }', hotAdd)), false)).toEqual(['basepages: 64K pages: arm64 maps the vmemmap with base pages (vmemmap_populate_basepages)']);
  });

  /*
   * Robin Murphy's sketch (docs/thread.md §3): the v5.6 function, altmap dropped; 16K/64K get
   * tables and one base page per PMD step. Expect the altmap named as ignored, and the namespace
   * to succeed with its memmap in RAM.
   */
  it("robin-arm64: the altmap ignored, 'one page per PMD' on 64K", () => {
    const r64 = run(machine('arm64', 'robin-arm64', '{ pageSize: 64K }', ns('1G')));
    // one page per PMD step leaves most struct pages unmapped: move_pfn_range_to_zone() writes
    // them (memmap_init_zone in the sketch's v5.6 base) and the model predicts the oops
    expect(stepOf(r64, 2)).toMatchObject({ ok: false, oops: { fn: 'memmap_init_zone' } });
    expect(decisions(r64, true)).toEqual([
      "one-page-per-pmd: 64K pages under Robin Murphy's sketch: tables and one base page per PMD step, the altmap ignored (the sketch's arm64 vmemmap_populate() takes none)",
    ]);
    const r4 = run(machine('arm64', 'robin-arm64', '{ pageSize: 4K }', ns('1G')));
    expect(decisions(r4, true)).toEqual([
      "hugepages: 4K pages: PMD-sized blocks, the altmap ignored (the sketch's arm64 vmemmap_populate() takes none) (arm64's own PMD loop)",
    ]);
    expect(r4.report.altmaps[0]).toMatchObject({ alloc: 0 });
  });

  /*
   * The sketch's loop returns -ENOMEM when a page cannot be allocated: with the first page
   * allocation after boot failing (the one base page of the first 512 MiB section's PMD step),
   * the namespace's probe fails with -12 (v5.6 message format).
   */
  it('robin-arm64 64K: a failed page allocation is -ENOMEM for the namespace', () => {
    const r = run(machine('arm64', 'robin-arm64', '{ pageSize: 64K }', ns('1G')).replace('steps:', 'faults: [ { alloc: buddy, nth: 1 } ]\nsteps:'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(r.report.dmesg).toEqual(expect.arrayContaining([
      '<comm>: vmemmap alloc failure: order:0, mode:0x4cc0(GFP_KERNEL|__GFP_RETRY_MAYFAIL), nodemask=(null)',
      'nd_pmem: probe of pfn0.0 failed with error -12',
    ]));
  });
});

describe('x86_64 vmemmap_populate() @ v6.18', () => {
  /*
   * end - start < PAGES_PER_SECTION * sizeof(struct page) (a sub-section) -> base pages, NULL
   * altmap; else with PSE -> vmemmap_populate_hugepages(start, end, node, altmap); an altmap
   * without PSE -> pr_err_once("no cpu support for altmap allocations"), -ENOMEM; else base pages.
   */
  it('PSE: hugepages from the altmap for whole sections, base pages from RAM for the tail', () => {
    const r = run(machine('x86_64', 'v6.18', '{}', ns('1040M')));
    expect(decisions(r, true)).toEqual([
      'hugepages: whole sections with PSE: PMD-sized blocks from the altmap (vmemmap_populate_hugepages)',
      "basepages: less than a section's memmap (a sub-section range): base pages from RAM, the altmap ignored",
    ]);
    expect(decisions(r, false)).toEqual(['hugepages: whole sections with PSE: PMD-sized blocks (vmemmap_populate_hugepages)']);
    // --map=mem: no altmap to ignore
    const mem = run(machine('x86_64', 'v6.18', '{}', ns('1040M').replace('map: dev', 'map: mem')));
    expect(decisions(mem, false)).toContain("basepages: less than a section's memmap (a sub-section range): base pages from RAM");
  });

  it('no PSE: an altmap is -ENOMEM with the pr_err; hot-added RAM gets base pages', () => {
    const r = run(machine('x86_64', 'v6.18', '{ pse: false }', ns('1G')));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(decisions(r, true)).toEqual(['enomem: an altmap without PSE: "no cpu support for altmap allocations", -ENOMEM']);
    expect(r.report.dmesg).toContain('vmemmap_populate: no cpu support for altmap allocations');
    expect(decisions(run(machine('x86_64', 'v6.18', '{ pse: false }', hotAdd)), false)).toEqual(['basepages: no PSE: base pages']);
  });
});

describe('arm64 4K: a PMD block that cannot be allocated, by generation', () => {
  /*
   * A 1 GiB namespace (8 sections, one 2 MiB PMD block of memmap each) whose 3rd altmap
   * allocation fails, or a 1 GiB RAM hot-add whose 3rd page-allocator allocation fails (1: the
   * PMD table, 2: the first PMD block, 3: the second PMD block).
   *   v5.9/v5.10 arm64's own loop: -ENOMEM, no fallback, for RAM as well (no base pages);
   *   v5.11..v6.1 (9f84f39f5515): vmemmap_populate_basepages(addr, next, node, altmap) for that
   *     2 MiB step, from the same altmap: the namespace comes up with 512 PTEs, alloc = 8 * 512;
   *   v6.2+ generic vmemmap_populate_hugepages(): with an altmap -ENOMEM (the two blocks before
   *     stay: alloc 2 * 512); without one, base pages from RAM for the step.
   */
  const faulty = (kernel: string, fault: string, step: string) => machine('arm64', kernel, '{ pageSize: 4K }', step).replace('steps:', `faults: [ ${fault} ]\nsteps:`);
  const altmapFails = (kernel: string) => run(faulty(kernel, '{ alloc: altmap, nth: 3 }', ns('1G')));
  const ramFails = (kernel: string) => run(faulty(kernel, '{ alloc: buddy, nth: 3 }', hotAdd));
  const ptes = (r: ReturnType<typeof run>) => r.report.vmemmap.ranges.filter((x) => x.level === 'pte').reduce((t, x) => t + x.size, 0) / 4096;

  it('v5.10: -ENOMEM from the altmap and from RAM alike', () => {
    expect(stepOf(altmapFails('v5.10'), 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    const r = ramFails('v5.10');
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(r.report.dmesg.some((l) => l.includes('vmemmap alloc failure: order:9'))).toBe(true);
    expect(ptes(r)).toBe(0);
  });

  it('v6.1: base pages for the failed step, from the same altmap', () => {
    const r = altmapFails('v6.1');
    expect(stepOf(r, 2).ok).toBe(true);
    expect(r.report.altmaps[0]).toMatchObject({ alloc: 8 * 512, align: 510 });
    expect(ptes(r)).toBe(512);
    expect(ptes(ramFails('v6.1'))).toBe(512);
  });

  it('v6.18: -ENOMEM with an altmap (two blocks stay), base pages from RAM without', () => {
    const r = altmapFails('v6.18');
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(r.report.altmaps[0]).toMatchObject({ alloc: 2 * 512 });
    const ram = ramFails('v6.18');
    expect(stepOf(ram, 2).ok).toBe(true);
    expect(ptes(ram)).toBe(512);
    expect(ram.report.dmesg.some((l) => l.includes('vmemmap alloc failure: order:9'))).toBe(true);
  });

  it('v6.6 (v6.2 generic loop): as v6.18', () => {
    expect(stepOf(altmapFails('v6.6'), 2)).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(stepOf(ramFails('v6.6'), 2).ok).toBe(true);
  });
});
