/**
 * npm run bench: the performance table of docs/performance.md (issue 11), from one run.
 *
 *   npm run bench                          # print the document
 *   npm run bench -- --out docs/performance.md
 *
 * Whole-process figures come from running the built command line (bin/vmemlab.js, so run
 * `npm run build` first) alternately with its comparison (A B A B ...), the ratio taken pair
 * by pair and the median quoted, so a machine whose speed drifts still gives a fair ratio.
 * In-process figures use node's own timer (performance.now) around library calls, after a
 * warm-up. Nothing here asserts: the numbers are for reading.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseScenario, renderJson, runScenario, runScenarioText } from '../src/index.js';
import { runReference } from '../test/reference/model.js';
import { hotplugScenario } from './scenarios.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/vmemlab.js`;
const outIdx = process.argv.indexOf('--out');
const outFile = outIdx > 0 ? process.argv[outIdx + 1] : undefined;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const log = (s: string) => process.stderr.write(s + '\n');

/** Wall milliseconds of one whole process. */
function wall(cmd: string[]): number {
  const t = performance.now();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0 && r.status !== 1) process.stderr.write(r.stderr);
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd.join(' ')}: exit ${r.status}`);
  return performance.now() - t;
}

/** A and B alternately `n` times after a warm-up: medians of each and of the pairwise ratio A/B. */
function paired(a: string[], b: string[], n: number): { a: number; b: number; ratio: number } {
  wall(a);
  wall(b);
  const as: number[] = [];
  const bs: number[] = [];
  const rs: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = wall(a);
    const y = wall(b);
    as.push(x);
    bs.push(y);
    rs.push(x / y);
  }
  return { a: median(as), b: median(bs), ratio: median(rs) };
}

/** Median in-process milliseconds of f over `reps` runs after one warm-up. */
function inproc(f: () => unknown, reps = 5): number {
  f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    f();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

const loadAtStart = loadavg().map((x) => x.toFixed(2)).join(' ');
const rows: string[][] = [];
const row = (what: string, figure: string, compare: string, ratio: string) => {
  rows.push([what, figure, compare, ratio]);
  log(`${what}: ${figure} | ${compare} | ${ratio}`);
};

// 1. start-up
const node = [process.execPath, '-e', '0'];
const su = paired([process.execPath, bin, 'run'], node, 21);
row('start-up: `vmemlab run` (built-in default) vs `node -e 0`', `${ms(su.a)} ms`, `${ms(su.b)} ms`, `${su.ratio.toFixed(2)}x`);
const help = paired([process.execPath, bin, '--help'], node, 21);
row('start-up: `vmemlab --help` vs `node -e 0`', `${ms(help.a)} ms`, `${ms(help.b)} ms`, `${help.ratio.toFixed(2)}x`);

// 2. memory size: the same shapes at 4 GiB and at 4 PiB
const shapes: Record<string, (ram: string, dev: string, hot: string) => string> = {
  'x86_64 5-level, 2 nodes, pmem --map=dev, hot-add/remove': (ram, dev, hot) => `
arch: x86_64
config: { levels: 5 }
nodes:
  - { id: 0, memory: [ { start: 0, size: ${ram} } ] }
  - { id: 1, memory: [ { start: ${ram}, size: ${ram} } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 1, start: 0x8000000000000, size: ${dev} }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - hot-add: { node: 0, start: 0xc000000000000, size: ${hot} }
  - hot-remove: { start: 0xc000000000000, size: ${hot} }
  - destroy-namespace: { device: pmem0 }
`,
  'arm64 64K/52, pmem --map=dev, hot-add/remove': (ram, dev, hot) => `
arch: arm64
config: { pageSize: 64K, vaBits: 52 }
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: ${ram} } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x8000000000000, size: ${dev} }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - hot-add: { node: 0, start: 0xc000000000000, size: ${hot} }
  - hot-remove: { start: 0xc000000000000, size: ${hot} }
`,
  'x86_64, memmap_on_memory, CXL kmem, devdax dedup, HugeTLB HVO': (ram, dev, hot) => `
arch: x86_64
config: { levels: 5 }
cmdline: memory_hotplug.memmap_on_memory=1 hugetlb_free_vmemmap=on hugepagesz=1G hugepages=1
nodes:
  - { id: 0, memory: [ { start: 0, size: ${ram} } ] }
  - { id: 1, memory: [] }
devices:
  - { name: cxl0, type: cxl, node: 1, start: 0x4000000000000, size: ${dev} }
  - { name: pmem0, type: nvdimm, node: 0, start: 0x8000000000000, size: ${dev} }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: devdax, map: mem, align: 2M }
  - hot-add: { node: 0, start: 0xc000000000000, size: ${hot} }
  - hugepages: { size: 2M, count: 100000 }
  - hot-remove: { start: 0xc000000000000, size: ${hot} }
  - reconfigure-device: { device: pmem0, mode: system-ram, memmapOnMemory: true }
  - reconfigure-device: { device: pmem0, mode: devdax, force: true }
  - destroy-namespace: { device: pmem0 }
