// Scenario 14: a user timeout also ends a connection whose live peer stops
// reading, and keepalive alone still catches a dead one.
// A server writes to two clients that have paused reading (their windows
// close): on the connection set with keepAliveFor({ detectWithin: 8000 })
// the server gets ETIMEDOUT about the user timeout after the window closed;
// on the one set with the same budget and `userTimeout: false` it is still
// open at twice that, and data flows once the client reads again. Then a
// third client, idle, set with `userTimeout: false`, vanishes: the server
// reports it within the 8 s budget after exactly `count` unanswered probes,
// by keepalive alone.
import { expect, it } from 'vitest';
import { detectionTime, keepAliveFor } from '../../lib/index.js';
import { describeNetwork, offsets, openConnection, sleep, traceSocket, useLab, wallClock, settled } from './harness.js';

const BUDGET_MS = 8_000;
// Waking the Node process after the kernel's abort, on a busy CI machine.
const WAKE_UP_S = 0.25;
// The first zero-window probe leaves one retransmission timeout (200 ms and the
// round trip, backed off by what went before) after the window closed.
const FIRST_PROBE_S = 0.6;

describeNetwork('scenario 14: the user timeout cuts off a stalled reader; keepalive alone still catches a dead peer', () => {
  const lab = useLab('s14');

  it(`keepAliveFor({ detectWithin: ${BUDGET_MS} }) ends a paused reader after its user timeout; with userTimeout: false it stays, and a dead idle peer is still reported within the budget`, async () => {
    const cutting = keepAliveFor({ detectWithin: BUDGET_MS });
    const streaming = keepAliveFor({ detectWithin: BUDGET_MS, userTimeout: false });
    expect(streaming).toEqual({ ...cutting, userTimeout: 0 });
    const stalled = detectionTime({ ...cutting, enabled: true }).stalledReader!;
    expect(detectionTime({ ...streaming, enabled: true, retries2: 15 }).stalledReader).toBeNull();
    const idleDetection = detectionTime({ ...streaming, enabled: true, retries2: 15 });

    const clientNs = await lab.namespace('client');
    const serverNs = await lab.namespace('server');
    const [clientIf, serverIf] = await lab.link({ ns: clientNs, dev: 'to-server' }, { ns: serverNs, dev: 'to-client' }, '10.201.15.0');
    const server = await lab.endpoint(serverNs, 'server');
    const client = await lab.endpoint(clientNs, 'client');
    await server.listen(serverIf.ip, 7014);
    const cut = await openConnection(client, server, serverIf.ip, 7014, 'paused-user-timeout');
    const kept = await openConnection(client, server, serverIf.ip, 7014, 'paused-no-user-timeout');
    const idle = await openConnection(client, server, serverIf.ip, 7014, 'idle');
    expect(await server.setKeepAlive(cut.server.id, { ...cutting })).toEqual({ enabled: true, ...cutting });
    expect(await server.setKeepAlive(kept.server.id, { ...streaming })).toEqual({ enabled: true, ...streaming });
    expect(await server.setKeepAlive(idle.server.id, { ...streaming })).toEqual({ enabled: true, ...streaming });

    // Both paused clients stop reading; the server writes until their windows close.
    for (const id of ['paused-user-timeout', 'paused-no-user-timeout']) await client.request('pause', { id });
    for (const id of [cut.server.id, kept.server.id]) await server.request('flood', { id });
    const cutFailure = await server.waitFor(
      (e) => (e.event === 'error' || e.event === 'close') && e.id === cut.server.id,
      stalled * 2 + 5000,
      'the paused reader with a user timeout to be cut off',
    );
    const cutState = await server.request<{ lastDrain: number; bytesWritten: number }>('state', { id: cut.server.id });
    const cutAfter = cutFailure.t - cutState.lastDrain;
    // The one without a user timeout, twice as long after its window closed.
    const keptState = await server.request<{ lastDrain: number; destroyed: boolean }>('state', { id: kept.server.id });
    // (200 ms over: the endpoint's clock and this process's agree only to a millisecond or so)
    await sleep(Math.max(0, (keptState.lastDrain + (2 * stalled) / 1000 + 0.2 - wallClock()) * 1000));
    const keptStalledFor = wallClock() - keptState.lastDrain;
    const keptNow = await server.request<{ destroyed: boolean; errored: string | null; bytesWritten: number }>('state', { id: kept.server.id });
    const clientKept = await client.request<{ destroyed: boolean; bytesRead: number }>('state', { id: 'paused-no-user-timeout' });
    // It is alive: reading again, the client receives what waited.
    await client.request('resume', { id: 'paused-no-user-timeout' });
    const readBefore = clientKept.bytesRead;
    let readAfter = readBefore;
    for (const deadline = Date.now() + 5000; readAfter < readBefore + 1_000_000 && Date.now() < deadline; await sleep(50)) {
      readAfter = (await client.request<{ bytesRead: number }>('state', { id: 'paused-no-user-timeout' })).bytesRead;
    }
    await server.request('stopFlood', { id: kept.server.id });
    const keptError = server.errorOf(kept.server.id);
    // What it had in flight is gone before the capture starts: the server's end has closed too (the client's reset).
    const keptClosed = server.waitFor((e) => e.event === 'close' && e.id === kept.server.id, 5000, 'the server end of the destroyed reader to close');
    await client.request('destroy', { id: 'paused-no-user-timeout' });
    await keptClosed;

    // A dead peer on an idle connection without a user timeout: keepalive alone.
    const capture = await lab.capture(serverIf);
    const from = client.events.length;
    await server.write(idle.server.id, 'last words');
    await client.received('idle', 'last words', 5000, from);
    await capture.until((packets) => settled(packets, idle.server), "the client's ACK of the last words"); // on the wire before it vanishes
    const vanishedAt = await lab.vanish(clientIf);
    const idleFailure = await server.waitFor(
      (e) => (e.event === 'error' || e.event === 'close') && e.id === idle.server.id,
      BUDGET_MS + 5000,
      'the vanished idle client to be reported',
    );
    const trace = traceSocket(await capture.stop(), idle.server);
    const lastReceived = trace.lastReceived!.time;
    const idleObserved = idleFailure.t - lastReceived;
    const probeTimes = trace.probes.map((probe) => probe.packet.time);

    console.log(
      `[scenario 14] keepAliveFor({ detectWithin: ${BUDGET_MS} }) = ${cutting.idle / 1000} s/${cutting.interval / 1000} s/${cutting.count}, user timeout ${stalled} ms: ` +
        `paused reader cut off (${String(cutFailure.code)}) ${cutAfter.toFixed(3)} s after its window closed (${(cutState.bytesWritten / 1e6).toFixed(1)} MB written); ` +
        `with userTimeout: false still open ${keptStalledFor.toFixed(1)} s after (errored ${String(keptNow.errored)}), then ${((readAfter - readBefore) / 1e6).toFixed(1)} MB read on resuming; ` +
        `dead idle peer without a user timeout: ${String(idleFailure.code)} ${idleObserved.toFixed(3)} s after its last packet (predicted ${idleDetection.idle! / 1000} s, at worst ${idleDetection.idleWorst! / 1000} s, budget ${BUDGET_MS / 1000} s), ` +
        `probes ${trace.probes.length} at ${offsets(lastReceived, probeTimes)} s (last packet ${(vanishedAt - lastReceived).toFixed(3)} s before the vanish)`,
    );

    // The user timeout ends a live peer that stopped reading.
    expect(cutFailure).toMatchObject({ event: 'error', code: 'ETIMEDOUT' });
    expect(cutAfter).toBeGreaterThanOrEqual(stalled / 1000 - 0.05);
    expect(cutAfter).toBeLessThanOrEqual((stalled / 1000) * (9 / 8) + FIRST_PROBE_S + WAKE_UP_S);
    // Without one the same peer is kept, and it was alive all along.
    expect(keptStalledFor).toBeGreaterThanOrEqual((2 * stalled) / 1000);
    expect(keptNow).toMatchObject({ destroyed: false, errored: null });
    expect(clientKept.destroyed).toBe(false);
    expect(keptError).toBeUndefined();
    expect(readAfter - readBefore).toBeGreaterThanOrEqual(1_000_000);
    // Keepalive alone catches the dead idle peer within the budget.
    expect(idleFailure).toMatchObject({ event: 'error', code: 'ETIMEDOUT' });
    expect(lastReceived).toBeLessThan(vanishedAt);
    expect(trace.received.filter((packet) => packet.time > vanishedAt)).toEqual([]);
    expect(trace.probes).toHaveLength(streaming.count);
    expect(trace.retransmissions).toHaveLength(0);
    expect(idleObserved).toBeGreaterThanOrEqual(idleDetection.idle! / 1000 - 0.05);
    expect(idleObserved).toBeLessThanOrEqual(idleDetection.idleWorst! / 1000 + WAKE_UP_S);
    expect(idleDetection.idleWorst!).toBeLessThanOrEqual(BUDGET_MS);
  }, 90_000);
});
