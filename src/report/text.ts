/** The readable report of `vmemlab run`. */
import { commas, fmtSize } from '../util/units.js';
import { lx } from '../util/bits.js';
import type { Report } from './json.js';
import type { Machine } from '../sim/machine.js';
import { S390_LEVEL_NAMES } from '../arch/s390x.js';
import type { PtLevel } from '../arch/types.js';

function table(rows: string[][], indent = '  '): string[] {
  const w: number[] = [];
  for (const r of rows) r.forEach((c, i) => { w[i] = Math.max(w[i] ?? 0, c.length); });
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd());
}

/** What a step changed, in a few words: memmap by where it lives, page-table pages. */
function stepChanges(d: Report['steps'][number]['delta']): string {
  const parts: string[] = [];
  const sign = (n: number) => `${n > 0 ? '+' : '-'}${fmtSize(Math.abs(n))}`;
  for (const [n, b] of Object.entries(d.memmapBacking.ram)) parts.push(`${sign(b)} RAM node ${n}`);
  for (const [id, b] of Object.entries(d.memmapBacking.altmap)) parts.push(`${sign(b)} altmap ${id}`);
  for (const [n, b] of Object.entries(d.memmapBacking.self)) parts.push(`${sign(b)} self-hosted node ${n}`);
  for (const [id, b] of Object.entries(d.memmapBacking.dedup)) parts.push(`${sign(b)} shared ${id}`);
  const t = Object.values(d.pageTablePages).reduce((a, b) => a + b, 0);
  const memmap = parts.length ? `memmap ${parts.join(', ')}` : '';
  const tables = t ? `${t > 0 ? '+' : ''}${t} table page${Math.abs(t) === 1 ? '' : 's'}` : '';
  return [memmap, tables].filter(Boolean).join('; ');
}

