/**
 * src/sim: what the machine says about each step (labels, outcomes), the `expect` step's
 * failure messages, and a few front-end paths the first Stryker run over src/sim found no
 * library-level test for (the CLI tests, which Stryker leaves out, printed some of them).
 */
import { describe, expect, it } from 'vitest';
import { checkExpect } from '../src/sim/expect.js';
import { createMachine, oopsLine, runStep, stepOutcome, type StepResult } from '../src/sim/machine.js';
import { arm64Guest64K, run, scenario, stepOf } from './helpers.js';

const PMEM = (steps: string, extra = '') => `
arch: x86_64
kernel: v6.12
cmdline: memhp_default_state=offline ${extra}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
  - { id: 1, memory: [ { start: 4G, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 4G, labels: true }
  - { name: pmem1, type: nvdimm, node: 1, start: 24G, size: 2G, labels: false }
steps:
  - boot
${steps}`;

describe('step labels (run, compare, explain and --trace head each step with one)', () => {
  it('every kind, with and without its options', () => {
    const r = run(PMEM(`  - create-namespace: { device: pmem0, mode: devdax, map: mem, align: 2M, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax }
  - destroy-namespace: { device: pmem0, namespace: namespace0.1 }
  - create-namespace: { device: pmem1, mode: fsdax, size: 4G }
  - destroy-namespace: { device: pmem1 }
  - reconfigure-device: { device: pmem0, namespace: namespace0.0, mode: system-ram, memmapOnMemory: false, online: normal, force: true }
  - reconfigure-device: { device: pmem0, mode: devdax, force: true }
  - reconfigure-device: { device: pmem0, namespace: namespace0.0, mode: devdax }
  - hugepages: { size: 2M, count: 8 }
  - hugepages: { size: 2M, count: 4, node: 1 }
  - hot-add: { node: 1, start: 32G, size: 256M }
  - online: { start: 32G, size: 128M, type: online_movable }
  - offline: { start: 32G, size: 128M }
  - hot-remove: { start: 32G, size: 256M }
  - expect: { step: 2, ok: true }
`));
    expect(r.results.map((x) => x.label)).toEqual([
      'boot',
      'create-namespace pmem0 devdax map=mem align=2 MiB size=1 GiB',
      'create-namespace pmem0 fsdax',
      'destroy-namespace pmem0 namespace0.1',
      'create-namespace pmem1 fsdax size=4 GiB',
      'destroy-namespace pmem1',
      'reconfigure-device pmem0 namespace0.0 system-ram memmap_on_memory=0 online=normal -f',
      'reconfigure-device pmem0 devdax -f',
      'reconfigure-device pmem0 namespace0.0 devdax',
      'hugepages 2 MiB nr_hugepages=8',
      'hugepages 2 MiB nr_hugepages=4 node 1',
      'hot-add node 1 0x800000000 256 MiB',
      'online 0x800000000 128 MiB online_movable',
      'offline 0x800000000 128 MiB',
      'hot-remove 0x800000000 256 MiB',
      'expect step 2',
    ]);
    expect(stepOf(r, 16).failedExpectations).toEqual([]);
  });

  it('a memmap_on_memory=1 request and the default online type', () => {
    const r = run(PMEM(`  - create-namespace: { device: pmem0, mode: devdax, map: mem }
  - reconfigure-device: { device: pmem0, mode: system-ram, memmapOnMemory: true }
`));
    expect(stepOf(r, 3).label).toBe('reconfigure-device pmem0 system-ram memmap_on_memory=1 online=movable');
  });
});

