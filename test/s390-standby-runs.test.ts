/**
 * s390x standby memory (sclp_add_standby_memory, src/kernel/memory_hotplug.ts) runs the
 * per-block add_memory() calls of sclp as runs of identical blocks on the range engine. Each
 * scenario here runs twice - with that, and with the plain per-block loop below (what sclp
 * does: drivers/s390/char/sclp_cmd.c / sclp_mem.c, one add_memory() per block, the model
 * stopping at the first failure) swapped in - and the two must leave the same JSON report
 * (state, dmesg, iomem, memory blocks, errnos, checks) and the same kernel messages, every
 * repetition of a run written out.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Kernel } from '../src/kernel/state.js';
import type * as Hotplug from '../src/kernel/memory_hotplug.js';
import { renderMessage } from '../src/kernel/printk.js';
import { renderJson, runScenario, type RunResult } from '../src/core.js';
import { scenarioFromObject } from '../src/scenario/parse.js';
import { prng, randomScenario } from '../src/sim/fuzz.js';

const mode = vi.hoisted(() => ({ perBlock: false, blockCalls: 0 }));

vi.mock('../src/kernel/memory_hotplug.js', async (importOriginal) => {
  const h = await importOriginal<typeof Hotplug>();
  /** The reference: sclp's loop, one add_memory() per memory block. */
  const perBlock = (k: Kernel, nid: number, start: number, size: number): number => {
    const flags = { memmapOnMemory: h.sclpMemmapOnMemory(k) };
    const bs = k.boot.memoryBlockSize;
    if (start % bs !== 0 || size % bs !== 0 || size === 0) return h.add_memory(k, nid, start, size, flags);
    for (let a = start; a < start + size; a += bs) {
      mode.blockCalls++;
      const e = h.add_memory(k, nid, a, bs, flags);
      if (e) return e;
    }
    return 0;
  };
  return { ...h, sclp_add_standby_memory: (k: Kernel, nid: number, start: number, size: number) => (mode.perBlock ? perBlock : h.sclp_add_standby_memory)(k, nid, start, size) };
});

const M = 2 ** 20;
const G = 2 ** 30;
const KERNELS = ['v5.6', 'v5.9', 'v5.10', 'v5.15', 'v6.1', 'v6.6', 'v6.12', 'v6.18', 'v7.1'];

/** Every message line of every step, runs written out in full (the report caps a run at 4096 lines). */
function allLines(r: RunResult): string[] {
  return r.results.flatMap((s) => [`# step ${s.index}`, ...s.dmesg.flatMap((m) => renderMessage(m, Infinity).map((l) => `<${m.level}>${l}`))]);
}

/** Section activations in the trace: one per add_memory() and section run, fewer when blocks go as runs. */
function activations(r: RunResult): number {
  return r.machine.k.s.trace.filter((e) => e.t === 'section' && e.op === 'activate').length;
}

function both(obj: Record<string, unknown>): { batched: RunResult; perBlock: RunResult } {
  mode.perBlock = false;
  const batched = runScenario(scenarioFromObject('runs.json', structuredClone(obj)));
  mode.perBlock = true;
  try {
    return { batched, perBlock: runScenario(scenarioFromObject('runs.json', structuredClone(obj))) };
  } finally {
    mode.perBlock = false;
  }
}

/** The report without its dmesg lines (there a run of more than 4096 lines is summarised). */
function withoutDmesg(json: string): unknown {
  const o = JSON.parse(json) as { dmesg: unknown; steps: { dmesg: unknown }[] };
  o.dmesg = null;
  for (const s of o.steps) s.dmesg = null;
  return o;
}

/** Cases whose report summarised a run's messages where the per-block calls print them all. */
const capped = { n: 0 };

function expectSame(obj: Record<string, unknown>, what: string): { batched: RunResult; perBlock: RunResult } {
  const r = both(obj);
  expect(allLines(r.batched), what).toEqual(allLines(r.perBlock));
  const a = renderJson(r.batched);
  const b = renderJson(r.perBlock);
  if (a !== b) {
    // the one difference allowed: the report writes out at most 4096 lines of one message, and
    // the run's blocks print as one message where each per-block call prints its own
    capped.n++;
    expect(a, what).toContain('more repetitions of the same form omitted]');
    expect(withoutDmesg(a), what).toEqual(withoutDmesg(b));
  }
  return r;
}

/** A machine with 6 GiB of boot memory (s390x has one NUMA node) and the given steps. */
function machine(o: { kernel: string; edat1: boolean; rzm?: number; cmdline?: string; faults?: unknown[]; used?: number; steps: unknown[] }): Record<string, unknown> {
  return {
    arch: 's390x', kernel: o.kernel, config: { edat1: o.edat1, ...(o.rzm ? { rzm: o.rzm } : {}) },
    nodes: [
      { id: 0, memory: [{ start: 0, size: 6 * G }], used: Math.floor((o.used ?? 0) * 6 * G / 4096) * 4096 },
    ],
    devices: [], steps: ['boot', ...o.steps], cmdline: o.cmdline ?? '', faults: o.faults ?? [],
  };
}

