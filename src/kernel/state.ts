/**
 * The kernel's global state for the parts the model covers, held in one explicit object
 * (what the kernel keeps in init_mm, mem_section[], memblock, the buddy free lists, the
 * pgmap xarray, iomem_resource and the memory block devices). No module-level mutable state:
 * every kernel-layer function takes the Kernel as its first argument.
 *
 * All mutable parts live in `KState`, which can open a checkpoint and roll back to it
 * (KState.checkpoint: an undo journal in every interval map); the range engine (see
 * engine.ts) relies on that to run a run of identical kernel iterations at once
 * and fall back to single iterations exactly where an allocator runs short.
 */
import { deepFreeze } from '../util/freeze.js';
import type { Arch } from '../arch/index.js';
import type { ArchConfig, LeafLevel, PopulatePath, PtLevel } from '../arch/types.js';
import type { KernelProfile } from '../kernels/types.js';
import { IntervalMap, IntervalSet, plainPayload, type Payload, type Watcher } from '../util/interval.js';
import type { HvoState } from './hugetlb.js';

export const ENOMEM = -12;
export const EINVAL = -22;
export const EEXIST = -17;
export const ENXIO = -6;
export const EBUSY = -16;
export const ERANGE = -34;
export const ENODEV = -19;
export const EOPNOTSUPP = -95;
export const ENOSPC = -28;
export const E2BIG = -7;
export const EPERM = -1;
export const ENOENT = -2;

export const ERRNO_NAMES: Record<number, string> = {
  [-12]: 'ENOMEM', [-22]: 'EINVAL', [-17]: 'EEXIST', [-6]: 'ENXIO', [-16]: 'EBUSY',
  [-34]: 'ERANGE', [-19]: 'ENODEV', [-95]: 'EOPNOTSUPP', [-28]: 'ENOSPC', [-7]: 'E2BIG', [-1]: 'EPERM', [-2]: 'ENOENT',
};
const ERRNO_BY_NUMBER = new Map(Object.entries(ERRNO_NAMES).map(([n, name]) => [Number(n), name]));

/** The errno's name ("ENOMEM" for -12), else the number (a Map: no number-to-key conversion per step). */
export function errnoName(errno: number): string {
  return ERRNO_BY_NUMBER.get(errno) ?? String(errno);
}

/** strerror() of the errnos the model returns (glibc's texts, as ndctl/daxctl print them). */
const STRERROR: Record<number, string> = {
  [-12]: 'Cannot allocate memory', [-22]: 'Invalid argument', [-17]: 'File exists', [-6]: 'No such device or address', [-16]: 'Device or resource busy',
  [-34]: 'Numerical result out of range', [-19]: 'No such device', [-95]: 'Operation not supported', [-28]: 'No space left on device', [-7]: 'Argument list too long',
  [-1]: 'Operation not permitted', [-2]: 'No such file or directory',
};
export const strerror = (e: number): string => STRERROR[e] ?? `Unknown error ${-e}`;

/** Where the page backing a piece of memmap came from. */
export type Backing =
  | { kind: 'ram'; node: number; src: 'sparsebuf' | 'memblock' | 'buddy'; key: number }
  | { kind: 'altmap'; id: string; pfn: number }
  /**
   * memmap_on_memory: the page sits at the start of the memory block whose struct pages it
   * holds (selfHostedPfn() says which); `node` is that block's node. One value for a whole
   * run of self-hosting blocks, so the cost stays per run, not per block.
   */
  | { kind: 'self'; node: number }
  /**
   * device-dax compound pages with vmemmap dedup (vmemmap_populate_compound_pages): in every
   * run of `period` vmemmap pages starting at a VA offset = `phase` (mod period pages), the
   * first page (head, on `node`) and the second (tail, on `tailNode`) are real RAM pages and
   * every other PTE maps the tail page again. `period` 0: every page of the range is such an
   * alias (a section that reuses the previous section's tail page and holds no head).
   */
  | { kind: 'compound'; node: number; tailNode: number; pgmap: string; period: number; phase: number };

export interface Leaf {
  level: LeafLevel;
  b: Backing;
}

/** The page holding a page table: always RAM, never an altmap (mm/sparse-vmemmap.c vmemmap_alloc_block_zero). */
export interface TableOwner {
  node: number;
  /** 'static': a table the kernel built at boot for its own mappings (arm64 fixmap), not vmemmap's. */
  src: 'memblock' | 'buddy' | 'static';
}

/** struct vmem_altmap (include/linux/memremap.h @ v6.18), plus who owns it. */
export interface VmemAltmap {
  id: string;
  base_pfn: number;
  end_pfn: number;
  reserve: number;
  free: number;
  align: number;
  alloc: number;
  /** Device / namespace label for reports. */
  owner: string;
  device: string;
  /**
   * memmap_on_memory: this object stands for `blocks` identical per-block altmaps (block i
   * has base_pfn + i * stride), each handing out `slice` pages for its own memmap; `alloc`
   * is their sum. Lives only while memory is added or removed (the blocks keep the state).
   */
  self?: { stride: number; slice: number; blocks: number; node: number };
}

