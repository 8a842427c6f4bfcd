/**
 * The reference model: a deliberately naive, per-entry implementation of the same kernel
 * paths (boot, hot-add/remove, online/offline, namespaces), written loop for loop like the
 * kernel: one PTE, one PMD, one section, one memblock allocation at a time, with plain Maps
 * and Sets. It shares only pure pieces with the fast model (arch constants and the
 * vmemmap_populate decision, profiles, the nd_pfn arithmetic and ndctl's user-space plan);
 * every piece of state and every loop is its own. The property tests require both to agree.
 */
import { resolveArch, type Arch } from '../../src/arch/index.js';
import type { LeafLevel, PtLevel } from '../../src/arch/types.js';
import { findProfile } from '../../src/kernels/index.js';
import type { KernelProfile } from '../../src/kernels/types.js';
import { defaultReserved } from '../../src/kernel/init.js';
import { parseCmdline } from '../../src/kernel/params.js';
import { archHugePageSizes } from '../../src/kernel/hugetlb.js';
import { deriveConsts, type Consts, type Kernel } from '../../src/kernel/state.js';
import type { Scenario, ScenarioStep } from '../../src/scenario/parse.js';
import { makeRegion, planNamespace, type Region } from '../../src/sim/ndctl.js';
import { refFree, refHugepages, refPfn, refPopulate } from './policies.js';

const ENOMEM = -12, EINVAL = -22, EEXIST = -17, ENXIO = -6, EBUSY = -16, E2BIG = -7, EPERM = -1, ERANGE = -34, ENODEV = -19, ENOENT = -2, EOPNOTSUPP = -95;
const NAMES: Record<number, string> = { [-2]: 'ENOENT', [-95]: 'EOPNOTSUPP', [-12]: 'ENOMEM', [-22]: 'EINVAL', [-17]: 'EEXIST', [-6]: 'ENXIO', [-16]: 'EBUSY', [-7]: 'E2BIG', [-1]: 'EPERM', [-34]: 'ERANGE', [-28]: 'ENOSPC', [-19]: 'ENODEV' };

/** `dedup`: a head or tail page of device-dax compound pages; `alias`: a PTE mapping such a page again. */
type B = { kind: 'ram'; node: number; dedup?: string } | { kind: 'altmap'; id: string; pfn: number } | { kind: 'self'; node: number; pfn: number }
  | { kind: 'alias'; node: number; dedup: string };
/** `self`: a memmap_on_memory altmap of one memory block (its node). */
interface Alt { id: string; base_pfn: number; end_pfn: number; reserve: number; free: number; align: number; alloc: number; self?: number }
interface Sec { nid: number; early: boolean; memmap: boolean }
interface Block { nid: number; state: 'online' | 'offline'; zone: 'Normal' | 'Movable' | null; early: boolean; nrVmemmap: number; altmap: Alt | null }

export interface RefState {
  memmapBacking: { ram: Record<string, number>; altmap: Record<string, number>; self: Record<string, number>; dedup: Record<string, number> };
  tables: Record<string, number>;
  tablesByNode: Record<string, number>;
  leaves: { pte: number; pmd: number };
  ranges: { va: string; size: number; level: string; backing: string }[];
  altmaps: { id: string; alloc: number; align: number; free: number; reserve: number }[];
  sections: { present: number; early: number; subsectionsActive: number };
  nodeFree: number[];
  /** Bytes of struct pages of present pfns that no mapping covers. */
  unmapped: number;
  /** Memory blocks hosting their own memmap, and their vmemmap pages in total. */
  selfHosting: { blocks: number; vmemmapPages: number };
  /** HugeTLB pools "size:node:pages/optimised" and the HVO net vmemmap pages freed per node. */
  hugetlb: { pools: string[]; freed: number[]; memTotalGain: string[] };
  nodeManaged: number[];
}

export interface RefReport {
  steps: { ok: boolean; errno: string | null }[];
  states: RefState[];
  altmapLines: string[];
  offnode: string[];
}

const hex = (n: number | bigint) => n.toString(16);

export class Reference {
  a: Arch;
  c: Consts;
  p: KernelProfile;
  P: number;
  PMD: number;
  PPS: number;
  PPSS: number;
  tables: Record<PtLevel, Map<number, number>> = { pgd: new Map(), p4d: new Map(), pud: new Map(), pmd: new Map(), pte: new Map() };
  pmd = new Map<number, B>();
  pte = new Map<number, B>();
  unusedPages = new Set<number>();
  sections = new Map<number, Sec>();
  subs = new Set<number>();
  altmaps = new Map<string, Alt>();
  nodes: { online: boolean; free: number; managed: number }[];
  memmapRam: number[];
  tablePages: number[];
  mem: { start: number; end: number; nid: number }[] = [];
  res: { start: number; end: number }[] = [];
  sb: { nid: number; ptr: number; end: number } | null = null;
  booted = false;
  warned = false;
  verifyFired = false;
  blocks = new Map<number, Block>();
  bs = 0;
  iomemRam: { start: number; end: number }[] = [];
  iomemOther: { start: number; end: number }[] = [];
  claims: { start: number; end: number }[] = [];
  pgmaps: { spfn: number; epfn: number }[] = [];
  regions = new Map<string, Region>();
  memstart = 0;
  pfnBase = 0;
  maxPfn = 0;
  onlineType: string;
  curPgmap: { id: string; nr: number; rangeStartPfn: number } | null = null;
  mom: 'off' | 'on' | 'force';
  hvo: boolean;
  altmapLines: string[] = [];
  stepNo = 0;
  counts: Record<string, number> = { memblock: 0, buddy: 0, altmap: 0 };
  fault(kind: string): boolean {
    this.counts[kind] += 1;
    return this.sc.faults.some((f) => f.kind === kind && f.nth === this.counts[kind]);
  }
  offnode: string[] = [];

  constructor(readonly sc: Scenario) {
    this.p = findProfile(sc.kernel)!;
    this.a = resolveArch(sc.arch, sc.config, this.p);
    this.c = deriveConsts(this.a);
    this.P = this.c.PAGE_SIZE;
    this.PMD = this.c.PMD_SIZE;
    this.PPS = this.c.PAGES_PER_SECTION;
    this.PPSS = this.c.PAGES_PER_SUBSECTION;
    const n = sc.distances.length;
    this.nodes = Array.from({ length: n }, () => ({ online: false, free: 0, managed: 0 }));
    this.memmapRam = Array(n).fill(0);
    this.tablePages = Array(n).fill(0);
    const cmd = parseCmdline(this.p, sc.cmdline).cmdline;
    this.onlineType = cmd.onlineType;
    this.mom = cmd.memmapOnMemory;
    this.hvo = cmd.hugetlbFreeVmemmap;
    if (this.a.cfg.staticTablesFor !== null) {
      const off = Number(this.a.cfg.staticTablesFor - this.c.origin);
      for (const kind of this.a.cfg.pt.allocLevels) {
        const idx = Math.floor(off / this.c.tableSpan[kind]);
        if (idx * this.c.tableSpan[kind] < this.c.endOff) this.tables[kind].set(idx, -1);
      }
    }
    sc.devices.forEach((d, i) => { if (d.type === 'nvdimm') this.regions.set(d.name, makeRegion({ c: this.c } as Kernel, d, i)); });
  }

  off(pfn: number): number {
    return this.c.startOff + (pfn - this.pfnBase) * this.c.STRUCT_PAGE;
  }

  // ---------------- memblock, one allocation at a time
  private resAdd(s: number, e: number) {
    this.res.push({ start: s, end: e });
    this.res.sort((x, y) => x.start - y.start);
    const out: { start: number; end: number }[] = [];
    for (const r of this.res) {
      const l = out[out.length - 1];
      if (l && r.start <= l.end) l.end = Math.max(l.end, r.end);
      else out.push({ ...r });
    }
    this.res = out;
  }
  private resRemove(s: number, e: number) {
    const out: { start: number; end: number }[] = [];
    for (const r of this.res) {
      if (r.end <= s || r.start >= e) { out.push(r); continue; }
      if (r.start < s) out.push({ start: r.start, end: s });
      if (r.end > e) out.push({ start: e, end: r.end });
    }
    this.res = out;
  }
  private freeRanges(nid: number, lo: number, hi: number): { start: number; end: number; nid: number }[] {
    const out: { start: number; end: number; nid: number }[] = [];
    // memblock_merge_regions(): adjacent regions of the same node are one region
    const merged: { start: number; end: number; nid: number }[] = [];
    for (const m of [...this.mem].sort((x, y) => x.start - y.start)) {
      const l = merged[merged.length - 1];
      if (l && l.end === m.start && l.nid === m.nid) l.end = m.end;
      else merged.push({ ...m });
    }
    for (const m of merged) {
      if (nid !== -1 && m.nid !== nid) continue;
      let cur = Math.max(m.start, lo);
      const end = Math.min(m.end, hi);
      for (const r of this.res) {
        if (r.end <= cur || r.start >= end) continue;
        if (r.start > cur) out.push({ start: cur, end: r.start, nid: m.nid });
        cur = Math.max(cur, r.end);
      }
      if (cur < end) out.push({ start: cur, end, nid: m.nid });
    }
    return out.sort((x, y) => y.start - x.start);
  }
  mbAlloc(size: number, align: number, min: number, nid: number, exact: boolean): { addr: number; nid: number } | null {
    if (this.fault('memblock')) return null;
    const max = Math.max(...this.mem.map((m) => m.end));
    for (const lo of min > 0 ? [min, 0] : [0]) {
      const find = (n: number) => {
        for (const r of this.freeRanges(n, lo, max)) {
          const cand = Math.floor((r.end - size) / align) * align;
          if (cand >= r.start) return { addr: cand, nid: r.nid };
        }
        return null;
      };
      let f = find(nid);
      if (!f && !exact) f = find(-1);
      if (f) { this.resAdd(f.addr, f.addr + size); return f; }
    }
    return null;
  }
  earlyPfnToNid(pfn: number): number {
    const pa = pfn * this.P;
    const m = this.mem.find((x) => pa >= x.start && pa < x.end);
    return m ? m.nid : this.nodes.findIndex((n) => n.online);
  }

