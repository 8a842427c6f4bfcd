/** Browser-test helpers: the real `vmemlab explore --no-open` server and Debian's chromium via playwright-core. */
import { spawn, type ChildProcess } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Served { proc: ChildProcess; base: string; url: string; stop(): Promise<void> }

/** Start `vmemlab explore --no-open --port 0 [scenario]`; resolves with the printed addresses. */
export function explore(args: string[] = []): Promise<Served> {
  return new Promise((ok, fail) => {
    const proc = spawn(process.execPath, ['bin/vmemlab.js', 'explore', '--no-open', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // never leave a server behind, whatever happens to this test process
    const reap = () => { if (proc.exitCode === null) proc.kill('SIGTERM'); };
    process.once('exit', reap);
    proc.once('exit', () => process.off('exit', reap));
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`explore did not start: ${out}${err}`)), 60_000);
    proc.stderr!.on('data', (d) => { err += d; });
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/) .*\n(\S+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ proc, base: m[1]!, url: m[2]!, stop: () => new Promise((r) => { if (proc.exitCode !== null) return r(); proc.once('exit', () => r()); proc.kill('SIGTERM'); }) });
      }
    });
    proc.once('exit', (code) => { clearTimeout(timer); fail(new Error(`explore exited ${code}: ${out}${err}`)); });
  });
}

export interface Browsing { browser: Browser; page: Page; close(): Promise<void> }

export async function browse(): Promise<Browsing> {
  // playwright gives every launch() a new, empty --user-data-dir of its own (and removes it on close)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as unknown as { errors: string[] }).errors = errors;
  return { browser, page, close: () => browser.close() };
}

export const pageErrors = (p: Page): string[] => (p as unknown as { errors: string[] }).errors;
