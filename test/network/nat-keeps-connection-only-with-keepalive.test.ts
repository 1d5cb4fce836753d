// Scenario 5 (seed HOWTO §2.4): a NAT forgets idle connections; keepalive
// probes keep its entry alive. A middle namespace routes client <-> server
// with masquerade, a conntrack established-TCP timeout of a few seconds
// (per-namespace sysctl), no mid-stream pickup (nf_conntrack_tcp_loose=0) and
// a forward policy that drops every packet of no tracked connection, as a
// home router or cloud NAT gateway does. Two connections side by side: one
// without keepalive, one with idle below the NAT timeout.
import { expect, it } from 'vitest';
import { describeNetwork, offsets, openConnection, sleep, traceSocket, useLab, wallClock } from './harness.js';

const NAT_TIMEOUT_S = 4;
const IDLE_S = NAT_TIMEOUT_S * 3;
const keepalive = { idle: 2000, interval: 1000, count: 3 }; // idle 2 s < NAT timeout 4 s

describeNetwork('scenario 5: NAT keeps an idle connection only with keepalive', () => {
  const lab = useLab('s5');

  it(`after ${IDLE_S} s idle (3 × the NAT timeout of ${NAT_TIMEOUT_S} s) only the connection with keepalive idle 2 s gets an answer`, async () => {
    const { clientNs, natNs, serverNs, clientIf, serverIf } = await lab.natLab('10.201.5.0', NAT_TIMEOUT_S);

    const capture = await lab.capture(clientIf);
    const server = await lab.endpoint(serverNs, 'server');
    const client = await lab.endpoint(clientNs, 'client');
    await server.listen(serverIf.ip, 7005, { echo: true });
    const without = await openConnection(client, server, serverIf.ip, 7005, 'without-keepalive');
    const withKa = await openConnection(client, server, serverIf.ip, 7005, 'with-keepalive');
    expect(await client.getKeepAlive('without-keepalive')).toMatchObject({ enabled: false });
    expect(await client.setKeepAlive('with-keepalive', keepalive)).toMatchObject({ enabled: true, ...keepalive });

    for (const id of ['without-keepalive', 'with-keepalive']) {
      const from = client.events.length;
      await client.write(id, `hello ${id}`);
      await client.received(id, `echo:hello ${id}`, 5000, from);
    }
    const idleStart = wallClock();
    await sleep(IDLE_S * 1000);

    const from = client.events.length;
    const serverFrom = server.events.length;
    const requestAt = wallClock();
    await client.write('without-keepalive', 'request without-keepalive');
    await client.write('with-keepalive', 'request with-keepalive');
    const answer = await client.received('with-keepalive', 'echo:request with-keepalive', 3000, from);
    await sleep(3000); // time enough for an answer that will not come
    const lostAnswer = client.events.slice(from).find((e) => e.event === 'data' && e.id === 'without-keepalive');
    const lostRequest = server.events.slice(serverFrom).find((e) => e.event === 'data' && String(e.text).includes('request without-keepalive'));
    const forgotten = /packets (\d+)/.exec(await lab.nftList(natNs, 'counter ip lab_nat forgotten'))?.[1];
    const packets = await capture.stop();

    const trace = (info: typeof without) => traceSocket(packets, info.client);
    const withoutTrace = trace(without);
    const withTrace = trace(withKa);
    const idleProbes = withTrace.probes.filter((probe) => probe.packet.time > idleStart && probe.packet.time < requestAt);
    const withoutRetransmissions = withoutTrace.retransmissions.filter((p) => p.time > requestAt);
    console.log(
      `[scenario 5] NAT established timeout ${NAT_TIMEOUT_S} s, requests after ${(requestAt - idleStart).toFixed(1)} s idle: ` +
        `without keepalive no answer (${withoutRetransmissions.length} retransmissions unanswered, NAT dropped ${forgotten} packets of forgotten connections); ` +
        `with keepalive idle 2 s: ${idleProbes.length} probes at ${offsets(idleStart, idleProbes.map((p) => p.packet.time))} s, ` +
        `${idleProbes.filter((p) => p.answeredAt !== null).length} answered through the NAT, answer in ${((answer.t - requestAt) * 1000).toFixed(1)} ms`,
    );

    expect(lostAnswer).toBeUndefined();
    expect(lostRequest).toBeUndefined();
    expect(withoutRetransmissions.length).toBeGreaterThanOrEqual(2);
    expect(withoutTrace.received.filter((p) => p.time > requestAt)).toEqual([]);
    expect(Number(forgotten)).toBeGreaterThanOrEqual(1);
    // Probes kept the NAT entry fresh: one every ~2 s, all answered.
    expect(idleProbes.length).toBeGreaterThanOrEqual(IDLE_S / 2 - 1);
    expect(idleProbes.every((probe) => probe.answeredAt !== null)).toBe(true);
  }, 60_000);
});
