/**
 * The geometry of a machine as ranges, for drawing it (the explorer's maps and page-table tree).
 * Pure and range-based: every list holds merged runs, so its length does not grow with bytes.
 *
 * Physical ranges are in bytes. vmemmap ranges are byte offsets from VMEMMAP_START (a Number
 * even on 5-level x86, where the absolute address does not fit one); `vmemmapStart` is the
 * absolute address in hex. The struct page of pfn p sits at offset (p - vmemmapPfnBase) * structPageSize.
 */
import type { PtLevel } from '../arch/types.js';
import type { Backing, Kernel } from '../kernel/state.js';

export type LayoutBacking =
  | { kind: 'ram'; node: number }
  | { kind: 'altmap'; id: string }
  | { kind: 'self'; node: number }
  | { kind: 'dedup'; pgmap: string; node: number };

export interface Layout {
  pageSize: number;
  structPageSize: number;
  sectionSize: number;
  subsectionSize: number;
  memoryBlockSize: number;
  pmdSize: number;
  vmemmapStart: string;
  vmemmapSize: number;
  vmemmapPfnBase: number;
  /** pgd first, then the levels the kernel allocates tables for. */
  levels: PtLevel[];
  /** What one entry of a level maps, and what one table of a level covers (bytes of vmemmap). */
  entrySpan: Record<string, number>;
  tableSpan: Record<string, number>;
  /** Pages of RAM one table of a level takes: at boot (memblock) and after (the page allocator); 1 unless pt.tableBytes / earlyTableBytes / runtimeTableBytes say otherwise (s390, powerpc radix). */
  tablePages: Record<string, { boot: number; runtime: number }>;
  /** Present sections (mem_section), merged runs. */
  sections: { start: number; size: number; nid: number; early: boolean }[];
  /** Active sub-sections (subsection_map), merged runs. */
  subsections: { start: number; size: number }[];
  /** vmemmap page-table pages: runs of the vmemmap covered by tables of one level on one node. */
  tables: { level: PtLevel; start: number; size: number; node: number; boot: boolean }[];
  /** vmemmap leaf mappings: runs with one level and one backing. */
  leaves: { start: number; size: number; level: 'pte' | 'pmd'; backing: LayoutBacking }[];
}

function backingOf(b: Backing): LayoutBacking {
  switch (b.kind) {
    case 'ram': return { kind: 'ram', node: b.node };
    case 'altmap': return { kind: 'altmap', id: b.id };
    case 'self': return { kind: 'self', node: b.node };
    case 'compound': return { kind: 'dedup', pgmap: b.pgmap, node: b.node };
  }
}

const sameBacking = (a: LayoutBacking, b: LayoutBacking) => JSON.stringify(a) === JSON.stringify(b);

export function layout(k: Kernel): Layout {
  const c = k.c;
  const secBytes = c.PAGES_PER_SECTION * c.PAGE_SIZE;
  const levels: PtLevel[] = ['pgd', ...k.arch.cfg.pt.allocLevels];
  const rel = (off: number) => off - c.startOff;
  const tables: Layout['tables'] = [];
  for (const level of k.arch.cfg.pt.allocLevels) {
    for (const s of k.s.tables[level]) {
      if (s.v.src === 'static') continue;
      tables.push({ level, start: rel(s.start), size: s.end - s.start, node: s.v.node, boot: s.v.src === 'memblock' });
    }
  }
  const leaves: Layout['leaves'] = [];
  for (const s of k.s.leaves) {
    const backing = backingOf(s.v.b);
    const last = leaves[leaves.length - 1];
    if (last && last.start + last.size === rel(s.start) && last.level === s.v.level && sameBacking(last.backing, backing)) last.size += s.end - s.start;
    else leaves.push({ start: rel(s.start), size: s.end - s.start, level: s.v.level, backing });
  }
  return {
    pageSize: c.PAGE_SIZE,
    structPageSize: c.STRUCT_PAGE,
    sectionSize: secBytes,
    subsectionSize: c.PAGES_PER_SUBSECTION * c.PAGE_SIZE,
    memoryBlockSize: k.boot.memoryBlockSize,
    pmdSize: c.PMD_SIZE,
    vmemmapStart: '0x' + k.arch.cfg.VMEMMAP_START.toString(16),
    vmemmapSize: c.endOff - c.startOff,
    vmemmapPfnBase: k.vmemmapPfnBase,
    levels,
    entrySpan: Object.fromEntries(levels.map((l) => [l, c.entrySpan[l]])),
    tableSpan: Object.fromEntries(levels.map((l) => [l, c.tableSpan[l]])),
    tablePages: Object.fromEntries(levels.map((l) => [l, { boot: c.tableCost.boot[l], runtime: c.tableCost.runtime[l] }])),
    sections: [...k.s.sections].map((s) => ({ start: s.start * secBytes, size: (s.end - s.start) * secBytes, nid: s.v.nid, early: s.v.early })),
    subsections: k.s.subsections.overlaps(0, Number.MAX_SAFE_INTEGER).map((s: { start: number; end: number }) => ({ start: s.start * c.PAGE_SIZE, size: (s.end - s.start) * c.PAGE_SIZE })),
    tables,
    leaves,
  };
}
