// Real database servers for tests, from Debian's packages: PostgreSQL and
// Redis on a scratch data directory, on loopback or inside a test network
// namespace, stopped and removed when the test ends, every wait bounded.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

export interface RunningServer {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** Why PostgreSQL and Redis cannot run here, or null. */
export function serversUnavailableReason(): string | null {
  if (postgresBin() === null) return 'PostgreSQL is not installed (apt-get install postgresql)';
  if (spawnSync('redis-server', ['--version']).status !== 0) return 'redis-server is not installed (apt-get install redis-server)';
  if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0) return 'no postgres user to run PostgreSQL as';
  return null;
}

function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'postgres')));
  return found ?? null;
}

/** A free TCP port on loopback (inside a namespace ports are all free). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `command` as the postgres user when we are root (PostgreSQL refuses to run as root). */
function asPostgres(command: string[]): string[] {
  return process.getuid?.() === 0 ? ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', ...command] : command;
}

function inNamespace(ns: string | undefined, command: string[]): string[] {
  return ns ? ['ip', 'netns', 'exec', ns, ...command] : command;
}

async function waitForPort(host: string, port: number, ns: string | undefined, timeoutMs: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${log()}`);
    const probe = spawnSync(...splitCommand(inNamespace(ns, ['bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`])), { timeout: 2000 });
    if (probe.status === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server on ${host}:${port} did not start within ${timeoutMs} ms: ${log()}`);
}

// The sanitizer job (.ci/memory-safety) preloads the ASan/UBSan runtime into
// every process it starts, for the node processes' sake; a database server
// is not ours to check and would only trip on it.
const SERVER_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS'].includes(name)),
);

function splitCommand(command: string[]): [string, string[]] {
  return [command[0], command.slice(1)];
}

function supervise(command: string[], timeoutMsOnStop = 5000, env: NodeJS.ProcessEnv = SERVER_ENV): { child: ChildProcess; log: () => string; stop: () => Promise<void> } {
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMsOnStop);
    await exited;
    clearTimeout(timer);
  };
  return { child, log: () => output, stop };
}

/**
 * PostgreSQL on a scratch data directory (trust authentication, user
 * `postgres`), listening on `host` (inside namespace `ns` if given).
 */
export async function startPostgres(options: { host?: string; ns?: string; manual?: boolean } = {}): Promise<RestartableServer> {
  const bin = postgresBin();
  if (bin === null) throw new Error('PostgreSQL is not installed');
  const host = options.host ?? '127.0.0.1';
  const port = options.ns ? 5432 : await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres']).stdout), Number(spawnSync('id', ['-g', 'postgres']).stdout));
  const init = spawnSync(...splitCommand(asPostgres([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])), {
    env: SERVER_ENV,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  // initdb trusts loopback only; a client in a test namespace comes from the lab's /30.
  if (options.ns) appendFileSync(join(data, 'pg_hba.conf'), 'host all all 10.201.0.0/16 trust\n');
  const command = asPostgres([join(bin, 'postgres'), '-D', data, '-h', host, '-p', String(port), '-k', dir, '-c', 'fsync=off', '-c', 'log_min_messages=fatal']);
  return serve(inNamespace(options.ns, command), { host, port, ns: options.ns, dir, startMs: 30_000, manual: options.manual });
}

/** redis-server with no persistence, listening on `host` (inside namespace `ns` if given). */
export async function startRedis(options: { host?: string; ns?: string; manual?: boolean } = {}): Promise<RestartableServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.ns ? 6379 : await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-redis-'));
  const command = ['redis-server', '--bind', host, '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'];
  return serve(inNamespace(options.ns, command), { host, port, ns: options.ns, dir, startMs: 15_000, manual: options.manual });
}

/**
 * Runs a server until the test ends (then stops it and removes `dir`), once
 * it accepts connections; with `manual`, until the caller stops it (a
 * server shared by a whole describe block, stopped in its afterAll).
 */
async function serve(
  command: string[],
  where: { host: string; port: number; ns: string | undefined; dir: string; startMs: number; manual?: boolean | undefined; env?: NodeJS.ProcessEnv; afterStop?: () => void },
): Promise<RestartableServer> {
  let server = supervise(command, 5000, where.env);
  const stop = async (): Promise<void> => {
    await server.stop();
    where.afterStop?.();
    rmSync(where.dir, { recursive: true, force: true });
  };
  if (!where.manual) onTestFinished(stop);
  await waitForPort(where.host, where.port, where.ns, where.startMs, server.child, server.log);
  const restart = async (): Promise<void> => {
    await server.stop();
    server = supervise(command, 5000, where.env);
    await waitForPort(where.host, where.port, where.ns, where.startMs, server.child, server.log);
  };
  return { host: where.host, port: where.port, stop, restart };
}

export interface RestartableServer extends RunningServer {
  /** Stops the server and starts it again on the same port and data (its clients see it go away). */
  restart(): Promise<void>;
}

/** What the servers below need; null when all are there. */
export function compatServersUnavailableReason(): string | null {
  const missing = [
    ['mariadbd', '/usr/sbin/mariadbd', 'mariadb-server'],
    ['rabbitmq-server', '/usr/lib/rabbitmq/bin/rabbitmq-server', 'rabbitmq-server'],
    ['mosquitto', '/usr/sbin/mosquitto', 'mosquitto'],
    ['nats-server', '/usr/sbin/nats-server', 'nats-server'],
  ].filter(([, path]) => !existsSync(path));
  return missing.length === 0 ? serversUnavailableReason() : `not installed: ${missing.map(([name, , pkg]) => `${name} (apt-get install ${pkg})`).join(', ')}`;
}

const asRoot = process.getuid?.() === 0;

/** MariaDB on a scratch data directory, loopback only, no grant tables (every client is root); `waitTimeout`: its wait_timeout, s. */
export async function startMariaDB(options: { manual?: boolean; waitTimeout?: number } = {}): Promise<RestartableServer> {
  const host = '127.0.0.1';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-mariadb-'));
  const data = join(dir, 'data');
  const user = asRoot ? ['--user=root'] : [];
  const init = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, ...user, '--skip-test-db', '--auth-root-authentication-method=normal'], {
    env: SERVER_ENV,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr}`);
  const waitTimeout = options.waitTimeout === undefined ? [] : [`--wait-timeout=${options.waitTimeout}`];
  const command = ['mariadbd', '--no-defaults', `--datadir=${data}`, ...user, `--port=${port}`, `--bind-address=${host}`, `--socket=${join(dir, 'sock')}`, '--skip-name-resolve', '--skip-grant-tables', '--skip-log-bin', ...waitTimeout];
  return serve(command, { host, port, ns: undefined, dir, startMs: 30_000, manual: options.manual });
}

