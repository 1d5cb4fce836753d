// onConnectionLost and the tcp-keepalive:connection-lost channel on loopback:
// a connection the peer resets (the one loss loopback can make; keepalive,
// user and retransmission timeouts need a silent peer: test/network/) is
// reported once, with both endpoints, before the program's 'error' event;
// normal ends, the program's own destroy and refused connects say nothing;
// TLS, a socket destroyed twice and a socket that reconnects are reported
// once per connection; bad arguments get the library's codes.
import { describe, expect, it, onTestFinished } from 'vitest';
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { countConnectionsLost, getKeepAlive, getTcpInfo, onConnectionLost, setKeepAlive, type ConnectionLost, type ConnectionLostOptions } from '../../lib/index.js';
import { IDLE_CLOSE_MS, classifyEnd } from '../../lib/kernel-view/connection-lost.js';
import { explain, run } from '../helpers/run.js';
import { connectedPair, listen, portOf, roundTrip, track, LOOPBACK } from '../helpers/sockets.js';

const key = readFileSync(join(__dirname, '..', 'fixtures', 'key.pem'));
const cert = readFileSync(join(__dirname, '..', 'fixtures', 'cert.pem'));
const SETTINGS = { idle: 11_000, interval: 3_000, count: 4 };

/** Every message published while the current test runs. */
function collect(options?: ConnectionLostOptions): ConnectionLost[] {
  const seen: ConnectionLost[] = [];
  const stop = onConnectionLost((lost) => seen.push(lost), options);
  onTestFinished(stop);
  return seen;
}

/** Resets `peer`'s side: the other end reads ECONNRESET, as after a middlebox's reset. */
async function resetFrom(peer: net.Socket, victim: net.Socket): Promise<Error> {
  const failed = new Promise<Error>((resolve) => victim.once('error', resolve));
  const closed = new Promise((resolve) => victim.once('close', resolve));
  peer.resetAndDestroy();
  const error = await failed;
  await closed;
  return error;
}

describe('a connection reset by its peer', () => {
  it('is reported once, with both ends, the settings in force and the error, before the program hears of it', async () => {
    const seen = collect();
    const { client, peer } = await connectedPair();
    setKeepAlive(client, SETTINGS);
    const settings = getKeepAlive(client);
    const ends = { remoteAddress: client.remoteAddress, remotePort: client.remotePort, localAddress: client.localAddress, localPort: client.localPort };
    let seenAtError = -1;
    client.on('error', () => (seenAtError = seen.length));
    const error = await resetFrom(peer, client);
    expect(seen).toHaveLength(1);
    expect(seenAtError).toBe(1); // published before the 'error' event
    const [lost] = seen;
    expect(lost.socket).toBe(client);
    expect(lost.error).toBe(error);
    expect(lost).toMatchObject({ ...ends, cause: 'reset', settings, expectedWithin: null, configured: true, probes: 0, retransmits: 0 });
    expect(lost.silentFor).toBeGreaterThanOrEqual(0);
    expect(lost.silentFor).toBeLessThan(5_000);
  });

  it('over IPv6 too, and on the side that accepted it (the listener was configured)', async () => {
    const seen = collect();
    const server = await listen(6);
    setKeepAlive(server, SETTINGS);
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const client = track(net.connect(portOf(server), LOOPBACK[6]));
    await once(client, 'connect');
    const [socket] = await accepted;
    const clientPort = client.localPort;
    await resetFrom(client, socket);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ socket, cause: 'reset', configured: true, remoteAddress: '::1', remotePort: clientPort, localAddress: '::1', localPort: portOf(server) });
  });

  it('an error on a write after the reset is a reset too', async () => {
    const seen = collect();
    const { client, peer } = await connectedPair();
    setKeepAlive(client, SETTINGS);
    // Not reading at all (libuv's read stopped): the reset is met by a write.
    client.pause();
    (client as unknown as { _handle: { readStop(): number } })._handle.readStop();
    const closed = new Promise((resolve) => client.on('close', resolve));
    const failed = new Promise<NodeJS.ErrnoException>((resolve) => client.on('error', resolve));
    peer.resetAndDestroy();
    // The reset has arrived: the kernel has closed the connection.
    for (const deadline = Date.now() + 5000; getTcpInfo(client).state !== 'CLOSE' && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 5));
    // The write meets the reset (ECONNRESET or EPIPE, whichever the kernel says first).
    client.write('x', () => undefined);
    const error = await failed;
    await closed;
    expect(error.syscall).toBe('write');
    expect(seen).toHaveLength(1);
    expect(['ECONNRESET', 'EPIPE']).toContain((seen[0].error as NodeJS.ErrnoException).code);
    expect(seen[0]).toMatchObject({ cause: 'reset', error });
  });
});