const add = (start: number, size: number) => ({ 'hot-add': { node: 0, start, size } });

describe('s390x standby memory: runs of blocks leave what per-block add_memory() calls leave', () => {
  it('long hot-adds on every release, EDAT-1 on and off, memmap_on_memory and the online policies', () => {
    let fewer = 0;
    for (const kernel of KERNELS) {
      for (const edat1 of [true, false]) {
        for (const cmdline of ['', 'memory_hotplug.memmap_on_memory=1 memhp_default_state=online', 'memory_hotplug.memmap_on_memory=force memhp_default_state=online_movable', 'memhp_default_state=online_kernel']) {
          const steps = [
            add(16 * G, 40 * 256 * M),
            add(32 * G, 9 * 256 * M),
            // overlaps the first: the first block is busy (-EEXIST), nothing of it is added
            add(16 * G + 39 * 256 * M, 4 * 256 * M),
            // ends in a range already added: the blocks before it are added, then -EEXIST
            add(16 * G - 7 * 256 * M, 9 * 256 * M),
            // not a whole number of blocks: one add_memory() of the whole request
            add(40 * G, 64 * M),
            { offline: { start: 16 * G, size: 4 * 256 * M } },
            { 'hot-remove': { start: 16 * G + 8 * 256 * M, size: 8 * 256 * M } },
            add(16 * G + 8 * 256 * M, 12 * 256 * M),
          ];
          const r = expectSame(machine({ kernel, edat1, cmdline, steps }), `${kernel} edat1=${edat1} ${cmdline}`);
          if (activations(r.batched) < activations(r.perBlock)) fewer++;
        }
      }
    }
    // the batched path did run blocks as runs (fewer section activations than one per block)
    expect(fewer).toBeGreaterThan(KERNELS.length);
  });

  it('failures inside a run: injected allocation faults, exhausted memory, the pluggable range, big memory blocks', () => {
    for (const kernel of KERNELS) {
      for (const edat1 of [true, false]) {
        for (const cmdline of ['', 'memory_hotplug.memmap_on_memory=1', 'memhp_default_state=online']) {
          for (const fault of ['buddy', 'altmap', 'memblock'] as const) {
            for (const nth of [1, 7, 23, 61, 150]) {
              const steps = [add(16 * G, 30 * 256 * M), add(24 * G, 20 * 256 * M)];
              expectSame(machine({ kernel, edat1, cmdline, faults: [{ alloc: fault, nth }], steps }), `${kernel} edat1=${edat1} ${cmdline} ${fault}#${nth}`);
            }
          }
          // RAM almost full: nothing is left for the memmap (-ENOMEM); onlined blocks give
          // memory back between blocks
          for (const used of [0.97, 0.999, 0.99999]) {
            const steps = [add(16 * G, 64 * 256 * M), add(48 * G, 64 * 256 * M), add(80 * G, 64 * 256 * M)];
            expectSame(machine({ kernel, edat1, cmdline, used, steps }), `${kernel} edat1=${edat1} ${cmdline} used=${used}`);
          }
          // across the end of what can be mapped: VMEM_MAX_PHYS = vmemmap (0x3d080000000 up to v5.10,
          // -ERANGE from arch_add_memory(); 0x37200000000 from v5.15), max_mappable (512 GiB with
          // 6 GiB of RAM from v6.6, mhp_range_allowed())
          const limits = [512 * G, 0x37200000000, 0x3d080000000];
          expectSame(machine({ kernel, edat1, cmdline, steps: limits.map((l, i) => add(l - (5 + i) * 256 * M, 12 * 256 * M)) }), `${kernel} limit`);
          // sclp.rzm 1 GiB: memory blocks of four sections
          expectSame(machine({ kernel, edat1, cmdline, rzm: 1024, steps: [add(16 * G, 9 * G), add(8 * G, 9 * G)] }), `${kernel} rzm`);
        }
      }
    }
  });

  it('random s390x machines (the fuzzer\'s), with hot-adds up to 4x longer', () => {
    const rnd = prng(11);
    let n = 0;
    for (let i = 0; i < 240; i++) {
      const kernel = KERNELS[i % KERNELS.length]!;
      const obj = randomScenario(rnd, { arch: 's390x', kernel, steps: 12 });
      for (const st of obj.steps as Record<string, Record<string, number>>[]) {
        if (typeof st === 'object' && st['hot-add'] && rnd() < 0.5) st['hot-add'].size *= 1 + Math.floor(rnd() * 4);
      }
      expectSame(obj, `random case ${i} (${kernel})`);
      n++;
    }
    expect(n).toBe(240);
  });

  it('the reference is the per-block loop', () => {
    mode.blockCalls = 0;
    // v6.18: 128 MiB sections and memory blocks
    const r = both(machine({ kernel: 'v6.18', edat1: true, steps: [add(16 * G, 10 * 256 * M)] }));
    expect(r.batched.machine.k.boot.memoryBlockSize).toBe(128 * M);
    expect(mode.blockCalls).toBe(20);
    expect(r.batched.results[1]!.ok).toBe(true);
    expect(activations(r.batched)).toBeLessThan(activations(r.perBlock));
  });
});