/** What sparse_add_section() needs of a struct dev_pagemap: the compound geometry. */
export interface PgmapGeom {
  id: string;
  /** pgmap_vmemmap_nr(): pages per compound page (1 << vmemmap_shift). */
  nr: number;
  /** PHYS_PFN(pgmap->ranges[pgmap->nr_range].start): the range being added. */
  rangeStartPfn: number;
}

/** What the model keeps of a struct mem_section (include/linux/mmzone.h). */
export interface SectionInfo {
  nid: number;
  /** SECTION_IS_EARLY */
  early: boolean;
  /** SECTION_HAS_MEM_MAP */
  memmap: boolean;
}

export type OnlineState = 'offline' | 'online';
export type Zone = 'Normal' | 'Movable' | 'Device';

export interface MemoryBlock {
  nid: number;
  state: OnlineState;
  zone: Zone | null;
  early: boolean;
  /**
   * memmap_on_memory: pages at the start of the block that hold its memmap and are never
   * handed to the buddy (mem->nr_vmemmap_pages <= v6.5, mem->altmap->free v6.6+); 0 when the
   * memmap lives elsewhere.
   */
  vmemmapPages: number;
  /** The block's own altmap `alloc` (v6.6+ keeps the altmap with the block; v5.13 rebuilds it from vmemmapPages). */
  altmapAlloc: number;
}

export interface Resource {
  name: string;
  kind: 'System RAM' | 'Persistent Memory' | 'namespace' | 'Soft Reserved';
  owner: string;
  /** Hot-added System RAM requested inside a non-busy resource (a pmem region, Soft Reserved): that resource, which outlives it. */
  parent?: Resource;
}

/**
 * Something the modelled kernel did that is its own bug (a kernel-anomaly finding). One that
 * names a range of memmap carries it as `span`: consecutive ones of the same kind that meet are
 * one finding (stepAnomalies()), so a finding never depends on how many blocks a call freed.
 */
export interface Anomaly {
  step: number;
  site: string;
  text: string;
  span?: { key: string; start: number; end: number; pages: number; text: (start: number, end: number, pages: number) => string };
}

/** This step's anomalies, consecutive spans of one kind that meet merged into one. */
export function stepAnomalies(k: Kernel): { site: string; text: string }[] {
  const an = k.s.anomalies;
  let i = an.length;
  while (i > 0 && an[i - 1]!.step === k.step) i--;
  const out: { site: string; text: string }[] = [];
  for (; i < an.length; i++) {
    const a = an[i]!;
    const sp = a.span;
    if (!sp) {
      out.push({ site: a.site, text: a.text });
      continue;
    }
    let end = sp.end;
    let pages = sp.pages;
    for (let nx = an[i + 1]; nx?.span && nx.site === a.site && nx.span.key === sp.key && nx.span.start === end; nx = an[i + 1]) {
      end = nx.span.end;
      pages += nx.span.pages;
      i++;
    }
    out.push({ site: a.site, text: sp.text(sp.start, end, pages) });
  }
  return out;
}

export interface Message {
  /** printk level: 0 emerg .. 3 err, 4 warn, 6 info, 7 debug. */
  level: number;
  text: string;
  /** Kernel function that printed it, "file:function". */
  site: string;
  /** Scenario step index (filled by the simulator). */
  step: number;
  /** True when the model had to leave a value unknown in the text. */
  approx?: boolean;
  /** With `approx`: which lines hold the unknown value (all of them without it). */
  approxLine?: (line: string) => boolean;
  /** The same line repeated for a run of iterations: how many, and the text of the i-th (i >= 1). */
  run?: { count: number; nth: (i: number) => string };
}

export type TraceEvent =
  | { t: 'table'; level: PtLevel; va: number; count: number; node: number; src: TableOwner['src'] }
  | { t: 'table-free'; level: PtLevel; va: number; count: number }
  | { t: 'map'; level: LeafLevel; va: number; size: number; b: Backing }
  | { t: 'unmap'; level: LeafLevel; va: number; size: number; b: Backing }
  | { t: 'altmap-alloc'; id: string; pfn: number; nr: number; count: number; align: number }
  | { t: 'altmap-free'; id: string; nr: number }
  | { t: 'section'; op: 'activate' | 'deactivate' | 'early'; pfn: number; nr: number; nid: number }
  | { t: 'errno'; site: string; errno: number }
  /** An arch vmemmap_populate() policy's choice for a range of vmemmap offsets (calls of callBytes each). */
  | { t: 'populate'; path: PopulatePath; why: string; start: number; end: number; callBytes: number; altmap: string | null; node: number }
  | { t: 'note'; text: string };

export const leafPayload = (pageSize: number): Payload<Leaf> => ({
  shift(v, delta) {
    if (v.b.kind === 'altmap') return { level: v.level, b: { ...v.b, pfn: v.b.pfn + delta / pageSize } };
    return v;
  },
  continues(a, b, aLen) {
    if (a.level !== b.level || a.b.kind !== b.b.kind) return false;
    if (a.b.kind === 'altmap' && b.b.kind === 'altmap') return a.b.id === b.b.id && a.b.pfn + aLen / pageSize === b.b.pfn;
    if (a.b.kind === 'ram' && b.b.kind === 'ram') return a.b.node === b.b.node && a.b.src === b.b.src && a.b.key === b.b.key;
    if (a.b.kind === 'self' && b.b.kind === 'self') return a.b.node === b.b.node;
    if (a.b.kind === 'compound' && b.b.kind === 'compound') {
      return a.b.node === b.b.node && a.b.tailNode === b.b.tailNode && a.b.pgmap === b.b.pgmap && a.b.period === b.b.period && a.b.phase === b.b.phase;
    }
    return false;
  },
});