/** Waits (polling the kernel, at most 10 s) until neither end of `socket` has moved data for `ms`. */
async function idleFor(socket: net.Socket, ms: number): Promise<void> {
  const quiet = () => {
    const info = getTcpInfo(socket);
    return info.lastDataReceived >= ms && info.lastDataSent >= ms;
  };
  for (const deadline = Date.now() + 10_000; !quiet() && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(quiet()).toBe(true);
}

const IDLE_MS = IDLE_CLOSE_MS + 100;

describe('a peer that closes an idle connection itself (closed-by-peer)', () => {
  it('with a FIN: reported once, with the silence before it and no error; this side closing first says nothing', async () => {
    const seen = collect();
    const { client, peer } = await connectedPair();
    setKeepAlive(client, SETTINGS);
    await roundTrip(client, peer);
    await roundTrip(peer, client);
    await idleFor(client, IDLE_MS);
    const closed = new Promise((resolve) => client.once('close', resolve));
    peer.end(); // the peer's idle timer: a FIN, nothing else
    await closed;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ socket: client, cause: 'closed-by-peer', raced: false, error: null, direction: 'opened', configured: true, expectedWithin: null });
    expect(seen[0].silentFor).toBeGreaterThanOrEqual(IDLE_MS);
    expect(seen[0].silentFor).toBeLessThan(IDLE_MS + 5_000);
    // This side closing its idle connection first is how clients live.
    const own = await connectedPair();
    setKeepAlive(own.client, SETTINGS);
    await roundTrip(own.peer, own.client);
    await idleFor(own.client, IDLE_MS);
    own.client.end();
    await once(own.client, 'close');
    expect(seen).toHaveLength(1);
  });

  it("a goodbye message after this side's silence, hung up on before the peer's FIN arrives (pg on PgBouncer's): closed-by-peer", async () => {
    const seen = collect();
    const { client, peer } = await connectedPair();
    setKeepAlive(client, SETTINGS);
    await roundTrip(client, peer);
    await idleFor(client, IDLE_MS);
    // The client hangs up on the peer's words; the peer's own FIN comes only after the client's.
    client.once('data', () => client.end());
    peer.once('end', () => peer.end());
    const closed = new Promise((resolve) => client.once('close', resolve));
    peer.write('FATAL: client_idle_timeout');
    await closed;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ socket: client, cause: 'closed-by-peer', raced: false, error: null });
    expect(seen[0].silentFor).toBeGreaterThanOrEqual(IDLE_MS);
  });

  it('with a reset nothing prompted: closed-by-peer with the error; a reset in reply to data after the silence stays a reset', async () => {
    const seen = collect();
    const { client, peer } = await connectedPair();
    setKeepAlive(client, SETTINGS);
    await roundTrip(peer, client);
    await idleFor(client, IDLE_MS);
    const error = await resetFrom(peer, client);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ cause: 'closed-by-peer', raced: false, error, direction: 'opened' });
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(seen[0].silentFor).toBeGreaterThanOrEqual(IDLE_MS);
    // This side speaks after the silence and the reset answers it: the path (or the peer) forgot the connection.
    const second = await connectedPair();
    setKeepAlive(second.client, SETTINGS);
    await roundTrip(second.peer, second.client);
    await idleFor(second.client, IDLE_MS);
    second.peer.once('data', () => second.peer.resetAndDestroy());
    const failed = new Promise<Error>((resolve) => second.client.once('error', resolve));
    second.client.write('after the silence');
    await failed;
    await once(second.client, 'close');
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({ cause: 'reset', raced: false });
  });

  it("a request written into a connection the peer had just closed: closed-by-peer, raced, with the peer's idle time", async () => {
    const seen = collect();
    const { client, peer } = await connectedPair();
    setKeepAlive(client, SETTINGS);
    await roundTrip(peer, client);
    await idleFor(client, IDLE_MS);
    client.on('error', () => undefined);
    const closed = new Promise((resolve) => client.once('close', resolve));
    peer.destroy(); // the peer's idle close: a FIN, and its socket gone
    // Before this side's event loop hears of the FIN (it is not given a turn), the request goes out.
    for (const deadline = Date.now() + 5000; getTcpInfo(client).state !== 'CLOSE_WAIT' && Date.now() < deadline; );
    client.write('GET / HTTP/1.1\r\n\r\n');
    await closed;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ socket: client, cause: 'closed-by-peer', raced: true });
    expect(seen[0].silentFor).toBeGreaterThanOrEqual(IDLE_MS);
  });

  it('a close right after an exchange (Connection: close) is no loss; an accepted connection its client closes idle is reported only with every (unless acceptedCloses: false)', async () => {
    const seen = collect();
    const every = collect({ every: true });
    const everyButAcceptedCloses = collect({ every: true, acceptedCloses: false });
    const { client, peer } = await connectedPair();
    setKeepAlive(client, SETTINGS);
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.resume();
    peer.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nok');
    await closed;
    // The accepting side: a configured listener, a client that closes its idle connection.
    const server = await listen();
    setKeepAlive(server, SETTINGS);
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const visitor = track(net.connect(portOf(server), LOOPBACK[4]));
    await once(visitor, 'connect');
    const [socket] = await accepted;
    await roundTrip(visitor, socket);
    await idleFor(socket, IDLE_MS);
    const gone = new Promise((resolve) => socket.once('close', resolve));
    visitor.end();
    await gone;
    expect(seen).toEqual([]);
    expect(everyButAcceptedCloses).toEqual([]);
    expect(every).toHaveLength(1);
    expect(every[0]).toMatchObject({ socket, cause: 'closed-by-peer', direction: 'accepted', configured: true });
  });

  it('countConnectionsLost().summary(): per destination and cause, the count, the races and the silence before the end', async () => {
    const counter = countConnectionsLost();
    onTestFinished(counter.stop);
    const server = await listen();
    const peers: net.Socket[] = [];
    server.on('connection', (socket) => peers.push(socket));
    for (let i = 0; i < 2; i++) {
      const client = track(net.connect(portOf(server), LOOPBACK[4]));
      await once(client, 'connect');
      setKeepAlive(client, SETTINGS);
      while (peers.length <= i) await new Promise((resolve) => setTimeout(resolve, 5));
      await roundTrip(peers[i], client);
      await idleFor(client, IDLE_MS);
      const closed = new Promise((resolve) => client.once('close', resolve));
      peers[i].end();
      await closed;
    }
    const [pattern] = counter.summary();
    expect(counter.summary()).toHaveLength(1);
    expect(pattern).toMatchObject({ cause: 'closed-by-peer', destination: `127.0.0.1:${portOf(server)}`, count: 2, raced: 0 });
    expect(pattern.silence.min).toBeGreaterThanOrEqual(IDLE_MS);
    expect(pattern.silence.min).toBeLessThanOrEqual(pattern.silence.median);
    expect(pattern.silence.median).toBeLessThanOrEqual(pattern.silence.max);
    expect(counter.counts()).toEqual([{ cause: 'closed-by-peer', destination: `127.0.0.1:${portOf(server)}`, count: 2 }]);
  });
});

