// Inspecting a process that holds as many TCP sockets as this machine lets
// one process hold (its soft file limit raised to the hard one): every socket
// present once with its own values, the summary's counts adding up to what
// the process set, the filters selecting exactly the rows they name, and the
// command line agreeing with the API. Timing and memory are bench/inspect.mjs's.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inspectSockets, summarizeProcess, type InspectedSocket } from '../../lib/index.js';
import { notRoot, requireOrSkip } from '../helpers/prerequisites.js';
import { explain, run } from '../helpers/run.js';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');

interface Held {
  limit: number;
  sockets: number;
  setPort: number;
  plainPort: number;
  groups: { listeners: number; acceptedWithListenerValues: number; acceptedOff: number; clientsSet: number; clientsOff: number };
}

const skip = requireOrSkip('inspect at scale', notRoot());
let target: ChildProcess;
let held: Held;
let rows: InspectedSocket[];

describe.skipIf(skip)('inspect a process holding as many sockets as it may', () => {
  beforeAll(async () => {
    target = spawn('bash', ['-c', `ulimit -n "$(ulimit -Hn)" && exec "${process.execPath}" "${join(__dirname, '..', 'fixtures', 'many-sockets.cjs')}" max`], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const [line] = (await Promise.race([
      new Promise((resolve) => createInterface({ input: target.stdout! }).once('line', (text) => resolve([text]))),
      new Promise((_, reject) => setTimeout(() => reject(new Error('the target did not report its sockets within 60 s')), 60_000)),
    ])) as [string];
    held = JSON.parse(line) as Held;
    console.log(`[inspect-scale] the target holds ${held.sockets} TCP sockets (file limit ${held.limit}): ${JSON.stringify(held.groups)}`);
    rows = [...inspectSockets(target.pid!)];
  }, 90_000);

  afterAll(() => {
    target?.kill('SIGKILL');
  });

  it('every socket once, each with its own values', () => {
    expect(rows).toHaveLength(held.sockets);
    expect(new Set(rows.map((row) => row.fd)).size).toBe(rows.length);
    const SET = { enabled: true, idle: 45_000, interval: 15_000, count: 4, userTimeout: 70_000 };
    const CLIENT = { enabled: true, idle: 30_000, interval: 10_000, count: 3, userTimeout: 0 };
    const listeners = rows.filter((row) => row.state === 'LISTEN');
    expect(listeners.map((row) => row.local.port).sort()).toEqual([held.setPort, held.plainPort].sort());
    expect(listeners.find((row) => row.local.port === held.setPort)!.keepAlive).toEqual(SET);
    expect(listeners.find((row) => row.local.port === held.plainPort)!.keepAlive!.enabled).toBe(false);
    const accepted = rows.filter((row) => row.state !== 'LISTEN' && (row.local.port === held.setPort || row.local.port === held.plainPort));
    const clients = rows.filter((row) => row.remote.port === held.setPort || row.remote.port === held.plainPort);
    expect(accepted).toHaveLength(held.groups.acceptedWithListenerValues + held.groups.acceptedOff);
    expect(clients).toHaveLength(held.groups.clientsSet + held.groups.clientsOff);
    // Accepted sockets hold their listener's values, clients their own: never another's.
    for (const row of accepted) expect(row.keepAlive, `fd ${row.fd}`).toEqual(row.local.port === held.setPort ? SET : { ...row.keepAlive, enabled: false });
    expect(clients.filter((row) => row.keepAlive!.enabled).every((row) => JSON.stringify(row.keepAlive) === JSON.stringify(CLIENT))).toBe(true);
    expect(clients.filter((row) => row.keepAlive!.enabled)).toHaveLength(held.groups.clientsSet);
    // Each pair's two ends are both there.
    const clientPorts = new Set(clients.map((row) => row.local.port));
    expect(accepted.every((row) => clientPorts.has(row.remote.port))).toBe(true);
  });

  it("the summary's counts add up to what the process set", () => {
    const summary = summarizeProcess(target.pid!);
    expect(summary.sockets).toBe(held.sockets);
    expect(summary.groups.reduce((sum, group) => sum + group.sockets, 0)).toBe(held.sockets);
    const count = (state: string, settings: object) =>
      summary.groups.filter((group) => group.state === state && JSON.stringify(group.keepAlive) === JSON.stringify(settings)).reduce((sum, group) => sum + group.sockets, 0);
    expect(count('ESTABLISHED', { enabled: true, idle: 45_000, interval: 15_000, count: 4, userTimeout: 70_000 })).toBe(held.groups.acceptedWithListenerValues);
    expect(count('ESTABLISHED', { enabled: true, idle: 30_000, interval: 10_000, count: 3, userTimeout: 0 })).toBe(held.groups.clientsSet);
    expect(count('ESTABLISHED', { enabled: false, userTimeout: 0 })).toBe(held.groups.acceptedOff + held.groups.clientsOff);
    expect(count('LISTEN', { enabled: false, userTimeout: 0 })).toBe(1);
  });

  it('the filters select exactly the rows they name, alone and together', () => {
    const fds = (list: Iterable<InspectedSocket>): number[] => [...list].map((row) => row.fd).sort((a, b) => a - b);
    const port = held.setPort;
    expect(fds(inspectSockets(target.pid!, { port }))).toEqual(fds(rows.filter((row) => row.local.port === port || row.remote.port === port)));
    expect(fds(inspectSockets(target.pid!, { state: 'listen' }))).toEqual(fds(rows.filter((row) => row.state === 'LISTEN')));
    expect(fds(inspectSockets(target.pid!, { remote: `127.0.0.1:${port}` }))).toEqual(fds(rows.filter((row) => row.remote.port === port && row.remote.address === '127.0.0.1')));
    expect(fds(inspectSockets(target.pid!, { remote: '127.0.0.1', state: 'ESTABLISHED', port: held.plainPort }))).toEqual(
      fds(rows.filter((row) => row.state === 'ESTABLISHED' && (row.local.port === held.plainPort || row.remote.port === held.plainPort))),
    );
    expect(fds(inspectSockets(target.pid!, { remote: '10.0.0.1' }))).toEqual([]);
    const summary = summarizeProcess(target.pid!, { port, state: 'ESTABLISHED' });
    expect(summary.sockets).toBe(held.groups.acceptedWithListenerValues * 2);
  });

  it('the command line agrees: rows, JSON, the summary', async () => {
    const json = await run(process.execPath, [CLI, 'inspect', String(target.pid), '--json', '--normal-priority'], { cwd: ROOT, env: process.env, timeoutMs: 60_000 });
    expect(json.code, explain(json)).toBe(0);
    const parsed = JSON.parse(json.stdout) as { pid: number; sockets: InspectedSocket[] };
    expect(parsed.sockets).toHaveLength(held.sockets);
    // One socket per line: the document can be read line by line too.
    expect(json.stdout.trim().split('\n')).toHaveLength(held.sockets + 2);
    const text = await run(process.execPath, [CLI, 'inspect', String(target.pid), '--state', 'listen', '--normal-priority'], { cwd: ROOT, env: process.env, timeoutMs: 60_000 });
    expect(text.code, explain(text)).toBe(0);
    expect(text.stdout.split('\n').filter((line) => / LISTEN /.test(line))).toHaveLength(2);
    const summary = await run(process.execPath, [CLI, 'inspect', String(target.pid), '--summary', '--normal-priority'], { cwd: ROOT, env: process.env, timeoutMs: 60_000 });
    expect(summary.code, explain(summary)).toBe(0);
    expect(summary.stdout).toContain(`${held.sockets.toLocaleString('en-US')} TCP sockets`);
    console.log(`[inspect-scale] tcp-keepalive inspect ${target.pid} --summary:\n${summary.stdout}`);
  }, 120_000);
});
