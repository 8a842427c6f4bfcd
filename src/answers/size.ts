/**
 * `vmemlab size`: direct answers to the sizing questions of operators (docs/answers.md), each
 * by building a small machine for the question, running it on the machine model, and reading
 * the numbers off the run. No number here comes from a formula of its own; the explanation
 * lines restate the kernel's arithmetic with the values the model computed.
 */
import { resolveArch, type ArchConfig } from '../arch/index.js';
import { findProfile } from '../kernels/index.js';
import { memremap_compat_align, nd_pfn_default_alignment } from '../kernel/nvdimm/pfn_devs.js';
import { memmapOnMemoryRefusal } from '../kernel/memory_hotplug.js';
import { archHugePageSizes, hvoSupported, optimizablePages } from '../kernel/hugetlb.js';
import { GiB, MiB, alignUp, isPow2, lx } from '../util/bits.js';
import { commas, fmtSize } from '../util/units.js';
import {
  AnswerError, RAM_BASE, buildScenario, checkMachine, configOf, kernelOf, runObserved, sz, total,
  type BuiltScenario, type MachineOpts, type ObservedRun,
} from './machine.js';

/** What every answer carries besides its own fields. */
export interface AnswerBase {
  question: string;
  machine: { arch: string; label: string; config: Record<string, string | number | boolean>; kernel: string };
  ok: boolean;
  errno: string | null;
  /** A few lines that say where each number comes from, naming the kernel functions. */
  explanation: string[];
  /** Kernel messages of the answering step at warning level or above. */
  warnings: string[];
  /** The scenario that was run, as YAML: `vmemlab run`/`explain` it, or edit it for "what if". */
  scenario: string;
}

import { namespaceStory } from './explain.js';
import { leafKind, leafLine, machineInfo, populateLines, stepCost, stepWarnings, tablesLine, type PageTableCount } from './narrate.js';
export type { PageTableCount } from './narrate.js';

function archOf(o: MachineOpts): ArchConfig {
  return resolveArch(o.arch, configOf(o) as never, findProfile(kernelOf(o))!).cfg;
}

/** The fields every answer has, from the step that answers it. */
function answerBase(question: string, run: ObservedRun, i: number, explanation: string[], built: BuiltScenario): AnswerBase {
  const r = run.results[i]!;
  return { question, machine: machineInfo(run), ok: r.ok, errno: r.errno, explanation, warnings: stepWarnings(run, i), scenario: built.yaml };
}

// ---------------------------------------------------------------------------------------------
// size namespace

export interface NamespaceQuestion extends MachineOpts {
  /** Region (and namespace) size; or give `usable` for the inverse question. */
  size?: number;
  usable?: number;
  mode?: 'fsdax' | 'devdax';
  map?: 'dev' | 'mem';
  align?: number;
  start?: number;
  /** Boot RAM of the node (default: enough for a --map=mem memmap of the device). */
  nodeRam?: number;
}

export interface NamespaceAnswer extends AnswerBase {
  size: number;
  mode: 'fsdax' | 'devdax';
  map: 'dev' | 'mem';
  align: number;
  start: number;
  usable: number | null;
  dataOffset: number | null;
  npfns: number | null;
  memmap: {
    /** Bytes of pages the kernel populated to hold the namespace's struct pages. */
    bytes: number;
    on: 'device' | 'ram' | 'device+ram' | 'none';
    /** Of which on the device (the altmap's allocation). */
    device: number;
    /** Of which in RAM, by node. */
    ram: Record<string, number>;
    /** Struct-page bytes served by shared pages (device-dax compound-page dedup). */
    dedup: number;
  };
  altmap: { base_pfn: number; end_pfn: number; reserve: number; free: number; alloc: number; align: number } | null;
  pageTablePages: PageTableCount;
  leaf: 'pmd' | 'pte' | 'mixed' | 'none';
  /** The inverse question: the usable size asked for, and how many sizes were tried. */
  wanted?: { usable: number; tried: number };
}

const SZ_16M = 16 * MiB;

function namespaceMachine(q: NamespaceQuestion, size: number): BuiltScenario {
  const a = archOf(q);
  const base = RAM_BASE[q.arch];
  // enough RAM that a --map=mem memmap fits whatever the device's size (the same RAM for both maps)
  const ram = q.nodeRam ?? Math.max(4 * GiB, alignUp(2 * (size / a.PAGE_SIZE) * a.STRUCT_PAGE_SIZE, GiB));
  const start = q.start ?? alignUp(base + ram, 64 * GiB);
  const mode = q.mode ?? 'fsdax';
  const map = q.map ?? 'dev';
  return buildScenario('<size namespace>', q, {
    description: `size namespace: ${fmtSize(size)} ${mode} --map=${map}${q.align ? ` --align=${fmtSize(q.align)}` : ''}`,
    nodes: [{ id: 0, memory: [{ start: sz(base), size: sz(ram) }] }],
    devices: [{ name: 'pmem0', type: 'nvdimm', node: 0, start: sz(start), size: sz(size) }],
    steps: ['boot', { 'create-namespace': { device: 'pmem0', mode, map, ...(q.align ? { align: sz(q.align) } : {}) } }],
  });
}