/** Per-node page allocator state after boot (page_alloc-lite): free pages in kernel zones. */
export interface NodeAlloc {
  /** Present in this model run (node id declared in the scenario). */
  online: boolean;
  /** Free pages usable for GFP_KERNEL allocations. */
  free: number;
  /** Pages this node manages in kernel zones (boot RAM + hot-added memory onlined to Normal). */
  managed: number;
}

export interface SparseBuffer {
  nid: number;
  base: number; // phys
  ptr: number; // phys cursor
  end: number; // phys
  key: number;
}

/**
 * Running sums over the leaves, the page tables and the memory blocks, kept up to date by
 * watchers on those maps (util/interval.ts Watcher): per-step deltas and the accounting
 * invariants read them instead of walking every range after every step.
 */
export interface Ledger {
  /** Bytes of RAM pages backing struct pages, by node (compound: the head and tail pages). */
  ram: number[];
  /** Bytes of memmap backed by each altmap. */
  altmap: Map<string, number>;
  /** Bytes of self-hosted memmap (memmap_on_memory), by node. */
  self: number[];
  /** Bytes of memmap served by shared tail pages (device-dax dedup), by pgmap. */
  dedup: Map<string, number>;
  /** Page-table pages by level and by node (the kernel's own static tables left out). */
  tables: Record<PtLevel, number>;
  tablesByNode: number[];
  /** Sum over memory blocks of their altmap's alloc (memmap_on_memory). */
  blockAlloc: number;
  /** The pfns of each altmap that back live leaves. */
  altPfns: Map<string, IntervalSet>;
  /** Two live leaves were seen on the same altmap pfn: altPfns is no longer exact. */
  overlap: boolean;
}

function newLedger(): Ledger {
  return { ram: [], altmap: new Map(), self: [], dedup: new Map(), tables: { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: 0 }, tablesByNode: [], blockAlloc: 0, altPfns: new Map(), overlap: false };
}

/** A copy of the ledger's sums for a checkpoint; altPfns is the same map (its sets journal their changes). */
function saveLedger(l: Ledger): Ledger {
  return { ram: l.ram.slice(), altmap: new Map(l.altmap), self: l.self.slice(), dedup: new Map(l.dedup), tables: { ...l.tables }, tablesByNode: l.tablesByNode.slice(), blockAlloc: l.blockAlloc, altPfns: l.altPfns, overlap: l.overlap };
}

/**
 * Ranges changed since the simulator last emptied the record, as flat start, end pairs:
 * vmemmap offsets (leaves and tables), section numbers, pfns (sub-sections) and memory block
 * ids. Never rolled back with a checkpoint: a range touched by an
 * abandoned attempt only makes the next check look a little wider.
 */
export interface Touched {
  va: number[];
  sections: number[];
  subsections: number[];
  blocks: number[];
}

/** Recount each altmap's used pfns from the leaves (after an overlap made them inexact). */
export function rebuildAltPfns(s: KState): void {
  const L = s.ledger;
  L.altPfns = new Map();
  L.overlap = false;
  for (const seg of s.leaves) {
    const b = seg.v.b;
    if (b.kind !== 'altmap') continue;
    let set = L.altPfns.get(b.id);
    if (!set) L.altPfns.set(b.id, (set = new IntervalSet()));
    const p1 = b.pfn + (seg.end - seg.start) / s.pageSize;
    if (set.coverage(b.pfn, p1) > 0) L.overlap = true;
    set.add(b.pfn, p1);
  }
}

const add = (xs: number[], i: number, d: number) => { xs[i] = (xs[i] ?? 0) + d; };
const addKey = (m: Map<string, number>, key: string, d: number) => { m.set(key, (m.get(key) ?? 0) + d); };

/** Keeps a Ledger and the touched record as leaves come and go (classes: a state is cloned often). */
class LeafWatcher implements Watcher<Leaf> {
  constructor(private readonly L: Ledger, private readonly T: Touched, private readonly P: number) {}
  added(a: number, e: number, v: Leaf): void {
    this.change(a, e, v, 1);
  }
  removed(a: number, e: number, v: Leaf): void {
    this.change(a, e, v, -1);
  }
  private change(a: number, e: number, v: Leaf, sign: number): void {
    const L = this.L;
    const P = this.P;
    this.T.va.push(a, e);
    const b = v.b;
    const n = e - a;
    if (b.kind === 'ram') add(L.ram, b.node, sign * n);
    else if (b.kind === 'self') add(L.self, b.node, sign * n);
    else if (b.kind === 'altmap') {
      addKey(L.altmap, b.id, sign * n);
      let set = L.altPfns.get(b.id);
      if (!set) L.altPfns.set(b.id, (set = new IntervalSet()));
      const p0 = b.pfn;
      const p1 = b.pfn + n / P;
      if (sign > 0) {
        if (set.coverage(p0, p1) > 0) L.overlap = true;
        set.add(p0, p1);
      } else set.remove(p0, p1);
    } else {
      const u = compoundUniquePages(P, b, a, e);
      if (u.heads) add(L.ram, b.node, sign * u.heads * P);
      if (u.tails) add(L.ram, b.tailNode, sign * u.tails * P);
      addKey(L.dedup, b.pgmap, sign * (n - (u.heads + u.tails) * P));
    }
  }
}