  // ---------------- allocators
  zonelist(node: number): number[] {
    const ids = this.nodes.map((n, i) => (n.online ? i : -1)).filter((i) => i >= 0);
    return ids.sort((x, y) => (this.sc.distances[node]![x]! - this.sc.distances[node]![y]!) || (x === node ? -1 : y === node ? 1 : x - y));
  }
  allocBlock(size: number, node: number): number | null {
    if (!this.booted) {
      const f = this.mbAlloc(size, size, this.a.cfg.memblockGoal, node, false);
      return f ? f.nid : null;
    }
    let pages = 1;
    while (pages * this.P < size) pages *= 2;
    if (this.fault('buddy')) { this.warned = true; return null; }
    for (const nid of this.zonelist(node)) {
      if (this.nodes[nid]!.free >= pages) { this.nodes[nid]!.free -= pages; return nid; }
    }
    this.warned = true;
    return null;
  }
  altmapAlloc(size: number, id: string): number | null {
    const a = this.altmaps.get(id)!;
    if (size % this.P) return null;
    const next = a.base_pfn + a.reserve + a.alloc + a.align;
    const nr = size / this.P;
    let unit = 1;
    while (nr % (unit * 2) === 0) unit *= 2;
    const nrAlign = Math.ceil(next / unit) * unit - next;
    const nrFree = a.free > a.alloc + a.align ? a.free - (a.alloc + a.align) : 0;
    if (nr + nrAlign > nrFree) return null;
    if (this.fault('altmap')) return null;
    a.alloc += nr;
    a.align += nrAlign;
    const pfn = next + nrAlign;
    this.altmapLines.push(`altmap_alloc_block_buf: pfn: 0x${hex(pfn)} alloc: ${a.alloc} align: ${a.align} nr: 0x${hex(nr)}`);
    return pfn;
  }
  allocBuf(size: number, node: number, altmap: string | null): B | null {
    if (altmap && this.p.allocBlockBuf === 'fallback-as-posted') {
      if (this.altmapAlloc(size, altmap) === null) return null; // then RAM, as posted
    } else if (altmap) {
      const pfn = this.altmapAlloc(size, altmap);
      if (pfn === null) return null;
      const self = this.altmaps.get(altmap)!.self;
      return self === undefined ? { kind: 'altmap', id: altmap, pfn } : { kind: 'self', node: self, pfn };
    }
    let nid: number | null = null;
    if (this.sb) {
      const ptr = Math.ceil(this.sb.ptr / size) * size;
      if (ptr + size <= this.sb.end) {
        if (ptr > this.sb.ptr) this.resRemove(this.sb.ptr, ptr);
        this.sb.ptr = ptr + size;
        nid = this.sb.nid;
      }
    }
    if (nid === null) nid = this.allocBlock(size, node);
    if (nid === null) return null;
    this.memmapRam[nid] += size / this.P;
    return { kind: 'ram', node: nid };
  }

  // ---------------- populate, entry by entry
  ensureTables(addr: number, node: number, upto: LeafLevel): boolean {
    const lv = this.a.cfg.pt.allocLevels;
    for (const kind of lv.slice(0, lv.indexOf(upto) + 1 || lv.length)) {
      const idx = Math.floor(addr / this.c.tableSpan[kind]);
      if (this.tables[kind].has(idx)) continue;
      const nid = this.allocBlock(this.P, node);
      if (nid === null) return false;
      this.tablePages[nid] += 1;
      this.tables[kind].set(idx, nid);
    }
    return true;
  }
  verify(b: B, node: number, start: number, end: number) {
    if (this.p.vmemmapVerifyOnce && this.verifyFired) return;
    const actual = b.kind === 'ram' || b.kind === 'alias' ? b.node : this.earlyPfnToNid(b.pfn);
    if (this.sc.distances[actual]![node]! > 10) {
      this.verifyFired = true;
      this.offnode.push(`[${hex(this.c.origin + BigInt(start))}-${hex(this.c.origin + BigInt(end) - 1n)}] potential offnode page_structs`);
    }
  }
  basepages(start: number, end: number, node: number, altmapIn: string | null): number {
    const altmap = this.p.basepagesAltmap ? altmapIn : null;
    for (let addr = start; addr < end; addr += this.P) {
      if (this.pmd.has(Math.floor(addr / this.PMD))) continue;
      if (!this.ensureTables(addr, node, 'pte')) return ENOMEM;
      const idx = Math.floor(addr / this.P);
      if (!this.pte.has(idx)) {
        const b = this.allocBuf(this.P, node, altmap);
        if (!b) return ENOMEM;
        this.pte.set(idx, b);
      }
      this.verify(this.pte.get(idx)!, node, addr, addr + this.P);
    }
    return 0;
  }
  verifyTable(node: number, addr: number, next: number) {
    if (this.p.vmemmapVerifyOnce && this.verifyFired) return;
    const owner = this.tables.pte.get(Math.floor(addr / this.c.tableSpan.pte));
    if (owner === undefined || owner < 0) return;
    if (this.sc.distances[owner]![node]! > 10) {
      this.verifyFired = true;
      this.offnode.push(`[${hex(this.c.origin + BigInt(addr))}-${hex(this.c.origin + BigInt(next) - 1n)}] potential offnode page_structs`);
    }
  }
  hugepages(start: number, end: number, node: number, altmap: string | null): number {
    const v = refHugepages(this.a.cfg, this.p);
    for (let addr = start, next = 0; addr < end; addr = next) {
      next = Math.min(Math.floor(addr / this.PMD) * this.PMD + this.PMD, end);
      if (!this.ensureTables(addr, node, 'pmd')) return ENOMEM;
      const idx = Math.floor(addr / this.PMD);
      const hasTable = this.a.cfg.pt.shift.pte !== null && this.tables.pte.has(idx);
      let fallbackAltmap = v.tableAltmap ? altmap : null;
      if (!this.pmd.has(idx) && !hasTable) {
        const b = this.allocBuf(this.PMD, node, altmap);
        if (b) { this.pmd.set(idx, b); continue; }
        if (v.onFail === 'enomem' || (v.onFail === 'generic' && altmap)) return ENOMEM;
        fallbackAltmap = v.onFail === 'basepages' ? altmap : null;
      } else if (this.pmd.has(idx)) {
        this.verify(this.pmd.get(idx)!, node, addr, next);
        continue;
      } else if (v.checkPmd === 'any') {
        this.verifyTable(node, addr, next);
        continue;
      }
      if (this.basepages(addr, next, node, fallbackAltmap)) return ENOMEM;
    }
    return 0;
  }
  onePagePerPmd(start: number, end: number, node: number): number {
    for (let addr = start, next = 0; addr < end; addr = next) {
      next = Math.min(Math.floor(addr / this.PMD) * this.PMD + this.PMD, end);
      if (!this.ensureTables(addr, node, 'pte')) return ENOMEM;
      const idx = Math.floor(addr / this.P);
      if (!this.pte.has(idx)) {
        const b = this.allocBuf(this.P, node, null);
        if (!b) return ENOMEM;
        this.pte.set(idx, b);
      }
      this.verifyTable(node, addr, next);
    }
    return 0;
  }
  populateSection(pfnIn: number, nrIn: number, nid: number, altmap: string | null): number {
    let pfn = pfnIn;
    let nr = nrIn;
    if (pfn % this.PPSS || nr % this.PPSS) {
      if (this.p.populateSectionAlignCheck) return ENOMEM;
      const e = Math.ceil((pfn + nr) / this.PPSS) * this.PPSS;
      pfn = Math.floor(pfn / this.PPSS) * this.PPSS;
      nr = e - pfn;
    }
    const start = this.off(pfn);
    const end = start + nr * this.c.STRUCT_PAGE;
    const pg = this.curPgmap;
    const dd = this.p.daxVmemmapDedup;
    if (pg && !altmap && pg.nr > 1 && dd !== 'none' && (dd === 'v6.1' || (this.a.cfg.arch === 'x86_64' && (pg.nr * this.c.STRUCT_PAGE) / this.P > 2))) {
      return this.compound(pfn, start, end, nid, pg);
    }
    // the reference's own vmemmap_populate() decision (test/reference/policies.ts)
    const c = refPopulate(this.a.cfg, this.p, end - start, altmap !== null);
    switch (c.how) {
      case 'enomem': return ENOMEM;
      case 'basepages': return this.basepages(start, end, nid, c.useAltmap ? altmap : null);
      case 'hugepages': return this.hugepages(start, end, nid, c.useAltmap ? altmap : null);
      case 'one-page-per-pmd': return this.onePagePerPmd(start, end, nid);
    }
  }

