// TCP_KEEPALIVE_REPORT (lib/integrations/report.ts): the sentence and the
// JSON line for each cause, and the preload writing them for real lost
// connections (resets, on loopback) in unmodified programs, one line per lost
// connection, changing nothing. Timeouts through the preload are scenario 13
// (test/network/), where a server can go silent.
import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { join } from 'node:path';
import type { ConnectionLost } from '../../lib/index.js';
import { reportJson, reportSentence } from '../../lib/integrations/report.js';
import { explain, run } from '../helpers/run.js';

const REGISTER = join(__dirname, '..', '..', 'dist', 'register.js');

function lost(fields: Partial<ConnectionLost> & { code: string | null }): ConnectionLost {
  const { code, ...rest } = fields;
  return {
    socket: new net.Socket(),
    remoteAddress: '10.0.0.5',
    remotePort: 5432,
    localAddress: '10.0.0.9',
    localPort: 41234,
    error: code === null ? null : Object.assign(new Error(`read ${code}`), { code, errno: -1, syscall: 'read' }),
    cause: 'keepalive',
    silentFor: 61_300,
    raced: false,
    direction: 'opened',
    openedBy: undefined,
    probes: 4,
    retransmits: 0,
    settings: { enabled: true, idle: 30_000, interval: 10_000, count: 4, userTimeout: 0 },
    expectedWithin: 78_750,
    configured: true,
    ...rest,
  };
}

describe('the report lines', () => {
  it.each([
    [
      'keepalive',
      lost({ code: 'ETIMEDOUT' }),
      'tcp-keepalive: lost 10.0.0.5:5432 (from 10.0.0.9:41234): 4 keepalive probes unanswered after 61.3 s of silence (settings 30/10/4, expected within 78.8 s)',
    ],
    [
      'user timeout, idle',
      lost({ code: 'ETIMEDOUT', cause: 'user-timeout', probes: 3, silentFor: 26_200, settings: { enabled: true, idle: 8_000, interval: 6_000, count: 3, userTimeout: 26_000 }, expectedWithin: 29_250 }),
      'tcp-keepalive: lost 10.0.0.5:5432 (from 10.0.0.9:41234): the user timeout (26 s) passed after 3 keepalive probes unanswered, 26.2 s of silence (settings 8/6/3 +26s, expected within 29.3 s)',
    ],
    [
      'user timeout, data in flight',
      lost({ code: 'ETIMEDOUT', cause: 'user-timeout', probes: 0, retransmits: 4, silentFor: 3_500, settings: { enabled: false, idle: 7_200_000, interval: 75_000, count: 9, userTimeout: 3_000 }, expectedWithin: 3_575 }),
      'tcp-keepalive: lost 10.0.0.5:5432 (from 10.0.0.9:41234): the user timeout (3 s) passed with data unacknowledged, 4 retransmissions, 3.5 s of silence (settings keepalive off +3s, expected within 3.6 s of sending the data)',
    ],
    [
      'retransmissions, after an ICMP message',
      lost({ code: 'EHOSTUNREACH', cause: 'retransmissions', probes: 0, retransmits: 15, silentFor: 1_050_000, settings: { enabled: false, idle: 7_200_000, interval: 75_000, count: 9, userTimeout: 0 }, expectedWithin: 1_175_175 }),
      'tcp-keepalive: lost 10.0.0.5:5432 (from 10.0.0.9:41234): data unacknowledged after 15 retransmissions (tcp_retries2), 1050 s of silence (EHOSTUNREACH) (settings keepalive off, expected within 1175.2 s of sending the data)',
    ],
    [
      'a reset after a long silence, IPv6',
      lost({ code: 'ECONNRESET', cause: 'reset', probes: 0, silentFor: 362_000, remoteAddress: '2001:db8::5', localAddress: '2001:db8::9', settings: { enabled: false, idle: 7_200_000, interval: 75_000, count: 9, userTimeout: 0 }, expectedWithin: null }),
      'tcp-keepalive: lost [2001:db8::5]:5432 (from [2001:db8::9]:41234): reset (ECONNRESET) after 362 s of silence (settings keepalive off); something on the path may forget idle flows before keepalive speaks: ' +
        'keep them alive under 362 s with keepAliveFor({ natIdle: 362000 }) or nat-idle=362s in a rule for this destination (tcp-keepalive explain --detect-within <budget> --nat-idle 362s shows the values)',
    ],
    [
      "a peer's idle close (FIN), a pg pool",
      lost({ code: null, cause: 'closed-by-peer', probes: 0, silentFor: 10_020, expectedWithin: null }),
      "tcp-keepalive: lost 10.0.0.5:5432 (from 10.0.0.9:41234): closed by the peer after 10 s idle (settings 30/10/4); close pooled connections before they are 10 s idle (pg Pool's idleTimeoutMillis): keepalive cannot prevent a peer's own idle timeout (tcp-keepalive explain --closed-after 10s)",
    ],
    [
      "a peer's unprompted reset, mysql2",
      lost({ code: 'ECONNRESET', cause: 'closed-by-peer', probes: 0, silentFor: 2_004, remotePort: 3306, settings: { enabled: false, idle: 7_200_000, interval: 75_000, count: 9, userTimeout: 0 }, expectedWithin: null }),
      "tcp-keepalive: lost 10.0.0.5:3306 (from 10.0.0.9:41234): reset by the peer, unprompted, after 2 s idle (settings keepalive off); close pooled connections before they are 2 s idle (mysql2 pool's idleTimeout): keepalive cannot prevent a peer's own idle timeout (tcp-keepalive explain --closed-after 2s)",
    ],
    [
      'a request that raced the close, undici',
      lost({ code: null, error: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), cause: 'closed-by-peer', raced: true, openedBy: 'undici', probes: 0, silentFor: 4_000, remotePort: 8080, settings: { enabled: true, idle: 60_000, interval: 1_000, count: 10, userTimeout: 0 }, expectedWithin: null }),
      "tcp-keepalive: lost 10.0.0.5:8080 (from 10.0.0.9:41234): the peer closed it after 4 s idle as a request was sent: the request raced the close (UND_ERR_SOCKET) (settings 60/1/10); close pooled connections before they are 4 s idle (undici's keepAliveTimeout): keepalive cannot prevent a peer's own idle timeout (tcp-keepalive explain --closed-after 4s)",
    ],
    [
      'a reset soon after data: no hint',
      lost({ code: 'EPIPE', cause: 'reset', probes: 0, silentFor: 1_200, expectedWithin: null }),
      'tcp-keepalive: lost 10.0.0.5:5432 (from 10.0.0.9:41234): reset (EPIPE) after 1.2 s of silence (settings 30/10/4)',
    ],
  ])('%s', (_what, message, line) => {
    expect(reportSentence(message)).toBe(line);
  });

  it('json: the message without the socket, the error as its code', () => {
    const message = lost({ code: 'ETIMEDOUT' });
    const { socket: _socket, error: _error, ...fields } = message;
    expect(JSON.parse(reportJson(message))).toEqual({ ...fields, error: 'ETIMEDOUT' });
  });
});

