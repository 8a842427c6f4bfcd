/**
 * Predicted kernel oopses (src/kernel/fault.ts): the kernel's own writes and reads of struct
 * pages after memremap_pages() and in memunmap_pages() oops where a struct page is not mapped;
 * the machine is crashed from there, and run, compare, explain and fuzz call it a predicted
 * kernel bug, never an invariant violation.
 *
 * The machine is the real 6.12.118 64K guest of the conformance notes (section 10): RAM 2 GiB at
 * 1 GiB plus the EFI flash at 64 MiB, so memblock starts at 64 MiB and memstart_addr =
 * round_down(64M, 512M) = 0; the vmemmap (VA_BITS 48) starts at 0xffffffdfc0000000 and the
 * struct page of pfn p is at 0xffffffdfc0000000 + 64 p. A labelled 256 MiB region at 3 GiB
 * (pfn 0xc000). With --align=64K: namespace0.0 (48M) = pfns 0xc000-0xc2ff, memmap
 * +0x300000..+0x30c000 (one page, +0x300000, from its altmap: alloc 1); the next namespace
 * starts at pfn 0xc300, memmap +0x30c000, in the middle of that page.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compare, explainScenario, renderText, runExitCode } from '../src/index.js';
import { runCase } from '../src/sim/fuzz.js';
import { createMachine, runStep, type StepResult } from '../src/sim/machine.js';
import { pfnToOff } from '../src/kernel/state.js';
import { arm64Guest64K, run, scenario, stepOf } from './helpers.js';
import { parse as parseYaml } from 'yaml';

const guest = (steps: string, kernel = 'v6.12') => arm64Guest64K(`  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 48M, align: 64K }
${steps}`, kernel);

const create32 = guest(`  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 32M, align: 64K }
  - destroy-namespace: { device: pmem0, namespace: namespace0.0 }
`);
const teardown16 = guest(`  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 16M, align: 64K }
  - destroy-namespace: { device: pmem0, namespace: namespace0.0 }
  - destroy-namespace: { device: pmem0, namespace: namespace0.1 }
`);
const reverse16 = guest(`  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 16M, align: 64K }
  - destroy-namespace: { device: pmem0, namespace: namespace0.1 }
  - destroy-namespace: { device: pmem0, namespace: namespace0.0 }
`);

describe('predicted oops at creation: 48M then 32M (arm64 64K)', () => {
  /*
   * namespace0.1 = pfns 0xc300-0xc4ff, struct pages +0x30c000..+0x314000. The populate loop
   * visits +0x30c000 only (the next address, +0x31c000, is past the end), whose page namespace0.0
   * mapped: nothing is allocated (alloc 0) and the page +0x310000 stays unmapped. The altmap's
   * own pfns (0xc301 .. 0xc300 + 1 + 31) have their struct pages in the mapped page; the first
   * pfn memmap_init_zone_device() writes in the hole is (0x310000 / 64) = 0xc400.
   */
  it('the step ends in an oops in __init_zone_device_page at ffffffdfc0310000, the address the real kernel printed', () => {
    const r = run(create32);
    const s3 = stepOf(r, 3);
    expect(s3.ok).toBe(false);
    expect(s3.errno).toBeNull();
    expect(s3.oops).toMatchObject({ step: 3, fn: '__init_zone_device_page', site: 'mm/mm_init.c:__init_zone_device_page', va: 'ffffffdfc0310000', pfn: 0xc400, access: 'write' });
    expect(r.report.altmaps.find((a) => a.id === 'namespace0.1')).toMatchObject({ base_pfn: 0xc300, reserve: 1, free: 31, alloc: 0 });
    // the arch's first line, exactly
    expect(r.report.dmesg).toContain('Unable to handle kernel paging request at virtual address ffffffdfc0310000');
    expect(r.report.kernelBugs.crashed).toMatchObject({ step: 3, va: '0xffffffdfc0310000', pfn: 0xc400, message: 'Unable to handle kernel paging request at virtual address ffffffdfc0310000' });
  });

  /*
   * arch/arm64/mm/fault.c die_kernel_fault(): pr_alert("Unable to handle kernel paging request
   * at virtual address %016lx"), then die("Oops", ...): "Internal error: Oops: <esr> [#1] SMP"
   * (KERN_EMERG) and the registers, "pc : <symbol>+<offset>" (KERN_DEFAULT/warning here). The ESR
   * and the offset are not modelled: those lines are marked approx, the address line is exact.
   */
  it('the oops lines: levels, the faulting site, and which lines hold values the model cannot know', () => {
    const s3 = stepOf(run(create32), 3);
    const lines = s3.dmesg.slice(-3).map((m) => ({ level: m.level, text: m.text, site: m.site, approx: m.approx === true }));
    expect(lines).toEqual([
      { level: 1, text: 'Unable to handle kernel paging request at virtual address ffffffdfc0310000\n', site: 'mm/mm_init.c:__init_zone_device_page', approx: false },
      { level: 0, text: 'Internal error: Oops: (esr) [#1] SMP\n', site: 'mm/mm_init.c:__init_zone_device_page', approx: true },
      { level: 4, text: 'pc : __init_zone_device_page+(offset)\n', site: 'mm/mm_init.c:__init_zone_device_page', approx: true },
    ]);
    expect('approx' in s3.dmesg.at(-3)!).toBe(false);
  });

  it('the machine is crashed: later kernel steps are not run, and say why', () => {
    const r = run(create32);
    expect(stepOf(r, 4)).toMatchObject({ ok: false, errno: null, oops: null, notRun: 'not run: the kernel oopsed at step 3', dmesg: [], violations: [], kernelBugs: [] });
    expect(r.report.steps[3]!.notRun).toBe('not run: the kernel oopsed at step 3');
    // 4 steps, 3 ran (boot, two creates), 6 invariants each
    expect(r.report.invariants.checked).toBe(3 * 6);
  });

  it('a predicted kernel bug, never an invariant violation: the unmapped page is the oops\'s finding', () => {
    const r = run(create32);
    expect(r.report.invariants.violations).toEqual([]);
    expect(r.report.kernelBugs.findings.map((v) => [v.step, v.invariant, v.range])).toEqual([[3, 'memmap-coverage', 'va 0xffffffdfc0310000-0xffffffdfc0313fff']]);
    const text = renderText(r);
    expect(text).toContain('3  create-namespace pmem0 fsdax map=dev align=64 KiB size=32 MiB  predicted kernel oops in __init_zone_device_page');
    expect(text).toContain('not run: the kernel oopsed at step 3');
    expect(text).toContain('Predicted kernel bugs');
    expect(text).not.toMatch(/invariant violation\(s\)/);
    expect(text).toContain('no violations');
  });

  it('run exits 4 (a predicted kernel bug nothing asserts); 0 when an expect step asserts the oops', () => {
    expect(runExitCode(run(create32))).toBe(4);
    expect(runExitCode(run(create32 + '  - expect: { step: 3, oops: __init_zone_device_page }\n'))).toBe(0);
    const wrong = run(create32 + '  - expect: { step: 3, oops: memunmap_pages }\n');
    expect(wrong.results.at(-1)!.failedExpectations).toEqual(['step 3: predicted kernel oops in __init_zone_device_page, expected an oops in memunmap_pages']);
    expect(runExitCode(wrong)).toBe(1);
    const tmp = mkdtempSync(join(tmpdir(), 'vmemlab-oops-'));
    const f = join(tmp, 's.yaml');
    writeFileSync(f, create32);
    const bin = new URL('../bin/vmemlab.js', import.meta.url).pathname;
    const cli = spawnSync(process.execPath, [bin, 'run', f], { encoding: 'utf8' });
    expect(cli.status).toBe(4);
    expect(cli.stdout).toContain('predicted kernel oops in __init_zone_device_page');
  });

  it('explain says the same words', () => {
    const e = explainScenario(scenario(create32), { step: 3 });
    const st = e.steps.find((s) => s.index === 3)!;
    expect(st.summary).toContain('predicted kernel oops in __init_zone_device_page');
    expect(st.lines[0]).toBe('predicted kernel oops: __init_zone_device_page wrote the struct page of pfn 0xc400 at 0xffffffdfc0310000, which is not mapped (memmap_init_zone_device() initialising the struct pages of pmem0.1)');
  });
});

