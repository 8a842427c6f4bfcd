/**
 * `vmemlab verify`: run the scenario imported from a snapshot and compare the model's
 * prediction with what the machine shows - memory blocks, sections, the kernel's own boot
 * lines the model prints too, HugeTLB and HVO, memmap_on_memory, namespaces, kmem ranges.
 * Each check is agree, differ (with both values), or not compared (with why). Pure.
 */
import { parseScenario } from '../scenario/parse.js';
import { renderMessage } from '../kernel/printk.js';
import { hvoSupported } from '../kernel/hugetlb.js';
import type { RunResult } from '../core.js';
import type { Scenario } from '../scenario/parse.js';
import { fmtSize } from '../util/units.js';
import { importSnapshot, type Imported } from './import.js';
import type { Snapshot } from './snapshot.js';

export interface Check {
  what: string;
  status: 'agree' | 'differ' | 'not compared';
  model?: string;
  machine?: string;
  /** For "not compared": why. */
  why?: string;
}

export interface Verification {
  machine: string;
  kernel: { id: string; why: string };
  checks: Check[];
  agree: boolean;
  notes: string[];
}

function check(what: string, model: string | number, machine: string | number): Check {
  return { what, status: String(model) === String(machine) ? 'agree' : 'differ', model: String(model), machine: String(machine) };
}

function skip(what: string, why: string): Check {
  return { what, status: 'not compared', why };
}

/** Verify a snapshot, running the imported scenario with `run` (the library's runScenario). */
export function verifySnapshotWith(s: Snapshot, run: (sc: Scenario) => RunResult): Verification {
  const imp = importSnapshot(s);
  const r = run(parseScenario('<imported snapshot>', imp.yaml));
  const checks = [...blockChecks(s, r), ...bootLineChecks(s, r), ...hugetlbChecks(s, r), ...ndChecks(s, r), ...otherChecks(s, r, imp)];
  return {
    machine: `${s.kernel.machine} ${s.kernel.release}`,
    kernel: imp.kernel,
    checks,
    agree: checks.every((c) => c.status !== 'differ'),
    notes: imp.notes,
  };
}

function blockChecks(s: Snapshot, r: RunResult): Check[] {
  if (!s.memory) return [skip('memory blocks', s.unreadable['memory-blocks'] ?? 'not in the snapshot')];
  const rep = r.report;
  const out: Check[] = [check('memory block size', fmtSize(rep.memory.blockSize), fmtSize(s.memory.blockSize))];
  const model = { total: 0, online: 0, offline: 0, movable: 0, byNode: new Map<number, number>() };
  for (const b of rep.memory.blocks) {
    model.total += b.count;
    if (b.state === 'online') model.online += b.count;
    else model.offline += b.count;
    if (b.state === 'online' && b.zone === 'Movable') model.movable += b.count;
    model.byNode.set(b.nid, (model.byNode.get(b.nid) ?? 0) + b.count);
  }
  const bl = s.memory.blocks;
  out.push(check('memory blocks', model.total, bl.length));
  out.push(check('memory blocks online', model.online, bl.filter((b) => b.state === 'online').length));
  out.push(check('memory blocks offline', model.offline, bl.filter((b) => b.state === 'offline').length));
  out.push(check('memory blocks online in ZONE_MOVABLE', model.movable, bl.filter((b) => b.state === 'online' && b.zones.length === 1 && b.zones[0] === 'Movable').length));
  const nodes = new Set([...model.byNode.keys(), ...bl.flatMap((b) => (b.node === null ? [] : [b.node]))]);
  for (const n of [...nodes].sort((a, b) => a - b)) out.push(check(`memory blocks of node ${n}`, model.byNode.get(n) ?? 0, bl.filter((b) => b.node === n).length));
  return out;
}

/** The kernel's own boot lines that the model prints too: they must be the same text. */
function bootLineChecks(s: Snapshot, r: RunResult): Check[] {
  if (!s.bootLog.length) return [skip('boot log lines', s.unreadable['boot-log'] ?? 'not in the snapshot')];
  const modelLines = r.results[0]!.dmesg.flatMap((m) => renderMessage(m)).map((l) => l.replace(/^<\d>/, '').trim());
  // not the parameter itself: a kernel without HVO does not know hugetlb_free_vmemmap=, passes it
  // to init as an environment variable and lists it under "with environment:" (init/main.c
  // run_init_process(); seen on the arm64 64K conformance kernel)
  const want = (l: string) => !/command line/i.test(l) && !/^hugetlb_free_vmemmap=\S*$/.test(l) && /Memory block size|HugeTLB: (registered|\d+ KiB vmemmap)|hugetlb_free_vmemmap/.test(l);
  const machine = s.bootLog.map((l) => l.trim()).filter(want);
  const model = modelLines.filter(want);
  if (!machine.length && !model.length) return [];
  const out: Check[] = [];
  for (const l of new Set([...machine, ...model])) out.push(check(`boot line "${l}"`, model.includes(l) ? 'printed' : 'not printed', machine.includes(l) ? 'printed' : 'not printed'));
  return out;
}

