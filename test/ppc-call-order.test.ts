/**
 * powerpc64's __vmemmap_populate() (arch/powerpc/mm/init_64.c; vmemmap_populate() before v6.6)
 * prints a "vmemmap_populate" line per call and, after it, the lines of each block that call
 * finds unpopulated. The model populates a batch of section calls at once and puts those lines
 * back in the kernel's order afterwards (sparse-vmemmap.ts placeCallLines()/kernelOrder()); fuzz's
 * lean machines (Kernel.lazyText) do it only when the log is read. These pin that order, with the
 * derivation of every line, and the dmesg marks on what the model cannot know (the "%p" of
 * "allocated at"). They came from the survivors of the Stryker run over that code
 * (docs/research/mutation-sparse-vmemmap-ppc-order.md).
 */
import { describe, expect, it } from 'vitest';
import { withoutBatching } from '../src/kernel/engine.js';
import { renderMessage } from '../src/kernel/printk.js';
import { ppc_list_blocks } from '../src/kernel/sparse-vmemmap.js';
import { sparse_add_section } from '../src/kernel/sparse.js';
import { pfnToOff } from '../src/kernel/state.js';
import { dmesgLines } from '../src/report/dmesg.js';
import { createMachine, runStep, type StepResult } from '../src/sim/machine.js';
import { ppcBox as ppc, run, scenario, setup_machine } from './helpers.js';

const MARK = '    # vmemlab: a value here is unknown to the model';

const HASH64K = '{ mmu: hash, pageSize: 64K, hash16M: false }';
const HASH4K = '{ mmu: hash, pageSize: 4K, hash16M: false }';

/** `--dmesg` of step n, without its header (subsection_map_init's lines left out). */
const dmesgOf = (results: StepResult[], n: number) => dmesgLines(results.filter((r) => r.index === n)).slice(1).filter((l) => !l.includes('subsection_map_init'));

describe('a batch of section calls, in kernel order', () => {
  /*
   * hash 64K, v6.12: VMEMMAP_START 0xc00c000000000000 (64K hash), 64 bytes a struct page;
   * mmu_vmemmap_psize 64K without 16M pages: one block = 1024 struct pages = 64 MiB of RAM.
   * Hot-add 256 MiB at 4 GiB: pfn 0x10000.., memmap offset 0x10000 x 64 = 0x400000; 16 section
   * calls (16 MiB = 256 pfns = 16 KiB of memmap each), 4 blocks. Call i prints
   * "vmemmap_populate <start aligned down to 64K>..<its end>, node 0"; block j is unpopulated
   * for call 4j (the first whose range reaches it) and populated for the three after it.
   */
  const sc = ppc({ kernel: 'v6.12', config: HASH64K, steps: '  - hot-add: { node: 0, start: 0x100000000, size: 256M }\n' });
  const call = (i: number) => {
    const s = 0x400000 + i * 0x4000;
    return `<7>vmemmap_populate c00c${(s - (s % 0x10000)).toString(16).padStart(12, '0')}..c00c${(s + 0x4000).toString(16).padStart(12, '0')}, node 0`;
  };
  const block = (j: number) => `<7>      * c00c${(0x400000 + j * 0x10000).toString(16).padStart(12, '0')}..c00c${(0x410000 + j * 0x10000).toString(16).padStart(12, '0')} allocated at (unknown)${MARK}`;

  it('hash 64K, 256 MiB hot-add: each block right after the call that reaches it first; only "allocated at" lines marked', () => {
    const r = run(sc);
    const want: string[] = [];
    for (let i = 0; i < 16; i++) {
      want.push(call(i));
      if (i % 4 === 0) want.push(block(i / 4));
    }
    const got = dmesgOf(r.results, 2);
    // spelled out once, the rest by the rule above
    expect(got.slice(0, 3)).toEqual([
      '<7>vmemmap_populate c00c000000400000..c00c000000404000, node 0',
      `<7>      * c00c000000400000..c00c000000410000 allocated at (unknown)${MARK}`,
      '<7>vmemmap_populate c00c000000400000..c00c000000408000, node 0',
    ]);
    expect(got).toEqual(want);
    // one call at a time (no batch) prints the same
    expect(withoutBatching(() => dmesgOf(run(sc).results, 2))).toEqual(want);
  });

  /*
   * A block already populated inside the range, built by hand: the section at pfn 0x10400 (the
   * first of block 1's four) added on its own first, so its sub-sections are valid and block 1
   * mapped. The kernel never meets this (a section inside a range being added is not there
   * yet: __add_pages() would stop at it with -EEXIST); it tests the ordering with two runs of
   * blocks in one batch: vmemmap_populated() skips block 1, so calls 4..7 print only their
   * own lines, and blocks 2 and 3 follow calls 8 and 12 as before.
   */
  it('a block already populated in the middle of the range: its calls print only their lines', () => {
    const { k } = setup_machine(ppc({ kernel: 'v6.12', config: HASH64K }));
    expect(sparse_add_section(k, 0, 0x10400, 256, null)).toBe(0);
    const a = pfnToOff(k, 0x10000);
    const bs = 0x10000;
    expect(k.s.leaves.coverage(a + bs, a + 2 * bs)).toBe(bs);
    const from = k.s.log.length;
    expect(ppc_list_blocks(k, a, a + 4 * bs, 0, null, bs, false, 0x4000)).toBe(0);
    const got = k.s.log.slice(from).flatMap((m) => renderMessage(m, 1e6).map((l) => `<${m.level}>${l}${m.approx && (!m.approxLine || m.approxLine(l)) ? MARK : ''}`));
    const want: string[] = [];
    for (let i = 0; i < 16; i++) {
      want.push(call(i));
      if (i % 4 === 0 && i !== 4) want.push(block(i / 4));
    }
    expect(got).toEqual(want);
    expect(k.s.leaves.coverage(a, a + 4 * bs)).toBe(4 * bs);
    expect(k.s.anomalies).toEqual([]);
  });

  /*
   * A block below the call's start that cannot be had. fsdax --map=mem over a label-less 32 MiB
   * region at 64 GiB + 16 MiB: the first section call is pfn 0x100100.., memmap offset
   * 0x100100 x 64 = 0x4004000, aligned down to the block 0x4000000, end 0x4008000. Its block
   * starts below the call (the struct pages of 64 GiB..+16 MiB share it), and its RAM (the
   * step's first page allocation, failed by the fault) is not there: vmemmap_alloc_block()'s
   * warn_alloc() comes after the call's line, then the populate fails (-ENOMEM).
   */
  it('a block below the call\'s start whose allocation fails: the call\'s line, then the warning', () => {
    const r = run(ppc({
      kernel: 'v6.12', config: HASH64K, faults: '[ { alloc: buddy, nth: 1 } ]',
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1001000000, size: 32M, labels: false }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: mem }\n',
    }));
    expect(r.results.map((x) => x.errno)).toEqual([null, 'ENOMEM']);
    expect(dmesgOf(r.results, 2).slice(0, 2)).toEqual([
      '<7>vmemmap_populate c00c000004000000..c00c000004008000, node 0',
      `<4><comm>: vmemmap alloc failure: order:0, mode:0x4cc0(GFP_KERNEL|__GFP_RETRY_MAYFAIL), nodemask=(null)${MARK}`,
    ]);
  });
});