describe('what a step reports', () => {
  it('a raw namespace has no map; reconfigure without memmap_on_memory or -f; destroy by name finds that namespace\'s dax device', () => {
    const r = run(`
arch: x86_64
kernel: v6.12
cmdline: memhp_default_state=offline
nodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 4G, labels: true }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: raw, size: 1G }
  - create-namespace: { device: pmem0, mode: devdax, map: mem, size: 1G }
  - create-namespace: { device: pmem0, mode: devdax, map: mem, size: 1G }
  - reconfigure-device: { device: pmem0, namespace: namespace0.1, mode: system-ram }
  - destroy-namespace: { device: pmem0, namespace: namespace0.1 }
  - destroy-namespace: { device: pmem0, namespace: namespace0.2 }
`);
    expect(stepOf(r, 2).messages).toEqual(['namespace0.0: raw size 1073741824 (1 GiB), dev pmem0']);
    expect(stepOf(r, 5).label).toBe('reconfigure-device pmem0 namespace0.1 system-ram online=movable');
    // namespace0.1's dax device is system RAM, online: ndctl refuses it (not the last namespace's)
    expect([stepOf(r, 6).errno, stepOf(r, 6).messages]).toEqual(['EBUSY', ['error destroying namespaces: Device or resource busy', 'destroyed 0 namespaces']]);
    expect([stepOf(r, 7).ok, stepOf(r, 7).messages]).toEqual([true, ['destroyed 1 namespace']]);
  });

  it('an expect step reads results: it finds no kernel bug of its own (the one it checks stays the step\'s)', () => {
    const r = run(`
arch: arm64
kernel: seed-v2-fallback
config: { pageSize: 64K }
nodes: [ { id: 0, memory: [ { start: 0x40000000, size: 8G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 4G } ]
steps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } }, { expect: { step: 2, kernelBugs: 2 } } ]
`);
    expect(stepOf(r, 2).kernelBugs.map((b) => b.invariant)).toEqual(['altmap-accounting', 'kernel-anomaly']);
    expect([stepOf(r, 3).kernelBugs, stepOf(r, 3).violations, stepOf(r, 3).failedExpectations]).toEqual([[], [], []]);
    expect(r.report.kernelBugs.findings).toHaveLength(2);
  });

  it('in a step that oopsed, the unmapped struct pages the checks find are the oops\'s (a predicted kernel bug), not a violation', () => {
    const r = run(arm64Guest64K(`  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 48M, align: 64K }
  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 32M, align: 64K }
`));
    expect(stepOf(r, 3).oops!.fn).toBe('__init_zone_device_page');
    expect([stepOf(r, 3).violations, stepOf(r, 3).kernelBugs.map((b) => b.invariant)]).toEqual([[], ['memmap-coverage']]);
  });

  it('a machine is neither paranoid nor lean unless asked (lean runs, for fuzz, skip the labels)', () => {
    const sc = scenario('arch: x86_64\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\nsteps: [ boot ]\n');
    expect([createMachine(sc).paranoid, createMachine(sc).lean]).toEqual([false, false]);
    const m = createMachine(sc, { lean: true, paranoid: true });
    expect([m.paranoid, m.lean]).toEqual([true, true]);
    expect(runStep(m, sc.steps[0]!, []).label).toBe('');
  });
});

describe('steps a kernel without MEMORY_HOTPLUG has no path for (riscv64 before v6.11)', () => {
  it('each is refused with the reason, and nothing runs', () => {
    const r = run(`
arch: riscv64
kernel: v6.6
nodes: [ { id: 0, memory: [ { start: 0x80000000, size: 4G } ] } ]
devices: [ { name: cxl0, type: cxl, node: 0, start: 0x400000000, size: 1G } ]
steps:
  - boot
  - hot-add: { node: 0, start: 0x800000000, size: 128M }
  - online: { start: 0x800000000, size: 128M }
  - offline: { start: 0x800000000, size: 128M }
  - hot-remove: { start: 0x800000000, size: 128M }
  - reconfigure-device: { device: cxl0, mode: system-ram }
`);
    const why = 'refused: riscv64 has no memory hot-plug in v6.6 (ARCH_ENABLE_MEMORY_HOTPLUG arrived in v6.11): ';
    expect(r.results.slice(1).map((x) => [x.ok, x.errno, x.messages])).toEqual([
      [false, null, [why + 'no driver can add memory']],
      [false, null, [why + 'there are no memory block devices']],
      [false, null, [why + 'there are no memory block devices']],
      [false, null, [why + 'there are no memory block devices']],
      [false, null, [why + 'there is no kmem driver (DEV_DAX_KMEM depends on MEMORY_HOTPLUG)']],
    ]);
  });
});

describe('step outcomes, in the words run, compare and explain share', () => {
  const base: StepResult = { index: 2, kind: 'hot-add', label: '', ok: true, errno: null, messages: [], dmesg: [], violations: [], kernelBugs: [], oops: null, notRun: null, trace: { from: 0, to: 0 } };
  it('ok, FAILED with and without an errno, an oops, not run', () => {
    expect(stepOutcome(base)).toBe('ok');
    expect(stepOutcome({ ...base, ok: false, errno: 'EEXIST' })).toBe('FAILED EEXIST');
    expect(stepOutcome({ ...base, ok: false })).toBe('FAILED');
    expect(stepOutcome({ ...base, ok: false, oops: { fn: 'memunmap_pages' } as StepResult['oops'] })).toBe('predicted kernel oops in memunmap_pages');
    expect(stepOutcome({ ...base, ok: false, notRun: 'not run: the kernel oopsed at step 1', oops: { fn: 'x' } as StepResult['oops'] })).toBe('not run: the kernel oopsed at step 1');
  });
});