/**
 * RabbitMQ on scratch directories, AMQP and Erlang distribution on loopback
 * only, its own node name; epmd (which it starts) is stopped with it.
 */
export async function startRabbitMQ(options: { manual?: boolean } = {}): Promise<RestartableServer> {
  const host = '127.0.0.1';
  const port = await freePort();
  const dist = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-rabbitmq-'));
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = ${host}:${port}\nloopback_users = none\n`);
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const env: NodeJS.ProcessEnv = {
    ...SERVER_ENV,
    HOME: dir,
    RABBITMQ_BASE: dir,
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_NODENAME: `tka${process.pid}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: host,
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: host,
  };
  const stopEpmd = () => void spawnSync('epmd', ['-kill'], { env, timeout: 5000 });
  return serve(['/usr/lib/rabbitmq/bin/rabbitmq-server'], { host, port, ns: undefined, dir, startMs: 60_000, manual: options.manual, env, afterStop: stopEpmd });
}

/** Mosquitto (MQTT), loopback only, anonymous clients. */
export async function startMosquitto(options: { manual?: boolean } = {}): Promise<RestartableServer> {
  const host = '127.0.0.1';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-mosquitto-'));
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} ${host}\nallow_anonymous true\npersistence false\n`);
  return serve(['mosquitto', '-c', join(dir, 'mosquitto.conf')], { host, port, ns: undefined, dir, startMs: 15_000, manual: options.manual });
}

/** nats-server, loopback only. */
export async function startNats(options: { manual?: boolean } = {}): Promise<RestartableServer> {
  const host = '127.0.0.1';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-nats-'));
  return serve(['nats-server', '-a', host, '-p', String(port)], { host, port, ns: undefined, dir, startMs: 15_000, manual: options.manual });
}

/** What the proxies below need; null when both are there. */
export function proxiesUnavailableReason(): string | null {
  const missing = [
    ['haproxy', '/usr/sbin/haproxy', 'haproxy'],
    ['pgbouncer', '/usr/sbin/pgbouncer', 'pgbouncer'],
  ].filter(([, path]) => !existsSync(path));
  return missing.length === 0 ? serversUnavailableReason() : `not installed: ${missing.map(([name, , pkg]) => `${name} (apt-get install ${pkg})`).join(', ')}`;
}

/** HAProxy in HTTP mode on loopback in front of `backendPort`, closing client connections idle for `keepAliveTimeoutS` (timeout http-keep-alive). */
export async function startHaproxy(backendPort: number, keepAliveTimeoutS: number): Promise<RestartableServer> {
  const host = '127.0.0.1';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 256',
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      `  timeout http-keep-alive ${keepAliveTimeoutS}s`,
      'frontend front',
      `  bind ${host}:${port}`,
      '  default_backend back',
      'backend back',
      `  server only ${host}:${backendPort}`,
      '',
    ].join('\n'),
  );
  // -db: in the foreground, not as a daemon.
  return serve(['haproxy', '-db', '-f', config], { host, port, ns: undefined, dir, startMs: 15_000 });
}

/** PgBouncer on loopback in front of PostgreSQL at `pgPort` (trust), closing client connections idle for `clientIdleTimeoutS`. */
export async function startPgBouncer(pgPort: number, clientIdleTimeoutS: number): Promise<RestartableServer> {
  const host = '127.0.0.1';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-pgbouncer-'));
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n');
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `postgres = host=${host} port=${pgPort} dbname=postgres user=postgres`,
      '[pgbouncer]',
      `listen_addr = ${host}`,
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `client_idle_timeout = ${clientIdleTimeoutS}`,
      'logfile =',
      'pidfile =',
      '',
    ].join('\n'),
  );
  // PgBouncer will not run as root: as postgres, which must read its files.
  if (asRoot) spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  return serve(asPostgres(['pgbouncer', join(dir, 'pgbouncer.ini')]), { host, port, ns: undefined, dir, startMs: 15_000 });
}