  /** vmemmap_populate_compound_pages(), page by page. */
  compound(startPfn: number, start: number, end: number, node: number, pg: { id: string; nr: number; rangeStartPfn: number }): number {
    const P = this.P;
    const size = pg.nr * this.c.STRUCT_PAGE;
    // over a PMD block (arm64 <= 6.1 partial sections): the kernel would walk the block as a PTE table; skipped
    for (let addr = start; addr < end; addr += P) if (this.pmd.has(Math.floor(addr / this.PMD))) return 0;
    const setPte = (addr: number, make: () => B | null): B | null | undefined => {
      if (!this.ensureTables(addr, node, 'pte')) return null;
      const idx = Math.floor(addr / P);
      let b = this.pte.get(idx);
      if (!b) {
        const nb = make();
        if (!nb) return null;
        this.pte.set(idx, nb);
        b = nb;
      }
      this.verify(b.kind === 'alias' ? { kind: 'ram', node: b.node } : b, node, addr, addr + P);
      return b;
    };
    if (pg.nr > this.PPSS && (startPfn - pg.rangeStartPfn) % pg.nr !== 0) {
      const prev = this.pte.get(Math.floor(start / P) - 1);
      if (!prev || (prev.kind !== 'alias' && !(prev.kind === 'ram' && prev.dedup))) return ENOMEM;
      const target: B = { kind: 'alias', node: prev.node, dedup: pg.id };
      for (let addr = start; addr < end; addr += P) if (setPte(addr, () => target) === null) return ENOMEM;
      return 0;
    }
    for (let addr = start; addr < end; addr += size) {
      const fresh = () => { const b = this.allocBuf(P, node, null); return b && b.kind === 'ram' ? { kind: 'ram' as const, node: b.node, dedup: pg.id } : null; };
      if (setPte(addr, fresh) === null) return ENOMEM;
      const tail = setPte(addr + P, fresh);
      if (!tail) return ENOMEM;
      const target: B = { kind: 'alias', node: tail.kind === 'alias' || tail.kind === 'ram' || tail.kind === 'self' ? tail.node : 0, dedup: pg.id };
      for (let a2 = addr + 2 * P; a2 < addr + size; a2 += P) if (setPte(a2, () => target) === null) return ENOMEM;
    }
    return 0;
  }

  // ---------------- teardown, entry by entry
  freeBacking(b: B, pages: number, altmap: string | null, level: 'pte' | 'pmd') {
    const x86 = this.a.cfg.arch === 'x86_64';
    if (altmap !== null && !(x86 && level === 'pte')) {
      this.altmaps.get(altmap)!.alloc -= pages;
      if (b.kind === 'ram') this.memmapRam[b.node] -= pages;
      return;
    }
    if (b.kind !== 'ram') return; // altmap, self-hosted or an alias PTE: no RAM page of its own
    this.memmapRam[b.node] -= pages;
    this.nodes[b.node]!.free += pages;
  }
  vmemmapFree(start: number, end: number, altmap: string | null) {
    if (refFree(this.a.cfg, this.p).empty) return;
    const perPmd = this.PMD / this.P;
    for (let addr = start, next = 0; addr < end; addr = next) {
      next = Math.min(Math.floor(addr / this.PMD) * this.PMD + this.PMD, end);
      const idx = Math.floor(addr / this.PMD);
      const b = this.pmd.get(idx);
      if (b) {
        const whole = addr % this.PMD === 0 && next % this.PMD === 0;
        let free = whole || refFree(this.a.cfg, this.p).partialPmd === 'always';
        if (!free) {
          for (let q = addr; q < next; q += this.P) this.unusedPages.add(q / this.P);
          free = true;
          for (let q = idx * perPmd; q < (idx + 1) * perPmd; q++) if (!this.unusedPages.has(q)) free = false;
        }
        if (free) {
          this.pmd.delete(idx);
          for (let q = idx * perPmd; q < (idx + 1) * perPmd; q++) this.unusedPages.delete(q);
          this.freeBacking(b, perPmd, altmap, 'pmd');
        }
        continue;
      }
      const x86 = this.a.cfg.arch === 'x86_64';
      for (let q = x86 ? Math.floor(addr / this.P) * this.P : addr; q < next; q += this.P) {
        const pi = Math.floor(q / this.P);
        const pb = this.pte.get(pi);
        if (!pb) continue;
        this.pte.delete(pi);
        this.freeBacking(pb, 1, altmap, 'pte');
      }
    }
    // empty tables, bottom-up
    const pol = refFree(this.a.cfg, this.p);
    const lv = this.a.cfg.pt.allocLevels;
    for (const kind of [...lv].reverse()) {
      if (!pol.freeTables[kind]) continue;
      const span = this.c.tableSpan[kind];
      const below = lv[lv.indexOf(kind) + 1];
      for (let i = Math.floor(start / span); i * span < end; i++) {
        const owner = this.tables[kind].get(i);
        if (owner === undefined || owner === -1) continue;
        if (pol.floorCeiling && (i * span < this.c.startOff || (i + 1) * span > Math.floor(this.c.endOff / span) * span)) continue;
        let empty = true;
        const entry = this.c.entrySpan[kind];
        for (let e = i * span; e < (i + 1) * span && empty; e += entry) {
          if (kind === 'pmd' && this.pmd.has(e / this.PMD)) empty = false;
          if (kind === 'pte' && this.pte.has(e / this.P)) empty = false;
          if (below && this.tables[below].has(e / this.c.tableSpan[below])) empty = false;
        }
        if (!empty) continue;
        this.tables[kind].delete(i);
        this.tablePages[owner] -= 1;
        this.nodes[owner]!.free += 1;
      }
    }
  }

  // ---------------- sections
  subIdx(pfn: number, nr: number): number[] {
    const out: number[] = [];
    for (let s = Math.floor(pfn / this.PPSS); s < Math.ceil((pfn + nr) / this.PPSS); s++) out.push(s);
    return out;
  }
  sectionDeactivate(pfn: number, nr: number, altmap: string | null) {
    const ids = this.subIdx(pfn, nr);
    if (!ids.every((i) => this.subs.has(i))) return;
    for (const i of ids) this.subs.delete(i);
    const snr = Math.floor(pfn / this.PPS);
    const ms = this.sections.get(snr) ?? { nid: -1, early: false, memmap: false };
    const per = this.PPS / this.PPSS;
    let empty = true;
    for (let i = snr * per; i < (snr + 1) * per; i++) if (this.subs.has(i)) empty = false;
    if (this.p.earlySectionPartialDepopulate) {
      if (ms.early && empty) this.vmemmapFree(this.off(snr * this.PPS), this.off((snr + 1) * this.PPS), null);
      else this.vmemmapFree(this.off(pfn), this.off(pfn + nr), altmap);
    } else if (!ms.early) this.vmemmapFree(this.off(pfn), this.off(pfn + nr), altmap);
    else if (empty) this.vmemmapFree(this.off(snr * this.PPS), this.off((snr + 1) * this.PPS), null);
    if (empty) this.sections.delete(snr);
  }
  sparseAddSection(nid: number, pfn: number, nr: number, altmap: string | null): number {
    const ids = this.subIdx(pfn, nr);
    if (ids.some((i) => this.subs.has(i))) return EEXIST;
    for (const i of ids) this.subs.add(i);
    const snr = Math.floor(pfn / this.PPS);
    const ms = this.sections.get(snr);
    if (!(nr < this.PPS && ms?.early)) {
      if (this.populateSection(pfn, nr, nid, altmap) !== 0) {
        this.sectionDeactivate(pfn, nr, altmap);
        return ENOMEM;
      }
    }
    this.sections.set(snr, ms ? { ...ms, memmap: true } : { nid, early: false, memmap: true });
    return 0;
  }
  addPages(nid: number, pfn: number, nr: number, altmap: string | null): number {
    if (this.p.hotplugRangeCheck === 'addressable' && (pfn + nr) * this.P - 1 >= 2 ** this.a.cfg.MAX_PHYSMEM_BITS) return E2BIG;
    if (altmap) {
      const a = this.altmaps.get(altmap)!;
      if (a.base_pfn !== pfn || a.reserve + a.free > nr) return EINVAL;
      a.alloc = 0;
    }
    if (pfn % this.PPSS || nr % this.PPSS) return EINVAL;
    for (let p = pfn; p < pfn + nr;) {
      const cur = Math.min(pfn + nr - p, (Math.floor(p / this.PPS) + 1) * this.PPS - p);
      const e = this.sparseAddSection(nid, p, cur, altmap);
      if (e) return e;
      p += cur;
    }
    return 0;
  }
  removePages(pfn: number, nr: number, altmap: string | null) {
    if (pfn % this.PPSS || nr % this.PPSS) return;
    for (let p = pfn; p < pfn + nr;) {
      const cur = Math.min(pfn + nr - p, (Math.floor(p / this.PPS) + 1) * this.PPS - p);
      const ms = this.sections.get(Math.floor(p / this.PPS));
      if (ms && ms.memmap) this.sectionDeactivate(p, cur, altmap);
      p += cur;
    }
  }
  physEnd(): number {
    return this.a.policy.mappableRange(this.memstart).end;
  }
  archAddMemory(nid: number, start: number, size: number, altmap: string | null): number {
    if (this.a.cfg.arch === 'arm64' && this.p.arm64AddMemoryCheck === 'linear-region') {
      const lin = 2 ** (Number(this.a.cfg.config.vaBits) - 1);
      if (start < this.memstart || start + size - 1 > this.memstart + lin - 1) return EINVAL;
    }
    if (this.a.cfg.arch === 'x86_64' && this.p.x86AddPagesRangeCheck && start + size - 1 > this.physEnd()) return ERANGE;
    return this.addPages(nid, start / this.P, size / this.P, altmap);
  }
  rangeAllowed(start: number, size: number): boolean {
    const r = this.a.policy.mappableRange(this.memstart);
    return start < start + size && start >= r.start && start + size - 1 <= Math.min(r.end, this.physEnd());
  }

