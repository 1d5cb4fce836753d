// Real database servers for tests, from Debian's packages: PostgreSQL and
// Redis on a scratch data directory, on loopback or inside a test network
// namespace, stopped and removed when the test ends, every wait bounded.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

function supervise(command: string[], timeoutMsOnStop = 5000): { child: ChildProcess; log: () => string; stop: () => Promise<void> } {
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: SERVER_ENV });
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
export async function startPostgres(options: { host?: string; ns?: string } = {}): Promise<RunningServer> {
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
  return serve(inNamespace(options.ns, command), { host, port, ns: options.ns, dir, startMs: 30_000 });
}

/** redis-server with no persistence, listening on `host` (inside namespace `ns` if given). */
export async function startRedis(options: { host?: string; ns?: string } = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.ns ? 6379 : await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-redis-'));
  const command = ['redis-server', '--bind', host, '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'];
  return serve(inNamespace(options.ns, command), { host, port, ns: options.ns, dir, startMs: 15_000 });
}

/** Runs a server until the test ends (then stops it and removes `dir`), once it accepts connections. */
async function serve(command: string[], where: { host: string; port: number; ns: string | undefined; dir: string; startMs: number }): Promise<RunningServer> {
  const server = supervise(command);
  const stop = async (): Promise<void> => {
    await server.stop();
    rmSync(where.dir, { recursive: true, force: true });
  };
  onTestFinished(stop);
  await waitForPort(where.host, where.port, where.ns, where.startMs, server.child, server.log);
  return { host: where.host, port: where.port, stop };
}
