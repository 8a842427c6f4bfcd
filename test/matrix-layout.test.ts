/** `vmemlab matrix` text fits a terminal: blocks of kernel columns with short cells and a legend; --wide is one table. */
import { beforeEach, describe, expect, it } from 'vitest';
import { matrix, renderMatrix } from '../src/index.js';

describe('matrix text layout', () => {
  // built in each test, not at collection (StrykerJS, docs/testing.md)
  let mx: ReturnType<typeof matrix>;
  let text: string;
  beforeEach(() => {
    mx = matrix();
    text = renderMatrix(mx, 'text');
  });

  it('every line fits 100 columns; --wide is one table of full cells', () => {
    for (const l of text.split('\n')) expect(l.length, l).toBeLessThanOrEqual(100);
    const wide = renderMatrix(mx, 'text', { width: Infinity }).split('\n');
    expect(wide[0]!.split(/\s{2,}/)).toEqual(['config', 'namespace', ...mx.kernels]);
    expect(wide).toHaveLength(mx.rows.length + 2);
  });

  it('each kernel in exactly one block, every cell where the wide table has it', () => {
    const blocks = text.split('\n\n').filter((b) => b.startsWith('config'));
    expect(blocks.length).toBeGreaterThan(1);
    const seen: string[] = [];
    for (const b of blocks) {
      const [head, ...rows] = b.split('\n');
      const names = head!.split(/\s{2,}/).slice(2);
      seen.push(...names);
      const at = names.map((n) => head!.indexOf(`  ${n}`) + 2);
      rows.forEach((row, r) => {
        names.forEach((k, i) => {
          const cell = row.slice(at[i], i + 1 < names.length ? at[i + 1] : undefined).trim();
          const where = mx.rows[r]!.cells[k]!.where;
          const want = where === 'device' ? 'dev' : where.replace(/^failed /, '').replace(/ \(.*\)$/, '');
          expect(cell.startsWith(want), `${mx.rows[r]!.config} ${mx.rows[r]!.case} ${k}: ${cell} vs ${where}`).toBe(true);
        });
      });
    }
    expect(seen).toEqual(mx.kernels);
  });

  it('the legend explains every mark used', () => {
    const tables = text.slice(0, text.indexOf('\n\ndev = '));
    const marks = new Set([...tables.matchAll(/ [!*]([a-z]+)\b/g)].flatMap((m) => [...m[1]!]));
    expect(marks.size).toBeGreaterThan(0);
    const legend = text.slice(text.lastIndexOf('!x = ')).replace(/\n\s+/g, ' ');
    for (const l of marks) expect(legend).toMatch(new RegExp(`[:,] ${l} [a-z-]+`));
    expect(text).toContain('[1] no ZONE_DEVICE');
  });
});
