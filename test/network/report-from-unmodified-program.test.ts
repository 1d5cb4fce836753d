// Scenario 13: TCP_KEEPALIVE_REPORT in unmodified programs (fetch through
// undici, as it comes) under `--require tcp-keepalive/register`, whose server
// goes silent:
// - the report alone (no keepalive variable): nothing is changed (the socket
//   keeps undici's own 60 s/1 s/10), and the request sent after the server
//   vanished ends after tcp_retries2 (3 in the client's namespace) with one
//   line saying so;
// - with KEEPIDLE=2 KEEPINTVL=1 KEEPCNT=2: a request waiting on the silent
//   server ends with one line: 2 keepalive probes unanswered.
// Exactly one line per lost connection in each program.
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { program } from './client-kinds.js';
import { describeNetwork, useLab, waitUntil, type Endpoint } from './harness.js';

const REGISTER = join(__dirname, '..', '..', 'dist', 'register.js');
const LINE = /^tcp-keepalive: lost .*$/gm;

const linesOf = (endpoint: Endpoint): string[] => endpoint.stderrText.match(LINE) ?? [];

describeNetwork('scenario 13: the report from unmodified programs', () => {
  const lab = useLab('s13');

  it('one line per lost connection: the report alone changes nothing; with keepalive variables it names the probes', async () => {
    const clientNs = await lab.namespace('client');
    const serverNs = await lab.namespace('server');
    const [, serverIf] = await lab.link({ ns: clientNs, dev: 'to-server' }, { ns: serverNs, dev: 'to-client' }, '10.201.14.0');
    await lab.sysctl(clientNs, { 'net.ipv4.tcp_retries2': 3 });
    const server = await program(lab, serverNs, 'http server', ['http-server', serverIf.ip, '8080', 'defaults']);
    await server.waitFor((e) => e.event === 'listening', 5000, 'the http server to listen');

    const preload = ['--require', REGISTER];
    const waiting = await lab.endpoint(clientNs, 'fetch waiting (report + keepalive)', {
      nodeArgs: preload,
      script: join(__dirname, '..', 'fixtures', 'network-clients.mjs'),
      args: ['fetch', serverIf.ip, '8080', 'defaults'],
      env: { TCP_KEEPALIVE_REPORT: '1', KEEPIDLE: '2', KEEPINTVL: '1', KEEPCNT: '2' },
    });
    await waiting.waitFor((e) => e.event === 'waiting', 10_000, 'the request to wait on the server');
    const sending = await lab.endpoint(clientNs, 'fetch after the vanish (report alone)', {
      nodeArgs: preload,
      script: join(__dirname, '..', 'fixtures', 'network-clients.mjs'),
      args: ['fetch', serverIf.ip, '8080', 'defaults'],
      env: { TCP_KEEPALIVE_REPORT: '1', FETCH_AFTER_MS: '2000', FETCH_TIMEOUT_MS: '30000' },
    });
    const connected = await sending.waitFor((e) => e.event === 'connected', 10_000, 'the first fetch');
    await lab.vanish(serverIf);

    await waiting.waitFor((e) => e.event === 'failed', 10_000, 'the waiting request to fail');
    await sending.waitFor((e) => e.event === 'failed' || e.event === 'answered', 20_000, 'the request sent after the vanish to end');
    // The report lines come on stderr, a pipe of their own.
    await waitUntil(() => linesOf(waiting).length > 0 && linesOf(sending).length > 0, 'report line from each program');
    const [waitingLines, sendingLines] = [linesOf(waiting), linesOf(sending)];
    console.log(`[scenario 13] with KEEPIDLE=2 KEEPINTVL=1 KEEPCNT=2:\n  ${waitingLines.join('\n  ')}`);
    console.log(`[scenario 13] the report alone (undici's own ${JSON.stringify(connected.keepAlive)}):\n  ${sendingLines.join('\n  ')}`);

    // The report alone changed nothing: undici's own keepalive, as it comes.
    expect(connected.keepAlive).toMatchObject({ enabled: true, idle: 60_000, interval: 1_000, count: 10, userTimeout: 0 });
    expect(sendingLines).toHaveLength(1);
    expect(sendingLines[0]).toMatch(
      new RegExp(`^tcp-keepalive: lost ${serverIf.ip.replace(/\./g, '\\.')}:8080 \\(from 10\\.201\\.14\\.1:\\d+\\): data unacknowledged after \\d+ retransmissions \\(tcp_retries2\\), [\\d.]+ s of silence \\(settings 60/1/10, expected within [\\d.]+ s of sending the data\\)$`),
    );
    expect(waitingLines).toHaveLength(1);
    expect(waitingLines[0]).toMatch(
      /^tcp-keepalive: lost 10\.201\.14\.2:8080 \(from 10\.201\.14\.1:\d+\): 2 keepalive probes unanswered after 4\.\d s of silence \(settings 2\/1\/2, expected within 4\.5 s\)$/,
    );
  }, 60_000);
});
