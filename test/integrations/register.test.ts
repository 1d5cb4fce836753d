// tcp-keepalive/register: unmodified programs, run as child processes with
// the preload and environment variables only, get the configured keepalive on
// every TCP socket they make or accept; bad values stop them at startup.
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { inspectProcess } from '../../lib/index.js';
import { onTestFinished } from 'vitest';
import { requireOrSkip } from '../helpers/prerequisites.js';
import { explain, run, withoutKeepAliveVariables, type Run } from '../helpers/run.js';

const ROOT = join(__dirname, '..', '..');
const REGISTER = join(ROOT, 'dist', 'register.js');
const FIXTURES = join(__dirname, '..', 'fixtures');
const CERT = join(FIXTURES, 'cert.pem');
const ENV = { KEEPIDLE: '30', KEEPINTVL: '10', KEEPCNT: '3' };
const EXPECTED = { enabled: true, idle: 30_000, interval: 10_000, count: 3, userTimeout: 0 };

/** The environment of a child: this one's, minus any keepalive variable, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return withoutKeepAliveVariables({ NODE_EXTRA_CA_CERTS: CERT, ...extra });
}

async function node(args: string[], extra: Record<string, string>, timeoutMs = 30_000): Promise<Run> {
  return run(process.execPath, args, { cwd: ROOT, env: childEnv(extra), timeoutMs });
}

function lastJson<T>(result: Run): T {
  expect(result.code, explain(result)).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as T;
}

type AppResult = Record<string, unknown> & { accepted: Record<string, unknown>; ss: { accepted: string; fetch: string }; hooks: string[] };

/** Every keepalive state the app read, by name: listeners, accepted and client sockets. */
function states(result: AppResult): Record<string, unknown> {
  const all: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(result)) {
    if (value !== null && typeof value === 'object' && 'idle' in value) all[name] = value;
  }
  for (const [name, value] of Object.entries(result.accepted)) all[`accepted.${name}`] = value;
  return all;
}

const APP = join(FIXTURES, 'preload-app.cjs');
const SOCKET_KINDS = [
  'listener.net', 'listener.http', 'listener.https', 'listener.tls', 'listener.http2',
  'accepted.net', 'accepted.http', 'accepted.https', 'accepted.tls', 'accepted.http2',
  'client.net.connect', 'client.tls.connect', 'client.http.get#1', 'client.http.get#2',
  'client.https.get#1', 'client.https.get#2', 'client.http2.connect',
  'client.fetch.http#1', 'client.fetch.http#2', 'client.fetch.https#1', 'client.fetch.https#2',
];