function answerNamespace(q: NamespaceQuestion, size: number): NamespaceAnswer {
  const built = namespaceMachine(q, size);
  const run = runObserved(built.scenario);
  const m = run.machine;
  const k = m.k;
  const r = run.results[1]!;
  const region = m.regions.get('pmem0')!;
  const ns = region.namespaces[0];
  const alt = ns?.altmap ? k.s.altmaps.get(ns.altmap) ?? null : null;
  const cost = stepCost(run, 1);
  const ramBytes = total(cost.mm.ram);
  const devBytes = total(cost.mm.altmap);
  const on = devBytes && ramBytes ? 'device+ram' : devBytes ? 'device' : ramBytes ? 'ram' : 'none';
  const mode = q.mode ?? 'fsdax';
  const map = q.map ?? 'dev';
  const align = ns?.align ?? q.align ?? nd_pfn_default_alignment(k.arch.cfg);
  const start = built.scenario.devices[0]!.start;
  const ex: string[] = [];
  const label = `${fmtSize(size)} ${mode} --map=${map} namespace, align ${fmtSize(align)}`;
  if (!ns) {
    ex.push(`${label}: ndctl create-namespace fails: ${r.errno}`);
    for (const msg of r.messages) ex.push(`  ${msg.trim()}`);
    for (const l of populateLines(run, 1)) ex.push(`  ${l}`);
    if (ramBytes || devBytes) ex.push(`  left behind by the failed probe: ${devBytes ? `${fmtSize(devBytes)} of memmap on the device` : ''}${devBytes && ramBytes ? ' and ' : ''}${ramBytes ? `${fmtSize(ramBytes)} in RAM` : ''} (memunmap_pages() does not undo a partly populated range)`);
  } else {
    ex.push(...namespaceStory(run, 1).lines);
    for (const l of populateLines(run, 1)) ex.push(`  ${l}`);
    if (ramBytes) ex.push(`  memmap in RAM: ${Object.entries(cost.mm.ram).map(([n, b]) => `node ${n} ${fmtSize(b)}`).join(', ')}${map === 'mem' ? ' (--map=mem: vmemmap_alloc_block() from the namespace\'s node)' : ''}`);
    if (total(cost.mm.dedup)) ex.push(`  device-dax compound pages (vmemmap_populate_compound_pages): ${fmtSize(total(cost.mm.dedup))} of struct pages are served by shared tail pages, not backed by pages of their own`);
    ex.push(`  mapping: ${leafLine(k, cost.leaves)}; ${tablesLine(cost.pt)}`);
  }
  if (!r.ok && ns) ex.push(`  the namespace failed to enable: ${r.errno}`);
  return {
    ...answerBase('size namespace', run, 1, ex, built),
    size,
    mode,
    map,
    align,
    start,
    usable: ns?.usable ?? null,
    dataOffset: ns?.dataOffset ?? null,
    npfns: ns?.npfns ?? null,
    memmap: { bytes: ramBytes + devBytes, on, device: devBytes, ram: cost.mm.ram, dedup: total(cost.mm.dedup) },
    altmap: alt ? { base_pfn: alt.base_pfn, end_pfn: alt.end_pfn, reserve: alt.reserve, free: alt.free, alloc: alt.alloc, align: alt.align } : null,
    pageTablePages: cost.pt,
    leaf: leafKind(cost.leaves),
  };
}