describe('classifyEnd: who ended it, from what the connection did before (TCP_INFO)', () => {
  const info = (lastDataReceived: number, lastDataSent: number, probes = 0, retransmits = 0) => ({ lastDataReceived, lastDataSent, probes, retransmits });
  const ON = { enabled: true, userTimeout: 0 };
  it.each([
    ['a FIN after 30 s with nothing moving', undefined, true, info(30_000, 30_010), { cause: 'closed-by-peer', raced: false, silentFor: 30_000 }],
    ['a FIN after this side sent last (the peer counts from there)', undefined, true, info(40_000, 30_000), { cause: 'closed-by-peer', raced: false, silentFor: 30_000 }],
    ['a FIN right after the answer (Connection: close)', undefined, true, info(3, 5), null],
    ["a goodbye message and a FIN after 2 s of this side's silence (PgBouncer's client_idle_timeout)", undefined, true, info(1, 2_003), { cause: 'closed-by-peer', raced: false, silentFor: 2_003 }],
    ['a FIN that crossed a request sent after 30 s', undefined, true, info(30_002, 2), { cause: 'closed-by-peer', raced: true, silentFor: 30_000 }],
    ['EPIPE: a reset met after the FIN, in reply to a request', 'EPIPE', false, info(60_001, 1), { cause: 'closed-by-peer', raced: true, silentFor: 60_000 }],
    ['a reset nothing prompted, after 2 s', 'ECONNRESET', false, info(2_004, 2_010), { cause: 'closed-by-peer', raced: false, silentFor: 2_004 }],
    ['a reset in reply to data sent after the silence', 'ECONNRESET', false, info(4_000, 1), { cause: 'reset', raced: false, silentFor: 4_000 }],
    ['a reset in reply to a keepalive probe (a NAT that forgot)', 'ECONNRESET', false, info(400_000, 400_000, 1), { cause: 'reset', raced: false, silentFor: 400_000 }],
    ['a reset right after an exchange', 'ECONNRESET', false, info(20, 25), { cause: 'reset', raced: false, silentFor: 20 }],
    ['keepalive gave up', 'ETIMEDOUT', false, info(5_000, 9_000, 3), { cause: 'keepalive', raced: false, silentFor: 5_000 }],
    ['retransmissions gave up', 'ETIMEDOUT', false, info(900_000, 890_000, 0, 15), { cause: 'retransmissions', raced: false, silentFor: 900_000 }],
  ] as const)('%s', (_what, code, peerClosedFirst, tcpInfo, expected) => {
    expect(classifyEnd(code, peerClosedFirst, tcpInfo, ON)).toEqual(expected);
  });
});