function hugetlbChecks(s: Snapshot, r: RunResult): Check[] {
  const out: Check[] = [];
  const rep = r.report.hugetlb;
  for (const p of s.hugetlb.pools.filter((x) => x.node === null)) {
    const h = rep.hstates.find((x) => x.size === p.size);
    const n = h ? Object.values(h.pages).reduce((a, b) => a + b, 0) : null;
    out.push(n === null ? { what: `huge pages ${fmtSize(p.size)}`, status: 'differ', model: 'no such huge page size', machine: String(p.nr) } : check(`huge pages ${fmtSize(p.size)}`, n, p.nr));
  }
  if (s.hugetlb.optimizeVmemmap !== null) {
    out.push(check('HugeTLB vmemmap optimisation (vm.hugetlb_optimize_vmemmap)', rep.hvo ? 'on' : 'off', s.hugetlb.optimizeVmemmap ? 'on' : 'off'));
  } else if (hvoSupported(r.machine.k) && rep.hstates.length > 0) {
    // mm/hugetlb_vmemmap.c hugetlb_vmemmap_init() (6.1.20, 6.12): the sysctl is registered only
    // when some hstate is optimizable; a kernel without huge page sizes (x86 without PSE:
    // hugepages_supported() is false) has none, so no vm.hugetlb_optimize_vmemmap (x86-61-nopse)
    out.push({ what: 'HugeTLB vmemmap optimisation', status: 'differ', model: 'available', machine: 'no vm.hugetlb_optimize_vmemmap (not built in?)' });
  }
  return out;
}

function ndChecks(s: Snapshot, r: RunResult): Check[] {
  const out: Check[] = [];
  const sys = s.nd.sysfs;
  for (const ns of r.report.namespaces) {
    const region = `region${ns.name.slice('namespace'.length).split('.')[0]}`;
    const real = Object.keys(sys).find((d) => d.startsWith('namespace') && sys[d]!.resource && Number(sys[d]!.resource) === ns.start && d.startsWith(`namespace${region.slice(6)}.`));
    const holder = real && sys[real]!.holder ? sys[sys[real]!.holder!] : undefined;
    if (!real) {
      out.push({ what: `namespace at 0x${ns.start.toString(16)}`, status: 'differ', model: ns.name, machine: 'none' });
      continue;
    }
    if (holder?.size !== undefined) out.push(check(`${real} usable size`, ns.size, Number(holder.size)));
    else out.push(skip(`${real} usable size`, 'its pfn/dax device size is not in the snapshot'));
    // the pfn/dax device's resource is where the data starts: namespace start + data offset
    if (holder?.resource && sys[real]!.resource) out.push(check(`${real} data offset`, ns.dataOffset, Number(holder.resource) - Number(sys[real]!.resource)));
  }
  const kmem = (s.iomem ?? []).filter((e) => e.name === 'System RAM (kmem)').map((e) => `0x${e.start.toString(16)}-0x${(e.end + 1).toString(16)}`);
  const model = r.report.daxDevices.flatMap((d) => d.systemRam.map((x) => `0x${x.start.toString(16)}-0x${(x.start + x.size).toString(16)}`));
  if (kmem.length || model.length) out.push(check('dax kmem System RAM ranges', model.join(', ') || 'none', kmem.join(', ') || 'none'));
  return out;
}