export function sizeNamespace(q: NamespaceQuestion): NamespaceAnswer {
  checkMachine(q);
  if (q.align !== undefined && !isPow2(q.align)) throw new AnswerError('--align', `${q.align} is not a power of two`);
  if ((q.size === undefined) === (q.usable === undefined)) throw new AnswerError('--size', 'give either --size (what is usable?) or --usable (what size gives that?)');
  if (q.size !== undefined) {
    if (q.size < SZ_16M) throw new AnswerError('--size', `${fmtSize(q.size)}: ndctl needs at least 16 MiB for fsdax and devdax namespaces`);
    return answerNamespace(q, q.size);
  }
  // The inverse question: the smallest region size (a multiple of the region alignment, 16 MiB,
  // and of the namespace alignment, as ndctl requires) whose namespace has at least `usable`.
  const U = q.usable!;
  if (U <= 0) throw new AnswerError('--usable', 'must be more than 0');
  const a = archOf(q);
  const g = Math.max(SZ_16M, q.align ?? nd_pfn_default_alignment(a));
  let tried = 0;
  const at = (n: number) => {
    tried++;
    return answerNamespace(q, n * g);
  };
  let lo = Math.max(1, Math.ceil(U / g) - 1); // usable < size: lo * g < U is never enough
  let hi = lo + 1;
  let best = at(hi);
  while (best.usable === null || best.usable < U) {
    if (best.usable === null) return { ...best, wanted: { usable: U, tried } };
    lo = hi;
    hi = Math.min(hi * 2, Math.floor(2 ** 53 / g));
    if (hi === lo) return { ...best, wanted: { usable: U, tried } };
    best = at(hi);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = at(mid);
    if (r.usable !== null && r.usable >= U) {
      hi = mid;
      best = r;
    } else lo = mid;
  }
  best.explanation.unshift(`the smallest region size giving at least ${fmtSize(U)} (${commas(U)} B) usable is ${fmtSize(best.size)} (${commas(best.size)} B): sizes step by ${fmtSize(g)} (the region alignment, 16 MiB, and the namespace alignment); ${commas(best.size - g)} B would give less`);
  return { ...best, wanted: { usable: U, tried } };
}

// ---------------------------------------------------------------------------------------------
// size memmap

export interface MemmapQuestion extends MachineOpts {
  size: number;
  /** With --node-ram: the node has this much boot RAM and `size` is hot-added to it. */
  nodeRam?: number;
}

export interface MemmapAnswer extends AnswerBase {
  size: number;
  how: 'boot' | 'hot-add';
  memmap: { bytes: number; byNode: Record<string, number>; perGiB: number };
  pageTablePages: PageTableCount;
  leaf: 'pmd' | 'pte' | 'mixed' | 'none';
  leaves: { pmd: number; pte: number };
  structPageSize: number;
  pageSize: number;
  memoryBlockSize: number;
}

export function sizeMemmap(q: MemmapQuestion): MemmapAnswer {
  checkMachine(q);
  if (q.size <= 0) throw new AnswerError('--size', 'must be more than 0');
  const base = RAM_BASE[q.arch];
  const hot = q.nodeRam !== undefined;
  const start = hot ? alignUp(base + q.nodeRam!, 64 * GiB) : base;
  const built = buildScenario('<size memmap>', q, hot
    ? {
      description: `size memmap: ${fmtSize(q.size)} hot-added to a node with ${fmtSize(q.nodeRam!)} of RAM`,
      nodes: [{ id: 0, memory: [{ start: sz(base), size: sz(q.nodeRam!) }] }],
      steps: ['boot', { 'hot-add': { node: 0, start: sz(start), size: sz(q.size) } }],
    }
    : {
      description: `size memmap: ${fmtSize(q.size)} of boot RAM`,
      nodes: [{ id: 0, memory: [{ start: sz(base), size: sz(q.size) }] }],
      steps: ['boot'],
    });
  const run = runObserved(built.scenario);
  const k = run.machine.k;
  const i = hot ? 1 : 0;
  const r = run.results[i]!;
  const cost = stepCost(run, i);
  const bytes = total(cost.mm.ram) + total(cost.mm.self) + total(cost.mm.altmap);
  const ex: string[] = [];
  const P = k.c.PAGE_SIZE;
  ex.push(`${fmtSize(q.size)} = ${commas(q.size / P)} pages of ${fmtSize(P)}; each has a struct page of ${k.arch.cfg.STRUCT_PAGE_SIZE} B: ${fmtSize(bytes)} (${commas(bytes)} B) of memmap${r.ok ? '' : ` before the step failed (${r.errno})`}`);
  ex.push(hot
    ? '  hot-add: add_memory() -> arch_add_memory() -> __add_pages() -> sparse_add_section() -> __populate_section_memmap(), pages from node RAM (vmemmap_alloc_block)'
    : `  boot: sparse_init() -> __populate_section_memmap(), pages from memblock (${k.arch.policy.noSparseBuffer ? 'one vmemmap_alloc_block() at a time, never the sparse buffer' : 'the sparse buffer first'})`);
  for (const l of populateLines(run, i)) ex.push(`  ${l}`);
  ex.push(`  mapping: ${leafLine(k, cost.leaves)}; ${tablesLine(cost.pt)}`);
  return {
    ...answerBase('size memmap', run, i, ex, built),
    size: q.size,
    how: hot ? 'hot-add' : 'boot',
    memmap: { bytes, byNode: { ...cost.mm.ram }, perGiB: q.size >= GiB ? bytes / (q.size / GiB) : bytes },
    pageTablePages: cost.pt,
    leaf: leafKind(cost.leaves),
    leaves: cost.leaves,
    structPageSize: k.arch.cfg.STRUCT_PAGE_SIZE,
    pageSize: P,
    memoryBlockSize: k.boot.memoryBlockSize,
  };
}