describe('what is not a lost connection says nothing', () => {
  it('a normal close, end(), the program destroying its socket (with or without an error), a refused connect', async () => {
    const seen = collect({ every: true });
    const closed = await connectedPair();
    setKeepAlive(closed.client, SETTINGS);
    closed.client.end();
    await once(closed.client, 'close');
    const destroyed = await connectedPair();
    setKeepAlive(destroyed.client, SETTINGS);
    destroyed.client.destroy();
    const withError = await connectedPair();
    setKeepAlive(withError.client, SETTINGS);
    withError.client.on('error', () => undefined);
    const withErrorClosed = new Promise((resolve) => withError.client.on('close', resolve));
    withError.client.destroy(Object.assign(new Error('done with it'), { code: 'ECONNRESET' }));
    await withErrorClosed;
    const probe = await listen();
    const port = portOf(probe);
    probe.close();
    await once(probe, 'close');
    const refused = net.connect(port, LOOPBACK[4]);
    setKeepAlive(refused, SETTINGS);
    const closedAfterRefusal = new Promise((resolve) => refused.once('close', resolve));
    const [refusal] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(refusal.code).toBe('ECONNREFUSED');
    await closedAfterRefusal; // past _destroy, where a report would be made
    expect(seen).toEqual([]);
  });

  it('a socket this library never configured, unless the subscriber asks for every socket', async () => {
    const configuredOnly = collect();
    const every = collect({ every: true });
    const { client, peer } = await connectedPair();
    await resetFrom(peer, client);
    expect(configuredOnly).toEqual([]);
    expect(every).toHaveLength(1);
    expect(every[0]).toMatchObject({ socket: client, configured: false, cause: 'reset' });
  });

  it('nothing is watched while nothing subscribes: Node\'s own _destroy stays in place', async () => {
    const script = `
      const net = require('node:net');
      const { setKeepAlive } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'index.js'))});
      const original = net.Socket.prototype._destroy;
      const server = net.createServer((s) => s.resetAndDestroy()).listen(0, '127.0.0.1', () => {
        setKeepAlive(server, { idle: 9000 });
        const c = net.connect(server.address().port, '127.0.0.1', () => setKeepAlive(c, { idle: 9000 }));
        c.on('error', () => {});
        c.on('close', () => { console.log(JSON.stringify({ same: net.Socket.prototype._destroy === original })); server.close(); });
      });`;
    const result = await run(process.execPath, ['-e', script], { cwd: __dirname, env: process.env, timeoutMs: 20_000 });
    expect(result.code, explain(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ same: true });
  });
});

