import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file ends by checking that it tested the build the run started with.
    setupFiles: ['test/helpers/build-under-test.ts'],
    // One line per missing prerequisite at the end, naming what it skipped.
    globalSetup: ['test/helpers/skip-summary.ts'],
    // One file at a time: the network scenarios measure timings, and the
    // memory test measures RSS; neither should share two cores with others.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