// ---------------------------------------------------------------------------------------------
// size hot-add

export interface HotAddQuestion extends MachineOpts {
  size: number;
  /** Free memory of the guest before the hot-add (MemFree). */
  free: number;
  /** Hot-add granularity (the DIMM size): a multiple of the memory block size; default one block. */
  block?: number;
  /** memory_hotplug.memmap_on_memory=1 (true) or =force. */
  memmapOnMemory?: boolean | 'force';
  /** Memory the guest has in use (the guest's boot RAM is free + used + what the kernel took). */
  used?: number;
  /** Boot RAM of the guest (default: chosen so that `free` and `used` fit). */
  ram?: number;
}

export interface HotAddChunk {
  start: number;
  size: number;
  /** Free memory before adding this chunk, and after adding and onlining it. */
  freeBefore: number;
  freeAfter: number;
}

export interface HotAddAnswer extends AnswerBase {
  size: number;
  free: number;
  memoryBlockSize: number;
  block: number;
  memmapOnMemory: boolean;
  /** Free memory the hot-add consumes (memmap in RAM + page tables). */
  needFree: number;
  memmap: { ram: number; self: number };
  pageTablePages: number;
  /** The largest single hot-add (a multiple of `block`) that succeeds with `free`. */
  largestFit: number;
  /** Add a chunk, online it, repeat: every chunk fits; empty when even one block does not. */
  plan: HotAddChunk[];
  planComplete: boolean;
  /** The scenario of the plan, as YAML. */
  planScenario: string;
}

interface Guest { ram: number; used: number; start: number; blockSize: number }

