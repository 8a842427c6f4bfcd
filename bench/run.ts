/**
 * npm run bench: the cost of a run must grow with the number of memory ranges and events,
 * not with bytes of memory. Runs the same scenario shapes at 4 GiB, 4 TiB and 2 PiB and
 * prints the time per run and the ratio to the smallest. Wall-clock numbers on this machine;
 * the ratios are what matters.
 */
import { runScenarioText, renderJson } from '../src/index.js';

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
  'arm64 64K/52 (base pages), pmem --map=dev, hot-add/remove': (ram, dev, hot) => `
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
  'x86_64, memmap_on_memory hot-add, CXL kmem, devdax dedup, HugeTLB HVO': (ram, dev, hot) => `
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
  - destroy-namespace: { device: pmem0 }
`,
};
const sizes: [string, string, string, string][] = [
  ['4 GiB', '2G', '2G', '2G'],
  ['4 TiB', '2T', '2T', '2T'],
  ['2 PiB', '512T', '1P', '512T'],
];

function time(text: string): number {
  const reps = 5;
  runScenarioText('bench', text); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) renderJson(runScenarioText('bench', text));
  return Number(process.hrtime.bigint() - t0) / 1e6 / reps;
}

console.log('scenario'.padEnd(60), 'machine'.padEnd(8), 'ms/run'.padStart(8), 'x smallest'.padStart(11));
for (const [name, shape] of Object.entries(shapes)) {
  let base = 0;
  for (const [label, ram, dev, hot] of sizes) {
    const ms = time(shape(ram, dev, hot));
    if (!base) base = ms;
    console.log(name.padEnd(60), label.padEnd(8), ms.toFixed(1).padStart(8), (ms / base).toFixed(2).padStart(11));
  }
}
