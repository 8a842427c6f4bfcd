/**
 * mm/sparse.c @ v6.18: present sections at boot (memory_present), sparse_init() and
 * sparse_init_nid() with the boot sparse buffer, subsection_map_init(), and the hot-plug
 * side: sparse_add_section() / section_activate() and sparse_remove_section() /
 * section_deactivate(). Loops over sections run as runs of identical sections (engine.ts).
 *
 * Not modelled: the usemap (mem_section_usage) and mem_section root allocations (a few
 * hundred bytes per section; their failure paths), page_init_poison (no state).
 */
import { alignDown, alignUp } from '../util/bits.js';
import { runSteps, unusual } from './engine.js';
import { memblock_alloc, memblock_free } from './memblock.js';
import { pr_err, pr_debug, printk, WARN } from './printk.js';
import { __populate_section_memmap, vmemmap_populate_print_last } from './sparse-vmemmap.js';
import { EEXIST, EINVAL, ENOMEM, pfnToOff, section_nr_to_pfn, type Kernel, type PgmapGeom, type SectionInfo } from './state.js';
import type { RamBlock } from './sparse-vmemmap.js';
import { vmemmap_free } from './vmemmap-free.js';

const FILE = 'mm/sparse.c';

// ---------------------------------------------------------------------------------------
// The boot sparse buffer

/** sparse_buffer_init(size, nid): one block on exactly `nid`, aligned to section_map_size(). */
export function sparse_buffer_init(k: Kernel, size: number, nid: number): void {
  WARN(k, k.s.sparseBuffer !== null, FILE + ':sparse_buffer_init', null);
  // (a leaked buffer's pointer is simply overwritten)
  // memmap_alloc(size, section_map_size(), __pa(MAX_DMA_ADDRESS), nid, true)
  const f = memblock_alloc(k, size, k.c.SECTION_MAP_SIZE, k.arch.cfg.memblockGoal, nid, true);
  k.s.sparseBuffer = f ? { nid, base: f.addr, ptr: f.addr, end: f.addr + size, key: k.s.nextKey++ } : null;
  k.s.trace.push({ t: 'note', text: f ? `sparse buffer: ${size} bytes on node ${nid}` : `sparse buffer: ${size} bytes on node ${nid} failed; every block comes from memblock` });
}

/** sparse_buffer_alloc(size) x count: round the cursor up to `size`, give the gap back. */
export function sparse_buffer_alloc(k: Kernel, size: number, count = 1): RamBlock | null {
  const sb = k.s.sparseBuffer;
  if (!sb) return null;
  const ptr = alignUp(sb.ptr, size);
  if (ptr + size * count > sb.end) {
    unusual(k, 'sparse buffer exhausted');
    return null;
  }
  if (ptr > sb.ptr) memblock_free(k, sb.ptr, ptr - sb.ptr); // sparse_buffer_free()
  sb.ptr = ptr + size * count;
  return { node: sb.nid, src: 'sparsebuf', key: sb.key, phys: ptr };
}

/** sparse_buffer_fini(): free the unused tail. */
export function sparse_buffer_fini(k: Kernel): void {
  const sb = k.s.sparseBuffer;
  if (sb && sb.end > sb.ptr) memblock_free(k, sb.ptr, sb.end - sb.ptr);
  k.s.sparseBuffer = null;
}

// ---------------------------------------------------------------------------------------
// Boot

/** memblocks_present() -> memory_present(): the first node to claim a section owns it. */
export function memblocks_present(k: Kernel): void {
  const PPS = k.c.PAGES_PER_SECTION;
  for (const m of k.s.memblockMemory) {
    const s0 = Math.floor(m.start / k.c.PAGE_SIZE / PPS);
    const s1 = Math.ceil(m.end / k.c.PAGE_SIZE / PPS);
    k.s.sections.fill(s0, s1, () => ({ nid: m.v, early: false, memmap: false }));
  }
}

/**
 * sparse_init(): present sections grouped into runs of consecutive sections on the same
 * node (a node interleaved with another gets several runs); sparse_init_nid() per run;
 * then vmemmap_populate_print_last().
 */
export function sparse_init(k: Kernel): void {
  memblocks_present(k);
  const runs: { nid: number; segs: { start: number; end: number }[] }[] = [];
  for (const s of k.s.sections) {
    const last = runs[runs.length - 1];
    if (last && last.nid === s.v.nid) last.segs.push({ start: s.start, end: s.end });
    else runs.push({ nid: s.v.nid, segs: [{ start: s.start, end: s.end }] });
  }
  for (const r of runs) sparse_init_nid(k, r.nid, r.segs);
  vmemmap_populate_print_last(k);
}

/**
 * sparse_init_nid(): one sparse buffer of map_count * section_map_size() for the run, then
 * __populate_section_memmap(section, PAGES_PER_SECTION, nid, NULL, NULL) for every present
 * section - always the whole section, never an altmap - and sparse_init_one_section(...,
 * SECTION_IS_EARLY). On failure: pr_err and every section from the failing one to the end of
 * the run is no longer present.
 */
