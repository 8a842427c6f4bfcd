/**
 * Accessibility of every tab, checked by axe-core (the engine browser extensions use) inside the
 * page: labels, roles, landmarks, contrast. No violation of any impact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { browse, explore, type Browsing, type Served } from './helpers.ts';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let s: Served;
let b: Browsing;
let page: Page;
beforeAll(async () => {
  s = await explore(['examples/cxl-kmem-memmap-on-memory.yaml']);
  b = await browse();
  // the page's Content-Security-Policy (rightly) refuses injected scripts: this context bypasses it for axe
  page = await (await b.browser.newContext({ bypassCSP: true, viewport: { width: 1500, height: 1000 } })).newPage();
  await page.goto(s.url);
  await page.waitForSelector('body[data-ready=true]');
  await page.addScriptTag({ path: axePath });
});
afterAll(async () => {
  await b?.close();
  await s?.stop();
});

interface AxeResult { passes: unknown[]; violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }

async function audit(): Promise<string[]> {
  const r = await page.evaluate(() => (window as unknown as { axe: { run(ctx: Document): Promise<unknown> } }).axe.run(document)) as AxeResult;
  expect(r.passes.length).toBeGreaterThan(10); // axe really ran its rules
  return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

describe('accessibility (axe-core)', () => {
  it.each(['explore', 'steps', 'compare', 'edit', 'size', 'glossary'])('the %s tab has no violations', async (tab) => {
    await page.click(`[data-testid=tab-${tab}]`);
    await page.waitForSelector(`#panel-${tab}`);
    if (tab === 'explore') await page.click('[data-testid="pick-dax:dax0.0"]');
    expect(await audit()).toEqual([]);
  });
});