export function sizeHotAdd(q0: HotAddQuestion): HotAddAnswer {
  const q: HotAddQuestion = { ...q0, hypervisor: q0.hypervisor ?? (q0.arch === 'x86_64' ? true : undefined) };
  checkMachine(q);
  if (q.size <= 0) throw new AnswerError('--size', 'must be more than 0');
  const a = archOf(q);
  if (a.lacks.hotplug) throw new AnswerError('--kernel', `${a.lacks.hotplug}: there is no hot-add to size`);
  const P = a.PAGE_SIZE;
  const prof = findProfile(kernelOf(q))!;
  const F = Math.floor(q.free / P) * P;
  const U = q.used ?? 0;
  const base = RAM_BASE[q.arch];
  const momSupported = prof.memmapOnMemory !== 'none';
  const cmdline = q.memmapOnMemory && momSupported ? `memory_hotplug.memmap_on_memory=${q.memmapOnMemory === 'force' && prof.memmapOnMemory !== 'v5.13' ? 'force' : '1'}` : '';
  const scen = (g: Guest, used: number, steps: unknown[], what: string) => buildScenario('<size hot-add>', q, {
    description: `size hot-add: ${what}`,
    cmdline,
    nodes: [{ id: 0, memory: [{ start: sz(base), size: sz(g.ram) }], used: sz(used) }],
    steps: steps as never,
  });
  // 1. the guest: boot RAM large enough for free + used + the hot-add's memmap; `used` then
  //    soaks up the rest so that exactly F is free after boot
  let ram = q.ram ?? alignUp(F + U + Math.ceil(q.size / 16) + 512 * MiB, GiB);
  let free0 = 0;
  let blockSize = 0;
  for (let tries = 0; ; tries++) {
    const run = runObserved(scen({ ram, used: 0, start: 0, blockSize: 0 }, 0, ['boot'], 'probe').scenario);
    free0 = run.after[0]!.free[0]! * P;
    blockSize = run.machine.k.boot.memoryBlockSize;
    if (free0 >= F + U) break;
    if (q.ram !== undefined) throw new AnswerError('--ram', `${fmtSize(q.ram)} of boot RAM leaves ${fmtSize(free0)} free after boot; --free plus --used is ${fmtSize(F + U)}`);
    if (tries > 4) throw new AnswerError('--free', `cannot build a guest with ${fmtSize(F)} free`);
    ram = alignUp(ram + (F + U - free0) + 256 * MiB, GiB);
  }
  const g: Guest = { ram, used: free0 - F, start: alignUp(Math.max(base + ram, q.arch === 'x86_64' ? 4 * GiB : 0), Math.max(GiB, blockSize)), blockSize };
  const B = q.block ?? blockSize;
  if (B % blockSize !== 0 || B <= 0) throw new AnswerError('--block', `${fmtSize(B)} is not a multiple of the memory block size, ${fmtSize(blockSize)} here (add_memory() takes whole memory blocks)`);
  const hotAdd = (start: number, size: number) => ({ 'hot-add': { node: 0, start: sz(start), size: sz(size) } });
  const online = (start: number, size: number) => ({ online: { start: sz(start), size: sz(size) } });

  // 2. the hot-add as asked
  const asked = scen(g, g.used, ['boot', hotAdd(g.start, q.size)], `${fmtSize(q.size)} into a guest with ${fmtSize(F)} free`);
  const run = runObserved(asked.scenario);
  const k = run.machine.k;
  const r = run.results[1]!;
  // 3. what it needs: the same guest with enough free memory (only `used` differs)
  const ample = runObserved(scen(g, Math.min(U, g.used), ['boot', hotAdd(g.start, q.size)], 'ample').scenario);
  const ac = stepCost(ample, 1);
  const needFree = Math.max(0, -(ac.freeDelta[0] ?? 0) * P);
  // 4. the largest single hot-add that fits, in `block` steps
  const fits = (n: number) => n === 0 || runObserved(scen(g, g.used, ['boot', hotAdd(g.start, n * B)], 'probe').scenario).results[1]!.ok;
  const maxN = Math.floor(q.size / B);
  let lo = 0;
  let hi = maxN;
  if (fits(hi)) lo = hi;
  else {
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
  }
  const largestFit = lo * B;
  // 5. the plan: the largest chunk that fits, online it (to a kernel zone: only that memory
  //    can hold the next chunk's memmap), repeat
  const steps: unknown[] = ['boot'];
  const plan: HotAddChunk[] = [];
  let cursor = g.start;
  let remaining = Math.floor(q.size / B) * B;
  let freeNow = F;
  let planComplete = remaining > 0;
  while (remaining > 0) {
    if (plan.length >= 64) { planComplete = false; break; }
    const okWith = (n: number) => runObserved(scen(g, g.used, [...steps, hotAdd(cursor, n * B)], 'plan').scenario).results.at(-1)!.ok;
    let lo2 = 0;
    let hi2 = remaining / B;
    if (okWith(hi2)) lo2 = hi2;
    else {
      while (hi2 - lo2 > 1) {
        const mid = Math.floor((lo2 + hi2) / 2);
        if (okWith(mid)) lo2 = mid;
        else hi2 = mid;
      }
    }
    if (lo2 === 0) { planComplete = false; break; }
    steps.push(hotAdd(cursor, lo2 * B), online(cursor, lo2 * B));
    const pr = runObserved(scen(g, g.used, steps, 'plan').scenario);
    const after = pr.after.at(-1)!.free[0]! * P;
    plan.push({ start: cursor, size: lo2 * B, freeBefore: freeNow, freeAfter: after });
    freeNow = after;
    cursor += lo2 * B;
    remaining -= lo2 * B;
  }
  const planBuilt = scen(g, g.used, steps, `the plan: ${fmtSize(q.size)} in ${plan.length} chunk(s)`);
  const ex: string[] = [];
  const P2 = (n: number) => `${fmtSize(n)} (${commas(n)} B)`;
  ex.push(`${/^[aeio]/.test(q.arch) ? "An" : "A"} ${q.arch} guest (${k.arch.cfg.label}, kernel ${k.profile.id}) with ${fmtSize(F)} free; memory block ${fmtSize(blockSize)} (memory_block_size_bytes()), hot-add at 0x${lx(g.start)}`);
  ex.push(r.ok ? `hot-adding ${fmtSize(q.size)} at once succeeds` : `hot-adding ${fmtSize(q.size)} at once fails with ${r.errno}${r.errno === 'ENOMEM' ? ': __add_pages() stops at the first section whose memmap it cannot allocate' : ''}`);
  ex.push(`  it needs ${P2(needFree)} of free memory: memmap in RAM ${fmtSize(total(ac.mm.ram))} (vmemmap_populate from node 0's free pages)${total(ac.mm.self) ? `, ${fmtSize(total(ac.mm.self))} of memmap inside the new blocks (memmap_on_memory, costs no free memory)` : ''} and ${ac.pt.total} page-table page(s)`);
  if (q.memmapOnMemory && !momSupported) ex.push(`  memory_hotplug.memmap_on_memory does not exist in ${prof.id}: it arrived in v5.13 (a08a2ae34613); the memmap comes from RAM`);
  else if (q.memmapOnMemory && total(ac.mm.self) === 0) ex.push(`  memmap_on_memory was asked for but not used: mhp_supports_memmap_on_memory() refuses: ${memmapOnMemoryRefusal(ample.machine.k, q.size) ?? 'the altmap could not be set up'}`);
  ex.push(`  the largest single hot-add that fits: ${fmtSize(largestFit)} (in steps of ${fmtSize(B)})`);
  if (plan.length) ex.push(`  plan: ${plan.map((c) => `add ${fmtSize(c.size)} + online`).join(', then ')}${planComplete ? '' : ' - incomplete'}; onlined memory (to ZONE_NORMAL) pays for the next chunk's memmap`);
  ex.push('  the model keeps no watermark reserve (min_free_kbytes) and no other allocations: leave a margin in a real guest');
  return {
    ...answerBase('size hot-add', run, 1, ex, asked),
    size: q.size,
    free: F,
    memoryBlockSize: blockSize,
    block: B,
    memmapOnMemory: total(ac.mm.self) > 0,
    needFree,
    memmap: { ram: total(ac.mm.ram), self: total(ac.mm.self) },
    pageTablePages: ac.pt.total,
    largestFit,
    plan,
    planComplete,
    planScenario: planBuilt.yaml,
  };
}

