/**
 * `vmemlab run --trace`: each step's kernel-level events (design.md section 6). The values are
 * derived by hand from the scenarios and the kernel's rules, not read back from a run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultScenario, parseScenario, renderJson, renderTrace, runScenario } from '../src/index.js';

const bin = new URL('../bin/vmemlab.js', import.meta.url).pathname;
const stepOf = (text: string, n: number) => text.split(/^# step /m).find((b) => b.startsWith(`${n}:`))!.split('\n').slice(1).filter(Boolean);

describe('run --trace', () => {
  it('the default scenario: boot tables from memblock, the fsdax namespace from its altmap', () => {
    const t = renderTrace(runScenario(defaultScenario()));
    const boot = stepOf(t, 1);
    // x86_64 4-level: VMEMMAP_START 0xffffea0000000000; a PUD table covers 512 GiB of vmemmap
    // (512 x 1 GiB entries), a PMD table 1 GiB (512 x 2 MiB); boot allocates both from memblock
    expect(boot).toContain('table alloc: 1 pud table for 0xffffea0000000000-0xffffea8000000000 (node 0, memblock)');
    expect(boot).toContain('table alloc: 1 pmd table for 0xffffea0000000000-0xffffea0040000000 (node 0, memblock)');
    expect(boot.filter((l) => l.startsWith('section early:'))).toHaveLength(2);
    const ns = stepOf(t, 2);
    // pmem0: 16 GiB at 64 GiB (pfn 0x1000000) on node 1. Its memmap, 16 GiB / 4 KiB x 64 B =
    // 256 MiB, is 128 PMD blocks of 512 pfns from the altmap; the altmap starts at the
    // namespace's base pfn with the 8 KiB info block reserved (2 pfns), so the first 2 MiB-
    // aligned pfn is base + 0x200 after 510 pfns of alignment. Its struct pages sit at
    // 0xffffea0000000000 + 0x1000000 x 64 = 0xffffea0040000000, in a second 1 GiB PMD table
    // allocated after boot (buddy) on the namespace's node.
    expect(ns).toEqual([
      'vmemmap_populate 0xffffea0040000000-0xffffea0050000000 (256 MiB, 128 call(s), altmap namespace0.0, node 1): hugepages: whole sections with PSE: PMD-sized blocks from the altmap (vmemmap_populate_hugepages)',
      'table alloc: 1 pmd table for 0xffffea0040000000-0xffffea0080000000 (node 1, buddy)',
      'altmap namespace0.0 alloc: 128 x 512 pfns from pfn 0x1000200 after 510 pfns of alignment',
      'map pmd: 0xffffea0040000000-0xffffea0050000000 (256 MiB) -> altmap namespace0.0 from pfn 0x1000200',
      'section activate: pfn 0x1000000, 4194304 pages, node 1',
    ]);
  });

  it('hot-remove: leaves unmapped, the emptied PMD table freed, the sections deactivated', () => {
    const sc = parseScenario('t.yaml', `arch: x86_64
cmdline: memhp_default_state=online_movable
nodes:
  - { id: 0, memory: [ { start: 0, size: 16G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 64G, size: 2G }
  - hot-remove: { start: 64G, size: 2G }
`);
    const t = renderTrace(runScenario(sc));
    // 2 GiB at 64 GiB: 16 sections, memmap 2 GiB / 64 = 32 MiB at 0xffffea0040000000 in
    // 16 PMD blocks from node 0's page allocator (the new memory is offline when populated)
    const add = stepOf(t, 2);
    expect(add).toContain('table alloc: 1 pmd table for 0xffffea0040000000-0xffffea0080000000 (node 0, buddy)');
    expect(add).toContain('map pmd: 0xffffea0040000000-0xffffea0042000000 (32 MiB) -> node 0 RAM (buddy)');
    expect(add).toContain('section activate: pfn 0x1000000, 524288 pages, node 0');
    const rm = stepOf(t, 3);
    expect(rm).toContain('unmap pmd: 0xffffea0040000000-0xffffea0042000000 (32 MiB), was node 0 RAM (buddy)');
    // the PMD table held only this range's entries: x86 free_pmd_table() frees it; the PUD table stays (boot's memmap uses it)
    expect(rm).toContain('table free: 1 pmd table for 0xffffea0040000000-0xffffea0080000000');
    expect(rm.filter((l) => l.startsWith('table free:'))).toHaveLength(1);
    expect(rm).toContain('section deactivate: pfn 0x1000000, 524288 pages, node 0');
  });

  it('a failed step shows its errno; --json --trace gives the events per step, hex addresses', () => {
    const sc = parseScenario('t.yaml', `arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 2G, size: 128M }
`);
    const r = runScenario(sc);
    // add_memory() over boot RAM: register_memory_resource() finds the range busy: -EEXIST
    expect(stepOf(renderTrace(r), 2)).toEqual(['errno: hot-add failed with EEXIST']);
    const j = JSON.parse(renderJson(r, { trace: true }));
    expect(j.steps[1].trace).toEqual([{ t: 'errno', site: 'hot-add', errno: -17, name: 'EEXIST' }]);
    const boot = j.steps[0].trace as { t: string; va?: string; level?: string; b?: Record<string, unknown> }[];
    expect(boot.find((e) => e.t === 'map')).toEqual({ t: 'map', level: 'pmd', va: '0xffffea0000000000', size: 64 * 2 ** 20, b: { kind: 'ram', node: 0, src: 'sparsebuf' } });
    // without --trace the report has no trace
    expect(JSON.parse(renderJson(r)).steps[0].trace).toBeUndefined();
  });

  it('a kernel anomaly is a note in the trace, where the free path does it', () => {
    const sc = parseScenario('r.yaml', readFileSync(new URL('./regressions/arm64-64k-shared-memmap-page-reverse-teardown.yaml', import.meta.url), 'utf8'));
    const t = renderTrace(runScenario(sc));
    // arm64 64K: region at 0xc0000000 = pfn 0xc000; namespace0.0 is 48 MiB (pfns 0xc000-0xc2ff),
    // namespace0.1 16 MiB from pfn 0xc300. One 64 KiB memmap page holds 1024 struct pages of
    // 64 B: pfns 0xc000-0xc3ff, both namespaces' (namespace0.0 allocated it from its altmap,
    // at pfn 0xc001 after its one reserved pfn). Destroying namespace0.1 unmaps that whole page
    // (unmap_hotplug_pte_range) and gives it to namespace0.1's altmap (vmem_altmap_free)
    expect(stepOf(t, 4)).toEqual([
      'unmap pte: 0xffffffdfc0300000-0xffffffdfc0310000 (64 KiB), was altmap namespace0.0 from pfn 0xc001',
      'altmap namespace0.1 free: 1 pfns',
      'note: arch/arm64/mm/mmu.c:vmemmap_free: a block of altmap namespace0.0 at ffffffdfc0300000 was charged to altmap namespace0.1',
      'section deactivate: pfn 0xc300, 256 pages, node 0',
    ]);
  });

  it('the command line: --trace alone, and with --json', () => {
    const a = spawnSync(process.execPath, [bin, 'run', '--trace'], { encoding: 'utf8' });
    expect(a.status).toBe(0);
    expect(a.stdout.split('\n')[0]).toBe('# step 1: boot');
    expect(a.stdout).toContain('altmap namespace0.0 alloc: 128 x 512 pfns from pfn 0x1000200 after 510 pfns of alignment');
    const b = spawnSync(process.execPath, [bin, 'run', '--json', '--trace'], { encoding: 'utf8' });
    expect(b.status).toBe(0);
    expect(JSON.parse(b.stdout).steps[1].trace.find((e: { t: string }) => e.t === 'altmap-alloc')).toEqual({ t: 'altmap-alloc', id: 'namespace0.0', pfn: '0x1000200', nr: 512, count: 128, align: 510 });
  });
});
