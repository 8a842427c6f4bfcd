/** Fixtures shared by the test files (the model's setup_memblock()/reset equivalents). */
import { parseScenario } from '../src/scenario/parse.js';
import { createMachine, runStep, type Machine, type StepResult } from '../src/sim/machine.js';
import { runScenario, type RunResult } from '../src/index.js';

/** Parse a scenario given as YAML text. */
export function scenario(yaml: string) {
  return parseScenario('test.yaml', yaml);
}

/** Build and boot a machine from YAML (its steps are not run). */
export function setup_machine(yaml: string): Machine {
  const sc = scenario(yaml);
  const m = createMachine(sc);
  runStep(m, { kind: 'boot', args: {}, index: 1, line: 1 }, []);
  return m;
}

/** Run a whole scenario. */
export function run(yaml: string): RunResult {
  return runScenario(scenario(yaml));
}

export function stepOf(r: RunResult, index: number): StepResult {
  return r.results.find((x) => x.index === index)!;
}

/** Every line the model's kernel logged, repetitions of a run written out (no level, no step). */
export function logLines(r: RunResult): string[] {
  const out: string[] = [];
  for (const m of r.machine.k.s.log) for (let i = 0; i < (m.run?.count ?? 1); i++) out.push(...(i === 0 ? m.text : m.run!.nth(i)).replace(/\n$/, '').split('\n'));
  return out;
}

export function dmesgText(r: RunResult): string[] {
  return r.report.dmesg;
}

export const x86 = (extra = '') => `
arch: x86_64
${extra}
nodes:
  - id: 0
    memory: [ { start: 0, size: 4G } ]
`;

/** An x86_64 (or opts.arch) machine with 8 GiB of RAM on one node, a kernel command line and steps after boot (the HugeTLB tests). */
export const hugetlbBox = (kernel: string, cmdline: string, steps = '', opts: { arch?: string; config?: string; nodes?: string } = {}) => `
arch: ${opts.arch ?? 'x86_64'}
${opts.config ?? ''}
kernel: ${kernel}
cmdline: "${cmdline}"
nodes:
${opts.nodes ?? `  - { id: 0, memory: [ { start: ${opts.arch === 'arm64' ? '1G' : '0'}, size: 8G } ] }`}
steps:
  - boot
${steps}
`;

/**
 * The real 6.12.118 arm64 64K guest of the conformance notes (section 10): RAM 2 GiB at 1 GiB
 * plus the EFI flash at 64 MiB, a labelled 256 MiB NVDIMM region at 3 GiB; `steps` follow boot.
 */
export const arm64Guest64K = (steps: string, kernel = 'v6.12') => `
arch: arm64
kernel: ${kernel}
cmdline: memhp_default_state=offline
config: { pageSize: 64K, vaBits: 48 }
nodes:
  - id: 0
    memory: [ { start: 0x4000000, size: 0x4000000 }, { start: 0x40000000, size: 0x80000000 } ]
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0xc0000000, size: 256M, labels: true }
steps:
  - boot
${steps}`;

/**
 * Two label-less 16 MiB NVDIMM regions, pmem0 at 64 GiB + 8 MiB and pmem1 at 64 GiB + 24 MiB:
 * on powerpc64 (16 MiB sections) they share section 64 GiB + 16 MiB, pmem0's namespace taking
 * its first half and pmem1's its second. As a YAML flow list for `devices:`.
 */
export const PPC_SHARED_SECTION_REGIONS = '[ { name: pmem0, type: nvdimm, node: 0, start: 0x1000800000, size: 16M, labels: false }, { name: pmem1, type: nvdimm, node: 0, start: 0x1001800000, size: 16M, labels: false } ]';

/**
 * A powerpc64 machine with 2 GiB of RAM at 0 on node 0 (radix 64K unless `config` says
 * otherwise), more `nodes` lines, `devices` (flow-list items), and the steps after boot.
 */
export const ppcBox = (o: { kernel: string; config?: string; devices?: string; faults?: string; nodes?: string; cmdline?: string; steps?: string }) => `
arch: powerpc64
kernel: ${o.kernel}
config: ${o.config ?? '{ mmu: radix, pageSize: 64K }'}
${o.cmdline ? `cmdline: ${o.cmdline}` : ''}
${o.faults ? `faults: ${o.faults}` : ''}
nodes:
  - { id: 0, memory: [ { start: 0, size: 2G } ] }
${o.nodes ?? ''}
devices: [ ${o.devices ?? ''} ]
steps:
  - boot
${o.steps ?? ''}`;

/** A powerpc64 machine of `config` with 2 GiB of RAM, PPC_SHARED_SECTION_REGIONS, and pmem0's then pmem1's namespace. */
export const ppcSharedSection = (o: { kernel: string; config: string; mode1?: string; map1?: string }) => `
arch: powerpc64
kernel: ${o.kernel}
config: ${o.config}
nodes: [ { id: 0, memory: [ { start: 0, size: 2G } ] } ]
devices: ${PPC_SHARED_SECTION_REGIONS}
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax, map: mem }
  - create-namespace: { device: pmem1, mode: ${o.mode1 ?? 'devdax'}, map: ${o.map1 ?? 'mem'} }
`;