  // ---------------- boot
  boot() {
    const P = this.P;
    let lo = Infinity;
    for (const n of this.sc.nodes) {
      this.nodes[n.id]!.online = true;
      for (const m of n.memory) { this.mem.push({ start: m.start, end: m.start + m.size, nid: n.id }); lo = Math.min(lo, m.start); }
    }
    this.mem.sort((x, y) => x.start - y.start);
    this.maxPfn = Math.max(...this.mem.map((m) => m.end)) / P;
    const fakeK = { arch: this.a } as Kernel;
    for (const r of this.sc.reserved ?? defaultReserved(fakeK, lo)) {
      for (const m of this.mem) {
        const s = Math.max(m.start, r.start);
        const e = Math.min(m.end, r.start + r.size);
        if (s < e) this.resAdd(s, e);
      }
    }
    if (this.a.cfg.arch === 'arm64') {
      this.memstart = Math.floor(lo / this.a.cfg.memstartAlign) * this.a.cfg.memstartAlign;
      this.pfnBase = this.memstart / P;
    }
    const secBytes = this.PPS * P;
    for (const m of this.mem) {
      for (let s = Math.floor(m.start / secBytes); s < Math.ceil(m.end / secBytes); s++) {
        if (!this.sections.has(s)) this.sections.set(s, { nid: m.nid, early: false, memmap: false });
      }
    }
    const present = [...this.sections.keys()].sort((x, y) => x - y);
    const runs: { nid: number; secs: number[] }[] = [];
    for (const s of present) {
      const nid = this.sections.get(s)!.nid;
      const l = runs[runs.length - 1];
      if (l && l.nid === nid) l.secs.push(s);
      else runs.push({ nid, secs: [s] });
    }
    for (const run of runs) {
      const size = run.secs.length * this.c.SECTION_MAP_SIZE;
      const f = this.mbAlloc(size, this.c.SECTION_MAP_SIZE, this.a.cfg.memblockGoal, run.nid, true);
      this.sb = f ? { nid: run.nid, ptr: f.addr, end: f.addr + size } : null;
      let failed = false;
      for (let i = 0; i < run.secs.length; i++) {
        const s = run.secs[i]!;
        if (this.populateSection(s * this.PPS, this.PPS, run.nid, null) !== 0) {
          for (const t of run.secs.slice(i)) this.sections.delete(t);
          failed = true;
          break;
        }
        this.sections.set(s, { nid: run.nid, early: true, memmap: true });
      }
      if (failed && this.p.sparseInitFailLeaksBuffer) continue; // the buffer is not finished
      if (this.sb && this.sb.end > this.sb.ptr) this.resRemove(this.sb.ptr, this.sb.end);
      this.sb = null;
    }
    for (const m of this.mem) {
      const p0 = Math.floor(m.start / P);
      const p1 = Math.floor(m.end / P);
      for (let p = p0; p < p1; p += this.PPSS - (p % this.PPSS)) {
        if (this.sections.has(Math.floor(p / this.PPS))) this.subs.add(Math.floor(p / this.PPSS));
      }
    }
    this.hugeSizes = archHugePageSizes({ arch: this.a, c: this.c } as unknown as Kernel);
    this.hugePools = new Map(this.hugeSizes.map((s) => [s, { pages: Array(this.nodes.length).fill(0), opt: Array(this.nodes.length).fill(0) }]));
    this.hugeRequests = this.hugetlbRequests();
    this.hugeBoot(true);
    for (let nid = 0; nid < this.nodes.length; nid++) {
      if (!this.nodes[nid]!.online) continue;
      let bytes = 0;
      for (const m of this.mem) if (m.nid === nid) bytes += m.end - m.start;
      for (const r of this.res) for (const m of this.mem) if (m.nid === nid) bytes -= Math.max(0, Math.min(r.end, m.end) - Math.max(r.start, m.start));
      this.nodes[nid]!.free = bytes / P;
      this.nodes[nid]!.managed = bytes / P;
    }
    for (const n of this.sc.nodes) this.nodes[n.id]!.free = Math.max(0, this.nodes[n.id]!.free - Math.floor(n.used / P));
    this.booted = true;
    this.hugeBoot(false);
    for (const [size, pool] of this.hugePools) pool.pages.forEach((c: number, nd: number) => this.hvoOptimizeBatch(size, nd, c, true));
    for (const m of this.mem) this.iomemRam.push({ start: m.start, end: m.end });
    for (const d of this.sc.devices) this.iomemOther.push({ start: d.start, end: d.start + d.size });
    this.bs = this.a.policy.memoryBlockSize(this.maxPfn * P, 0).size;
    for (const s of this.sections.keys()) {
      const b0 = Math.floor((s * secBytes) / this.bs);
      const b1 = Math.ceil(((s + 1) * secBytes) / this.bs);
      for (let b = b0; b < b1; b++) if (!this.blocks.has(b)) this.blocks.set(b, { nid: this.sections.get(s)!.nid, state: 'online', zone: 'Normal', early: true, nrVmemmap: 0, altmap: null });
    }
  }

