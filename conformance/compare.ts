/**
 * Compare a recording of a real kernel with the model run on the same scenario, step by step.
 *
 * The model runs through the library API (../src/index.js) with the profile that matches the
 * recorded kernel release (kernels.ts PROFILE_FOR_SERIES; the scenario's own kernel: field
 * only picks the Debian kernel to record). For every recorded step the model
 * runs the scenario's steps up to that one, and these are compared:
 *
 *   ok                         the step succeeded (kernel: every command exited 0)
 *   vmemmap/segments           the vmemmap as VA-contiguous segments: offset from pfn 0's
 *                              struct page, size, leaf level, backing (ram:nodeN / device:<ns>
 *                              / self:nodeN); RAM is compared by node only
 *   vmemmap/leaves/<level>     leaf entries per level
 *   vmemmap/backing/<class>    bytes of distinct pages backing struct pages, per class
 *   pagetables/<level>         page-table pages per level below the top table
 *   dmesg/altmap, dmesg/pmd    the step's altmap_alloc_block_buf and "PMD ->" lines (the
 *                              physical side of a RAM-backed PMD line only where the model knows it)
 *   layout/<field>             (step 0) paging levels, vmemmap base, pfn 0's struct page VA,
 *                              memory block size
 *   namespace/<ns>/<field>     mode, map, size, align, dataOffset, dev, start, rawSize (ndctl
 *                              list, sysfs)
 *   blocks/...                 memory blocks: count, state and node per block, zone of
 *                              hot-added blocks
 *   dax/<dev>/<field>          dax devices of soft-reserved memory: presence, size, driver
 *   kernel/bad-page            "BUG: Bad page state" reports (the model's kernel has none)
 *   kernel/oops                a kernel-mode paging fault in the step (arm64 "Unable to handle
 *                              kernel paging request at virtual address", x86 "BUG: unable to
 *                              handle page fault for address"): the address and the function
 *                              of pc/RIP, against the oops the model predicts (src/kernel/fault.ts)
 *   kernel/warn-altmap         memunmap_pages()'s WARN "failed to free all reserved pages"
 *   memtotal/delta             MemTotal change since boot vs the pages the model onlines in
 *                              hot-added blocks (block size minus self-hosted memmap pages)
 *                              plus the boot vmemmap pages HVO freed (hugetlb.memTotalGain)
 *   hugetlb/...                pool sizes per huge page size (and node), the vmemmap pages a
 *                              hugepages step freed (/proc/vmstat nr_memmap*, 6.11+), the PTE
 *                              tables of split vmemmap PMDs (within the model's range)
 *
 * Not compared, because the model cannot know them: where memblock/the page allocator put a
 * RAM-backed memmap or page table (physical addresses), absolute MemTotal/MemFree (the
 * kernel's own reservations), zones of boot memory (DMA/DMA32), boot-time pr_debug lines
 * (dynamic debug starts after sparse_init()), the label-less raw namespace the kernel lists
 * from boot (the model creates namespaces only on create-namespace).
 */
import { parseDocument } from 'yaml';
import { parseScenario, PROFILES, runScenario, ScenarioError, type Scenario } from '../src/index.js';
import { profileForRelease } from './kernels.js';
import type { Recording, RecordedStep } from './recording.js';

export interface Difference {
  step: number;
  id: string;
  kernel: string;
  model: string;
}

export interface StepComparison {
  index: number;
  label: string;
  /** the kernel's facts that were compared, in short */
  facts: string;
  differences: Difference[];
  notes: string[];
}

export interface CaseComparison {
  case: string;
  release: string;
  profile: string | null;
  /** compared: the model ran; pending: it cannot run this scenario (reason) */
  status: 'compared' | 'pending';
  reason?: string;
  steps: StepComparison[];
  /** layout differences (step 0): paging levels, vmemmap base, pfn 0's struct page, block size */
  layout?: Difference[];
  differences: Difference[];
  notComparable: string[];
}

export const NOT_COMPARABLE = [
  'physical addresses of RAM-backed memmap and page tables (memblock / page allocator placement)',
  'absolute MemTotal/MemFree and zone figures (only MemTotal changes after boot are compared)',
  'zones of boot memory blocks (the model has no DMA/DMA32 split)',
  'boot-time vmemmap pr_debug lines (dynamic debug starts after sparse_init())',
  'the label-less raw namespace the kernel lists from boot (the model has a namespace only after create-namespace)',
  'dax devices of pmem namespaces (the guest dumps the nd bus, where the nd_dax device has the same name; the dax-bus device is not dumped): their memory shows in the namespace, block and memmap comparisons',
  'dmesg lines other than the altmap, PMD, HugeTLB and memmap_on_memory ones (the recording keeps no log levels, so warnings cannot be told from info lines)',
];

type ModelReport = ReturnType<typeof runScenario>['report'];

interface ModelStep {
  report: ModelReport;
  pfn0Va: bigint;
  stepOk: boolean;
  errno: string | null;
  messages: string[];
  dmesg: string[];
}

const hex = (n: number | bigint) => '0x' + n.toString(16);

function withKernel(text: string, profile: string): string {
  const doc = parseDocument(text);
  doc.set('kernel', profile);
  return doc.toString();
}

/** Run the model on the first `upto` steps (expect steps dropped) and return the state after it. */
function modelAt(sc: Scenario, upto: number): ModelStep {
  const steps = sc.steps.filter((s) => s.kind !== 'expect' && s.index <= upto);
  const r = runScenario({ ...sc, steps });
  const last = r.report.steps[r.report.steps.length - 1]!;
  const pfnBase = (r.machine.k as unknown as { vmemmapPfnBase: number }).vmemmapPfnBase ?? 0;
  return { report: r.report, pfn0Va: BigInt(r.report.vmemmap.start) - BigInt(pfnBase) * 64n, stepOk: last.ok, errno: last.errno, messages: last.messages, dmesg: last.dmesg };
}

