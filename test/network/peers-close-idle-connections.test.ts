// Scenario 16: the whole story of a connection's end, as the preload's report
// tells it. One program, unmodified, under tcp-keepalive/register with
// TCP_KEEPALIVE_REPORT=json, opens connections through a NAT to five peers:
// one that closes idle connections after 3 s with a FIN, one that resets them
// unprompted after 3 s, one behind a path that resets the first packet after
// 4 s of silence (the NAT forgets the flow and rejects what it no longer
// knows), a dead one found by keepalive (a rule gives that destination
// keepalive), and one that answers and closes (HTTP Connection: close). Each
// end is reported once, with the right cause and the silence before it; the
// close after an answer says nothing; at exit the pattern by destination.
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { describeNetwork, detectionWindow, sleep, useLab, waitUntil } from './harness.js';

const REGISTER = join(__dirname, '..', '..', 'dist', 'register.js');
const PEERS = join(__dirname, '..', 'fixtures', 'idle-closing-peers.mjs');
const PEER_IDLE_S = 3;
const NAT_TIMEOUT_S = 4;
const PATH_SILENCE_S = 5;
const DEAD = { idle: 2_000, interval: 1_000, count: 2 };
// How close a reported silence must be to the truth.
const WITHIN_S = 0.3;
const PORTS = { fin: 7161, reset: 7162, path: 7163, dead: 7164, close: 7165 } as const;

type Id = keyof typeof PORTS;

describeNetwork("scenario 16: peers that close idle connections themselves, in the preload's report", () => {
  const lab = useLab('s16');

  it("each end once, with its cause and the silence before it; a close after an answer says nothing; the pattern by destination at exit", async () => {
    const { clientNs, natNs, serverNs, serverIf } = await lab.natLab('10.201.17.0', NAT_TIMEOUT_S);
    // The path: a packet of a flow the NAT no longer knows gets a reset (a load balancer's way).
    await lab.nft(natNs, 'table ip lab_reset {\n  chain forward {\n    type filter hook forward priority -10; policy accept;\n    iifname "to-client" ct state invalid reject with tcp reset\n  }\n}\n');
    await lab.endpoint(serverNs, 'peers', {
      script: PEERS,
      args: [serverIf.ip, `fin:${PORTS.fin}`, `reset:${PORTS.reset}`, `echo:${PORTS.path}`, `echo:${PORTS.dead}`, `close:${PORTS.close}`],
      env: { IDLE_MS: String(PEER_IDLE_S * 1000) },
    });
    // Keepalive only where the dead peer is: elsewhere it would keep the NAT's entry (and so the path's story) alive.
    const app = await lab.endpoint(clientNs, 'program under the preload', {
      nodeArgs: ['--require', REGISTER],
      env: { TCP_KEEPALIVE_REPORT: 'json', TCP_KEEPALIVE_RULES: `to :${PORTS.dead}: idle=${DEAD.idle / 1000} interval=${DEAD.interval / 1000} count=${DEAD.count}` },
    });

    // Every connection exchanges a message; the time of the last data is the start of its silence.
    const lastData: Partial<Record<Id, number>> = {};
    for (const id of Object.keys(PORTS) as Id[]) {
      const from = app.events.length;
      await app.request('connect', { id, host: serverIf.ip, port: PORTS[id] });
      await app.waitFor((e) => e.event === 'connect' && e.id === id, 5000, `${id} to connect`, from);
      await app.write(id, `hello ${id}`);
      const answer = await app.waitFor((e) => e.event === 'data' && e.id === id, 5000, `${id}'s answer`, from);
      lastData[id] = answer.t;
      // The dead peer dies now: its port drops everything, both ways.
      if (id === 'dead') {
        await lab.nft(serverNs, `table inet dead {\n  chain in { type filter hook input priority -10; tcp dport ${PORTS.dead} drop; }\n  chain out { type filter hook output priority -10; tcp sport ${PORTS.dead} drop; }\n}\n`);
      }
    }
    // The path's connection speaks again after its silence, past the NAT's timeout.
    await sleep(Math.max(0, (lastData.path! + PATH_SILENCE_S) * 1000 - Date.now()));
    const wroteAt = Date.now() / 1000;
    await app.write('path', 'after the silence');

    const reports = () => app.errorOutput.split('\n').filter((line) => line.startsWith('{"') && !line.startsWith('{"summary"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const reportOf = (id: Id) => reports().find((report) => report.remotePort === PORTS[id]);
    const window = detectionWindow(DEAD.idle, DEAD.interval, DEAD.count);
    await waitUntil(() => (['fin', 'reset', 'path', 'dead'] as const).every((id) => reportOf(id) !== undefined), 'report line for each of the four ends', (window.latest + 10) * 1000);
    // Exit as a program does: the pattern by destination follows.
    await app.exit();
    const summaryLine = app.errorOutput.split('\n').find((line) => line.startsWith('{"summary"'));
    const summary = (JSON.parse(summaryLine ?? '{"summary":[]}') as { summary: Array<{ destination: string; cause: string; count: number; silence: { median: number } }> }).summary;
    const byId = Object.fromEntries((Object.keys(PORTS) as Id[]).map((id) => [id, reportOf(id)]));
    console.log(`[scenario 16] ${(['fin', 'reset', 'path', 'dead'] as const).map((id) => `${id}: ${String(byId[id]?.cause)} after ${String(byId[id]?.silentFor)} ms`).join('; ')}`);
    console.log(`[scenario 16] at exit: ${summaryLine}`);

    expect(reports()).toHaveLength(4); // the Connection: close peer said nothing
    expect(byId.close).toBeUndefined();
    const near = (report: Record<string, unknown> | undefined, seconds: number) => {
      expect(Math.abs((report!.silentFor as number) / 1000 - seconds), JSON.stringify(report)).toBeLessThanOrEqual(WITHIN_S);
    };
    expect(byId.fin).toMatchObject({ cause: 'closed-by-peer', raced: false, error: null, direction: 'opened', configured: false });
    near(byId.fin, PEER_IDLE_S);
    expect(byId.reset).toMatchObject({ cause: 'closed-by-peer', raced: false, error: 'ECONNRESET' });
    near(byId.reset, PEER_IDLE_S);
    expect(byId.path).toMatchObject({ cause: 'reset', error: 'ECONNRESET', raced: false });
    near(byId.path, wroteAt - lastData.path!);
    expect(byId.dead).toMatchObject({ cause: 'keepalive', error: 'ETIMEDOUT', configured: true, rule: `to :${PORTS.dead}`, probes: DEAD.count });
    expect((byId.dead!.silentFor as number) / 1000).toBeGreaterThanOrEqual(window.earliest);
    expect((byId.dead!.silentFor as number) / 1000).toBeLessThanOrEqual(window.latest);
    // The pattern by destination: each destination once, with its cause and silence.
    expect(summary).toHaveLength(4);
    for (const id of ['fin', 'reset', 'path', 'dead'] as const) {
      expect(summary.find((entry) => entry.destination === `${serverIf.ip}:${PORTS[id]}`)).toMatchObject({ cause: byId[id]!.cause, count: 1, silence: { median: byId[id]!.silentFor } });
    }
  }, 60_000);
});
