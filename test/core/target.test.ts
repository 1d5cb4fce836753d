// Targets (lib/core/target.ts): anything that is not a TCP socket or server is
// refused with the error a program can branch on, and a call never reaches a
// socket it was not aimed at (an fd number reused, a handle sent away, a
// cluster worker's stand-in). A refused call leaves the socket as it was.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { onTestFinished } from 'vitest';
import { fork } from 'node:child_process';
import { explain, run } from '../helpers/run.js';
import { getKeepAlive, setKeepAlive } from '../../lib/index.js';
import { connectedPair, roundTrip, track } from '../helpers/sockets.js';

describe('targets that are not a TCP socket', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number (an fd)', 42],
    ['a plain object', { _handle: { fd: 0 } }],
    ['a stream that is not a socket', new Duplex()],
  ])('%s is ERR_INVALID_ARG_TYPE', (_what, target) => {
    for (const call of [() => setKeepAlive(target as net.Socket, true), () => getKeepAlive(target as net.Socket)]) {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"target" argument') }));
    }
  });

  it('a destroyed socket is ERR_SOCKET_CLOSED', async () => {
    const { client } = await connectedPair();
    client.destroy();
    expect(() => setKeepAlive(client, true)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => getKeepAlive(client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });

  it('a server that is not listening is ERR_SERVER_NOT_RUNNING', () => {
    const server = net.createServer();
    expect(() => setKeepAlive(server, true)).toThrow(expect.objectContaining({ code: 'ERR_SERVER_NOT_RUNNING' }));
  });

  it('a Unix domain socket is ERR_INVALID_ARG_VALUE, and stays untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'sock');
    const accepted: net.Socket[] = [];
    const server = track(net.createServer((socket) => accepted.push(track(socket))));
    server.listen(path);
    await once(server, 'listening');
    const client = track(net.connect(path));
    await once(client, 'connect');
    for (const target of [client, server]) {
      expect(() => setKeepAlive(target, { idle: 5_000 })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('Unix domain socket') }),
      );
      expect(() => getKeepAlive(target)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
    expect(await roundTrip(client, accepted[0]!)).toMatch(/^ping-/);
  });
});

describe('a call never reaches a socket it was not aimed at', () => {
  it('options are read before the fd: a getter that closes the socket and opens another on its fd number', async () => {
    const { client } = await connectedPair();
    const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
    let other: net.Server | undefined;
    const options = {
      get idle(): number {
        client.destroy();
        other = track(net.createServer().listen(0));
        return 9_000;
      },
    };
    expect(() => setKeepAlive(client, options)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect((other as unknown as { _handle: { fd: number } })._handle.fd).toBe(fd); // the number was reused
    expect(getKeepAlive(other!).enabled).toBe(false);
  });

  it('a socket whose handle was sent to a child process is closed here', async () => {
    const { client, peer } = await connectedPair();
    const child = fork(join(__dirname, '..', 'fixtures', 'take-socket.cjs'), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    onTestFinished(() => void child.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => child.send('socket', peer, (error) => (error ? reject(error) : resolve())));
    expect((await once(child, 'message'))[0]).toBe('got it');
    expect(() => setKeepAlive(peer, { idle: 9_000 })).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => getKeepAlive(peer)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(peer.listenerCount('connect')).toBe(0);
    expect(getKeepAlive(client).enabled).toBe(false);
  });

  it("a cluster worker's round-robin server handle: the error says what it is and what to do", async () => {
    const result = await run(process.execPath, [join(__dirname, '..', 'fixtures', 'cluster-server.cjs')], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, NODE_CLUSTER_SCHED_POLICY: 'rr' },
      timeoutMs: 20_000,
    });
    expect(result.code, explain(result)).toBe(0);
    const reported = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { code: string; message: string };
    expect(reported.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(reported.message).toMatch(/cluster worker's stand-in for the primary's listening socket/);
    expect(reported.message).toMatch(/'connection' handler/);
  });
});
