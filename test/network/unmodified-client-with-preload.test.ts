// Scenario 7: a program that never calls setKeepAlive, run with
// `--require tcp-keepalive/register` and KEEPIDLE/KEEPINTVL/KEEPCNT only,
// notices a vanished server in idle + interval × count; the same program
// without the preload, connected to the same server, is still waiting.
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { describeNetwork, detectionWindow, openConnection, traceSocket, useLab, settled } from './harness.js';

const REGISTER = join(__dirname, '..', '..', 'dist', 'register.js');
const settings = { idle: 2000, interval: 1000, count: 2 };

describeNetwork('scenario 7: an unmodified client under the preload detects a dead server', () => {
  const lab = useLab('s7');

  it('ETIMEDOUT within idle + interval × count from the environment alone; without the preload, still open', async () => {
    const clientNs = await lab.namespace('client');
    const serverNs = await lab.namespace('server');
    const [clientIf, serverIf] = await lab.link({ ns: clientNs, dev: 'to-server' }, { ns: serverNs, dev: 'to-client' }, '10.201.7.0');
    const capture = await lab.capture(clientIf);
    const server = await lab.endpoint(serverNs, 'server');
    const preloaded = await lab.endpoint(clientNs, 'preloaded client', {
      nodeArgs: ['--require', REGISTER],
      env: { KEEPIDLE: String(settings.idle / 1000), KEEPINTVL: String(settings.interval / 1000), KEEPCNT: String(settings.count) },
    });
    const plain = await lab.endpoint(clientNs, 'plain client');
    await server.listen(serverIf.ip, 7007);
    const withPreload = await openConnection(preloaded, server, serverIf.ip, 7007, 'with');
    const without = await openConnection(plain, server, serverIf.ip, 7007, 'without');

    // What the kernel holds, read inside each program.
    expect(await preloaded.getKeepAlive('with')).toMatchObject({ enabled: true, ...settings });
    expect(await plain.getKeepAlive('without')).toMatchObject({ enabled: false });

    const from = [preloaded.events.length, plain.events.length];
    await server.write(withPreload.server.id, 'last words');
    await server.write(without.server.id, 'last words');
    await preloaded.received('with', 'last words', 5000, from[0]);
    await plain.received('without', 'last words', 5000, from[1]);
    await capture.until((packets) => settled(packets, withPreload.client) && settled(packets, without.client), "both clients' ACKs of the last words");
    const vanishedAt = await lab.vanish(serverIf);

    const window = detectionWindow(settings.idle, settings.interval, settings.count);
    const failure = await preloaded.waitFor((e) => (e.event === 'error' || e.event === 'close') && e.id === 'with', (window.latest + 5) * 1000, 'the preloaded client to notice');
    const trace = traceSocket(await capture.stop(), withPreload.client);
    const observed = failure.t - trace.lastReceived!.time;
    const plainState = await plain.state('without');
    console.log(
      `[scenario 7] preload KEEPIDLE=2 KEEPINTVL=1 KEEPCNT=2: expected >= ${window.expected.toFixed(3)} s (<= ${window.latest.toFixed(3)} s), ` +
        `observed ${observed.toFixed(3)} s (${String(failure.code ?? failure.event)}), probes ${trace.probes.length}; ` +
        `without the preload at ${(failure.t - vanishedAt + 0.3).toFixed(1)} s after the vanish: ${plainState.readyState}, errored ${String(plainState.errored)}`,
    );
    expect(failure).toMatchObject({ event: 'error', code: 'ETIMEDOUT' });
    expect(observed).toBeGreaterThanOrEqual(window.earliest);
    expect(observed).toBeLessThanOrEqual(window.latest);
    expect(trace.probes).toHaveLength(settings.count);
    // Linux defaults (7200 s idle) would take 2 h 11 min: the plain client has not noticed.
    expect(plainState).toMatchObject({ destroyed: false, errored: null });
  }, 60_000);
});
