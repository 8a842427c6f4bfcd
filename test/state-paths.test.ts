/**
 * src/kernel/state.ts, path by path (mutation testing, branch mut-state): the leaf payload's
 * shift/continues, the Ledger the interval-map watchers keep, rebuildAltPfns, the
 * checkpoint/commit/rollback journal, the claims payload, strerror/errnoName, section numbers
 * and compoundUnique. Each expectation is derived by hand in its comment.
 */
import { describe, expect, it } from 'vitest';
import { resolveArch } from '../src/arch/index.js';
import { findProfile } from '../src/kernels/index.js';
import {
  compoundUnique,
  deriveConsts,
  E2BIG,
  EBUSY,
  EEXIST,
  EINVAL,
  ENODEV,
  ENOENT,
  ENOMEM,
  ENOSPC,
  ENXIO,
  EOPNOTSUPP,
  EPERM,
  ERANGE,
  ERRNO_NAMES,
  FAULT_KINDS,
  tablePagesEach,
  errnoName,
  injectFault,
  offToPfn,
  offToVa,
  pfnToOff,
  selfHostedPfn,
  KState,
  leafPayload,
  rebuildAltPfns,
  section_nr,
  section_nr_to_pfn,
  stepAnomalies,
  strerror,
  type Backing,
  type Kernel,
  type Leaf,
  type MemoryBlock,
} from '../src/kernel/state.js';

const P = 4096;
const M2 = 2 ** 21;
const ram = (node: number, key = 1, src: 'sparsebuf' | 'memblock' | 'buddy' = 'buddy'): Leaf => ({ level: 'pte', b: { kind: 'ram', node, src, key } });
const alt = (id: string, pfn: number): Leaf => ({ level: 'pte', b: { kind: 'altmap', id, pfn } });
const self = (node: number): Leaf => ({ level: 'pte', b: { kind: 'self', node } });
type Compound = Extract<Backing, { kind: 'compound' }>;
const cmp = (over: Partial<Compound> = {}): Compound => ({ kind: 'compound', node: 1, tailNode: 2, pgmap: 'pg0', period: 4, phase: 0, ...over });
const block = (altmapAlloc: number): MemoryBlock => ({ nid: 0, state: 'online', zone: 'Normal', early: false, vmemmapPages: altmapAlloc, altmapAlloc });

describe('errno texts', () => {
  it('the errno values are the kernel\'s (include/uapi/asm-generic/errno-base.h, errno.h), negated', () => {
    expect([ENOMEM, EINVAL, EEXIST, ENXIO, EBUSY, ERANGE, ENODEV, EOPNOTSUPP, ENOSPC, E2BIG, EPERM, ENOENT]).toEqual([-12, -22, -17, -6, -16, -34, -19, -95, -28, -7, -1, -2]);
    expect(ERRNO_NAMES).toEqual({
      [-12]: 'ENOMEM', [-22]: 'EINVAL', [-17]: 'EEXIST', [-6]: 'ENXIO', [-16]: 'EBUSY', [-34]: 'ERANGE',
      [-19]: 'ENODEV', [-95]: 'EOPNOTSUPP', [-28]: 'ENOSPC', [-7]: 'E2BIG', [-1]: 'EPERM', [-2]: 'ENOENT',
    });
    // glibc's strerror() texts
    expect([-12, -22, -17, -6, -16, -34, -19, -95, -28, -7, -1, -2].map(strerror)).toEqual([
      'Cannot allocate memory', 'Invalid argument', 'File exists', 'No such device or address', 'Device or resource busy', 'Numerical result out of range',
      'No such device', 'Operation not supported', 'No space left on device', 'Argument list too long', 'Operation not permitted', 'No such file or directory',
    ]);
    expect(FAULT_KINDS).toEqual(['memblock', 'buddy', 'altmap']);
  });

  it('strerror: glibc text of a known errno, "Unknown error N" for any other', () => {
    expect(strerror(-12)).toBe('Cannot allocate memory');
    // not in the table: glibc prints the positive number
    expect(strerror(-999)).toBe('Unknown error 999');
    expect(errnoName(-12)).toBe('ENOMEM');
    expect(errnoName(-2)).toBe('ENOENT');
    expect(errnoName(-999)).toBe('-999');
  });
});