/** The model's backing label in the recorder's terms: altmap -> device; a dedup'ed
 * compound-page range is RAM of the device's node (its PTEs map RAM pages, some shared).
 * An altmap whose namespace is gone (the model names it "<ns>~failed-stepN" after a failed
 * enable that left its memmap mapped) is only "Persistent Memory" in the kernel's iomem: the
 * failed probe released the namespace's resource, the recorder says device:region. */
function modelBacking(label: string, nodeOfNs: Map<string, number>): string {
  if (label.startsWith('altmap:')) return nodeOfNs.has(label.slice(7)) ? 'device:' + label.slice(7) : 'device:region';
  if (label.startsWith('dedup:')) return `ram:node${nodeOfNs.get(label.slice(6)) ?? '?'}`;
  return label;
}

function segKey(s: { off: string; size: number; level: string; backing: string }): string {
  return `${s.off}+${hex(s.size)} ${s.level} ${s.backing}`;
}

/** Merge model ranges into segments the way the recorder does (contiguous, same level and backing). */
function modelSegments(m: ModelStep, sc: Scenario): { off: string; size: number; level: string; backing: string }[] {
  const out: { off: number; size: number; level: string; backing: string }[] = [];
  const devNode = new Map(sc.devices.map((d) => [d.name, d.node]));
  const nodeOfNs = new Map(m.report.namespaces.map((n) => [n.name, devNode.get(n.device) ?? 0]));
  // hmem/cxl dax devices: a dedup'ed range is labelled with the dax device's name
  for (const d of m.report.daxDevices) if (!nodeOfNs.has(d.name)) nodeOfNs.set(d.name, devNode.get(d.device) ?? 0);
  for (const r of m.report.vmemmap.ranges) {
    const off = Number(BigInt(r.va) - m.pfn0Va);
    const backing = modelBacking(r.backing, nodeOfNs);
    const last = out[out.length - 1];
    if (last && last.off + last.size === off && last.level === r.level && last.backing === backing) last.size += r.size;
    else out.push({ off, size: r.size, level: r.level, backing });
  }
  return out.map((s) => ({ ...s, off: hex(s.off) }));
}

function listDiff(kernel: string[], model: string[], max = 6): { k: string; m: string } | null {
  const ks = new Set(kernel);
  const ms = new Set(model);
  const onlyK = kernel.filter((x) => !ms.has(x));
  const onlyM = model.filter((x) => !ks.has(x));
  if (onlyK.length === 0 && onlyM.length === 0) return null;
  const show = (a: string[]) => (a.length === 0 ? '(nothing else)' : a.slice(0, max).join('; ') + (a.length > max ? `; ... ${a.length - max} more` : ''));
  return { k: `${kernel.length} total, only here: ${show(onlyK)}`, m: `${model.length} total, only here: ${show(onlyM)}` };
}

function lineRegex(modelLine: string): RegExp {
  const esc = modelLine.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\(unknown\\\)/g, '[0-9a-f]+');
  return new RegExp('^' + esc + '$');
}

/** Ordered line lists; model lines may hold "(unknown)" where the kernel prints an address. */
function linesDiffer(kernel: string[], model: string[]): { k: string; m: string } | null {
  const k = kernel.map((l) => l.trim());
  const m = model.map((l) => l.trim());
  const n = Math.max(k.length, m.length);
  for (let i = 0; i < n; i++) {
    if (k[i] === undefined || m[i] === undefined || !lineRegex(m[i]!).test(k[i]!)) {
      return { k: `${k.length} lines; #${i + 1}: ${k[i] ?? '(none)'}`, m: `${m.length} lines; #${i + 1}: ${m[i] ?? '(none)'}` };
    }
  }
  return null;
}

interface PmdLine { va1: bigint; va2: bigint; pa: string | null; node: string; text: string }

function parsePmd(l: string): PmdLine | null {
  const m = /\[([0-9a-f]+)-([0-9a-f]+)\] PMD -> \[(\S+)-(\S+)\] on node (\d+)/.exec(l);
  if (!m) return null;
  return { va1: BigInt('0x' + m[1]), va2: BigInt('0x' + m[2]), pa: m[3] === '(unknown)' ? null : `${m[3]}-${m[4]}`, node: m[5]!, text: l.trim() };
}

/** VA-contiguous merge of PMD lines of one node. */
function mergePmd(ls: PmdLine[]): string[] {
  const out: { va1: bigint; va2: bigint; node: string }[] = [];
  for (const l of [...ls].sort((a, b) => (a.va1 < b.va1 ? -1 : 1))) {
    const last = out[out.length - 1];
    if (last && last.va2 + 1n === l.va1 && last.node === l.node) last.va2 = l.va2;
    else out.push({ va1: l.va1, va2: l.va2, node: l.node });
  }
  return out.map((x) => `[${x.va1.toString(16)}-${x.va2.toString(16)}] node ${x.node}`);
}

/**
 * "PMD ->" lines: the kernel starts a new line wherever the physical side is not contiguous,
 * which for RAM depends on the page allocator. Lines whose physical side the model knows
 * (altmap) must match exactly; the rest is compared as VA coverage per node.
 */
