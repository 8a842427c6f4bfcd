// @ts-check
/**
 * Mutation testing with StrykerJS (docs/testing.md). `npm run mutate` mutates src/kernel, src/arch,
 * src/kernels and src/sim. `MUTATE_DIRS=arch,kernel npm run mutate` mutates only those directories
 * (or files: kernel/sparse.ts) of src/; each set has its own incremental file and report under
 * reports/, so a run over one directory keeps another's incremental results.
 * `npm run mutate -- --mutate 'src/kernel/sparse.ts'` also works (the command line replaces
 * `mutate`), with the incremental file of MUTATE_DIRS.
 *
 * The property tests pick a random seed unless VMEMLAB_SEED is set; a mutant must meet the same
 * random machines in every run, so the seed is fixed here (the workers inherit the environment).
 */
process.env.VMEMLAB_SEED ??= '2026';
// ... and 40 of them, not 200 (the random test runs under nearly every mutant; the fixed seeds stay)
process.env.VMEMLAB_RUNS ??= '40';

const dirs = (process.env.MUTATE_DIRS ?? 'kernel,arch,kernels,sim').split(',').map((d) => d.trim()).filter(Boolean);
// a directory of src/ (every .ts below it) or one file (kernel/sparse.ts)
const globs = dirs.map((d) => (d.endsWith('.ts') ? `src/${d}` : `src/${d}/**/*.ts`));
const tag = dirs.join('+').replaceAll('/', '_');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: globs,
  // Only the tests that ran a mutant's code run against it.
  coverageAnalysis: 'perTest',
  // The machine has 2 cores and is shared: one test-runner process.
  concurrency: 1,
  // Reruns test only the mutants whose code or covering tests changed (see docs/testing.md).
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${tag}.json`,
  // event-recorder: one file per tested mutant under reports/stryker-events/, as it is tested
  reporters: ['clear-text', 'progress', 'html', 'json', 'event-recorder'],
  eventReporter: { baseDir: `reports/stryker-events/${tag}` },
  htmlReporter: { fileName: `reports/mutation/${tag}.html` },
  jsonReporter: { fileName: `reports/mutation/${tag}.json` },
  // The sandbox needs dist/ (a few tests spawn bin/vmemlab.js) but not earlier reports or outputs.
  ignorePatterns: ['dist-explorer', 'reports', 'fuzz-out', 'coverage', 'tmp'],
  timeoutMS: 20000,
  timeoutFactor: 2,
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