describe('an unmodified program under the preload', () => {
  it('--require: every listener, accepted and client socket holds the environment values, across pooled reuse', async () => {
    const result = lastJson<AppResult>(await node(['--require', REGISTER, APP], ENV));
    const seen = states(result);
    expect(Object.keys(seen).sort()).toEqual([...SOCKET_KINDS].sort());
    for (const kind of SOCKET_KINDS) expect(seen[kind], kind).toEqual(EXPECTED);
    expect(result['client.http.get.reused']).toBe(true);
    expect(result['client.https.get.reused']).toBe(true);
    expect(result['client.fetch.connections']).toBe(2); // one per origin: the second request of each reused it
    expect(result['pipe.reply']).toBe('pipe-ok');
    // From outside the process: the kernel's keepalive timer, armed at 30 s.
    expect(result.ss.accepted).toMatch(/timer:\(keepalive,(2[0-9]|30)sec,0\)/);
    expect(result.ss.fetch).toMatch(/timer:\(keepalive,(2[0-9]|30)sec,0\)/);
    console.log(`[register] ss on an accepted socket: ${result.ss.accepted.trim()}; on a pooled fetch socket: ${result.ss.fetch.trim().split('\n')[0]}`);
  }, 60_000);

  it('NODE_OPTIONS="--import …" with TCP_USER_TIMEOUT (ms) and the namespaced names', async () => {
    const result = lastJson<AppResult>(
      await node([APP], {
        NODE_OPTIONS: `--import ${REGISTER}`,
        TCP_KEEPALIVE_IDLE: '20', KEEPIDLE: '99', // the namespaced name wins
        TCP_KEEPALIVE_INTERVAL: '5', TCP_KEEPALIVE_COUNT: '4', TCP_USER_TIMEOUT: '60000',
      }),
    );
    for (const kind of SOCKET_KINDS) {
      expect(states(result)[kind], kind).toEqual({ enabled: true, idle: 20_000, interval: 5_000, count: 4, userTimeout: 60_000 });
    }
  }, 60_000);

  it('with no variable set, or KEEPALIVE=off, the program runs exactly as without the preload', async () => {
    const without = lastJson<AppResult>(await node([APP], {}));
    const unset = lastJson<AppResult>(await node(['--require', REGISTER, APP], {}));
    const off = lastJson<AppResult>(await node(['--require', REGISTER, APP], { ...ENV, KEEPALIVE: 'off' }));
    expect(states(unset)).toEqual(states(without));
    expect(states(off)).toEqual(states(without));
    expect(unset.hooks).toEqual(without.hooks);
    expect(off.hooks).toEqual(without.hooks);
    expect(states(without)['accepted.net']).toMatchObject({ enabled: false });
  }, 90_000);

  it('start-up loads only what it needs: register.js alone with no variable; the hooks with one; the set path at the first socket', async () => {
    // Files of this package in the module cache, before and after a first connection.
    const script = `
      // Files of the package, and any native addon (.node) wherever it was loaded from.
      const files = () => Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(join(ROOT, 'dist'))}) || f.endsWith('.node')).map((f) => f.slice(f.lastIndexOf('/') + 1)).sort();
      const atStart = files();
      const server = require('node:net').createServer((s) => s.destroy()).listen(0, '127.0.0.1', () => {
        const c = require('node:net').connect(server.address().port, '127.0.0.1', () => {
          c.destroy(); server.close();
          console.log(JSON.stringify({ atStart, afterSocket: files() }));
        });
      });`;
    const unset = lastJson<{ atStart: string[]; afterSocket: string[] }>(await node(['--require', REGISTER, '-e', script], {}));
    expect(unset).toEqual({ atStart: ['register.js'], afterSocket: ['register.js'] });
    const off = lastJson<{ atStart: string[] }>(await node(['--require', REGISTER, '-e', script], { KEEPALIVE: 'off' }));
    expect(off.atStart).toEqual(['preload.js', 'register.js']);
    const set = lastJson<{ atStart: string[]; afterSocket: string[] }>(await node(['--require', REGISTER, '-e', script], ENV));
    // dist/integrations/preload.js is one file (scripts/bundle-preload.mjs):
    // the environment, the checks and the hooks.
    expect(set.atStart).toEqual(['preload.js', 'register.js']);
    expect(set.afterSocket).toEqual(expect.arrayContaining(['preload-sockets.js', 'apply.js', 'native.js', 'tcp_keepalive.node']));
    // The rules' parser and matcher only where rules are given.
    expect(set.afterSocket).not.toContain('rules.js');
    const rules = lastJson<{ atStart: string[] }>(await node(['--require', REGISTER, '-e', script], { TCP_KEEPALIVE_RULES: 'to :5432: idle=30' }));
    expect(rules.atStart).toEqual(['preload.js', 'register.js', 'rules.js']);
    // The budget's arithmetic only where a budget is given (its own bundled file); the addon is not loaded.
    const budget = lastJson<{ atStart: string[] }>(await node(['--require', REGISTER, '-e', script], { TCP_KEEPALIVE_DETECT_WITHIN: '30s' }));
    expect(budget.atStart).toEqual(['budget.js', 'preload.js', 'register.js']);
    expect(set.atStart).not.toContain('budget.js');
  });

  it('every variable lib/integrations/environment.ts reads is one register.js looks for before loading anything', async () => {
    const { VARIABLE_NAMES } = await import('../../lib/integrations/environment.js');
    expect(VARIABLE_NAMES).toHaveLength(16);
    for (const name of VARIABLE_NAMES) {
      // A value no variable accepts: only a preload that read the variable stops the program.
      const result = await node(['--require', REGISTER, '-e', 'console.log("the program ran")'], { [name]: 'bogus!' });
      expect(result.code, `${name}: ${explain(result)}`).toBe(9);
      expect(result.stderr).toMatch(new RegExp(`^tcp-keepalive/register: ${name}`));
    }
  }, 60_000);

  it.each([
    ['KEEPIDLE', 'abc', 'an integer from 1 to 32767 (seconds)'],
    ['KEEPCNT', '500', 'an integer from 1 to 127 (probes)'],
    ['KEEPINTVL', '0', 'an integer from 1 to 32767 (seconds)'],
    ['KEEPIDLE', '1.5', 'an integer from 1 to 32767 (seconds)'],
    ['TCP_USER_TIMEOUT', '-1', 'an integer from 0 to 2147483647 (milliseconds)'],
    ['TCP_KEEPALIVE_COUNT', '0x10', 'an integer from 1 to 127 (probes)'],
    ['KEEPALIVE', 'maybe', 'use on or off'],
  ])('%s=%s stops the program at startup with one line and exit code 9', async (name, value, rule) => {
    const result = await node(['--require', REGISTER, '-e', 'console.log("the program ran")'], { [name]: value });
    expect(result.code).toBe(9);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`tcp-keepalive/register: ${name}=${JSON.stringify(value)} is not valid: it must be ${rule}\n`.replace('it must be use', 'use'));
  });

  it('every connection: a socket object reconnecting three times, a TLS tunnel over a TCP socket, a tls.Server calling Node\'s setKeepAlive; read from inside and from outside', async () => {
    // Values no Linux or Node default has.
    const env = { KEEPIDLE: '37', KEEPINTVL: '7', KEEPCNT: '4', TCP_USER_TIMEOUT: '21000' };
    const held = { enabled: true, idle: 37_000, interval: 7_000, count: 4, userTimeout: 21_000 };
    const child = spawn(process.execPath, ['--require', REGISTER, join(FIXTURES, 'preload-edges.cjs')], { cwd: ROOT, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    clearTimeout(timer);
    type Seen = { localPort: number; keepAlive: unknown };
    const result = JSON.parse(line) as { reconnected: Seen[]; tunnel: Seen; tlsServer: { remotePort: number; keepAlive: unknown }; warnings: string[] };
    // Each of the three connections of one net.Socket object, not only the first.
    expect(result.reconnected.map((connection) => connection.keepAlive)).toEqual([held, held, held]);
    expect(new Set(result.reconnected.map((connection) => connection.localPort)).size).toBe(3);
    // Node's setKeepAlive(true, 60000) on the TLSSocket did not reset the pinned values (60/1/10 otherwise).
    expect(result.tunnel.keepAlive).toEqual(held);
    expect(result.tlsServer.keepAlive).toEqual(held);
    // Node's call on a closed pinned socket: silent, as Node alone is.
    expect(result.warnings).toEqual([]);
    // From outside the process: what the kernel holds for the same sockets.
    const sockets = inspectProcess(child.pid!);
    const byLocal = (port: number) => sockets.find((socket) => socket.local.port === port && socket.state === 'ESTABLISHED');
    expect(byLocal(result.reconnected[2].localPort)?.keepAlive).toEqual(held);
    expect(byLocal(result.tunnel.localPort)?.keepAlive).toEqual(held);
    expect(sockets.find((socket) => socket.remote.port === result.tlsServer.remotePort)?.keepAlive).toEqual(held);
    child.stdin!.end();
    await once(child, 'exit');
    expect(stderr).toBe('');
  });

  it('TCP_KEEPALIVE_DETECT_WITHIN=30 TCP_KEEPALIVE_NAT_IDLE=350: client and accepted sockets hold keepAliveFor\'s choice', async () => {
    const { keepAliveFor } = await import('../../lib/index.js');
    const CONNECTIONS = join(FIXTURES, 'preload-connections.cjs');
    const result = lastJson<{ client: unknown; accepted: unknown }>(
      await node(['--require', REGISTER, CONNECTIONS, '2'], { TCP_KEEPALIVE_DETECT_WITHIN: '30', TCP_KEEPALIVE_NAT_IDLE: '350' }),
    );
    const chosen = { enabled: true, ...keepAliveFor({ detectWithin: 30_000, natIdle: 350_000 }) };
    expect(result.client).toEqual(chosen);
    expect(result.accepted).toEqual(chosen);
    const refused = await node(['--require', REGISTER, '-e', 'console.log("the program ran")'], { TCP_KEEPALIVE_DETECT_WITHIN: '2' });
    expect(refused.code).toBe(9);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^tcp-keepalive\/register: TCP_KEEPALIVE_DETECT_WITHIN="2" is not valid: it must be an integer >= 2450 .*\n$/);
  });

  it('sockets that close before the options apply, refused connects and pipes: no warning, no crash', async () => {
    const script = `
      const net = require('node:net');
      process.on('warning', (w) => { console.error('warning: ' + w.message); process.exitCode = 3; });
      const closed = [];
      const watched = (socket) => (closed.push(new Promise((resolve) => socket.on('close', resolve))), socket.on('error', () => {}));
      watched(net.connect(1, '127.0.0.1')).destroy();
      watched(net.connect(9, '127.0.0.1'));
      const s = watched(new net.Socket()); s.connect(9, '127.0.0.1'); s.destroy();
      watched(net.connect('/nonexistent/socket'));
      // Every one closed, and a turn later (a warning is emitted on a later tick).
      Promise.all(closed).then(() => setImmediate(() => console.log(JSON.stringify({ ok: true }))));`;
    const result = await node(['--require', REGISTER, '-e', script], ENV);
    expect(lastJson<{ ok: boolean }>(result)).toEqual({ ok: true });
    expect(result.stderr).toBe('');
  });

  it.each([
    ['the plain variables', ENV],
    ['rules by destination', { TCP_KEEPALIVE_RULES: 'to :1: off; default: idle=30 interval=10 count=3' }],
  ])("tls.connect with an AbortSignal (Node's test-tls-connect-abort-controller.js): every socket closes with an AbortError and nothing reaches stderr, under %s", async (_name, env) => {
    // An aborted tls.connect still emits 'connect' on a closed handle: the deferred apply once warned there.
    const result = await node(['--require', REGISTER, join(FIXTURES, 'tls-connect-aborted.cjs')], env);
    expect(lastJson<{ closed: string[] }>(result).closed).toHaveLength(6);
    expect(result.stderr).toBe('');
  });

  it("net.createServer({ keepAlive: true }) (Node's test-net-server-keepalive.js): server.keepAlive stays true, Node's accept-time call is made once as Node makes it, the socket holds the environment's values", async () => {
    const script = `
      const net = require('node:net');
      const { getKeepAlive } = require('./dist/index.js');
      const server = net.createServer({ keepAlive: true, keepAliveInitialDelay: 1000 }, (socket) => {
        console.log(JSON.stringify({ keepAlive: server.keepAlive, delay: server.keepAliveInitialDelay, calls, values: getKeepAlive(socket) }));
        socket.destroy();
        server.close();
        client.destroy();
      });
      let client;
      server.listen(0, () => { client = net.connect(server.address().port, 'localhost'); });
      // As Node's test does: instrument the handle's method before Node's accept uses it.
      const calls = [];
      const onconnection = server._handle.onconnection;
      server._handle.onconnection = (error, clientHandle) => {
        const setKeepAlive = clientHandle.setKeepAlive;
        clientHandle.setKeepAlive = (...args) => { calls.push(args); return setKeepAlive.apply(clientHandle, args); };
        onconnection.call(server._handle, error, clientHandle);
      };`;
    const result = await node(['--require', REGISTER, '-e', script], ENV);
    expect(lastJson(result)).toEqual({ keepAlive: true, delay: 1, calls: [[true, 1]], values: EXPECTED });
  });

  it('a socket whose connect was refused and that connects again from its own \'close\' handler (a retry loop on one object) is configured again', async () => {
    const script = `
      const net = require('node:net');
      const { getKeepAlive } = require(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
      const server = net.createServer(() => {}).listen(0, '127.0.0.1', () => {
        const gone = net.createServer().listen(0, '127.0.0.1', () => {
          const refused = gone.address().port;
          gone.close(() => {
            const socket = new net.Socket();
            let attempts = 0;
            socket.on('error', () => {});
            // Registered before the preload's own 'close' listener: it runs first.
            socket.on('close', () => { if (++attempts === 1) socket.connect(server.address().port, '127.0.0.1'); });
            socket.on('connect', () => { console.log(JSON.stringify(getKeepAlive(socket))); socket.destroy(); server.close(); });
            socket.connect(refused, '127.0.0.1');
          });
        });
      });`;
    const result = await node(['--require', REGISTER, '-e', script], ENV);
    expect(lastJson(result), explain(result)).toEqual(EXPECTED);
  });

  it('sticky by default: a library calling Node\'s setKeepAlive later keeps the values; TCP_KEEPALIVE_STICKY=off lets Node reset them', async () => {
    const CONNECTIONS = join(FIXTURES, 'preload-connections.cjs');
    const sticky = lastJson<{ afterNodeCall: unknown }>(await node(['--require', REGISTER, CONNECTIONS, '3'], ENV));
    expect(sticky.afterNodeCall).toEqual(EXPECTED);
    const loose = lastJson<{ afterNodeCall: unknown }>(await node(['--require', REGISTER, CONNECTIONS, '3'], { ...ENV, TCP_KEEPALIVE_STICKY: 'off' }));
    expect(loose.afterNodeCall).toEqual({ ...EXPECTED, idle: 5_000, interval: 1_000, count: 10 });
  });

  it('a round-robin cluster: sockets accepted in the workers hold the values', async () => {
    const result = lastJson<{ states: Array<Record<string, unknown>>; pids: number }>(
      await node(['--require', REGISTER, join(FIXTURES, 'preload-cluster.cjs')], ENV),
    );
    expect(result.states).toHaveLength(4);
    expect(result.pids).toBe(2);
    for (const { pid: _pid, ...state } of result.states) expect(state).toEqual(EXPECTED);
  });

  it('a worker thread and a child process that inherits NODE_OPTIONS', async () => {
    const result = lastJson<{ worker: unknown; child: unknown }>(
      await node([join(FIXTURES, 'preload-inherit.cjs')], { ...ENV, NODE_OPTIONS: `--require ${REGISTER}` }),
    );
    expect(result).toEqual({ worker: EXPECTED, child: EXPECTED });
  });

  it('two installed copies: the first owns the hooks, the second delegates to it', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'tcp-keepalive-copies-'));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const copies = ['a', 'b'].map((name) => {
      const dir = join(scratch, name, 'node_modules', 'tcp-keepalive');
      cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      // The addon, wherever this checkout has it (npm pack's prebuildify leaves build/ without one).
      for (const binaries of ['build', 'prebuilds']) {
        if (existsSync(join(ROOT, binaries))) symlinkSync(join(ROOT, binaries), join(dir, binaries));
      }
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      return join(dir, 'dist', 'register.js');
    });
    const script = `
      const { configure } = require(${JSON.stringify(copies[1])});
      const { getKeepAlive } = require(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
      const dc = require('node:diagnostics_channel');
      const net = require('node:net');
      configure({ idle: 20000, interval: 4000, count: 2 });
      const server = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1', () => {
        const c = net.connect(server.address().port, '127.0.0.1', () => {
          console.log(JSON.stringify({ client: getKeepAlive(c), subscribers: dc.channel('net.server.socket')._subscribers?.length }));
          c.destroy(); server.close();
        });
      });`;
    const result = lastJson<{ client: unknown; subscribers: number }>(
      await node(['--require', copies[0], '--require', copies[1], '-e', script], ENV),
    );
    // configure() through the second copy reached the first copy's hooks.
    expect(result.client).toEqual({ ...EXPECTED, idle: 20_000, interval: 4_000, count: 2 });
    expect(result.subscribers).toBe(1);
  });
});

