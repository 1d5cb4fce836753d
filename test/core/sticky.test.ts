// Sticky settings: with `sticky: true` the options this library set survive
// Node's own socket.setKeepAlive, which otherwise resets interval and count.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getKeepAlive, setKeepAlive } from '../../lib/index.js';
import { connectedPair, listen, portOf, track, LOOPBACK } from '../helpers/sockets.js';

describe('sticky', () => {
  it("keeps interval and count through Node's later setKeepAlive(true, ms); idle follows Node's explicit delay", async () => {
    const { client } = await connectedPair();
    setKeepAlive(client, { interval: 2_000, count: 3, sticky: true });
    client.setKeepAlive(true, 5_000);
    expect(getKeepAlive(client)).toMatchObject({ enabled: true, idle: 5_000, interval: 2_000, count: 3 });
  });

  it('without sticky the documented trap is still there', async () => {
    const { client } = await connectedPair();
    setKeepAlive(client, { interval: 2_000, count: 3 });
    client.setKeepAlive(true, 5_000);
    expect(getKeepAlive(client)).toMatchObject({ enabled: true, idle: 5_000, interval: 1_000, count: 10 });
  });

  it('pins every option it was given, idle and user timeout included', async () => {
    const { client } = await connectedPair();
    const pinned = { enabled: true, idle: 30_000, interval: 10_000, count: 3, userTimeout: 60_000 };
    setKeepAlive(client, { ...pinned, sticky: true });
    for (const ms of [1_000, 5_000, 60_000]) {
      client.setKeepAlive(true, ms);
      expect(getKeepAlive(client)).toEqual(pinned);
    }
  });

  it("Node's setKeepAlive(false) still turns keepalive off; a later enable restores the pinned values", async () => {
    const { client } = await connectedPair();
    // Node's own cache says "off", so Node alone would skip setKeepAlive(false).
    setKeepAlive(client, { idle: 30_000, interval: 10_000, count: 3, sticky: true });
    client.setKeepAlive(false);
    expect(getKeepAlive(client).enabled).toBe(false);
    client.setKeepAlive(true, 7_000);
    expect(getKeepAlive(client)).toMatchObject({ enabled: true, idle: 30_000, interval: 10_000, count: 3 });
  });

  it('later calls of ours update the pinned values; sticky: false unpins', async () => {
    const { client } = await connectedPair();
    setKeepAlive(client, { interval: 2_000, sticky: true });
    setKeepAlive(client, { count: 4 });
    client.setKeepAlive(true, 5_000);
    expect(getKeepAlive(client)).toMatchObject({ interval: 2_000, count: 4 });
    setKeepAlive(client, { sticky: false });
    client.setKeepAlive(true, 6_000);
    expect(getKeepAlive(client)).toMatchObject({ idle: 6_000, interval: 1_000, count: 10 });
  });

  it('on a connecting socket, pinned values outlast a Node call made before connect', async () => {
    const server = await listen(4);
    const client = track(net.connect({ port: portOf(server), host: LOOPBACK[4], keepAlive: true, keepAliveInitialDelay: 5_000 }));
    setKeepAlive(client, { interval: 3_000, count: 2, sticky: true });
    client.setKeepAlive(true, 8_000);
    await once(client, 'connect');
    expect(getKeepAlive(client)).toMatchObject({ enabled: true, idle: 8_000, interval: 3_000, count: 2 });
  });

  it('other sockets are untouched by the guard', async () => {
    const pinned = await connectedPair();
    setKeepAlive(pinned.client, { interval: 2_000, sticky: true });
    const { client } = await connectedPair();
    client.setKeepAlive(true, 5_000);
    expect(getKeepAlive(client)).toMatchObject({ idle: 5_000, interval: 1_000, count: 10 });
  });

  describe('one connection, two objects: a TLSSocket over a net.Socket', () => {
    const key = readFileSync(join(__dirname, '..', 'fixtures', 'key.pem'));
    const cert = readFileSync(join(__dirname, '..', 'fixtures', 'cert.pem'));
    const pinned = { enabled: true, idle: 37_000, interval: 7_000, count: 4, userTimeout: 21_000 };

    async function tunnel(onSecure: (tlsSocket: tls.TLSSocket) => void = () => {}) {
      const accepted: tls.TLSSocket[] = [];
      const server = track(tls.createServer({ key, cert }, (tlsSocket) => {
        onSecure(tlsSocket);
        accepted.push(track(tlsSocket));
      }) as unknown as net.Server);
      server.listen(0, LOOPBACK[4]);
      await once(server, 'listening');
      const raw = track(net.connect(portOf(server), LOOPBACK[4]));
      await once(raw, 'connect');
      return { raw, accepted, cert };
    }

    it("pinned on the TCP socket, Node's call on the TLSSocket wrapped around it (tls.connect({ socket }), a CONNECT tunnel) keeps the values", async () => {
      const { raw } = await tunnel();
      setKeepAlive(raw, { ...pinned, sticky: true });
      const secure = track(tls.connect({ socket: raw, ca: cert, servername: 'localhost' }));
      await once(secure, 'secureConnect');
      secure.setKeepAlive(true, 60_000); // Node alone: 60/1/10
      expect(getKeepAlive(secure)).toEqual(pinned);
      expect(getKeepAlive(raw)).toEqual(pinned);
      raw.setKeepAlive(true, 45_000); // and the other way round
      expect(getKeepAlive(secure)).toEqual(pinned);
    });

    it("pinned on a tls.Server's TLSSocket, Node's call on it or on the TCP socket under it keeps the values", async () => {
      const { raw, accepted } = await tunnel((tlsSocket) => setKeepAlive(tlsSocket, { ...pinned, sticky: true }));
      const secure = track(tls.connect({ socket: raw, ca: cert, servername: 'localhost' }));
      await once(secure, 'secureConnect');
      while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const [serverSide] = accepted;
      serverSide.setKeepAlive(true, 60_000);
      expect(getKeepAlive(serverSide)).toEqual(pinned);
      (serverSide as unknown as { _parent: net.Socket })._parent.setKeepAlive(true, 50_000);
      expect(getKeepAlive(serverSide)).toEqual(pinned);
    });
  });

  it("Node's setKeepAlive on a pinned socket that has closed is silent, as Node alone is", async () => {
    const { client } = await connectedPair();
    setKeepAlive(client, { idle: 30_000, sticky: true });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      client.destroy();
      await once(client, 'close');
      client.setKeepAlive(true, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 20)); // warnings are emitted on the next tick
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a frozen net.Socket.prototype: sticky is refused with a coded error before any change; the preload sets the values without it and says so once', async () => {
    const { spawnSync } = await import('node:child_process');
    const dist = join(__dirname, '..', '..', 'dist');
    // In a child: freezing the prototype here would change every other test.
    const script = `
      const net = require('node:net');
      const { setKeepAlive, getKeepAlive } = require(${JSON.stringify(join(dist, 'index.js'))});
      void process.stdout; void process.stderr; // Node assigns to them when it makes them: before the freeze
      Object.freeze(net.Socket.prototype);
      const server = net.createServer(() => {}).listen(0, '127.0.0.1', () => {
        const s = net.connect(server.address().port, '127.0.0.1', () => {
          setKeepAlive(s, { idle: 20000 });
          let error;
          try { setKeepAlive(s, { idle: 30000, interval: 3000, sticky: true }); } catch (e) { error = e.code; }
          const afterRefusal = getKeepAlive(s);
          setKeepAlive(s, { idle: 40000 });
          console.log(JSON.stringify({ error, afterRefusal, plain: getKeepAlive(s) }));
          s.destroy(); server.close();
        });
      });`;
    const api = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(api.status, api.stderr).toBe(0);
    const result = JSON.parse(api.stdout) as { error: string; afterRefusal: { idle: number; interval: number }; plain: { idle: number } };
    expect(result.error).toBe('ERR_TCP_KEEPALIVE_STICKY_UNAVAILABLE');
    expect(result.afterRefusal).toMatchObject({ idle: 20_000 }); // nothing applied
    expect(result.afterRefusal.interval).not.toBe(3_000);
    expect(result.plain).toMatchObject({ idle: 40_000 });

    const preloaded = `
      const net = require('node:net');
      const { getKeepAlive } = require(${JSON.stringify(join(dist, 'index.js'))});
      const server = net.createServer(() => {}).listen(0, '127.0.0.1', () => {
        const s = net.connect(server.address().port, '127.0.0.1', () => {
          console.log(JSON.stringify(getKeepAlive(s)));
          s.destroy(); server.close();
        });
      });`;
    const env: NodeJS.ProcessEnv = { ...process.env, KEEPIDLE: '37', KEEPINTVL: '7', KEEPCNT: '4' };
    delete env.NODE_OPTIONS;
    const freezer = join(__dirname, '..', 'fixtures', 'freeze-socket-prototype.cjs');
    const run = spawnSync(process.execPath, ['--require', freezer, '--require', join(dist, 'register.js'), '-e', preloaded], { encoding: 'utf8', env, timeout: 20_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ enabled: true, idle: 37_000, interval: 7_000, count: 4 });
    expect(run.stderr.match(/sticky \(net\.Socket\.prototype\.setKeepAlive cannot be wrapped\) is not available in this process; setting the rest/g)).toHaveLength(1);
  });
});
