// Scenario 12: every lost connection says why (onConnectionLost), and what it
// says matches the wire. Three connections from one client to a server that
// then vanishes, each watched in the client's process and in a capture:
// - idle, keepalive 2 s/1 s/2, no user timeout: 'keepalive', 2 probes (as
//   tcpdump sees them), silent for idle + interval x count;
// - writing, with a user timeout of 3 s: 'user-timeout', with retransmissions;
// - writing, no user timeout, tcp_retries2 lowered to 3 in the client's
//   namespace: 'retransmissions'.
// And a middlebox that forgets an idle flow after 3 s and answers the next
// packet with a reset: 'reset', after more silence than its timeout.
import { expect, it } from 'vitest';
import { detectionTime } from '../../lib/index.js';
import { describeNetwork, openConnection, sleep, traceSocket, useLab, type EndpointEvent, settled } from './harness.js';

const KEEPALIVE = { idle: 2000, interval: 1000, count: 2 };
const USER_TIMEOUT = 3000;
const RETRIES2 = 3;
const NAT_TIMEOUT_S = 3;

/** The 'lost' event the endpoint reported for connection `id`. */
const lostOf = (events: EndpointEvent[], id: string): EndpointEvent | undefined => events.find((e) => e.event === 'lost' && e.id === id);

