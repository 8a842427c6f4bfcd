// Bundles the command line into dist/bundle/ (ES modules, split at each dynamic import) so
// that starting vmemlab reads a few files instead of a few hundred. bin/vmemlab.js uses the
// bundle when it exists and dist/src/cli/main.js (plain tsc output) otherwise.
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { rmSync } from 'node:fs';

rmSync('dist/bundle', { recursive: true, force: true });

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
await build({ ...common, entryPoints: { main: 'src/cli/main.ts' }, outdir: 'dist/bundle', splitting: true });
