/**
 * The vmemmap part of the kernel's page-table dump (debugfs), in the arch's own format:
 *  - x86: arch/x86/mm/dump_pagetables.c note_page()/printk_prot() @ v6.12..v6.18:
 *    "0x%016lx-0x%016lx   " "%9lu%c " + 30 flag columns + level name ("pgd".."pte"); header
 *    "---[ Vmemmap ]---". Assumes no PTI (GLB shown), NX, no KASLR.
 *  - arm64: arch/arm64/mm/ptdump.c note_page() @ v6.18: "0x%016lx-0x%016lx   " "%9lu%c %s"
 *    then " %s" per attribute; headers "vmalloc() end", "vmemmap start", "vmemmap end".
 *    Assumes no nG (no KPTI) and LPA2 hardware for 52-bit 4K/16K (SHD blank).
 *  - riscv64: arch/riscv/mm/ptdump.c (see riscvLines); powerpc64 radix: arch/powerpc/mm/ptdump
 *    (see powerpcLines); powerpc64 hash: the bolted blocks, said to be no page tables;
 *    loongarch64, ia64, s390x: a neutral listing
 *    (ranges, level, block/page; s390's own table names), said to be one.
 * Lines merge when level and attributes match (never on the physical address), as the
 * kernel's do. The dump covers [VMEMMAP_START, VMEMMAP_END).
 */
import { S390_LEVEL_NAMES } from '../arch/s390x.js';
import type { PtLevel } from '../arch/types.js';
import type { Kernel } from '../kernel/state.js';
import { offToVa, selfHostedPfn } from '../kernel/state.js';

interface Item {
  start: number;
  end: number;
  level: PtLevel;
  leaf: 'pte' | 'pmd' | null;
}

/** Walk [a, b) at `idx` in the level list, emitting leaf runs and holes in address order. */
function walk(k: Kernel, levels: PtLevel[], idx: number, a: number, b: number, out: Item[]): void {
  const L = levels[idx]!;
  const child = levels[idx + 1];
  const marks: { start: number; end: number; t: 'leaf' | 'table'; leaf?: 'pte' | 'pmd' }[] = [];
  if (L === 'pmd' || L === 'pte') for (const s of k.s.leaves.overlaps(a, b)) if (s.v.level === L) marks.push({ start: s.start, end: s.end, t: 'leaf', leaf: L });
  if (child) for (const s of k.s.tables[child].overlaps(a, b)) marks.push({ start: s.start, end: s.end, t: 'table' });
  marks.sort((x, y) => x.start - y.start);
  let cur = a;
  const hole = (s: number, e: number) => { if (e > s) out.push({ start: s, end: e, level: L, leaf: null }); };
  for (const m of marks) {
    hole(cur, m.start);
    if (m.t === 'leaf') out.push({ start: m.start, end: m.end, level: L, leaf: m.leaf! });
    else walk(k, levels, idx + 1, m.start, m.end, out);
    cur = m.end;
  }
  hole(cur, b);
}

function merge(items: Item[]): Item[] {
  const out: Item[] = [];
  for (const it of items) {
    const last = out[out.length - 1];
    if (last && last.end === it.start && last.level === it.level && last.leaf === it.leaf) last.end = it.end;
    else out.push({ ...it });
  }
  return out;
}

function sizeUnit(delta: bigint, units: string): string {
  let u = 0;
  while ((delta & 1023n) === 0n && u < units.length - 1) {
    delta >>= 10n;
    u++;
  }
  return delta.toString().padStart(9, ' ') + units[u];
}

const hex16 = (v: bigint) => '0x' + v.toString(16).padStart(16, '0');

function x86Line(k: Kernel, it: Item): string {
  const s = offToVa(k, it.start);
  const e = offToVa(k, it.end);
  let flags = ' '.repeat(30);
  if (it.leaf === 'pmd') flags = '    RW         PSE     GLB NX ';
  if (it.leaf === 'pte') flags = '    RW                 GLB NX ';
  return `${hex16(s)}-${hex16(e)}   ${sizeUnit(e - s, 'BKMGTPE')} ${flags}${it.level}`;
}