describe('leafPayload', () => {
  const p = leafPayload(P);

  it('shift: an altmap leaf advances its pfn by delta / PAGE_SIZE; other leaves are position-free', () => {
    // 2 pages (8192 bytes) into a leaf starting at pfn 100: pfn 102
    expect(p.shift(alt('a', 100), 2 * P)).toEqual(alt('a', 102));
    const r = ram(0);
    expect(p.shift(r, 2 * P)).toBe(r);
    const c: Leaf = { level: 'pte', b: cmp() };
    expect(p.shift(c, 3 * P)).toBe(c);
  });

  it('continues: level and kind must match', () => {
    expect(p.continues(ram(0), { level: 'pmd', b: ram(0).b }, P)).toBe(false);
    expect(p.continues(ram(0), alt('a', 1), P)).toBe(false);
  });

  it('continues: altmap leaves only on the same altmap and the next pfn', () => {
    // a: pfn 10, 2 pages long -> b continues it at pfn 12
    expect(p.continues(alt('a', 10), alt('a', 12), 2 * P)).toBe(true);
    expect(p.continues(alt('a', 10), alt('a', 13), 2 * P)).toBe(false);
    expect(p.continues(alt('a', 10), alt('b', 12), 2 * P)).toBe(false);
    expect(p.continues(alt('a', 10), alt('b', 13), 2 * P)).toBe(false);
  });

  it('continues: RAM leaves on the same node, source and allocation key', () => {
    expect(p.continues(ram(0, 5, 'buddy'), ram(0, 5, 'buddy'), P)).toBe(true);
    expect(p.continues(ram(0, 5, 'buddy'), ram(1, 5, 'buddy'), P)).toBe(false);
    expect(p.continues(ram(0, 5, 'buddy'), ram(0, 5, 'memblock'), P)).toBe(false);
    expect(p.continues(ram(0, 5, 'buddy'), ram(0, 6, 'buddy'), P)).toBe(false);
  });

  it('continues: self-hosted leaves on the same node', () => {
    expect(p.continues(self(0), self(0), P)).toBe(true);
    expect(p.continues(self(0), self(1), P)).toBe(false);
  });

  it('continues: compound leaves with the same node, tail node, pgmap, period and phase', () => {
    const c = (o: Partial<Compound>): Leaf => ({ level: 'pte', b: cmp(o) });
    expect(p.continues(c({}), c({}), P)).toBe(true);
    expect(p.continues(c({}), c({ node: 3 }), P)).toBe(false);
    expect(p.continues(c({}), c({ tailNode: 3 }), P)).toBe(false);
    expect(p.continues(c({}), c({ pgmap: 'pg1' }), P)).toBe(false);
    expect(p.continues(c({}), c({ period: 8 }), P)).toBe(false);
    expect(p.continues(c({}), c({ phase: P }), P)).toBe(false);
  });
});

describe('Ledger kept by the watchers', () => {
  it('a new state: empty sums, no overlap, its page size', () => {
    const s = new KState(16384);
    expect(s.pageSize).toBe(16384);
    expect(s.ledger.overlap).toBe(false);
    expect(s.ledger.blockAlloc).toBe(0);
  });

  it('altmap leaves: pfns per altmap, overlap only when a pfn backs two leaves', () => {
    const s = new KState(P);
    // pages 0-1 from pfns 10-11, pages 2-3 from pfns 20-21 (not contiguous: two segments, one set)
    s.leaves.set(0, 2 * P, alt('a', 10));
    s.leaves.set(2 * P, 4 * P, alt('a', 20));
    expect(s.leaves.size).toBe(2);
    expect(s.ledger.altPfns.get('a')!.ranges()).toEqual([{ start: 10, end: 12 }, { start: 20, end: 22 }]);
    expect(s.ledger.altmap.get('a')).toBe(4 * P);
    expect(s.ledger.overlap).toBe(false);
    // page 4 from pfn 11 again: a second live leaf on pfn 11
    s.leaves.set(4 * P, 5 * P, alt('a', 11));
    expect(s.ledger.overlap).toBe(true);
  });

  it('removing part of an altmap leaf gives back exactly its pfns', () => {
    const s = new KState(P);
    // 4 pages from pfns 10..13; clearing page 1 removes pfn 11 (the cleared piece is shifted by 1 page)
    s.leaves.set(0, 4 * P, alt('a', 10));
    s.leaves.clear(P, 2 * P);
    expect(s.ledger.altPfns.get('a')!.ranges()).toEqual([{ start: 10, end: 11 }, { start: 12, end: 14 }]);
    expect(s.ledger.altmap.get('a')).toBe(3 * P);
    expect(s.ledger.overlap).toBe(false);
  });

  it('compound leaves: heads and tails count as RAM of their nodes, the rest as dedup', () => {
    const s = new KState(P);
    // period 4 pages, phase 0, 8 pages: heads at pages 0 and 4 (node 1), tails at 1 and 5 (node 2), 4 aliased pages
    s.leaves.set(0, 8 * P, { level: 'pte', b: cmp() });
    expect(s.ledger.ram[1]).toBe(2 * P);
    expect(s.ledger.ram[2]).toBe(2 * P);
    expect(s.ledger.dedup.get('pg0')).toBe(4 * P);
    // period 0 (every page an alias of the previous section's tail): no RAM at all, not even a 0 entry
    const t = new KState(P);
    t.leaves.set(0, 8 * P, { level: 'pte', b: cmp({ node: 3, tailNode: 4, period: 0 }) });
    expect(3 in t.ledger.ram).toBe(false);
    expect(4 in t.ledger.ram).toBe(false);
    expect(t.ledger.dedup.get('pg0')).toBe(8 * P);
    expect(compoundUnique({ c: { PAGE_SIZE: P } } as Kernel, cmp({ period: 0 }), 0, 8 * P)).toEqual({ heads: 0, tails: 0 });
  });

  it('page tables: pages per table times tables, by level and by node', () => {
    const s = new KState(P, { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: M2 });
    // one PTE table spans 2 MiB: 4 MiB of vmemmap takes 2 tables of one page each, on node 1
    s.tables.pte.set(0, 2 * M2, { node: 1, src: 'buddy' });
    expect(s.ledger.tables.pte).toBe(2);
    expect(s.ledger.tablesByNode[1]).toBe(2);
    s.tables.pte.clear(0, M2);
    expect(s.ledger.tables.pte).toBe(1);
    expect(s.ledger.tablesByNode[1]).toBe(1);
  });

  it('memory blocks: the sum of their altmap allocs, and the touched block ids', () => {
    const s = new KState(P);
    // blocks 2..5 (4 blocks) with 8 pages of memmap each: 32
    s.blocks.set(2, 6, block(8));
    expect(s.ledger.blockAlloc).toBe(32);
    expect(s.touched.blocks).toEqual([2, 6]);
    // block 2 goes: 3 blocks left, 24
    s.blocks.clear(2, 3);
    expect(s.ledger.blockAlloc).toBe(24);
    expect(s.touched.blocks).toEqual([2, 6, 2, 3]);
  });
});