function pmdLinesDiffer(kernel: string[], model: string[]): { k: string; m: string } | null {
  const k = kernel.map(parsePmd).filter((x): x is PmdLine => x !== null);
  const m = model.map(parsePmd).filter((x): x is PmdLine => x !== null);
  const exact = m.filter((x) => x.pa !== null);
  const kRest = k.filter((x) => !exact.some((e) => e.text === x.text));
  const missing = exact.filter((e) => !k.some((x) => x.text === e.text));
  const kc = mergePmd(kRest);
  const mc = mergePmd(m.filter((x) => x.pa === null));
  if (missing.length === 0 && JSON.stringify(kc) === JSON.stringify(mc)) return null;
  return {
    k: `${k.length} lines; ${missing.length ? `lacks ${missing.map((x) => x.text).slice(0, 3).join('; ')}; ` : ''}RAM-side coverage ${kc.slice(0, 4).join(' ') || '(none)'}${kc.length > 4 ? ' ...' : ''}`,
    m: `${m.length} lines; RAM-side coverage ${mc.slice(0, 4).join(' ') || '(none)'}${mc.length > 4 ? ' ...' : ''}`,
  };
}

function blockMap(runs: { first: number; count: number; state: string; zone: string | null; node?: number | null; nid?: number; boot?: boolean }[]) {
  const out = new Map<number, { state: string; zone: string | null; boot: boolean; node: number | null }>();
  for (const r of runs) for (let i = 0; i < r.count; i++) out.set(r.first + i, { state: r.state, zone: r.zone, boot: !!r.boot, node: r.node ?? r.nid ?? null });
  return out;
}

/** KiB the model hands to the page allocator for hot-added blocks that are online: whole
 * blocks minus their self-hosted memmap pages (memmap_on_memory). */
function onlinedKiB(rep: ModelReport): number {
  const pageKiB = rep.arch === 'arm64' ? Number(String(rep.config.pageSize).replace('K', '')) : 4;
  const blockPages = rep.memory.blockSize / 1024 / pageKiB;
  return rep.memory.blocks.filter((b) => b.state === 'online' && !b.boot).reduce((t, b) => t + b.count * (blockPages - b.vmemmapPages) * pageKiB, 0);
}

interface StepContext {
  /** the boot step (kernel and model), for changes since boot */
  k1?: RecordedStep;
  m1?: ModelStep;
  /** the previous recorded step and the model after it, for per-step changes */
  kPrev?: RecordedStep;
  mPrev?: ModelStep;
  /** the boot log's HugeTLB lines (recording.boot.hugetlbLines) */
  bootHugetlb?: string[];
  /** the boot log's memmap_on_memory "will waste" line (recording.boot.hotplugLines) */
  bootHotplug?: string[];
}

