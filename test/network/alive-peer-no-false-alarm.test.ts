// Scenario 3: keepalive raises no false alarm. With a live peer every probe is
// answered, so even aggressive values (idle 1 s, interval 1 s, count 2: a dead
// peer would be declared after 3 s) keep a silent connection open for 10 s,
// and data still flows afterwards.
import { expect, it } from 'vitest';
import { describeNetwork, gaps, openConnection, sleep, traceSocket, useLab, wallClock } from './harness.js';

const SILENCE_MS = 10_500;

describeNetwork('scenario 3: no false alarm while the peer is alive', () => {
  const lab = useLab('s3');

  it('an idle connection with idle 1 s/interval 1 s/count 2 survives 10 s: every probe is answered and data flows after', async () => {
    const clientNs = await lab.namespace('client');
    const serverNs = await lab.namespace('server');
    const [clientIf, serverIf] = await lab.link({ ns: clientNs, dev: 'to-server' }, { ns: serverNs, dev: 'to-client' }, '10.201.3.0');
    const capture = await lab.capture(clientIf);
    const server = await lab.endpoint(serverNs, 'server');
    const client = await lab.endpoint(clientNs, 'client');
    await server.listen(serverIf.ip, 7003, { echo: true });
    const connection = await openConnection(client, server, serverIf.ip, 7003, 'conn');
    const settings = { idle: 1000, interval: 1000, count: 2 };
    expect(await client.setKeepAlive('conn', settings)).toMatchObject({ enabled: true, ...settings });

    let from = client.events.length;
    await client.write('conn', 'before');
    await client.received('conn', 'echo:before', 5000, from);
    const silenceStart = wallClock();
    await sleep(SILENCE_MS);
    const silenceEnd = wallClock();

    const trouble = (e: { event: string }) => ['error', 'close', 'end'].includes(e.event);
    expect(client.events.filter(trouble)).toEqual([]);
    expect(server.events.filter(trouble)).toEqual([]);
    expect(await client.state('conn')).toMatchObject({ destroyed: false, readyState: 'open' });

    from = client.events.length;
    const sentAt = wallClock();
    await client.write('conn', 'after');
    const echoed = await client.received('conn', 'echo:after', 5000, from);
    const trace = traceSocket(await capture.stop(), connection.client);

    const probes = trace.probes.filter((probe) => probe.packet.time > silenceStart && probe.packet.time < silenceEnd);
    const answered = probes.filter((probe) => probe.answeredAt !== null);
    const answerDelays = answered.map((probe) => probe.answeredAt! - probe.packet.time);
    const spacing = gaps(probes.map((probe) => probe.packet.time));
    console.log(
      `[scenario 3] idle 1 s/interval 1 s/count 2, silent ${(silenceEnd - silenceStart).toFixed(1)} s: ` +
        `probes ${probes.length}, answered ${answered.length} (slowest answer ${(Math.max(...answerDelays) * 1000).toFixed(2)} ms), ` +
        `spacing ${Math.min(...spacing).toFixed(3)}–${Math.max(...spacing).toFixed(3)} s, no error; ` +
        `echo after the silence in ${((echoed.t - sentAt) * 1000).toFixed(1)} ms`,
    );

    // A probe every idle second (each answer restarts the idle time): about 10.
    expect(probes.length).toBeGreaterThanOrEqual(8);
    expect(answered.length).toBe(probes.length);
    expect(Math.max(...answerDelays)).toBeLessThan(0.5);
    for (const gap of spacing) expect(gap).toBeGreaterThanOrEqual(1 - 0.01);
  }, 60_000);
});
