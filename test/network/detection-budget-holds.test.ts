// Scenarios 10 and 11: settings chosen by keepAliveFor keep their promise on
// a real network.
// 10. keepAliveFor({ detectWithin: 8000 }) on two client connections; the
//     server vanishes. One connection is idle, the other writes right after
//     the vanish (data in flight: keepalive is silent, the user timeout rules).
//     Both report ETIMEDOUT within 8 s, and the capture shows the probes the
//     timeline predicts on the idle one and none on the other.
// 11. Through a NAT that forgets idle connections after 5 s, a connection set
//     with keepAliveFor({ detectWithin: 30000, natIdle: 5000 }) answers after
//     15 s of silence; the same budget without natIdle (idle 8 s) is forgotten.
import { expect, it } from 'vitest';
import { detectionTime, keepAliveFor } from '../../lib/index.js';
import { JIFFY_S, describeNetwork, gaps, offsets, openConnection, sleep, traceSocket, useLab, wallClock, settled } from './harness.js';

const BUDGET_MS = 8_000;
// Waking the Node process after the kernel's abort, on a busy CI machine.
const WAKE_UP_S = 0.25;

describeNetwork('scenario 10: a detection budget holds, idle and with data in flight', () => {
  const lab = useLab('s10');

  it(`keepAliveFor({ detectWithin: ${BUDGET_MS} }): ETIMEDOUT within ${BUDGET_MS / 1000} s on an idle connection and on one with data in flight`, async () => {
    const chosen = keepAliveFor({ detectWithin: BUDGET_MS });
    const detection = detectionTime({ ...chosen, enabled: true, retries2: 15 });
    const clientNs = await lab.namespace('client');
    const serverNs = await lab.namespace('server');
    const [clientIf, serverIf] = await lab.link({ ns: clientNs, dev: 'to-server' }, { ns: serverNs, dev: 'to-client' }, '10.201.10.0');
    const capture = await lab.capture(clientIf);
    const server = await lab.endpoint(serverNs, 'server');
    const client = await lab.endpoint(clientNs, 'client');
    await server.listen(serverIf.ip, 7010);
    const idle = await openConnection(client, server, serverIf.ip, 7010, 'idle');
    const busy = await openConnection(client, server, serverIf.ip, 7010, 'in-flight');
    for (const id of ['idle', 'in-flight']) expect(await client.setKeepAlive(id, { ...chosen })).toEqual({ enabled: true, ...chosen });

    // The server's last words on the idle connection start its silence inside the capture.
    const from = client.events.length;
    await server.write(idle.server.id, 'last words');
    await client.received('idle', 'last words', 5000, from);
    await capture.until((packets) => settled(packets, idle.client), "the client's ACK of the last words"); // on the wire before it goes dead
    const vanishedAt = await lab.vanish(serverIf);
    await client.write('in-flight', 'x'.repeat(1000));

    const failed = (id: string) =>
      client.waitFor((e) => (e.event === 'error' || e.event === 'close') && e.id === id, BUDGET_MS + 5000, `${id} to report the vanished server`);
    const [idleFailure, busyFailure] = await Promise.all([failed('idle'), failed('in-flight')]);
    const packets = await capture.stop();

    const idleTrace = traceSocket(packets, idle.client);
    const busyTrace = traceSocket(packets, busy.client);
    const lastReceived = idleTrace.lastReceived!.time;
    const idleObserved = idleFailure.t - lastReceived;
    const probeTimes = idleTrace.probes.map((probe) => probe.packet.time);
    const dataSent = busyTrace.sent.find((packet) => packet.payload > 1)!.time;
    const busyObserved = busyFailure.t - dataSent;
    console.log(
      `[scenario 10] keepAliveFor({ detectWithin: ${BUDGET_MS} }) = idle ${chosen.idle / 1000} s/interval ${chosen.interval / 1000} s/count ${chosen.count}/userTimeout ${chosen.userTimeout} ms: ` +
        `idle connection ETIMEDOUT ${idleObserved.toFixed(3)} s after the last packet (predicted ${detection.idle! / 1000} s, at worst ${detection.idleWorst! / 1000} s), ` +
        `probes at ${offsets(lastReceived, probeTimes)} s; data in flight ETIMEDOUT ${busyObserved.toFixed(3)} s after the data was sent ` +
        `(predicted ${detection.dataInFlight / 1000} s, at worst ${detection.dataInFlightWorst / 1000} s), retransmissions at ${offsets(dataSent, busyTrace.retransmissions.map((p) => p.time))} s`,
    );

    // The promise: both within the budget.
    expect(idleFailure).toMatchObject({ event: 'error', code: 'ETIMEDOUT' });
    expect(busyFailure).toMatchObject({ event: 'error', code: 'ETIMEDOUT' });
    expect(idleObserved).toBeLessThanOrEqual(BUDGET_MS / 1000);
    expect(busyObserved).toBeLessThanOrEqual(BUDGET_MS / 1000);
    expect(lastReceived).toBeLessThan(vanishedAt);

    // On the wire as the timeline predicted: `count` probes, the first after idle, then interval apart,
    // the abort at the user timeout (not before), never a probe on the connection with data in flight.
    expect(idleTrace.probes).toHaveLength(chosen.count);
    expect(idleTrace.probes.every((probe) => probe.answeredAt === null)).toBe(true);
    expect(probeTimes[0] - lastReceived).toBeGreaterThanOrEqual(chosen.idle / 1000 - JIFFY_S);
    expect(probeTimes[0] - lastReceived).toBeLessThanOrEqual((chosen.idle / 1000) * (9 / 8) + 0.1);
    for (const gap of gaps(probeTimes)) {
      expect(gap).toBeGreaterThanOrEqual(chosen.interval / 1000 - JIFFY_S);
      expect(gap).toBeLessThanOrEqual((chosen.interval / 1000) * (9 / 8) + 0.1);
    }
    expect(idleObserved).toBeGreaterThanOrEqual(detection.idle! / 1000 - JIFFY_S);
    expect(idleObserved).toBeLessThanOrEqual(detection.idleWorst! / 1000 + WAKE_UP_S);
    expect(idleTrace.reset).toBeDefined();
    expect(busyTrace.probes).toEqual([]);
    expect(busyTrace.retransmissions.length).toBeGreaterThanOrEqual(3);
    expect(busyObserved).toBeGreaterThanOrEqual(detection.dataInFlight / 1000 - JIFFY_S);
    expect(busyObserved).toBeLessThanOrEqual(detection.dataInFlightWorst / 1000 + WAKE_UP_S);
  }, 60_000);
});

