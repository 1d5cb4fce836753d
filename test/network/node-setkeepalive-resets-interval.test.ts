// Scenario 6: Node's own socket.setKeepAlive(true, ms) silently replaces the
// interval and count set through this library (libuv hard-codes interval 1 s
// and count 10 on Linux). Two connections from one client: both get
// idle 2 s/interval 2 s/count 3 from the library; then one gets Node's call
// with 1000 ms. getKeepAlive tells the difference, and so does the wire once
// the server vanishes: probes 2 s apart on one, 1 s apart (and 10 of them) on
// the other.
import { expect, it } from 'vitest';
import { JIFFY_S, describeNetwork, detectionWindow, gaps, offsets, openConnection, traceSocket, useLab, settled } from './harness.js';

const librarySettings = { idle: 2000, interval: 2000, count: 3 };
const NODE_DELAY_MS = 1000;
const afterNode = { enabled: true, idle: 1000, interval: 1000, count: 10 };

describeNetwork('scenario 6: Node\'s socket.setKeepAlive resets interval and count', () => {
  const lab = useLab('s6');

  it('after setKeepAlive(socket, { interval: 2000, count: 3 }), socket.setKeepAlive(true, 1000) shows in getKeepAlive and on the wire (1 s apart, 10 probes)', async () => {
    const clientNs = await lab.namespace('client');
    const serverNs = await lab.namespace('server');
    const [clientIf, serverIf] = await lab.link({ ns: clientNs, dev: 'to-server' }, { ns: serverNs, dev: 'to-client' }, '10.201.6.0');
    const capture = await lab.capture(clientIf);
    const server = await lab.endpoint(serverNs, 'server');
    const client = await lab.endpoint(clientNs, 'client');
    await server.listen(serverIf.ip, 7006);
    const kept = await openConnection(client, server, serverIf.ip, 7006, 'library-only');
    const reset = await openConnection(client, server, serverIf.ip, 7006, 'node-reset');

    expect(await client.setKeepAlive('library-only', librarySettings)).toMatchObject(librarySettings);
    const before = await client.setKeepAlive('node-reset', librarySettings);
    expect(before).toMatchObject(librarySettings);
    const after = await client.nodeSetKeepAlive('node-reset', true, NODE_DELAY_MS);
    expect(after).toMatchObject(afterNode);
    expect(await client.getKeepAlive('library-only')).toMatchObject(librarySettings);

    for (const [info, id] of [[kept, 'library-only'], [reset, 'node-reset']] as const) {
      const from = client.events.length;
      await server.write(info.server.id, `last words ${id}`);
      await client.received(id, `last words ${id}`, 5000, from);
    }
    await capture.until((packets) => settled(packets, kept.client) && settled(packets, reset.client), "the client's ACKs of the last words");
    await lab.vanish(serverIf);

    const keptWindow = detectionWindow(librarySettings.idle, librarySettings.interval, librarySettings.count);
    const resetWindow = detectionWindow(afterNode.idle, afterNode.interval, afterNode.count);
    const failed = (id: string) => (e: { event: string; id?: string }) => (e.event === 'error' || e.event === 'close') && e.id === id;
    const [keptFailure, resetFailure] = await Promise.all([
      client.waitFor(failed('library-only'), (keptWindow.latest + 5) * 1000, 'library-only to time out'),
      client.waitFor(failed('node-reset'), (resetWindow.latest + 5) * 1000, 'node-reset to time out'),
    ]);
    const packets = await capture.stop();

    const report = (info: typeof kept, failure: typeof keptFailure) => {
      const trace = traceSocket(packets, info.client);
      const lastReceived = trace.lastReceived!.time;
      const times = trace.probes.map((probe) => probe.packet.time);
      return { trace, times, spacing: gaps(times), lastReceived, detected: failure.t - lastReceived };
    };
    const keptResult = report(kept, keptFailure);
    const resetResult = report(reset, resetFailure);
    const range = (values: number[]) => `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
    const show = (state: object) => JSON.stringify(state).replace(/"/g, '');
    console.log(
      `[scenario 6] getKeepAlive after the library: ${show(before)}; after socket.setKeepAlive(true, ${NODE_DELAY_MS}): ${show(after)}. ` +
        `On the wire, library only: ${keptResult.times.length} probes at ${offsets(keptResult.lastReceived, keptResult.times)} s (spacing ${range(keptResult.spacing)} s), ` +
        `ETIMEDOUT at ${keptResult.detected.toFixed(3)} s (expected >= ${keptWindow.expected.toFixed(3)}); ` +
        `after Node's call: ${resetResult.times.length} probes at ${offsets(resetResult.lastReceived, resetResult.times)} s (spacing ${range(resetResult.spacing)} s), ` +
        `ETIMEDOUT at ${resetResult.detected.toFixed(3)} s (expected >= ${resetWindow.expected.toFixed(3)})`,
    );

    expect(keptFailure).toMatchObject({ event: 'error', code: 'ETIMEDOUT' });
    expect(resetFailure).toMatchObject({ event: 'error', code: 'ETIMEDOUT' });
    expect(keptResult.times).toHaveLength(librarySettings.count);
    expect(resetResult.times).toHaveLength(afterNode.count);
    for (const gap of keptResult.spacing) {
      expect(gap).toBeGreaterThanOrEqual(2 - JIFFY_S);
      expect(gap).toBeLessThanOrEqual(2 * (9 / 8) + 0.1);
    }
    for (const gap of resetResult.spacing) {
      expect(gap).toBeGreaterThanOrEqual(1 - JIFFY_S);
      expect(gap).toBeLessThanOrEqual(1 * (9 / 8) + 0.1);
    }
    for (const [result, window] of [[keptResult, keptWindow], [resetResult, resetWindow]] as const) {
      expect(result.detected).toBeGreaterThanOrEqual(window.earliest);
      expect(result.detected).toBeLessThanOrEqual(window.latest);
    }
  }, 60_000);
});