  // ---------------- HugeTLB and HVO, folio by folio
  hugeSizes: number[] = [];
  hugePools = new Map<number, { pages: number[]; opt: number[] }>();
  hugeRequests: { size: number; count: number; node: number | null }[] = [];
  hvoFreed: number[] = [];
  tails = new Set<string>();
  hugetlbRequests() {
    const cmd = parseCmdline(this.p, this.sc.cmdline).cmdline;
    const def = cmd.defaultHugepagesz && this.hugeSizes.includes(cmd.defaultHugepagesz) ? cmd.defaultHugepagesz : this.PMD;
    // a node that is not online drops every count of its hugepages= parameter (hugepages_setup);
    // a hugepagesz= memparse cannot read (NaN) is unsupported, not the default size
    const param = (r: { size: number; text: string }) => `${r.size}|${r.text}`;
    const bad = new Set(cmd.hugepages.filter((r) => r.node !== null && !(r.node < this.nodes.length && this.nodes[r.node]!.online)).map(param));
    return cmd.hugepages.filter((r) => !bad.has(param(r))).map((r) => ({ ...r, size: r.size === 0 ? def : r.size })).filter((r) => this.hugeSizes.includes(r.size));
  }
  hvoPerFolio(size: number): number {
    const v = ((size / this.P) * this.c.STRUCT_PAGE) / this.P;
    const sup = this.p.hvo !== 'none' && (this.a.cfg.arch === 'x86_64' || (this.a.cfg.arch === 'arm64' && this.p.hvoArm64));
    if (!sup) return 0;
    if (this.p.hvo === 'v5.15') return v > 2 ? v - 2 : 0;
    return v > 1 ? v - 1 : 0;
  }
  hugeBoot(gigantic: boolean) {
    const maxOrder = this.P === 16384 ? 11 : this.P === 65536 ? 13 : 10;
    for (const r of this.hugeRequests) {
      if ((r.size / this.P > 2 ** maxOrder) !== gigantic) continue;
      const nodes = r.node === null ? this.nodes.map((n, i) => (n.online ? i : -1)).filter((i) => i >= 0) : [r.node];
      let got = 0;
      let stuck = 0;
      for (let i = 0; got < r.count && stuck < nodes.length; i++) {
        const nd = nodes[i % nodes.length]!;
        let ok: boolean;
        if (gigantic) ok = this.mbAlloc(r.size, r.size, 0, nd, true) !== null;
        else {
          ok = this.nodes[nd]!.free >= r.size / this.P && !this.fault('buddy');
          if (ok) this.nodes[nd]!.free -= r.size / this.P;
        }
        if (ok) { this.hugePools.get(r.size)!.pages[nd]! += 1; got++; stuck = 0; } else stuck++;
      }
    }
  }
  /** Optimise `count` new folios of one node together (one nr_hugepages write or the boot pool). */
  hvoOptimizeBatch(size: number, nd: number, count: number, boot = false) {
    // 7.1: folios go one at a time until the shared tail page exists, then the rest together
    if (this.p.hvo === 'v7.1' && this.hvo && this.hvoPerFolio(size) > 0) {
      while (count > 0 && !this.tails.has(`${nd}:${size}`)) { this.hvoOptimizeGroup(size, nd, 1, boot); count--; }
    }
    if (count > 0) this.hvoOptimizeGroup(size, nd, count, boot);
  }
  hvoOptimizeGroup(size: number, nd: number, count: number, boot: boolean) {
    // MemTotal: each folio unmaps its vmemmap pages; at most `buddy` of all those (the pages
    // of folios restored earlier, head included) are buddy pages, the others are boot pages -> managed.
    // 6.18+ x86 boot 1 GiB pages (pre-HVO): never allocated but the head and the PTE tables
    const vmPages = ((size / this.P) * this.c.STRUCT_PAGE) / this.P;
    const pmdSpan = (this.PMD / this.c.STRUCT_PAGE) * this.P;
    const maxOrder = this.P === 16384 ? 11 : this.P === 65536 ? 13 : 10;
    const preinit = boot && this.p.hvoPreinit && this.a.cfg.arch === 'x86_64' && size % pmdSpan === 0 && size % 2 ** this.a.cfg.SECTION_SIZE_BITS === 0 && size / this.P > 2 ** maxOrder;
    const newHead = !preinit && (this.p.hvo === 'v6.6' || this.p.hvo === 'v7.1');
    let buddyLeft = this.hvoBuddy[nd] ?? 0;
    for (let i = 0; i < count; i++) {
      const hadTail = this.tails.has(`${nd}:${size}`);
      if (!this.hvoOptimize(size, nd, preinit)) return;
      const tail = preinit && !hadTail && this.tails.has(`${nd}:${size}`) ? 1 : 0;
      const unmapped = preinit ? this.hvoPerFolio(size) - (vmPages * this.P) / this.PMD - tail : this.hvoPerFolio(size) + (newHead ? 1 : 0);
      const fromBuddy = Math.min(unmapped, buddyLeft);
      buddyLeft -= fromBuddy;
      this.hvoGain[nd] = (this.hvoGain[nd] ?? { min: 0, max: 0 });
      this.hvoGain[nd]!.min += unmapped - fromBuddy;
      this.hvoGain[nd]!.max += unmapped;
      this.nodes[nd]!.managed += unmapped - fromBuddy;
    }
  }
  hvoGain: { min: number; max: number }[] = [];
  hvoBuddy: number[] = [];
  hvoOptimize(size: number, nd: number, preinit = false): boolean {
    if (!this.hvo) return false;
    const per = this.hvoPerFolio(size);
    if (!per) return false;
    let net = per;
    if (this.p.hvo === 'v7.1' && !this.tails.has(`${nd}:${size}`)) {
      // no shared tail page, no optimisation of this folio (7.1 __hugetlb_vmemmap_optimize_folio);
      // vmemmap_get_tail() has no __GFP_THISNODE: the first node of the zonelist with a page
      // pre-HVO (boot gigantic pages at sparse_init): memblock on the folio's node, no buddy yet
      if (!preinit && this.fault('buddy')) return false;
      const from = preinit ? nd : this.zonelist(nd).find((i) => this.nodes[i]!.free >= 1);
      if (from === undefined) return false;
      this.tails.add(`${nd}:${size}`);
      if (from === nd) net -= 1;
      else {
        this.nodes[from]!.free -= 1;
        this.memmapRam[from] += 1;
        this.hvoFreed[from] = (this.hvoFreed[from] ?? 0) - 1;
      }
    }
    this.hvoFreed[nd] = (this.hvoFreed[nd] ?? 0) + net;
    this.memmapRam[nd] -= net;
    this.nodes[nd]!.free += net;
    this.hugePools.get(size)!.opt[nd]! += 1;
    return true;
  }
  setHugepages(size: number, count: number, node: number | null): number {
    const pool = this.hugePools.get(size);
    if (!pool) return ENOENT;
    const nodes = node === null ? this.nodes.map((n, i) => (n.online && n.managed > 0 ? i : -1)).filter((i) => i >= 0) : [node];
    const total = () => (node === null ? pool.pages.reduce((a, b) => a + b, 0) : pool.pages[node]!);
    const pp = size / this.P;
    const added: number[] = Array(this.nodes.length).fill(0);
    let stuck = 0;
    for (let i = 0; total() < count && stuck < nodes.length; i++) {
      const nd = nodes[i % nodes.length]!;
      if (this.nodes[nd]!.free >= pp && !this.fault('buddy')) { this.nodes[nd]!.free -= pp; pool.pages[nd]! += 1; added[nd]++; stuck = 0; } else stuck++;
    }
    added.forEach((c, nd) => this.hvoOptimizeBatch(size, nd, c));
    while (total() > count) {
      const nd = nodes.reduce((b, x) => (pool.pages[x]! > pool.pages[b]! ? x : b), nodes[0]!);
      if (pool.pages[nd]! === 0) break;
      if (pool.opt[nd]! > 0) {
        const per = this.hvoPerFolio(size);
        if (this.nodes[nd]!.free < per || this.fault('buddy')) break;
        this.nodes[nd]!.free -= per;
        this.hvoFreed[nd]! -= per;
        this.hvoBuddy[nd] = (this.hvoBuddy[nd] ?? 0) + per + (this.p.hvo === 'v6.6' || this.p.hvo === 'v7.1' ? 1 : 0);
        this.memmapRam[nd] += per;
        pool.opt[nd]! -= 1;
      }
      pool.pages[nd]! -= 1;
      this.nodes[nd]!.free += pp;
    }
    return 0;
  }