function compareStep(sc: Scenario, ks: RecordedStep, m: ModelStep, ctx: StepContext, bootStep: boolean): StepComparison {
  const { k1, m1 } = ctx;
  const diffs: Difference[] = [];
  const notes: string[] = [];
  const d = (id: string, kernel: string, model: string) => diffs.push({ step: ks.index, id, kernel, model });
  const hv = hvoView(m);

  // ok
  if (ks.ok !== m.stepOk) {
    const kerr = ks.commands.find((c) => c.rc !== 0);
    d('ok', `rc=${ks.rc}${kerr ? ` (${kerr.cmd}: ${kerr.output.filter((l) => /error|fail/i.test(l)).slice(0, 2).join(' | ') || kerr.output.slice(-1)[0] || ''})` : ''}`, m.stepOk ? 'ok' : `${m.errno ?? 'failed'}: ${m.messages.join(' | ')}`);
  }

  // vmemmap segments. Once HVO has split vmemmap PMDs (the model gives only how many, as a
  // range, and does not redraw the mapping) the level of a piece of vmemmap is not compared,
  // only what is mapped and by what
  const pt = m.report.pageTablePages as unknown as Record<string, number>;
  if (hv.split.max > 0) {
    notes.push(`HVO: vmemmap PMDs split into PTE tables (model: ${hv.split.min}..${hv.split.max}); segments compared without their level`);
    const sd = listDiff(flatSegments(ks.vmemmap.segments).map(flatKey), flatSegments(modelSegments(m, sc)).map(flatKey));
    if (sd) d('vmemmap/segments', sd.k, sd.m);
  } else {
    const kseg = ks.vmemmap.segments.map(segKey);
    const mseg = modelSegments(m, sc).map(segKey);
    const sd = listDiff(kseg, mseg);
    if (sd) d('vmemmap/segments', sd.k, sd.m);
  }

  // HVO's split PTE tables: the kernel's PTE tables beyond the model's must lie in the model's
  // splitPteTables range; the leaves then follow (a split PMD leaf becomes a table of PTEs)
  let split = 0;
  const kPte = ks.vmemmap.pageTables.pte;
  if (hv.split.max > 0 && kPte && pt.pte !== undefined) {
    const all = kPte.tables - pt.pte;
    const excl = kPte.tables - kPte.shared - pt.pte;
    const inRange = (x: number) => x >= hv.split.min && x <= hv.split.max;
    split = inRange(all) ? all : inRange(excl) ? excl : all;
    if (!inRange(split)) d('hugetlb/splitPteTables', `${split} (${kPte.tables} PTE tables, the model has ${pt.pte} without splits)`, `${hv.split.min}..${hv.split.max}`);
    else notes.push(`HVO: ${split} vmemmap PMDs split (model: ${hv.split.min}..${hv.split.max})`);
  }

  // leaves per level (less the split PMDs, plus their PTEs)
  const ml = m.report.vmemmap.mappings as Record<string, number>;
  const perTable = hv.pageBytes / 8;
  for (const lvl of new Set([...Object.keys(ks.vmemmap.leaves), ...Object.keys(ml)])) {
    const kv = ks.vmemmap.leaves[lvl] ?? 0;
    const adj = lvl === 'pmd' ? -split : lvl === 'pte' ? split * perTable : 0;
    const mv = (ml[lvl] ?? 0) + adj;
    if (kv !== mv) d(`vmemmap/leaves/${lvl}`, String(kv), adj ? `${mv} (${ml[lvl] ?? 0} ${adj > 0 ? '+' : '-'} ${Math.abs(adj)} for ${split} split PMDs)` : String(mv));
  }

  // backing bytes by class
  const kb: Record<string, number> = {};
  for (const [n, v] of Object.entries(ks.vmemmap.backing.ram)) kb[`ram:node${n}`] = v;
  for (const [n, v] of Object.entries(ks.vmemmap.backing.self)) kb[`self:node${n}`] = v;
  for (const [n, v] of Object.entries(ks.vmemmap.backing.device)) kb[`device:${n}`] = v;
  if (ks.vmemmap.backing.unknown) kb.unknown = ks.vmemmap.backing.unknown;
  // memmap served by leaves that map a page another leaf maps too (device-dax dedup)
  const shared = ks.vmemmap.segments.reduce((t, s) => t + s.size - s.distinct * (s.size / s.leaves), 0);
  if (shared) kb.dedup = shared;
  const mb: Record<string, number> = {};
  const rb = m.report.memmapBacking;
  // HVO: the model's mapping is the one before optimisation; an optimised folio's vmemmap
  // pages are mapped by one page (the kernel counts the other leaves as dedup), and the pages
  // it freed back no longer back anything
  for (const [n, v] of Object.entries(rb.ram)) mb[`ram:node${n}`] = v - (m.report.hugetlb.vmemmapFreed[n] ?? 0);
  for (const [n, v] of Object.entries(rb.self ?? {})) mb[`self:node${n}`] = v;
  const live = new Set(m.report.namespaces.map((n) => n.name));
  for (const [n, v] of Object.entries(rb.altmap)) {
    const key = live.has(n) ? `device:${n}` : 'device:region'; // see modelBacking
    mb[key] = (mb[key] ?? 0) + v;
  }
  const dd = Object.values((rb as { dedup?: Record<string, number> }).dedup ?? {}).reduce((t, v) => t + v, 0) + hv.freedBytes;
  if (dd) mb.dedup = dd;
  for (const key of new Set([...Object.keys(kb), ...Object.keys(mb)])) {
    if ((kb[key] ?? 0) !== (mb[key] ?? 0)) d(`vmemmap/backing/${key}`, String(kb[key] ?? 0), String(mb[key] ?? 0));
  }

  // page-table pages (PTE tables are compared above while HVO has split PMDs)
  for (const [lvl, v] of Object.entries(ks.vmemmap.pageTables)) {
    const mv = pt[lvl];
    if (mv === undefined) { if (v.tables) d(`pagetables/${lvl}`, String(v.tables), '(the model has no such level)'); continue; }
    if (lvl === 'pte' && hv.split.max > 0) continue;
    const kexcl = v.tables - v.shared;
    if (v.tables !== mv && kexcl !== mv) d(`pagetables/${lvl}`, v.shared ? `${v.tables} (${v.shared} of them also map outside the vmemmap)` : String(v.tables), String(mv));
  }

  // dmesg
  if (bootStep) {
    notes.push('dmesg: boot-time pr_debug lines are not captured (dynamic debug starts after sparse_init())');
    // the boot log's HugeTLB lines (report_hugepages, boot pool shortfalls, parameter errors)
    if (ctx.bootHugetlb) {
      const h = linesDiffer(ctx.bootHugetlb, m.dmesg.map((l) => l.trim()).filter((l) => /^HugeTLB/.test(l)));
      if (h) d('dmesg/hugetlb', h.k, h.m);
    }
    // memory_hotplug.memmap_on_memory=force: "Memory hotplug will waste %ld pages in each memory block"
    if (ctx.bootHotplug) {
      const h = linesDiffer(ctx.bootHotplug, m.dmesg.map((l) => l.trim()).filter((l) => /^Memory hotplug will waste/.test(l)));
      if (h) d('dmesg/hotplug', h.k, h.m);
    }
  } else {
    const mAlt = m.dmesg.filter((l) => l.startsWith('altmap_alloc_block_buf:'));
    const mPmd = m.dmesg.filter((l) => /\] PMD -> \[/.test(l));
    const a = linesDiffer(ks.dmesg.altmap, mAlt);
    if (a) d('dmesg/altmap', a.k, a.m);
    const p = pmdLinesDiffer(ks.dmesg.pmd, mPmd);
    if (p) d('dmesg/pmd', p.k, p.m);
  }

  // the kernel's own bug reports (BUG: Bad page state): the model's kernel has none of them, so
  // any is a difference to be listed with its cause (docs/research/hvo-bad-page-state.md)
  const bad = ks.dmesg.other.map((l) => /^BUG: Bad page state in process \S+ +pfn:([0-9a-f]+)$/.exec(l.trim())).filter((x): x is RegExpExecArray => x !== null);
  if (bad.length) d('kernel/bad-page', `${bad.length} reports (first pfn ${bad[0]![1]})`, 'none');

  // kernel-mode paging faults (oopses): the kernel's report against the model's prediction.
  // Both print the arch's first line with the faulting address and a pc/RIP line naming the
  // function (the model without the offset)
  const ko = oopsOf(ks.dmesg.other);
  const mo = oopsOf(m.dmesg);
  if ((ko?.key ?? null) !== (mo?.key ?? null)) d('kernel/oops', ko?.key ?? 'none', mo?.key ?? 'none');
  else if (ko && mo) notes.push(`oops: both in ${ko.fn} on the struct page at ${ko.structPage}; first faulting byte kernel ${ko.va}, model ${mo.va} (the field the compiled code stores to first is the compiler's choice; the model touches the struct page's first byte)`);
  // memunmap_pages(): WARN_ONCE(pgmap->altmap.alloc, "failed to free all reserved pages\n")
  const warnRe = /^failed to free all reserved pages$/;
  const kw = ks.dmesg.other.filter((l) => warnRe.test(l.trim())).length;
  const mw = m.dmesg.filter((l) => warnRe.test(l.trim())).length;
  if (kw !== mw) d('kernel/warn-altmap', `${kw} "failed to free all reserved pages"`, `${mw} "failed to free all reserved pages"`);

  // namespaces (not when ndctl list blocked in the guest: then the kernel's list is unknown)
  const mns = new Map(m.report.namespaces.map((n) => [n.name, n]));
  const listStuck = (ks.stuck ?? []).includes('ndctl-list-N');
  if (listStuck) {
    notes.push(`namespaces not compared: ndctl list blocked in the guest (${(ks.stuck ?? []).join(', ')} timed out; an oopsed task keeps the device locks it held)`);
    mns.clear();
  }
  for (const kn of listStuck ? [] : ks.namespaces) {
    const mn = mns.get(kn.name);
    if (!mn) {
      if (kn.mode === 'raw') notes.push(`${kn.name}: raw in the kernel, not listed by the model (label-less namespace from boot)`);
      else d(`namespace/${kn.name}`, `${kn.mode} size ${kn.size}`, '(no such namespace)');
      continue;
    }
    mns.delete(kn.name);
    const f = (field: string, kv: unknown, mv: unknown) => { if (kv !== null && kv !== undefined && kv !== mv) d(`namespace/${kn.name}/${field}`, String(kv), String(mv)); };
    f('mode', kn.mode, mn.mode);
    if (kn.mode !== 'raw') f('map', kn.map, mn.map);
    f('size', kn.size, mn.size);
    if (kn.mode !== 'raw') f('align', kn.align, mn.align);
    if (kn.mode !== 'raw') f('dataOffset', kn.dataOffset, mn.dataOffset);
    f('dev', kn.dev, mn.dev);
    f('start', kn.start, mn.start);
    f('rawSize', kn.rawSize, mn.rawSize);
  }
  for (const mn of mns.values()) d(`namespace/${mn.name}`, '(not listed by ndctl)', `${mn.mode} size ${mn.size}`);

  // memory blocks
  const kbm = blockMap(ks.memory.blocks);
  const mbm = blockMap(m.report.memory.blocks);
  if (kbm.size !== mbm.size) d('blocks/count', String(kbm.size), String(mbm.size));
  const stateDiff: string[] = [];
  const zoneDiff: string[] = [];
  const nodeDiff: string[] = [];
  for (const [id, kbk] of kbm) {
    const mbk = mbm.get(id);
    if (!mbk) { stateDiff.push(`memory${id}: ${kbk.state} vs absent`); continue; }
    if (kbk.node !== null && mbk.node !== null && kbk.node !== mbk.node) nodeDiff.push(`memory${id}: node ${kbk.node} vs ${mbk.node}`);
    if (kbk.state !== mbk.state) stateDiff.push(`memory${id}: ${kbk.state} vs ${mbk.state}`);
    else if (kbk.state === 'online' && !mbk.boot && kbk.zone !== mbk.zone) zoneDiff.push(`memory${id}: ${kbk.zone} vs ${mbk.zone}`);
  }
  for (const id of mbm.keys()) if (!kbm.has(id)) stateDiff.push(`memory${id}: absent vs ${mbm.get(id)!.state}`);
  const cut = (a: string[]) => a.slice(0, 6).join('; ') + (a.length > 6 ? `; ... ${a.length - 6} more` : '');
  if (stateDiff.length) d('blocks/state', cut(stateDiff), `${stateDiff.length} blocks differ (kernel vs model)`);
  if (zoneDiff.length) d('blocks/zone', cut(zoneDiff), `${zoneDiff.length} blocks differ (kernel vs model)`);
  if (nodeDiff.length) d('blocks/node', cut(nodeDiff), `${nodeDiff.length} blocks differ (kernel vs model)`);

  // dax devices of soft-reserved memory (hmem, cxl): name, size and the bound driver. Those of
  // pmem namespaces are not in the recording (see NOT_COMPARABLE)
  const mdax = new Map(m.report.daxDevices.filter((x) => x.source !== 'pmem').map((x) => [x.name, x]));
  for (const kd of ks.daxDevices) {
    const md = mdax.get(kd.name);
    if (!md) { d(`dax/${kd.name}`, `size ${kd.size ?? '?'} driver ${kd.driver ?? 'none'}`, '(no such dax device)'); continue; }
    mdax.delete(kd.name);
    if (kd.size !== null && kd.size !== md.size) d(`dax/${kd.name}/size`, String(kd.size), String(md.size));
    const mdrv = md.mode === 'system-ram' ? 'kmem' : md.mode === 'devdax' ? 'device_dax' : 'none';
    if (kd.driver !== null && kd.driver !== mdrv) d(`dax/${kd.name}/driver`, kd.driver, mdrv);
  }
  for (const md of mdax.values()) d(`dax/${md.name}`, '(not listed by daxctl)', `size ${md.size} ${md.mode}`);

  // HugeTLB pools and the vmemmap HVO gave back (only in recordings with the hugetlb dump)
  if (ks.hugetlb) compareHugetlb(ks, m, ctx, hv, d, notes, sc.nodes.length);

  // MemTotal change since boot
  if (k1 && m1 && ks.memory.memTotalKiB !== null && k1.memory.memTotalKiB !== null) {
    const kd = ks.memory.memTotalKiB - k1.memory.memTotalKiB;
    const md = onlinedKiB(m.report) - onlinedKiB(m1.report);
    // plus what HVO added by freeing boot-time vmemmap pages (a range once folios may reuse
    // vmemmap pages an earlier restore took from the buddy allocator)
    const g = (r: ModelReport, f: 'min' | 'max') => Object.values(r.hugetlb.memTotalGain).reduce((t, x) => t + x[f], 0) / 1024;
    const lo = md + g(m.report, 'min') - g(m1.report, 'min');
    const hi = md + g(m.report, 'max') - g(m1.report, 'max');
    if (kd < lo || kd > hi) d('memtotal/delta', `${kd} KiB`, lo === hi ? `${lo} KiB` : `${lo}..${hi} KiB`);
    else if (lo !== hi) notes.push(`MemTotal: ${kd} KiB since boot, within the model's ${lo}..${hi} KiB`);
  }
  return { index: ks.index, label: ks.label, facts: facts(ks), differences: diffs, notes };
}