function sparse_init_nid(k: Kernel, nid: number, segs: { start: number; end: number }[]): void {
  const mapCount = segs.reduce((t, s) => t + s.end - s.start, 0);
  sparse_buffer_init(k, mapCount * k.c.SECTION_MAP_SIZE, nid);
  const PPS = k.c.PAGES_PER_SECTION;
  let failedAt = -1;
  for (const seg of segs) {
    const r = runSteps(k, seg.start, seg.end, 1, (a, b) => {
      const e = __populate_section_memmap(k, section_nr_to_pfn(k, a), (b - a) * PPS, nid, null, b - a);
      if (e !== 0) return e;
      k.s.sections.set(a, b, { nid, early: true, memmap: true });
      k.s.trace.push({ t: 'section', op: 'early', pfn: section_nr_to_pfn(k, a), nr: (b - a) * PPS, nid });
      return 0;
    });
    if (r !== 0) {
      for (const s of k.s.sections.overlaps(seg.start, seg.end)) if (!s.v.memmap) { failedAt = s.start; break; }
      break;
    }
  }
  if (failedAt >= 0) {
    pr_err(k, FILE + ':sparse_init_nid', '%s: node[%d] memory map backing failed. Some memory will not be available.', 'sparse_init_nid', nid);
    const end = segs[segs.length - 1]!.end;
    k.s.sections.clear(failedAt, end);
    // <= v5.10.7: the failure path skips sparse_buffer_fini(): the buffer's tail stays reserved,
    // the next sparse_buffer_init() WARNs, and a buffer left by the last node serves hot-adds
    if (k.profile.sparseInitFailLeaksBuffer) return;
  }
  sparse_buffer_fini(k);
}

/**
 * subsection_map_init(pfn, nr) per memblock range (free_area_init): per section, set the
 * sub-sections that contain boot memory, with pr_debug("%s: sec: %lu pfns: %lu set(%d, %d)").
 */
