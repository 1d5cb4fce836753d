// The clients people use, on loopback against real servers: http/https agents,
// fetch/undici, PostgreSQL (pg), Redis (ioredis) and WebSocket (ws). For each,
// the kernel values on the live socket after connect and after pooled reuse
// are the ones asked for, although the library itself calls Node's setKeepAlive.
import { describe, expect, it } from 'vitest';
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import pg from 'pg';
import Redis from 'ioredis';
import { WebSocket, WebSocketServer } from 'ws';
import { fetch as undiciFetch } from 'undici';
import { getKeepAlive, keepAliveAgent, keepAliveHttpsAgent, setKeepAlive, withKeepAlive } from '../../lib/index.js';
import { keepAliveConnector, keepAliveDispatcher } from '../../lib/undici.js';
import { requireOrSkip } from '../helpers/prerequisites.js';
import { serversUnavailableReason, startPostgres, startRedis } from '../helpers/servers.js';
import { portOf, track, LOOPBACK } from '../helpers/sockets.js';

const key = readFileSync(join(__dirname, '..', 'fixtures', 'key.pem'));
const cert = readFileSync(join(__dirname, '..', 'fixtures', 'cert.pem'));
const ASKED = { idle: 23_000, interval: 7_000, count: 4, userTimeout: 40_000 };
const EXPECTED = { enabled: true, ...ASKED };

async function httpServers(): Promise<{ http: http.Server; https: https.Server }> {
  const handler = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end('ok');
  const plain = track(http.createServer(handler));
  const secure = track(https.createServer({ key, cert }, handler));
  for (const server of [plain, secure]) {
    server.listen(0, LOOPBACK[4]);
    await once(server, 'listening');
    onTestFinished(() => (server as http.Server).closeAllConnections());
  }
  return { http: plain, https: secure };
}

/** Two requests through `agent`; the socket of each, read after its response ended. */
async function twoRequests(mod: typeof http | typeof https, port: number, agent: http.Agent): Promise<Array<{ socket: net.Socket; state: unknown }>> {
  const seen = [];
  for (let i = 0; i < 2; i++) {
    seen.push(
      await new Promise<{ socket: net.Socket; state: unknown }>((resolve, reject) => {
        const req = mod.get({ host: LOOPBACK[4], port, agent, ca: cert, servername: 'localhost' }, (res) => {
          res.resume();
          // After 'end' the agent puts the socket back (and calls setKeepAlive on it).
          res.on('end', () => setImmediate(() => resolve({ socket: req.socket!, state: getKeepAlive(req.socket!) })));
        });
        req.on('error', reject);
      }),
    );
  }
  return seen;
}

describe('HTTP(S) agents', () => {
  it.each([
    ['keepAliveAgent (http)', 'http'],
    ['keepAliveHttpsAgent (https)', 'https'],
  ] as const)('%s: the values after connect and after pooled reuse', async (_name, kind) => {
    const servers = await httpServers();
    const agent = kind === 'http' ? keepAliveAgent(ASKED, { maxSockets: 1 }) : keepAliveHttpsAgent(ASKED, { maxSockets: 1, keepAliveMsecs: 5_000 });
    onTestFinished(() => agent.destroy());
    const [first, second] = await twoRequests(kind === 'http' ? http : https, portOf(servers[kind]), agent);
    expect(second.socket).toBe(first.socket);
    expect(first.state).toEqual(EXPECTED);
    expect(second.state).toEqual(EXPECTED);
  });

  it('without the library, https.Agent reuse shows what Node does to the socket (the trap, on Node < 24.15)', async () => {
    const servers = await httpServers();
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 5_000 });
    onTestFinished(() => agent.destroy());
    const [first, second] = await twoRequests(https, portOf(servers.https), agent);
    expect(second.socket).toBe(first.socket);
    console.log(`[clients] plain https.Agent on Node ${process.version}: after connect ${JSON.stringify(first.state)}, after reuse ${JSON.stringify(second.state)}`);
    expect(second.state).toMatchObject({ enabled: true, interval: 1_000, count: 10 });
  });

  it('withKeepAlive(agent) wraps an existing agent, and rejects bad options at once', async () => {
    const servers = await httpServers();
    const agent = withKeepAlive(new http.Agent({ keepAlive: true, maxSockets: 1 }), ASKED);
    onTestFinished(() => agent.destroy());
    const [first, second] = await twoRequests(http, portOf(servers.http), agent);
    expect([first.state, second.state]).toEqual([EXPECTED, EXPECTED]);
    expect(() => keepAliveAgent({ idle: 1_500 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => withKeepAlive({} as http.Agent, ASKED)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('fetch and undici', () => {
  /** Sockets undici connects, as its diagnostics channel publishes them. */
  function watchUndiciSockets(): net.Socket[] {
    const sockets: net.Socket[] = [];
    const onConnected = (message: unknown): void => void sockets.push((message as { socket: net.Socket }).socket);
    diagnostics.subscribe('undici:client:connected', onConnected);
    onTestFinished(() => void diagnostics.unsubscribe('undici:client:connected', onConnected));
    return sockets;
  }

  it.each([
    ["Node's built-in fetch", 'builtin'],
    ["undici's fetch", 'undici'],
  ] as const)('%s with keepAliveDispatcher, over http and https, across pooled reuse', async (_name, which) => {
    const servers = await httpServers();
    const sockets = watchUndiciSockets();
    const dispatcher = keepAliveDispatcher(ASKED, { connect: { ca: cert } });
    onTestFinished(() => dispatcher.close());
    const doFetch = (which === 'builtin' ? fetch : undiciFetch) as (url: string, init: object) => Promise<Response>;
    for (const [scheme, server] of [['http', servers.http], ['https', servers.https]] as const) {
      const before = sockets.length;
      for (let i = 0; i < 2; i++) {
        const response = await doFetch(`${scheme}://localhost:${portOf(server)}/`, { dispatcher });
        expect(await response.text()).toBe('ok');
        await new Promise((resolve) => setTimeout(resolve, 20)); // back into the pool
        expect(getKeepAlive(sockets.at(-1)!)).toEqual(EXPECTED);
      }
      expect(sockets.length - before).toBe(1); // the second request reused the connection
    }
  });

  it('keepAliveConnector for new Agent({ connect }) keeps undici\'s connector options', async () => {
    const { Agent } = await import('undici');
    const servers = await httpServers();
    const sockets = watchUndiciSockets();
    const dispatcher = new Agent({ connect: keepAliveConnector({ idle: 9_000, count: 2 }, { ca: cert, keepAlive: true, keepAliveInitialDelay: 60_000 }) });
    onTestFinished(() => dispatcher.close());
    const response = await fetch(`https://localhost:${portOf(servers.https)}/`, { dispatcher } as unknown as RequestInit);
    await response.text();
    expect(getKeepAlive(sockets.at(-1)!)).toMatchObject({ enabled: true, idle: 9_000, count: 2 });
    expect(() => keepAliveConnector({ count: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

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
