// The compatibility matrix: the libraries most Node programs open their
// connections with, each as a small unmodified program (programs/), run as a
// child process three times: as the library comes, under
// tcp-keepalive/register (37 s/7 s/4 and a 21 s user timeout, values no Linux
// or Node default has), and with the recipe docs/recipes.md gives for it. The
// values are read from outside the process (inspectProcess) after connect,
// and again after a pooled reuse or a reconnect forced from the server side.
// Real servers (PostgreSQL, MariaDB, Redis, RabbitMQ, Mosquitto, nats-server)
// run on loopback, on scratch directories, for this file only.
//
// The table in docs/compatibility.md is checked against what this run saw: a
// row that says something else fails the test, and the message holds the row
// to paste (TCP_KEEPALIVE_WRITE_COMPAT=1 writes the whole table into it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inspectProcess, type KeepAliveState } from '../../lib/index.js';
import { notRoot, requireOrSkip } from '../helpers/prerequisites.js';
import { withoutKeepAliveVariables } from '../helpers/run.js';
import { connectProxy, type ConnectProxy } from '../helpers/proxy.js';
import {
  compatServersUnavailableReason,
  startMariaDB,
  startMosquitto,
  startNats,
  startPostgres,
  startRabbitMQ,
  startRedis,
  type RestartableServer,
} from '../helpers/servers.js';

const ROOT = join(__dirname, '..', '..');
const PROGRAMS = join(__dirname, 'programs');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const TABLE_FILE = join(ROOT, 'docs', 'compatibility.md');
const PRELOAD_ENV = { KEEPIDLE: '37', KEEPINTVL: '7', KEEPCNT: '4', TCP_USER_TIMEOUT: '21000' };
const HELD = '37/7/4 +21s';
/** The Node line the table's "as it comes" column was observed on; others check the other columns only. */
const TABLE_NODE = 26;
const MODES = ['plain', 'preload', 'recipe'] as const;
type Mode = (typeof MODES)[number];
type ServerKind = 'http' | 'https' | 'https-proxy' | 'postgres' | 'mariadb' | 'redis' | 'rabbitmq' | 'mosquitto' | 'nats' | 'self';

interface Row {
  /** How the table names it; `library` is the npm package whose version is shown. */
  label: string;
  library: string;
  program: string;
  /** Which end of the connection is read: the program's client socket, or the socket its server accepted. */
  side: 'client' | 'server';
  server: ServerKind;
  /** What happens between the two readings, for the table. */
  then: string;
  /** The test restarts the server between the readings (the library reconnects on its own). */
  restart?: boolean;
  recipe: string;
}