describe('rebuildAltPfns', () => {
  it('recounts each altmap from the leaves and clears the overlap flag', () => {
    const s = new KState(P);
    s.leaves.set(0, 2 * P, alt('a', 10));
    s.leaves.set(2 * P, 3 * P, alt('b', 5));
    s.leaves.set(3 * P, 4 * P, ram(0));
    s.leaves.set(8 * P, 9 * P, alt('a', 30));
    s.ledger.altPfns = new Map();
    s.ledger.overlap = true;
    rebuildAltPfns(s);
    expect([...s.ledger.altPfns.keys()]).toEqual(['a', 'b']);
    expect(s.ledger.altPfns.get('a')!.ranges()).toEqual([{ start: 10, end: 12 }, { start: 30, end: 31 }]);
    expect(s.ledger.altPfns.get('b')!.ranges()).toEqual([{ start: 5, end: 6 }]);
    expect(s.ledger.overlap).toBe(false);
  });

  it('finds a pfn backing two leaves', () => {
    const s = new KState(P);
    s.leaves.set(0, 2 * P, alt('a', 10));
    s.leaves.set(4 * P, 5 * P, alt('a', 11));
    rebuildAltPfns(s);
    expect(s.ledger.overlap).toBe(true);
    expect(s.ledger.altPfns.get('a')!.ranges()).toEqual([{ start: 10, end: 12 }]);
  });
});