class TableWatcher implements Watcher<TableOwner> {
  constructor(private readonly L: Ledger, private readonly T: Touched, private readonly lvl: PtLevel, private readonly span: number, private readonly cost: TableCost) {}
  added(a: number, e: number, v: TableOwner): void {
    this.change(a, e, v, 1);
  }
  removed(a: number, e: number, v: TableOwner): void {
    this.change(a, e, v, -1);
  }
  private change(a: number, e: number, v: TableOwner, sign: number): void {
    this.T.va.push(a, e);
    if (v.src === 'static' || !this.span) return;
    const c = ((e - a) / this.span) * tablePagesEach(this.cost, this.lvl, v.src);
    this.L.tables[this.lvl] += sign * c;
    add(this.L.tablesByNode, v.node, sign * c);
  }
}

class RangeWatcher<V> implements Watcher<V> {
  constructor(private readonly into: number[]) {}
  added(a: number, e: number): void {
    this.into.push(a, e);
  }
  removed(a: number, e: number): void {
    this.into.push(a, e);
  }
}

class BlockWatcher implements Watcher<MemoryBlock> {
  constructor(private readonly L: Ledger, private readonly T: Touched) {}
  added(a: number, e: number, v: MemoryBlock): void {
    this.T.blocks.push(a, e);
    this.L.blockAlloc += (e - a) * v.altmapAlloc;
  }
  removed(a: number, e: number, v: MemoryBlock): void {
    this.T.blocks.push(a, e);
    this.L.blockAlloc -= (e - a) * v.altmapAlloc;
  }
}

/** An interval map or set with an undo journal (util/interval.ts). */
type Journalled = { startJournal(): void; endJournal(): void; rollback(): void };

/** A copy of an altmap (written out: object spread is slow in V8); `self` is replaced, never edited. */
function copyAltmap(a: VmemAltmap): VmemAltmap {
  const c: VmemAltmap = { id: a.id, base_pfn: a.base_pfn, end_pfn: a.end_pfn, reserve: a.reserve, free: a.free, align: a.align, alloc: a.alloc, owner: a.owner, device: a.device };
  if (a.self !== undefined) c.self = a.self;
  return c;
}

/** A copy of the powerpc vmemmap_list counters (written out: object spread is slow in V8). */
function copyPpcList(l: KState['ppcList']): KState['ppcList'] {
  return { entries: l.entries, freed: l.freed, left: l.left, pages: l.pages, blockSize: l.blockSize, orphans: l.orphans };
}

/** What KState.checkpoint() keeps to go back to. */
export interface Checkpoint {
  /** Every interval map and set of the state, journalling. */
  maps: Journalled[];
  /** The ledger's altmap pfn sets, journalling. */
  sets: Journalled[];
  nodes: NodeAlloc[];
  altmaps: Map<string, VmemAltmap>;
  memmapRamPages: number[];
  tablePages: number[];
  sparseBuffer: SparseBuffer | null;
  ppcList: KState['ppcList'];
  /** How many *_once keys had fired. */
  once: number;
  lens: [number, number, number];
  pmdRun: KState['pmdRun'];
  nextKey: number;
  allocWarned: boolean;
  allocCount: Record<FaultKind, number>;
  ledger: Ledger;
}