/**
 * The first kernel paging fault among the lines: the faulting address, the struct page it lies
 * in (rounded down to sizeof(struct page), 64 bytes in every configuration recorded) and the
 * function of the pc/RIP line without the compiler's clone suffixes (.constprop.0, .isra.0,
 * .part.0, .cold). key, what is compared, is "struct page <va> in <function>": which byte of
 * the struct page the compiled code stores to first is the compiler's choice (6.12.118 built
 * with gcc 12 writes _refcount at +0x34 before the rest), the model cannot know it.
 */
export function oopsOf(lines: string[]): { va: string; structPage: string; fn: string; key: string } | null {
  let va: string | null = null;
  let fn: string | null = null;
  for (const raw of lines) {
    const l = raw.trim();
    const a = /^Unable to handle kernel paging request at virtual address ([0-9a-f]+)$/.exec(l) ?? /^BUG: unable to handle page fault for address: ([0-9a-f]+)$/.exec(l);
    if (a && va === null) { va = a[1]!.padStart(16, '0'); continue; }
    const f = /^(?:pc : |RIP: 0010:)([A-Za-z0-9_.]+)\+/.exec(l);
    if (f && va !== null && fn === null) fn = f[1]!.replace(/\.(?:constprop|isra|part|cold)(?:\.\d+)?/g, '');
  }
  if (va === null) return null;
  const structPage = (BigInt('0x' + va) & ~63n).toString(16).padStart(16, '0');
  const name = fn ?? '(no pc line)';
  return { va, structPage, fn: name, key: `struct page ${structPage} in ${name}` };
}

