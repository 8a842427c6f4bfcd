/** `vmemlab explore`'s server: 127.0.0.1 only, only the built files, GET/HEAD only. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenarioError, parseScenario } from '../src/index.ts';
import { explore, type Served } from './helpers.ts';

let s: Served;
let port: number;
beforeAll(async () => {
  s = await explore();
  port = Number(new URL(s.base).port);
});
afterAll(() => s.stop());

function get(path: string, opts: { method?: string; host?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${port}` } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => ok({ status: res.statusCode!, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

const reachable = (host: string) => new Promise<boolean>((ok) => {
  const c = connect({ host, port, timeout: 3000 });
  c.on('connect', () => { c.destroy(); ok(true); });
  c.on('error', () => ok(false));
  c.on('timeout', () => { c.destroy(); ok(false); });
});

describe('vmemlab explore server', () => {
  it('prints a 127.0.0.1 address and serves the built index', async () => {
    expect(s.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body).toBe(readFileSync('dist-explorer/index.html', 'utf8'));
  });

  it('is not reachable on any other address of this machine', async () => {
    expect(await reachable('127.0.0.1')).toBe(true);
    const others = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === 'IPv4').map((a) => a!.address);
    for (const ip of others) expect(await reachable(ip), ip).toBe(false);
    // ::1 is loopback too, but the server binds the IPv4 address only
    expect(await reachable('::1')).toBe(false);
  });

  it.each([
    '/../package.json', '/%2e%2e/package.json', '/assets/../../package.json', '/..%2fpackage.json', '/%2e%2e%2fpackage.json',
    '/assets/..%5c..%5cpackage.json', '/.git/config', '/%00index.html', '//etc/passwd', '/../../../../etc/passwd',
  ])('refuses %s', async (path) => {
    const r = await get(path);
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('vmemmap-lab');
  });

  it('serves only GET and HEAD, and only for its own host names', async () => {
    expect((await get('/', { method: 'POST' })).status).toBe(405);
    expect((await get('/', { method: 'HEAD' })).status).toBe(200);
    expect((await get('/', { host: 'attacker.example:80' })).status).toBe(421);
    expect((await get('/', { host: `localhost:${port}` })).status).toBe(200);
  });
});

describe('vmemlab explore arguments', () => {
  it('refuses a bad scenario with the parser\'s file:line:col, before serving anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmemlab-explore-'));
    const f = join(dir, 'bad.yaml');
    const text = 'arch: x86_64\nnodes:\n  - id: 0\n    memory: [ { start: 0, size: 4Q } ]\nsteps: [boot]\n';
    writeFileSync(f, text);
    let e: ScenarioError | null = null;
    try { parseScenario(f, text); } catch (x) { e = x as ScenarioError; }
    expect(e).toBeInstanceOf(ScenarioError);
    const r = spawnSync(process.execPath, ['bin/vmemlab.js', 'explore', '--no-open', f], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${f}:${e!.line}:${e!.col}`);
    expect(r.stdout).toBe('');
  });

  it('refuses a port that is not a port', () => {
    const r = spawnSync(process.execPath, ['bin/vmemlab.js', 'explore', '--no-open', '--port', '70000'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--port 70000');
  });
});