describe('oopsLine: the access, the pfn and the address of the unmapped struct page', () => {
  it('a write and a read', () => {
    const o = { step: 3, fn: '__init_zone_device_page', site: 'mm/mm_init.c:__init_zone_device_page', va: 'fffffdffc0310000', pfn: 0xc400, access: 'write' as const, what: 'memmap_init_zone_device() initialising the struct page' };
    expect(oopsLine(o)).toBe('predicted kernel oops: __init_zone_device_page wrote the struct page of pfn 0xc400 at 0xfffffdffc0310000, which is not mapped (memmap_init_zone_device() initialising the struct page)');
    expect(oopsLine({ ...o, fn: 'memunmap_pages', access: 'read', what: 'x' })).toBe('predicted kernel oops: memunmap_pages read the struct page of pfn 0xc400 at 0xfffffdffc0310000, which is not mapped (x)');
  });
});

describe('expect: every failed expectation is one line naming the step and both values', () => {
  it('ok, errno, a step that never ran, violations and predicted kernel bugs', () => {
    const r = run(PMEM(`  - hot-add: { node: 1, start: 4G, size: 128M }
  - expect: { step: 2, ok: true, errno: ENOMEM, violations: 1, kernelBugs: 2 }
  - expect: { step: 2, ok: false, errno: EEXIST, violations: 0, kernelBugs: 0 }
`));
    expect(stepOf(r, 2).errno).toBe('EEXIST');
    expect(stepOf(r, 3).failedExpectations).toEqual([
      'step 2: ok is false, expected true',
      'step 2: errno is EEXIST, expected ENOMEM',
      'invariant violations up to step 2: 0, expected 1',
      'predicted kernel bugs up to step 2: 0, expected 2',
    ]);
    expect(stepOf(r, 4).failedExpectations).toEqual([]);
    // a step missing from the results (the parser lets expect name only earlier steps, and
    // every step has a result, run or not: this is checkExpect's own guard)
    expect(checkExpect(r.machine, { kind: 'expect', args: { step: 2 }, index: 9, line: 1 }, [])).toEqual(['step 2 did not run']);
  });

  it('oops: expected and absent, absent and expected, in another function', () => {
    const r = run(PMEM(`  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - expect: { step: 2, oops: true }
  - expect: { step: 2, oops: memunmap_pages }
  - expect: { step: 2, oops: false }
`));
    expect(stepOf(r, 3).failedExpectations).toEqual(['step 2: no oops, expected an oops']);
    expect(stepOf(r, 4).failedExpectations).toEqual(['step 2: no oops, expected an oops in memunmap_pages']);
    expect(stepOf(r, 5).failedExpectations).toEqual([]);
  });
});

