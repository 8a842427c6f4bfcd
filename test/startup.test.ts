/**
 * What start-up relies on: the built-in default scenario parsed at build time is the one
 * default.ts describes, the hand-made thousands separators equal toLocaleString, the library
 * entry points still load by package name, and --help does not load the library.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARSED } from '../src/scenario/default-parsed.js';
import { DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME } from '../src/scenario/default.js';
import { parseScenario } from '../src/scenario/parse.js';
import { commas } from '../src/util/units.js';
import { prng } from '../src/sim/fuzz.js';

const root = new URL('..', import.meta.url).pathname;

describe('start-up', () => {
  it('default-parsed.ts is default.ts parsed (else: npm run gen:default)', () => {
    expect(DEFAULT_PARSED).toEqual(parseScenario(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO));
  });

  it('commas() equals toLocaleString("en-US")', () => {
    const rnd = prng(5);
    const xs = [0, -0, 1, -1, 999, 1000, -1000, 999999, 1000000, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1.5, -2.25, 1e21, NaN, Infinity];
    for (let i = 0; i < 2000; i++) xs.push(Math.floor(rnd() * 10 ** Math.floor(rnd() * 16)) * (rnd() < 0.2 ? -1 : 1));
    for (const x of xs) expect(commas(x), String(x)).toBe(x.toLocaleString('en-US'));
  });

  it("the library loads by package name ('vmemmap-lab' and 'vmemmap-lab/core')", () => {
    const code = "const a = await import('vmemmap-lab'); const b = await import('vmemmap-lab/core'); const r = a.runScenarioText(a.DEFAULT_SCENARIO_NAME, a.DEFAULT_SCENARIO); console.log(typeof a.runScenarioText, a.runPassed(r), b.renderJson(b.runScenario(b.defaultScenario())) === a.renderJson(r));";
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('function true true\n');
  });

  it('the bundled entry holds neither the model nor the YAML parser nor zod (they load when a command runs)', () => {
    const main = readFileSync(join(root, 'dist/bundle/main.js'), 'utf8');
    expect(main).toContain('vmemlab');
    for (const s of ['vmemmap_populate', 'parseDocument', 'ZodError', 'yaml.document']) expect(main.includes(s), s).toBe(false);
    const all = readdirSync(join(root, 'dist/bundle')).map((f) => readFileSync(join(root, 'dist/bundle', f), 'utf8')).join('');
    for (const s of ['vmemmap_populate', 'yaml.document']) expect(all.includes(s), s).toBe(true);
  });

  it('the core script of the bundle and its V8 code cache load (the cache is accepted) and run the default', () => {
    const code = `const fs = require('fs'); const vm = require('vm'); const f = ${JSON.stringify(join(root, 'dist/bundle/core.cjs'))};
      const s = new vm.Script(fs.readFileSync(f, 'utf8'), { filename: f, cachedData: fs.readFileSync(f + '.cache') });
      const m = { exports: {} }; s.runInThisContext()(m, m.exports);
      console.log(s.cachedDataRejected, m.exports.runPassed(m.exports.runScenario(m.exports.defaultScenario())));`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('false true\n');
  });
});
