/**
 * `vmemlab size` and `vmemlab explain`: the answers equal what the same machine gives when it
 * is written as a scenario by hand (the answers have no formula of their own), and they
 * reproduce the worked examples users reported (../docs/answers.md cites them).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  explainScenario, parseScenario, runScenarioText, sizeBlocks, sizeDedup, sizeHotAdd, sizeHvo, sizeMemmap, sizeNamespace, AnswerError,
} from '../src/index.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const bin = new URL('../bin/vmemlab.js', import.meta.url).pathname;
function vmemlab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('size namespace', () => {
  it('ndctl#243: a 256 MiB devdax namespace is 250 MiB usable, its memmap (4 MiB + 510 pfns of PMD alignment) on the device', () => {
    const a = sizeNamespace({ arch: 'x86_64', size: 256 * MiB, mode: 'devdax' });
    expect(a.ok).toBe(true);
    expect(a.usable).toBe(250 * MiB);
    expect(a.dataOffset).toBe(6 * MiB);
    expect(a.altmap).toMatchObject({ reserve: 2, alloc: 1024, align: 510, free: 1534 });
    expect(a.memmap).toMatchObject({ bytes: 4 * MiB, on: 'device', device: 4 * MiB });
    expect(a.leaf).toBe('pmd');
  });

  it('pmem-csi#933: 1500 GiB fsdax --align 2M: 1476.56 GiB usable with --map=dev, 1500 GiB less 2 MiB with --map=mem', () => {
    const dev = sizeNamespace({ arch: 'x86_64', size: 1500 * GiB, align: 2 * MiB, map: 'dev' });
    const mem = sizeNamespace({ arch: 'x86_64', size: 1500 * GiB, align: 2 * MiB, map: 'mem' });
    expect(dev.usable).toBe(1_585_444_814_848);
    expect((dev.usable! / GiB).toFixed(2)).toBe('1476.56');
    expect(mem.usable).toBe(1500 * GiB - 2 * MiB);
    expect(mem.memmap.on).toBe('ram');
    expect(mem.memmap.bytes).toBe((1500 * GiB - 2 * MiB) / 4096 * 64 + 2 * MiB / 4096 * 64);
  });

  it('6 TiB of 4 KiB-paged pmem needs 96 GiB of struct pages: on the device with --map=dev, in RAM with --map=mem', () => {
    const dev = sizeNamespace({ arch: 'x86_64', size: 6 * 2 ** 40, map: 'dev' });
    const mem = sizeNamespace({ arch: 'x86_64', size: 6 * 2 ** 40, map: 'mem' });
    expect(dev.memmap).toMatchObject({ bytes: 96 * GiB, on: 'device' });
    expect(mem.memmap).toMatchObject({ bytes: 96 * GiB, on: 'ram' });
    expect(sizeMemmap({ arch: 'x86_64', size: 6 * 2 ** 40 }).memmap.bytes).toBe(96 * GiB);
  });

  it('equals the scenario path: the same machine written by hand gives the same namespace, altmap and tables', () => {
    for (const [arch, cfg, map] of [['x86_64', '', 'dev'], ['arm64', 'config: { pageSize: 16K }', 'dev'], ['arm64', 'config: { pageSize: 64K }', 'mem']] as const) {
      const a = sizeNamespace({ arch, pageSize: cfg.includes('16K') ? '16K' : cfg.includes('64K') ? '64K' : undefined, size: 48 * GiB, map, start: 128 * GiB, nodeRam: 8 * GiB });
      const base = arch === 'x86_64' ? 0 : GiB;
      const r = runScenarioText('hand.yaml', `arch: ${arch}\n${cfg}\nnodes: [ { id: 0, memory: [ { start: ${base}, size: 8G } ] } ]\ndevices: [ { name: pmem0, type: nvdimm, node: 0, start: 128G, size: 48G } ]\nsteps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: ${map} } } ]\n`);
      const ns = r.report.namespaces[0]!;
      expect(a.usable).toBe(ns.size);
      expect(a.dataOffset).toBe(ns.dataOffset);
      const d = r.report.steps[1]!.delta;
      const sum = (x: Record<string, number>) => Object.values(x).reduce((s, v) => s + v, 0);
      expect(a.memmap.bytes).toBe(sum(d.memmapBacking.ram) + sum(d.memmapBacking.altmap));
      expect(a.pageTablePages.total).toBe(sum(d.pageTablePages));
      if (map === 'dev') expect(a.altmap).toMatchObject({ alloc: r.report.altmaps[0]!.alloc, align: r.report.altmaps[0]!.align });
    }
  });

  it('--usable: the smallest size that gives at least that much, one step less gives less', () => {
    for (const [U, align] of [[GiB * 1024, undefined], [250 * MiB, undefined], [100 * GiB, GiB]] as const) {
      const a = sizeNamespace({ arch: 'x86_64', usable: U, align });
      expect(a.usable!).toBeGreaterThanOrEqual(U);
      const step = Math.max(16 * MiB, align ?? 2 * MiB);
      const less = sizeNamespace({ arch: 'x86_64', size: a.size - step, align });
      expect(less.usable!).toBeLessThan(U);
      expect(a.wanted).toMatchObject({ usable: U });
    }
  });

  it('a partial last section: the explanation names the sub-section rule, not a shortage of the altmap', () => {
    const a = sizeNamespace({ arch: 'x86_64', size: 1040 * MiB });
    expect(a.explanation.join('\n')).toMatch(/sub-section range\): base pages from RAM, the altmap ignored/);
    expect(a.memmap.on).toBe('device+ram');
  });

  it('bad combinations are AnswerErrors naming the flag', () => {
    expect(() => sizeNamespace({ arch: 'x86_64', size: 8 * MiB })).toThrow(/--size: 8 MiB: ndctl needs at least 16 MiB/);
    expect(() => sizeNamespace({ arch: 'x86_64', pageSize: '64K', size: GiB })).toThrow(AnswerError);
    expect(() => sizeNamespace({ arch: 'x86_64', size: GiB, kernel: 'v2.6' })).toThrow(/--kernel: unknown profile/);
    expect(() => sizeNamespace({ arch: 'x86_64', size: GiB, align: 3 * MiB })).toThrow(/--align/);
  });
});

describe('size memmap', () => {
  it('per page size: 1/64, 1/256, 1/1024 of memory; PMD leaves on 4K, PTE leaves on 16K/64K arm64', () => {
    const x = sizeMemmap({ arch: 'x86_64', size: 16 * GiB });
    expect(x.memmap.bytes).toBe(256 * MiB);
    expect(x.leaf).toBe('pmd');
    const a16 = sizeMemmap({ arch: 'arm64', pageSize: '16K', size: 16 * GiB });
    expect(a16.memmap.bytes).toBe(64 * MiB);
    expect(a16.leaf).toBe('pte');
    const a64 = sizeMemmap({ arch: 'arm64', pageSize: '64K', size: 16 * GiB });
    expect(a64.memmap.bytes).toBe(16 * MiB);
  });

  it('--node-ram: the memory is hot-added, its memmap comes from the node', () => {
    const h = sizeMemmap({ arch: 'x86_64', size: 4 * GiB, nodeRam: 2 * GiB });
    expect(h.how).toBe('hot-add');
    expect(h.ok).toBe(true);
    expect(h.memmap.bytes).toBe(64 * MiB);
    expect(h.memmap.byNode).toEqual({ 0: 64 * MiB });
  });
});

describe('size hot-add', () => {
  it('kata#4847: 12 GiB needs 192 MiB free (the memmap; its PMD table exists already); with less, the plan adds in chunks', () => {
    const ok = sizeHotAdd({ arch: 'x86_64', size: 12 * GiB, free: 192 * MiB });
    expect(ok.needFree).toBe(192 * MiB);
    expect(ok.ok).toBe(true);
    expect(ok.largestFit).toBe(12 * GiB);
    const short = sizeHotAdd({ arch: 'x86_64', size: 12 * GiB, free: 100 * MiB });
    expect(short.ok).toBe(false);
    expect(short.errno).toBe('ENOMEM');
    expect(short.needFree).toBe(192 * MiB);
    expect(short.largestFit).toBeGreaterThan(0);
    expect(short.largestFit).toBeLessThan(12 * GiB);
    expect(short.planComplete).toBe(true);
    expect(short.plan.reduce((s, c) => s + c.size, 0)).toBe(12 * GiB);
    expect(short.plan[0]!.size).toBe(short.largestFit);
    // the plan is a scenario that runs: every step succeeds
    const r = runScenarioText('plan.yaml', short.planScenario);
    expect(r.results.every((x) => x.ok)).toBe(true);
    // and the largest fit is exact: one block more fails
    const over = sizeHotAdd({ arch: 'x86_64', size: short.largestFit + short.block, free: 100 * MiB });
    expect(over.ok).toBe(false);
  });

  it('memmap_on_memory: the memmap moves into the blocks; a kernel without the parameter says so', () => {
    const m = sizeHotAdd({ arch: 'x86_64', size: 12 * GiB, free: 100 * MiB, memmapOnMemory: true });
    expect(m.memmapOnMemory).toBe(true);
    expect(m.memmap.self).toBe(192 * MiB);
    expect(m.ok).toBe(true);
    const old = sizeHotAdd({ arch: 'x86_64', size: 1 * GiB, free: 512 * MiB, memmapOnMemory: true, kernel: 'v5.10' });
    expect(old.memmapOnMemory).toBe(false);
    expect(old.explanation.join('\n')).toMatch(/does not exist in v5.10/);
  });
});

describe('size hvo and dedup', () => {
  it('llama.cpp#21821: 128 GiB of 2 MiB pages give back 1.75 GiB of vmemmap; arm64 v6.18 has no HVO', () => {
    const a = sizeHvo({ arch: 'x86_64', hugePage: 2 * MiB, count: 65536 });
    expect(a.hvo).toBe(true);
    expect(a.vmemmapFreed).toBe(1.75 * GiB);
    expect(a.freedPerPage).toBe(28 * 1024);
    const g = sizeHvo({ arch: 'x86_64', hugePage: GiB, count: 4, boot: true });
    expect(g.freedPerPage).toBe(4095 * 4096);
    const arm = sizeHvo({ arch: 'arm64', hugePage: 2 * MiB, count: 10 });
    expect(arm.hvo).toBe(false);
    expect(arm.vmemmapFreed).toBe(0);
    expect(arm.explanation.join('\n')).toMatch(/not possible/);
  });

  it('device-dax dedup of 64 GiB: 256 MiB of RAM with 2 MiB pages, 512 KiB with 1 GiB (examples/devdax-dedup-2m-vs-1g.yaml); none with --map=dev', () => {
    expect(sizeDedup({ arch: 'x86_64', size: 64 * GiB, align: 2 * MiB })).toMatchObject({ structPages: GiB, memmap: 256 * MiB, saved: 768 * MiB, dedup: true });
    expect(sizeDedup({ arch: 'x86_64', size: 64 * GiB, align: GiB })).toMatchObject({ memmap: 512 * 1024, dedup: true });
    const dev = sizeDedup({ arch: 'x86_64', size: 64 * GiB, align: 2 * MiB, map: 'dev' });
    expect(dev.dedup).toBe(false);
    expect(dev.explanation[0]).toMatch(/vmemmap_can_optimize\(\) is false with an altmap/);
  });
});

describe('size blocks', () => {
  it('sections, blocks and the vmemmap window per configuration', () => {
    const x = sizeBlocks({ arch: 'x86_64' });
    expect(x).toMatchObject({ pageSize: 4096, sectionSize: 128 * MiB, subsectionSize: 2 * MiB, memoryBlockSize: 128 * MiB, memmapPerBlock: 2 * MiB, maxPhysmem: 64 * 2 ** 40 });
    expect(x.vmemmap.start).toBe('0xffffea0000000000');
    expect(sizeBlocks({ arch: 'x86_64', ram: 64 * GiB }).memoryBlockSize).toBe(2 * GiB);
    const a = sizeBlocks({ arch: 'arm64', pageSize: '64K' });
    expect(a).toMatchObject({ sectionSize: 512 * MiB, memoryBlockSize: 512 * MiB, pageblockSize: 512 * MiB });
  });
});

describe('vmemlab size (CLI)', () => {
  it('a list flag gives a table, one row per value; --json an array', () => {
    const r = vmemlab('size', 'memmap', '--size', '1G,16G,1T,6T');
    expect(r.code).toBe(0);
    const rows = r.out.trim().split('\n');
    expect(rows).toHaveLength(5);
    expect(rows[4]).toContain('103,079,215,104 (96 GiB)');
    const j = JSON.parse(vmemlab('size', 'memmap', '--size', '1G,6T', '--arch', 'x86_64,arm64', '--page-size', '4K,64K', '--json').out);
    expect(j).toHaveLength(6); // x86_64 4K, arm64 4K, arm64 64K, each 2 sizes
  });

  it('one answer: the explanation names the kernel functions; --json has the contract fields; --scenario prints a runnable scenario', () => {
    const t = vmemlab('size', 'namespace', '--size', '16G');
    expect(t.out).toContain('nd_pfn_init()');
    expect(t.out).toContain('usable 16,909,336,576 B');
    const j = JSON.parse(vmemlab('size', 'namespace', '--size', '16G', '--json').out);
    for (const f of ['usable', 'dataOffset', 'align', 'pageTablePages']) expect(j).toHaveProperty(f);
    expect(j.memmap).toMatchObject({ bytes: 256 * MiB, on: 'device' });
    const y = vmemlab('size', 'namespace', '--size', '16G', '--scenario');
    expect(parseScenario('s.yaml', y.out).steps.map((s) => s.kind)).toEqual(['boot', 'create-namespace']);
  });

  it('bad flags: one line, exit 2', () => {
    for (const args of [['namespace', '--size', '1X'], ['namespace'], ['memmap', '--size', '1G', '--arch', 'sparc'], ['hot-add', '--size', '1G', '--free', '1G', '--block', '100M'], ['hvo', '--huge-page', '3M', '--count', '1'], ['blocks', '--arch', 'arm64', '--va-bits', '50'], ['namespace', '--size', '1G', '--page-size', '64K']]) {
      const r = vmemlab('size', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err).toMatch(/^vmemlab: --/);
    }
  });
});

describe('explain', () => {
  it('the default scenario: the namespace arithmetic, the populate decision and what --map=mem would change', () => {
    const e = explainScenario(parseScenario('d.yaml', `arch: x86_64
nodes: [ { id: 0, memory: [ { start: 0, size: 8G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 64G, size: 16G } ]
steps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } } ]
`));
    const s = e.steps[1]!;
    const text = s.lines.join('\n');
    expect(text).toContain('alloc 65,536 pfns');
    expect(text).toContain('align 510 pfns');
    expect(text).toMatch(/whole sections with PSE: PMD-sized blocks from the altmap/);
    expect(s.whatIf.find((w) => w.startsWith('--map=mem'))).toContain('+268,435,456 B');
    expect(s.changes.memmap.altmap).toEqual({ 'namespace0.0': 256 * MiB });
  });

  it('a failed hot-add: the errno, the refusing check, and the largest hot-add that fits', () => {
    const e = explainScenario(parseScenario('h.yaml', `arch: x86_64
config: { hypervisor: true }
nodes: [ { id: 0, memory: [ { start: 0, size: 512M } ], used: 320M } ]
steps: [ boot, { hot-add: { node: 0, start: 4G, size: 12G } } ]
`), { step: 2 });
    expect(e.steps).toHaveLength(1);
    const s = e.steps[0]!;
    expect(s.ok).toBe(false);
    expect(s.summary).toMatch(/FAILED with ENOMEM/);
    expect(s.lines[0]).toMatch(/the check that refused: .*vmemmap alloc failure/);
    expect(s.whatIf.join('\n')).toMatch(/a smaller hot-add fits: 7552 MiB \(59 block/);
    expect(s.whatIf.join('\n')).toMatch(/memory_hotplug.memmap_on_memory=1: succeeds/);
  });

  it('arm64 64K: base pages, and why', () => {
    const e = explainScenario(parseScenario('a.yaml', `arch: arm64
config: { pageSize: 64K }
nodes: [ { id: 0, memory: [ { start: 0x40000000, size: 8G } ] } ]
`));
    expect(e.steps[0]!.lines.join('\n')).toMatch(/64K pages: arm64 maps the vmemmap with base pages/);
  });

  it('CLI: --step out of range is a usage error; --json parses', () => {
    const bad = vmemlab('explain', 'examples/pmem-16g-fsdax-dev.yaml', '--step', '99');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^vmemlab: --step 99: the scenario has steps 1\.\./);
    const j = JSON.parse(vmemlab('explain', '--json').out);
    expect(j.steps).toHaveLength(2);
    expect(j.steps[1].path).toContain('nd_pfn_init()');
  });
});

describe('the JSON contract of size', () => {
  it('every question\'s --json validates against its schema, and the shipped schema file is current', async () => {
    const { SIZE_SCHEMAS, sizeJsonSchema } = await import('../src/index.js');
    const { readFileSync } = await import('node:fs');
    const cases: [keyof typeof SIZE_SCHEMAS, string[]][] = [
      ['namespace', ['namespace', '--size', '4G']],
      ['memmap', ['memmap', '--size', '4G', '--arch', 'arm64', '--page-size', '16K']],
      ['hot-add', ['hot-add', '--size', '4G', '--free', '32M']],
      ['hvo', ['hvo', '--huge-page', '2M', '--count', '10']],
      ['dedup', ['dedup', '--size', '4G']],
      ['blocks', ['blocks']],
    ];
    for (const [q, args] of cases) {
      const r = vmemlab('size', ...args, '--json');
      const parsed = SIZE_SCHEMAS[q].safeParse(JSON.parse(r.out));
      expect(parsed.success, `${q}: ${parsed.error?.message}`).toBe(true);
    }
    const shipped = JSON.parse(readFileSync(new URL('../schema/size.schema.json', import.meta.url), 'utf8'));
    expect(shipped).toEqual(JSON.parse(JSON.stringify(sizeJsonSchema())));
  });

  it('the text report of run shows what each step changed', () => {
    const r = vmemlab('run', 'examples/pmem-map-dev-vs-mem.yaml');
    expect(r.out).toMatch(/2 {2}create-namespace pmem0 fsdax map=dev size=8 GiB {2}ok {2}memmap \+128 MiB altmap namespace0\.0\n/);
    expect(r.out).toMatch(/3 {2}create-namespace pmem0 fsdax map=mem size=8 GiB {2}ok {2}memmap \+128 MiB RAM node 0\n/);
  });
});

describe('explain: HugeTLB and device-dax steps', () => {
  it('a hugepages step with HVO: pages freed per huge page, MemTotal gain and the split-PMD range', () => {
    const e = explainScenario(parseScenario('h.yaml', `arch: x86_64
cmdline: hugetlb_free_vmemmap=on
nodes: [ { id: 0, memory: [ { start: 0, size: 64G } ] } ]
steps: [ boot, { hugepages: { size: 2M, count: 10000 } } ]
`), { step: 2, whatIf: false });
    const t = e.steps[0]!.lines.join('\n');
    expect(t).toContain('frees 7 of the 8 vmemmap pages of each 2 MiB page: +273.44 MiB given back by this step');
    expect(t).toContain('MemTotal +312.50 MiB');
    expect(t).toMatch(/split_vmemmap_huge_pmd\): \d+\.\.\d+ new PTE table page/);
  });

  it('a devdax reconfiguration: PMD leaves unmapped and PTE leaves mapped, each with its sign', () => {
    const e = explainScenario(parseScenario('c.yaml', readFileSync(new URL('../examples/cxl-back-to-devdax.yaml', import.meta.url), 'utf8')), { step: 5, whatIf: false });
    expect(e.steps[0]!.lines.join('\n')).toContain('mapping: 2,048 PMD leaves (2 MiB of struct pages each) unmapped, 1,048,576 PTE leaves (4 KiB each) mapped');
  });
});