/** Everything mutable. */
export class KState {
  /** Tables by the kind of entry they hold, keyed by vmemmap offset, one segment per run of spans. */
  tables: Record<PtLevel, IntervalMap<TableOwner>>;
  /** Leaf mappings of the vmemmap, keyed by vmemmap offset. */
  leaves: IntervalMap<Leaf>;
  /** x86 sub-PMD marking: vmemmap ranges memset to PAGE_UNUSED (0xFD). */
  pmdUnused = new IntervalSet();
  /** mem_section: present sections keyed by section number. */
  sections = new IntervalMap<SectionInfo>(plainPayload((a, b) => a.nid === b.nid && a.early === b.early && a.memmap === b.memmap));
  /** subsection_map bits, keyed by pfn (always whole sub-sections). */
  subsections = new IntervalSet();
  /** memblock.memory keyed by physical address, payload nid. */
  memblockMemory = new IntervalMap<number>(plainPayload());
  /** memblock.reserved. */
  memblockReserved = new IntervalSet();
  /** Buddy state per node. */
  nodes: NodeAlloc[] = [];
  /** vmem_altmaps by id. */
  altmaps = new Map<string, VmemAltmap>();
  /** pgmap xarray: pfn -> pgmap id. */
  pgmaps = new IntervalMap<string>(plainPayload());
  /** iomem_resource children, keyed by physical address. */
  iomem = new IntervalMap<Resource>(plainPayload((a, b) => a.name === b.name && a.owner === b.owner && a.kind === b.kind && a.parent?.owner === b.parent?.owner));
  /** Busy children of iomem resources (claimed namespaces), keyed by physical address. */
  claims = new IntervalMap<Resource>(plainPayload((a, b) => a.name === b.name && a.owner === b.owner && a.kind === b.kind));
  /** Memory block devices keyed by block id. */
  blocks = new IntervalMap<MemoryBlock>(plainPayload((a, b) => a.nid === b.nid && a.state === b.state && a.zone === b.zone && a.early === b.early && a.vmemmapPages === b.vmemmapPages && a.altmapAlloc === b.altmapAlloc));
  /** Memmap pages backed by RAM, per node, as allocated (accounting side, for invariants). */
  memmapRamPages: number[] = [];
  /** Table pages per node as allocated (accounting side). */
  tablePages: number[] = [];
  sparseBuffer: SparseBuffer | null = null;
  /**
   * powerpc vmemmap_list (arch/powerpc/mm/init_64.c): entries live, entries on the free list
   * (num_freed), entries left in the current page (num_left), pages taken for entries (never
   * given back), the block size (mmu_vmemmap_psize) the list was filled with, and the blocks
   * mapped without an entry (<= v5.9, when none could be allocated; replaced, never mutated).
   */
  ppcList = { entries: 0, freed: 0, left: 0, pages: 0, blockSize: 0, orphans: [] as readonly { start: number; end: number }[] };
  /** printk ring. */
  log: Message[] = [];
  /** Keys of *_once sites that already fired. */
  once = new Set<string>();
  trace: TraceEvent[] = [];
  /** x86 vmemmap_populate_print_last() state (static p_start, p_end, addr_start, addr_end, node_start). */
  pmdRun: { va0: number; va1: number; key: string; p0: number; p1: number; node: number; known: boolean } | null = null;
  /** Monotonic id source for RAM allocation runs ("contiguity keys"). */
  nextKey = 1;
  /** vmemmap_alloc_block()'s static `warned`. */
  allocWarned = false;
  /** Allocations made so far, by kind (1-based numbering for fault injection). */
  allocCount: Record<FaultKind, number> = { memblock: 0, buddy: 0, altmap: 0 };
  /** HugeTLB pools and HVO (src/kernel/hugetlb.ts). */
  hvo!: HvoState;
  /** Things the kernel itself gets wrong on this path (frees a page to the wrong place, leaks one). */
  anomalies: Anomaly[] = [];

  /** Running sums (see Ledger). */
  ledger: Ledger = newLedger();
  /** Ranges changed since the last check (see Touched). */
  touched: Touched = { va: [], sections: [], subsections: [], blocks: [] };
  /** Page size and table spans, for the watchers. */
  private geo!: { P: number; spans: Record<PtLevel, number>; cost: TableCost };
  get pageSize(): number {
    return this.geo.P;
  }

  constructor(pageSize: number, tableSpan: Record<PtLevel, number> = { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: 0 }, cost: TableCost = ONE_PAGE_TABLES) {
    const mk = () => new IntervalMap<TableOwner>(plainPayload((a, b) => a.node === b.node && a.src === b.src));
    this.tables = { pgd: mk(), p4d: mk(), pud: mk(), pmd: mk(), pte: mk() };
    this.leaves = new IntervalMap<Leaf>(leafPayload(pageSize));
    this.geo = { P: pageSize, spans: tableSpan, cost };
    this.watch();
  }

  /** Give every watched map a watcher that keeps this state's ledger and the touched record. */
  private watch(): void {
    const L = this.ledger;
    const T = this.touched;
    this.leaves.watcher = new LeafWatcher(L, T, this.geo.P);
    for (const lvl of ['pgd', 'p4d', 'pud', 'pmd', 'pte'] as PtLevel[]) this.tables[lvl].watcher = new TableWatcher(L, T, lvl, this.geo.spans[lvl], this.geo.cost);
    this.sections.watcher = new RangeWatcher(T.sections);
    this.subsections.watch(new RangeWatcher(T.subsections));
    this.blocks.watcher = new BlockWatcher(L, T);
  }


  /** The interval maps and sets, for the journal (checkpoint); none of these fields is ever reassigned. */
  private journalled(): Journalled[] {
    const t = this.tables;
    return (this.maps ??= [t.pgd, t.p4d, t.pud, t.pmd, t.pte, this.leaves, this.pmdUnused, this.sections, this.subsections, this.memblockMemory, this.memblockReserved, this.pgmaps, this.iomem, this.claims, this.blocks]);
  }
  private maps: Journalled[] | undefined;

  /**
   * Open a checkpoint (src/kernel/engine.ts runSteps): the interval maps journal their changes
   * from here, the small fields are copied. Then either commit() (keep what happened) or
   * rollback() (this state is again as it was here, same objects). One at a time.
   */
  checkpoint(): Checkpoint {
    const maps = this.journalled();
    for (const m of maps) m.startJournal();
    const sets = [...this.ledger.altPfns.values()];
    for (const m of sets) m.startJournal();
    const altmaps = new Map<string, VmemAltmap>();
    for (const [id, a] of this.altmaps) altmaps.set(id, copyAltmap(a));
    return {
      maps,
      sets,
      nodes: this.nodes.map((n) => ({ ...n })),
      altmaps,
      memmapRamPages: this.memmapRamPages.slice(),
      tablePages: this.tablePages.slice(),
      sparseBuffer: this.sparseBuffer ? { ...this.sparseBuffer } : null,
      ppcList: copyPpcList(this.ppcList),
      once: this.once.size,
      lens: [this.log.length, this.trace.length, this.anomalies.length],
      pmdRun: this.pmdRun ? { ...this.pmdRun } : null,
      nextKey: this.nextKey,
      allocWarned: this.allocWarned,
      allocCount: { memblock: this.allocCount.memblock, buddy: this.allocCount.buddy, altmap: this.allocCount.altmap },
      ledger: saveLedger(this.ledger),
      // hvo is not kept: src/kernel/hugetlb.ts runs no loop through runSteps and is called only
      // at boot and by the hugepages step, never from inside a checkpointed run
    };
  }