export function subsection_map_init(k: Kernel): void {
  const PPSS = k.c.PAGES_PER_SUBSECTION;
  const PPS = k.c.PAGES_PER_SECTION;
  const site = FILE + ':subsection_map_init';
  const fmt = '%s: sec: %lu pfns: %lu set(%d, %d)\n';
  const idx = (pfn: number) => Math.floor((pfn % PPS) / PPSS);
  for (const m of k.s.memblockMemory) {
    const pfn0 = Math.floor(m.start / k.c.PAGE_SIZE);
    const pfn1 = Math.floor(m.end / k.c.PAGE_SIZE);
    // sections that failed in sparse_init() are skipped (their usage is gone)
    for (const s of k.s.sections.overlaps(Math.floor(pfn0 / PPS), Math.ceil(pfn1 / PPS))) {
      const a = Math.max(pfn0, s.start * PPS);
      const b = Math.min(pfn1, s.end * PPS);
      if (a >= b) continue;
      k.s.subsections.add(alignDown(a, PPSS), alignUp(b, PPSS));
      // one line per section: a partial head, a run of whole sections, a partial tail
      let p = a;
      const fn = k.profile.subsectionDebugFunc;
      const line = (q0: number, q1: number) => pr_debug(k, site, fmt, fn, Math.floor(q0 / PPS), q1 - q0, idx(q0), idx(q1 - 1));
      if (p % PPS !== 0 || b - p < PPS) {
        const e = Math.min(b, alignUp(p + 1, PPS));
        line(p, e);
        p = e;
      }
      const whole = Math.floor((b - p) / PPS);
      if (whole > 0) {
        const sec0 = p / PPS;
        const last = PPS / PPSS - 1;
        printk(k, 7, site, fmt, [fn, sec0, PPS, 0, last], {
          run: { count: whole, nth: (i) => `${fn}: sec: ${sec0 + i} pfns: ${PPS} set(0, ${last})\n` },
        });
        p += whole * PPS;
      }
      if (p < b) line(p, b);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Hot-add / hot-remove of one section's worth (or a run of identical whole sections)

function sectionAt(k: Kernel, nr: number): SectionInfo | undefined {
  return k.s.sections.get(nr);
}

/** The sub-section pfn range [p0, p1) covering [pfn, pfn + nr) (subsection_mask_set). */
function subsectionSpan(k: Kernel, pfn: number, nr: number): [number, number] {
  const PPSS = k.c.PAGES_PER_SUBSECTION;
  return [alignDown(pfn, PPSS), alignUp(pfn + nr, PPSS)];
}

/**
 * section_activate(): fill_subsection_map (-EINVAL empty, -EEXIST overlap), reuse the boot
 * memmap for a partial range of an early section, else populate; a failed populate is
 * rolled back through section_deactivate() and reported as -ENOMEM.
 */
function section_activate(k: Kernel, nid: number, pfn: number, nr: number, altmap: string | null, nsec: number, pgmap: PgmapGeom | null): number {
  const [p0, p1] = subsectionSpan(k, pfn, nr);
  if (p0 >= p1) {
    unusual(k, 'empty subsection mask');
    return EINVAL;
  }
  if (k.s.subsections.coverage(p0, p1) > 0) {
    unusual(k, 'subsection already active');
    return EEXIST;
  }
  k.s.subsections.add(p0, p1);
  const nrSec = Math.floor(pfn / k.c.PAGES_PER_SECTION);
  const ms = sectionAt(k, nrSec);
  if (nr < k.c.PAGES_PER_SECTION && ms?.early) return 0; // early sections always have a full memmap
  const e = __populate_section_memmap(k, pfn, nr, nid, altmap, nsec, pgmap);
  if (e !== 0) {
    section_deactivate(k, pfn, nr, altmap);
    return ENOMEM;
  }
  return 0;
}

/**
 * sparse_add_section(nid, start_pfn, nr_pages, altmap, pgmap) for a run of `nsec` identical
 * sections (nsec > 1 only for whole sections). Returns 0, -EEXIST, -ENOMEM or -EINVAL.
 */
export function sparse_add_section(k: Kernel, nid: number, pfn: number, nr: number, altmap: string | null, nsec = 1, pgmap: PgmapGeom | null = null): number {
  const e = section_activate(k, nid, pfn, nr, altmap, nsec, pgmap);
  if (e !== 0) return e;
  const s0 = Math.floor(pfn / k.c.PAGES_PER_SECTION);
  const s1 = Math.floor((pfn + nr - 1) / k.c.PAGES_PER_SECTION) + 1;
  // set_section_nid(), __section_mark_present(), sparse_init_one_section(..., 0): existing
  // flag bits (an early section's SECTION_IS_EARLY) are kept.
  for (const g of k.s.sections.gaps(s0, s1)) k.s.sections.set(g.start, g.end, { nid, early: false, memmap: true });
  for (const s of k.s.sections.overlaps(s0, s1)) if (!s.v.memmap) k.s.sections.set(s.start, s.end, { ...s.v, memmap: true });
  k.s.trace.push({ t: 'section', op: 'activate', pfn, nr, nid });
  return 0;
}

/**
 * section_deactivate(pfn, nr_pages, altmap): clear the sub-section bits ("section already
 * deactivated" WARN if any was clear); a non-early section frees exactly that memmap range
 * with the altmap; an early section frees its whole memmap (with no altmap) only once it is
 * empty; an empty section stops being present.
 */
export function section_deactivate(k: Kernel, pfn: number, nr: number, altmap: string | null): void {
  const [p0, p1] = subsectionSpan(k, pfn, nr);
  const nrSec = Math.floor(pfn / k.c.PAGES_PER_SECTION);
  // The mem_section and its usage exist from section_activate() on, before the section is
  // marked present, so a failed populate can be rolled back here.
  const ms = sectionAt(k, nrSec) ?? { nid: -1, early: false, memmap: false };
  // clear_subsection_map() (v5.7+; v5.6 WARNs in section_deactivate() itself, which the model
  // does not name: only a hand-built state gets here, test/guards-by-hand.test.ts)
  if (k.s.subsections.coverage(p0, p1) !== p1 - p0) {
    unusual(k, 'section already deactivated');
    WARN(k, true, FILE + ':clear_subsection_map', 'section already deactivated (%#lx + %ld)\n', [pfn, nr]);
    return;
  }
  k.s.subsections.remove(p0, p1);
  const secStart = section_nr_to_pfn(k, nrSec);
  const PPS = k.c.PAGES_PER_SECTION;
  // a run of whole sections is empty everywhere; a partial range checks its own section
  const empty = k.s.subsections.coverage(secStart, alignUp(pfn + nr, PPS)) === 0;
  if (k.profile.earlySectionPartialDepopulate) {
    // v5.6: an early section's memmap is freed whole (no altmap) once empty; anything else,
    // early or not, has the removed range depopulated with the caller's altmap
    if (ms.early && empty) vmemmap_free(k, pfnToOff(k, secStart), pfnToOff(k, alignUp(pfn + nr, PPS)), null);
    else vmemmap_free(k, pfnToOff(k, pfn), pfnToOff(k, pfn + nr), altmap);
  } else if (!ms.early) vmemmap_free(k, pfnToOff(k, pfn), pfnToOff(k, pfn + nr), altmap);
  else if (empty) vmemmap_free(k, pfnToOff(k, secStart), pfnToOff(k, alignUp(pfn + nr, PPS)), null); // free_map_bootmem()
  if (empty) k.s.sections.clear(nrSec, Math.ceil((pfn + nr) / PPS));
  k.s.trace.push({ t: 'section', op: 'deactivate', pfn, nr, nid: ms.nid });
}

/** sparse_remove_section(pfn, nr, altmap): WARN_ON_ONCE(!valid_section), then section_deactivate. */
export function sparse_remove_section(k: Kernel, pfn: number, nr: number, altmap: string | null): void {
  const ms = sectionAt(k, Math.floor(pfn / k.c.PAGES_PER_SECTION));
  if (!ms || !ms.memmap) {
    unusual(k, 'invalid section');
    WARN(k, true, FILE + ':sparse_remove_section', null, [], true);
    return;
  }
  section_deactivate(k, pfn, nr, altmap);
}

export { ENOMEM };
