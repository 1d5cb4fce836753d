// What the benchmarks measure against, and on: the library as built in dist/,
// the floors (the same syscalls from C in a child process, and through the raw
// binding with no JavaScript policy), the value sets every set variant cycles
// through, and a connected loopback socket.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const bench = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(bench, '..', 'dist');

if (!existsSync(join(dist, 'index.js'))) {
  console.error('bench: dist/ is missing: run `npm run build:ts` (npm run bench does)');
  process.exit(1);
}
/** The raw binding: the same addon instance the library uses (one require cache). */
export const native = require(join(dist, 'core', 'native.js')).rawBinding;
/** The public API, loaded by the benchmarks that call it (preload-cost measures the preload alone). */
export const library = () => require(join(dist, 'index.js'));
export const REGISTER = join(dist, 'register.js');
const { slots, layout } = native;

// Four distinct (idle s, interval s, count) sets, cycled so that every call
// changes every value and the kernel does its real work (it re-arms the
// keepalive timer on each TCP_KEEPIDLE). The C floor is given the same sets.
export const SETS = [
  [30, 10, 3],
  [31, 11, 4],
  [32, 12, 5],
  [33, 13, 6],
];
export const MASK = SETS.length - 1; // SETS.length is a power of two
/** SETS as setKeepAlive options (ms). */
export const OPTIONS = SETS.map(([idle, interval, count]) => ({ idle: idle * 1000, interval: interval * 1000, count }));

/** A server and a client connected to it on 127.0.0.1. */
export async function connectLoopback() {
  const server = net.createServer((peer) => peer.on('error', () => {}));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect(server.address().port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return { server, socket };
}

/**
 * The raw binding's set: the slots filled and one native call, the floor of
 * what the addon can do from JavaScript (no validation, no policy).
 * `values` is one of SETS (seconds).
 */
export function rawSet(fd, values) {
  slots[layout.idle] = values[0];
  slots[layout.interval] = values[1];
  slots[layout.count] = values[2];
  slots[layout.userTimeout] = -1;
  slots[layout.enabled] = 1;
  slots[layout.fd] = fd;
  native.set();
  return slots[layout.result];
}

/** bench/floor.c built into bench/floor/floor (gitignored), or why it cannot be. */
export function buildFloor() {
  const source = join(bench, 'floor.c');
  const binary = join(bench, 'floor', 'floor');
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return { binary };
  const cc = process.env.CC || 'cc';
  try {
    execFileSync(cc, ['--version'], { stdio: 'ignore' });
  } catch {
    return { error: `no C compiler (${cc})` };
  }
  try {
    mkdirSync(dirname(binary), { recursive: true });
    execFileSync(cc, ['-O2', '-pthread', '-o', binary, source], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { binary };
  } catch (error) {
    return { error: `cc failed: ${String(error.stderr || error.message).trim().split('\n')[0]}` };
  }
}

/**
 * The C floor as a child process that runs a batch when told (`run('set', n)`
 * answers ns per group), so its batches sit in the same rounds as the
 * JavaScript ones. threads: idle threads the child starts first (see floor.c:
 * with any, the kernel takes a reference on the file in every socket syscall,
 * as it does in every Node process).
 */
export async function startFloor(built, threads) {
  if (built.error) return built;
  const child = spawn(built.binary, ['--serve', '--threads', String(threads), '--values', ...SETS.map((s) => s.join(','))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('bench: the C floor exited early');
    return value;
  };
  const ready = await next();
  const constants = Object.fromEntries(
    ready
      .split(' ')
      .slice(1)
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );
  return {
    constants,
    async run(kind, n) {
      child.stdin.write(`${kind} ${n}\n`);
      const answer = await next();
      const ns = Number(answer);
      if (!Number.isFinite(ns)) throw new Error(`bench: the C floor answered ${answer}`);
      return ns;
    },
    stop() {
      child.stdin.end('quit\n');
    },
  };
}

/** An npm peer, when installed: { mod } or { error }. */
export function loadPeer(name) {
  try {
    return { mod: require(name) };
  } catch (error) {
    if (error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(`'${name}'`)) return { error: 'not installed' };
    // e.g. sockopt 2.0.1 ships a macOS binary as its linux-x64 prebuild and
    // loads only when its install script has built it from source.
    const first = String(error.message).split('\n')[0].replace(/^\S*\/node_modules\//, '');
    return { error: `failed to load: ${first.length > 70 ? `${first.slice(0, 67)}...` : first}` };
  }
}