`,
};
// the largest sizes each shape's steps all succeed with (arm64 64K/52: a 1 PiB hot-add is E2BIG)
const large: Record<string, [string, string, string, string]> = {
  'x86_64 5-level, 2 nodes, pmem --map=dev, hot-add/remove': ['1P', '1P', '1P', '4 PiB'],
  'arm64 64K/52, pmem --map=dev, hot-add/remove': ['1P', '1P', '512T', '2.5 PiB'],
  'x86_64, memmap_on_memory, CXL kmem, devdax dedup, HugeTLB HVO': ['1P', '1P', '1P', '4 PiB'],
};
const memRatios: number[] = [];
for (const [name, shape] of Object.entries(shapes)) {
  const [ram, dev, hot, label] = large[name]!;
  const failed = runScenarioText('bench', shape(ram, dev, hot)).results.filter((x) => !x.ok).map((x) => x.label);
  if (failed.length) log(`${name} at ${label}: failed steps ${failed.join('; ')}`);
  const small = inproc(() => renderJson(runScenarioText('bench', shape('2G', '2G', '2G'))));
  const big = inproc(() => renderJson(runScenarioText('bench', shape(ram, dev, hot))));
  row(`memory size: ${name}, ${label} vs 4-6 GiB of memory described (run + JSON, in-process)`, `${ms(big)} ms`, `${ms(small)} ms`, `${(big / small).toFixed(2)}x`);
  memRatios.push(big / small);
}

// 3. long scenarios: 10x the steps
const s1k = parseScenario('hp1k.yaml', hotplugScenario(500));
const s10k = parseScenario('hp10k.yaml', hotplugScenario(5000));
const t1k = inproc(() => runScenario(s1k), 3);
const t10k = inproc(() => runScenario(s10k), 3);
row('steps: 5,000 + 5,000 vs 500 + 500 hot-add/remove of 128 MiB (10,001 vs 1,001 steps, in-process)', `${ms(t10k)} ms`, `${ms(t1k)} ms`, `${(t10k / t1k).toFixed(2)}x`);
writeFileSync('/tmp/vmemlab-bench-1k.yaml', hotplugScenario(500));
writeFileSync('/tmp/vmemlab-bench-10k.yaml', hotplugScenario(5000));
const w = paired([process.execPath, bin, 'run', '/tmp/vmemlab-bench-10k.yaml'], [process.execPath, bin, 'run', '/tmp/vmemlab-bench-1k.yaml'], 5);
row('steps: the same as `vmemlab run` (whole process, text report)', `${ms(w.a)} ms`, `${ms(w.b)} ms`, `${w.ratio.toFixed(2)}x`);

// 4. fuzz: whole processes, as users run it (an in-process run from the TypeScript sources
// would time tsx's transform and a cold JIT as much as the model); --jobs N paired with --jobs 1
const fuzzCmd = (jobs: number) => [process.execPath, bin, 'fuzz', '--seed', '2026', '--events', '1000000', '--jobs', String(jobs), '--out', '/tmp/vmemlab-bench-fuzz'];
const fj = paired(fuzzCmd(availableParallelism()), fuzzCmd(1), 3);
row('fuzz: `npm run fuzz:long` (`vmemlab fuzz --seed 2026 --events 1000000`, one thread, whole process)', `${Math.round(1e9 / fj.b).toLocaleString('en-US')} events/s`, `${ms(fj.b)} ms`, '');
row(`fuzz: the same with --jobs ${availableParallelism()} vs --jobs 1 (whole process, paired)`, `${ms(fj.a)} ms`, `${ms(fj.b)} ms`, `${fj.ratio.toFixed(2)}x`);

// 5. fast model vs the per-entry reference, up to the largest size the reference runs in ~10 s
let lastRef: { size: string; ref: number; fast: number } | null = null;
for (const sz of ['1G', '4G', '16G', '64G', '256G', '1T']) {
  const sc = parseScenario('ref.yaml', `arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: ${sz} } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x100000000000, size: ${sz} }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - hot-add: { node: 0, start: 0x200000000000, size: ${sz} }
  - hot-remove: { start: 0x200000000000, size: ${sz} }
