import { defineConfig } from 'vitest/config';

/** The explorer's browser tests (npm run test:explorer): real chromium, real `vmemlab explore`. */
export default defineConfig({
  test: {
    include: ['test-explorer/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    // a loaded 2-core CI machine: give polled assertions time (the model runs in the page)
    expect: { poll: { timeout: 15_000 } },
  },
});
