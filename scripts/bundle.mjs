// Bundles the command line into dist/bundle/ (ES modules, split at each dynamic import) so
// that starting vmemlab reads a few files instead of a few hundred. bin/vmemlab.js uses the
// bundle when it exists and dist/src/cli/main.js (plain tsc output) otherwise.
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import vm from 'node:vm';

rmSync('dist/bundle', { recursive: true, force: true });
mkdirSync('dist/bundle', { recursive: true });

// Node built-ins are taken with process.getBuiltinModule() (Node >= 20.16), not with ES
// imports: an ES import of a built-in builds its full module namespace, which loads every
// lazy part of it (fs pulls in streams, fs/promises, readline, ...: several ms of start-up).
// commander's child_process (for executable sub-commands, which vmemlab does not use) is
// loaded only if something touches it.
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const nodeBuiltins = {
  name: 'node-builtins',
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => (builtins.has(args.path) ? { path: args.path.replace(/^node:/, ''), namespace: 'builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: args.path === 'child_process'
        ? "module.exports = new Proxy({}, { get: (_, k) => process.getBuiltinModule('node:child_process')[k] });"
        : `module.exports = process.getBuiltinModule('node:${args.path}');`,
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: process.env.VMEMLAB_NO_MINIFY === undefined,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [nodeBuiltins],
};
// the worker on its own (one file): sharing chunks with the command line would split the
// command line's start-up path into more, smaller files
await build({ ...common, entryPoints: { 'fuzz-worker': 'src/cli/fuzz-worker.ts' }, outdir: 'dist/bundle' });

// `vmemlab run` on the built-in default loads src/core.ts as a script with a V8 code cache
// made here (dist/bundle/core.cjs and core.cjs.cache): compiling and first running the model
// is most of that command's start-up. A cache V8 rejects (another Node) is only not used.
const core = await build({ ...common, entryPoints: ['src/core.ts'], format: 'cjs', platform: 'neutral', write: false, plugins: [] });
const coreFile = 'dist/bundle/core.cjs';
const coreCode = `(function (module, exports) {${core.outputFiles[0].text}\n})`;
writeFileSync(coreFile, coreCode);
const script = new vm.Script(coreCode, { filename: resolve(coreFile) });
const mod = { exports: {} };
script.runInThisContext()(mod, mod.exports);
{
  const c = mod.exports;
  const r = c.runScenario(c.defaultScenario());
  c.renderText(r); c.renderJson(r); c.renderDmesg(r); c.renderPtdump(r); c.renderTrace(r); c.runPassed(r); c.runExitCode(r);
}
writeFileSync(`${coreFile}.cache`, script.createCachedData());

const coreLoader = {
  name: 'core-loader',
  setup(b) {
    b.onResolve({ filter: /\/core\.js$/ }, (args) => (args.kind === 'dynamic-import' ? { path: 'core-loader', namespace: 'vmemlab' } : undefined));
    b.onLoad({ filter: /^core-loader$/, namespace: 'vmemlab' }, () => ({
      loader: 'js',
      contents: `
const fs = process.getBuiltinModule('node:fs');
const vm = process.getBuiltinModule('node:vm');
const { fileURLToPath } = process.getBuiltinModule('node:url');
const file = fileURLToPath(new URL('./core.cjs', import.meta.url));
let cachedData;
try { cachedData = fs.readFileSync(file + '.cache'); } catch {}
const m = { exports: {} };
new vm.Script(fs.readFileSync(file, 'utf8'), { filename: file, cachedData }).runInThisContext()(m, m.exports);
export const { defaultScenario, runScenario, renderText, renderJson, renderDmesg, renderPtdump, renderTrace, runPassed, runExitCode } = m.exports;
`,
    }));
  },
};

await build({ ...common, entryPoints: { main: 'src/cli/main.ts' }, outdir: 'dist/bundle', splitting: true, plugins: [coreLoader, nodeBuiltins] });
