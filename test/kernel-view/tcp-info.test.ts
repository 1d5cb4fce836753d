// getTcpInfo on real sockets, compared with what ss reads through inet_diag.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { getTcpInfo, setKeepAlive } from '../../lib/index.js';
import { requireOrSkip, runs } from '../helpers/prerequisites.js';
import { connectedPair, listen, portOf, roundTrip, track, LOOPBACK } from '../helpers/sockets.js';

/** ss -tieo's line for the connection from `local` port to `remote` port. */
function ssLine(localPort: number, remotePort: number): string {
  return execFileSync('ss', ['-tieoH', 'state', 'established', `( sport = :${localPort} and dport = :${remotePort} )`], { encoding: 'utf8' });
}

const noSs = requireOrSkip('getTcpInfo against ss', runs('ss', ['-V']) ? null : 'ss (iproute2) is missing: apt-get install iproute2');

describe('getTcpInfo', () => {
  it.skipIf(noSs)('matches ss -tieo for the same socket: state, rtt within tolerance, and a keepalive timer once keepalive is on', async () => {
    const { client, peer } = await connectedPair();
    for (let i = 0; i < 20; i++) await roundTrip(client, peer); // a few samples for the rtt estimate
    setKeepAlive(client, { idle: 30_000 });
    const info = getTcpInfo(client);
    const ss = ssLine(client.localPort!, client.remotePort!);
    const rtt = /\brtt:([\d.]+)\/([\d.]+)/.exec(ss);
    expect(rtt, ss).not.toBeNull();
    console.log(`[tcp-info] getTcpInfo rtt ${info.rtt}/${info.rttVariance} ms, rto ${info.rto} ms; ss: ${ss.replace(/\s+/g, " ").trim()}`);
    expect(info.state).toBe('ESTABLISHED');
    // Both read the same kernel fields (tcpi_rtt, tcpi_rttvar) moments apart.
    expect(Math.abs(info.rtt - Number(rtt![1]))).toBeLessThan(1);
    expect(Math.abs(info.rttVariance - Number(rtt![2]))).toBeLessThan(1);
    expect(ss).toMatch(/rto:(\d+)/);
    expect(info.rto).toBe(Number(/rto:(\d+)/.exec(ss)![1]));
    expect(ss).toMatch(/timer:\(keepalive,/);
    expect(info).toMatchObject({ probes: 0, backoff: 0, retransmits: 0, unacked: 0 });
  });

  it('tracks time since data: lastDataReceived grows while the peer is quiet and resets when data arrives', async () => {
    const { client, peer } = await connectedPair();
    await roundTrip(peer, client);
    // The kernel's clock, read until it says a quarter second of quiet (at most 5 s).
    let quiet = getTcpInfo(client);
    for (const deadline = Date.now() + 5000; quiet.lastDataReceived < 250 && Date.now() < deadline; quiet = getTcpInfo(client)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(quiet.lastDataReceived).toBeGreaterThanOrEqual(250);
    await roundTrip(peer, client);
    expect(getTcpInfo(client).lastDataReceived).toBeLessThan(quiet.lastDataReceived);
  });

  it('works on TLS sockets and on listeners', async () => {
    const key = readFileSync(join(__dirname, '..', 'fixtures', 'key.pem'));
    const cert = readFileSync(join(__dirname, '..', 'fixtures', 'cert.pem'));
    const server = track(tls.createServer({ key, cert }, (socket) => track(socket)));
    server.listen(0, LOOPBACK[4]);
    await once(server, 'listening');
    expect(getTcpInfo(server).state).toBe('LISTEN');
    const client = track(tls.connect({ port: portOf(server), host: LOOPBACK[4], ca: cert, servername: 'localhost' }));
    await once(client, 'secureConnect');
    expect(getTcpInfo(client).state).toBe('ESTABLISHED');
  });

  it('coded errors: not connected yet, closed, not TCP', async () => {
    const server = await listen(4);
    const connecting = track(net.connect(portOf(server), LOOPBACK[4]));
    expect(() => getTcpInfo(connecting)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_NOT_CONNECTED' }));
    await once(connecting, 'connect');
    connecting.destroy();
    expect(() => getTcpInfo(connecting)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => getTcpInfo({} as net.Socket)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
