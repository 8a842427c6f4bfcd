/**
 * page_alloc-lite: after boot, vmemmap and page-table pages come from the buddy allocator via
 * alloc_pages_node(node, GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN, order).
 *
 * Modelled: free pages per node in the kernel zones (GFP_KERNEL cannot use ZONE_MOVABLE), and
 * the zonelist fallback to other nodes in order of node_distance() (ties by node id).
 * Not modelled: fragmentation (an order-9 request succeeds whenever 512 pages are free),
 * watermarks and reclaim, and which physical page is picked; reports say "node N RAM".
 */
import { shortOf, unusual } from './engine.js';
import { injectFault, type Kernel } from './state.js';

/** The zonelist order for allocations preferring `node`. */
export function zonelist(k: Kernel, node: number): number[] {
  const ids = k.s.nodes.map((n, i) => ({ n, i })).filter((x) => x.n.online).map((x) => x.i);
  return ids.sort((a, b) => (k.distance[node]![a]! - k.distance[node]![b]!) || (a === node ? -1 : b === node ? 1 : a - b));
}

/** Take `count` blocks of `pages` pages, preferring `node`. Returns the serving node or null. */
export function buddy_alloc(k: Kernel, pages: number, node: number, count: number): number | null {
  if (injectFault(k, 'buddy', count)) {
    unusual(k, 'buddy: injected fault');
    return null;
  }
  const want = pages * count;
  const order = zonelist(k, node);
  for (const nid of order) {
    const n = k.s.nodes[nid]!;
    // a node without room for even one block is skipped by every allocation of the run
    // alike (a memoryless node, say); one that could serve some but not all would split it.
    // A node that had room when the run began but ran dry inside it (page tables of the run
    // allocated before its data pages, say) depends on the kernel's interleaving: not alike
    if (n.free < pages) {
      if (k.batchFree && (k.batchFree[nid]?.free ?? 0) >= pages) unusual(k, `buddy: node ${nid} ran dry within the run`);
      continue;
    }
    if (n.free >= want) {
      n.free -= want;
      return nid;
    }
    shortOf(k, `buddy: node ${nid} cannot serve the whole run`, Math.floor(n.free / pages), count);
  }
  unusual(k, 'buddy: allocation failed');
  return null;
}

export function buddy_free(k: Kernel, node: number, pages: number): void {
  const n = k.s.nodes[node];
  if (n) n.free += pages;
}