describeNetwork('scenario 12: a lost connection says why', () => {
  const lab = useLab('s12');

  it('keepalive, user timeout and retransmissions, each told apart as the wire shows them', async () => {
    const clientNs = await lab.namespace('client');
    const serverNs = await lab.namespace('server');
    const [clientIf, serverIf] = await lab.link({ ns: clientNs, dev: 'to-server' }, { ns: serverNs, dev: 'to-client' }, '10.201.12.0');
    await lab.sysctl(clientNs, { 'net.ipv4.tcp_retries2': RETRIES2 });
    const capture = await lab.capture(clientIf);
    const server = await lab.endpoint(serverNs, 'server');
    const client = await lab.endpoint(clientNs, 'client');
    await client.request('watchLost');
    await server.listen(serverIf.ip, 7012);
    const idle = await openConnection(client, server, serverIf.ip, 7012, 'idle');
    const bounded = await openConnection(client, server, serverIf.ip, 7012, 'bounded');
    const retries = await openConnection(client, server, serverIf.ip, 7012, 'retries');
    await client.setKeepAlive('idle', KEEPALIVE);
    await client.setKeepAlive('bounded', { ...KEEPALIVE, userTimeout: USER_TIMEOUT });
    await client.setKeepAlive('retries', KEEPALIVE);

    // The server's last words on the idle connection: its silence runs from a packet in the capture.
    const from = client.events.length;
    await server.write(idle.server.id, 'last words');
    await client.received('idle', 'last words', 5000, from);
    await capture.until((packets) => settled(packets, idle.client), "the client's ACK of the last words");
    const vanishedAt = await lab.vanish(serverIf);
    await client.write('bounded', 'x'.repeat(1000));
    await client.write('retries', 'x'.repeat(1000));

    for (const id of ['idle', 'bounded', 'retries']) {
      await client.waitFor((e) => e.event === 'lost' && e.id === id, 15_000, `the loss of ${id} to be reported`);
    }
    const packets = await capture.stop();
    const [lostIdle, lostBounded, lostRetries] = ['idle', 'bounded', 'retries'].map((id) => lostOf(client.events, id)!);
    const errorOf = (id: string) => client.events.find((e) => e.event === 'error' && e.id === id)!;
    const trace = (info: typeof idle) => traceSocket(packets, info.client);
    const idleTrace = trace(idle);
    const boundedTrace = trace(bounded);
    const retriesTrace = trace(retries);
    for (const [name, lost] of Object.entries({ idle: lostIdle, bounded: lostBounded, retries: lostRetries })) {
      const { t, event, id, ...fields } = lost;
      console.log(`[scenario 12] ${name}: ${JSON.stringify(fields)} (${(t - vanishedAt).toFixed(3)} s after the vanish)`);
    }
    console.log(
      `[scenario 12] on the wire: idle ${idleTrace.probes.length} probes, ${idleTrace.retransmissions.length} retransmissions; ` +
        `bounded ${boundedTrace.retransmissions.length} retransmissions; retries ${retriesTrace.retransmissions.length} retransmissions`,
    );

    // Each connection: reported once, before Node's 'error' event, with the error and both ends.
    for (const [info, lost] of [[idle, lostIdle], [bounded, lostBounded], [retries, lostRetries]] as const) {
      expect(client.events.filter((e) => e.event === 'lost' && e.id === info.client.id)).toHaveLength(1);
      expect(lost.t).toBeLessThanOrEqual(errorOf(info.client.id).t);
      expect(lost).toMatchObject({
        code: 'ETIMEDOUT',
        configured: true,
        remoteAddress: serverIf.ip,
        remotePort: 7012,
        localAddress: info.client.localAddress,
        localPort: info.client.localPort,
      });
    }

    // Idle: the keepalive timer, count probes unanswered, as the capture counts them.
    const idleExpected = detectionTime({ ...KEEPALIVE, enabled: true, userTimeout: 0 });
    expect(lostIdle).toMatchObject({ cause: 'keepalive', probes: KEEPALIVE.count, retransmits: 0, expectedWithin: idleExpected.idleWorst });
    expect(idleTrace.probes).toHaveLength(KEEPALIVE.count);
    expect(idleTrace.probes.every((probe) => probe.answeredAt === null)).toBe(true);
    expect(lostIdle.silentFor as number).toBeGreaterThanOrEqual(idleExpected.idle! - 10);
    expect(lostIdle.silentFor as number).toBeLessThanOrEqual(idleExpected.idleWorst! + 250);
    // The silence it reports is the capture's: from the last packet received to the moment it was lost.
    expect(Math.abs((lostIdle.silentFor as number) / 1000 - (lostIdle.t - idleTrace.lastReceived!.time))).toBeLessThan(0.25);

    // Writing with a user timeout: the user timeout, data retransmitted, no probe.
    expect(lostBounded).toMatchObject({ cause: 'user-timeout', probes: 0, settings: { userTimeout: USER_TIMEOUT } });
    expect(lostBounded.retransmits as number).toBeGreaterThan(0);
    expect(boundedTrace.retransmissions.length).toBeGreaterThanOrEqual(lostBounded.retransmits as number);
    expect(boundedTrace.probes).toEqual([]);
    expect(lostBounded.expectedWithin).toBe(detectionTime({ ...KEEPALIVE, enabled: true, userTimeout: USER_TIMEOUT }).dataInFlightWorst);

    // Writing without one: tcp_retries2 (3 here) retransmissions, then the kernel gives up.
    expect(lostRetries).toMatchObject({ cause: 'retransmissions', probes: 0, settings: { userTimeout: 0 } });
    expect(lostRetries.retransmits as number).toBeGreaterThanOrEqual(RETRIES2);
    expect(retriesTrace.retransmissions.length).toBeGreaterThanOrEqual(RETRIES2);
    expect(retriesTrace.probes).toEqual([]);
    expect(lostRetries.expectedWithin).toBe(detectionTime({ ...KEEPALIVE, enabled: true, userTimeout: 0, retries2: RETRIES2 }).dataInFlightWorst);
    // It gave up within what detectionTime promises, counted from the data's first transmission.
    const firstSent = retriesTrace.sent.find((packet) => packet.payload > 1)!.time;
    expect(lostRetries.t - firstSent).toBeLessThanOrEqual((lostRetries.expectedWithin as number) / 1000 + 0.25);
    expect(lostRetries.t - firstSent).toBeGreaterThanOrEqual(detectionTime({ ...KEEPALIVE, enabled: true, userTimeout: 0, retries2: RETRIES2 }).dataInFlight / 1000);
  }, 60_000);

  it(`a middlebox that forgets an idle flow after ${NAT_TIMEOUT_S} s and resets the next packet: 'reset', after that much silence`, async () => {
    const { clientNs, natNs, serverNs, serverIf } = await lab.natLab('10.201.13.0', NAT_TIMEOUT_S);
    // As a load balancer does: a packet of a flow it no longer knows gets a reset, not silence.
    await lab.nft(
      natNs,
      `table ip lab_reset {
  chain forward {
    type filter hook forward priority -10; policy accept;
    iifname "to-client" ct state invalid reject with tcp reset
  }
}
`,
    );
    const server = await lab.endpoint(serverNs, 'server');
    const client = await lab.endpoint(clientNs, 'client');
    await client.request('watchLost');
    await server.listen(serverIf.ip, 7013);
    await openConnection(client, server, serverIf.ip, 7013, 'pooled');
    // Keepalive speaks only after 60 s: far too late for this path.
    await client.setKeepAlive('pooled', { idle: 60_000, interval: 10_000, count: 3 });
    const from = client.events.length;
    await client.write('pooled', 'before');
    await server.waitFor((e) => e.event === 'data' && String(e.text).includes('before'), 5000, 'the first write');
    await server.write('accepted-1', 'answer');
    await client.received('pooled', 'answer', 5000, from);
    await sleep((NAT_TIMEOUT_S + 2) * 1000);
    await client.write('pooled', 'after the silence');
    const lost = await client.waitFor((e) => e.event === 'lost' && e.id === 'pooled', 10_000, 'the reset to be reported');
    const { t, event, id, ...fields } = lost;
    console.log(`[scenario 12] through a NAT that forgets idle flows after ${NAT_TIMEOUT_S} s: ${JSON.stringify(fields)}`);
    expect(lost).toMatchObject({ cause: 'reset', code: 'ECONNRESET', configured: true, expectedWithin: null, remoteAddress: serverIf.ip, remotePort: 7013 });
    expect(lost.silentFor as number).toBeGreaterThanOrEqual(NAT_TIMEOUT_S * 1000);
    expect(client.events.filter((e) => e.event === 'lost')).toHaveLength(1);
  }, 60_000);
});
