// The path every set takes once its options are valid (lib/core/apply.ts):
// a listener set once, its accepted sockets inheriting the values; a server
// made with Node's keepAlive option taken over (Node's per-accept handle call
// skipped, with server.keepAlive and Node's record of each socket left as Node
// made them); and a target that is no socket refused with the coded error
// before anything else, whether or not a socket was pinned in this process.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { getKeepAlive, setKeepAlive } from '../../lib/index.js';
import { connectedPair, listen, portOf, track, LOOPBACK } from '../helpers/sockets.js';

// First in this file: the guard is not installed yet (no pin in this process).
describe('a target that is no socket, before and after a pin exists', () => {
  it('is ERR_INVALID_ARG_TYPE both times, whatever the options', async () => {
    const refuse = (): void => {
      for (const target of [null, undefined, 42, { _handle: { fd: 0 } }, new Duplex()]) {
        for (const options of [true, { idle: 5_000 }, { idle: 5_000, sticky: true }, { sticky: false }]) {
          expect(() => setKeepAlive(target as net.Socket, options), `${String(target)} ${JSON.stringify(options)}`).toThrow(
            expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"target" argument') }),
          );
        }
      }
    };
    // Node's own method, not the guard the first pin installs (lib/core/sticky.ts).
    expect(net.Socket.prototype.setKeepAlive.name).not.toBe('guarded');
    refuse();
    const { client } = await connectedPair();
    setKeepAlive(client, { idle: 9_000, sticky: true });
    expect(net.Socket.prototype.setKeepAlive.name).toBe('guarded');
    refuse();
    expect(getKeepAlive(client)).toMatchObject({ enabled: true, idle: 9_000 });
  });
});

describe('listening servers', () => {
  it('set on a listener, inherited by every socket it accepts', async () => {
    const server = await listen();
    const settings = { enabled: true, idle: 15_000, interval: 5_000, count: 4, userTimeout: 30_000 };
    expect(setKeepAlive(server, settings)).toBe(server);
    expect(getKeepAlive(server)).toEqual(settings);
    for (let i = 0; i < 3; i++) {
      const accepted = once(server, 'connection') as Promise<[net.Socket]>;
      track(net.connect(portOf(server), LOOPBACK[4]));
      const [socket] = await accepted;
      expect(getKeepAlive(socket)).toEqual(settings);
    }
  });

  it("net.createServer({ keepAlive }): values set once on the listener win over Node's per-accept values", async () => {
    const server = await listen(4, { keepAlive: true, keepAliveInitialDelay: 3_000 });
    setKeepAlive(server, { idle: 30_000, interval: 7_000, count: 4, userTimeout: 9_000 });
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    track(net.connect(portOf(server), LOOPBACK[4]));
    const [socket] = await accepted;
    expect(getKeepAlive(socket)).toEqual({ enabled: true, idle: 30_000, interval: 7_000, count: 4, userTimeout: 9_000 });
  });

  it("and Node's view stays Node's: server.keepAlive is still true, a repeat of Node's own call is skipped by Node as without us", async () => {
    // What Node's test-net-server-keepalive.js reads, and what changed when the library set server.keepAlive = false.
    const server = await listen(4, { keepAlive: true, keepAliveInitialDelay: 3_000 });
    setKeepAlive(server, { idle: 30_000, interval: 7_000, count: 4 });
    // Public properties of Node's server, missing from @types/node.
    expect(server).toMatchObject({ keepAlive: true, keepAliveInitialDelay: 3 });
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    track(net.connect(portOf(server), LOOPBACK[4]));
    const [socket] = await accepted;
    // Node recorded keepalive on with the server's delay at accept: the same call again does not reach the kernel
    // (if it did, libuv would leave idle 3 s, interval 1 s, count 10).
    socket.setKeepAlive(true, 3_000);
    expect(getKeepAlive(socket)).toMatchObject({ enabled: true, idle: 30_000, interval: 7_000, count: 4 });
    // A different delay is a new call, and reaches the kernel as it would without us (not pinned here).
    socket.setKeepAlive(true, 5_000);
    expect(getKeepAlive(socket)).toMatchObject({ enabled: true, idle: 5_000 });
  });

  it("a handle instrumented before Node's accept (as test-net-server-keepalive.js does) sees Node's call once, and the socket ends with the listener's values", async () => {
    const server = await listen(4, { keepAlive: true, keepAliveInitialDelay: 1_000 });
    setKeepAlive(server, { idle: 25_000, interval: 5_000, count: 3 });
    type Handle = { onconnection: (error: number, client: { setKeepAlive: (...args: unknown[]) => unknown }) => void };
    const handle = (server as unknown as { _handle: Handle })._handle;
    const onconnection = handle.onconnection;
    const calls: unknown[][] = [];
    handle.onconnection = function (error, client) {
      const setKeepAliveOfNode = client.setKeepAlive;
      client.setKeepAlive = function (...args: unknown[]) {
        calls.push(args);
        return setKeepAliveOfNode.apply(client, args);
      };
      onconnection.call(this, error, client);
    };
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    track(net.connect(portOf(server), LOOPBACK[4]));
    const [socket] = await accepted;
    expect(calls).toEqual([[true, 1]]); // server.keepAliveInitialDelay: seconds
    expect(getKeepAlive(socket)).toMatchObject({ enabled: true, idle: 25_000, interval: 5_000, count: 3 });
  });

  it('http.createServer({ keepAlive }) the same', async () => {
    const server = track(http.createServer({ keepAlive: true, keepAliveInitialDelay: 3_000 }, (_req, res) => res.end()));
    server.listen(0, LOOPBACK[4]);
    await once(server, 'listening');
    setKeepAlive(server, { idle: 20_000, interval: 6_000, count: 2 });
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    track(net.connect(portOf(server), LOOPBACK[4]));
    const [socket] = await accepted;
    track(socket);
    expect(getKeepAlive(socket)).toMatchObject({ enabled: true, idle: 20_000, interval: 6_000, count: 2 });
  });
});