describe('KState payloads', () => {
  it('a new state starts empty', () => {
    const s = new KState(P);
    expect(s.nodes).toEqual([]);
    expect(s.altmaps.size).toBe(0);
    expect([s.memmapRamPages, s.tablePages, s.log, s.trace, s.anomalies]).toEqual([[], [], [], [], []]);
    expect([s.sparseBuffer, s.pmdRun, s.nextKey, s.allocWarned, s.once.size]).toEqual([null, null, 1, false, 0]);
    expect(s.allocCount).toEqual({ memblock: 0, buddy: 0, altmap: 0 });
    expect(s.ppcList).toEqual({ entries: 0, freed: 0, left: 0, pages: 0, blockSize: 0, orphans: [] });
    expect(s.touched).toEqual({ va: [], sections: [], subsections: [], blocks: [] });
    expect(s.ledger).toEqual({ ram: [], altmap: new Map(), self: [], dedup: new Map(), tables: { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: 0 }, tablesByNode: [], blockAlloc: 0, altPfns: new Map(), overlap: false });
  });

  it('sections merge only with the same nid, early flag and memmap flag', () => {
    const s = new KState(P);
    s.sections.set(0, 1, { nid: 0, early: true, memmap: true });
    s.sections.set(1, 2, { nid: 0, early: true, memmap: false });
    s.sections.set(2, 3, { nid: 0, early: false, memmap: false });
    s.sections.set(3, 4, { nid: 1, early: false, memmap: false });
    expect(s.sections.size).toBe(4);
    s.sections.set(4, 5, { nid: 1, early: false, memmap: false });
    expect(s.sections.size).toBe(4);
    // the touched record gets every section range
    expect(s.touched.sections).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
  });

  it('iomem resources merge only with the same name, owner and kind', () => {
    const s = new KState(P);
    s.iomem.set(0, 10, { name: 'n', owner: 'x', kind: 'System RAM' });
    s.iomem.set(10, 20, { name: 'm', owner: 'x', kind: 'System RAM' });
    s.iomem.set(20, 30, { name: 'm', owner: 'y', kind: 'System RAM' });
    s.iomem.set(30, 40, { name: 'm', owner: 'y', kind: 'Soft Reserved' });
    expect(s.iomem.size).toBe(4);
    s.iomem.set(40, 50, { name: 'm', owner: 'y', kind: 'Soft Reserved' });
    expect(s.iomem.size).toBe(4);
  });

  it('memory blocks merge only when every field matches', () => {
    const s = new KState(P);
    const b = block(8);
    s.blocks.set(0, 1, b);
    s.blocks.set(1, 2, { ...b, nid: 1 });
    s.blocks.set(2, 3, { ...b, nid: 1, state: 'offline' });
    s.blocks.set(3, 4, { ...b, nid: 1, state: 'offline', zone: 'Movable' });
    s.blocks.set(4, 5, { ...b, nid: 1, state: 'offline', zone: 'Movable', early: true });
    s.blocks.set(5, 6, { ...b, nid: 1, state: 'offline', zone: 'Movable', early: true, vmemmapPages: 0 });
    s.blocks.set(6, 7, { ...b, nid: 1, state: 'offline', zone: 'Movable', early: true, vmemmapPages: 0, altmapAlloc: 0 });
    expect(s.blocks.size).toBe(7);
    s.blocks.set(7, 8, { ...b, nid: 1, state: 'offline', zone: 'Movable', early: true, vmemmapPages: 0, altmapAlloc: 0 });
    expect(s.blocks.size).toBe(7);
  });

  it('tables merge only with the same node and source', () => {
    const s = new KState(P);
    s.tables.pte.set(0, 1, { node: 0, src: 'buddy' });
    s.tables.pte.set(1, 2, { node: 1, src: 'buddy' });
    s.tables.pte.set(2, 3, { node: 1, src: 'memblock' });
    expect(s.tables.pte.size).toBe(3);
    s.tables.pte.set(3, 4, { node: 1, src: 'memblock' });
    expect(s.tables.pte.size).toBe(3);
  });

  it('sub-sections and static tables: touched, but no table pages', () => {
    const s = new KState(P, { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: M2 });
    s.subsections.add(512, 1024);
    s.subsections.remove(512, 600);
    expect(s.touched.subsections).toEqual([512, 1024, 512, 600]);
    s.tables.pte.set(0, M2, { node: 0, src: 'static' });
    expect(s.ledger.tables.pte).toBe(0);
    expect(s.ledger.tablesByNode).toEqual([]);
    expect(s.touched.va).toEqual([0, M2]);
    // default cost (one page per table): a boot (memblock) table and a runtime one, node 1
    s.tables.pte.set(4 * M2, 5 * M2, { node: 1, src: 'memblock' });
    s.tables.pte.set(6 * M2, 7 * M2, { node: 1, src: 'buddy' });
    expect(s.ledger.tables.pte).toBe(2);
    expect(s.ledger.tablesByNode[1]).toBe(2);
    // a level with no span (no such tables on this arch) counts nothing
    s.tables.pmd.set(0, M2, { node: 0, src: 'buddy' });
    expect(s.ledger.tables.pmd).toBe(0);
  });

  it('claims merge only with the same name, owner and kind', () => {
    const s = new KState(P);
    s.claims.set(0, 10, { name: 'n', owner: 'x', kind: 'namespace' });
    s.claims.set(10, 20, { name: 'n', owner: 'y', kind: 'namespace' });
    expect(s.claims.size).toBe(2);
    s.claims.set(20, 30, { name: 'n', owner: 'y', kind: 'Soft Reserved' });
    expect(s.claims.size).toBe(3);
    s.claims.set(30, 40, { name: 'n', owner: 'y', kind: 'Soft Reserved' });
    expect(s.claims.size).toBe(3);
    s.claims.set(40, 50, { name: 'm', owner: 'y', kind: 'Soft Reserved' });
    expect(s.claims.size).toBe(4);
  });
});

describe('iomem', () => {
  /* Hot-added System RAM in two pmem regions that meet: the two RAM resources stay apart, each remembering its own region. */
  it('does not merge System RAM nested in different regions', () => {
    const s = new KState(P, { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: M2 });
    const ram = (parent: string) => ({ name: 'System RAM', kind: 'System RAM' as const, owner: 'hotplug', parent: { name: parent, kind: 'Persistent Memory' as const, owner: parent } });
    s.iomem.set(0, 2 * M2, ram('pmem0'));
    s.iomem.set(2 * M2, 4 * M2, ram('pmem1'));
    expect(s.iomem.overlaps(0, 4 * M2).map((r) => [r.start, r.end, r.v.parent!.owner])).toEqual([[0, 2 * M2, 'pmem0'], [2 * M2, 4 * M2, 'pmem1']]);
  });
});