const NAT_TIMEOUT_S = 5;
const SILENCE_S = NAT_TIMEOUT_S * 3;

describeNetwork('scenario 11: natIdle keeps a NAT entry alive', () => {
  const lab = useLab('s11');

  it(`through a NAT that forgets idle connections after ${NAT_TIMEOUT_S} s, keepAliveFor({ detectWithin: 30000, natIdle: ${NAT_TIMEOUT_S * 1000} }) answers after ${SILENCE_S} s of silence`, async () => {
    const withNat = keepAliveFor({ detectWithin: 30_000, natIdle: NAT_TIMEOUT_S * 1000 });
    const withoutNat = keepAliveFor({ detectWithin: 30_000 });
    // The control: the same budget alone lets idle run past the NAT's timeout.
    expect(withoutNat.idle / 1000).toBeGreaterThan(NAT_TIMEOUT_S);
    expect(withNat.idle / 1000).toBeLessThan(NAT_TIMEOUT_S);

    const { natNs, serverNs, clientIf, serverIf, clientNs } = await lab.natLab('10.201.11.0', NAT_TIMEOUT_S);
    const capture = await lab.capture(clientIf);
    const server = await lab.endpoint(serverNs, 'server');
    const client = await lab.endpoint(clientNs, 'client');
    await server.listen(serverIf.ip, 7011, { echo: true });
    const kept = await openConnection(client, server, serverIf.ip, 7011, 'nat-idle');
    const lost = await openConnection(client, server, serverIf.ip, 7011, 'budget-only');
    expect(await client.setKeepAlive('nat-idle', { ...withNat })).toEqual({ enabled: true, ...withNat });
    expect(await client.setKeepAlive('budget-only', { ...withoutNat })).toEqual({ enabled: true, ...withoutNat });
    for (const id of ['nat-idle', 'budget-only']) {
      const from = client.events.length;
      await client.write(id, `hello ${id}`);
      await client.received(id, `echo:hello ${id}`, 5000, from);
    }
    const silenceStart = wallClock();
    await sleep(SILENCE_S * 1000);

    const from = client.events.length;
    const requestAt = wallClock();
    await client.write('nat-idle', 'request nat-idle');
    await client.write('budget-only', 'request budget-only');
    const answer = await client.received('nat-idle', 'echo:request nat-idle', 3000, from);
    await sleep(2000); // time enough for an answer that will not come
    const lostAnswer = client.events.slice(from).find((e) => e.event === 'data' && e.id === 'budget-only');
    const forgotten = /packets (\d+)/.exec(await lab.nftList(natNs, 'counter ip lab_nat forgotten'))?.[1];
    const packets = await capture.stop();

    const keptProbes = traceSocket(packets, kept.client).probes.filter((p) => p.packet.time > silenceStart && p.packet.time < requestAt);
    const lostProbes = traceSocket(packets, lost.client).probes.filter((p) => p.packet.time > silenceStart && p.packet.time < requestAt);
    console.log(
      `[scenario 11] NAT timeout ${NAT_TIMEOUT_S} s, ${(requestAt - silenceStart).toFixed(1)} s of silence: ` +
        `natIdle ${NAT_TIMEOUT_S} s -> idle ${withNat.idle / 1000} s/interval ${withNat.interval / 1000} s/count ${withNat.count}: ` +
        `${keptProbes.length} probes at ${offsets(silenceStart, keptProbes.map((p) => p.packet.time))} s, ${keptProbes.filter((p) => p.answeredAt !== null).length} answered, ` +
        `answer in ${((answer.t - requestAt) * 1000).toFixed(1)} ms; budget alone -> idle ${withoutNat.idle / 1000} s: ` +
        `${lostProbes.length} probes, ${lostProbes.filter((p) => p.answeredAt !== null).length} answered, no answer to the request (NAT dropped ${forgotten} packets)`,
    );

    expect(keptProbes.length).toBeGreaterThanOrEqual(Math.floor(SILENCE_S / (withNat.idle / 1000 * (9 / 8))) - 1);
    expect(keptProbes.every((probe) => probe.answeredAt !== null)).toBe(true);
    expect(lostAnswer).toBeUndefined();
    expect(lostProbes.length).toBeGreaterThanOrEqual(1);
    expect(lostProbes.every((probe) => probe.answeredAt === null)).toBe(true);
    expect(Number(forgotten)).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
