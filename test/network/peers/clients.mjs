// The clients people use, as programs inside a test namespace (run by the
// client scenarios): `node clients.mjs <kind> <host> <port> <mode>`, where
// mode 'library' applies tcp-keepalive's recipe with the settings in
// $KEEPALIVE_SETTINGS and 'defaults' leaves the library as it comes. Each does
// one operation (so its connection is pooled), reports its socket, then starts
// one that waits on the server, and reports how that ends. JSON lines with
// wall-clock `t`, as endpoint.mjs. Kinds: pg, redis, fetch, ws-server, http-server.
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import diagnostics from 'node:diagnostics_channel';
import { getKeepAlive, setKeepAlive } from '../../../dist/index.mjs';
import { keepAliveDispatcher } from '../../../dist/undici.js';

setTimeout(() => process.exit(3), Number(process.env.PEER_MAX_LIFETIME_MS ?? 120_000)).unref();
const now = () => (performance.timeOrigin + performance.now()) / 1000;
const emit = (event) => process.stdout.write(JSON.stringify({ ...event, t: now() }) + '\n');
const [kind, host, portText, mode] = process.argv.slice(2);
const port = Number(portText);
const settings = { ...JSON.parse(process.env.KEEPALIVE_SETTINGS ?? '{}'), sticky: true };
const library = mode === 'library';
const describe = (socket) => ({
  localAddress: socket.localAddress,
  localPort: socket.localPort,
  remoteAddress: socket.remoteAddress,
  remotePort: socket.remotePort,
  keepAlive: getKeepAlive(socket),
});
const failed = (error) => emit({ event: 'failed', code: error?.code ?? error?.cause?.code ?? null, message: String(error?.message ?? error), cause: error?.cause?.code ?? null });

const kinds = {
  async pg() {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      host, port, user: 'postgres', database: 'postgres', max: 1,
      ...(library ? { keepAlive: true, stream: () => setKeepAlive(new net.Socket(), settings) } : {}),
    });
    pool.on('error', failed); // an idle client's socket failing
    let socket;
    pool.on('connect', (client) => (socket = client.connection.stream));
    await pool.query('SELECT 1');
    emit({ event: 'connected', ...describe(socket) });
    emit({ event: 'waiting' });
    await pool.query('SELECT pg_sleep(100)').then(() => emit({ event: 'answered' }), failed);
  },
  async redis() {
    const { default: Redis } = await import('ioredis');
    const redis = new Redis({ host, port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    if (library) redis.on('connect', () => setKeepAlive(redis.stream, settings));
    redis.on('error', failed);
    await redis.connect();
    await redis.ping();
    emit({ event: 'connected', ...describe(redis.stream) });
    emit({ event: 'waiting' });
    await redis.blpop('nothing-ever', 100).then(() => emit({ event: 'answered' }), () => {});
  },
  async fetch() {
    const sockets = [];
    diagnostics.subscribe('undici:client:connected', ({ socket }) => sockets.push(socket));
    const dispatcher = library ? keepAliveDispatcher(settings) : undefined;
    const url = `http://${host}:${port}`;
    await (await fetch(`${url}/fast`, { dispatcher })).text();
    await new Promise((resolve) => setTimeout(resolve, 50)); // back into the pool
    emit({ event: 'connected', ...describe(sockets.at(-1)), connections: sockets.length });
    if (process.env.FETCH_AFTER_MS) {
      // NAT scenario: one more request on the pooled connection after a pause.
      await new Promise((resolve) => setTimeout(resolve, Number(process.env.FETCH_AFTER_MS)));
      const started = now();
      await fetch(`${url}/fast`, { dispatcher, signal: AbortSignal.timeout(3000) })
        .then(async (response) => emit({ event: 'answered', status: response.status, body: await response.text(), ms: (now() - started) * 1000, connections: sockets.length }))
        .catch(failed);
      return;
    }
    emit({ event: 'waiting', connections: sockets.length });
    await fetch(`${url}/slow`, { dispatcher }).then(() => emit({ event: 'answered' }), failed);
  },
  async 'ws-server'() {
    const { WebSocketServer } = await import('ws');
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws, req) => {
      emit({ event: 'connected', ...describe(req.socket) });
      req.socket.on('error', failed);
      ws.on('close', (code) => emit({ event: 'closed', code }));
    });
    server.listen(port, host, () => {
      if (library) setKeepAlive(server, settings); // accepted sockets inherit it
      emit({ event: 'listening' });
    });
  },
  async 'ws-client'() {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://${host}:${port}/`);
    ws.on('open', () => emit({ event: 'open' }));
    ws.on('error', failed);
  },
  async 'http-server'() {
    const server = http.createServer((req, res) => {
      if (req.url === '/slow') return emit({ event: 'slow-request' }); // never answered
      res.end('ok');
    });
    // Keep idle connections a minute (and tell clients so, in Keep-Alive:
    // timeout=60, which undici follows), as servers behind load balancers do.
    server.keepAliveTimeout = 60_000;
    server.listen(port, host, () => emit({ event: 'listening' }));
  },
};

emit({ event: 'ready', pid: process.pid });
kinds[kind]().catch((error) => {
  emit({ event: 'crashed', message: String(error?.stack ?? error) });
  process.exitCode = 1;
});
