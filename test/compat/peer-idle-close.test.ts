// Peers that close idle connections themselves, with real servers from
// Debian on loopback: MariaDB's wait_timeout (an unprompted reset), HAProxy's
// timeout http-keep-alive (a FIN) and PgBouncer's client_idle_timeout (a
// goodbye message, then a FIN). Unmodified programs (programs/idle-close-*.mjs)
// run under tcp-keepalive/register with TCP_KEEPALIVE_REPORT=json: each
// peer's close is reported once as 'closed-by-peer' with the server's
// timeout as the silence, a request written into a connection HAProxy had
// just closed is reported as raced, and at exit the pattern by destination.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { notRoot, requireOrSkip } from '../helpers/prerequisites.js';
import { explain, run, withoutKeepAliveVariables } from '../helpers/run.js';
import { compatServersUnavailableReason, proxiesUnavailableReason, startHaproxy, startMariaDB, startPgBouncer, startPostgres } from '../helpers/servers.js';

const ROOT = join(__dirname, '..', '..');
const REGISTER = join(ROOT, 'dist', 'register.js');
const PROGRAMS = join(__dirname, 'programs');
const IDLE_S = 2;

interface Report {
  cause: string;
  raced: boolean;
  silentFor: number;
  error: string | null;
  remotePort: number;
  direction: string;
  openedBy?: string;
}

/** Runs a program under the preload with the JSON report; its report lines and its summary at exit. */
async function underReport(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ reports: Report[]; summary: Array<{ destination: string; cause: string; count: number; raced: number }>; done: Record<string, unknown> }> {
  const result = await run(process.execPath, ['--require', REGISTER, join(PROGRAMS, program), ...args], {
    cwd: __dirname,
    env: withoutKeepAliveVariables({ TCP_KEEPALIVE_REPORT: 'json', ...env }),
    timeoutMs: 40_000,
  });
  expect(result.code, explain(result)).toBe(0);
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('{'));
  const objects = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const summary = (objects.find((object) => 'summary' in object)?.summary ?? []) as Array<{ destination: string; cause: string; count: number; raced: number }>;
  return { reports: objects.filter((object) => !('summary' in object)) as unknown as Report[], summary, done: JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown> };
}

const near = (report: Report, seconds: number, slack = 0.3) => {
  expect(report.silentFor / 1000, JSON.stringify(report)).toBeGreaterThanOrEqual(seconds - 0.05);
  expect(report.silentFor / 1000, JSON.stringify(report)).toBeLessThanOrEqual(seconds + slack);
};

const installed = existsSync(join(__dirname, 'node_modules', 'mysql2', 'package.json'));
const skip = requireOrSkip(
  'peers that close idle connections (MariaDB, HAProxy, PgBouncer)',
  !installed ? 'test/compat/node_modules is missing: run `npm ci` in test/compat' : (notRoot() ?? compatServersUnavailableReason() ?? proxiesUnavailableReason()),
);

describe.skipIf(skip)('peers that close idle connections themselves, in the preload report', () => {
  it(`mysql2 + MariaDB wait_timeout = ${IDLE_S}: an unprompted reset, closed-by-peer after ${IDLE_S} s`, async () => {
    const mariadb = await startMariaDB({ waitTimeout: IDLE_S });
    const { reports, summary } = await underReport('idle-close-mysql2.mjs', [], { COMPAT_PORT: String(mariadb.port) });
    console.log(`[peer idle close] mysql2 + MariaDB: ${JSON.stringify(reports)}`);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ cause: 'closed-by-peer', raced: false, error: 'ECONNRESET', remotePort: mariadb.port, direction: 'opened' });
    near(reports[0], IDLE_S);
    expect(summary).toEqual([expect.objectContaining({ destination: `127.0.0.1:${mariadb.port}`, cause: 'closed-by-peer', count: 1 })]);
  }, 90_000);

  it(`undici through HAProxy timeout http-keep-alive ${IDLE_S}s: a FIN, closed-by-peer; a request written into the connection it closed, raced`, async () => {
    const backend = http.createServer((_request, response) => response.end('ok'));
    backend.keepAliveTimeout = 60_000;
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    try {
      const haproxy = await startHaproxy((backend.address() as { port: number }).port, IDLE_S);
      const origin = `http://127.0.0.1:${haproxy.port}`;
      const idle = await underReport('idle-close-undici.mjs', ['idle'], { COMPAT_ORIGIN: origin });
      console.log(`[peer idle close] undici + HAProxy: ${JSON.stringify(idle.reports)}`);
      expect(idle.reports).toHaveLength(1);
      expect(idle.reports[0]).toMatchObject({ cause: 'closed-by-peer', raced: false, remotePort: haproxy.port, openedBy: 'undici' });
      near(idle.reports[0], IDLE_S);
      // A request written into the connection HAProxy has just closed (its FIN in the kernel, not yet read).
      const race = await underReport('idle-close-race.mjs', [], { COMPAT_ORIGIN: origin });
      console.log(`[peer idle close] a request into the connection HAProxy closed (${String(race.done.outcome)}): ${JSON.stringify(race.reports)}`);
      expect(race.reports).toHaveLength(1);
      expect(race.reports[0]).toMatchObject({ cause: 'closed-by-peer', raced: true, remotePort: haproxy.port });
      near(race.reports[0], IDLE_S);
      expect(race.summary).toEqual([expect.objectContaining({ destination: `127.0.0.1:${haproxy.port}`, cause: 'closed-by-peer', count: 1, raced: 1 })]);
    } finally {
      backend.close();
    }
  }, 90_000);

  it(`pg through PgBouncer client_idle_timeout = ${IDLE_S}: its goodbye and a FIN, closed-by-peer after ${IDLE_S} s`, async () => {
    const postgres = await startPostgres();
    const pgbouncer = await startPgBouncer(postgres.port, IDLE_S);
    const { reports, done } = await underReport('idle-close-pg.mjs', [], { COMPAT_PORT: String(pgbouncer.port) });
    console.log(`[peer idle close] pg + PgBouncer (${String(done.error)}): ${JSON.stringify(reports)}`);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ cause: 'closed-by-peer', raced: false, remotePort: pgbouncer.port });
    // PgBouncer looks for idle clients about once a second.
    near(reports[0], IDLE_S, 1.3);
  }, 90_000);
});