  /** Keep everything done since the checkpoint. */
  commit(cp: Checkpoint): void {
    for (const m of cp.maps) m.endJournal();
    for (const m of cp.sets) m.endJournal();
  }

  /**
   * Back to the checkpoint: the maps undo their journals, the small fields take the copies,
   * the append-only arrays (log, trace, anomalies) drop what was appended. The touched record
   * is kept (a range touched by an abandoned attempt only makes the next check look wider).
   */
  rollback(cp: Checkpoint): void {
    for (const m of cp.maps) m.rollback();
    for (const m of cp.sets) m.rollback();
    this.nodes = cp.nodes;
    this.altmaps = cp.altmaps;
    this.memmapRamPages = cp.memmapRamPages;
    this.tablePages = cp.tablePages;
    this.sparseBuffer = cp.sparseBuffer;
    this.ppcList = cp.ppcList;
    // *_once keys fired since the checkpoint were added last (a Set keeps insertion order)
    if (this.once.size > cp.once) {
      let i = 0;
      for (const key of this.once) if (i++ >= cp.once) this.once.delete(key);
    }
    this.log.length = cp.lens[0];
    this.trace.length = cp.lens[1];
    this.anomalies.length = cp.lens[2];
    this.pmdRun = cp.pmdRun;
    this.nextKey = cp.nextKey;
    this.allocWarned = cp.allocWarned;
    this.allocCount = cp.allocCount;
    // the watchers hold this ledger object: restore it in place; an altmap first seen since
    // the checkpoint has a set of pfns that did not exist then
    const altPfns = this.ledger.altPfns;
    if (altPfns.size > 0) for (const [id, set] of altPfns) if (!cp.sets.includes(set)) altPfns.delete(id);
    Object.assign(this.ledger, cp.ledger);
  }
}

/** Constants derived from the arch (include/linux/mmzone.h names). */
export interface Consts {
  PAGE_SHIFT: number;
  PAGE_SIZE: number;
  PFN_SECTION_SHIFT: number;
  PAGES_PER_SECTION: number;
  PAGES_PER_SUBSECTION: number;
  SUBSECTIONS_PER_SECTION: number;
  PMD_SIZE: number;
  PUD_SIZE: number;
  STRUCT_PAGE: number;
  /** Bytes of memmap per section. */
  SECTION_MEMMAP: number;
  /** section_map_size() = ALIGN(memmap per section, PMD_SIZE). */
  SECTION_MAP_SIZE: number;
  /** Table span per allocatable level: address range one table of that kind covers. */
  tableSpan: Record<PtLevel, number>;
  /** Table kinds allocated on the way down to an entry of each leaf level (pgtable.ts tableKindsFor). */
  tableKinds: Record<LeafLevel, readonly PtLevel[]>;
  /** Pages of RAM one table of each level takes: boot (pt.earlyTableBytes) and runtime (pt.runtimeTableBytes), each absent = pt.tableBytes, / PAGE_SIZE. */
  tableCost: TableCost;
  /** Entry span per level (what one entry maps). */
  entrySpan: Record<PtLevel, number>;
  /** pageblock_nr_pages: 1 << min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER) (include/linux/pageblock-flags.h). */
  PAGEBLOCK_PAGES: number;
  /** The page-table-aligned origin that vmemmap offsets count from. */
  origin: bigint;
  /** VMEMMAP_START - origin. */
  startOff: number;
  /** VMEMMAP_END - origin. */
  endOff: number;
}

/** Pages of RAM one page-table table takes, per level: boot (memblock) and runtime (page allocator). */
export interface TableCost {
  boot: Record<PtLevel, number>;
  runtime: Record<PtLevel, number>;
}

const ONE_PAGE_TABLES: TableCost = { boot: { pgd: 1, p4d: 1, pud: 1, pmd: 1, pte: 1 }, runtime: { pgd: 1, p4d: 1, pud: 1, pmd: 1, pte: 1 } };

/** Bytes of one table of a level (pt.tableBytes; absent = PAGE_SIZE). */
function tableBytesOf(c: ArchConfig, l: PtLevel): number {
  return c.pt.tableBytes?.[l] ?? c.PAGE_SIZE;
}

/** Pages one table of `lvl` from `src` takes (static tables: none of vmemmap's). */
export function tablePagesEach(cost: TableCost, lvl: PtLevel, src: TableOwner['src']): number {
  return src === 'buddy' ? cost.runtime[lvl] : cost.boot[lvl];
}

/** Consts per frozen arch object (resolveArch() under withArchCache() shares and freezes them). */
const constsOf = new WeakMap<Arch, Consts>();