function otherChecks(s: Snapshot, r: RunResult, imp: Imported): Check[] {
  const out: Check[] = [];
  const k = r.machine.k;
  if (s.memory?.memmapOnMemory !== undefined && s.memory.memmapOnMemory !== null) {
    const m = s.memory.memmapOnMemory;
    const machine = m === 'Y' || m === '1' ? 'on' : m === 'N' || m === '0' ? 'off' : m;
    out.push(check('memory_hotplug.memmap_on_memory', k.cmdline.memmapOnMemory, machine));
  }
  if (imp.hotAdded.length === 0 && s.memory) out.push({ what: 'hot-added memory', status: 'agree', model: 'none', machine: 'none' });
  const leaves = s.pageTables ? leafCounts(s.pageTables.lines, s.pageSize) : null;
  const split = Object.values(r.report.hugetlb.splitPteTables);
  if (leaves && split.length) {
    // HVO splits the vmemmap PMDs of the huge pages into PTEs; which PMDs depends on where the
    // allocator put the pages, so the model gives a range: the split count must fall in it,
    // and the mapped struct pages must be the same
    const m = r.report.vmemmap.mappings;
    const P = r.machine.k.c.PAGE_SIZE;
    const perPmd = P / 8;
    const min = split.reduce((a, x) => a + x.min, 0);
    const max = split.reduce((a, x) => a + x.max, 0);
    const got = m.pmd - leaves.pmd;
    out.push(got >= min && got <= max ? { what: 'vmemmap PMDs split by HVO', status: 'agree', model: `${min}..${max}`, machine: String(got) } : { what: 'vmemmap PMDs split by HVO', status: 'differ', model: `${min}..${max}`, machine: String(got) });
    out.push(check('vmemmap struct pages mapped (PMD x PTRS_PER_PTE + PTE)', m.pmd * perPmd + m.pte, leaves.pmd * perPmd + leaves.pte));
  } else if (leaves) {
    const m = r.report.vmemmap.mappings;
    out.push(check('vmemmap PMD leaf entries', m.pmd, leaves.pmd));
    out.push(check('vmemmap PTE leaf entries', m.pte, leaves.pte));
  } else if (s.pageTables) out.push(skip('vmemmap page tables', `read (${s.pageTables.source}) but in no format this version reads`));
  else out.push(skip('vmemmap page tables', s.unreadable['page-tables'] ?? 'not in the snapshot'));
  out.push(skip('MemTotal / MemFree', 'the model counts only the memmap and its page tables, not the rest of the kernel\'s memory (kernel image, per-cpu areas, slab)'));
  for (const e of (s.iomem ?? []).filter((x) => x.depth === 0 && /Persistent Memory \(legacy\)|CXL/.test(x.name))) {
    out.push(skip(`${e.name} at 0x${e.start.toString(16)}`, 'not modelled (legacy memmap=! pmem and CXL windows are not imported)'));
  }
  return out;
}

export function renderVerification(v: Verification): string {
  const out = [`vmemlab verify: ${v.machine}, modelled as ${v.kernel.id} (${v.kernel.why})`];
  for (const n of v.notes) out.push(`  note: ${n}`);
  out.push('');
  const w = Math.max(...v.checks.map((c) => c.what.length));
  for (const c of v.checks) {
    if (c.status === 'agree') out.push(`  agree         ${c.what.padEnd(w)}  ${c.model}`);
    else if (c.status === 'differ') out.push(`  DIFFER        ${c.what.padEnd(w)}  model ${c.model}, machine ${c.machine}`);
    else out.push(`  not compared  ${c.what.padEnd(w)}  ${c.why}`);
  }
  const d = v.checks.filter((c) => c.status === 'differ').length;
  const a = v.checks.filter((c) => c.status === 'agree').length;
  out.push('');
  out.push(d === 0 ? `agrees: ${a} check(s) agree, ${v.checks.length - a} not compared` : `${d} difference(s), ${a} check(s) agree, ${v.checks.length - a - d} not compared`);
  return out.join('\n') + '\n';
}

/**
 * Leaf entries of the vmemmap in a page-table listing: the conformance walker's SUMMARY line
 * (vmemdump), or a debugfs dump's lines (x86 "... 2M ... pmd", arm64 "... 2M PMD ...").
 */
export function leafCounts(lines: string[], pageSize: number): { pmd: number; pte: number } | null {
  for (const l of lines) {
    const m = /^SUMMARY runs=\d+ pte_leaves=(\d+) .*pmd_leaves=(\d+)/.exec(l);
    if (m) return { pte: Number(m[1]), pmd: Number(m[2]) };
  }
  const unit: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
  let pmd = 0;
  let pte = 0;
  let seen = false;
  for (const l of lines) {
    const m = /^0x[0-9a-f]+-0x[0-9a-f]+\s+(\d+)([KMGT])\s.*\b(pmd|pte|PMD|PTE)\b/.exec(l.trim());
    if (!m) continue;
    seen = true;
    // not-present ranges are listed too, with the level and no attributes (arm64
    // arch/arm64/mm/ptdump.c note_page() prints the attributes only for a valid entry; x86
    // arch/x86/mm/dump_pagetables.c printk_prot() prints blanks for a non-present one): skip them
    const attrs = l.trim().split(/\s+/).slice(2).filter((t) => !/^(pmd|pte|PMD|PTE)$/.test(t));
    if (attrs.length === 0) continue;
    const bytes = Number(m[1]) * unit[m[2]!]!;
    // a PMD entry maps PAGE_SIZE / 8 pages
    if (m[3]!.toLowerCase() === 'pmd') pmd += bytes / ((pageSize * pageSize) / 8);
    else pte += bytes / pageSize;
  }
  return seen ? { pmd, pte } : null;
}
