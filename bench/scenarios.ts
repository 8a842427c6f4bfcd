/**
 * Generated scenarios shared by `npm run bench` and the tests: long hot-add/remove sequences
 * and a scenario near the 8 MiB input limit.
 */

/** `adds` hot-adds of 128 MiB blocks on an x86_64 box, then as many hot-removes. */
export function hotplugScenario(adds: number): string {
  const base = 0x100000000000; // 16 TiB: far above boot RAM
  const lines = [
    'arch: x86_64',
    'nodes:',
    '  - { id: 0, memory: [ { start: 0, size: 4G } ] }',
    '  - { id: 1, memory: [ { start: 0x100000000, size: 4G } ] }',
    'steps:',
    '  - boot',
  ];
  const blk = 128 * 2 ** 20;
  for (let i = 0; i < adds; i++) lines.push(`  - hot-add: { node: ${i % 2}, start: 0x${(base + i * blk).toString(16)}, size: 128M }`);
  for (let i = 0; i < adds; i++) lines.push(`  - hot-remove: { start: 0x${(base + i * blk).toString(16)}, size: 128M }`);
  return lines.join('\n') + '\n';
}

/**
 * A scenario of `steps` steps, just under the 8 MiB input limit for 180,000: rounds of hot-add
 * (256 MiB), offline and online of its first block, and hot-remove of the block added 500
 * rounds before (so about 500 blocks stay live), after a pmem namespace is created.
 */
export function hugeScenario(steps = 180_000): string {
  const lines = [
    'arch: x86_64',
    'config: { levels: 5 }',
    'cmdline: memhp_default_state=online',
    'nodes:',
    '  - { id: 0, memory: [ { start: 0, size: 8G } ] }',
    '  - { id: 1, memory: [ { start: 8G, size: 8G } ] }',
    'devices:',
    '  - { name: pmem0, type: nvdimm, node: 1, start: 0x8000000000000, size: 64G }',
    'steps:',
    '  - boot',
    '  - create-namespace: {device: pmem0, mode: fsdax, map: dev}',
  ];
  const slot = (i: number) => `${128 + (i % 1000)}G`;
  let n = 2;
  for (let i = 0; n < steps; i++) {
    const s = [
      `  - hot-add: {node: ${i % 2}, start: ${slot(i)}, size: 256M}`,
      `  - offline: {start: ${slot(i)}, size: 128M}`,
      `  - online: {start: ${slot(i)}, size: 128M}`,
    ];
    if (i >= 500) s.push(`  - hot-remove: {start: ${slot(i - 500)}, size: 256M}`);
    const take = Math.min(s.length, steps - n);
    for (let j = 0; j < take; j++) lines.push(s[j]!);
    n += take;
  }
  return lines.join('\n') + '\n';
}