// ---------------------------------------------------------------------------------------------
// size hvo

export interface HvoQuestion extends MachineOpts {
  /** Huge page size, e.g. 2M or 1G. */
  hugePage: number;
  count: number;
  /** Reserve them at boot (hugepagesz=/hugepages=) instead of at run time (nr_hugepages). */
  boot?: boolean;
}

export interface HvoAnswer extends AnswerBase {
  hugePage: number;
  count: number;
  pages: number;
  hvo: boolean;
  /** vmemmap bytes per huge page, and how many of them HVO frees. */
  vmemmapPerPage: number;
  freedPerPage: number;
  vmemmapFreed: number;
  memTotalGain: { min: number; max: number };
  splitPteTables: { min: number; max: number };
}

export function sizeHvo(q: HvoQuestion): HvoAnswer {
  checkMachine(q);
  if (!(q.count > 0)) throw new AnswerError('--count', 'must be at least 1');
  const a = archOf(q);
  const sizes = archHugePageSizes({ arch: { cfg: a } as never });
  if (!sizes.includes(q.hugePage)) throw new AnswerError('--huge-page', `${fmtSize(q.hugePage)} is not a huge page size of ${a.label}; it has ${sizes.map(fmtSize).join(', ') || 'none'}`);
  const base = RAM_BASE[q.arch];
  const ram = alignUp(q.hugePage * q.count + Math.max(2 * GiB, (q.hugePage * q.count) / 16), Math.max(GiB, q.hugePage));
  const hs = fmtSize(q.hugePage).replace(' ', '').replace('iB', '');
  const cmd = `hugetlb_free_vmemmap=on${q.boot ? ` hugepagesz=${hs} hugepages=${q.count}` : ''}`;
  const built = buildScenario('<size hvo>', q, {
    description: `size hvo: ${q.count} x ${fmtSize(q.hugePage)} huge pages ${q.boot ? 'at boot' : 'at run time'}`,
    cmdline: cmd,
    nodes: [{ id: 0, memory: [{ start: sz(base), size: sz(ram) }] }],
    steps: q.boot ? ['boot'] : ['boot', { hugepages: { size: sz(q.hugePage), count: q.count } }],
  });
  const run = runObserved(built.scenario);
  const k = run.machine.k;
  const i = q.boot ? 0 : 1;
  const P = k.c.PAGE_SIZE;
  const hv = k.s.hvo;
  const h = hv.hstates.find((x) => x.size === q.hugePage);
  const pages = h ? h.pages.reduce((s, x) => s + x, 0) : 0;
  const on = k.cmdline.hugetlbFreeVmemmap && hvoSupported(k);
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const perPage = (q.hugePage / P) * k.arch.cfg.STRUCT_PAGE_SIZE;
  const freedPer = on ? optimizablePages(k, q.hugePage) * P : 0;
  const ex: string[] = [];
  ex.push(`${q.count} x ${fmtSize(q.hugePage)}: each huge page has ${commas(q.hugePage / P)} struct pages = ${fmtSize(perPage)} of vmemmap (${perPage / P} page(s) of ${fmtSize(P)})`);
  if (!on) {
    const why = !k.cmdline.hugetlbFreeVmemmap ? 'the kernel did not take hugetlb_free_vmemmap=on'
      : k.profile.hvo === 'none' ? `${k.profile.id} has no HugeTLB vmemmap optimisation (it arrived in v5.14/v5.15)`
      : k.arch.cfg.arch === 'arm64' && !k.profile.hvoArm64 ? `${k.profile.id} does not select ARCH_WANT_HUGETLB_PAGE_OPTIMIZE_VMEMMAP on arm64`
      : k.arch.cfg.lacks.hvo ? k.arch.cfg.lacks.hvo
      : 'hugetlb_vmemmap_optimizable_size() is 0 here: the vmemmap of one huge page does not fill more pages than HVO keeps';
    ex.push(`  HVO is not possible: ${why}; nothing is freed`);
  } else {
    ex.push(`  hugetlb_vmemmap_optimize_folio() (mm/hugetlb_vmemmap.c) frees ${commas(freedPer / P)} of those pages per huge page: ${fmtSize(freedPer)}; ${pages} page(s) allocated -> ${fmtSize(sum(hv.freed) * P)} given back`);
    const gmin = sum(hv.gainMin) * P;
    const gmax = sum(hv.gainMax) * P;
    ex.push(`  MemTotal grows by ${gmin === gmax ? fmtSize(gmin) : `${fmtSize(gmin)}..${fmtSize(gmax)}`} (freed boot-time vmemmap pages join the managed pages)`);
    const smin = sum(hv.splitMin);
    const smax = sum(hv.splitMax);
    if (smax) ex.push(`  vmemmap PMDs split to PTEs cost ${smin === smax ? smin : `${smin}..${smax}`} page-table page(s) (where the allocator put the huge pages decides; the model gives the range)`);
  }
  if (pages < q.count) ex.push(`  only ${pages} of ${q.count} pages could be allocated (free memory)`);
  return {
    ...answerBase('size hvo', run, i, ex, built),
    hugePage: q.hugePage,
    count: q.count,
    pages,
    hvo: on,
    vmemmapPerPage: perPage,
    freedPerPage: freedPer,
    vmemmapFreed: sum(hv.freed) * P,
    memTotalGain: { min: sum(hv.gainMin) * P, max: sum(hv.gainMax) * P },
    splitPteTables: { min: sum(hv.splitMin), max: sum(hv.splitMax) },
  };
}