interface HvoView {
  /** base page size in bytes */
  pageBytes: number;
  /** net vmemmap bytes HVO gave back, all nodes */
  freedBytes: number;
  /** PTE tables split vmemmap PMDs cost, all nodes */
  split: { min: number; max: number };
}

function hvoView(m: ModelStep): HvoView {
  const h = m.report.hugetlb;
  const pageBytes = m.report.arch === 'arm64' ? Number(String(m.report.config.pageSize).replace('K', '')) * 1024 : 4096;
  const freedBytes = Object.values(h.vmemmapFreed).reduce((t, v) => t + v, 0);
  const split = Object.values(h.splitPteTables).reduce((t, x) => ({ min: t.min + x.min, max: t.max + x.max }), { min: 0, max: 0 });
  return { pageBytes, freedBytes, split };
}

/** Level-agnostic segments: contiguous pieces of one backing merged whatever their level. */
function flatSegments(segs: { off: string; size: number; backing: string }[]): { off: number; size: number; backing: string }[] {
  const out: { off: number; size: number; backing: string }[] = [];
  for (const s of [...segs].sort((a, b) => Number(a.off) - Number(b.off))) {
    const off = Number(s.off);
    const last = out[out.length - 1];
    if (last && last.off + last.size === off && last.backing === s.backing) last.size += s.size;
    else out.push({ off, size: s.size, backing: s.backing });
  }
  return out;
}

function flatKey(s: { off: number; size: number; backing: string }): string {
  return `${hex(s.off)}+${hex(s.size)} ${s.backing}`;
}

/** The memmap pages /proc/vmstat counts (6.11+): buddy-allocated plus boot (memblock) ones. */
function memmapPages(ks: RecordedStep | undefined): { total: number; text: string } | null {
  const v = ks?.hugetlb?.vmstat;
  if (!v || v.nr_memmap_pages === undefined) return null;
  const boot = v.nr_memmap_boot_pages;
  return { total: v.nr_memmap_pages + (boot ?? 0), text: `nr_memmap_pages ${v.nr_memmap_pages}${boot !== undefined ? ` + nr_memmap_boot_pages ${boot}` : ''}` };
}

const sizeName = (n: number) => (n % 1073741824 === 0 ? `${n / 1073741824}G` : n % 1048576 === 0 ? `${n / 1048576}M` : `${n / 1024}K`);

