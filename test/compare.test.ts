/**
 * Kernel profiles side by side: `vmemlab compare` and `vmemlab matrix` (issue: kernel versions
 * and the thread's proposals). The numbers are the kernels' own: v6.1.0's 128-byte
 * MAX_STRUCT_PAGE_SIZE, the proposals' defects as posted.
 */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { compare, matrix, parseScenario, PROFILES, renderMatrix, runScenario } from '../src/index.js';

const ex = (f: string) => parseScenario(f, readFileSync(new URL(`../examples/${f}`, import.meta.url)));

describe('profiles', () => {
  it('releases and the three proposals, each with provenance', () => {
    expect(PROFILES.map((p) => p.id)).toEqual(['v5.6', 'v5.9', 'v5.10', 'v5.15', 'v6.1', 'v6.1.y', 'v6.6', 'v6.12', 'v6.18', 'v7.1', 'seed-v2', 'seed-v2-fallback', 'robin-arm64']);
    for (const p of PROFILES) expect(p.provenance.length).toBeGreaterThan(20);
    expect(PROFILES.filter((p) => p.kind === 'proposal').map((p) => p.id)).toEqual(['seed-v2', 'seed-v2-fallback', 'robin-arm64']);
  });
});

describe('compare', () => {
  /* 16 GiB --map=dev: v6.1.0 reserves 128 bytes per page (16,640,901,120 usable), the others 64. */
  it('v6.1 vs v6.18: the namespace size and the altmap reservation differ', () => {
    const c = compare(ex('pmem-16g-fsdax-dev.yaml'), ['v6.1', 'v6.18']);
    const rows = Object.fromEntries(c.steps[1]!.rows.map((r) => [r.what, r.values]));
    expect(rows['namespace0.0 size / dataoff']).toEqual({ 'v6.1': '16640901120 / 538968064', 'v6.18': '16909336576 / 270532608' });
    expect(rows['altmap namespace0.0 alloc/align/free']).toEqual({ 'v6.1': '65536/510/131582', 'v6.18': '65536/510/66046' });
    expect(c.steps[0]!.identical).toBe(true);
  });

  /* The fallback follow-up as posted: the altmap is charged, RAM is mapped. */
  it('seed-v2-fallback maps RAM and leaves the altmap charged', () => {
    const c = compare(ex('pmem-16g-fsdax-dev.yaml'), ['seed-v2', 'seed-v2-fallback']);
    const rows = Object.fromEntries(c.steps[1]!.rows.map((r) => [r.what, r.values]));
    expect(rows['memmap in node 0 RAM']).toEqual({ 'seed-v2': '64 MiB', 'seed-v2-fallback': '320 MiB' });
    // the posted patch's own defect: a predicted kernel bug, never a vmemmap-lab invariant violation
    expect(rows['invariant violations']).toBeUndefined();
    expect(rows['predicted kernel bugs']!['seed-v2-fallback']).toContain('altmap-accounting: alloc is 65536 but 0 live memmap pages come from it');
  });

  /* HVO per version: 5.15 keeps 2 vmemmap pages per 2 MiB page, 6.1 one; 6.12 frees the old
   * head too (MemTotal), 6.18 pre-optimises the boot 1 GiB pages (head and PTE tables from memblock). */
  it('HugeTLB: what HVO gives back and what MemTotal gains differ by version', () => {
    const c = compare(ex('hugetlb-hvo-x86.yaml'), ['v5.15', 'v6.1.y', 'v6.12', 'v6.18']);
    const rows = Object.fromEntries(c.steps.find((s) => s.step.startsWith('hugepages'))!.rows.map((r) => [r.what, r.values]));
    expect(rows['HVO vmemmap given back, node 0']).toEqual({ 'v5.15': '490.25 MiB', 'v6.1.y': '529.38 MiB', 'v6.12': '529.38 MiB', 'v6.18': '529.38 MiB' });
    expect(rows['HVO MemTotal gain, node 0']).toEqual({ 'v5.15': '490.25 MiB', 'v6.1.y': '529.38 MiB', 'v6.12': '568.50 MiB', 'v6.18': '567.94 MiB' });
  });

  it('a configuration a kernel does not offer is reported, not run', () => {
    const sc = parseScenario('s.yaml', 'arch: arm64\nconfig: { pageSize: 16K, vaBits: 52 }\nnodes:\n  - { id: 0, memory: [ { start: 0x40000000, size: 1G } ] }\n');
    const c = compare(sc, ['v6.6', 'v6.18']);
    expect(c.invalid['v6.6']).toContain('52 needs 64K pages before v6.9');
    expect(c.steps[0]!.rows[0]!.values).toEqual({ 'v6.18': 'ok' });
  });
});