/** The TCP socket under a tls.Server's TLSSocket: a TLS wrap cannot be reset, its TCP socket can. */
function rawSocketOf(socket: tls.TLSSocket): net.Socket {
  return (socket as unknown as { _parent: net.Socket })._parent;
}

describe('one report per connection', () => {
  it('a TLSSocket: reported once, as the TLSSocket the program holds', async () => {
    const seen = collect();
    const accepted: tls.TLSSocket[] = [];
    const server = track(tls.createServer({ key, cert }, (socket) => accepted.push(socket)));
    server.listen(0, LOOPBACK[4]);
    await once(server, 'listening');
    const client = track(tls.connect({ port: portOf(server as unknown as net.Server), host: LOOPBACK[4], ca: cert, servername: 'localhost' }));
    await once(client, 'secureConnect');
    setKeepAlive(client, SETTINGS);
    while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const closed = new Promise((resolve) => client.on('close', resolve));
    client.on('error', () => undefined);
    rawSocketOf(accepted[0]).resetAndDestroy();
    await closed;
    expect(seen).toHaveLength(1);
    expect(seen[0].socket).toBe(client);
    expect(seen[0]).toMatchObject({ cause: 'reset', configured: true, remotePort: portOf(server as unknown as net.Server) });
  });

  it('tls.connect({ socket }) over a net.Socket (two objects, one connection): once', async () => {
    const seen = collect({ every: true });
    const accepted: tls.TLSSocket[] = [];
    const server = track(tls.createServer({ key, cert }, (socket) => accepted.push(socket)));
    server.listen(0, LOOPBACK[4]);
    await once(server, 'listening');
    const raw = track(net.connect(portOf(server as unknown as net.Server), LOOPBACK[4]));
    await once(raw, 'connect');
    const client = track(tls.connect({ socket: raw, ca: cert, servername: 'localhost' }));
    await once(client, 'secureConnect');
    while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    client.on('error', () => undefined);
    raw.on('error', () => undefined);
    const closed = new Promise((resolve) => client.on('close', resolve));
    const rawClosed = raw.closed ? Promise.resolve() : once(raw, 'close');
    rawSocketOf(accepted[0]).resetAndDestroy();
    await closed;
    await rawClosed; // both objects are past _destroy
    expect(seen).toHaveLength(1);
  });

  it('a socket destroyed twice: once; a socket that connects again: once per connection', async () => {
    const seen = collect();
    const server = await listen();
    const peers: net.Socket[] = [];
    server.on('connection', (socket) => peers.push(socket));
    const socket = track(new net.Socket());
    socket.on('error', () => undefined);
    for (let round = 0; round < 2; round++) {
      socket.connect(portOf(server), LOOPBACK[4]);
      await once(socket, 'connect');
      setKeepAlive(socket, SETTINGS);
      while (peers.length <= round) await new Promise((resolve) => setTimeout(resolve, 5));
      const failed = once(socket, 'error') as Promise<[Error]>;
      peers[round].resetAndDestroy();
      const [error] = await failed;
      socket.destroy(error); // the program destroys it again
      await once(socket, 'close');
    }
    expect(seen.map((lost) => lost.cause)).toEqual(['reset', 'reset']);
    expect(seen[0].localPort).not.toBe(seen[1].localPort);
  });
});

