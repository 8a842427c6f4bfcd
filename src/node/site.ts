/**
 * Where the built explorer is (dist-explorer/ at the package root) and how to build it when it
 * is missing: `vite build` with explorer/vite.config.ts, possible only in a source checkout
 * with the dev dependencies installed (npm ci).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// the default import: the CLI bundle loads child_process lazily (scripts/bundle.mjs)
import childProcess from 'node:child_process';
import { deflateRawSync } from 'node:zlib';

/** The directory holding vmemmap-lab's package.json, found upwards from this file. */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(d, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'vmemmap-lab') return d;
    const up = dirname(d);
    if (up === d) throw new Error('cannot find the vmemmap-lab package root');
    d = up;
  }
}

export const siteDir = () => join(packageRoot(), 'dist-explorer');
export const siteBuilt = () => existsSync(join(siteDir(), 'index.html'));

/** Build the site; returns null on success, else why it cannot be built here. */
export function buildSite(log: (s: string) => void): string | null {
  const root = packageRoot();
  const config = join(root, 'explorer', 'vite.config.ts');
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(config) || !existsSync(vite)) return 'the explorer is not built and cannot be built here: in a source checkout run `npm ci && npm run build:explorer`';
  log('vmemlab explore: building the explorer (npm run build:explorer)...\n');
  const r = childProcess.spawnSync(process.execPath, [vite, 'build', '--config', config, '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return r.status === 0 && siteBuilt() ? null : `building the explorer failed (exit ${r.status ?? r.signal}): run \`npm run build:explorer\` to see why`;
}

/** The URL fragment that carries a scenario into the page (explorer/src/share.ts reads it). */
export function scenarioFragment(name: string, text: Uint8Array | string, profile?: { name: string; text: string }): string {
  const z = (t: Uint8Array | string) => deflateRawSync(typeof t === 'string' ? Buffer.from(t) : t).toString('base64url');
  return `n=${encodeURIComponent(name)}&s=${z(text)}${profile ? `&pn=${encodeURIComponent(profile.name)}&p=${z(profile.text)}` : ''}`;
}