describe('v5.6: a vmemmap_list failure\'s WARNs among the blocks', () => {
  /*
   * The machine of sparse-vmemmap-paths3's "the pr_debug keeps its place": hash 4K, a 1 GiB
   * fsdax --map=dev namespace at 64 GiB, block 139's altmap allocation failed (injected) and its
   * list page too. The block's lines (the pr_debug, the warning, the two WARNs, its "allocated
   * at", which keeps its mark) come right after block 138's "allocated at", never before it.
   * Counting from 1 as the fault does, block n starts (n - 1) x 4 KiB after the memmap's
   * 0xc000300040000000 (pfn 0x1000000 x 64 = 0x40000000 at the v5.6 hash 4K vmemmap
   * 0xc000300000000000): block 138 at 0xc000300040089000, block 139 at 0xc00030004008a000.
   */
  const sc = ppc({
    kernel: 'v5.6', config: HASH4K, faults: '[ { alloc: altmap, nth: 139 }, { alloc: buddy, nth: 2 } ]',
    devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 1G }',
    steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
  });
  it('block 139\'s lines right after block 138\'s, its "allocated at" marked', () => {
    const got = dmesgOf(run(sc).results, 2);
    const w = got.indexOf('<7>altmap block allocation failed, falling back to system memory');
    expect(got.slice(w - 2, w + 1)).toEqual([
      '<7>altmap_alloc_block_buf: pfn: 0x100008b alloc: 138 align: 0 nr: 0x1',
      `<7>      * c000300040089000..c00030004008a000 allocated at (unknown)${MARK}`,
      '<7>altmap block allocation failed, falling back to system memory',
    ]);
    expect(got[w + 6]).toBe(`<7>      * c00030004008a000..c00030004008b000 allocated at (unknown)${MARK}`);
  });
});

describe('lean machines (fuzz: Kernel.lazyText) read the dmesg a normal run prints', () => {
  /** --dmesg of a machine run with lean true or false (lean runs have no step labels: headers left out). */
  const dmesg = (yaml: string, lean: boolean) => {
    const sc = scenario(yaml);
    const m = createMachine(sc, { lean });
    expect(m.k.lazyText).toBe(lean);
    const results: StepResult[] = [];
    for (const st of sc.steps) results.push(runStep(m, st, results));
    return dmesgLines(results).filter((l) => !l.startsWith('# step'));
  };
  it.each([
    ['hash 64K, 16 section calls sharing 4 blocks', ppc({ kernel: 'v6.12', config: HASH64K, steps: '  - hot-add: { node: 0, start: 0x100000000, size: 256M }\n' })],
    // the step's first block fails: a call whose only lines are the warning (another level)
    ['hash 4K, the first block\'s RAM fails', ppc({ kernel: 'v6.12', config: HASH4K, faults: '[ { alloc: buddy, nth: 1 } ]', steps: '  - hot-add: { node: 0, start: 0x80000000, size: 256M }\n' })],
    // WARNs (another level) among the debug lines of the same call
    ['v5.6 hash 4K, a vmemmap_list failure\'s WARNs', ppc({
      kernel: 'v5.6', config: HASH4K, faults: '[ { alloc: altmap, nth: 139 }, { alloc: buddy, nth: 2 } ]',
      devices: '{ name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: 1G }',
      steps: '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }\n',
    })],
  ])('%s', (_, yaml) => {
    const eager = dmesg(yaml, false);
    expect(eager.some((l) => l.includes(' allocated at ') || l.includes('vmemmap alloc failure'))).toBe(true);
    expect(dmesg(yaml, true)).toEqual(eager);
  });
});