const ROWS: Row[] = [
  { label: 'axios', library: 'axios', program: 'axios.mjs', side: 'client', server: 'http', then: 'pooled reuse', recipe: '`httpAgent: keepAliveAgent(values)`' },
  { label: 'got', library: 'got', program: 'got.mjs', side: 'client', server: 'http', then: 'pooled reuse', recipe: '`agent: { http: keepAliveAgent(values) }`' },
  { label: 'node-fetch', library: 'node-fetch', program: 'node-fetch.mjs', side: 'client', server: 'http', then: 'pooled reuse', recipe: '`agent: keepAliveAgent(values)`' },
  { label: 'agentkeepalive', library: 'agentkeepalive', program: 'agentkeepalive.mjs', side: 'client', server: 'http', then: 'pooled reuse', recipe: '`withKeepAlive(agent, values)`' },
  { label: 'undici `Pool`', library: 'undici', program: 'undici-pool.mjs', side: 'client', server: 'http', then: 'pooled reuse', recipe: '`connect: keepAliveConnector(values)`' },
  { label: 'undici `request`', library: 'undici', program: 'undici-request.mjs', side: 'client', server: 'http', then: 'pooled reuse', recipe: "`dispatcher: new Agent({ connect: keepAliveConnector(values) })`" },
  { label: 'undici `fetch`', library: 'undici', program: 'undici-fetch.mjs', side: 'client', server: 'http', then: 'pooled reuse', recipe: "`dispatcher: new Agent({ connect: keepAliveConnector(values) })`" },
  { label: "Node's global `fetch`", library: 'node', program: 'node-fetch-builtin.mjs', side: 'client', server: 'http', then: 'pooled reuse', recipe: '`dispatcher: keepAliveDispatcher(values)` (undici 7)' },
  { label: 'AWS SDK v3 `S3Client` (a local HTTPS endpoint)', library: '@aws-sdk/client-s3', program: 'aws-s3.mjs', side: 'client', server: 'https', then: 'pooled reuse', recipe: '`requestHandler: new NodeHttpHandler({ httpsAgent: keepAliveHttpsAgent(values) })`' },
  { label: 'https-proxy-agent (HTTPS through a CONNECT proxy)', library: 'https-proxy-agent', program: 'https-proxy-agent.mjs', side: 'client', server: 'https-proxy', then: 'pooled reuse of the tunnel', recipe: '`configure(values)` from `tcp-keepalive/register`' },
  { label: 'express (accepted sockets)', library: 'express', program: 'express.mjs', side: 'server', server: 'self', then: 'a second request on the connection', recipe: '`setKeepAlive(server, values)` once listening' },
  { label: 'fastify (accepted sockets)', library: 'fastify', program: 'fastify.mjs', side: 'server', server: 'self', then: 'a second request on the connection', recipe: '`setKeepAlive(fastify.server, values)` once listening' },
  { label: 'ws (accepted sockets)', library: 'ws', program: 'ws.mjs', side: 'server', server: 'self', then: 'a second message', recipe: '`setKeepAlive(server, values)` on its http server' },
  { label: 'socket.io (accepted sockets)', library: 'socket.io', program: 'socket.io.mjs', side: 'server', server: 'self', then: 'the server drops the transport; the client reconnects', recipe: '`setKeepAlive(server, values)` on its http server' },
  { label: 'socket.io-client', library: 'socket.io-client', program: 'socket.io.mjs', side: 'client', server: 'self', then: 'the server drops the transport; the client reconnects', recipe: '`agent: keepAliveAgent(values)`' },
  { label: '@grpc/grpc-js server (accepted sockets)', library: '@grpc/grpc-js', program: 'grpc.mjs', side: 'server', server: 'self', then: 'a second call on the channel', recipe: '`configure(values)` from `tcp-keepalive/register`' },
  { label: '@grpc/grpc-js client', library: '@grpc/grpc-js', program: 'grpc.mjs', side: 'client', server: 'self', then: 'a second call on the channel', recipe: '`configure(values)` from `tcp-keepalive/register`' },
  { label: "Node's http2 (accepted sockets)", library: 'node', program: 'http2.mjs', side: 'server', server: 'self', then: 'a second request on the session', recipe: '`setKeepAlive(server, values)` once listening' },
  { label: 'pg `Pool` (PostgreSQL)', library: 'pg', program: 'pg.mjs', side: 'client', server: 'postgres', then: 'the server ends the connection; the pool connects anew', recipe: '`stream: () => setKeepAlive(new net.Socket(), { ...values, sticky: true })`' },
  { label: 'mysql2 pool (MariaDB)', library: 'mysql2', program: 'mysql2.mjs', side: 'client', server: 'mariadb', then: 'the server kills the connection; the pool connects anew', recipe: '`stream` factory: `net.connect` + `setNoDelay(true)` + sticky `setKeepAlive`' },
  { label: 'ioredis (Redis)', library: 'ioredis', program: 'ioredis.mjs', side: 'client', server: 'redis', then: 'the server kills the connection; ioredis reconnects', recipe: "`on('connect', …)`: sticky `setKeepAlive(redis.stream, values)`" },
  { label: 'redis, node-redis (Redis)', library: 'redis', program: 'redis.mjs', side: 'client', server: 'redis', then: 'the server kills the connection; it reconnects', recipe: '`configure(values)` from `tcp-keepalive/register`' },
  { label: 'amqplib (RabbitMQ)', library: 'amqplib', program: 'amqplib.mjs', side: 'client', server: 'rabbitmq', then: 'a second channel (it has no reconnect logic)', recipe: '`configure(values)` from `tcp-keepalive/register`' },
  { label: 'mqtt (Mosquitto)', library: 'mqtt', program: 'mqtt.mjs', side: 'client', server: 'mosquitto', then: 'the broker restarts; mqtt.js reconnects', restart: true, recipe: '`configure(values)` from `tcp-keepalive/register`' },
  { label: 'nats (nats-server)', library: 'nats', program: 'nats.mjs', side: 'client', server: 'nats', then: 'the server restarts; nats.js reconnects', restart: true, recipe: '`configure(values)` from `tcp-keepalive/register`' },
];

