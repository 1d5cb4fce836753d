// inspectProcess and `tcp-keepalive inspect` on the processes it exists for:
// a busy server that opens and closes connections while it is read, a thread
// id, a zombie, ids past the kernel's range.
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inspectProcess, type InspectedSocket } from '../../lib/index.js';
import { PID_MAX_LIMIT, processOf } from '../../lib/kernel-view/inspect.js';
import { notRoot, requireOrSkip } from '../helpers/prerequisites.js';
import { explain, run } from '../helpers/run.js';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
// At the command's own priority: at idle priority a busy machine would stretch each run (test/cli covers the priority).
const cli = (args: string[]) => run(process.execPath, [CLI, ...args, '--normal-priority'], { cwd: ROOT, env: process.env, timeoutMs: 20_000 });

async function start(fixture: string): Promise<{ pid: number; port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', fixture)], { stdio: ['pipe', 'pipe', 'inherit'] });
  onTestFinished(() => void child.kill('SIGKILL'));
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return {
    pid: child.pid!,
    port: (JSON.parse(line) as { port: number }).port,
    stop: async () => {
      child.stdin!.end();
      await once(child, 'exit');
    },
  };
}

const skip = requireOrSkip('inspecting another process', notRoot());

describe.skipIf(skip)('inspect a process that opens and closes connections while it is read', () => {
  it('40 rounds against a churning server: every run exits 0, every row is one socket (its options match its addresses)', async () => {
    const target = await start('churn-sockets.cjs');
    const DEFAULT_IDLE = Number(spawnSync('sysctl', ['-n', 'net.ipv4.tcp_keepalive_time'], { encoding: 'utf8' }).stdout.trim()) * 1000;
    const own = (socket: InspectedSocket) => 1000 * (1 + (socket.local.port % 500));
    let rows = 0;
    let checked = 0;
    for (let round = 0; round < 40; round++) {
      const result = await cli(['inspect', String(target.pid), '--json']);
      expect(result.code, explain(result)).toBe(0);
      const { sockets } = JSON.parse(result.stdout) as { sockets: InspectedSocket[] };
      rows += sockets.length;
      for (const socket of sockets) {
        expect(socket.error, JSON.stringify(socket)).toBeUndefined();
        const k = socket.keepAlive!;
        if (socket.local.port === target.port) {
          // The listener and the sockets it accepted: inherited 7 s/7 s/7.
          expect(k, JSON.stringify(socket)).toMatchObject({ enabled: true, idle: 7_000, interval: 7_000, count: 7 });
          checked++;
        } else {
          // A client: its own idle, from its own port, or still the default.
          // The target sets its options (idle, interval, count, user timeout,
          // then SO_KEEPALIVE, one setsockopt each) while the inspection reads
          // them (one getsockopt each, same order): a client configured in
          // that instant shows a mix of its defaults and its own values. A
          // value from another socket is neither.
          expect(socket.remote.port).toBe(target.port);
          expect([own(socket), DEFAULT_IDLE], JSON.stringify(socket)).toContain(k.idle);
          if (k.enabled && k.idle === own(socket)) checked++;
        }
      }
    }
    console.log(`[inspect] 40 rounds against a churning server: ${rows} rows, ${checked} checked against their own addresses`);
    expect(checked).toBeGreaterThan(40 * 50);
    await target.stop();
  }, 120_000);

  it('the API: inspectProcess in a loop against the same churn never throws', async () => {
    const target = await start('churn-sockets.cjs');
    for (let round = 0; round < 60; round++) expect(() => inspectProcess(target.pid)).not.toThrow();
    await target.stop();
  }, 60_000);
});

describe.skipIf(skip)('ids that are not a live process', () => {
  it('a thread id stands for its process, and the command line says so', async () => {
    const target = await start('churn-sockets.cjs');
    const threads = readdirSync(`/proc/${target.pid}/task`).map(Number).filter((tid) => tid !== target.pid);
    expect(threads.length).toBeGreaterThan(0);
    expect(processOf(threads[0])).toEqual({ process: target.pid, thread: true });
    expect(processOf(target.pid)).toEqual({ process: target.pid, thread: false });
    const text = await cli(['inspect', String(threads[0])]);
    expect(text.code, explain(text)).toBe(0);
    expect(text.stdout).toContain(`${threads[0]} is a thread of process ${target.pid}`);
    const json = await cli(['inspect', String(threads[0]), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ pid: target.pid, thread: threads[0] });
    await target.stop();
  });

  it('a zombie: "has exited", exit 1; no such process: exit 1; past the kernel\'s range: usage, exit 2', async () => {
    // A child that exits while its parent (python3) does not reap it.
    const parent = spawn('python3', ['-c', 'import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(30)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void parent.kill('SIGKILL'));
    const [line] = (await once(createInterface({ input: parent.stdout! }), 'line')) as [string];
    const zombie = Number(line);
    for (let i = 0; i < 50 && !/^State:\s+Z/m.test(spawnSync('cat', [`/proc/${zombie}/status`], { encoding: 'utf8' }).stdout); i++) await new Promise((r) => setTimeout(r, 20));
    const result = await cli(['inspect', String(zombie)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`tcp-keepalive: process ${zombie} has exited (a zombie its parent has not reaped yet): it holds no sockets\n`);
    expect(() => inspectProcess(zombie)).toThrow(expect.objectContaining({ code: 'ESRCH' }));

    for (const id of ['99999999999999999999999', String(PID_MAX_LIMIT + 1)]) {
      const past = await cli(['inspect', id]);
      expect(past.code).toBe(2);
      expect(past.stderr).toBe(`tcp-keepalive: inspect: ${id.length > 40 ? id.slice(0, 37) + '...' : id} is past the kernel's process ids (at most ${PID_MAX_LIMIT})\n`);
    }
    expect(() => inspectProcess(PID_MAX_LIMIT + 1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    const gone = await cli(['inspect', String(PID_MAX_LIMIT)]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`tcp-keepalive: no process ${PID_MAX_LIMIT}\n`);
  });
});