describe('syscalls per connection, counted by strace', () => {
  // The file first: under the sanitizer job's LD_PRELOAD, strace -V itself may not run cleanly.
  const installed = existsSync('/usr/bin/strace') && statSync('/usr/bin/strace').isFile();
  const missing = installed || spawnSync('strace', ['-V']).status === 0 ? null : 'strace is not installed: apt-get install strace';
  const skip = requireOrSkip('strace count', missing);
  it.skipIf(skip).each([
    ['a plain server', [], ENV],
    ["a server made with Node's keepAlive option (Node's per-accept call skipped, server.keepAlive still true)", ['node-keepalive'], ENV],
    ['rules: an accepted rule and a to rule', [], { TCP_KEEPALIVE_RULES: 'accepted: idle=30 interval=10 count=3; to 127.0.0.0/8: idle=30 interval=10 count=3' }],
  ])('0 setsockopt per accepted socket (inherited from the listener), 4 per client socket: %s', async (_name, extraArgs, env) => {
    const N = 20;
    const scratch = mkdtempSync(join(tmpdir(), 'tcp-keepalive-strace-'));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const traceFile = join(scratch, 'trace');
    const result = await run(
      'strace',
      ['-f', '-e', 'trace=setsockopt,socket,accept4,getpeername', '-o', traceFile, process.execPath, '--require', REGISTER, join(FIXTURES, 'preload-connections.cjs'), String(N), ...extraArgs],
      { cwd: ROOT, env: childEnv(env), timeoutMs: 60_000 },
    );
    const fds = lastJson<{ listenerFd: number; acceptedFds: number[]; clientFds: number[]; serverKeepAlive: boolean; accepted: unknown }>(result);
    expect(fds.serverKeepAlive).toBe(extraArgs.length > 0);
    expect(fds.accepted).toEqual(EXPECTED);
    // Counted per socket, not per fd number: an fd number is reused once
    // closed (the addon's load-time probe socket may have had a client's).
    const calls = new Map<number, number>();
    for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
      const created = /(?:socket|accept4)(?:\(| resumed>).*= (\d+)$/.exec(line);
      if (created) calls.delete(Number(created[1]));
      const match = /setsockopt\((\d+), (SOL_SOCKET, SO_KEEPALIVE|SOL_TCP, TCP_(KEEPIDLE|KEEPINTVL|KEEPCNT|USER_TIMEOUT))/.exec(line);
      if (match) calls.set(Number(match[1]), (calls.get(Number(match[1])) ?? 0) + 1);
    }
    // Rules choose by the address Node's 'connectionAttempt' names, not a getpeername per connection (nor does anything else here).
    expect(readFileSync(traceFile, 'utf8').match(/getpeername\(/g) ?? []).toHaveLength(0);
    const perAccepted = fds.acceptedFds.map((fd) => calls.get(fd) ?? 0);
    // Client 1 is later touched by Node's own setKeepAlive (the sticky check): left out.
    const perClient = fds.clientFds.filter((_, i) => i !== 1).map((fd) => calls.get(fd) ?? 0);
    console.log(
      `[register] setsockopt calls: listener ${calls.get(fds.listenerFd) ?? 0} (once), per accepted socket ${[...new Set(perAccepted)].join('/')}, ` +
        `per client socket ${[...new Set(perClient)].join('/')} (KEEPIDLE, KEEPINTVL, KEEPCNT, SO_KEEPALIVE), over ${N} connections`,
    );
    expect(calls.get(fds.listenerFd)).toBe(4);
    expect(perAccepted.every((n) => n === 0)).toBe(true);
    expect(perClient.every((n) => n === 4)).toBe(true);
  });
});