export function deriveConsts(a: Arch): Consts {
  if (!Object.isFrozen(a)) return computeConsts(a);
  let c = constsOf.get(a);
  if (!c) constsOf.set(a, (c = deepFreeze(computeConsts(a))));
  return c;
}

/** The allocatable table levels down to (and with) `entry`'s, or all of them if it has none. */
function tableKindsTo(all: readonly PtLevel[], entry: LeafLevel): readonly PtLevel[] {
  const stop = all.indexOf(entry);
  return stop < 0 ? all.slice() : all.slice(0, stop + 1);
}

function computeConsts(a: Arch): Consts {
  const c = a.cfg;
  const PAGE_SIZE = c.PAGE_SIZE;
  const PFN_SECTION_SHIFT = c.SECTION_SIZE_BITS - c.PAGE_SHIFT;
  const PAGES_PER_SECTION = 2 ** PFN_SECTION_SHIFT;
  const PAGES_PER_SUBSECTION = 2 ** (21 - c.PAGE_SHIFT);
  const PMD_SIZE = 2 ** c.PMD_SHIFT;
  const SECTION_MEMMAP = PAGES_PER_SECTION * c.STRUCT_PAGE_SIZE;
  const tableSpan = { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: 0 } as Record<PtLevel, number>;
  const entrySpan = { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: 0 } as Record<PtLevel, number>;
  for (const l of ['pgd', 'p4d', 'pud', 'pmd', 'pte'] as PtLevel[]) {
    const s = c.pt.shift[l];
    if (s === null) continue;
    entrySpan[l] = 2 ** s;
    // a table of tableBytes holds tableBytes / 8 entries (absent: one page)
    tableSpan[l] = 2 ** s * (tableBytesOf(c, l) / 8);
  }
  const tableCost: TableCost = { boot: { pgd: 1, p4d: 1, pud: 1, pmd: 1, pte: 1 }, runtime: { pgd: 1, p4d: 1, pud: 1, pmd: 1, pte: 1 } };
  for (const l of ['pgd', 'p4d', 'pud', 'pmd', 'pte'] as PtLevel[]) {
    tableCost.boot[l] = (c.pt.earlyTableBytes?.[l] ?? tableBytesOf(c, l)) / PAGE_SIZE;
    tableCost.runtime[l] = (c.pt.runtimeTableBytes?.[l] ?? tableBytesOf(c, l)) / PAGE_SIZE;
  }
  const topShift = BigInt(c.pt.shift.pgd!);
  const origin = (c.VMEMMAP_START >> topShift) << topShift;
  return {
    PAGE_SHIFT: c.PAGE_SHIFT,
    PAGE_SIZE,
    PFN_SECTION_SHIFT,
    PAGES_PER_SECTION,
    PAGES_PER_SUBSECTION,
    SUBSECTIONS_PER_SECTION: 2 ** (c.SECTION_SIZE_BITS - 21),
    PMD_SIZE,
    PUD_SIZE: 2 ** c.PUD_SHIFT,
    STRUCT_PAGE: c.STRUCT_PAGE_SIZE,
    SECTION_MEMMAP,
    SECTION_MAP_SIZE: Math.ceil(SECTION_MEMMAP / PMD_SIZE) * PMD_SIZE,
    // pageblock_order: min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER) on most arches, ia64's variable hpage order (the arch config)
    PAGEBLOCK_PAGES: 2 ** c.pageblockOrder,
    tableSpan,
    tableCost,
    entrySpan,
    tableKinds: { pmd: tableKindsTo(c.pt.allocLevels, 'pmd'), pte: tableKindsTo(c.pt.allocLevels, 'pte') },
    origin,
    startOff: Number(c.VMEMMAP_START - origin),
    endOff: Number(c.VMEMMAP_END - origin),
  };
}

/** What the model understands of the kernel command line. */
export interface KernelCmdline {
  /** memhp_default_state= */
  onlineType: 'offline' | 'online' | 'online_kernel' | 'online_movable';
  /** memory_hotplug.memmap_on_memory= (MEMMAP_ON_MEMORY_DISABLE / ENABLE / FORCE) */
  memmapOnMemory: 'off' | 'on' | 'force';
  /** hugetlb_free_vmemmap= (on/off) */
  hugetlbFreeVmemmap: boolean;
  /** hugepagesz= / hugepages= / default_hugepagesz=, in command-line order (sizes checked at boot). */
  hugepages: { size: number; count: number; node: number | null; text: string; sizeText?: string }[];
  /** default_hugepagesz= (0: the arch default, PMD_SIZE). */
  defaultHugepagesz: number;
  /** default_hugepagesz='s value as typed (the kernel's messages print it so). */
  defaultHugepageszText?: string;
  /** Messages parse_args() printed, replayed at boot. */
  messages: { level: number; site: string; text: string }[];
}

/** Allocator kinds a scenario can make fail (fault injection). */
export type FaultKind = 'memblock' | 'buddy' | 'altmap';
export const FAULT_KINDS: readonly FaultKind[] = ['memblock', 'buddy', 'altmap'];

