// What Node's own keepalive does to a socket, as getKeepAlive reads it from the
// kernel: the values libuv hard-codes, and the reset users hit with http.Agent.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import net from 'node:net';
import { getKeepAlive, setKeepAlive } from '../../lib/index.js';
import { connectedPair, listen, portOf, systemDefaults, track, LOOPBACK } from '../helpers/sockets.js';

describe("Node's socket.setKeepAlive, reported faithfully", () => {
  it('sets idle to the delay and hard-codes interval 1 s and count 10', async () => {
    const { client } = await connectedPair();
    client.setKeepAlive(true, 5_000);
    expect(getKeepAlive(client)).toEqual({ enabled: true, idle: 5_000, interval: 1_000, count: 10, userTimeout: 0 });
  });

  it('floors the delay to whole seconds', async () => {
    const { client } = await connectedPair();
    client.setKeepAlive(true, 2_999);
    expect(getKeepAlive(client).idle).toBe(2_000);
  });

  it('with a delay under one second leaves idle at the system default and says nothing', async () => {
    const { client } = await connectedPair();
    client.setKeepAlive(true, 500);
    const state = getKeepAlive(client);
    expect(state.enabled).toBe(true);
    expect(state.idle).toBe((await systemDefaults()).idle);
  });

  it('resets interval and count set by this library whenever the delay changes (the trap)', async () => {
    const { client } = await connectedPair();
    setKeepAlive(client, { idle: 30_000, interval: 2_000, count: 3 });
    client.setKeepAlive(true, 7_000);
    expect(getKeepAlive(client)).toMatchObject({ idle: 7_000, interval: 1_000, count: 10 });
  });

  it('net.createServer({ keepAlive }) values are visible, and setKeepAlive in the connection handler wins', async () => {
    const server = await listen(4, { keepAlive: true, keepAliveInitialDelay: 4_000 });
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    track(net.connect(portOf(server), LOOPBACK[4]));
    const [socket] = await accepted;
    expect(getKeepAlive(socket)).toMatchObject({ enabled: true, idle: 4_000, interval: 1_000, count: 10 });
    setKeepAlive(socket, { idle: 20_000, interval: 5_000, count: 2 });
    expect(getKeepAlive(socket)).toMatchObject({ enabled: true, idle: 20_000, interval: 5_000, count: 2 });
  });

});