function compareHugetlb(ks: RecordedStep, m: ModelStep, ctx: StepContext, hv: HvoView, d: (id: string, k: string, m: string) => void, notes: string[], nodes: number): void {
  const kh = ks.hugetlb!;
  const mh = m.report.hugetlb;
  // which huge page sizes exist (hstates)
  const ksz = kh.pools.map((p) => sizeName(p.size));
  const msz = mh.hstates.map((h) => sizeName(h.size));
  if (JSON.stringify([...ksz].sort()) !== JSON.stringify([...msz].sort())) d('hugetlb/sizes', ksz.join(' ') || '(none)', msz.join(' ') || '(none)');
  // pool sizes: nr_hugepages per size (and per node with several nodes)
  for (const p of kh.pools) {
    const h = mh.hstates.find((x) => x.size === p.size);
    if (!h) continue;
    const mp = Object.values(h.pages).reduce((t, v) => t + v, 0);
    if (p.nr !== mp) d(`hugetlb/pages/${sizeName(p.size)}`, `${p.nr}${p.surplus ? ` (${p.surplus} surplus)` : ''}`, String(mp));
    if (nodes > 1) {
      for (const n of new Set([...Object.keys(p.nodes), ...Object.keys(h.pages)])) {
        if ((p.nodes[n] ?? 0) !== (h.pages[n] ?? 0)) d(`hugetlb/pages/${sizeName(p.size)}/node${n}`, String(p.nodes[n] ?? 0), String(h.pages[n] ?? 0));
      }
    }
  }
  // vmemmap HVO gave back in this step: the drop of the memmap counters against the change of
  // the model's vmemmapFreed (pages), for hugepages steps (other steps move the counters too)
  const cur = memmapPages(ks);
  const prev = memmapPages(ctx.kPrev);
  if (ks.kind === 'hugepages' && cur && prev && ctx.mPrev) {
    const drop = prev.total - cur.total;
    const mFreed = (hv.freedBytes - hvoView(ctx.mPrev).freedBytes) / hv.pageBytes;
    if (drop !== mFreed) d('hugetlb/vmemmapFreed', `${drop} pages (${prev.text} -> ${cur.text})`, `${mFreed} pages`);
    else notes.push(`HVO: memmap pages ${drop >= 0 ? 'down' : 'up'} ${Math.abs(drop)} (${prev.text} -> ${cur.text}), as the model's vmemmapFreed`);
  } else if (ks.kind === 'hugepages' && !cur) notes.push('HVO: this kernel has no nr_memmap_pages in /proc/vmstat (6.11+); only the vmemmap itself (dedup, backing, PTE tables) shows what HVO freed');
}

const mib = (n: number) => (n % 1048576 === 0 ? `${n / 1048576}M` : `${Math.round(n / 1024)}K`);

function facts(ks: RecordedStep): string {
  const v = ks.vmemmap;
  const leaves = Object.entries(v.leaves).map(([l, n]) => `${n} ${l}`).join(' + ') || 'no leaves';
  const back = [...Object.entries(v.backing.ram).map(([n, b]) => `ram:node${n} ${mib(b)}`), ...Object.entries(v.backing.self).map(([n, b]) => `self:node${n} ${mib(b)}`), ...Object.entries(v.backing.device).map(([n, b]) => `${n} ${mib(b)}`)].join(', ');
  const tables = Object.entries(v.pageTables).filter(([, t]) => t.tables).map(([l, t]) => `${l} ${t.tables}`).join(' ');
  const ns = ks.namespaces.filter((n) => n.mode !== 'raw').map((n) => `${n.name} ${n.mode}${n.map ? ' map=' + n.map : ''} size ${n.size} dataoff ${n.dataOffset ?? '?'}`).join('; ');
  const online = ks.memory.blocks.filter((b) => b.state === 'online').reduce((t, b) => t + b.count, 0);
  const total = ks.memory.blocks.reduce((t, b) => t + b.count, 0);
  const shared = v.segments.reduce((t, s) => t + s.size - s.distinct * (s.size / s.leaves), 0);
  const hp = ks.hugetlb?.pools.filter((p) => p.nr).map((p) => `${sizeName(p.size)} x${p.nr}`).join(' ');
  const mm = memmapPages(ks);
  const huge = ks.hugetlb ? `; hugetlb ${hp || 'none'}${mm ? `, ${mm.text}` : ''}` : '';
  return `${ks.ok ? 'ok' : 'failed rc=' + ks.rc}; ${leaves} leaves, ${v.distinctPtePages ? v.distinctPtePages + ' distinct pte pages, ' : ''}backing ${back || '-'}${shared ? `, dedup ${mib(shared)}` : ''}; tables ${tables || '-'}; ${ks.dmesg.altmap.length} altmap + ${ks.dmesg.pmd.length} PMD lines; ${ns ? ns + '; ' : ''}blocks ${online}/${total} online${huge}`;
}