export interface Kernel {
  arch: Arch;
  profile: KernelProfile;
  c: Consts;
  s: KState;
  /** Node distances (node_distance()). */
  distance: number[][];
  /** The pfn whose struct page sits at VMEMMAP_START (arm64: memstart_addr >> PAGE_SHIFT). */
  vmemmapPfnBase: number;
  /** Optimistic depth: > 0 while running a run of iterations at once (see engine.ts). */
  optimistic: number;
  /** The nodes' allocator state when the current optimistic run began (its checkpoint's copy; see buddy_alloc). */
  batchFree: readonly NodeAlloc[] | null;
  /** The share of the current optimistic run an allocator said it could serve (engine.ts shortOf); 1 = no hint. */
  abortAt: number;
  /** Boot facts. */
  /** dropped: boot RAM the arch removes before sparse_init() (bootMemoryCap): out of the linear map's reach, or past a memory limit. */
  boot: { done: boolean; maxPfn: number; memoryBlockSize: number; memstart: number; dropped?: { start: number; end: number; site: string; why?: string }[]; bootRam?: number };
  /** Kernel command line switches the model understands. */
  cmdline: KernelCmdline;
  /** Current scenario step (stamped on messages). */
  step: number;
  /** Fault injection: the nth allocation (1-based, whole run) of each listed kind fails. */
  faults: { kind: FaultKind; nth: number }[];
  /** Paths the kernel takes that the model does not have, met during the current step (what it
   *  did instead): runStep turns them into the step's notes. Outside k.s: an abandoned optimistic
   *  run that met one meets it again when rerun. */
  modelGaps: Set<string>;
  /** Format printk texts only when read (src/kernel/printk.ts LazyMessage): set for fuzz's machines, whose messages are seldom read. */
  lazyText?: boolean;
}

/**
 * Count `count` allocations of `kind` and say whether one of them is an injected failure.
 * In an optimistic run a fault inside the run aborts it, so the fault hits exactly the nth.
 */
export function injectFault(k: Kernel, kind: FaultKind, count: number): boolean {
  const from = k.s.allocCount[kind];
  const hit = k.faults.some((f) => f.kind === kind && f.nth > from && f.nth <= from + count);
  if (hit && k.optimistic > 0) return true;
  k.s.allocCount[kind] = from + count;
  if (hit) k.s.trace.push({ t: 'note', text: `fault injection: ${kind} allocation #${from + count} fails` });
  return hit;
}

/** A kernel anomaly of the current step (what the modelled kernel does wrong), also a note in the trace. */
export function kernelAnomaly(k: Kernel, site: string, text: string): void {
  k.s.anomalies.push({ step: k.step, site, text });
  k.s.trace.push({ t: 'note', text: `${site}: ${text}` });
}

/** pfn -> vmemmap offset of its struct page. */
export function pfnToOff(k: Kernel, pfn: number): number {
  return k.c.startOff + (pfn - k.vmemmapPfnBase) * k.c.STRUCT_PAGE;
}

/** vmemmap offset -> the pfn whose struct page starts there (may be fractional mid-page). */
export function offToPfn(k: Kernel, off: number): number {
  return (off - k.c.startOff) / k.c.STRUCT_PAGE + k.vmemmapPfnBase;
}

/** Absolute virtual address of a vmemmap offset. */
/** The virtual address of a vmemmap offset; the kernel's pointer arithmetic wraps at 2^64 (memmap placed past the top of the address space, e.g. arm64 <= v5.9 hot-add beyond the linear map). */
export function offToVa(k: Kernel, off: number): bigint {
  return BigInt.asUintN(64, k.c.origin + BigInt(off));
}

export function section_nr(k: Kernel, pfn: number): number {
  return Math.floor(pfn / k.c.PAGES_PER_SECTION);
}

export function section_nr_to_pfn(k: Kernel, nr: number): number {
  return nr * k.c.PAGES_PER_SECTION;
}

/**
 * memmap_on_memory: the pfn of the page backing vmemmap offset `off` when the memory block
 * holding the described pfns hosts its own memmap from its first page on
 * (mm/memory_hotplug.c create_altmaps_and_memory_blocks(): altmap.base_pfn = block start).
 */
export function selfHostedPfn(k: Kernel, off: number): number {
  const bp = k.boot.memoryBlockSize / k.c.PAGE_SIZE;
  const blockPfn = Math.floor(offToPfn(k, off) / bp) * bp;
  return blockPfn + Math.floor((off - pfnToOff(k, blockPfn)) / k.c.PAGE_SIZE);
}

/** Head and tail (unique) vmemmap pages of a compound leaf inside [a, e) (page-aligned offsets). */
export function compoundUnique(k: Kernel, b: Extract<Backing, { kind: 'compound' }>, a: number, e: number): { heads: number; tails: number } {
  return compoundUniquePages(k.c.PAGE_SIZE, b, a, e);
}

function compoundUniquePages(P: number, b: Extract<Backing, { kind: 'compound' }>, a: number, e: number): { heads: number; tails: number } {
  if (b.period === 0) return { heads: 0, tails: 0 };
  const V = b.period;
  const base = Math.floor(b.phase / P);
  const lo = Math.floor(a / P) - base;
  const hi = Math.floor(e / P) - base;
  // integers i in [lo, hi) with i = r (mod V)
  const count = (r: number) => Math.floor((hi - 1 - r) / V) - Math.floor((lo - 1 - r) / V);
  return { heads: count(0), tails: count(1) };
}