describe('checkpoint / commit / rollback', () => {
  /* An altmap's per-block `self` geometry (memmap_on_memory) survives a rollback; one without it gets no such key. */
  it('rollback keeps an altmap\'s self geometry, and adds none', () => {
    const s = new KState(P, { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: M2 });
    const geo = { stride: 32768, slice: 512, blocks: 4, node: 1 };
    s.altmaps.set('m', { id: 'm', base_pfn: 0, end_pfn: 131071, reserve: 0, free: 512, align: 0, alloc: 0, owner: 'o', device: 'd', self: geo });
    s.altmaps.set('n', { id: 'n', base_pfn: 0, end_pfn: 64, reserve: 0, free: 64, align: 0, alloc: 0, owner: 'o', device: 'd' });
    const cp = s.checkpoint();
    s.altmaps.get('m')!.alloc = 9;
    s.altmaps.get('n')!.alloc = 9;
    s.rollback(cp);
    expect(s.altmaps.get('m')).toMatchObject({ alloc: 0, self: geo });
    expect(s.altmaps.get('n')!.alloc).toBe(0);
    expect('self' in s.altmaps.get('n')!).toBe(false);
  });

  it('rollback restores the small fields, the ledger sums and the maps', () => {
    const s = new KState(P, { pgd: 0, p4d: 0, pud: 0, pmd: 0, pte: M2 });
    s.nodes = [{ online: true, free: 100, managed: 200 }];
    s.altmaps.set('a', { id: 'a', base_pfn: 0, end_pfn: 64, reserve: 0, free: 64, align: 0, alloc: 0, owner: 'o', device: 'd' });
    s.leaves.set(0, P, ram(0));
    s.leaves.set(P, 2 * P, self(0));
    s.leaves.set(2 * P, 3 * P, alt('a', 0));
    s.tables.pte.set(0, M2, { node: 0, src: 'buddy' });
    s.once.add('k1').add('k2');
    s.log.push({ level: 6, text: 'x', site: 'f:g', step: 1 });
    s.memmapRamPages = [5];
    s.tablePages = [6];
    s.sparseBuffer = { nid: 0, base: 0, ptr: 10, end: 100, key: 1 };
    s.ppcList = { entries: 1, freed: 0, left: 2, pages: 1, blockSize: M2, orphans: [] };
    s.pmdRun = { va0: 0, va1: M2, key: 'k', p0: 0, p1: 512, node: 0, known: true };
    s.nextKey = 7;
    const cp = s.checkpoint();
    // everything below is undone by the rollback
    s.nodes[0]!.free = 50;
    s.altmaps.get('a')!.alloc = 3;
    s.altmaps.set('b', { id: 'b', base_pfn: 0, end_pfn: 64, reserve: 0, free: 64, align: 0, alloc: 0, owner: 'o', device: 'd' });
    s.allocCount.buddy = 9;
    s.leaves.set(4 * P, 5 * P, ram(0, 2));
    s.leaves.set(5 * P, 6 * P, self(0));
    s.leaves.set(6 * P, 7 * P, alt('a', 1));
    s.leaves.set(7 * P, 8 * P, alt('b', 0));
    s.tables.pte.set(M2, 2 * M2, { node: 0, src: 'buddy' });
    s.once.add('k3').add('k4');
    s.log.push({ level: 6, text: 'y', site: 'f:g', step: 1 });
    s.trace.push({ t: 'note', text: 'n' });
    s.anomalies.push({ step: 1, site: 'f:g', text: 'a' });
    // edited in place: the checkpoint must hold copies
    s.memmapRamPages[0] = 9;
    s.tablePages[0] = 9;
    s.sparseBuffer.ptr = 99;
    s.ppcList.entries = 5;
    s.pmdRun.va1 = 0;
    s.nextKey = 8;
    s.allocWarned = true;
    s.rollback(cp);
    expect(s.memmapRamPages).toEqual([5]);
    expect(s.tablePages).toEqual([6]);
    expect(s.sparseBuffer).toEqual({ nid: 0, base: 0, ptr: 10, end: 100, key: 1 });
    expect(s.ppcList).toEqual({ entries: 1, freed: 0, left: 2, pages: 1, blockSize: M2, orphans: [] });
    expect(s.pmdRun).toEqual({ va0: 0, va1: M2, key: 'k', p0: 0, p1: 512, node: 0, known: true });
    expect([s.nextKey, s.allocWarned]).toEqual([7, false]);
    expect(s.nodes[0]!.free).toBe(100);
    expect(s.altmaps.get('a')!.alloc).toBe(0);
    expect(s.altmaps.has('b')).toBe(false);
    expect(s.allocCount).toEqual({ memblock: 0, buddy: 0, altmap: 0 });
    expect([...s.once]).toEqual(['k1', 'k2']);
    expect([s.log.length, s.trace.length, s.anomalies.length]).toEqual([1, 0, 0]);
    expect(s.leaves.size).toBe(3);
    // ledger sums as at the checkpoint: one page of RAM, one self-hosted, one altmap, one table
    expect(s.ledger.ram).toEqual([P]);
    expect(s.ledger.self).toEqual([P]);
    expect(s.ledger.altmap.get('a')).toBe(P);
    expect(s.ledger.altmap.has('b')).toBe(false);
    expect(s.ledger.tables.pte).toBe(1);
    expect(s.ledger.tablesByNode).toEqual([1]);
    expect(s.ledger.altPfns.get('a')!.ranges()).toEqual([{ start: 0, end: 1 }]);
    // an altmap first seen after the checkpoint has no pfn set left
    expect(s.ledger.altPfns.has('b')).toBe(false);
  });

  it('rollback drops only the *_once keys fired since the checkpoint', () => {
    const s = new KState(P);
    s.once.add('a').add('b');
    const cp = s.checkpoint();
    s.once.add('c').add('d');
    s.rollback(cp);
    expect([...s.once]).toEqual(['a', 'b']);
    // none fired since: nothing dropped
    const cp2 = s.checkpoint();
    s.rollback(cp2);
    expect([...s.once]).toEqual(['a', 'b']);
  });

  it('commit keeps what happened and ends the journal', () => {
    const s = new KState(P);
    s.leaves.set(0, P, ram(0));
    const cp = s.checkpoint();
    s.leaves.set(P, 2 * P, ram(0, 2));
    s.commit(cp);
    expect(s.leaves.size).toBe(2);
    expect(s.ledger.ram).toEqual([2 * P]);
    // a later checkpoint's rollback goes back to the committed state, not the first one
    const cp2 = s.checkpoint();
    s.leaves.clear(0, 2 * P);
    s.rollback(cp2);
    expect(s.leaves.size).toBe(2);
    expect(s.ledger.ram).toEqual([2 * P]);
  });
});