  // ---------------- steps
  overlaps(list: { start: number; end: number }[], s: number, e: number) {
    return list.some((r) => r.start < e && s < r.end);
  }
  // memmap_on_memory, block by block
  momPages(): number {
    const exact = Math.ceil(((this.bs / this.P) * this.c.STRUCT_PAGE) / this.P);
    const pb = this.c.PAGEBLOCK_PAGES;
    return this.mom === 'force' ? Math.ceil(exact / pb) * pb : exact;
  }
  momSupported(size: number): boolean {
    const v = this.p.memmapOnMemory;
    if (v === 'none' || this.mom === 'off') return false;
    const memmap = (this.bs / this.P) * this.c.STRUCT_PAGE;
    if (v === 'v5.13') {
      if (this.p.memmapOnMemoryExcludesHvo && this.hvo && this.a.cfg.arch === 'x86_64') return false;
      const vm = (size / this.P) * this.c.STRUCT_PAGE;
      return size === this.bs && vm % this.PMD === 0 && (size - vm) % (this.c.PAGEBLOCK_PAGES * this.P) === 0;
    }
    if (v === 'v6.6' && size !== this.bs) return false;
    const pages = this.momPages();
    return memmap % this.P === 0 && pages % this.c.PAGEBLOCK_PAGES === 0 && pages !== this.bs / this.P && memmap % this.PMD === 0;
  }
  newSelfAlt(pfn: number, free: number, nid: number): Alt {
    const a: Alt = { id: `mom:${pfn}`, base_pfn: pfn, end_pfn: pfn + this.bs / this.P - 1, reserve: 0, free, align: 0, alloc: 0, self: nid };
    this.altmaps.set(a.id, a);
    return a;
  }
  removeBlockWithAltmap(b: number) {
    const blk = this.blocks.get(b)!;
    this.blocks.delete(b);
    this.removePages((b * this.bs) / this.P, this.bs / this.P, blk.altmap!.id);
    this.altmaps.delete(blk.altmap!.id);
  }
  addMemory(nid: number, start: number, size: number, mom: boolean, inside: { start: number; end: number } | null = null): number {
    if (this.p.hotplugRangeCheck === 'mhp' && !this.rangeAllowed(start, size)) return E2BIG;
    const claims = inside ? this.claims.filter((c) => !(c.start === inside.start && c.end === inside.end)) : this.claims;
    if (this.overlaps(this.iomemRam, start, start + size) || this.overlaps(claims, start, start + size)) return EEXIST;
    if (!size || start % this.bs || size % this.bs) return EINVAL;
    const keep = this.a.cfg.keepMemblock || this.p.hotAddMemblockAlways;
    if (keep) this.mem.push({ start, end: start + size, nid });
    const unkeep = () => { if (keep) this.mem = this.mem.filter((m) => !(m.start === start && m.end === start + size)); };
    this.nodes[nid]!.online = true;
    const v = this.p.memmapOnMemory;
    if (mom && v === 'v6.8' && this.momSupported(size)) {
      for (let b = start / this.bs; b < (start + size) / this.bs; b++) {
        const alt = this.newSelfAlt((b * this.bs) / this.P, this.momPages(), nid);
        const ret = this.archAddMemory(nid, b * this.bs, this.bs, alt.id);
        if (ret) {
          this.altmaps.delete(alt.id);
          for (let q = start / this.bs; q < b; q++) this.removeBlockWithAltmap(q);
          unkeep();
          return ret;
        }
        this.blocks.set(b, { nid, state: 'offline', zone: null, early: false, nrVmemmap: alt.free, altmap: alt });
      }
    } else {
      let alt: Alt | null = null;
      if (mom && v === 'v5.13') {
        if (!this.momSupported(size)) { unkeep(); return EINVAL; }
        alt = this.newSelfAlt(start / this.P, size / this.P, nid);
      } else if (mom && v === 'v6.6' && this.momSupported(size)) alt = this.newSelfAlt(start / this.P, this.momPages(), nid);
      const ret = this.archAddMemory(nid, start, size, alt?.id ?? null);
      if (ret) {
        if (alt) this.altmaps.delete(alt.id);
        unkeep();
        return ret;
      }
      // v5.13 keeps only nr_vmemmap_pages = alloc (the altmap was on the stack)
      if (alt && v === 'v5.13') this.altmaps.delete(alt.id);
      const nr = alt === null ? 0 : v === 'v5.13' ? alt.alloc : alt.free;
      for (let b = start / this.bs; b < (start + size) / this.bs; b++) this.blocks.set(b, { nid, state: 'offline', zone: null, early: false, nrVmemmap: nr, altmap: v === 'v6.6' ? alt : null });
    }
    this.iomemRam.push({ start, end: start + size });
    if (this.onlineType !== 'offline') this.online(start, size, this.onlineType);
    return 0;
  }
  blockIds(start: number, size: number): number[] {
    const out: number[] = [];
    for (let b = Math.floor(start / this.bs); b < Math.ceil((start + size) / this.bs); b++) out.push(b);
    return out;
  }
  online(start: number, size: number, type: string): number {
    const ids = this.blockIds(start, size);
    if (ids.some((b) => !this.blocks.has(b) || this.blocks.get(b)!.state === 'online')) return EINVAL;
    const pages = this.bs / this.P;
    for (const b of ids) {
      const blk = this.blocks.get(b)!;
      const zone = type === 'online_movable' ? 'Movable' : 'Normal';
      this.blocks.set(b, { ...blk, state: 'online', zone });
      if (zone === 'Normal') { this.nodes[blk.nid]!.free += pages - blk.nrVmemmap; this.nodes[blk.nid]!.managed += pages - blk.nrVmemmap; }
    }
    return 0;
  }
  offline(start: number, size: number): number {
    const ids = this.blockIds(start, size).filter((b) => this.blocks.has(b));
    const pages = this.bs / this.P;
    // one block at a time, in address order: those before a refused block stay offline
    for (const b of ids) {
      const blk = this.blocks.get(b)!;
      if (blk.state !== 'online') return EINVAL;
      if (this.a.cfg.arch === 'arm64' && !this.p.arm64HotRemove) return EINVAL;
      if (this.a.cfg.arch === 'arm64' && blk.early && this.p.arm64BootmemNotifier !== 'none') return EPERM;
      const nr = pages - blk.nrVmemmap;
      if (blk.zone === 'Normal') {
        if (this.nodes[blk.nid]!.free < nr) return EBUSY;
        this.nodes[blk.nid]!.free -= nr;
        this.nodes[blk.nid]!.managed -= nr;
      }
      this.blocks.set(b, { ...blk, state: 'offline', zone: null });
    }
    return 0;
  }
  removeMemory(start: number, size: number): number {
    if (this.a.cfg.arch === 'arm64' && !this.p.arm64HotRemove) return EBUSY;
    if (!size || start % this.bs || size % this.bs) return EINVAL;
    const ids = this.blockIds(start, size).filter((b) => this.blocks.has(b));
    if (ids.some((b) => this.blocks.get(b)!.state !== 'offline')) return EBUSY;
    const v = this.p.memmapOnMemory;
    const on = v !== 'none' && this.mom !== 'off';
    const selfIds = on ? ids.filter((b) => this.blocks.get(b)!.nrVmemmap > 0) : [];
    if (selfIds.length && v === 'v6.8') {
      if (selfIds.length !== size / this.bs) return EINVAL;
      for (const b of ids) this.removeBlockWithAltmap(b);
    } else {
      let alt: Alt | null = null;
      if (selfIds.length) {
        if (size !== this.bs) return EINVAL;
        const blk = this.blocks.get(selfIds[0]!)!;
        if (v === 'v5.13') {
          alt = { id: 'mom:remove', base_pfn: 0, end_pfn: 0, reserve: 0, free: 0, align: 0, alloc: blk.nrVmemmap, self: blk.nid };
          this.altmaps.set(alt.id, alt);
        } else alt = blk.altmap;
      }
      for (const b of ids) this.blocks.delete(b);
      this.removePages(start / this.P, size / this.P, alt?.id ?? null);
      if (alt) this.altmaps.delete(alt.id);
    }
    // memblock_remove() on every arch up to v5.7 (5.6.4, 5.7.14), with ARCH_KEEP_MEMBLOCK from v5.8 (5.8.1)
    if (this.a.cfg.keepMemblock || this.p.hotAddMemblockAlways) {
      const out: typeof this.mem = [];
      for (const m of this.mem) {
        if (m.end <= start || m.start >= start + size) { out.push(m); continue; }
        if (m.start < start) out.push({ ...m, end: start });
        if (m.end > start + size) out.push({ ...m, start: start + size });
      }
      this.mem = out;
    }
    const cut = (l: { start: number; end: number }[]) => {
      const out: { start: number; end: number }[] = [];
      for (const r of l) {
        if (r.end <= start || r.start >= start + size) { out.push(r); continue; }
        if (r.start < start) out.push({ start: r.start, end: start });
        if (r.end > start + size) out.push({ start: start + size, end: r.end });
      }
      return out;
    };
    this.iomemRam = cut(this.iomemRam);
    return 0;
  }
  createNamespace(a: Record<string, unknown>): number {
    const r = this.regions.get(a.device as string)!;
    const plan = planNamespace(this.a.cfg, this.p, r, { mode: a.mode as 'fsdax', map: a.map as 'dev' | undefined, align: a.align as number | undefined, size: a.size as number | undefined });
    if (plan.errno) return plan.errno;
    const ns = plan.ns!;
    // the namespace arithmetic counted again by the reference (test/reference/policies.ts):
    // the plan's user-space choices (placement, alignment) are taken, its nd_pfn numbers not
    if (ns.mode !== 'raw' && ns.map) {
      const mine = refPfn(this.a.cfg, this.p, ns.start, ns.rawSize, ns.map, ns.align);
      if (mine) {
        ns.dataOffset = mine.dataoff;
        ns.usable = mine.usable;
        ns.npfns = mine.npfns;
        if (plan.altmap && mine.altmap) plan.altmap = mine.altmap;
        if (ns.pgmap) ns.pgmap = { ...ns.pgmap, end: ns.start + ns.rawSize - 1 - ((ns.start + ns.rawSize) % Math.max(ns.align, 2 * 1024 * 1024)) };
      }
    }
    if (ns.mode !== 'raw') r.pfnSeq++;
    if (plan.altmap) this.altmaps.set(ns.name, { id: ns.name, ...plan.altmap, align: 0, alloc: 0 });
    this.claims.push({ start: ns.start, end: ns.start + ns.rawSize });
    if (ns.pgmap) {
      const pg = ns.pgmap;
      const spfn = Math.floor(pg.start / this.P);
      const epfn = Math.floor(pg.end / this.P);
      const len = pg.end + 1 - pg.start;
      let err = 0;
      if (this.pgmaps.some((m) => (spfn >= m.spfn && spfn <= m.epfn) || (epfn >= m.spfn && epfn <= m.epfn))) err = ENOMEM;
      else if (this.overlaps(this.iomemRam, pg.start, pg.end + 1)) err = ENXIO;
      else if (this.p.hotplugRangeCheck === 'mhp' && !this.rangeAllowed(pg.start, len)) err = EINVAL;
      else {
        this.curPgmap = pg.vmemmap_shift > 0 ? { id: pg.id, nr: 2 ** pg.vmemmap_shift, rangeStartPfn: spfn } : null;
        err = this.archAddMemory(r.node, pg.start, len, pg.altmap);
        this.curPgmap = null;
        if (!err) this.pgmaps.push({ spfn, epfn });
      }
      if (err) {
        this.claims = this.claims.filter((c) => c.start !== ns.start);
        if (ns.altmap) {
          const to = `${ns.altmap}~failed-step${this.stepNo}`;
          const a = this.altmaps.get(ns.altmap)!;
          this.altmaps.delete(ns.altmap);
          this.altmaps.set(to, { ...a, id: to });
          for (const m of [this.pte, this.pmd]) for (const [i, b] of m) if (b.kind === 'altmap' && b.id === ns.altmap) m.set(i, { ...b, id: to });
        }
        return err;
      }
    }
    r.namespaces.push(ns);
    return 0;
  }
  // ---------------- dax devices, kmem
  dax = new Map<string, { name: string; start: number; end: number; node: number; align: number; mom: boolean; driver: string | null; pg: { start: number; end: number; shift: number; altmap: string | null } | null; kmem: { start: number; end: number }[]; inside: { start: number; end: number } | null }>();
  daxPgmapAdd(dd: NonNullable<ReturnType<Reference['dax']['get']>>): number {
    // no ZONE_DEVICE: devm_memremap_pages() is a stub that fails with -ENXIO
    if (this.a.cfg.lacks.zoneDevice) return ENXIO;
    const pg = dd.pg!;
    const spfn = Math.floor(pg.start / this.P);
    const epfn = Math.floor(pg.end / this.P);
    if (this.pgmaps.some((m) => (spfn >= m.spfn && spfn <= m.epfn) || (epfn >= m.spfn && epfn <= m.epfn))) return ENOMEM;
    if (this.overlaps(this.iomemRam, pg.start, pg.end + 1)) return ENXIO;
    if (this.p.hotplugRangeCheck === 'mhp' && !this.rangeAllowed(pg.start, pg.end + 1 - pg.start)) return EINVAL;
    // a pmem device's pgmap is the namespace's (its id), a dynamic device's its own
    this.curPgmap = pg.shift > 0 ? { id: this.nsPgmaps.get(dd.name)?.id ?? dd.name, nr: 2 ** pg.shift, rangeStartPfn: spfn } : null;
    const err = this.archAddMemory(dd.node, pg.start, pg.end + 1 - pg.start, pg.altmap);
    this.curPgmap = null;
    if (!err) this.pgmaps.push({ spfn, epfn });
    return err;
  }
  daxPgmapRemove(pg: { start: number; end: number; altmap: string | null }) {
    this.removePages(pg.start / this.P, (pg.end + 1 - pg.start) / this.P, pg.altmap);
    this.pgmaps = this.pgmaps.filter((m) => m.spfn !== Math.floor(pg.start / this.P));
  }
  kmemProbe(dd: NonNullable<ReturnType<Reference['dax']['get']>>): number {
    const s = Math.ceil(dd.start / this.bs) * this.bs;
    const e = Math.floor(dd.end / this.bs) * this.bs;
    if (s >= e) return EINVAL;
    const err = this.addMemory(dd.node, s, e - s, this.p.daxMemmapOnMemory && dd.mom, dd.inside);
    if (err) return err;
    dd.kmem = [{ start: s, end: e }];
    dd.driver = 'kmem';
    return 0;
  }
  probeSoftReserved() {
    this.sc.devices.forEach((d, i) => {
      if (d.type === 'nvdimm') return;
      if (d.type === 'cxl' && !this.p.daxCxl) return;
      if (d.start % this.PMD || d.size % this.PMD) return;
      const shift = this.PMD > this.P && this.p.daxVmemmapDedup !== 'none' ? Math.round(Math.log2(this.PMD / this.P)) : 0;
      const dd = { name: `dax${i}.0`, start: d.start, end: d.start + d.size, node: d.node, align: this.PMD, mom: d.type === 'cxl' && this.p.daxMemmapOnMemory, driver: null as string | null, pg: null as { start: number; end: number; shift: number; altmap: string | null } | null, kmem: [] as { start: number; end: number }[], inside: null };
      this.dax.set(d.name, dd);
      // kmem only where DEV_DAX_KMEM can be built (MEMORY_HOTPLUG); else device_dax binds
      if (this.p.hmemKmemDefault && !this.a.cfg.lacks.hotplug) this.kmemProbe(dd);
      else {
        dd.pg = { start: d.start, end: d.start + d.size - 1, shift, altmap: null };
        if (this.daxPgmapAdd(dd) === 0) dd.driver = 'device_dax';
        else dd.pg = null;
      }
    });
  }
  /** pmem dax devices: the namespace's pgmap, registered again whenever device_dax binds. */
  nsPgmaps = new Map<string, NonNullable<Region['namespaces'][number]['pgmap']>>();
  reconfigure(a: Record<string, unknown>): number {
    // daxctl v81 refuses --no-online with --mode=devdax while parsing its options
    if (a.mode === 'devdax' && a.online === 'none') return EINVAL;
    let dd = this.dax.get(a.device as string);
    const r = this.regions.get(a.device as string);
    let ns: Region['namespaces'][number] | undefined;
    if (r) {
      ns = a.namespace ? r.namespaces.find((n) => n.name === a.namespace) : [...r.namespaces].reverse().find((n) => n.mode === 'devdax');
      if (!ns || ns.mode !== 'devdax') return ENODEV;
      dd = this.dax.get(ns.name);
      if (!dd) {
        const pg = ns.pgmap!;
        dd = { name: ns.dev, start: ns.start + ns.dataOffset, end: pg.end + 1, node: r.node, align: ns.align, mom: false, driver: 'device_dax', pg: { start: pg.start, end: pg.end, shift: pg.vmemmap_shift, altmap: pg.altmap }, kmem: [], inside: { start: ns.start, end: ns.start + ns.rawSize } };
        this.dax.set(ns.name, dd);
        this.nsPgmaps.set(dd.name, pg);
      }
    }
    if (!dd) return ENODEV;
    if (a.mode === 'devdax') {
      // back to device_dax: nothing to do in devdax mode; online blocks refuse (-f offlines
      // them one by one first); kmem's ranges removed; the pgmap registered again
      if (dd.driver === 'device_dax') return 0;
      if (dd.driver === 'kmem') {
        const onlineIds = () => dd!.kmem.flatMap((k) => this.blockIds(k.start, k.end - k.start)).filter((b) => this.blocks.get(b)?.state === 'online');
        if (a.force) for (const b of onlineIds()) if (this.offline(b * this.bs, this.bs) !== 0) return EBUSY;
        if (onlineIds().length > 0) return EBUSY;
        for (const k of dd.kmem) this.removeMemory(k.start, k.end - k.start);
        dd.kmem = [];
        dd.driver = null;
      }
      const npg = this.nsPgmaps.get(dd.name);
      const shift = this.PMD > this.P && this.p.daxVmemmapDedup !== 'none' ? Math.round(Math.log2(this.PMD / this.P)) : 0;
      dd.pg = npg ? { start: npg.start, end: npg.end, shift: npg.vmemmap_shift, altmap: npg.altmap } : { start: dd.start, end: dd.end - 1, shift, altmap: null };
      const err = this.daxPgmapAdd(dd);
      if (err) { dd.pg = null; return err; }
      dd.driver = 'device_dax';
      if (ns && npg) ns.pgmap = npg;
      return 0;
    }
    const online = a.online as string;
    if (online !== 'normal' && this.onlineType.startsWith('online') && !a.force) return EBUSY;
    if (a.memmapOnMemory !== undefined) {
      if (!this.p.daxMemmapOnMemory) return ENOENT;
      if (a.memmapOnMemory && !this.momSupported(this.bs)) return EOPNOTSUPP;
      if (dd.driver === 'kmem' && a.memmapOnMemory !== dd.mom) return EBUSY;
      dd.mom = a.memmapOnMemory as boolean;
    }
    if (dd.driver !== 'kmem') {
      if (dd.driver === 'device_dax' && dd.pg) { this.daxPgmapRemove(dd.pg); dd.pg = null; if (ns) ns.pgmap = null; }
      dd.driver = null;
      const err = this.kmemProbe(dd);
      if (err) return err;
    }
    if (online !== 'none') {
      for (const k of dd.kmem) {
        for (const b of this.blockIds(k.start, k.end - k.start)) {
          const blk = this.blocks.get(b);
          if (!blk || blk.state !== 'offline') continue;
          // daxctl stops at the first block it cannot online
          const err = this.online(b * this.bs, this.bs, online === 'movable' ? 'online_movable' : 'online');
          if (err) return err;
        }
      }
    }
    return 0;
  }

