// The preload with rules (TCP_KEEPALIVE_RULES, configure({ rules })): one
// unmodified program serving and connecting to several destinations on
// loopback; every socket, read from inside and from outside the process,
// holds its rule's values; a rule set that is wrong stops the program at
// start-up with one line. The grammar and matching alone:
// test/integrations/rules.test.ts; the same on a real network:
// test/network/rules-by-direction-and-destination.test.ts.
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inspectProcess, keepAliveFor } from '../../lib/index.js';
import { explain, run, withoutKeepAliveVariables } from '../helpers/run.js';

const ROOT = join(__dirname, '..', '..');
const REGISTER = join(ROOT, 'dist', 'register.js');
const FIXTURES = join(__dirname, '..', 'fixtures');

const childEnv = withoutKeepAliveVariables;

const RULES = 'accepted: idle=40 interval=4 count=4 no-user-timeout; to 127.0.0.2: detect-within=30s; to 127.0.0.3/32: idle=70s; to 127.0.0.1: off; default: idle=50 interval=5 count=2';
const ACCEPTED = { enabled: true, idle: 40_000, interval: 4_000, count: 4, userTimeout: 0 };
const BUDGET = { enabled: true, ...keepAliveFor({ detectWithin: 30_000 }) };
const DEFAULT = { enabled: true, idle: 50_000, interval: 5_000, count: 2, userTimeout: 0 };

type Seen = { localPort: number; keepAlive: Record<string, unknown> };
type Result = {
  clients: Record<'one' | 'localhost' | 'two' | 'three' | 'agent', Seen> & { four: { keepAlive: unknown } };
  accepted: { localAddress: string; remotePort: number; keepAlive: unknown }[];
  ports: Record<'one' | 'two' | 'three' | 'four', number>;
  serverKeepAlive: boolean[];
};