// ---------------------------------------------------------------------------------------------
// size dedup

export interface DedupQuestion extends MachineOpts {
  size: number;
  /** Device-dax alignment: the compound page size (2M, 1G...). */
  align?: number;
  map?: 'dev' | 'mem';
}

export interface DedupAnswer extends AnswerBase {
  size: number;
  align: number;
  map: 'dev' | 'mem';
  /** Struct-page bytes of the namespace (what the memmap would cost without dedup). */
  structPages: number;
  /** Bytes of pages actually backing them (RAM or device). */
  memmap: number;
  saved: number;
  dedup: boolean;
  pageTablePages: PageTableCount;
}

export function sizeDedup(q: DedupQuestion): DedupAnswer {
  const map = q.map ?? 'mem';
  const ns = sizeNamespace({ ...q, mode: 'devdax', map, size: q.size, usable: undefined });
  const run = runObserved(namespaceMachine({ ...q, mode: 'devdax', map }, q.size).scenario);
  const k = run.machine.k;
  const cost = stepCost(run, 1);
  const dedup = total(cost.mm.dedup);
  const memmap = total(cost.mm.ram) + total(cost.mm.altmap);
  const structPages = memmap + dedup;
  const ex = [...ns.explanation];
  const P = k.c.PAGE_SIZE;
  if (!ns.ok) {
    // the namespace failed: the namespace answer's explanation says why; nothing to dedup
  } else if (dedup) {
    ex.unshift(`device-dax with ${fmtSize(ns.align)} compound pages: ${fmtSize(structPages)} of struct pages cost ${fmtSize(memmap)} of ${map === 'mem' ? 'RAM' : 'device'} - ${fmtSize(dedup)} (${((dedup / structPages) * 100).toFixed(1)} %) saved by mapping the tail struct pages of each compound page to shared pages (vmemmap_populate_compound_pages)`);
  } else {
    const why = k.profile.daxVmemmapDedup === 'none' ? `${k.profile.id} has no compound-page vmemmap for device-dax (vmemmap_shift arrived in v5.17)`
      : ns.align <= P ? 'the alignment is one base page: no compound pages'
      : k.arch.cfg.daxDedupNotModelled && map === 'mem' ? k.arch.cfg.daxDedupNotModelled
      : map === 'dev' && k.profile.daxVmemmapDedup === 'v6.6' ? 'vmemmap_can_optimize() is false with an altmap (--map=dev): the memmap on the device is not deduplicated'
      : k.profile.daxVmemmapDedup === 'v6.6' && k.arch.cfg.lacks.daxVmemmapOpt ? k.arch.cfg.lacks.daxVmemmapOpt
      : 'a compound page\'s struct pages fill no more than the pages the kernel keeps per compound page';
    ex.unshift(`device-dax with ${fmtSize(ns.align)} alignment: no vmemmap dedup here (${why}); the memmap costs all ${fmtSize(structPages)}`);
  }
  return {
    ...ns,
    question: 'size dedup',
    size: q.size,
    align: ns.align,
    map,
    structPages,
    memmap,
    saved: dedup,
    dedup: dedup > 0,
    explanation: ex,
  };
}

// ---------------------------------------------------------------------------------------------
// size blocks

export interface BlocksQuestion extends MachineOpts {
  /** Boot RAM (x86_64's memory block size depends on it). */
  ram?: number;
}

