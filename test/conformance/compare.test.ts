/**
 * The comparison itself: it must see a change in any compared fact (so "no differences" in
 * recordings.test.ts means something), and it must use the recorded kernel's profile.
 */
import { describe, expect, it } from 'vitest';
import { compareRecording, isKnown, oopsOf, parseKnown, triage } from '../../conformance/compare.js';
import { loadCases } from '../../conformance/cases.js';
import { profileForRelease } from '../../conformance/kernels.js';
import type { Recording } from '../../conformance/recording.js';

const base = loadCases().find((c) => c.name === 'x86-612-fsdax-dev')!;

function mutated(f: (r: Recording) => void): string[] {
  const r = structuredClone(base.recording!) as Recording;
  f(r);
  return compareRecording(r, base.scenarioText).differences.map((d) => `${d.step} ${d.id}`);
}

describe('conformance comparison: oopses and WARNs (arm64 64K, labelled region)', () => {
  const get = (name: string) => loadCases().find((c) => c.name === name)!;
  const ids = (c: ReturnType<typeof get>, f: (r: Recording) => void) => {
    const r = structuredClone(c.recording!) as Recording;
    f(r);
    return compareRecording(r, c.scenarioText).differences.map((d) => `${d.step} ${d.id}: ${d.kernel} | ${d.model}`);
  };
  it('oopsOf: the struct page (64 bytes) and the function without clone suffixes', () => {
    // the 6.12.118 64K kernel's oops creating the 32M namespace: gcc stored _refcount (+0x34) first
    expect(oopsOf(['Unable to handle kernel paging request at virtual address fffffc1fc0310034', 'Mem abort info:', 'pc : __init_zone_device_page.constprop.0+0x4/0x5c', 'lr : memmap_init_zone_device+0x114/0x200'])).toEqual({
      va: 'fffffc1fc0310034', structPage: 'fffffc1fc0310000', fn: '__init_zone_device_page', key: 'struct page fffffc1fc0310000 in __init_zone_device_page' });
    // x86's first line and RIP line; a pc line before any fault (a WARN's) is not an oops's
    expect(oopsOf(['pc : memunmap_pages+0x2d8/0x300', 'BUG: unable to handle page fault for address: ffffea0004000040', 'RIP: 0010:memunmap_pages.isra.0+0x10/0x300'])!.key).toBe('struct page ffffea0004000040 in memunmap_pages');
    expect(oopsOf(['WARNING: CPU: 0 PID: 200 at mm/memremap.c:153 memunmap_pages+0x2d8/0x300', 'pc : memunmap_pages+0x2d8/0x300'])).toBeNull();
  });
  it('the three shared-memmap-page recordings hold the oops/WARN the model predicts, and agree', () => {
    const c32 = get('arm64-64k-shared-32m');
    expect(oopsOf(c32.recording!.steps.find((s) => s.index === 3)!.dmesg.other)!.key).toBe('struct page fffffc1fc0310000 in __init_zone_device_page');
    expect(ids(c32, () => {})).toEqual([]);
    const rev = get('arm64-64k-shared-16m-reverse');
    expect(rev.recording!.steps.find((s) => s.index === 4)!.dmesg.other).toContain('failed to free all reserved pages');
    expect(ids(rev, () => {})).toEqual([]);
  });
  it('sees an oops at another struct page, a missing oops, and a missing WARN', () => {
    const c = get('arm64-64k-shared-16m');
    const step5 = (r: Recording) => r.steps.find((s) => s.index === 5)!;
    // one struct page further (+0x40): pfn 0xc321 instead of 0xc320
    expect(ids(c, (r) => { step5(r).dmesg.other = step5(r).dmesg.other.map((l) => l.replace('fffffc1fc030c800', 'fffffc1fc030c840')); }))
      .toEqual(['5 kernel/oops: struct page fffffc1fc030c840 in memunmap_pages | struct page fffffc1fc030c800 in memunmap_pages']);
    // another byte of the same struct page is the same oops
    expect(ids(c, (r) => { step5(r).dmesg.other = step5(r).dmesg.other.map((l) => l.replace('fffffc1fc030c800', 'fffffc1fc030c834')); })).toEqual([]);
    expect(ids(c, (r) => { step5(r).dmesg.other = step5(r).dmesg.other.filter((l) => !l.startsWith('Unable to handle')); }))
      .toEqual(['5 kernel/oops: none | struct page fffffc1fc030c800 in memunmap_pages']);
    const rev = get('arm64-64k-shared-16m-reverse');
    expect(ids(rev, (r) => { const s = r.steps.find((x) => x.index === 4)!; s.dmesg.other = s.dmesg.other.filter((l) => !/failed to free/.test(l)); }))
      .toEqual(['4 kernel/warn-altmap: 0 "failed to free all reserved pages" | 1 "failed to free all reserved pages"']);
  });
  it('namespaces are compared unless ndctl list blocked in the guest (after the oops)', () => {
    const c = get('arm64-64k-shared-16m');
    expect(c.recording!.steps.find((s) => s.index === 5)!.stuck).toContain('ndctl-list-N');
    expect(c.recording!.steps.find((s) => s.index === 4)!.stuck).toBeUndefined();
    // step 4 (not stuck): a namespace the kernel lost is seen
    expect(ids(c, (r) => { r.steps.find((s) => s.index === 4)!.namespaces = []; })).toEqual(['4 namespace/namespace0.1: (not listed by ndctl) | fsdax size 14680064']);
    // step 5 (stuck): nothing to compare, whatever the parsed list holds
    expect(ids(c, (r) => { r.steps.find((s) => s.index === 5)!.namespaces = [{ ...r.steps.find((s) => s.index === 4)!.namespaces[0]! }]; })).toEqual([]);
  });
});