// A program that opens `count` connections to a server that resets each one,
// one after another, in reply to the client's first bytes (sent once the
// client has read its settings).
const RESETS = (count: number) => `
  const net = require('node:net');
  const server = net.createServer((peer) => peer.once('data', () => peer.resetAndDestroy())).listen(0, '127.0.0.1', async () => {
    const states = [];
    for (let i = 0; i < ${count}; i++) {
      await new Promise((done) => {
        const client = net.connect(server.address().port, '127.0.0.1', () => {
          states.push(require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'index.js'))}).getKeepAlive(client).enabled);
          client.write('x');
        });
        client.on('error', () => {});
        client.on('close', done);
      });
    }
    // And one that ends normally: no line.
    const calm = net.connect(server.address().port, '127.0.0.1', () => calm.end());
    calm.on('error', () => {});
    calm.on('close', () => { console.log(JSON.stringify(states)); server.close(); });
  });`;

describe('the preload reports', () => {
  it('TCP_KEEPALIVE_REPORT=1 alone: one line per lost connection on stderr, the pattern by destination at exit, and no socket changed', async () => {
    const result = await run(process.execPath, ['--require', REGISTER, '-e', RESETS(3)], { cwd: __dirname, env: { ...process.env, TCP_KEEPALIVE_REPORT: '1' }, timeoutMs: 20_000 });
    expect(result.code, explain(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([false, false, false]); // keepalive left as Node made it
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines.slice(0, 3)) expect(line).toMatch(/^tcp-keepalive: lost 127\.0\.0\.1:\d+ \(from 127\.0\.0\.1:\d+\): reset \(ECONNRESET\) after [\d.]+ s of silence \(settings keepalive off\)$/);
    expect(lines[3]).toBe('tcp-keepalive: connections lost, by destination:');
    expect(lines[4]).toMatch(/^ {2}127\.0\.0\.1:\d+ reset after [\d.]+ s( \([\d.]+ s to [\d.]+ s\))? of silence \(3 times\)$/);
  });

  it('=json with keepalive variables: one object per line, the settings the preload applied, configured', async () => {
    const env = { ...process.env, TCP_KEEPALIVE_REPORT: 'json', KEEPIDLE: '37', KEEPINTVL: '7', KEEPCNT: '4' };
    const result = await run(process.execPath, ['--require', REGISTER, '-e', RESETS(2)], { cwd: __dirname, env, timeoutMs: 20_000 });
    expect(result.code, explain(result)).toBe(0);
    const lines = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines.pop()).toMatchObject({ summary: [{ cause: 'reset', destination: expect.stringMatching(/^127\.0\.0\.1:\d+$/), count: 2, raced: 0 }] });
    for (const line of lines) {
      expect(line).toMatchObject({ cause: 'reset', error: 'ECONNRESET', configured: true, remoteAddress: '127.0.0.1', settings: { enabled: true, idle: 37_000, interval: 7_000, count: 4 } });
      expect(line).not.toHaveProperty('socket');
    }
  });
});
