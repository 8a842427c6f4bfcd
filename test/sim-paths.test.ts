/**
 * src/sim: what the machine says about each step (labels, outcomes), the `expect` step's
 * failure messages, and a few front-end paths the first Stryker run over src/sim found no
 * library-level test for (the CLI tests, which Stryker leaves out, printed some of them).
 */
import { describe, expect, it } from 'vitest';
import { checkExpect } from '../src/sim/expect.js';
import { stepOutcome, type StepResult } from '../src/sim/machine.js';
import { run, stepOf } from './helpers.js';

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