describe('TCP_KEEPALIVE_RULES in an unmodified program', () => {
  it('accepted connections, three destinations, a host name and one left alone: each socket holds its rule, inside and outside; the lost connection names its rule', async () => {
    const child = spawn(process.execPath, ['--require', REGISTER, join(FIXTURES, 'preload-rules.cjs')], {
      cwd: ROOT,
      env: childEnv({ TCP_KEEPALIVE_RULES: RULES, TCP_KEEPALIVE_REPORT: 'json' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    clearTimeout(timer);
    const result = JSON.parse(line) as Result;

    // Connections the program opened, by where they went.
    expect(result.clients.one.keepAlive.enabled).toBe(false); // to 127.0.0.1: off, as Node made it
    expect(result.clients.localhost.keepAlive.enabled).toBe(false); // a host name: matched on the address it reached
    expect(result.clients.two.keepAlive).toEqual(BUDGET);
    expect(result.clients.agent.keepAlive).toEqual(BUDGET); // the agent's own setKeepAlive did not undo it
    expect(result.clients.three.keepAlive).toEqual({ ...DEFAULT, idle: 70_000, interval: 75_000, count: 9 }); // idle only: the rest is the kernel's
    expect(result.clients.four.keepAlive).toEqual(DEFAULT);
    // Every accepted connection, whatever server: the accepted rule, without a user timeout.
    expect(result.accepted.length).toBeGreaterThanOrEqual(6);
    for (const socket of result.accepted) expect(socket.keepAlive, JSON.stringify(socket)).toEqual(ACCEPTED);
    // Node's own view of its servers unchanged.
    expect(result.serverKeepAlive).toEqual([false, false, false, false]);

    // From outside: every established socket by its remote end.
    const sockets = inspectProcess(child.pid!).filter((socket) => socket.state === 'ESTABLISHED');
    const toServer = (address: string, port: number) => sockets.filter((socket) => socket.remote.address === address && socket.remote.port === port);
    const two = toServer('127.0.0.2', result.ports.two);
    expect(two.length).toBe(3); // net.connect, the agent, fetch
    for (const socket of two) expect(socket.keepAlive).toEqual(BUDGET);
    for (const socket of toServer('127.0.0.1', result.ports.one)) expect(socket.keepAlive).toMatchObject({ enabled: false });
    const acceptedOutside = sockets.filter((socket) => Object.values(result.ports).includes(socket.local.port));
    expect(acceptedOutside.length).toBe(result.accepted.length);
    for (const socket of acceptedOutside) expect(socket.keepAlive).toEqual(ACCEPTED);

    child.stdin!.end();
    await once(child, 'exit');
    const reports = stderr.trim().split('\n').map((text) => JSON.parse(text) as Record<string, unknown>);
    // The line for the connection, then the pattern by destination at exit.
    expect(reports).toEqual([
      expect.objectContaining({ remoteAddress: '127.0.0.4', remotePort: result.ports.four, cause: 'reset', rule: 'default' }),
      { summary: [expect.objectContaining({ cause: 'reset', destination: `127.0.0.4:${result.ports.four}`, count: 1 })] },
    ]);
  });

  it('a bad rule stops the program at start-up with exit 9 and one line naming the rule', async () => {
    const cases: [string, RegExp][] = [
      ['to 10.0.0.0/8: idle=30; to 10.1.0.0/16: idle=60', /rule 2 \(to 10.1.0.0\/16\) can never match: rule 1 \(to 10.0.0.0\/8\) comes first/],
      ['accepted: idel=30', /rule 1 \("accepted: idel=30"\): "idel" is not a setting/],
      ['to 10.0.0.0/33: off', /"\/33" is not a prefix length from 0 to 32/],
      ['to :5432: detect-within=2s', /detect-within=2s is not valid: it must be an integer >= 2450/],
    ];
    for (const [rules, message] of cases) {
      const result = await run(process.execPath, ['--require', REGISTER, '-e', 'console.log("the program ran")'], { cwd: ROOT, env: childEnv({ TCP_KEEPALIVE_RULES: rules }), timeoutMs: 30_000 });
      expect(result.code, explain(result)).toBe(9);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^tcp-keepalive/register: TCP_KEEPALIVE_RULES (?=rule \\d)[^\\n]*${message.source}[^\\n]*\\n$`));
    }
  });

  it("a program's own setKeepAlive while connecting: pinned rule values outlast it (the default); with TCP_KEEPALIVE_STICKY=off it is the later call and wins, as without rules", async () => {
    const program = `
      const net = require('node:net');
      const { once } = require('node:events');
      const { getKeepAlive } = require('./dist/index.js');
      (async () => {
        const server = net.createServer((socket) => socket.on('error', () => {})).listen(0, '127.0.0.1');
        await once(server, 'listening');
        const socket = net.connect(server.address().port, '127.0.0.1');
        // After the preload saw connect() (on Node >= 22.17 it looks one tick later), before 'connect'.
        process.nextTick(() => socket.setKeepAlive(true, 5000));
        await once(socket, 'connect');
        console.log(JSON.stringify(getKeepAlive(socket)));
        process.exit(0);
      })();`;
    const rules = 'to 127.0.0.0/8: idle=30 interval=10 count=3 user-timeout=9s';
    const pinned = await run(process.execPath, ['--require', REGISTER, '-e', program], { cwd: ROOT, env: childEnv({ TCP_KEEPALIVE_RULES: rules }), timeoutMs: 30_000 });
    expect(pinned.code, explain(pinned)).toBe(0);
    expect(JSON.parse(pinned.stdout.trim())).toEqual({ enabled: true, idle: 30_000, interval: 10_000, count: 3, userTimeout: 9_000 });
    const unpinned = await run(process.execPath, ['--require', REGISTER, '-e', program], { cwd: ROOT, env: childEnv({ TCP_KEEPALIVE_RULES: rules, TCP_KEEPALIVE_STICKY: 'off' }), timeoutMs: 30_000 });
    expect(unpinned.code, explain(unpinned)).toBe(0);
    // Node's idle; the user timeout (which Node never sets) is still the rule's.
    expect(JSON.parse(unpinned.stdout.trim())).toMatchObject({ enabled: true, idle: 5_000, userTimeout: 9_000 });
  });

  it('configure({ rules }) does the same from code; a bad rule throws the coded error and changes nothing', async () => {
    const program = `
      const net = require('node:net');
      const { once } = require('node:events');
      const { configure } = require('./dist/register.js');
      const { getKeepAlive } = require('./dist/index.js');
      (async () => {
        const server = net.createServer((socket) => socket.on('error', () => {})).listen(0, '127.0.0.1');
        await once(server, 'listening');
        const port = server.address().port;
        const open = async (host) => { const s = net.connect(port, host); await once(s, 'connect'); return s; };
        configure({ idle: 33000 });
        let refused;
        try {
          configure({ rules: [{ match: { to: ':' + port }, keepAlive: 'off' }, { match: { to: '127.0.0.1:' + port }, keepAlive: { idle: 5000 } }] });
        } catch (error) { refused = error.code; }
        // The refused call changed nothing: still 33 s for every connection.
        const unchanged = getKeepAlive(await open('127.0.0.1')).idle;
        configure({ idle: 600000, rules: [{ match: { to: '127.0.0.1:' + port }, keepAlive: { idle: 44000, count: 2 } }] });
        const byRule = getKeepAlive(await open('127.0.0.1'));
        console.log(JSON.stringify({ refused, unchanged, byRule }));
        process.exit(0);
      })();`;
    const result = await run(process.execPath, ['-e', program], { cwd: ROOT, env: childEnv({}), timeoutMs: 30_000 });
    expect(result.code, explain(result)).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({ refused: 'ERR_INVALID_ARG_VALUE', unchanged: 33_000, byRule: expect.objectContaining({ enabled: true, idle: 44_000, count: 2 }) });
  });
});