/** 37 s/7 s/4 with a 21 s user timeout as "37/7/4 +21s"; keepalive off as "off". */
function show(state: KeepAliveState): string {
  if (!state.enabled) return 'off';
  const base = `${state.idle / 1000}/${state.interval / 1000}/${state.count}`;
  return state.userTimeout > 0 ? `${base} +${state.userTimeout / 1000}s` : base;
}

function cell(connect: string, after: string): string {
  return connect === after ? connect : `${connect}, then ${after}`;
}

function version(library: string): string {
  if (library === 'node') return process.versions.node;
  return (JSON.parse(readFileSync(join(__dirname, 'node_modules', library, 'package.json'), 'utf8')) as { version: string }).version;
}

const installed = existsSync(join(__dirname, 'node_modules', 'axios', 'package.json'));
const skip = requireOrSkip(
  'the compatibility matrix',
  !installed
    ? 'test/compat/node_modules is missing: run `npm ci` in test/compat'
    : (notRoot() ?? compatServersUnavailableReason()),
);

describe.skipIf(skip)('compatibility matrix', () => {
  const servers: Partial<Record<ServerKind, RestartableServer>> = {};
  let httpServer: http.Server;
  let httpsServer: https.Server;
  let proxy: ConnectProxy;
  const seen = new Map<string, Record<Mode, string>>();

  beforeAll(async () => {
    httpServer = http.createServer((_request, response) => response.end('ok'));
    httpServer.keepAliveTimeout = 60_000;
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    httpsServer = https.createServer({ key: readFileSync(join(FIXTURES, 'key.pem')), cert: readFileSync(join(FIXTURES, 'cert.pem')) }, (_request, response) => response.end('ok'));
    httpsServer.keepAliveTimeout = 60_000;
    httpsServer.listen(0, '127.0.0.1');
    await once(httpsServer, 'listening');
    proxy = await connectProxy();
    const started = await Promise.all([
      startPostgres({ manual: true }),
      startMariaDB({ manual: true }),
      startRedis({ manual: true }),
      startRabbitMQ({ manual: true }),
      startMosquitto({ manual: true }),
      startNats({ manual: true }),
    ]);
    [servers.postgres, servers.mariadb, servers.redis, servers.rabbitmq, servers.mosquitto, servers.nats] = started;
  }, 120_000);

  afterAll(async () => {
    httpServer?.closeAllConnections();
    httpServer?.close();
    httpsServer?.closeAllConnections();
    httpsServer?.close();
    proxy?.close();
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }, 60_000);

  function portOf(row: Row): number | undefined {
    if (row.server === 'http') return (httpServer.address() as net.AddressInfo).port;
    if (row.server === 'https') return (httpsServer.address() as net.AddressInfo).port;
    if (row.server === 'https-proxy') return proxy.port;
    if (row.server === 'self') return undefined;
    return servers[row.server]!.port;
  }

  /** Runs the row's program in one mode; the keepalive its sockets hold at each reading. */
  async function observe(row: Row, mode: Mode): Promise<{ connect: string; after: string }> {
    const serverPort = portOf(row);
    const env = withoutKeepAliveVariables({ NODE_EXTRA_CA_CERTS: join(FIXTURES, 'cert.pem') });
    if (mode === 'preload') Object.assign(env, PRELOAD_ENV);
    if (serverPort !== undefined) env.COMPAT_PORT = String(serverPort);
    const httpPort = (httpServer.address() as net.AddressInfo).port;
    Object.assign(env, {
      COMPAT_URL: `http://127.0.0.1:${httpPort}/`,
      COMPAT_ORIGIN: `http://127.0.0.1:${httpPort}`,
      COMPAT_PROXY: `http://127.0.0.1:${proxy.port}`,
      COMPAT_HTTPS_URL: `https://localhost:${(httpsServer.address() as net.AddressInfo).port}/`,
    });
    const args = [...(mode === 'preload' ? ['--require', join(ROOT, 'dist', 'register.js')] : []), join(PROGRAMS, row.program), mode];
    const child = spawn(process.execPath, args, { cwd: __dirname, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    try {
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const next = async (step: string) => {
        const { value, done } = await lines.next();
        if (done) throw new Error(`${row.program} ${mode} exited before "${step}": ${stderr}`);
        const line = JSON.parse(value as string) as { step: string; port?: number };
        expect(line.step, stderr).toBe(step);
        return line;
      };
      const read = (port: number): string => {
        const sockets = inspectProcess(child.pid!).filter(
          (socket) => socket.state === 'ESTABLISHED' && (row.side === 'client' ? socket.remote.port === port : socket.local.port === port),
        );
        expect(sockets.length, `${row.label} (${mode}): no ${row.side} socket to port ${port}`).toBeGreaterThan(0);
        return [...new Set(sockets.map((socket) => show(socket.keepAlive!)))].sort().join(' / ');
      };
      const first = await next('connected');
      const port = serverPort ?? first.port!;
      const connect = read(port);
      if (row.restart) await servers[row.server]!.restart();
      child.stdin!.write('next\n');
      await next('after');
      const after = read(port);
      child.stdin!.end();
      await once(child, 'exit');
      return { connect, after };
    } finally {
      clearTimeout(timer);
      child.kill('SIGKILL');
    }
  }

  for (const row of ROWS) {
    it(`${row.label}: ${row.then}`, async () => {
      const cells = {} as Record<Mode, string>;
      const raw = {} as Record<Mode, { connect: string; after: string }>;
      for (const mode of MODES) {
        raw[mode] = await observe(row, mode);
        cells[mode] = cell(raw[mode].connect, raw[mode].after);
      }
      seen.set(row.label, cells);
      console.log(`[compat] ${row.label} ${version(row.library)}: as it comes ${cells.plain}; preload ${cells.preload}; recipe ${cells.recipe}`);
      // The promise: under the preload and with the recipe, the values hold at connect and after.
      expect(raw.preload).toEqual({ connect: HELD, after: HELD });
      expect(raw.recipe).toEqual({ connect: HELD, after: HELD });
    }, 120_000);
  }

  // Rules: one program that serves and is a database client, under the
  // preload with TCP_KEEPALIVE_RULES. Each kind of socket holds its own rule,
  // at connect and after the database ended the connection and the pool made
  // a new one; the program's own HTTP client matches no rule and is left as
  // Node (its keep-alive agent) made it. docs/compatibility.md ("Rules") says the same.
  it('rules: express (accepted) and pg (the database port) in one program, each with its rule; its own HTTP client left as its agent made it', async () => {
    const pgPort = servers.postgres!.port;
    const env = withoutKeepAliveVariables({
      COMPAT_PORT: String(pgPort),
      TCP_KEEPALIVE_RULES: `accepted: idle=37 interval=7 count=4 no-user-timeout; to 127.0.0.1:${pgPort}: idle=21 interval=3 count=5 user-timeout=21s`,
    });
    const child = spawn(process.execPath, ['--require', join(ROOT, 'dist', 'register.js'), join(PROGRAMS, 'rules-express-pg.mjs'), 'preload'], { cwd: __dirname, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    try {
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const readings: Record<string, string>[] = [];
      for (const step of ['connected', 'after']) {
        const { value, done } = await lines.next();
        expect(done, stderr).toBeFalsy();
        const line = JSON.parse(value as string) as { step: string; port: number };
        expect(line.step, stderr).toBe(step);
        const sockets = inspectProcess(child.pid!).filter((socket) => socket.state === 'ESTABLISHED');
        const of = (kind: (typeof sockets)[number][]) => [...new Set(kind.map((socket) => show(socket.keepAlive!)))].sort().join(' / ');
        readings.push({
          accepted: of(sockets.filter((socket) => socket.local.port === line.port)),
          database: of(sockets.filter((socket) => socket.remote.port === pgPort)),
          ownClient: of(sockets.filter((socket) => socket.remote.port === line.port)),
        });
        child.stdin!.write('next\n');
      }
      child.stdin!.end();
      await once(child, 'exit');
      console.log(`[compat] rules, express ${version('express')} + pg ${version('pg')}: ${JSON.stringify(readings)}`);
      for (const reading of readings) {
        expect(reading).toMatchObject({ accepted: '37/7/4', database: '21/3/5 +21s' });
        // What Node's keep-alive agent set itself (setKeepAlive(true, 1000): 1/1/10 on Node 26, 1 s idle with the system's interval and count before libuv 1.49).
        expect(reading.ownClient).toMatch(/^1\/(1\/10|\d+\/\d+)$/);
      }
    } finally {
      clearTimeout(timer);
      child.kill('SIGKILL');
    }
  }, 120_000);

  it('the table in docs/compatibility.md says what this run saw', () => {
    const start = '<!-- compat:start -->';
    const end = '<!-- compat:end -->';
    const text = readFileSync(TABLE_FILE, 'utf8');
    const checkPlain = Number(process.versions.node.split('.')[0]) === TABLE_NODE;
    const rows = ROWS.filter((row) => seen.has(row.label)).map((row) => {
      const cells = seen.get(row.label)!;
      return `| ${row.label} | ${version(row.library)} | ${row.then} | ${cells.plain} | ${cells.preload} | ${cells.recipe} | ${row.recipe} |`;
    });
    expect(rows).toHaveLength(ROWS.length);
    const table = [
      `Observed on Node ${process.versions.node} (the "as it comes" column; the others hold on every Node line CI runs); values idle/interval/count in seconds, "+21s" a user timeout:`,
      '',
      '| library | version | between the two readings | as it comes | under `tcp-keepalive/register` | with the recipe | recipe |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n');
    if (process.env.TCP_KEEPALIVE_WRITE_COMPAT === '1' && checkPlain) {
      const a = text.indexOf(start);
      const b = text.indexOf(end);
      writeFileSync(TABLE_FILE, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
      return;
    }
    expect(text.includes(start) && text.includes(end), 'docs/compatibility.md has the compat markers').toBe(true);
    const cellsOf = (line: string): string[] => line.replace(/^\| /, '').replace(/ \|$/, '').split(' | ');
    const inTable = text
      .slice(text.indexOf(start), text.indexOf(end))
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| library'))
      .map(cellsOf);
    // On another Node line the version of Node and what a library does by itself may differ: those two are not compared.
    const compared = checkPlain ? [0, 1, 2, 3, 4, 5, 6] : [0, 2, 4, 5, 6];
    for (const [i, row] of rows.map(cellsOf).entries()) {
      expect(compared.map((k) => inTable[i]?.[k]), `compat row ${i + 1} of docs/compatibility.md; the table this run saw (TCP_KEEPALIVE_WRITE_COMPAT=1 on Node ${TABLE_NODE} writes it):\n${table}`).toEqual(
        compared.map((k) => row[k]),
      );
    }
  });
});
