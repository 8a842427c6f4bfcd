import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInside } from '../src/node/serve.js';
import { scenarioFragment } from '../src/node/site.js';
import { inflateRawSync } from 'node:zlib';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'vmemlab-serve-')));
mkdirSync(join(root, 'site', 'assets'), { recursive: true });
writeFileSync(join(root, 'site', 'index.html'), 'index');
writeFileSync(join(root, 'site', 'assets', 'a.js'), 'js');
writeFileSync(join(root, 'secret.txt'), 'secret');
symlinkSync(join(root, 'secret.txt'), join(root, 'site', 'link.txt'));
const site = join(root, 'site');

describe('resolveInside (vmemlab explore)', () => {
  it('maps paths to the files under the site, directories to index.html', () => {
    expect(resolveInside(site, '/')).toBe(join(site, 'index.html'));
    expect(resolveInside(site, '/assets/a.js?x=1#y')).toBe(join(site, 'assets', 'a.js'));
  });
  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/..%2fsecret.txt', '/link.txt', '/.hidden', '/%00', '/%zz', 'relative', '/assets/..\\..\\secret.txt', '/missing'])('refuses %s', (p) => {
    expect(resolveInside(site, p)).toBeNull();
  });
  it('carries a scenario in a fragment that inflates back to the file', () => {
    const text = 'arch: x86_64\nsteps: [boot]\n';
    const f = new URLSearchParams(scenarioFragment('a b.yaml', text));
    expect(f.get('n')).toBe('a b.yaml');
    expect(inflateRawSync(Buffer.from(f.get('s')!, 'base64url')).toString()).toBe(text);
  });
});