describe('section numbers', () => {
  it('section_nr and section_nr_to_pfn with 32768 pages per section', () => {
    const k = { c: { PAGES_PER_SECTION: 32768 } } as Kernel;
    // pfn 3 * 32768 + 5 lies in section 3, which starts at pfn 98304
    expect(section_nr(k, 3 * 32768 + 5)).toBe(3);
    expect(section_nr_to_pfn(k, 3)).toBe(98304);
  });
});

describe('injectFault', () => {
  const kernel = (faults: Kernel['faults'], optimistic = 0) => ({ s: new KState(P), faults, optimistic }) as unknown as Kernel;

  it('the nth allocation of its kind fails, counted over the whole run; a note says which', () => {
    const k = kernel([{ kind: 'buddy', nth: 3 }]);
    // buddy #1, #2: no fault
    expect(injectFault(k, 'buddy', 2)).toBe(false);
    expect(k.s.allocCount.buddy).toBe(2);
    // other kinds do not count towards buddy's numbers
    expect(injectFault(k, 'memblock', 5)).toBe(false);
    expect(k.s.allocCount).toEqual({ memblock: 5, buddy: 2, altmap: 0 });
    expect(k.s.trace).toEqual([]);
    // buddy #3 fails
    expect(injectFault(k, 'buddy', 1)).toBe(true);
    expect(k.s.allocCount.buddy).toBe(3);
    expect(k.s.trace).toEqual([{ t: 'note', text: 'fault injection: buddy allocation #3 fails' }]);
    // #4 on: past it
    expect(injectFault(k, 'buddy', 4)).toBe(false);
    expect(k.s.allocCount.buddy).toBe(7);
  });

  it('a run of allocations fails when the nth is inside it (its last one included)', () => {
    const k = kernel([{ kind: 'altmap', nth: 4 }]);
    // allocations #1..#4: the 4th is the last of the run
    expect(injectFault(k, 'altmap', 4)).toBe(true);
    expect(k.s.trace).toEqual([{ t: 'note', text: 'fault injection: altmap allocation #4 fails' }]);
  });

  it('any one of several faults hits', () => {
    const k = kernel([{ kind: 'memblock', nth: 1 }, { kind: 'buddy', nth: 2 }]);
    expect(injectFault(k, 'buddy', 2)).toBe(true);
    expect(injectFault(k, 'memblock', 1)).toBe(true);
  });

  it('inside an optimistic run a fault aborts it without counting', () => {
    const k = kernel([{ kind: 'altmap', nth: 2 }], 1);
    expect(injectFault(k, 'altmap', 4)).toBe(true);
    expect(k.s.allocCount.altmap).toBe(0);
    expect(k.s.trace).toEqual([]);
    // no fault in the run: counted as usual
    expect(injectFault(k, 'buddy', 4)).toBe(false);
    expect(k.s.allocCount.buddy).toBe(4);
  });
});

