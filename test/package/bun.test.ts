// Bun (from npm, pinned): setKeepAlive and getKeepAlive on Bun's own net
// sockets and servers, every option round-tripped through the kernel, and a
// Unix domain socket refused. Bun's handles are not Node's TCP class, so the
// target check recognises them by their addresses (lib/core/target.ts).
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { npmTool, requireOrSkip } from '../helpers/prerequisites.js';
import { explain, run } from '../helpers/run.js';

const ROOT = join(__dirname, '..', '..');
// The version is pinned in scripts/npm-tool.sh.
const { path: bun, missing } = npmTool('bun');
const skip = requireOrSkip('Bun probe', missing);

it.skipIf(skip)('under Bun, every option round-trips on sockets and listeners; a Unix domain socket is refused', async () => {
  const probe = await run(bun!, [join(__dirname, '..', 'fixtures', 'bun-probe.cjs')], { cwd: ROOT, env: process.env, timeoutMs: 30_000 });
  expect(probe.code, explain(probe)).toBe(0);
  const out = JSON.parse(probe.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  console.log(`[bun] Bun ${String(out.bun)}: ${probe.stdout.trim()}`);
  const listener = { enabled: true, idle: 31_000, interval: 6_000, count: 2, userTimeout: 9_000 };
  expect(out).toMatchObject({
    native: true,
    listener,
    pendingSet: 'ok',
    pending: { enabled: true, idle: 17_000, interval: 3_000, count: 4, userTimeout: 0 },
    connected: { enabled: true, idle: 21_000, interval: 7_000, count: 5, userTimeout: 12_000 },
    off: false,
    tcpInfo: 'ESTABLISHED',
    accepted: listener, // inherited from the listener
    pipe: { code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('no TCP port') },
    pipeServer: { code: 'ERR_INVALID_ARG_VALUE' },
  });
}, 360_000);