describe('conformance comparison', () => {
  it('the committed fsdax --map=dev recording matches as it is', () => {
    expect(compareRecording(base.recording!, base.scenarioText).differences).toEqual([]);
  });
  it('sees a changed namespace size', () => {
    expect(mutated((r) => { r.steps[1]!.namespaces[0]!.size += 4096; })).toEqual(['2 namespace/namespace0.0/size']);
  });
  it('sees a changed altmap line', () => {
    expect(mutated((r) => { r.steps[1]!.dmesg.altmap[3] = r.steps[1]!.dmesg.altmap[3]!.replace('align: 510', 'align: 0'); })).toEqual(['2 dmesg/altmap']);
  });
  it('sees a changed backing', () => {
    expect(mutated((r) => { r.steps[1]!.vmemmap.segments[1]!.backing = 'ram:node0'; })).toContain('2 vmemmap/segments');
  });
  it('sees a changed page-table count, leaf count, block state and outcome', () => {
    expect(mutated((r) => { r.steps[1]!.vmemmap.pageTables.pmd!.tables = 2; })).toEqual(['2 pagetables/pmd']);
    expect(mutated((r) => { r.steps[1]!.vmemmap.leaves.pmd = 47; })).toEqual(['2 vmemmap/leaves/pmd']);
    expect(mutated((r) => { r.steps[1]!.memory.blocks[0]!.state = 'offline'; })).toEqual(['2 blocks/state']);
    expect(mutated((r) => { r.steps[1]!.ok = false; })).toEqual(['2 ok']);
  });
  it('PMD lines of RAM are compared by VA coverage, not by how the kernel split them', () => {
    // devdax --map=mem 4K in the chain: the kernel prints a line per physically contiguous
    // piece the page allocator gave, the model one line with (unknown) addresses
    const chain = loadCases().find((c) => c.name === 'x86-612-chain')!;
    const step = chain.recording!.steps.find((s) => s.label.includes('devdax map=mem'))!;
    expect(step.dmesg.pmd.length).toBeGreaterThan(1);
    expect(compareRecording(chain.recording!, chain.scenarioText).differences).toEqual([]);
    const r = structuredClone(chain.recording!) as Recording;
    r.steps.find((s) => s.index === step.index)!.dmesg.pmd.pop();
    expect(compareRecording(r, chain.scenarioText).differences.map((d) => d.id)).toEqual(['dmesg/pmd']);
  });
  it('HugeTLB: sees pool sizes, vmemmap freed, split PTE tables, MemTotal and boot lines', () => {
    const hvo = loadCases().find((c) => c.name === 'x86-612-hvo')!;
    const cmp = (f: (r: Recording) => void) => {
      const r = structuredClone(hvo.recording!) as Recording;
      f(r);
      // the recording's own "BUG: Bad page state" reports (Debian 6.12.114+, listed in the case's
      // known-differences.json) are there whatever is mutated
      return compareRecording(r, hvo.scenarioText).differences.map((d) => `${d.step} ${d.id}`).filter((x) => x !== '3 kernel/bad-page');
    };
    expect(compareRecording(hvo.recording!, hvo.scenarioText).differences.map((d) => `${d.step} ${d.id} ${d.kernel}`)).toEqual(['3 kernel/bad-page 60 reports (first pfn 05e40)']);
    expect(cmp(() => {})).toEqual([]);
    expect(cmp((r) => { r.steps[1]!.hugetlb!.pools[0]!.nr = 199; })).toEqual(['2 hugetlb/pages/2M']);
    // one vmemmap page fewer freed than 7 per huge page
    expect(cmp((r) => { r.steps[1]!.hugetlb!.vmstat.nr_memmap_pages! += 1; })).toContain('2 hugetlb/vmemmapFreed');
    // more split PMDs than the model allows (at most 15: one per vmemmap PMD of boot memory)
    expect(cmp((r) => { r.steps[1]!.vmemmap.pageTables.pte!.tables = 20; })).toContain('2 hugetlb/splitPteTables');
    // MemTotal: +6400 KiB exactly after the first round (8 boot pages per 2 MiB page on 6.12)
    expect(cmp((r) => { r.steps[1]!.memory.memTotalKiB! -= 800; })).toEqual(['2 memtotal/delta']);
    // after a restore and a refill, anything in 6400..12800 KiB is right; beyond is not
    expect(cmp((r) => { r.steps[3]!.memory.memTotalKiB! -= 6000; })).toEqual([]);
    expect(cmp((r) => { r.steps[3]!.memory.memTotalKiB! += 4; })).toEqual(['4 memtotal/delta']);
    expect(cmp((r) => { r.boot.hugetlbLines = r.boot.hugetlbLines!.map((l) => l.replace('28 KiB', '24 KiB')); })).toEqual(['1 dmesg/hugetlb']);
  });
  it('memmap_on_memory=force: the boot line "will waste N pages in each memory block" is compared', () => {
    const c = loadCases().find((x) => x.name === 'arm64-16k-kmem-force')!;
    expect(compareRecording(c.recording!, c.scenarioText).differences).toEqual([]);
    const r = structuredClone(c.recording!) as Recording;
    r.boot.hotplugLines = ['Memory hotplug will waste 2015 pages in each memory block'];
    expect(compareRecording(r, c.scenarioText).differences.map((d) => `${d.step} ${d.id}`)).toEqual(['1 dmesg/hotplug']);
  });
  it('uses the profile of the recorded release', () => {
    const ids = ['v6.1', 'v6.1.y', 'v6.12'];
    expect(profileForRelease('6.12.117', ids)).toBe('v6.12');
    expect(profileForRelease('6.1.192', ids)).toBe('v6.1.y');
    expect(profileForRelease('6.1.192', ['v6.1'])).toBe('v6.1');
    expect(profileForRelease('4.19.0', ids)).toBeNull();
  });
  it('Debian 6.1.192 against the 6.1.0 profile: the 128-byte struct page reservation shows', () => {
    const c = loadCases().find((x) => x.name === 'x86-61-fsdax-dev')!;
    const d = compareRecording(c.recording!, c.scenarioText, { profile: 'v6.1' }).differences;
    expect(d.map((x) => x.id)).toEqual(['namespace/namespace0.0/size', 'namespace/namespace0.0/dataOffset']);
    expect(d[0]!.kernel).toBe('4225761280');
  });
  it('known differences: exact step, id and values; a changed value is unexpected; stale entries; rules', () => {
    const k = parseKnown(JSON.stringify({ differences: [
      { step: 2, id: 'ok', kernel: 'rc=1', model: 'ok', reason: 'r2' },
      { step: 9, id: 'x', kernel: 'a', model: 'b', reason: 'r3' },
    ] }));
    expect(isKnown(k, { step: 2, id: 'ok', kernel: 'rc=1', model: 'ok' })).toBe('r2');
    // the same fact with another value, or in another step, is not the known difference
    expect(isKnown(k, { step: 2, id: 'ok', kernel: 'rc=2', model: 'ok' })).toBeNull();
    expect(isKnown(k, { step: 3, id: 'ok', kernel: 'rc=1', model: 'ok' })).toBeNull();
    const t = triage({ case: 'c', release: '', profile: 'p', status: 'compared', steps: [], notComparable: [], differences: [{ step: 2, id: 'ok', kernel: 'rc=1', model: 'ok' }, { step: 2, id: 'blocks/state', kernel: '', model: '' }] }, k);
    expect(t.unexpected.map((d) => d.id)).toEqual(['blocks/state']);
    expect(t.stale.map((s) => s.reason)).toEqual(['r3']);
    expect(() => parseKnown(JSON.stringify({ differences: [{ step: 1, id: 'ok', kernel: '', model: '', reason: '' }] }))).toThrow(/one-line reason/);
    expect(() => parseKnown(JSON.stringify({ differences: [{ step: '*', id: 'ok', kernel: '', model: '', reason: 'r' }] }))).toThrow(/no wildcards/);
    expect(() => parseKnown(JSON.stringify({ differences: [{ step: 1, id: 'dmesg/*', kernel: '', model: '', reason: 'r' }] }))).toThrow(/no wildcards/);
    expect(() => parseKnown(JSON.stringify({ differences: [{ step: 1, id: 'ok', reason: 'r' }] }))).toThrow(/exact kernel and model values/);
  });
  it('sees the layout (step 0), a namespace dev/start/raw size, a block node and an hmem dax device', () => {
    expect(mutated((r) => { r.layout.paging.pfn0Va = '0xffffea0000200000'; })).toEqual(['0 layout/pfn0Va']);
    expect(mutated((r) => { r.layout.paging.levels = 5; })).toEqual(['0 layout/levels']);
    expect(mutated((r) => { r.layout.memoryBlockSize *= 2; })).toEqual(['0 layout/memoryBlockSize']);
    expect(mutated((r) => { r.steps[1]!.namespaces[0]!.dev = 'pmem1'; })).toEqual(['2 namespace/namespace0.0/dev']);
    expect(mutated((r) => { r.steps[1]!.namespaces[0]!.rawSize! += 4096; })).toEqual(['2 namespace/namespace0.0/rawSize']);
    expect(mutated((r) => { r.steps[1]!.memory.blocks[0]!.node = 1; })).toEqual(['2 blocks/node']);
    // a page-table level the model does not have is a difference, not a note
    expect(mutated((r) => { r.steps[1]!.vmemmap.pageTables.p4d = { tables: 1, shared: 0 }; })).toEqual(['2 pagetables/p4d']);
    const hmem = loadCases().find((c) => c.name === 'x86-612-hmem')!;
    const r = structuredClone(hmem.recording!) as Recording;
    expect(compareRecording(r, hmem.scenarioText).differences).toEqual([]);
    r.steps[1]!.daxDevices[0]!.driver = 'device_dax'; // 6.12: kmem binds hmem at boot and after reconfigure-device system-ram
    r.steps[2]!.daxDevices[0]!.size = 1;
    expect(compareRecording(r, hmem.scenarioText).differences.map((d) => `${d.step} ${d.id}`)).toEqual(['2 dax/dax0.0/driver', '3 dax/dax0.0/size']);
  });
});
