// The README's recipes for the drivers and servers people use, on loopback
// against real servers: PostgreSQL (pg), Redis (ioredis) and WebSocket (ws).
// For each, the kernel values on the live socket after connect and after
// reuse are the ones asked for, although the driver itself calls Node's
// setKeepAlive. The http(s) agents and undici have test files of their own.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import pg from 'pg';
import Redis from 'ioredis';
import { WebSocket, WebSocketServer } from 'ws';
import { getKeepAlive, setKeepAlive } from '../../lib/index.js';
import { requireOrSkip } from '../helpers/prerequisites.js';
import { serversUnavailableReason, startPostgres, startRedis } from '../helpers/servers.js';
import { portOf, track, LOOPBACK } from '../helpers/sockets.js';

const ASKED = { idle: 23_000, interval: 7_000, count: 4, userTimeout: 40_000 };
const EXPECTED = { enabled: true, ...ASKED };

const noServers = requireOrSkip('real PostgreSQL and Redis servers', serversUnavailableReason());

describe.skipIf(noServers)('drivers against real servers', () => {
  it('pg Pool: a stream factory gives each connection the values; pg\'s own setKeepAlive (keepAlive: true) leaves them', async () => {
    const server = await startPostgres();
    const sockets: net.Socket[] = [];
    const pool = new pg.Pool({
      host: server.host,
      port: server.port,
      user: 'postgres',
      database: 'postgres',
      max: 1,
      keepAlive: true, // pg then calls socket.setKeepAlive(true, 0) on connect
      // The recipe: one line.
      stream: () => setKeepAlive(new net.Socket(), { ...ASKED, sticky: true }),
    });
    onTestFinished(() => pool.end());
    pool.on('connect', (client) => sockets.push((client as unknown as { connection: { stream: net.Socket } }).connection.stream));
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(getKeepAlive(sockets[0])).toEqual(EXPECTED);
    expect((await pool.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]); // the same pooled connection
    expect(sockets).toHaveLength(1);
    expect(getKeepAlive(sockets[0])).toEqual(EXPECTED);
  }, 60_000);

  it("ioredis: setKeepAlive on 'connect' outlasts ioredis's own setKeepAlive(true, 30000)", async () => {
    const server = await startRedis();
    const redis = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    onTestFinished(() => void redis.disconnect());
    // The recipe: ioredis emits 'connect' after its own keepalive call, on every (re)connect.
    redis.on('connect', () => setKeepAlive(redis.stream as net.Socket, { ...ASKED, sticky: true }));
    await redis.connect();
    expect(await redis.set('k', 'v')).toBe('OK');
    expect(getKeepAlive(redis.stream as net.Socket)).toEqual(EXPECTED);
    expect(await redis.get('k')).toBe('v');
    expect(getKeepAlive(redis.stream as net.Socket)).toEqual(EXPECTED);
  }, 30_000);

  it('ioredis without the recipe: its default keepAlive 30000 means 30 s idle, 1 s interval, 10 probes', async () => {
    const server = await startRedis();
    const redis = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    onTestFinished(() => void redis.disconnect());
    await redis.connect();
    await redis.ping();
    expect(getKeepAlive(redis.stream as net.Socket)).toMatchObject({ enabled: true, idle: 30_000, interval: 1_000, count: 10 });
  }, 30_000);
});

describe('ws', () => {
  it('a WebSocketServer on a listener set once: every accepted connection holds the values', async () => {
    const server = track(http.createServer());
    const wss = new WebSocketServer({ server });
    onTestFinished(() => wss.close());
    server.listen(0, LOOPBACK[4]);
    await once(server, 'listening');
    setKeepAlive(server, ASKED); // the recipe: accepted sockets inherit it
    const accepted = new Promise<net.Socket>((resolve) => wss.once('connection', (_ws, req) => resolve(req.socket as net.Socket)));
    const client = new WebSocket(`ws://${LOOPBACK[4]}:${portOf(server)}/`);
    onTestFinished(() => client.terminate());
    await once(client, 'open');
    expect(getKeepAlive(await accepted)).toEqual(EXPECTED);
  });
});

describe('optional peers', () => {
  it('importing the core (CommonJS and ESM) never loads undici, pg, ioredis or ws', async () => {
    const { run } = await import('../helpers/run.js');
    const script = `
      require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'index.js'))});
      import(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'index.mjs'))}).then(() => {
        const peers = Object.keys(require.cache).filter((file) => /node_modules\\/(undici|pg|ioredis|ws)\\//.test(file));
        console.log(JSON.stringify(peers));
      });`;
    const result = await run(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), env: process.env, timeoutMs: 20_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });
});