export interface BlocksAnswer extends AnswerBase {
  pageSize: number;
  structPageSize: number;
  sectionSize: number;
  subsectionSize: number;
  memoryBlockSize: number;
  pageblockSize: number;
  pmdSize: number;
  /** Struct-page bytes of one section and one memory block. */
  memmapPerSection: number;
  memmapPerBlock: number;
  /** Hot-add (add_memory) must start and end on memory-block boundaries. */
  hotAddAlignment: number;
  /** nvdimm: memremap_compat_align() and the default namespace (pfn) alignment. */
  namespaceAlignment: { compat: number; default: number; region: number };
  vmemmap: { start: string; end: string; size: number; pageTableLevels: number };
  /** Physical memory the vmemmap window and MAX_PHYSMEM_BITS can describe. */
  maxPhysmem: number;
  hotplugRange: { start: number; end: number };
}

export function sizeBlocks(q: BlocksQuestion): BlocksAnswer {
  checkMachine(q);
  const base = RAM_BASE[q.arch];
  const ram = q.ram ?? 16 * GiB;
  const built = buildScenario('<size blocks>', q, { description: `size blocks: ${fmtSize(ram)} of boot RAM`, nodes: [{ id: 0, memory: [{ start: sz(base), size: sz(ram) }] }], steps: ['boot'] });
  const run = runObserved(built.scenario);
  const k = run.machine.k;
  const a = k.arch.cfg;
  const P = a.PAGE_SIZE;
  const section = 2 ** a.SECTION_SIZE_BITS;
  const sub = k.c.PAGES_PER_SUBSECTION * P;
  const bs = k.boot.memoryBlockSize;
  const vsize = Number(a.VMEMMAP_END - a.VMEMMAP_START);
  const hp = k.arch.policy.mappableRange(k.boot.memstart);
  const ex: string[] = [
    `${a.label}: ${fmtSize(P)} pages, struct page ${a.STRUCT_PAGE_SIZE} B (memmap = 1/${P / a.STRUCT_PAGE_SIZE} of memory)`,
    `  section ${fmtSize(section)} (SECTION_SIZE_BITS ${a.SECTION_SIZE_BITS}): the unit of mem_section and of vmemmap_populate() calls; memmap ${fmtSize((section / P) * a.STRUCT_PAGE_SIZE)} per section`,
    `  sub-section ${fmtSize(sub)} (SUBSECTION_SHIFT): the smallest unit ZONE_DEVICE memory (pmem namespaces) can be added in`,
    `  memory block ${fmtSize(bs)} (memory_block_size_bytes() with ${fmtSize(ram)} of boot RAM): hot-add and online/offline work in whole blocks${k.arch.cfg.arch === 'x86_64' ? '; x86_64 picks 2 GiB on bare metal with 64 GiB or more of RAM' : ''}`,
    `  pageblock ${fmtSize(2 ** a.pageblockOrder * P)} (pageblock_order ${a.pageblockOrder}), PMD ${fmtSize(k.c.PMD_SIZE)}: memmap_on_memory needs a block's memmap to fill whole pageblocks`,
    `  vmemmap window 0x${lx(a.VMEMMAP_START)}-0x${lx(a.VMEMMAP_END)} (${fmtSize(vsize)}), ${a.pt.levels}-level page tables: struct pages for ${fmtSize((vsize / a.STRUCT_PAGE_SIZE) * P)} of physical address space (MAX_PHYSMEM_BITS ${a.MAX_PHYSMEM_BITS})`,
    `  hot-plug range (arch_get_mappable_range / mhp_get_pluggable_range): 0x${lx(hp.start)}-0x${lx(hp.end)}`,
    `  nvdimm: memremap_compat_align() ${fmtSize(memremap_compat_align(a))}, default namespace alignment ${fmtSize(nd_pfn_default_alignment(a))} (nd_pfn_default_alignment), region alignment 16 MiB`,
  ];
  return {
    ...answerBase('size blocks', run, 0, ex, built),
    pageSize: P,
    structPageSize: a.STRUCT_PAGE_SIZE,
    sectionSize: section,
    subsectionSize: sub,
    memoryBlockSize: bs,
    pageblockSize: 2 ** a.pageblockOrder * P,
    pmdSize: k.c.PMD_SIZE,
    memmapPerSection: (section / P) * a.STRUCT_PAGE_SIZE,
    memmapPerBlock: (bs / P) * a.STRUCT_PAGE_SIZE,
    hotAddAlignment: bs,
    namespaceAlignment: { compat: memremap_compat_align(a), default: nd_pfn_default_alignment(a), region: SZ_16M },
    vmemmap: { start: '0x' + lx(a.VMEMMAP_START), end: '0x' + lx(a.VMEMMAP_END), size: vsize, pageTableLevels: a.pt.levels },
    maxPhysmem: Math.min((vsize / a.STRUCT_PAGE_SIZE) * P, 2 ** a.MAX_PHYSMEM_BITS),
    hotplugRange: hp,
  };
}
