/**
 * The page tables that map the vmemmap: one row per level (table pages by node, boot vs later),
 * the leaves (PMD vs PTE), and HVO's split PMDs. Levels expand on demand into their runs; a run
 * selects the vmemmap it maps, on the maps.
 */
import { locate, selection, stepState } from '../store.ts';
import { commas, fmtBytes, hexAddr } from '../format.ts';
import { physOfVmem } from '../model.ts';

export function PageTableTree() {
  const st = stepState.value;
  const l = st.layout;
  const rep = st.report;
  const start = BigInt(l.vmemmapStart);
  const pt = rep.pageTablePages as unknown as Record<string, number>;
  const hvoSplit = Object.entries(rep.hugetlb.splitPteTables);
  const sel = selection.value?.vmem;
  /** How many tables of a run map part of the selection's struct pages. */
  const mapsSel = (t: { start: number; size: number }, span: number) => {
    if (!sel) return 0;
    const a = Math.max(sel[0], t.start);
    const b = Math.min(sel[1], t.start + t.size);
    return b > a ? Math.ceil(b / span) - Math.floor(a / span) : 0;
  };
  return (
    <section class="tree" aria-labelledby="tree-title" data-testid="pt-tree">
      <h2 id="tree-title">Page-table tree of the vmemmap</h2>
      <ul role="tree">
        <li role="treeitem" aria-expanded="true">
          <strong>pgd</strong> (the kernel's top table, shared; one entry maps {fmtBytes(l.entrySpan.pgd!)})
          <ul role="group">
            {l.levels.slice(1).map((lvl) => {
              const runs = l.tables.filter((t) => t.level === lvl);
              const byNode = new Map<number, number>();
              const hits = runs.reduce((n, t) => n + mapsSel(t, l.tableSpan[lvl]!), 0);
              for (const t of runs) byNode.set(t.node, (byNode.get(t.node) ?? 0) + t.size / l.tableSpan[lvl]!);
              return (
                <li role="treeitem" key={lvl} data-level={lvl} class={hits ? 'hit' : ''}>
                  <details>
                    <summary>
                      <strong>{lvl}</strong>: {commas(pt[lvl] ?? 0)} table page(s) {[...byNode].map(([n, c]) => `node ${n}: ${commas(c)}`).join(', ')}
                      {' '}(one table maps {fmtBytes(l.tableSpan[lvl]!)}, one entry {fmtBytes(l.entrySpan[lvl]!)})
                      {hits > 0 && <strong class="hit-note" data-testid={`tree-hit-${lvl}`}> — {commas(hits)} of them map the selection's struct pages</strong>}
                    </summary>
                    <ul role="group">
                      {runs.slice(0, 100).map((t, i) => (
                        <li key={i} class={mapsSel(t, l.tableSpan[lvl]!) ? 'hit' : ''}>
                          <button type="button" class="link" onClick={() => locate({ id: `tbl:${lvl}:${i}`, kind: 'table', label: `${lvl} tables node ${t.node}`, vmem: [t.start, t.start + t.size], phys: physOfVmem(l, [t.start, t.start + t.size]) })}>
                            {commas(t.size / l.tableSpan[lvl]!)} on node {t.node}, {t.boot ? 'memblock (boot)' : 'page allocator'}
                          </button>{' '}mapping {hexAddr(start, t.start)}–{hexAddr(start, t.start + t.size)}
                        </li>
                      ))}
                      {runs.length > 100 && <li>… {runs.length - 100} more runs</li>}
                    </ul>
                  </details>
                </li>
              );
            })}
            <li role="treeitem">
              <strong>leaves</strong>: {commas(rep.vmemmap.mappings.pmd)} PMD leaves ({fmtBytes(l.pmdSize)} of struct pages each), {commas(rep.vmemmap.mappings.pte)} PTE leaves ({fmtBytes(l.pageSize)} each)
            </li>
            {rep.hugetlb.hvo && (
              <li role="treeitem" data-testid="hvo">
                <strong>HVO</strong>: vmemmap PMDs split into PTEs for huge pages: {hvoSplit.length ? hvoSplit.map(([n, r]) => `node ${n}: ${commas(r.min)}–${commas(r.max)} PTE table(s)`).join(', ') : 'none yet'}
                {' '}(the model knows how many, not which PMDs: it depends on where the buddy allocator put the huge pages)
              </li>
            )}
          </ul>
        </li>
      </ul>
    </section>
  );
}