describe('pfn and vmemmap offsets', () => {
  // struct page of pfn 10 at offset 1000, 64 bytes each
  const k = { c: { startOff: 1000, STRUCT_PAGE: 64, PAGE_SIZE: P, origin: 0xffff_e000_0000_0000n }, vmemmapPfnBase: 10, boot: { memoryBlockSize: 2 ** 27 } } as unknown as Kernel;

  it('pfnToOff / offToPfn / offToVa', () => {
    // pfn 15: 1000 + 5 x 64
    expect(pfnToOff(k, 15)).toBe(1320);
    expect(offToPfn(k, 1320)).toBe(15);
    // mid struct page: fractional
    expect(offToPfn(k, 1352)).toBe(15.5);
    expect(offToVa(k, 1320)).toBe(0xffff_e000_0000_0000n + 1320n);
    // past 2^64 the pointer wraps
    const w = { c: { origin: 2n ** 64n - 100n } } as unknown as Kernel;
    expect(offToVa(w, 200)).toBe(100n);
  });

  it('selfHostedPfn: the block start plus the page of the memmap within it', () => {
    // 128 MiB blocks = 32768 pages; pfn 65536 + 200 is in block 2 (first pfn 65536); its struct
    // page lies (200 x 64) / 4096 = 3.125 pages into that block's memmap: page 3, pfn 65539
    expect(selfHostedPfn(k, pfnToOff(k, 65536 + 200))).toBe(65539);
  });

  it('compoundUnique counts heads and tails from the phase on', () => {
    const kk = { c: { PAGE_SIZE: P } } as Kernel;
    // period 4, phase 0, pages [0, 6): heads 0, 4; tails 1, 5
    expect(compoundUnique(kk, cmp(), 0, 6 * P)).toEqual({ heads: 2, tails: 2 });
    // phase 1 page: page i is number i - 1 of the run; [0, 6) -> numbers -1..4: heads at 0, 4 (pages 1, 5), tail at 1 (page 2)
    expect(compoundUnique(kk, cmp({ phase: P }), 0, 6 * P)).toEqual({ heads: 2, tails: 1 });
    // [2, 6) with phase 1 page: numbers 1..4: head 4, tail 1
    expect(compoundUnique(kk, cmp({ phase: P }), 2 * P, 6 * P)).toEqual({ heads: 1, tails: 1 });
  });
});

