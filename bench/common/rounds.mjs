// Interleaved rounds: every variant once per round, the starting variant
// rotated each round, so a slow or busy stretch of the machine hits them all
// alike; and CPU time of a batch, user and system apart.

/**
 * Runs `rounds` rounds over `variants`, pushing `await measure(variant)` onto
 * `variant.samples` (created if missing). `onRound(r)` reports progress.
 */
export async function interleave(variants, rounds, measure, onRound = () => {}) {
  for (const variant of variants) variant.samples ??= [];
  for (let r = 0; r < rounds; r++) {
    onRound(r);
    for (let j = 0; j < variants.length; j++) {
      const variant = variants[(j + r) % variants.length];
      variant.samples.push(await measure(variant));
    }
  }
}

/** CPU time of `run()` (sync or async) in µs, user and system apart: steadier than wall time on a shared machine. */
export async function cpuTime(run) {
  const before = process.cpuUsage();
  await run();
  return process.cpuUsage(before);
}
