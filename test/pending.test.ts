// Sockets that have no fd yet: validated at once, options applied on 'connect'.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { getKeepAlive, setKeepAlive } from '../lib/index.js';
import { listen, portOf, track, LOOPBACK } from './helpers/sockets.js';

const settings = { enabled: true, idle: 11_000, interval: 4_000, count: 5, userTimeout: 22_000 };

describe('a socket that is still connecting', () => {
  it.each([
    ['an IP address', LOOPBACK[4]],
    ['a hostname being resolved', 'localhost'],
  ])('gets its options on connect when connecting to %s', async (_what, host) => {
    const server = await listen(4);
    const client = track(net.connect({ port: portOf(server), host, family: 4 }));
    expect(client.connecting).toBe(true);
    expect(setKeepAlive(client, settings)).toBe(client);
    await once(client, 'connect');
    expect(getKeepAlive(client)).toEqual(settings);
  });

  it('gets its options on connect when set before connect() was called', async () => {
    const server = await listen(4);
    const client = track(new net.Socket());
    setKeepAlive(client, settings);
    client.connect(portOf(server), LOOPBACK[4]);
    await once(client, 'connect');
    expect(getKeepAlive(client)).toEqual(settings);
  });

  it('applies several pending calls in the order they were made', async () => {
    const server = await listen(4);
    const client = track(net.connect(portOf(server), LOOPBACK[4]));
    setKeepAlive(client, { idle: 9_000, count: 2 });
    setKeepAlive(client, { count: 3, interval: 2_000 });
    setKeepAlive(client, false);
    await once(client, 'connect');
    expect(getKeepAlive(client)).toMatchObject({ enabled: false, idle: 9_000, interval: 2_000, count: 3 });
  });

  it('rejects bad options at once and queues nothing', async () => {
    const server = await listen(4);
    const client = track(net.connect(portOf(server), LOOPBACK[4]));
    const listeners = client.listenerCount('connect');
    expect(() => setKeepAlive(client, { idle: 500 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(client.listenerCount('connect')).toBe(listeners);
    await once(client, 'connect');
    expect(getKeepAlive(client).enabled).toBe(false);
  });

  it('cannot be read before it connects', async () => {
    const server = await listen(4);
    const client = track(net.connect(portOf(server), LOOPBACK[4]));
    expect(() => getKeepAlive(client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_NOT_CONNECTED' }));
    await once(client, 'connect');
  });

  it('that turns out to be a Unix domain socket is destroyed with the error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'sock');
    const server = track(net.createServer((socket) => track(socket)));
    server.listen(path);
    await once(server, 'listening');
    const client = track(new net.Socket());
    setKeepAlive(client, settings);
    client.connect(path);
    const [error] = await once(client, 'error');
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(client.destroyed).toBe(true);
  });
});
