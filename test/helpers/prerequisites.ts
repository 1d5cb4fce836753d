// Tests that need something the machine may lack (root, a compiler, network
// namespaces) skip with the reason printed; in CI, where
// TCP_KEEPALIVE_REQUIRE_ROOT_TESTS=1, a missing prerequisite fails instead.
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';

/**
 * Returns true when the suite should be skipped; registers a failing test when
 * skipping is not allowed. A skip is printed once, at the end of the run, in
 * a summary grouped by what is missing (test/helpers/skip-summary.ts); a file
 * run outside that (no summary set up) prints its own line.
 */
export function requireOrSkip(suite: string, missing: string | null): boolean {
  if (missing === null) return false;
  if (process.env.TCP_KEEPALIVE_REQUIRE_ROOT_TESTS === '1') {
    it(`${suite}: prerequisites`, () => {
      throw new Error(`${suite} cannot run: ${missing} (TCP_KEEPALIVE_REQUIRE_ROOT_TESTS=1 forbids skipping)`);
    });
    return true;
  }
  const log = process.env.TCP_KEEPALIVE_SKIP_LOG;
  if (log) appendFileSync(log, `${JSON.stringify({ suite, missing })}\n`);
  else console.warn(`[skip] ${suite}: ${missing}`);
  return true;
}

/** The reason for tests that need root, the same words everywhere so the summary groups them. */
export function notRoot(): string | null {
  const uid = process.getuid?.();
  return uid === 0 ? null : `not root (uid ${uid}): they run under sudo, or as root in CI`;
}

/** Whether `command` runs here (installed, executable, and exits 0 for `args`). */
export function runs(command: string, args: string[] = ['--version']): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

const ROOT = join(__dirname, '..', '..');

/**
 * A pinned toolchain from npm (scripts/npm-tool.sh): its path where it is
 * installed, else null and the reason (the command that installs it). Never
 * downloads: a newcomer's `npm test` does not fetch hundreds of megabytes.
 */
export function npmTool(name: 'zig' | 'bun' | 'deno'): { path: string | null; missing: string | null } {
  const result = spawnSync('bash', [join(ROOT, 'scripts', 'npm-tool.sh'), '--cached', name], { encoding: 'utf8', timeout: 10_000 });
  if (result.status === 0) return { path: result.stdout.trim(), missing: null };
  return { path: null, missing: (result.stdout || result.stderr || `scripts/npm-tool.sh --cached ${name} failed`).trim() };
}
