import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { DEFAULT_SCENARIO, layoutOf, runScenarioText } from '../src/index.js';

const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml'));

describe('layoutOf', () => {
  it.each(['<default>', ...examples])('agrees with the report on %s', (f) => {
    const r = runScenarioText(f, f === '<default>' ? DEFAULT_SCENARIO : readFileSync(`examples/${f}`));
    const l = layoutOf(r);
    const rep = r.report;
    expect(l.leaves.reduce((t, x) => t + x.size, 0)).toBe(rep.vmemmap.mappedBytes);
    expect(l.sections.reduce((t, x) => t + x.size, 0)).toBe(rep.sections.present * l.sectionSize);
    expect(l.subsections.reduce((t, x) => t + x.size, 0)).toBe(rep.sections.subsectionsActive * l.subsectionSize);
    for (const lvl of ['p4d', 'pud', 'pmd', 'pte'] as const) {
      // tables x the pages one takes (s390: 16 KiB segment tables, 2 KiB page tables)
      const n = l.tables.filter((t) => t.level === lvl).reduce((t, x) => t + (x.size / l.tableSpan[lvl]!) * l.tablePages[lvl]![x.boot ? 'boot' : 'runtime'], 0);
      expect(n).toBe(rep.pageTablePages[lvl] ?? 0);
    }
    // the first leaf's offset is the report's first range's VA minus VMEMMAP_START
    if (rep.vmemmap.ranges.length) expect(BigInt(l.vmemmapStart) + BigInt(l.leaves[0]!.start)).toBe(BigInt(rep.vmemmap.ranges[0]!.va));
  });

  it('locates the struct pages of a --map=dev namespace in its own altmap', () => {
    const r = runScenarioText('default', DEFAULT_SCENARIO);
    const l = layoutOf(r);
    const ns = r.report.namespaces[0]!;
    const pfn = (ns.start + ns.dataOffset) / l.pageSize;
    const off = (pfn - l.vmemmapPfnBase) * l.structPageSize;
    const leaf = l.leaves.find((x) => x.start <= off && off < x.start + x.size)!;
    expect(leaf.backing).toEqual({ kind: 'altmap', id: r.report.altmaps[0]!.id });
  });
});
