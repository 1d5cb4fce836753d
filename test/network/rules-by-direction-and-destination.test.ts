// Scenario 15: one unmodified program under the preload with rules by
// direction and destination (TCP_KEEPALIVE_RULES), on a real network. It
// serves a remote client and connects to a "database" (port 5432) and a
// "cache" (6379) on another machine, and to a service on its own loopback.
// Read from outside the process (tcp-keepalive inspect in its namespace),
// every socket holds its rule's values: the accepted connection the
// streaming rule (a budget, no user timeout), the database its budget with
// a user timeout, the cache the default, loopback untouched. Then both
// remote peers stop reading while the program writes to them: the database
// connection is cut off after its user timeout (and the report names the
// rule), the client without one is still there at twice that and reads on.
import { expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { keepAliveFor } from '../../lib/index.js';
import { describeNetwork, openConnection, sleep, useLab, waitUntil, wallClock } from './harness.js';

const ROOT = join(__dirname, '..', '..');
const REGISTER = join(ROOT, 'dist', 'register.js');
const CLI = join(ROOT, 'dist', 'cli.js');
const RULES = 'accepted: detect-within=8s no-user-timeout; to :5432: detect-within=6s; to 127.0.0.0/8: off; default: idle=50 interval=5 count=2';
const ACCEPTED = { enabled: true, ...keepAliveFor({ detectWithin: 8_000, userTimeout: false }) };
const DATABASE = { enabled: true, ...keepAliveFor({ detectWithin: 6_000 }) };
const DEFAULT = { enabled: true, idle: 50_000, interval: 5_000, count: 2, userTimeout: 0 };
// Waking the Node process after the kernel's abort, plus the first zero-window probe's RTO, on a busy machine.
const SLACK_S = 1.0;

interface Row {
  state: string;
  local: { address: string; port: number };
  remote: { address: string; port: number };
  keepAlive: Record<string, unknown> | null;
}

describeNetwork('scenario 15: rules by direction and destination in an unmodified program', () => {
  const lab = useLab('s15');

  it('each socket holds its rule, read from outside; the database connection is cut off for a stalled reader after its user timeout, the accepted one without a user timeout is not', async () => {
    const appNs = await lab.namespace('app');
    const peerNs = await lab.namespace('peer');
    const [appIf, peerIf] = await lab.link({ ns: appNs, dev: 'to-peer' }, { ns: peerNs, dev: 'to-app' }, '10.201.16.0');
    const app = await lab.endpoint(appNs, 'app', { nodeArgs: ['--require', REGISTER], env: { TCP_KEEPALIVE_RULES: RULES, TCP_KEEPALIVE_REPORT: 'json' } });
    const local = await lab.endpoint(appNs, 'a service on the app machine\'s loopback');
    const database = await lab.endpoint(peerNs, 'database');
    const cache = await lab.endpoint(peerNs, 'cache');
    const remote = await lab.endpoint(peerNs, 'remote client');
    await app.listen(appIf.ip, 7015);
    await local.listen('127.0.0.1', 7016);
    await database.listen(peerIf.ip, 5432);
    await cache.listen(peerIf.ip, 6379);

    const accepted = await openConnection(remote, app, appIf.ip, 7015, 'client');
    const toDatabase = await openConnection(app, database, peerIf.ip, 5432, 'db');
    await openConnection(app, cache, peerIf.ip, 6379, 'cache');
    const toLocal = await openConnection(app, local, '127.0.0.1', 7016, 'loopback');

    // Inside the program.
    expect(await app.getKeepAlive(accepted.server.id)).toEqual(ACCEPTED);
    expect(await app.getKeepAlive('db')).toEqual(DATABASE);
    expect(await app.getKeepAlive('cache')).toEqual(DEFAULT);
    expect(await app.getKeepAlive('loopback')).toMatchObject({ enabled: false });

    // From outside: tcp-keepalive inspect, run in the program's namespace.
    const inspected = spawnSync('ip', ['netns', 'exec', appNs, process.execPath, CLI, 'inspect', String(app.pid), '--json', '--normal-priority'], { encoding: 'utf8', timeout: 20_000 });
    expect(inspected.status, inspected.stderr).toBe(0);
    const rows = (JSON.parse(inspected.stdout) as { sockets: Row[] }).sockets.filter((row) => row.state === 'ESTABLISHED');
    const byRemotePort = (port: number) => rows.find((row) => row.remote.port === port);
    const byLocalPort = (port: number) => rows.find((row) => row.local.port === port);
    expect(byLocalPort(7015)?.keepAlive).toEqual(ACCEPTED);
    expect(byRemotePort(5432)?.keepAlive).toEqual(DATABASE);
    expect(byRemotePort(6379)?.keepAlive).toEqual(DEFAULT);
    expect(byRemotePort(7016)?.keepAlive).toMatchObject({ enabled: false });
    expect(rows.find((row) => row.local.port === toLocal.client.localPort)?.remote.address).toBe('127.0.0.1');

    // Both remote peers stop reading; the program writes to both until their windows close.
    await database.request('pause', { id: toDatabase.server.id });
    await remote.request('pause', { id: 'client' });
    await app.request('flood', { id: 'db' });
    await app.request('flood', { id: accepted.server.id });
    const userTimeoutS = DATABASE.userTimeout / 1000;
    const cut = await app.waitFor((e) => (e.event === 'error' || e.event === 'close') && e.id === 'db', (2 * userTimeoutS + 5) * 1000, 'the database connection to be cut off');
    const dbState = await app.request<{ lastDrain: number }>('state', { id: 'db' });
    const cutAfter = cut.t - dbState.lastDrain;
    // The accepted one, twice the user timeout after its window closed.
    const clientState = await app.request<{ lastDrain: number }>('state', { id: accepted.server.id });
    await sleep(Math.max(0, (clientState.lastDrain + 2 * userTimeoutS + 0.2 - wallClock()) * 1000));
    const keptFor = wallClock() - clientState.lastDrain;
    const kept = await app.request<{ destroyed: boolean; errored: string | null }>('state', { id: accepted.server.id });
    const readBefore = (await remote.request<{ bytesRead: number }>('state', { id: 'client' })).bytesRead;
    await remote.request('resume', { id: 'client' });
    let readAfter = readBefore;
    for (const deadline = Date.now() + 5000; readAfter < readBefore + 1_000_000 && Date.now() < deadline; await sleep(50)) {
      readAfter = (await remote.request<{ bytesRead: number }>('state', { id: 'client' })).bytesRead;
    }
    await app.request('stopFlood', { id: accepted.server.id });
    const reportLines = () => app.errorOutput.split('\n').filter((line) => line.startsWith('{'));
    await waitUntil(() => reportLines().length > 0, 'report line for the database connection'); // stderr is a pipe of its own
    const reports = reportLines().map((line) => JSON.parse(line) as Record<string, unknown>);

    console.log(
      `[scenario 15] rules "${RULES}": accepted ${JSON.stringify(byLocalPort(7015)?.keepAlive)}, :5432 ${JSON.stringify(byRemotePort(5432)?.keepAlive)}, ` +
        `cache ${JSON.stringify(byRemotePort(6379)?.keepAlive)}, loopback enabled ${String(byRemotePort(7016)?.keepAlive?.enabled)}; ` +
        `stalled database reader cut off ${cutAfter.toFixed(2)} s after its window closed (${String(cut.code ?? cut.event)}, user timeout ${userTimeoutS} s), ` +
        `stalled client without a user timeout still open at ${keptFor.toFixed(2)} s and read ${((readAfter - readBefore) / 1e6).toFixed(1)} MB after resuming; ` +
        `report: ${JSON.stringify(reports.map((report) => ({ cause: report.cause, rule: report.rule })))}`,
    );
    expect(cut).toMatchObject({ event: 'error', code: 'ETIMEDOUT' });
    expect(cutAfter).toBeGreaterThanOrEqual(userTimeoutS);
    expect(cutAfter).toBeLessThanOrEqual(userTimeoutS * (9 / 8) + SLACK_S);
    expect(keptFor).toBeGreaterThanOrEqual(2 * userTimeoutS);
    expect(kept).toMatchObject({ destroyed: false, errored: null });
    expect(readAfter - readBefore).toBeGreaterThanOrEqual(1_000_000);
    expect(reports).toEqual([expect.objectContaining({ remotePort: 5432, cause: 'user-timeout', rule: 'to :5432' })]);
  }, 60_000);
});
