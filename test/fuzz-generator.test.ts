/**
 * The fuzzer's machine generator (src/sim/fuzz.ts randomScenario()) reaches everything it is
 * written to pick: every arch the profile runs and each of its configurations, every device
 * type, step kind, namespace mode and option, fault kind and command-line parameter. A choice
 * that silently fell out of the generator would leave that part of the model unfuzzed while
 * every fuzz run still passed.
 */
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../src/kernels/index.js';
import { fuzzArches, PPC_FUZZ_CONFIGS, prng, randomScenario } from '../src/sim/fuzz.js';

type Sc = { arch: string; config: Record<string, unknown>; nodes: { id: number; memory: { start: number; size: number }[]; used: number }[]; devices: Record<string, unknown>[]; steps: unknown[]; faults: { alloc: string; nth: number }[]; cmdline: string; kernel?: string };

const seen = new Map<string, number>();
const count = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
const has = (k: string) => seen.get(k) ?? 0;

describe('randomScenario() reaches every choice it makes', () => {
  const rnd = prng(20261206);
  const scs: Sc[] = [];
  for (let i = 0; i < 3000; i++) scs.push(randomScenario(rnd, { steps: 40 }) as Sc);

  it('every arch of the default profile, and each configuration of each', () => {
    for (const sc of scs) {
      count(`arch ${sc.arch}`);
      count(`config ${sc.arch} ${JSON.stringify(sc.config, Object.keys(sc.config).sort())}`);
    }
    for (const a of fuzzArches(PROFILES.find((p) => p.id === 'v6.18')!)) expect(has(`arch ${a}`), a).toBeGreaterThan(0);
    const configs = (a: string) => [...seen.keys()].filter((k) => k.startsWith(`config ${a} `)).length;
    // x86: 4 or 5 levels x PSE x hypervisor; riscv: its modes; s390: EDAT-1 on and off
    expect(configs('x86_64')).toBe(8);
    expect(configs('s390x')).toBe(2);
    expect(configs('riscv64')).toBeGreaterThanOrEqual(2);
    // arm64: the 8 granule / VA_BITS pairs (v6.18 allows them all); powerpc: its distinct configs
    expect(configs('arm64')).toBe(8);
    expect(configs('powerpc64')).toBe(new Set(PPC_FUZZ_CONFIGS.map((c) => JSON.stringify(c, Object.keys(c).sort()))).size);
    expect(configs('loongarch64')).toBe(4);
  });

  it('one to four nodes, one or two ranges each, every fill level', () => {
    for (const sc of scs) {
      count(`nodes ${sc.nodes.length}`);
      for (const n of sc.nodes) {
        count(`ranges ${n.memory.length}`);
        const total = n.memory.reduce((t, m) => t + m.size, 0);
        count(`used ${n.used === 0 ? 0 : n.used / total > 0.99 ? 'full' : n.used / total > 0.8 ? 'high' : 'half'}`);
        // used memory is whole pages, never more than the node has
        expect(n.used % 4096).toBe(0);
        expect(n.used).toBeLessThanOrEqual(total);
      }
    }
    for (const k of ['nodes 1', 'nodes 2', 'nodes 3', 'nodes 4', 'ranges 1', 'ranges 2', 'used 0', 'used half', 'used high', 'used full']) expect(has(k), k).toBeGreaterThan(0);
    expect(has('nodes 5')).toBe(0);
  });

  it('devices: every type, with and without labels, at aligned and unaligned starts, on every node', () => {
    for (const sc of scs) {
      count(`devices ${sc.devices.length}`);
      for (const d of sc.devices) {
        count(`type ${d.type as string}`);
        if (d.type === 'nvdimm') count(`labels ${String(d.labels)}`);
        count(`start ${((d.start as number) % 2 ** 30) / 2 ** 20}M`);
        if ((d.node as number) >= sc.nodes.length) count('device on a missing node');
        if (sc.arch === 's390x' && d.type !== 'nvdimm') count('s390 non-nvdimm');
      }
    }
    for (const k of ['devices 0', 'devices 3', 'type nvdimm', 'type hmem', 'type cxl', 'labels true', 'labels false', 'start 0M', 'start 2M', 'start 16M']) expect(has(k), k).toBeGreaterThan(0);
    expect(has('device on a missing node') + has('s390 non-nvdimm') + has('devices 4')).toBe(0);
  });

  it('every step kind with each of its options', () => {
    for (const sc of scs) {
      for (const st of sc.steps) {
        if (st === 'boot') { count('step boot'); continue; }
        const [kind, a] = Object.entries(st as Record<string, Record<string, unknown>>)[0]!;
        count(`step ${kind}`);
        if (kind === 'online') count(`online ${a.type as string}`);
        if (kind === 'hot-remove') count(`hot-remove offline=${String(a.offline)}`);
        if (kind === 'create-namespace') {
          count(`mode ${a.mode as string}`);
          count(`map ${String(a.map)}`);
          if (a.map && a.mode === 'raw') count('raw with a map');
          count(`size ${a.size === undefined ? 'default' : 'given'}`);
          if (a.align !== undefined) count(`align ${(a.align as number) >= 2 ** 20 ? (a.align as number) / 2 ** 20 + 'M' : 'page'}`);
        }
        if (kind === 'reconfigure-device') {
          count(`reconfigure ${a.mode as string} online=${a.online as string}`);
          count(`memmapOnMemory ${String(a.memmapOnMemory)}`);
          count(`force ${String(a.force)}`);
        }
        if (kind === 'destroy-namespace') count(`destroy force=${String(a.force)}`);
      }
    }
    for (const k of ['step boot', 'step hot-add', 'step hot-remove', 'step online', 'step offline', 'step create-namespace', 'step destroy-namespace', 'step reconfigure-device',
      'online online', 'online online_movable', 'online online_kernel', 'hot-remove offline=true', 'hot-remove offline=false',
      'mode fsdax', 'mode devdax', 'mode raw', 'map dev', 'map mem', 'map undefined', 'size default', 'size given', 'align page', 'align 2M', 'align 32M', 'align 512M', 'align 1024M',
      'reconfigure devdax online=movable', 'reconfigure system-ram online=movable', 'reconfigure system-ram online=normal', 'reconfigure system-ram online=none',
      'memmapOnMemory true', 'memmapOnMemory false', 'memmapOnMemory undefined', 'force true', 'force false', 'destroy force=true']) expect(has(k), k).toBeGreaterThan(0);
    expect(has('raw with a map')).toBe(0);
  });

  it('faults of every allocator, and every command-line parameter the generator sets', () => {
    for (const sc of scs) {
      for (const f of sc.faults) count(`fault ${f.alloc}`);
      count(`faults ${sc.faults.length}`);
      for (const p of sc.cmdline.split(' ').filter(Boolean)) count(`param ${p}`);
      count(`cmdline ${sc.cmdline === '' ? 'empty' : 'set'}`);
      if (sc.kernel !== undefined) count('kernel written without being asked');
    }
    for (const k of ['fault memblock', 'fault buddy', 'fault altmap', 'faults 0', 'faults 1', 'param memory_hotplug.memmap_on_memory=1', 'param memory_hotplug.memmap_on_memory=force',
      'param memhp_default_state=online', 'param memhp_default_state=online_movable', 'cmdline empty', 'cmdline set']) expect(has(k), k).toBeGreaterThan(0);
    expect(has('kernel written without being asked')).toBe(0);
    // asked for a kernel, it is written
    expect(randomScenario(prng(1), { steps: 3, kernel: 'v6.1' }).kernel).toBe('v6.1');
  });
});