describe('predicted oops at teardown: 48M then 16M (arm64 64K)', () => {
  /*
   * namespace0.1 = pfns 0xc300-0xc3ff, struct pages +0x30c000..+0x310000: wholly inside the page
   * namespace0.0 mapped. Destroying namespace0.0 frees that page (unmap_hotplug_pte_range()):
   * a predicted kernel bug, no oops (nothing reads the pages). Destroying namespace0.1 reads
   * page_zone() of its first initialised page, pfn_first = 0xc300 + reserve 1 + free 31 =
   * 0xc320, struct page at +0xc320 * 64 = +0x30c800.
   */
  it('the first destroy leaves the live neighbour\'s struct pages unmapped; the second oopses in memunmap_pages', () => {
    const r = run(teardown16);
    expect(stepOf(r, 3).ok).toBe(true);
    expect(r.report.altmaps.find((a) => a.id === 'namespace0.1')?.alloc ?? 0).toBe(0);
    expect(stepOf(r, 4)).toMatchObject({ ok: true, oops: null });
    expect(stepOf(r, 4).kernelBugs.map((v) => [v.invariant, v.range])).toEqual([['memmap-coverage', 'va 0xffffffdfc030c000-0xffffffdfc030ffff']]);
    expect(stepOf(r, 5).oops).toMatchObject({ fn: 'memunmap_pages', site: 'mm/memremap.c:pageunmap_range', va: 'ffffffdfc030c800', pfn: 0xc320, access: 'read' });
    expect(r.report.invariants.violations).toEqual([]);
  });

  /* The other order: namespace0.1's vmemmap_free() frees the shared page and charges it to its
   * own altmap (alloc 0 -> the WARN), then namespace0.0's first page, pfn 0xc000 + 1 + 31 = 0xc020
   * at +0x300800, is unmapped. */
  it('in the reverse order memunmap_pages WARNs first, then the other destroy oopses', () => {
    const r = run(reverse16);
    expect(stepOf(r, 4).ok).toBe(true);
    expect(stepOf(r, 4).dmesg.map((m) => m.text)).toContain('failed to free all reserved pages\n');
    expect(stepOf(r, 5).oops).toMatchObject({ fn: 'memunmap_pages', va: 'ffffffdfc0300800', pfn: 0xc020 });
  });

  /* Sizes of whole vmemmap pages (64 MiB = 1,024 pfns = one 64 KiB page of memmap) share nothing. */
  it('a control: 64M + 64M namespaces create and destroy without any predicted bug', () => {
    const r = run(guest(`  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 64M, align: 64K }
  - destroy-namespace: { device: pmem0, namespace: namespace0.0 }
  - destroy-namespace: { device: pmem0, namespace: namespace0.1 }
`).replace('size: 48M', 'size: 64M'));
    expect(r.results.map((x) => x.ok)).toEqual([true, true, true, true, true]);
    expect(r.report.kernelBugs).toEqual({ crashed: null, findings: [] });
    expect(runExitCode(r)).toBe(0);
  });
});

