/**
 * The vitest configuration StrykerJS runs the suite with (`npm run mutate`, docs/testing.md).
 * It is the default suite minus the files that cannot kill a mutant of src/{kernel,arch,kernels,sim}
 * and only make the initial (unmutated) run slow:
 * - huge.test.ts, chunked-parse.test.ts: the scenario parser at its 8 MiB / 180,000-step limits
 *   (10 s + 5 s; the parser lives in src/scenario, which is not mutated);
 * - cli.test.ts, startup.test.ts: they spawn bin/vmemlab.js, which runs the built dist/ code,
 *   not the instrumented sources, so they never cover a mutant;
 * - machine.test.ts: the snapshot collector on this machine (spawns sh/busybox, depends on the host);
 * - serve.test.ts: the explorer's file server (src/node);
 * - s390-standby-runs.test.ts: it swaps sclp_add_standby_memory with vi.mock, which does not
 *   take effect when an earlier test file in the same worker already loaded memory_hotplug.js
 *   (isolate: false), so its initial run fails there ("expected 0 to be greater than 9").
 * isolate: false shares the module cache between test files (Stryker switches mutants at run
 * time, so nothing needs re-importing): a quarter less time per mutant here.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      isolate: false,
      exclude: [
        'node_modules/**',
        'test/huge.test.ts',
        'test/chunked-parse.test.ts',
        'test/cli.test.ts',
        'test/startup.test.ts',
        'test/machine.test.ts',
        'test/serve.test.ts',
        'test/s390-standby-runs.test.ts',
      ],
    },
  }),
);