describe('Consts derived from the arch', () => {
  const p = findProfile('v6.18')!;

  it('s390x: 1 MiB segments, 16 KiB region/segment tables, 2 KiB PTE tables (a whole page at runtime)', () => {
    const c = deriveConsts(resolveArch('s390x', {}, p));
    // SECTION_SIZE_BITS 27, PAGE_SHIFT 12: 2^15 pages per section, 2^(21-12) per sub-section, 2^(27-21) sub-sections
    expect([c.PAGE_SHIFT, c.PAGE_SIZE, c.PFN_SECTION_SHIFT, c.PAGES_PER_SECTION, c.PAGES_PER_SUBSECTION, c.SUBSECTIONS_PER_SECTION]).toEqual([12, 4096, 15, 32768, 512, 64]);
    // PMD_SHIFT 20, PUD_SHIFT 31; 2^15 x 64 B = 2 MiB of memmap per section, already 1 MiB aligned
    expect([c.PMD_SIZE, c.PUD_SIZE, c.STRUCT_PAGE, c.SECTION_MEMMAP, c.SECTION_MAP_SIZE, c.PAGEBLOCK_PAGES]).toEqual([2 ** 20, 2 ** 31, 64, 2 ** 21, 2 ** 21, 256]);
    // a table of tableBytes holds tableBytes / 8 entries: pgd 2^31 x 2048, pmd 2^20 x 2048, pte 2^12 x 256
    expect(c.tableSpan).toEqual({ pgd: 2 ** 42, p4d: 0, pud: 0, pmd: 2 ** 31, pte: 2 ** 20 });
    expect(c.entrySpan).toEqual({ pgd: 2 ** 31, p4d: 0, pud: 0, pmd: 2 ** 20, pte: 2 ** 12 });
    // 16 KiB = 4 pages, 2 KiB = half a page at boot, 4096 at runtime (runtimeTableBytes)
    expect(c.tableCost).toEqual({ boot: { pgd: 4, p4d: 1, pud: 1, pmd: 4, pte: 0.5 }, runtime: { pgd: 4, p4d: 1, pud: 1, pmd: 4, pte: 1 } });
    expect(c.tableKinds).toEqual({ pmd: ['pmd'], pte: ['pmd', 'pte'] });
    // VMEMMAP_START 0x37200000000 is 2^31 aligned: origin is VMEMMAP_START, startOff 0
    expect(c.origin).toBe(0x37200000000n);
    expect([c.startOff, c.endOff]).toEqual([0, 0x37fc8000000 - 0x37200000000]);
  });

  it('x86_64: every table one page (no tableBytes)', () => {
    const c = deriveConsts(resolveArch('x86_64', {}, p));
    // 4 KiB pages, 512 entries per table
    expect(c.tableCost).toEqual({ boot: { pgd: 1, p4d: 1, pud: 1, pmd: 1, pte: 1 }, runtime: { pgd: 1, p4d: 1, pud: 1, pmd: 1, pte: 1 } });
    expect(c.tableSpan.pte).toBe(2 ** 21);
    expect(c.tableSpan.pmd).toBe(2 ** 30);
    expect(c.PAGES_PER_SECTION).toBe(32768);
  });

  it('powerpc64 radix 64K: small runtime tables, page-sized boot ones', () => {
    const c = deriveConsts(resolveArch('powerpc64', { mmu: 'radix', pageSize: '64K' } as never, p));
    // SECTION_SIZE_BITS 24, PAGE_SHIFT 16: 256 pages per section, 32 per sub-section, 8 sub-sections
    expect([c.PAGES_PER_SECTION, c.PAGES_PER_SUBSECTION, c.SUBSECTIONS_PER_SECTION, c.PFN_SECTION_SHIFT]).toEqual([256, 32, 8, 8]);
    // 256 x 64 B = 16 KiB of memmap per section, ALIGN(16 KiB, 2 MiB) = 2 MiB
    expect([c.SECTION_MEMMAP, c.SECTION_MAP_SIZE, c.PAGEBLOCK_PAGES]).toEqual([16384, 2 ** 21, 32]);
    // runtime: pte 256 B / 64 KiB, pmd and pud 4 KiB / 64 KiB; boot: earlyTableBytes 64 KiB (one page); pgd 64 KiB
    expect(c.tableCost).toEqual({ boot: { pgd: 1, p4d: 1, pud: 1, pmd: 1, pte: 1 }, runtime: { pgd: 1, p4d: 1, pud: 1 / 16, pmd: 1 / 16, pte: 1 / 256 } });
    // pte: 2^16 x 32 entries = 2 MiB; pmd: 2^21 x 512 = 1 GiB; pud 2^30 x 512; pgd 2^39 x 8192
    expect(c.tableSpan).toEqual({ pgd: 2 ** 52, p4d: 0, pud: 2 ** 39, pmd: 2 ** 30, pte: 2 ** 21 });
    expect(c.tableKinds).toEqual({ pmd: ['pud', 'pmd'], pte: ['pud', 'pmd', 'pte'] });
    expect(c.origin).toBe(0xc00c000000000000n);
    expect([c.startOff, c.endOff]).toEqual([0, 2 ** 49]);
    // boot tables cost the boot price, buddy ones the runtime price; static (the kernel's own) as boot
    expect(tablePagesEach(c.tableCost, 'pte', 'buddy')).toBe(1 / 256);
    expect(tablePagesEach(c.tableCost, 'pte', 'memblock')).toBe(1);
    expect(tablePagesEach(c.tableCost, 'pmd', 'static')).toBe(1);
  });

  it('a frozen arch shares one frozen Consts; a writable one gets a fresh copy each time', () => {
    const a = resolveArch('s390x', {}, p);
    expect(deriveConsts(a)).not.toBe(deriveConsts(a));
    Object.freeze(a);
    const c = deriveConsts(a);
    expect(deriveConsts(a)).toBe(c);
    expect(c.PAGE_SIZE).toBe(4096);
    expect(Object.isFrozen(c)).toBe(true);
  });
});

describe('stepAnomalies', () => {
  /*
   * The report's per-step findings: the current step's anomalies in order, a run of spans that
   * share the site and the key and meet end to start merged into one (text from the merged
   * start, end and pages). The step-1 anomaly is not this step's; a span of another key, of
   * another site, or one that does not start where the run ends starts a new entry.
   */
  it('merges only spans of one site and key that meet', () => {
    const text = (start: number, end: number, pages: number) => `[${start}, ${end}) ${pages}`;
    const span = (start: number, end: number, key = 'a', pages = 1) => ({ key, start, end, pages, text });
    const k = { step: 2, s: { anomalies: [
      { step: 1, site: 's', text: 'old', span: span(0, 10) },
      { step: 2, site: 's', text: 'x', span: span(10, 20) },
      { step: 2, site: 's', text: 'x', span: span(20, 30, 'a', 2) },
      { step: 2, site: 's', text: 'x', span: span(30, 40, 'b') },
      { step: 2, site: 't', text: 'x', span: span(40, 50, 'b') },
      { step: 2, site: 't', text: 'x', span: span(60, 70, 'b') },
      { step: 2, site: 't', text: 'plain' },
    ] } } as unknown as Kernel;
    expect(stepAnomalies(k)).toEqual([
      { site: 's', text: '[10, 30) 3' },
      { site: 's', text: '[30, 40) 1' },
      { site: 't', text: '[40, 50) 1' },
      { site: 't', text: '[60, 70) 1' },
      { site: 't', text: 'plain' },
    ]);
  });
});