describe('per version (profiles v5.9 .. v7.1)', () => {
  /*
   * The populate loop and arm64's whole-page freeing are the same in every release read; what
   * changes is the function that makes the access (zoneDeviceInit) and, up to 5.15, that
   * memunmap_pages() put_page()s every page first, reading compound_head at offset 8.
   */
  it('creation oopses in every profile, in memmap_init_zone_device up to 5.15 and __init_zone_device_page from 6.1', () => {
    const fns = ['v5.9', 'v5.10', 'v5.15', 'v6.1', 'v6.1.y', 'v6.6', 'v6.12', 'v6.18', 'v7.1'].map((k) => stepOf(run(guest(`  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 32M, align: 64K }
`, k)), 3).oops?.fn);
    expect(fns).toEqual(['memmap_init_zone_device', 'memmap_init_zone_device', 'memmap_init_zone_device', '__init_zone_device_page', '__init_zone_device_page', '__init_zone_device_page', '__init_zone_device_page', '__init_zone_device_page', '__init_zone_device_page']);
  });

  it('teardown: put_page() of pfn_first (+8, compound_head) up to 5.15, page_zone() (+0) from 6.1', () => {
    // the vmemmap base moves with the layout (5.15: 0xffffffc000000000 for 48-bit 64K); the
    // struct page is always 64 * 0xc320 = 0x30c800 above it
    const o515 = stepOf(run(teardown16.replace('kernel: v6.12', 'kernel: v5.15')), 5).oops!;
    expect(o515).toMatchObject({ fn: 'memunmap_pages', site: 'mm/memremap.c:memunmap_pages', pfn: 0xc320, va: 'ffffffc00030c808' });
    const o61 = stepOf(run(teardown16.replace('kernel: v6.12', 'kernel: v6.1')), 5).oops!;
    expect(o61).toMatchObject({ site: 'mm/memremap.c:pageunmap_range', pfn: 0xc320, va: 'ffffffc00030c800' });
  });

  it('compare shows the oops per profile in the result row, and the steps after it as not run', () => {
    const c = compare(scenario(create32), ['v5.15', 'v6.12']);
    const s3 = c.steps.find((s) => s.index === 3)!;
    expect(s3.rows.find((x) => x.what === 'result')!.values).toEqual({ 'v5.15': 'predicted kernel oops in memmap_init_zone_device', 'v6.12': 'predicted kernel oops in __init_zone_device_page' });
    const s4 = c.steps.find((s) => s.index === 4)!;
    expect(s4.rows.find((x) => x.what === 'result')!.values).toEqual({ 'v5.15': 'not run: the kernel oopsed at step 3', 'v6.12': 'not run: the kernel oopsed at step 3' });
  });
});