  destroyNamespace(a: Record<string, unknown>): number {
    const r = this.regions.get(a.device as string)!;
    const ns = a.namespace ? r.namespaces.find((n) => n.name === a.namespace) : r.namespaces[r.namespaces.length - 1];
    if (!ns) return ENXIO;
    if (a.force === false) return EBUSY; // an enabled namespace needs -f
    const dd = this.dax.get(ns.name);
    // ndctl refuses to disable a namespace whose dax device has kmem memory online
    if (dd && dd.driver === 'kmem' && dd.kmem.some((k) => this.blockIds(k.start, k.end - k.start).some((b) => this.blocks.get(b)?.state === 'online'))) return EBUSY;
    if (dd) {
      if (dd.driver === 'kmem') {
        for (const k of dd.kmem) this.removeMemory(k.start, k.end - k.start);
      }
      this.dax.delete(ns.name);
    }
    if (ns.pgmap) {
      const pg = ns.pgmap;
      this.removePages(pg.start / this.P, (pg.end + 1 - pg.start) / this.P, pg.altmap);
      const spfn = Math.floor(pg.start / this.P);
      this.pgmaps = this.pgmaps.filter((m) => m.spfn !== spfn);
    }
    if (ns.altmap) {
      // memmap a failed re-probe left mapped keeps pointing at the device: keep its altmap
      const a = this.altmaps.get(ns.altmap);
      if (a && a.alloc > 0) {
        const to = `${ns.altmap}~destroyed-step${this.stepNo}`;
        this.altmaps.delete(ns.altmap);
        this.altmaps.set(to, { ...a, id: to });
        for (const m of [this.pte, this.pmd]) for (const [i, b] of m) if (b.kind === 'altmap' && b.id === ns.altmap) m.set(i, { ...b, id: to });
      } else this.altmaps.delete(ns.altmap);
    }
    this.claims = this.claims.filter((c) => c.start !== ns.start);
    r.namespaces.splice(r.namespaces.indexOf(ns), 1);
    return 0;
  }
  step(st: ScenarioStep): number {
    const a = st.args;
    this.stepNo = st.index;
    switch (st.kind) {
      case 'boot': this.boot(); this.probeSoftReserved(); return 0;
      case 'reconfigure-device': return this.reconfigure(a);
      case 'hugepages': return this.setHugepages(a.size as number, a.count as number, (a.node as number | undefined) ?? null);
      case 'hot-add': {
        // acpi_memory_enable_device(): v5.13 asks only when supported, v6.6+ always
        const v = this.p.memmapOnMemory;
        const mom = v === 'none' ? false : v === 'v5.13' ? this.momSupported(a.size as number) : true;
        return this.addMemory(a.node as number, a.start as number, a.size as number, mom);
      }
      case 'hot-remove': {
        if (a.offline !== false) {
          for (const b of this.blockIds(a.start as number, a.size as number)) {
            const blk = this.blocks.get(b);
            if (blk && blk.state === 'online') { const e = this.offline(b * this.bs, this.bs); if (e) return e; }
          }
        }
        return this.removeMemory(a.start as number, a.size as number);
      }
      case 'online': return this.online(a.start as number, a.size as number, a.type as string);
      case 'offline': return this.offline(a.start as number, a.size as number);
      case 'create-namespace': return this.createNamespace(a);
      case 'destroy-namespace': return this.destroyNamespace(a);
      default: return 0;
    }
  }

