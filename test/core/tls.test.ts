// TLS sockets over TCP: the options go to the TCP socket under the TLS layer.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { getKeepAlive, setKeepAlive } from '../../lib/index.js';
import { portOf, roundTrip, track, LOOPBACK } from '../helpers/sockets.js';

const fixtures = join(__dirname, '..', 'fixtures');
const key = readFileSync(join(fixtures, 'key.pem'));
const cert = readFileSync(join(fixtures, 'cert.pem'));

async function tlsServer(): Promise<tls.Server> {
  const server = track(tls.createServer({ key, cert }, (socket) => track(socket)));
  server.listen(0, LOOPBACK[4]);
  await once(server, 'listening');
  return server;
}

describe('tls.TLSSocket', () => {
  it('round-trips on both ends of a TLS connection, and data still flows', async () => {
    const server = await tlsServer();
    const accepted = once(server, 'secureConnection') as Promise<[tls.TLSSocket]>;
    const client = track(tls.connect({ port: portOf(server), host: LOOPBACK[4], ca: cert, servername: 'localhost' }));
    await once(client, 'secureConnect');
    const [peer] = await accepted;
    setKeepAlive(client, { idle: 25_000, interval: 5_000, count: 4, userTimeout: 40_000 });
    setKeepAlive(peer, { idle: 6_000, interval: 3_000, count: 2 });
    expect(getKeepAlive(client)).toEqual({ enabled: true, idle: 25_000, interval: 5_000, count: 4, userTimeout: 40_000 });
    expect(getKeepAlive(peer)).toMatchObject({ enabled: true, idle: 6_000, interval: 3_000, count: 2 });
    expect(await roundTrip(client, peer)).toMatch(/^ping-/);
    expect(await roundTrip(peer, client)).toMatch(/^ping-/);
  });

  it('that is still connecting gets its options on connect', async () => {
    const server = await tlsServer();
    const client = track(tls.connect({ port: portOf(server), host: LOOPBACK[4], ca: cert, servername: 'localhost' }));
    setKeepAlive(client, { idle: 13_000, interval: 2_000, count: 6 });
    await once(client, 'secureConnect');
    expect(getKeepAlive(client)).toMatchObject({ enabled: true, idle: 13_000, interval: 2_000, count: 6 });
  });
});