describe('fuzz classifies an oops as a predicted kernel bug', () => {
  it('runCase: no violation, the oops as a kernel-oops finding, and it stops at the oops', () => {
    const obj = parseYaml(create32) as Record<string, unknown>;
    const r = runCase(obj);
    expect(r.violation).toBeNull();
    expect(r.oops).toMatchObject({ invariant: 'kernel-oops', step: 3, range: 'va 0xffffffdfc0310000', fn: 'mm/mm_init.c:__init_zone_device_page' });
    expect(r.finding?.invariant).toBe('memmap-coverage');
    expect(r.events).toBe(3); // boot and two creates; the destroy after the oops is not run
  });
});

describe('x86: the oops as show_fault_oops() prints it', () => {
  /* No x86 path leaves a struct page unmapped; unmap one behind the kernel's back (as the
   * incremental tests do) and destroy the namespace: memunmap_pages() reads its first page,
   * pfn_first = base + reserve + free, a read of a not-present page (error code 0). */
  it('BUG: unable to handle page fault for address, #PF read access, not-present page', () => {
    const sc = scenario(`
arch: x86_64
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 64G, size: 4G }
steps:
  - boot
  - create-namespace: { device: pmem0 }
  - destroy-namespace: { device: pmem0 }
`);
    const m = createMachine(sc);
    const results: StepResult[] = [];
    results.push(runStep(m, sc.steps[0]!, results));
    results.push(runStep(m, sc.steps[1]!, results));
    const a = [...m.k.s.altmaps.values()][0]!;
    const first = a.base_pfn + a.reserve + a.free;
    const off = pfnToOff(m.k, first);
    m.k.s.leaves.clear(off - (off % 4096), off - (off % 4096) + 4096);
    const r = runStep(m, sc.steps[2]!, results);
    expect(r.oops).toMatchObject({ fn: 'memunmap_pages', pfn: first, access: 'read' });
    const lines = r.dmesg.filter((x) => x.level === 1).map((x) => x.text);
    expect(lines).toEqual([`BUG: unable to handle page fault for address: ${r.oops!.va}\n`, '#PF: supervisor read access in kernel mode\n', '#PF: error_code(0x0000) - not-present page\n']);
    expect(r.oops!.va).toMatch(/^ffff[0-9a-f]{12}$/);
  });
});
