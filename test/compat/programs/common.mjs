// What every program of the matrix shares: its mode, the values the preload
// and the recipes use (no Linux or Node default has them), and the two
// checkpoints at which the test reads the program's sockets from outside.
// A program prints {"step":"connected",...} once its connection is up and
// waits for a line on stdin; then reuses its connection (or lives through a
// reconnect) and prints {"step":"after",...}; then waits for stdin to close.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

/** 'plain' (the library as it comes), 'preload' (run under tcp-keepalive/register) or 'recipe'. */
export const mode = process.argv[2];
export const recipe = mode === 'recipe';
export const VALUES = { idle: 37_000, interval: 7_000, count: 4, userTimeout: 21_000 };
/** The package under test, as a user imports it (the build in dist/). */
export const keepalive = createRequire(import.meta.url)(fileURLToPath(new URL('../../../dist/index.js', import.meta.url)));
export const register = createRequire(import.meta.url)(fileURLToPath(new URL('../../../dist/register.js', import.meta.url)));
export const env = (name) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`compat program: ${name} is not set`);
  return value;
};

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdin.on('end', () => process.exit(0));
setTimeout(() => process.exit(3), 60_000).unref();

/** Reports a checkpoint and waits for the test to read the sockets. */
export async function checkpoint(step, extra = {}) {
  console.log(JSON.stringify({ step, ...extra }));
  await lines.next();
}

/** Waits until `predicate()` holds, at most `ms`. */
export async function until(predicate, ms = 10_000, what = 'a condition') {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`compat program: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function fail(error) {
  console.error(error);
  process.exit(1);
}

/** The pooled-reuse programs: one request, the first reading, the same request again, the second. */
export async function twice(request) {
  try {
    await request();
    await checkpoint('connected');
    await request(); // the pooled connection again
    await checkpoint('after');
  } catch (error) {
    fail(error);
  }
}

/** Tries `action` until it succeeds (a pool meeting the connection the server ended), at most 20 times. */
export async function retry(action) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt > 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
