// Tests that need something the machine may lack (root, a compiler, network
// namespaces) skip with the reason printed; in CI, where
// TCP_KEEPALIVE_REQUIRE_ROOT_TESTS=1, a missing prerequisite fails instead.
import { it } from 'vitest';

/** Returns true when the suite should be skipped; registers a failing test when skipping is not allowed. */
export function requireOrSkip(suite: string, missing: string | null): boolean {
  if (missing === null) return false;
  if (process.env.TCP_KEEPALIVE_REQUIRE_ROOT_TESTS === '1') {
    it(`${suite}: prerequisites`, () => {
      throw new Error(`${suite} cannot run: ${missing} (TCP_KEEPALIVE_REQUIRE_ROOT_TESTS=1 forbids skipping)`);
    });
    return true;
  }
  console.warn(`[skip] ${suite}: ${missing}`);
  return true;
}