describe('expect: each field that differs is its own line, with both values', () => {
  it('altmap, namespace, memmap backing, blocks and hugetlb; the newest altmap and namespace unless one is named', () => {
    const r = run(`
arch: x86_64
kernel: v6.12
cmdline: hugetlb_free_vmemmap=on memory_hotplug.memmap_on_memory=1
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
  - { id: 1, memory: [ { start: 4G, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 16G, size: 4G }
steps:
  - boot
  - expect: { step: 1, altmap: { alloc: 1 }, namespace: { size: 1 } }
  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 1G }
  - hot-add: { node: 1, start: 32G, size: 256M }
  - hugepages: { size: 2M, count: 16, node: 1 }
  - expect: { step: 6, altmap: { alloc: 1, align: 1, free: 1, reserve: 1 }, namespace: { size: 1, dataOffset: 1 }, memmapBacking: { ram: { 0: 1, 9: 1 }, altmap: { namespace0.0: 1 }, self: { 1: 1 }, dedup: { x: 1 } }, blocks: { online: 1, offline: 1, selfHosting: 1, vmemmapPages: 1 }, hugetlb: { vmemmapFreed: { 1: 1 }, memTotalGain: { 1: 1 }, pages: { 2097152: 1 } } }
  - expect: { step: 6, altmap: { namespace: namespace0.0, alloc: 1 }, namespace: { name: namespace0.0, size: 1 } }
  - expect: { step: 6, altmap: { namespace: nope }, namespace: { name: nope } }
  - expect: { step: 6, altmap: { alloc: 4096, align: 510, free: 4606, reserve: 2 }, namespace: { dataOffset: 18874368 }, memmapBacking: { ram: { 0: 67108864 }, self: { 1: 4194304 } }, blocks: { online: 64, offline: 2, selfHosting: 2, vmemmapPages: 512 }, hugetlb: { vmemmapFreed: { 1: 458752 }, memTotalGain: { 1: 524288 }, pages: { 2097152: 16 } } }
`);
    expect(stepOf(r, 2).failedExpectations).toEqual(['altmap: none exists', 'namespace: none exists']);
    // 1 GiB fsdax --map=dev (x86, 2 MiB align): 4096 memmap pages from the altmap, 510 pages of
    // alignment padding, 2 reserved (the 8 KiB info block); 256 MiB hot-added with
    // memmap_on_memory: 2 self-hosting blocks, 512 vmemmap pages each; 16 x 2 MiB huge pages
    // free 7 vmemmap pages each (448 KiB in all) and, as boot pages, raise MemTotal by 8 each
    expect(stepOf(r, 7).failedExpectations).toEqual([
      'altmap namespace0.1: alloc is 4096, expected 1',
      'altmap namespace0.1: align is 510, expected 1',
      'altmap namespace0.1: free is 4606, expected 1',
      'altmap namespace0.1: reserve is 2, expected 1',
      'namespace0.1: size is 1054867456, expected 1',
      'namespace0.1: dataOffset is 18874368, expected 1',
      'memmapBacking.ram.0 is 67108864, expected 1',
      'memmapBacking.ram.9 is 0, expected 1',
      'memmapBacking.altmap.namespace0.0 is 16777216, expected 1',
      'memmapBacking.self.1 is 4194304, expected 1',
      'memmapBacking.dedup.x is 0, expected 1',
      'blocks.online is 64, expected 1',
      'blocks.offline is 2, expected 1',
      'blocks.selfHosting is 2, expected 1',
      'blocks.vmemmapPages is 512, expected 1',
      'hugetlb.vmemmapFreed.1 is 458752, expected 1',
      'hugetlb.memTotalGain.1 is 524288, expected 1',
      'hugetlb.pages.2097152 is 16, expected 1',
    ]);
    expect(stepOf(r, 8).failedExpectations).toEqual(['altmap namespace0.0: alloc is 4096, expected 1', 'namespace0.0: size is 1054867456, expected 1']);
    expect(stepOf(r, 9).failedExpectations).toEqual(['altmap: none exists', 'namespace: none exists']);
    expect(stepOf(r, 10).failedExpectations).toEqual([]);
  });

  it('a MemTotal gain the model knows only as a range (restored vmemmap is buddy memory) is never an exact match', () => {
    const r = run(`
arch: x86_64
kernel: v6.12
cmdline: hugetlb_free_vmemmap=on
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
  - { id: 1, memory: [ { start: 4G, size: 4G } ] }
steps:
  - boot
  - hugepages: { size: 2M, count: 16, node: 1 }
  - hugepages: { size: 2M, count: 8, node: 1 }
  - hugepages: { size: 2M, count: 16, node: 1 }
  - expect: { step: 4, hugetlb: { memTotalGain: { 1: 524288 } } }
`);
    expect(stepOf(r, 5).failedExpectations).toEqual(['hugetlb.memTotalGain.1 is a range, 524288..786432, expected exactly 524288']);
  });
});