`);
  const t = performance.now();
  runReference(sc);
  const ref = performance.now() - t;
  const fast = inproc(() => runScenario(sc));
  lastRef = { size: sz, ref, fast };
  log(`reference ${sz}: ${ms(ref)} ms, fast ${ms(fast)} ms`);
  if (ref > 3000) break;
}
row(`fast model vs per-entry reference (test/reference/), ${lastRef!.size} RAM + ${lastRef!.size} pmem + ${lastRef!.size} hot-add/remove, in-process`, `${ms(lastRef!.fast)} ms`, `${ms(lastRef!.ref)} ms`, `${(lastRef!.ref / lastRef!.fast).toFixed(0)}x faster`);

// 6. the QEMU route: a committed conformance recording's own wall time vs vmemlab on its scenario
const kase = 'x86-612-fsdax-dev';
const rec = JSON.parse(readFileSync(`${root}conformance/cases/${kase}/recording.json`, 'utf8')) as { harness: { wallSeconds: number } };
const scen = `${root}conformance/cases/${kase}/scenario.yaml`;
const vm = paired([process.execPath, bin, 'run', scen], node, 11);
row(`QEMU route vs vmemlab, conformance case ${kase} (recorded harness wall time vs \`vmemlab run\` on its scenario)`, `${rec.harness.wallSeconds} s`, `${ms(vm.a)} ms`, `${Math.round((rec.harness.wallSeconds * 1000) / vm.a)}x`);

// the document
const cpu = existsSync('/proc/cpuinfo') ? /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown' : 'unknown';
const doc = `# Performance

Produced by one \`npm run bench -- --out docs/performance.md\` run (bench/run.ts) on:

- ${availableParallelism()} CPUs (nproc), ${cpu}
- Node ${process.version}, load average at the start ${loadAtStart} (a shared machine: read ratios, not absolute times)
- ${new Date().toISOString().slice(0, 10)}

Whole-process figures run the built command line (\`node bin/vmemlab.js\`) alternately with the
command compared (paired runs, medians of the times and of the pairwise ratios); in-process
figures time library calls with \`performance.now()\` after a warm-up.

| what | figure | compared with | ratio |
|---|---|---|---|
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

For comparison, issue 11's figures from before this work (same kind of machine, not re-measured
here): \`vmemlab run\` 4.1x a bare \`node -e 0\`, \`--help\` as much; 500 + 500 hot-add/remove 1.7 s and
5,000 + 5,000 46 s (41x for 10x the steps); fuzzing about 10,000 events/s; a 7.7 MB, 180,001-step
scenario 32 s, 1.4 GB, then a crash in the text report.

How the figures are kept:

- **Start-up**: the command line is bundled (scripts/bundle.mjs, esbuild) and split per command;
  \`run\` on the built-in default loads only the model (src/core.ts: the scenario is parsed at
  build time), \`--help\` only commander.
- **Memory size**: the model keeps ranges, never pages (design.md section 3): a PiB machine costs
  tens of milliseconds at most; the ratio to a 4 GiB one (here ${Math.min(...memRatios).toFixed(1)}-${Math.max(...memRatios).toFixed(1)}x, on figures of a few
  milliseconds) comes from more sections, page-table runs and HugeTLB pages to walk, not from
  bytes, and is what it was before this work.
- **Long scenarios**: after each step the invariants are checked over what the step touched and
  the report's per-step deltas come from running sums (src/check/invariants.ts checkTouched,
  src/kernel/state.ts Ledger); \`--paranoid\` checks the whole state after every step instead.
- **Fuzzing**: random scenarios are generated as complete objects (every key with a schema
  default written out; test/fuzz-complete.test.ts holds the generator to it), so a case skips
  both YAML and the schema pass and only the semantic checks run; text is made only for the
  reproducers written out. An optimistic run of the range engine opens a checkpoint that
  costs what the run changes: the interval maps keep an undo journal of their splices and only
  the small fields are copied (src/kernel/state.ts KState.checkpoint, src/util/interval.ts);
  runs of one or two iterations skip it; an abandoned run first runs its first iteration alone
  and is then split where an allocator said it runs out, or halved (src/kernel/engine.ts). An arch
  and its constants are built once per configuration and shared, frozen (src/arch/index.ts
  resolveArch, src/kernel/state.ts deriveConsts); fuzz machines format a kernel message's text
  only if something reads it (src/kernel/printk.ts); shrinking a failing case first drops every
  step after the failing one in one run (src/sim/fuzz.ts shrink).
  \`--jobs N\` runs cases on worker threads with the same result as one thread; each worker
  warms its JIT up on its own, the main thread still generates, counts and shrinks, and one
  thread already keeps a second CPU partly busy with garbage collection: on 2 CPUs --jobs 2 is
  slower than one thread (the row above); machines with more cores were not measured here.
  The default run draws machines from every arch of the profile. s390x standby memory, which
  sclp adds one memory block at a time (an add_memory() per block), runs as runs of identical
  blocks on the range engine (sclp_add_standby_memory; test/s390-standby-runs.test.ts holds it
  equal to the per-block loop), so its hot-adds cost per run, not per block.
- **The QEMU route** is the recorded harness wall time of the committed recording
  (conformance/cases/${kase}/recording.json, \`harness.wallSeconds\`: boot under TCG, ndctl,
  page-table walk), not re-measured here.
`;
if (outFile) writeFileSync(outFile, doc);
else process.stdout.write(doc);