describe('the proposals sit on v5.6 plus the arm64 hot-remove series (v14, thread section 2)', () => {
  it('an arm64 namespace destroyed gives its memmap back (v5.6 alone has an empty vmemmap_free())', () => {
    const yaml = (kernel: string, destroy: boolean) => `arch: arm64
kernel: ${kernel}
nodes: [ { id: 0, memory: [ { start: 0x40000000, size: 4G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]
steps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: mem } }${destroy ? ', { destroy-namespace: { device: pmem0 } }' : ''} ]
`;
    // 4 GiB of boot RAM and 4 GiB of pmem: 64 MiB of struct pages each, the pmem's from RAM (map=mem)
    for (const k of ['seed-v2', 'seed-v2-fallback', 'robin-arm64']) {
      expect(runScenario(parseScenario('hr.yaml', yaml(k, false))).report.memmapBacking.ram, k).toEqual({ 0: 128 * 2 ** 20 });
      expect(runScenario(parseScenario('hr.yaml', yaml(k, true))).report.memmapBacking.ram, k).toEqual({ 0: 64 * 2 ** 20 });
    }
  });
});

describe('matrix', () => {
  // built in each test, not while the file is collected: StrykerJS charges only code run inside a
  // test to that test; code run at collection is 'static' and re-runs the whole suite per mutant
  let mx: ReturnType<typeof matrix>;
  beforeEach(() => {
    mx = matrix();
  });
  const cell = (config: string, cs: string, k: string) => mx.rows.find((r) => r.config === config && r.case === cs)!.cells[k]!;

  it('x86_64: whole sections on the device in every release; the sub-section tail in RAM', () => {
    for (const k of ['v5.6', 'v5.10', 'v6.1', 'v6.18', 'v7.1']) {
      expect(cell('x86_64 4-level', '4 GiB', k).where).toBe('device');
      expect(cell('x86_64 4-level', '1040 MiB', k)).toMatchObject({ where: 'split', altmapBytes: 16 * 2 ** 20, ramBytes: 256 * 1024 });
    }
  });

  it('arm64 16K/64K: device memory keeps its memmap from v5.9 on; v5.6 has no ZONE_DEVICE', () => {
    for (const c of ['arm64 16K/47', 'arm64 64K/48']) {
      expect(cell(c, '4 GiB', 'v5.6').where).toBe('failed EINVAL (no ZONE_DEVICE)');
      for (const k of ['v5.9', 'v5.15', 'v6.6', 'v6.18', 'seed-v2']) expect(cell(c, '4 GiB', k).where).toBe('device');
    }
  });

  it('arm64 4K, 1040 MiB: the tail finds the reservation used up (all but v6.1.0, whose reservation is doubled)', () => {
    expect(cell('arm64 4K/48', '1040 MiB', 'v6.18').where).toBe('failed ENOMEM');
    expect(cell('arm64 4K/48', '1040 MiB', 'v6.1').where).toBe('device');
  });

  it('the proposals: fallback-as-posted puts everything in RAM; robin-arm64 ignores the altmap and under-maps 16K/64K, so the kernel oopses', () => {
    expect(cell('arm64 64K/48', '4 GiB', 'seed-v2-fallback')).toMatchObject({ where: 'RAM', broken: [] });
    expect(new Set(cell('arm64 64K/48', '4 GiB', 'seed-v2-fallback').findings)).toEqual(new Set(['kernel-anomaly', 'altmap-accounting']));
    // the under-mapped struct pages are written by move_pfn_range_to_zone() -> memmap_init_zone()
    // (the v5.6 base) initialising the altmap's pfns: a predicted oops, not a vmemmap-lab bug
    expect(cell('arm64 64K/48', '4 GiB', 'robin-arm64')).toMatchObject({ where: 'oops memmap_init_zone', broken: [] });
    expect(new Set(cell('arm64 64K/48', '4 GiB', 'robin-arm64').findings)).toEqual(new Set(['kernel-oops', 'memmap-coverage']));
    expect(cell('arm64 4K/48', '4 GiB', 'robin-arm64').where).toBe('RAM');
  });

  it('docs/matrix.md is the current output', () => {
    const doc = readFileSync(new URL('../docs/matrix.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderMatrix(mx, 'markdown'));
  });
});
