/**
 * memblock-lite: the boot-time allocator (mm/memblock.c @ v6.18), enough of it to decide
 * where boot-time vmemmap allocations can go: memory and reserved regions, top-down
 * placement, node preference with the try_nid / exact_nid rules, and the retry without the
 * lower limit. Physical addresses it picks are internal: real kernels reserve more at boot
 * (kernel image, initrd, firmware tables), so reports never show them.
 */
import { alignDown, alignUp } from '../util/bits.js';
import { unusual } from './engine.js';
import { injectFault, type Kernel } from './state.js';

/** NUMA_NO_NODE: any node (memblock_alloc() and friends). */
export const NUMA_NO_NODE = -1;

/** Free ranges of node `nid` (all nodes if -1) inside [min, max), highest first. */
function freeRangesDesc(k: Kernel, nid: number, min: number, max: number): { start: number; end: number; nid: number }[] {
  const out: { start: number; end: number; nid: number }[] = [];
  for (const m of k.s.memblockMemory.overlaps(min, max)) {
    if (nid !== -1 && m.v !== nid) continue;
    for (const g of k.s.memblockReserved.gaps(m.start, m.end)) out.push({ start: g.start, end: g.end, nid: m.v });
  }
  return out.reverse();
}

/** memblock_find_in_range_node(): top-down. */
function findTopDown(k: Kernel, size: number, align: number, min: number, max: number, nid: number): { addr: number; nid: number } | null {
  for (const r of freeRangesDesc(k, nid, min, max)) {
    const cand = alignDown(r.end - size, align);
    if (cand >= r.start && cand + size <= r.end) return { addr: cand, nid: r.nid };
  }
  return null;
}

function accessibleMax(k: Kernel): number {
  // MEMBLOCK_ALLOC_ACCESSIBLE: memblock.current_limit; the whole of RAM is mapped by sparse_init().
  let max = 0;
  for (const m of k.s.memblockMemory) max = Math.max(max, m.end);
  return max;
}

/**
 * memblock_alloc_range_nid(): exact node first; unless exact_nid, then any node; the caller
 * (memblock_alloc_internal) retries with min = 0. Returns the address and its node.
 */
export function memblock_alloc(k: Kernel, size: number, align: number, min: number, nid: number, exact: boolean): { addr: number; nid: number } | null {
  if (injectFault(k, 'memblock', 1)) {
    unusual(k, 'memblock: injected fault');
    return null;
  }
  const max = accessibleMax(k);
  for (const lo of min > 0 ? [min, 0] : [0]) {
    let f = findTopDown(k, size, align, lo, max, nid);
    if (!f && !exact) {
      f = findTopDown(k, size, align, lo, max, -1);
      if (f) unusual(k, 'memblock: allocation fell back to another node');
    }
    if (f) {
      // below the goal: alike for every iteration when no memory at all is free above it
      if (lo !== min && freeRangesDesc(k, -1, min, max).some((r) => r.end > min)) unusual(k, 'memblock: allocation below the goal');
      k.s.memblockReserved.add(f.addr, f.addr + size);
      return f;
    }
  }
  unusual(k, 'memblock: allocation failed');
  return null;
}

/**
 * `count` allocations of `size` (== align) preferring node `nid`, as consecutive top-down
 * memblock_alloc_try_nid_raw(size, size, min, .., nid) calls would place them, for optimistic
 * runs. Each call goes to the first place with room, in memblock_alloc_range_nid()'s order:
 * `nid` above `min`, any node above `min`, then both again without the lower limit
 * (memblock_alloc_internal()). The run is alike only while every call lands in the same
 * place: it aborts when the first place cannot take them all, or they would span nodes.
 * Returns the node that served the run.
 */
export function memblock_alloc_many(k: Kernel, size: number, count: number, min: number, nid: number): number {
  if (injectFault(k, 'memblock', count)) unusual(k, 'memblock: injected fault in the run');
  const max = accessibleMax(k);
  const tiers: [number, number][] = min > 0 ? [[nid, min], [-1, min], [nid, 0], [-1, 0]] : [[nid, 0], [-1, 0]];
  for (const [n, lo] of tiers) {
    const slots = freeRangesDesc(k, n, lo, max)
      .map((r) => ({ nid: r.nid, top: alignDown(r.end, size), bottom: alignUp(Math.max(r.start, lo), size) }))
      .filter((r) => r.top - r.bottom >= size);
    if (slots.length === 0) continue;
    let left = count;
    for (const r of slots) {
      if (r.nid !== slots[0]!.nid) unusual(k, 'memblock: run spans nodes');
      const t = Math.min(left, (r.top - r.bottom) / size);
      k.s.memblockReserved.add(r.top - t * size, r.top);
      left -= t;
      if (left === 0) return r.nid;
    }
    unusual(k, 'memblock: run does not fit where its first call goes');
    return slots[0]!.nid;
  }
  unusual(k, 'memblock: allocation failed');
  return nid;
}

export function memblock_free(k: Kernel, base: number, size: number): void {
  if (size > 0) k.s.memblockReserved.remove(base, base + size);
}

/** early_pfn_to_nid(): the memblock node of a pfn, or first_online_node when memblock has none. */
export function early_pfn_to_nid(k: Kernel, pfn: number): number {
  const nid = k.s.memblockMemory.get(pfn * k.c.PAGE_SIZE);
  if (nid !== undefined) return nid;
  return k.s.nodes.findIndex((n) => n.online);
}

/**
 * Pages memblock_free_all() hands a node's buddy allocator: each free range's whole pages
 * (__free_pages_memory(PFN_UP(start), PFN_DOWN(end)), mm/memblock.c): a page memblock
 * reserved only part of (an s390 2 KiB boot page table's) stays reserved.
 */
export function memblock_free_pages(k: Kernel, nid: number): number {
  const P = k.c.PAGE_SIZE;
  let t = 0;
  for (const m of k.s.memblockMemory) {
    if (m.v !== nid) continue;
    for (const g of k.s.memblockReserved.gaps(m.start, m.end)) t += Math.max(0, Math.floor(g.end / P) - Math.ceil(g.start / P));
  }
  return t;
}
