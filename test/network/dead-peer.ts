// Shared body of scenarios 1 and 2: one side ("observer") sets keepalive, the
// other vanishes, and the capture taken on the observer's wire is compared
// with the ETIMEDOUT the observer's Node process reports.
import { expect } from 'vitest';
import { type Lab, JIFFY_S, detectionWindow, gaps, offsets, openConnection, traceSocket, settled } from './harness.js';

export interface DeadPeerCase {
  scenario: string;
  observer: 'server' | 'client';
  settings: { idle: number; interval: number; count: number };
  subnet: string;
  port: number;
}

export async function proveDeadPeerDetected(lab: Lab, spec: DeadPeerCase): Promise<void> {
  const clientNs = await lab.namespace('client');
  const serverNs = await lab.namespace('server');
  const [clientIf, serverIf] = await lab.link(
    { ns: clientNs, dev: 'to-server' },
    { ns: serverNs, dev: 'to-client' },
    spec.subnet,
  );
  const observerIf = spec.observer === 'server' ? serverIf : clientIf;
  const peerIf = spec.observer === 'server' ? clientIf : serverIf;
  const capture = await lab.capture(observerIf);

  const server = await lab.endpoint(serverNs, 'server');
  const client = await lab.endpoint(clientNs, 'client');
  await server.listen(serverIf.ip, spec.port);
  const connection = await openConnection(client, server, serverIf.ip, spec.port, 'conn');
  const [observer, observerId, peer, peerId] =
    spec.observer === 'server'
      ? [server, connection.server.id, client, connection.client.id]
      : [client, connection.client.id, server, connection.server.id];
  const observerInfo = spec.observer === 'server' ? connection.server : connection.client;

  const state = await observer.setKeepAlive(observerId, spec.settings);
  expect(state).toMatchObject({ enabled: true, ...spec.settings });

  // The peer's last words, sent after keepalive is set, so the idle time runs
  // from a packet in the capture. The observer sends nothing back but an ACK:
  // no data of its own may be in flight, or retransmission would rule instead.
  const from = observer.events.length;
  await peer.write(peerId, 'last words');
  await observer.received(observerId, 'last words', 5000, from);
  // The observer's ACK is on the wire before it goes dead.
  await capture.until((packets) => settled(packets, observerInfo), "the observer's ACK of the last words");
  // The unanswered-probe counter as the observer reads it (getTcpInfo), every 100 ms.
  await observer.request('watchTcpInfo', { id: observerId, everyMs: 100 });
  const vanishedAt = await lab.vanish(peerIf);

  const window = detectionWindow(spec.settings.idle, spec.settings.interval, spec.settings.count);
  const failure = await observer.waitFor(
    (e) => (e.event === 'error' || e.event === 'close') && e.id === observerId,
    (window.latest + 5) * 1000,
    `the ${spec.observer} to notice its peer is gone`,
  );
  const trace = traceSocket(await capture.stop(), observerInfo);

  const lastReceived = trace.lastReceived!.time;
  const observed = failure.t - lastReceived;
  const probeTimes = trace.probes.map((probe) => probe.packet.time);
  const spacing = gaps(probeTimes);
  console.log(
    `[${spec.scenario}] ${spec.observer} idle ${spec.settings.idle / 1000} s/interval ${spec.settings.interval / 1000} s/count ${spec.settings.count}: ` +
      `expected >= ${window.expected.toFixed(3)} s (<= ${window.latest.toFixed(3)} s), observed ${observed.toFixed(3)} s ` +
      `(${String(failure.code ?? failure.event)}) after the last packet received, ` +
      `probes ${trace.probes.length} at ${offsets(lastReceived, probeTimes)} s, spacing ${spacing.map((gap) => gap.toFixed(3)).join('/')} s, ` +
      `answered ${trace.probes.filter((probe) => probe.answeredAt !== null).length}, ` +
      `kernel RST at ${trace.reset ? (trace.reset.time - lastReceived).toFixed(3) + ' s' : 'none'}`,
  );

  expect(failure).toMatchObject({ event: 'error', code: 'ETIMEDOUT' });
  expect(lastReceived).toBeLessThan(vanishedAt);
  expect(trace.received.filter((packet) => packet.time > vanishedAt)).toEqual([]);
  expect(observed).toBeGreaterThanOrEqual(window.earliest);
  expect(observed).toBeLessThanOrEqual(window.latest);

  expect(trace.probes).toHaveLength(spec.settings.count);
  expect(trace.probes.every((probe) => probe.answeredAt === null)).toBe(true);
  expect(probeTimes[0] - lastReceived).toBeGreaterThanOrEqual(spec.settings.idle / 1000 - JIFFY_S);
  expect(probeTimes[0] - lastReceived).toBeLessThanOrEqual((spec.settings.idle / 1000) * (9 / 8) + 0.25);
  for (const gap of spacing) {
    expect(gap).toBeGreaterThanOrEqual(spec.settings.interval / 1000 - JIFFY_S);
    expect(gap).toBeLessThanOrEqual((spec.settings.interval / 1000) * (9 / 8) + 0.1);
  }
  // getTcpInfo's probe counter climbs 0, 1, 2 … as tcpdump sees the probes go out.
  const readings = observer.events.filter((e) => e.event === 'tcpinfo' && e.id === observerId && e.t > vanishedAt);
  const climbs = readings.map((e) => Number(e.probes)).filter((probes, i, all) => i === 0 || probes !== all[i - 1]);
  console.log(`[${spec.scenario}] getTcpInfo probes over time: ${climbs.join(' -> ')} (${readings.length} readings)`);
  expect(climbs).toEqual(Array.from({ length: spec.settings.count + 1 }, (_, k) => k));
  for (let k = 1; k <= spec.settings.count; k++) {
    const firstSeen = readings.find((e) => Number(e.probes) >= k)!.t;
    // Read after the k-th probe left (the capture's clock is the same wall clock), within one polling period.
    expect(firstSeen).toBeGreaterThanOrEqual(probeTimes[k - 1] - 0.005);
    expect(firstSeen - probeTimes[k - 1]).toBeLessThan(0.25);
  }
  // The kernel gives up with a RST (tcp_keepalive_timer), just before Node hears of it.
  expect(trace.reset).toBeDefined();
  expect(trace.reset!.time).toBeLessThanOrEqual(failure.t);
  // Nothing else went out between the last probe and the abort: no data, no retransmission.
  expect(trace.retransmissions).toEqual([]);
}
