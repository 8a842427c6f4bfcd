/**
 * riscv64: the boot-only recordings of a real 6.12.118 kernel under QEMU (conformance/riscv/,
 * docs/conformance-riscv.md) against the model's `--ptdump`: the vmemmap part of
 * /sys/kernel/debug/kernel_page_tables, line for line. The physical address column of
 * RAM-backed memmap is not modelled (the model prints ?); everything else must match: runs,
 * sizes, levels, flags, markers. Sv39/48/57, holes, NUMA, 130 GiB (the RAM cap) and DRAM at
 * 0x80200000 (the 6.12.10 layout fix).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderPtdump, runScenarioText } from '../../src/index.js';

const dir = new URL('../../conformance/riscv/', import.meta.url).pathname;
const cases = readdirSync(join(dir, 'cases')).filter((f) => f.endsWith('.yaml') && !f.startsWith('pmem')).map((f) => f.replace(/\.yaml$/, ''));
const vmemmapPart = (text: string) => {
  const lines = text.split('\n');
  const a = lines.findIndex((l) => l.includes('vmemmap start'));
  const b = lines.findIndex((l) => l.includes('vmalloc() area'));
  return lines.slice(a, b + 1);
};

describe('riscv64 recordings (6.12.118, boot)', () => {
  it('has the boot cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });
  for (const c of cases) {
    it(`${c}: the vmemmap page-table dump is the kernel's`, () => {
      const rec = join(dir, 'recordings', c, 'sections', 'ptdump.txt');
      expect(existsSync(rec), `${c}: recording missing`).toBe(true);
      const kernel = vmemmapPart(readFileSync(rec, 'utf8')).map((l) => l.replace(/ {4}0x[0-9a-f]{16} /, '    0x???????????????? '));
      const r = runScenarioText(`${c}.yaml`, readFileSync(join(dir, 'cases', `${c}.yaml`), 'utf8'));
      expect(vmemmapPart(renderPtdump(r))).toEqual(kernel);
    });
  }
});
