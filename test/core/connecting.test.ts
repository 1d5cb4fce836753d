// Sockets that are still connecting: options validated at once, kept (one
// entry per socket), and applied first thing on 'connect', after Node has
// re-applied its own keepalive and before any 'connect' listener runs.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { getKeepAlive, setKeepAlive } from '../../lib/index.js';
import { blackhole } from '../helpers/blackhole.js';
import { listen, portOf, roundTrip, track, LOOPBACK } from '../helpers/sockets.js';

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

  it("has them already inside the caller's own connect callback", async () => {
    const server = await listen(4);
    const seen = new Promise((resolve) => {
      const client = track(net.connect(portOf(server), LOOPBACK[4], () => resolve(getKeepAlive(client))));
      setKeepAlive(client, settings);
    });
    expect(await seen).toEqual(settings);
  });

  it('merges several pending calls as immediate sets would, with one listener in all', async () => {
    const server = await listen(4);
    const client = track(net.connect(portOf(server), LOOPBACK[4]));
    const before = { connect: client.listenerCount('connect'), close: client.listenerCount('close') };
    setKeepAlive(client, { idle: 9_000, count: 2 });
    for (let count = 1; count <= 20; count++) setKeepAlive(client, { count, interval: 2_000 });
    setKeepAlive(client, false);
    expect(client.listenerCount('connect')).toBe(before.connect + 1);
    expect(client.listenerCount('close')).toBe(before.close + 1);
    await once(client, 'connect');
    expect(getKeepAlive(client)).toMatchObject({ enabled: false, idle: 9_000, interval: 2_000, count: 20 });
    expect(client.listenerCount('connect')).toBe(before.connect);
    expect(client.listenerCount('close')).toBe(before.close);
  });

  it('leaves no listener behind when the connect fails', async () => {
    const server = await listen(4);
    const port = portOf(server);
    server.close();
    await once(server, 'close');
    const client = track(net.connect(port, LOOPBACK[4]));
    setKeepAlive(client, settings);
    const [error] = await once(client, 'error');
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    await once(client, 'close');
    expect(client.listenerCount('connect')).toBe(0);
    expect(client.listenerCount('close')).toBe(0);
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

  it('that turns out to be a Unix domain socket keeps working; the process gets a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'sock');
    const accepted = new Promise<net.Socket>((resolve) => {
      const server = track(net.createServer((socket) => resolve(track(socket))));
      server.listen(path);
    });
    const warnings: Error[] = [];
    const onWarning = (warning: Error): number => warnings.push(warning);
    process.on('warning', onWarning);
    onTestFinished(() => void process.off('warning', onWarning));
    const client = track(new net.Socket());
    setKeepAlive(client, settings);
    client.connect(path);
    await once(client, 'connect');
    expect(client.destroyed).toBe(false);
    expect(await roundTrip(client, await accepted)).toMatch(/^ping-/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual([expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/when the socket connected.*Unix domain socket/) })]);
  });
});

describe("Node's own keepalive on a connecting socket", () => {
  it('net.connect({ keepAlive, keepAliveInitialDelay }) does not overwrite values set while connecting', async () => {
    const server = await listen(4);
    const client = track(net.connect({ port: portOf(server), host: LOOPBACK[4], keepAlive: true, keepAliveInitialDelay: 5_000 }));
    // One tick later the socket has its fd and is still connecting.
    await new Promise((resolve) => process.nextTick(resolve));
    expect(client.connecting).toBe(true);
    expect((client as unknown as { _handle: { fd: number } })._handle.fd).toBeGreaterThanOrEqual(0);
    setKeepAlive(client, settings);
    await once(client, 'connect');
    expect(getKeepAlive(client)).toEqual(settings);
  });

  it("a keep-alive http.Agent's socket keeps the values set on 'socket', after the response and after reuse", async () => {
    const server = track(http.createServer((_req, res) => res.end('ok')));
    server.listen(0, LOOPBACK[4]);
    await once(server, 'listening');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    onTestFinished(() => agent.destroy());
    const sockets: net.Socket[] = [];
    const get = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const req = http.get({ port: portOf(server), host: LOOPBACK[4], agent }, (res) => {
          res.resume();
          res.on('end', () => setImmediate(() => resolve(req.socket!)));
        });
        req.on('socket', (socket) => {
          sockets.push(socket);
          setKeepAlive(socket, settings);
        });
        req.on('error', reject);
      });
    const first = await get();
    expect(getKeepAlive(first)).toEqual(settings);
    const second = await get();
    expect(second).toBe(first); // reused from the pool
    expect(getKeepAlive(second)).toEqual(settings);
  });

  it('a call made while Node tries an address that never answers reaches the address that does (autoSelectFamily)', async () => {
    const server = await listen(4);
    const port = portOf(server);
    await blackhole('127.0.0.2', port);
    const client = track(
      net.connect({
        port,
        host: 'two-addresses.test',
        autoSelectFamily: true,
        autoSelectFamilyAttemptTimeout: 250,
        lookup: (_host, _options, callback) =>
          (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
            { address: '127.0.0.2', family: 4 },
            { address: LOOPBACK[4], family: 4 },
          ]),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.connecting).toBe(true);
    setKeepAlive(client, settings);
    await once(client, 'connect');
    expect(client.remoteAddress).toBe(LOOPBACK[4]);
    expect(getKeepAlive(client)).toEqual(settings);
  });

  it("the later call wins: Node's socket.setKeepAlive after ours while connecting", async () => {
    const server = await listen(4);
    const client = track(net.connect(portOf(server), LOOPBACK[4]));
    setKeepAlive(client, settings);
    client.setKeepAlive(true, 5_000);
    await once(client, 'connect');
    // Node's call sets idle and resets interval and count; it never sets the user timeout.
    expect(getKeepAlive(client)).toEqual({ enabled: true, idle: 5_000, interval: 1_000, count: 10, userTimeout: 22_000 });
  });

  it("the later call wins: ours after Node's socket.setKeepAlive while connecting", async () => {
    const server = await listen(4);
    const client = track(net.connect(portOf(server), LOOPBACK[4]));
    client.setKeepAlive(true, 5_000);
    setKeepAlive(client, settings);
    await once(client, 'connect');
    expect(getKeepAlive(client)).toEqual(settings);
  });

  it("the later call wins: Node's setKeepAlive(false) after ours leaves keepalive off", async () => {
    const server = await listen(4);
    const client = track(net.connect({ port: portOf(server), host: LOOPBACK[4], keepAlive: true }));
    setKeepAlive(client, settings);
    client.setKeepAlive(false);
    await once(client, 'connect');
    expect(getKeepAlive(client).enabled).toBe(false);
  });
});