export function compareRecording(rec: Recording, scenarioText: string, opts: { profile?: string; file?: string } = {}): CaseComparison {
  const profile = opts.profile ?? profileForRelease(rec.kernel.release, PROFILES.map((p) => p.id));
  const base: CaseComparison = { case: rec.case, release: rec.kernel.release, profile, status: 'compared', steps: [], differences: [], notComparable: NOT_COMPARABLE };
  if (!profile) return { ...base, status: 'pending', reason: `no model profile for kernel ${rec.kernel.release}` };
  let sc: Scenario;
  try {
    sc = parseScenario(opts.file ?? `${rec.case}/scenario.yaml`, withKernel(scenarioText, profile));
  } catch (e) {
    if (e instanceof ScenarioError) return { ...base, status: 'pending', reason: `the model cannot read the scenario: ${e.message}` };
    throw e;
  }
  const bootIndex = sc.steps[0]?.kind === 'boot' ? 1 : 0;
  const cache = new Map<number, ModelStep>();
  const at = (i: number) => {
    if (!cache.has(i)) cache.set(i, modelAt(sc, bootIndex === 1 ? i : i - 1));
    return cache.get(i)!;
  };
  const k1 = rec.steps.find((s) => s.index === 1);
  // the layout: paging levels, where the vmemmap starts, where pfn 0's struct page sits
  const first = rec.steps[0] ? at(rec.steps[0].index) : null;
  if (first) {
    const layout: Difference[] = [];
    const lp = rec.layout.paging;
    const mc = first.report.config as Record<string, unknown>;
    const mLevels = Number(mc.levels);
    if (lp.levels && Number.isFinite(mLevels) && lp.levels !== mLevels) layout.push({ step: 0, id: 'layout/levels', kernel: String(lp.levels), model: String(mLevels) });
    if (lp.vmemmapBase && BigInt(lp.vmemmapBase) !== BigInt(first.report.vmemmap.start)) layout.push({ step: 0, id: 'layout/vmemmapBase', kernel: lp.vmemmapBase, model: first.report.vmemmap.start });
    if (lp.pfn0Va && BigInt(lp.pfn0Va) !== first.pfn0Va) layout.push({ step: 0, id: 'layout/pfn0Va', kernel: lp.pfn0Va, model: hex(first.pfn0Va) });
    if (rec.layout.memoryBlockSize && rec.layout.memoryBlockSize !== first.report.memory.blockSize) layout.push({ step: 0, id: 'layout/memoryBlockSize', kernel: String(rec.layout.memoryBlockSize), model: String(first.report.memory.blockSize) });
    base.differences.push(...layout);
    base.layout = layout;
  }
  let kPrev: RecordedStep | undefined;
  for (const ks of rec.steps) {
    const m = at(ks.index);
    const ctx: StepContext = { k1, m1: k1 ? at(1) : undefined, kPrev, mPrev: kPrev ? at(kPrev.index) : undefined, bootHugetlb: rec.boot.hugetlbLines, bootHotplug: rec.boot.hotplugLines };
    const c = compareStep(sc, ks, m, ctx, ks.index === 1);
    kPrev = ks;
    base.steps.push(c);
    base.differences.push(...c.differences);
  }
  return base;
}

// ---- known differences -------------------------------------------------------------------------

/**
 * A case's known differences: each names one step, one exact id and the exact kernel and
 * model values, so a new difference - or the same one with other values - is never hidden.
 */
export interface KnownDifferences {
  /** The model cannot run this case yet: why. */
  pending?: string;
  differences: { step: number; id: string; kernel: string; model: string; reason: string }[];
}

export function parseKnown(text: string | null): KnownDifferences {
  if (!text) return { differences: [] };
  const j = JSON.parse(text) as KnownDifferences;
  for (const k of j.differences ?? []) {
    const where = `known difference ${String(k.step)}/${k.id}`;
    if (!k.reason || /\n/.test(k.reason)) throw new Error(`${where}: needs a one-line reason`);
    if (typeof k.step !== 'number' || /[*?]/.test(k.id)) throw new Error(`${where}: name one step and one exact id (no wildcards)`);
    if (typeof k.kernel !== 'string' || typeof k.model !== 'string') throw new Error(`${where}: give the exact kernel and model values`);
  }
  return { pending: j.pending, differences: j.differences ?? [] };
}

const same = (x: KnownDifferences['differences'][number], d: Difference) => x.step === d.step && x.id === d.id && x.kernel === d.kernel && x.model === d.model;

export function isKnown(k: KnownDifferences, d: Difference): string | null {
  return k.differences.find((x) => same(x, d))?.reason ?? null;
}

/** Differences not covered by the known list, and known entries that matched nothing. */
export function triage(c: CaseComparison, k: KnownDifferences): { unexpected: Difference[]; stale: KnownDifferences['differences']; pendingOk: boolean } {
  const unexpected = c.differences.filter((d) => isKnown(k, d) === null);
  const stale = k.differences.filter((x) => !c.differences.some((d) => same(x, d)));
  return { unexpected, stale, pendingOk: c.status !== 'pending' || !!k.pending };
}

export function renderComparison(c: CaseComparison, k?: KnownDifferences): string {
  const out: string[] = [];
  out.push(`== ${c.case}: kernel ${c.release} vs model ${c.profile ?? '(none)'}: ${c.status === 'pending' ? 'PENDING - ' + c.reason : c.differences.length === 0 ? 'no differences' : c.differences.length + ' difference(s)'}`);
  for (const d of c.layout ?? []) {
    const why = k ? isKnown(k, d) : null;
    out.push(`  layout: ${why ? '[known] ' : ''}${d.id}: kernel ${d.kernel}, model ${d.model}${why ? ` (${why})` : ''}`);
  }
  for (const s of c.steps) {
    out.push(`  step ${s.index} ${s.label}: ${s.differences.length === 0 ? 'same' : s.differences.length + ' difference(s)'}`);
    out.push(`    kernel: ${s.facts}`);
    for (const d of s.differences) {
      const why = k ? isKnown(k, d) : null;
      out.push(`    ${why ? '[known] ' : ''}${d.id}`);
      out.push(`      kernel: ${d.kernel}`);
      out.push(`      model:  ${d.model}`);
      if (why) out.push(`      reason: ${why}`);
    }
    for (const n of s.notes) out.push(`    note: ${n}`);
  }
  if (c.status === 'compared') out.push(`  not compared (the model cannot know): ${c.notComparable.join('; ')}`);
  return out.join('\n');
}