export function textReport(m: Machine, rep: Report): string {
  const k = m.k;
  const out: string[] = [];
  const title = m.scenario.description || m.scenario.file;
  out.push(`vmemmap-lab - ${k.arch.cfg.label}, kernel ${k.profile.id} (${k.profile.title})`);
  out.push(`scenario: ${title}`);
  out.push('');
  out.push('Steps');
  // one line per step: a loop, not push(...lines) (a spread of 180,000 arguments overflows the stack)
  const outcome = (s: Report['steps'][number]) => s.notRun ?? (s.oops ? `predicted kernel oops in ${s.oops.fn}` : s.ok ? 'ok' : `FAILED ${s.errno ?? ''}`.trim());
  const counts = (s: Report['steps'][number]) => [s.violations.length ? `${s.violations.length} invariant violation(s)` : '', s.kernelBugs.length ? `${s.kernelBugs.length} predicted kernel bug(s)` : ''].filter(Boolean).join(', ');
  for (const l of table(rep.steps.map((s) => [String(s.index), s.step, outcome(s), stepChanges(s.delta), counts(s)]))) out.push(l);
  for (const s of rep.steps) {
    for (const msg of s.messages) out.push(`    step ${s.index}: ${msg}`);
    if (s.oops) out.push(`    step ${s.index}: predicted kernel oops: ${s.oops.fn} ${s.oops.access === 'write' ? 'wrote' : 'read'} the struct page of pfn 0x${lx(s.oops.pfn)} at ${s.oops.va}, which is not mapped (${s.oops.what})`);
    for (const f of s.failedExpectations ?? []) out.push(`    step ${s.index}: expectation failed: ${f}`);
  }
  out.push('');
  const mb = rep.memmapBacking;
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const total = sum(mb.ram) + sum(mb.altmap) + sum(mb.self) + sum(mb.dedup);
  out.push(`Memmap: ${fmtSize(total)} of struct pages (${k.arch.cfg.STRUCT_PAGE_SIZE} B per ${fmtSize(k.c.PAGE_SIZE)} page) mapped at 0x${lx(k.arch.cfg.VMEMMAP_START)}`);
  const rows: string[][] = [];
  for (const [n, b] of Object.entries(mb.ram)) rows.push([`node ${n} RAM`, fmtSize(b), `${commas(b)} B`]);
  for (const [n, b] of Object.entries(mb.altmap)) {
    const ns = rep.namespaces.find((x) => x.name === n);
    rows.push([`altmap ${n}${ns ? ` (${ns.device}, on the device)` : ''}`, fmtSize(b), `${commas(b)} B`]);
  }
  for (const [n, b] of Object.entries(mb.self)) rows.push([`node ${n} hot-added memory itself (memmap_on_memory)`, fmtSize(b), `${commas(b)} B`]);
  for (const [n, b] of Object.entries(mb.dedup)) rows.push([`${n}: shared tail pages (device-dax dedup, no RAM)`, fmtSize(b), `${commas(b)} B`]);
  if (rows.length) out.push(...table(rows));
  const mp = rep.vmemmap.mappings;
  out.push(`  leaf entries: ${commas(mp.pmd)} PMD (${fmtSize(k.c.PMD_SIZE)} each), ${commas(mp.pte)} PTE (${fmtSize(k.c.PAGE_SIZE)} each)`);
  const pt = rep.pageTablePages;
  const geo = k.arch.cfg.pt;
  // s390: the kernel's level names with s390's own table names (segment table, page table)
  const own = (l: PtLevel) => (k.arch.cfg.arch === 's390x' && S390_LEVEL_NAMES[l] ? ` (${S390_LEVEL_NAMES[l]}s)` : '');
  const lv = geo.allocLevels.map((l) => `${l}${own(l)} ${(pt as unknown as Record<string, number>)[l] ?? 0}`).join(', ');
  if (geo.noPageTables) {
    const L = k.s.ppcList;
    out.push(`  page tables: none - ${geo.noPageTables}: ${commas(L.entries)} vmemmap_list entr${L.entries === 1 ? 'y' : 'ies'} of ${fmtSize(L.blockSize || k.c.PAGE_SIZE)} blocks (${commas(L.freed)} on the free list; ${commas(L.pages)} page(s) taken for entries, never freed)`);
  } else out.push(`  page-table pages (RAM): ${lv}; by node: ${Object.entries(pt.byNode).map(([n, c]) => `node ${n}: ${c}`).join(', ') || 'none'}`);
  if (!geo.noPageTables && pt.bytes) {
    const sizes = geo.allocLevels.map((l) => `${l} ${fmtSize(geo.tableBytes?.[l] ?? k.c.PAGE_SIZE)}`).join(', ');
    const bytes = geo.allocLevels.map((l) => `${l} ${fmtSize(pt.bytes?.[l] ?? 0)}`).join(', ');
    // when a level's tables take a different size at boot or after it (PtGeometry.earlyTableBytes / runtimeTableBytes)
    const when = (m: Partial<Record<PtLevel, number>> | undefined, at: string) => {
      const ls = geo.allocLevels.filter((l) => m?.[l] !== undefined);
      return ls.length ? [`a table allocated ${at}: ${ls.map((l) => `${l} ${fmtSize(m![l]!)}`).join(', ')}`] : [];
    };
    const timing = [...when(geo.earlyTableBytes, 'at boot'), ...when(geo.runtimeTableBytes, 'after boot')];
    out.push(`    one table: ${sizes}; taken: ${bytes}${timing.length ? ` (${timing.join('; ')})` : ''}`);
  }
  const shown = rep.vmemmap.ranges.slice(0, 12);
  if (shown.length) {
    out.push('  vmemmap ranges:');
    out.push(...table(shown.map((r) => [r.va, fmtSize(r.size), r.level.toUpperCase(), r.backing]), '    '));
    if (rep.vmemmap.ranges.length > shown.length) out.push(`    ... ${rep.vmemmap.ranges.length - shown.length} more (see --json)`);
  }
  if (rep.altmaps.length) {
    out.push('');
    out.push('Altmaps (pfns; reserve | memmap alloc | alignment waste | unused)');
    out.push(...table(rep.altmaps.map((a) => [a.id, `base_pfn 0x${lx(a.base_pfn)}`, `reserve ${commas(a.reserve)}`, `free ${commas(a.free)}`, `alloc ${commas(a.alloc)}`, `align ${commas(a.align)}`, `unused ${commas(a.free - a.alloc - a.align)}`])));
  }
  if (rep.namespaces.length) {
    out.push('');
    out.push('Namespaces');
    out.push(...table(rep.namespaces.map((n) => [n.name, n.dev, n.mode + (n.map ? ` map=${n.map}` : ''), `align ${fmtSize(n.align)}`, `raw ${fmtSize(n.rawSize)}`, `size ${commas(n.size)} B (${fmtSize(n.size)})`, `dataoff ${commas(n.dataOffset)}`, `npfns ${commas(n.npfns)}`])));
  }
  if (rep.daxDevices.length) {
    out.push('');
    out.push('Dax devices');
    out.push(...table(rep.daxDevices.map((d) => [d.name, `${d.device} (${d.source})`, `0x${lx(d.start)} ${fmtSize(d.size)}`, d.mode, d.mode === 'system-ram' ? `System RAM (kmem) ${d.systemRam.map((r) => `0x${lx(r.start)} ${fmtSize(r.size)}`).join(', ')}${d.memmapOnMemory ? ', memmap_on_memory' : ''}` : ''])));
  }
  const hp = rep.hugetlb;
  if (hp.hstates.some((h) => Object.keys(h.pages).length)) {
    out.push('');
    out.push(`HugeTLB pools (vmemmap optimisation ${hp.hvo ? 'on' : 'off'})`);
    const rows = hp.hstates.filter((h) => Object.keys(h.pages).length).map((h) => {
      const pages = Object.values(h.pages).reduce((a, b) => a + b, 0);
      const opt = Object.values(h.optimized).reduce((a, b) => a + b, 0);
      return [fmtSize(h.size), `${commas(pages)} pages`, `${commas(opt)} optimised`, `${commas(h.vmemmapFreedPerPage / 1024)} KiB of vmemmap freed per page`];
    });
    out.push(...table(rows));
    for (const [n, b] of Object.entries(hp.vmemmapFreed)) {
      const sp = hp.splitPteTables[n];
      const g = hp.memTotalGain[n];
      out.push(`  node ${n}: ${fmtSize(b)} of vmemmap given back${sp ? `; vmemmap PMD splits cost ${sp.min === sp.max ? sp.min : `${sp.min}..${sp.max}`} PTE table page(s) (where the buddy allocator put the pages decides)` : ''}`);
      if (g) out.push(`    MemTotal +${g.min === g.max ? fmtSize(g.min) : `${fmtSize(g.min)}..${fmtSize(g.max)} (whether reused folios free boot or buddy vmemmap pages is not known)`}: freed boot-time vmemmap pages join the managed pages`);
    }
  }
  out.push('');
  const sc = rep.sections;
  out.push(`Sections (${fmtSize(2 ** k.arch.cfg.SECTION_SIZE_BITS)}): ${commas(sc.present)} present (${commas(sc.early)} boot, ${commas(sc.hotplugged)} hot-added), ${commas(sc.subsectionsActive)} sub-sections active; memory block ${fmtSize(rep.memory.blockSize)}`);
  out.push(`Free RAM after the last step: ${Object.entries(rep.memory.nodes).map(([n, v]) => `node ${n} ${fmtSize(v.freePages * k.c.PAGE_SIZE)}`).join(', ')} (the model counts only its own allocations)`);
  const warns = rep.dmesg.filter((l) => /potential offnode|WARNING|fail|Misaligned|unaligned|exceeds|refuse|cannot/i.test(l));
  if (warns.length || rep.warnings.length) {
    out.push('');
    out.push('Warnings');
    for (const w of rep.warnings) out.push(`  ${w}`);
    for (const w of warns.slice(0, 10)) out.push(`  dmesg: ${w}`);
    if (warns.length > 10) out.push(`  ... ${warns.length - 10} more (see --dmesg)`);
  }
  const kb = rep.kernelBugs;
  if (kb.crashed || kb.findings.length) {
    out.push('');
    out.push('Predicted kernel bugs (what the modelled kernel does wrong, not vmemmap-lab; docs/kernel-findings.md)');
    const o = kb.crashed;
    if (o) {
      out.push(`  step ${o.step}: predicted kernel oops in ${o.fn} (${o.site}): "${o.message}", the struct page of pfn 0x${lx(o.pfn)}`);
      const after = rep.steps.filter((s) => s.notRun).map((s) => s.index);
      out.push(after.length ? `  the machine is dead from there: step(s) ${after.join(', ')} not run` : '  the machine is dead from there (no later kernel step)');
    }
    for (const x of kb.findings.slice(0, 20)) out.push(`  step ${x.step} ${x.invariant}: ${x.range}: ${x.detail} [${x.fn}]`);
    if (kb.findings.length > 20) out.push(`  ... ${kb.findings.length - 20} more (see --json)`);
  }
  out.push('');
  const v = rep.invariants.violations;
  const ran = rep.steps.filter((s) => !s.notRun).length;
  out.push(v.length === 0 ? `Invariants: ${rep.invariants.checked} checks after ${ran} step(s), no violations` : `Invariants: ${v.length} violation(s) (bugs in vmemmap-lab)`);
  for (const x of v.slice(0, 20)) out.push(`  step ${x.step} ${x.invariant}: ${x.range}: ${x.detail} [${x.fn}]`);
  return out.join('\n') + '\n';
}