function arm64Line(k: Kernel, it: Item): string {
  const s = offToVa(k, it.start);
  const e = offToVa(k, it.end);
  const head = `${hex16(s)}-${hex16(e)}   ${sizeUnit((e - s) >> 10n, 'KMGTPE')} ${it.level.toUpperCase()}`;
  if (!it.leaf) return head;
  const va = Number(k.arch.cfg.config.vaBits);
  const lpa2 = va === 52 && k.arch.cfg.PAGE_SHIFT !== 16; // PTE_MAYBE_SHARED is 0 with LPA2
  // pte_bits[] in order, each printed as " %s": valid, USR, RDONLY, PXN, SHARED, AF, NG, CONT,
  // BLK (PMD_TYPE_SECT), UXN, GP, then the memory type
  const attrs = [' ', '   ', 'RW', 'NX', lpa2 ? '   ' : 'SHD', 'AF', '  ', '   ', it.leaf === 'pmd' ? 'BLK' : '   ', 'UXN', ...(k.profile.arm64PtdumpGpColumn ? ['  '] : []), 'MEM/NORMAL'];
  return head + attrs.map((x) => ' ' + x).join('');
}

/** Leaves only, neighbours of one level merged: the runs riscv's and powerpc's note_page() print (holes and tables are not printed; the physical address does not split a run). */
function leafRuns(items: Item[]): Item[] {
  const runs: Item[] = [];
  for (const it of items) {
    if (!it.leaf) continue;
    const last = runs[runs.length - 1];
    if (last && last.end === it.start && last.leaf === it.leaf) last.end = it.end;
    else runs.push({ ...it });
  }
  return runs;
}

/**
 * riscv64: arch/riscv/mm/ptdump.c note_page() @ 6.12 (recorded on 6.12.118, docs/conformance-riscv.md
 * section 5): "0x%016lx-0x%016lx   " " 0x%016lx " (the run's first physical address) "%9lu%c %s"
 * (level names of 5 levels, so PMD under Sv39 too), then the 11 flag fields of PAGE_KERNEL.
 * Runs merge on level and protection only; only leaves are printed.
 */
function riscvLines(k: Kernel, items: Item[]): string[] {
  const runs = leafRuns(items);
  const P = k.c.PAGE_SIZE;
  const pa = (off: number): string => {
    // the physical address is known for altmap-backed memmap (at the start of its block)
    const seg = k.s.leaves.overlaps(off, off + 1)[0];
    if (seg && seg.start === off && seg.v.b.kind === 'altmap') return '0x' + (BigInt(seg.v.b.pfn) * BigInt(P)).toString(16).padStart(16, '0');
    return '0x' + '?'.repeat(16);
  };
  return runs.map((it) => {
    const s = offToVa(k, it.start);
    const e = offToVa(k, it.end);
    return `${hex16(s)}-${hex16(e)}    ${pa(it.start)} ${sizeUnit((e - s) >> 10n, 'KMGTPE')} ${it.leaf!.toUpperCase()} .   ..     ..   D A G . . W R V`;
  });
}

/**
 * powerpc radix: arch/powerpc/mm/ptdump/ptdump.c @ 6.12 (recorded on a self-built 6.12.118, 64K
 * radix, docs/conformance-ppc64-s390x.md): note_page() merges runs on flags and level only (not
 * on the physical address); dump_addr() prints "0x%016lx-0x%016lx " (end inclusive), " 0x%016lx "
 * (the run's first physical address), pt_dump_size() "%9lu%c " with units " KMGTPE", then
 * "  %s" per flag_array entry; holes are not printed. Book3S-64 without KASAN: "vmemmap start"
 * is the last marker.
 */
const PPC_KERNEL_FLAGS = '        r  w       pte  valid  present        dirty  accessed                          ';
function powerpcLines(k: Kernel, items: Item[]): string[] {
  const runs = leafRuns(items);
  const P = k.c.PAGE_SIZE;
  const pa = (off: number): string => {
    const seg = k.s.leaves.overlaps(off, off + 1)[0];
    if (seg && seg.v.b.kind === 'altmap') return '0x' + (BigInt(seg.v.b.pfn) * BigInt(P) + BigInt(off - seg.start)).toString(16).padStart(16, '0');
    if (seg && seg.v.b.kind === 'self') return '0x' + (BigInt(selfHostedPfn(k, off)) * BigInt(P)).toString(16).padStart(16, '0');
    return '0x' + '?'.repeat(16);
  };
  return runs.map((it) => {
    const s = offToVa(k, it.start);
    const e = offToVa(k, it.end);
    return `${hex16(s)}-${hex16(e - 1n)}  ${pa(it.start)} ${sizeUnit(e - s, ' KMGTPE')} ${PPC_KERNEL_FLAGS}`;
  });
}