describe('subscribers', () => {
  it('a diagnostics_channel subscriber gets the same message; countConnectionsLost counts by cause and destination', async () => {
    const direct: unknown[] = [];
    const subscriber = (message: unknown): void => void direct.push(message);
    diagnostics.subscribe('tcp-keepalive:connection-lost', subscriber);
    onTestFinished(() => void diagnostics.unsubscribe('tcp-keepalive:connection-lost', subscriber));
    const counter = countConnectionsLost();
    onTestFinished(counter.stop);
    const seen = collect();
    const { client, peer, server } = await connectedPair();
    setKeepAlive(client, SETTINGS);
    await resetFrom(peer, client);
    expect(direct).toEqual(seen);
    expect(counter.counts()).toEqual([{ cause: 'reset', destination: `127.0.0.1:${portOf(server)}`, count: 1 }]);
    counter.stop();
    counter.stop(); // twice is harmless
    const second = await connectedPair();
    setKeepAlive(second.client, SETTINGS);
    await resetFrom(second.peer, second.client);
    expect(counter.counts()).toHaveLength(1);
  });

  it('a subscriber that throws: the program still gets its error, and the throw surfaces as Node reports a channel subscriber\'s', async () => {
    const script = `
      const net = require('node:net');
      const { setKeepAlive, onConnectionLost } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'index.js'))});
      const events = [];
      process.on('uncaughtException', (error) => events.push('uncaught: ' + error.message));
      onConnectionLost(() => { throw new Error('subscriber bug'); });
      // The server resets once the client, configured, says so.
      const server = net.createServer((s) => s.once('data', () => s.resetAndDestroy())).listen(0, '127.0.0.1', () => {
        const c = net.connect(server.address().port, '127.0.0.1', () => { setKeepAlive(c, { idle: 9000 }); c.write('x'); });
        c.on('error', (e) => events.push('error: ' + e.code));
        // The subscriber's throw surfaces on a later tick of the same turn.
        c.on('close', () => setImmediate(() => { console.log(JSON.stringify(events)); server.close(); }));
      });`;
    const result = await run(process.execPath, ['-e', script], { cwd: __dirname, env: process.env, timeoutMs: 20_000 });
    expect(result.code, explain(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(expect.arrayContaining(['error: ECONNRESET', 'uncaught: subscriber bug']));
  });

  it.each([
    ['a listener that is not a function', () => onConnectionLost('log' as never), 'ERR_INVALID_ARG_TYPE'],
    ['options that are not an object', () => onConnectionLost(() => undefined, true as never), 'ERR_INVALID_ARG_TYPE'],
    ['an unknown option', () => onConnectionLost(() => undefined, { all: true } as never), 'ERR_INVALID_ARG_VALUE'],
    ['every that is not a boolean', () => onConnectionLost(() => undefined, { every: 1 } as never), 'ERR_INVALID_ARG_TYPE'],
    ['acceptedCloses that is not a boolean', () => onConnectionLost(() => undefined, { acceptedCloses: 'no' } as never), 'ERR_INVALID_ARG_TYPE'],
  ])('%s: %s, and nothing subscribed', (_what, call, code) => {
    const before = diagnostics.channel('tcp-keepalive:connection-lost').hasSubscribers;
    expect(call).toThrow(expect.objectContaining({ code }));
    expect(diagnostics.channel('tcp-keepalive:connection-lost').hasSubscribers).toBe(before);
  });
});
