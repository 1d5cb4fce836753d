// Vitest global setup: collects what each skipped group lacked (written by
// requireOrSkip in the test processes to a file named in the environment)
// and prints it once when the run ends, one line per missing prerequisite
// with the groups it kept from running. A newcomer's `npm test` ends with
// the list of what to install, not with a skip line per file.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-skips-'));
  const log = join(dir, 'skips.jsonl');
  // Inherited by the test processes vitest starts after this.
  process.env.TCP_KEEPALIVE_SKIP_LOG = log;
  return () => {
    const skips = existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { suite: string; missing: string })
      : [];
    rmSync(dir, { recursive: true, force: true });
    if (skips.length === 0) return;
    const byReason = new Map<string, Set<string>>();
    for (const { suite, missing } of skips) byReason.set(missing, (byReason.get(missing) ?? new Set()).add(suite));
    const lines = [...byReason].map(([missing, suites]) => `[skip] ${missing}\n         skipped: ${[...suites].join('; ')}`);
    console.log(`\nSkipped for a missing prerequisite (docs/contributing.md, "Running the tests", says what each needs):\n${lines.join('\n')}\n`);
  };
}