describe('expect over results made by hand (states no scenario reaches: a vmemmap-lab violation, an oops)', () => {
  const r = run('arch: x86_64\nnodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]\nsteps: [ boot ]\n');
  const v = { invariant: 'counters', step: 1, range: '-', fn: 'test', detail: 'made by hand' };
  const res = (index: number, extra: Partial<StepResult> = {}): StepResult => ({ index, kind: 'hot-add', label: '', ok: true, errno: null, messages: [], dmesg: [], violations: [], kernelBugs: [], oops: null, notRun: null, trace: { from: 0, to: 0 }, ...extra });
  const ex = (args: Record<string, unknown>, results: StepResult[]) => checkExpect(r.machine, { kind: 'expect', args, index: 9, line: 1 }, results);

  it('violations and kernel bugs are summed over the steps up to the one named, not after it', () => {
    const results = [res(1, { violations: [v] }), res(2, { violations: [v, v], kernelBugs: [v] }), res(3, { violations: [v], kernelBugs: [v, v] })];
    expect(ex({ step: 2, violations: 3, kernelBugs: 1 }, results)).toEqual([]);
    expect(ex({ step: 2, violations: 0, kernelBugs: 0 }, results)).toEqual(['invariant violations up to step 2: 3, expected 0', 'predicted kernel bugs up to step 2: 1, expected 0']);
  });

  it('oops: present but not expected, in another function, and a step that did not run', () => {
    const oops = { step: 2, fn: 'memunmap_pages', site: 'mm/memremap.c:memunmap_pages', va: '0', pfn: 0, access: 'read' as const, what: 'x' };
    const results = [res(1), res(2, { ok: false, oops }), res(3, { ok: false, notRun: 'not run: the kernel oopsed at step 2' })];
    expect(ex({ step: 2, oops: false }, results)).toEqual(['step 2: predicted kernel oops in memunmap_pages, expected no oops']);
    expect(ex({ step: 2, oops: '__init_zone_device_page' }, results)).toEqual(['step 2: predicted kernel oops in memunmap_pages, expected an oops in __init_zone_device_page']);
    expect(ex({ step: 2, oops: true }, results)).toEqual([]);
    expect(ex({ step: 2, oops: 'memunmap_pages' }, results)).toEqual([]);
    expect(ex({ step: 3, oops: true }, results)).toEqual(['step 3: not run: the kernel oopsed at step 2, expected an oops']);
    expect(ex({ step: 1, oops: false }, results)).toEqual([]);
  });
});

describe('front-end paths', () => {
  it('reconfigure-device names a namespace: an fsdax one has no dax device', () => {
    const r = run(PMEM(`  - create-namespace: { device: pmem0, mode: devdax, map: mem, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax, size: 1G }
  - reconfigure-device: { device: pmem0, namespace: namespace0.1, mode: system-ram }
  - reconfigure-device: { device: pmem0, namespace: namespace0.0, mode: system-ram }
`));
    expect([stepOf(r, 4).ok, stepOf(r, 4).errno]).toEqual([false, 'ENODEV']);
    expect([stepOf(r, 5).ok, stepOf(r, 5).errno]).toEqual([true, null]);
  });

  it("a label-less region's namespaceR.0 without --force: ndctl refuses it as active", () => {
    // after a failed create (recorded: x86-612-l4-high step 3, with -f)
    const r = run(PMEM(`  - create-namespace: { device: pmem1, mode: fsdax, size: 4G }
  - destroy-namespace: { device: pmem1, force: false }
  - destroy-namespace: { device: pmem1, namespace: namespace1.0 }
`));
    expect(stepOf(r, 2).ok).toBe(false);
    expect(stepOf(r, 3).errno).toBe('EBUSY');
    expect(stepOf(r, 3).messages).toEqual(['  Error: namespace1.0 is active, specify --force for re-configuration', 'error destroying namespaces: Device or resource busy', 'destroyed 0 namespaces']);
    expect([stepOf(r, 4).ok, stepOf(r, 4).messages]).toEqual([true, ['destroyed 1 namespace']]);
  });

  it('hugepages with HVO while hot-added memory is online on the node asked: a note on what the figures cover', () => {
    const r = run(PMEM(`  - hot-add: { node: 1, start: 32G, size: 128M }
  - online: { start: 32G, size: 128M }
  - hugepages: { size: 2M, count: 4, node: 1 }
  - hugepages: { size: 2M, count: 4, node: 0 }
  - hugepages: { size: 2M, count: 8 }
`, 'hugetlb_free_vmemmap=on'));
    const note = (i: number) => stepOf(r, i).messages.filter((x) => x.startsWith('note: hot-added memory'));
    expect(note(4)).toEqual(['note: hot-added memory is online on node 1; the model counts every huge page in boot memory, so its HVO figures hold only for pages the allocator takes from there (in hot-added blocks the vmemmap freed is a buddy page: no MemTotal gain)']);
    expect(note(5)).toEqual([]);
    expect(note(6)).toEqual(['note: hot-added memory is online; the model counts every huge page in boot memory, so its HVO figures hold only for pages the allocator takes from there (in hot-added blocks the vmemmap freed is a buddy page: no MemTotal gain)']);
  });
});