  state(): RefState {
    const ram: Record<string, number> = {};
    const alt: Record<string, number> = {};
    const entries: { va: number; size: number; level: string; backing: string }[] = [];
    const label = (b: B) => (b.kind === 'alias' || (b.kind === 'ram' && b.dedup) ? `dedup:${b.dedup}` : b.kind === 'ram' ? `ram:node${b.node}` : b.kind === 'self' ? `self:node${b.node}` : `altmap:${b.id}`);
    for (const [i, b] of this.pmd) entries.push({ va: i * this.PMD, size: this.PMD, level: 'pmd', backing: label(b) });
    for (const [i, b] of this.pte) entries.push({ va: i * this.P, size: this.P, level: 'pte', backing: label(b) });
    entries.sort((x, y) => x.va - y.va);
    const self: Record<string, number> = {};
    const dedup: Record<string, number> = {};
    for (const [, b] of this.pte) {
      if (b.kind === 'ram' && b.dedup) ram[b.node] = (ram[b.node] ?? 0) + this.P;
      if (b.kind === 'alias') dedup[b.dedup] = (dedup[b.dedup] ?? 0) + this.P;
    }
    for (const e of entries) {
      if (e.backing.startsWith('dedup:')) continue;
      if (e.backing.startsWith('ram:')) ram[e.backing.slice(8)] = (ram[e.backing.slice(8)] ?? 0) + e.size;
      else if (e.backing.startsWith('self:')) self[e.backing.slice(9)] = (self[e.backing.slice(9)] ?? 0) + e.size;
      else alt[e.backing.slice(7)] = (alt[e.backing.slice(7)] ?? 0) + e.size;
    }
    const ranges: RefState['ranges'] = [];
    let cur: { va: number; size: number; level: string; backing: string } | null = null;
    for (const e of entries) {
      if (cur && cur.va + cur.size === e.va && cur.level === e.level && cur.backing === e.backing) cur.size += e.size;
      else { if (cur) ranges.push({ ...cur, va: '0x' + hex(this.c.origin + BigInt(cur.va)) } as never); cur = { ...e }; }
    }
    if (cur) ranges.push({ ...cur, va: '0x' + hex(this.c.origin + BigInt(cur.va)) } as never);
    const tables: Record<string, number> = {};
    const byNode: Record<string, number> = {};
    for (const l of this.a.cfg.pt.allocLevels) {
      let n = 0;
      for (const [, owner] of this.tables[l]) if (owner !== -1) { n++; byNode[owner] = (byNode[owner] ?? 0) + 1; }
      tables[l] = n;
    }
    let early = 0;
    for (const s of this.sections.values()) if (s.early) early++;
    // struct pages that must be mapped: whole early sections, active sub-sections elsewhere
    let unmapped = 0;
    const SP = this.c.STRUCT_PAGE;
    const mappedAt = (va: number) => this.pte.has(Math.floor(va / this.P)) || this.pmd.has(Math.floor(va / this.PMD));
    const perSub = this.PPSS * SP;
    for (const [snr, sec] of this.sections) {
      if (!sec.memmap) continue;
      const per = this.PPS / this.PPSS;
      for (let i = snr * per; i < (snr + 1) * per; i++) {
        if (!sec.early && !this.subs.has(i)) continue;
        const a = this.off(i * this.PPSS);
        for (let x = a; x < a + perSub;) {
          const next = Math.min(a + perSub, (Math.floor(x / this.P) + 1) * this.P);
          if (!mappedAt(x)) unmapped += next - x;
          x = next;
        }
      }
    }
    return {
      unmapped,
      memmapBacking: { ram, altmap: alt, self, dedup },
      tables,
      tablesByNode: byNode,
      leaves: { pte: this.pte.size, pmd: this.pmd.size },
      ranges,
      altmaps: [...this.altmaps.values()].filter((x) => x.self === undefined).map((x) => ({ id: x.id, alloc: x.alloc, align: x.align, free: x.free, reserve: x.reserve })),
      sections: { present: this.sections.size, early, subsectionsActive: this.subs.size },
      nodeFree: this.nodes.map((n) => n.free),
      nodeManaged: this.nodes.map((n) => n.managed),
      hugetlb: {
        pools: [...this.hugePools].flatMap(([size, p]) => p.pages.map((c, nd) => (c ? `${size}:${nd}:${c}/${p.opt[nd]}` : '')).filter(Boolean)),
        freed: this.nodes.map((_, i) => this.hvoFreed[i] ?? 0),
        memTotalGain: this.nodes.map((_, i) => `${this.hvoGain[i]?.min ?? 0}..${this.hvoGain[i]?.max ?? 0}`),
      },
      selfHosting: {
        blocks: [...this.blocks.values()].filter((b) => b.nrVmemmap > 0).length,
        vmemmapPages: [...this.blocks.values()].reduce((t, b) => t + b.nrVmemmap, 0),
      },
    };
  }
}

export function runReference(sc: Scenario): RefReport {
  const ref = new Reference(sc);
  const steps = sc.steps[0]?.kind === 'boot' ? sc.steps : [{ kind: 'boot' as const, args: {}, index: 0, line: 0 }, ...sc.steps];
  const out: RefReport = { steps: [], states: [], altmapLines: ref.altmapLines, offnode: ref.offnode };
  for (const st of steps) {
    if (st.kind === 'expect') continue;
    const e = ref.step(st);
    out.steps.push({ ok: e === 0, errno: e === 0 ? null : NAMES[e] ?? String(e) });
    out.states.push(ref.state());
  }
  return out;
}
