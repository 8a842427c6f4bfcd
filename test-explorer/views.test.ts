/** Failed steps and expectations stand out; the page-table tree's HVO row; size forms; keyboard use; glossary. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { DEFAULT_KERNEL, DEFAULT_SCENARIO, layoutOf, parseSize, runScenarioText, sizeNamespace } from '../src/index.ts';
import { browse, explore, pageErrors, type Browsing, type Served } from './helpers.ts';

const SHOTS = process.env.UPDATE_SCREENSHOTS ? 'docs/explorer' : 'tmp/explorer-shots';
mkdirSync(SHOTS, { recursive: true });

let s: Served;
let b: Browsing;
let page: Page;
beforeAll(async () => {
  s = await explore();
  b = await browse();
  page = b.page;
});
afterAll(async () => {
  await b?.close();
  await s?.stop();
});

async function open() {
  await page.goto(s.url);
  await page.waitForSelector('body[data-ready=true]');
}

async function example(f: string) {
  await page.click('[data-testid=tab-edit]');
  await page.click(`[data-testid="example-${f}"]`);
}

describe('explorer views', () => {
  it('a failed step stands out in the timeline and in the step view', async () => {
    await open();
    const f = 'cxl-back-to-devdax.yaml';
    const r = runScenarioText(f, readFileSync(`examples/${f}`));
    const failed = r.report.steps.map((st, i) => ({ st, i })).filter((x) => !x.st.ok);
    expect(failed.length).toBeGreaterThan(0);
    await example(f);
    await page.click('[data-testid=tab-steps]');
    for (const { st, i } of failed) {
      await expect.poll(() => page.getAttribute(`[data-testid=step-${i}]`, 'class')).toContain('bad');
      await page.click(`[data-testid=step-${i}]`);
      await expect.poll(() => page.getAttribute('#step-title', 'class')).toContain('bad');
      await expect.poll(() => page.textContent('#step-title')).toContain(`failed ${st.errno}`);
    }
    const okIdx = r.report.steps.findIndex((st) => st.ok);
    await expect.poll(() => page.getAttribute(`[data-testid=step-${okIdx}]`, 'class')).not.toContain('bad');
    await page.screenshot({ path: `${SHOTS}/failed-step.png` });
  });

  it('a failed expectation is an alert on its step', async () => {
    await open();
    const text = `${DEFAULT_SCENARIO}  - expect: { step: 2, ok: false }\n`;
    const r = runScenarioText('x.yaml', text);
    const i = r.report.steps.findIndex((st) => (st.failedExpectations?.length ?? 0) > 0);
    expect(i).toBeGreaterThanOrEqual(0);
    await page.click('[data-testid=tab-edit]');
    await page.fill('[data-testid=scenario-text]', text);
    await page.click('[data-testid=tab-steps]');
    await expect.poll(() => page.locator('[data-testid=timeline] button.step').count()).toBe(r.report.steps.length);
    await page.click(`[data-testid=step-${i}]`);
    await expect.poll(() => page.locator('[role=alert]').textContent()).toContain(r.report.steps[i]!.failedExpectations![0]!);
  });

  it('the page-table tree gives table pages per level and HVO split PMDs', async () => {
    await open();
    const f = 'hugetlb-hvo-x86.yaml';
    const r = runScenarioText(f, readFileSync(`examples/${f}`));
    await example(f);
    await page.click('[data-testid=tab-explore]');
    const tree = page.locator('[data-testid=pt-tree]');
    const pt = r.report.pageTablePages as unknown as Record<string, number>;
    for (const lvl of ['pud', 'pmd', 'pte']) await expect.poll(() => tree.locator(`[data-level=${lvl}] summary`).textContent()).toContain(`${lvl}: ${(pt[lvl] ?? 0).toLocaleString('en-US')} table page(s)`);
    for (const [n, x] of Object.entries(r.report.hugetlb.splitPteTables)) {
      await expect.poll(() => page.textContent('[data-testid=hvo]')).toContain(`node ${n}: ${x.min.toLocaleString('en-US')}–${x.max.toLocaleString('en-US')} PTE table(s)`);
    }
    await expect.poll(() => tree.locator('li', { hasText: 'leaves:' }).first().textContent()).toContain(`${r.report.vmemmap.mappings.pte.toLocaleString('en-US')} PTE leaves`);
  });

  it('answers a size question in a form, and explores its scenario', async () => {
    await open();
    await page.click('[data-testid=tab-size]');
    // the form's align field is empty by default: the arch's default alignment (2 MiB here)
    const ans = sizeNamespace({ arch: 'x86_64', kernel: DEFAULT_KERNEL, size: parseSize('6T'), mode: 'fsdax', map: 'dev' });
    expect(ans.align).toBe(parseSize('2M'));
    await expect.poll(() => page.textContent('[data-testid=size-answer]')).toContain(ans.explanation[0]!);
    await page.screenshot({ path: `${SHOTS}/size.png` });
    await page.click('text=Explore this answer\'s scenario');
    const r = runScenarioText('size.yaml', ans.scenario);
    const ns = r.report.namespaces[0]!;
    await page.click(`[data-testid="pick-ns:${ns.name}"]`);
    const alt = r.report.altmaps.find((a) => a.namespace === ns.name);
    await expect.poll(() => page.textContent('[data-testid=where]')).toContain(alt ? `altmap of ${alt.id}` : 'RAM of node');
    await expect.poll(() => page.textContent('[data-testid=answer]')).toContain(ns.map === 'dev' ? '--map=dev' : '--map=mem');
    await page.screenshot({ path: `${SHOTS}/six-tib-namespace.png` });
  });

  it('size forms cover every arch: riscv64 with its paging mode, loongarch64 with its page size', async () => {
    await open();
    await page.click('[data-testid=tab-size]');
    await page.selectOption('[data-testid=size] select >> nth=1', 'riscv64');
    await page.selectOption('[data-testid=size] label:has-text("paging") select', 'sv48');
    const rv = sizeNamespace({ arch: 'riscv64', paging: 'sv48', kernel: DEFAULT_KERNEL, size: parseSize('6T'), mode: 'fsdax', map: 'dev' });
    await expect.poll(() => page.textContent('[data-testid=size-answer]')).toContain(rv.explanation[0]!);
    expect(rv.machine.label).toContain('riscv64 sv48');
    await page.selectOption('[data-testid=size] select >> nth=1', 'loongarch64');
    await page.selectOption('[data-testid=size] label:has-text("page size") select', '64K');
    // loongarch64 64K: the default alignment is the 512 MiB PMD (2 MiB is not supported there)
    const la = sizeNamespace({ arch: 'loongarch64', pageSize: '64K', kernel: DEFAULT_KERNEL, size: parseSize('6T'), mode: 'fsdax', map: 'dev' });
    expect(la.align).toBe(parseSize('512M'));
    await expect.poll(() => page.textContent('[data-testid=size-answer]')).toContain(la.explanation[0]!);
    // loongarch64 never hands the altmap to vmemmap_populate(): the memmap is in RAM even with --map=dev
    await page.click('text=Explore this answer\'s scenario');
    const r = runScenarioText('size.yaml', la.scenario);
    const ns = r.report.namespaces[0]!;
    await page.click(`[data-testid="pick-ns:${ns.name}"]`);
    await expect.poll(() => page.textContent('[data-testid=where]')).toContain('RAM of node');
  });

  it('size forms: powerpc64 with its MMU and page size (hash 64K: 16 MiB default alignment with 16M pages)', async () => {
    await open();
    await page.click('[data-testid=tab-size]');
    await page.selectOption('[data-testid=size] select >> nth=1', 'powerpc64');
    await page.selectOption('[data-testid=size] label:has-text("MMU") select', 'hash');
    await page.selectOption('[data-testid=size] label:has-text("page size") select', '64K');
    const h = sizeNamespace({ arch: 'powerpc64', mmu: 'hash', pageSize: '64K', kernel: DEFAULT_KERNEL, size: parseSize('6T'), mode: 'fsdax', map: 'dev' });
    expect(h.machine.label).toBe('powerpc64 hash 64K');
    expect(h.align).toBe(parseSize('16M'));
    await expect.poll(() => page.textContent('[data-testid=size-answer]')).toContain(h.explanation[0]!);
  });

  it('a raw namespace has no memmap, and the panel says so', async () => {
    await open();
    const text = DEFAULT_SCENARIO.replace('mode: fsdax, map: dev', 'mode: raw');
    const r = runScenarioText('raw.yaml', text);
    const ns = r.report.namespaces[0]!;
    expect(ns.mode).toBe('raw');
    expect(layoutOf(r).leaves.some((x) => x.backing.kind === 'altmap')).toBe(false);
    await page.click('[data-testid=tab-edit]');
    await page.fill('[data-testid=scenario-text]', text);
    await page.click('[data-testid=tab-explore]');
    await page.click(`[data-testid="pick-ns:${ns.name}"]`);
    await expect.poll(() => page.textContent('[data-testid=answer]')).toContain('not mapped anywhere');
    await expect.poll(() => page.textContent('[data-testid=answer]')).toContain('no memmap');
  });

  it('works from the keyboard: tabs by number, lanes and ranges on a map', async () => {
    await open();
    const r = runScenarioText('d', DEFAULT_SCENARIO);
    await page.keyboard.press('6');
    await expect.poll(() => page.textContent('[data-testid=glossary]')).toContain('memmap= (the boot parameter)');
    await page.keyboard.press('1');
    await page.focus('[data-testid=phys-canvas]');
    // lanes: boot RAM, devices, sections, sub-sections, memory blocks, namespaces
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press(']');
    await expect.poll(() => page.textContent('[data-testid=phys-status]')).toContain(r.report.namespaces[0]!.name);
    await expect.poll(() => page.textContent('[data-testid=details] h2')).toContain(r.report.namespaces[0]!.name);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.textContent('[data-testid=details] h2')).toBe('Where does the memmap live?');
    expect(pageErrors(page)).toEqual([]);
  });
});

describe('find', () => {
  it('finds the struct pages of a physical range, and the memory a vmemmap address describes', async () => {
    await open();
    const r = runScenarioText('d', DEFAULT_SCENARIO);
    const l = layoutOf(r);
    const ns = r.report.namespaces[0]!;
    await page.fill('[data-testid=find-start]', '0x' + ns.start.toString(16));
    await page.fill('[data-testid=find-size]', '2M');
    await page.click('[data-testid=find-phys]');
    const off = (ns.start / l.pageSize - l.vmemmapPfnBase) * l.structPageSize;
    const va = '0x' + (BigInt(l.vmemmapStart) + BigInt(off)).toString(16);
    await expect.poll(() => page.textContent('[data-testid=where]')).toContain(va);
    await page.fill('[data-testid=find-va]', va);
    await page.click('[data-testid=find-vmem]');
    await expect.poll(() => page.textContent('[data-testid=details]')).toContain(`Physical: 0x${ns.start.toString(16)}`);
  });
});
