import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// The network-namespace scenarios first, several side by side: each builds
// its own namespaces (named by worker pid and scenario, on a subnet of its
// own) and spends its time waiting on the kernel's timers, not on a CPU.
// Then everything else, one file at a time: the memory test measures RSS and
// the start-up and inspect tests share two cores with nothing else.
// The second group names its folders rather than excluding the first's: a
// project's own `exclude` would replace the command line's (--exclude in
// .ci/node-versions and .ci/memory-safety), not add to it.
const rest = readdirSync('test', { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'network')
  .map((entry) => `test/${entry.name}/**/*.test.ts`);

export default defineConfig({
  test: {
    // Each file ends by checking that it tested the build the run started with.
    setupFiles: ['test/helpers/build-under-test.ts'],
    // One line per missing prerequisite at the end, naming what it skipped.
    globalSetup: ['test/helpers/skip-summary.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'network', include: ['test/network/**/*.test.ts'], maxWorkers: 4, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'one at a time', include: rest, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
