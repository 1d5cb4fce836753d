// valgrind's memcheck over every native entry point, success and error paths
// (test/fixtures/memcheck-loop.cjs): no error whose stack passes through the
// addon, and nothing the addon allocated definitely lost. Node itself and V8
// have reports of their own; only those in the addon's frames count here.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireOrSkip, runs } from '../helpers/prerequisites.js';
import { explain, run } from '../helpers/run.js';

const skip = requireOrSkip('valgrind memcheck', runs('valgrind') ? null : 'valgrind is not installed: apt-get install valgrind');

describe.skipIf(skip)('valgrind memcheck', () => {
  it('no error in the addon\'s frames, nothing definitely lost by it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-valgrind-'));
    try {
      const xml = join(dir, 'memcheck.xml');
      const result = await run(
        'valgrind',
        ['--tool=memcheck', '--leak-check=full', '--error-limit=no', '--xml=yes', `--xml-file=${xml}`, process.execPath, join(__dirname, '..', 'fixtures', 'memcheck-loop.cjs')],
        { cwd: join(__dirname, '..', '..'), env: process.env, timeoutMs: 300_000 },
      );
      expect(result.code, explain(result)).toBe(0);
      const { errors: errorPaths } = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { errors: number };
      const report = readFileSync(xml, 'utf8');
      const errors = report.split('<error>').slice(1).map((block) => block.split('</error>')[0]);
      const ours = errors.filter((block) => /tcp_keepalive[^<]*\.node|tcp-keepalive[^<]*\.node/.test(block));
      const kinds = (blocks: string[]) => blocks.map((block) => /<kind>([^<]+)<\/kind>/.exec(block)?.[1] ?? '?');
      console.log(
        `[valgrind] memcheck: ${errorPaths} calls took an error path in the addon; ${errors.length} reports in all (${[...new Set(kinds(errors))].join(', ') || 'none'}), ` +
          `${ours.length} in the addon's frames`,
      );
      expect(errorPaths).toBeGreaterThan(20_000);
      expect(ours.map((block, i) => `${kinds(ours)[i]}: ${block.slice(0, 2000)}`)).toEqual([]);
      // Nothing definitely lost anywhere would be too strong (Node's own exit); by the addon: nothing.
      expect(kinds(ours).filter((kind) => kind === 'Leak_DefinitelyLost')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 320_000);
});