/** loongarch64, ia64: the ranges and levels, in a neutral format (loongarch64's ptdump format is not modelled; ia64 has none). */
function neutralLine(k: Kernel, it: Item): string {
  const s = offToVa(k, it.start);
  const e = offToVa(k, it.end);
  // s390: the tables by their own names (region-third, segment, page table)
  const lvl = k.arch.cfg.arch === 's390x' ? S390_LEVEL_NAMES[it.level] ?? it.level : it.level;
  const leaf = it.leaf === 'pmd' ? (k.arch.cfg.arch === 's390x' ? '1 MiB frame' : 'block') : 'page';
  return `${hex16(s)}-${hex16(e)}   ${sizeUnit((e - s) >> 10n, 'KMGTPE')} ${lvl}${it.leaf ? ` ${leaf}` : ''}`;
}

export function ptdump(k: Kernel): string[] {
  const flavour = k.arch.cfg.ptdump;
  if (flavour === 'riscv') {
    const items: Item[] = [];
    walk(k, ['pgd', ...k.arch.cfg.pt.allocLevels], 0, k.c.startOff, k.c.endOff, items);
    const lines = riscvLines(k, items);
    return [
      '---[ PCI I/O start ]---', '---[ PCI I/O end ]---', '---[ vmemmap start ]---', ...lines, '---[ vmemmap end ]---', '---[ vmalloc() area ]---',
      ...(lines.some((l) => l.includes('0x????')) ? ['# vmemlab: ? = the physical address of RAM-backed memmap (where memblock or the page allocator put it) is not modelled'] : []),
    ];
  }
  if (flavour === 'powerpc' && !k.arch.cfg.pt.noPageTables) {
    const items: Item[] = [];
    walk(k, ['pgd', ...k.arch.cfg.pt.allocLevels], 0, k.c.startOff, k.c.endOff, items);
    const lines = powerpcLines(k, items);
    return [
      '---[ I/O remap end ]---', '---[ vmemmap start ]---', ...lines,
      ...(lines.some((l) => l.includes('0x????')) ? ['# vmemlab: ? = the physical address of RAM-backed memmap (where memblock or the page allocator put it) is not modelled'] : []),
    ];
  }
  if (flavour === 'powerpc' && k.arch.cfg.pt.noPageTables) {
    // hash: nothing of the vmemmap is in kernel_page_tables; kernel_hash_pagetable lists the
    // bolted HPTEs per vmemmap_list entry (format not modelled)
    return [
      `# vmemlab: powerpc64 ${k.arch.cfg.pt.noPageTables}; kernel_page_tables shows none of it. The bolted blocks:`,
      ...merge(k.s.leaves.overlaps(k.c.startOff, k.c.endOff).map((sg) => ({ start: sg.start, end: sg.end, level: sg.v.level, leaf: sg.v.level }))).map((it) => neutralLine(k, it).replace(/ (pmd|pte) (block|page)$/, ' bolted HPTE block(s)')),
    ];
  }
  if (flavour !== 'x86' && flavour !== 'arm64') {
    const levels: PtLevel[] = ['pgd', ...k.arch.cfg.pt.allocLevels];
    const items: Item[] = [];
    walk(k, levels, 0, k.c.startOff, k.c.endOff, items);
    return [
      flavour === 'ia64'
        ? "# vmemlab: ia64 has no kernel page-table dump; the vmemmap's ranges, levels and leaves:"
        : flavour === 's390'
        ? "# vmemlab: s390's own page-table dump format (arch/s390/mm/dump_pagetables.c) is not modelled; the vmemmap's ranges, tables and leaves:"
        : `# vmemlab: ${k.arch.cfg.arch}'s own page-table dump format (arch/${flavour}/mm/ptdump.c) is not modelled; the vmemmap's ranges, levels and leaves:`,
      ...merge(items).map((it) => neutralLine(k, it)),
    ];
  }
  const levels: PtLevel[] = ['pgd', ...k.arch.cfg.pt.allocLevels];
  const items: Item[] = [];
  walk(k, levels, 0, k.c.startOff, k.c.endOff, items);
  const lines = merge(items);
  const x86 = k.arch.cfg.ptdump === 'x86';
  const out: string[] = [];
  if (x86) out.push('---[ Vmemmap ]---');
  // <= v6.8 the vmemmap is the top region, after the PCI I/O window; v6.9+ it follows vmalloc
  else out.push(k.profile.arm64PtdumpLegacyMarkers ? '---[ PCI I/O end ]---' : '---[ vmalloc() end ]---', '---[ vmemmap start ]---');
  for (const it of lines) out.push(x86 ? x86Line(k, it) : arm64Line(k, it));
  if (x86) out.push(`# vmemlab: the dump stops at the end of the vmemmap region (0x${k.arch.cfg.VMEMMAP_END.toString(16)}); the kernel continues the last hole to the next marker`);
  else out.push('---[ vmemmap end ]---');
  return out;
}
