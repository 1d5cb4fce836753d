// Deno 2 (from npm, pinned in scripts/npm-tool.sh), with this package
// installed in a scratch project as npm installs it: the ESM import, every
// operation on Deno's node:net sockets and servers (whose handles hide the
// descriptor: the library finds it by the socket's addresses, confirmed by
// inode), read from outside the Deno process; a descriptor number the runtime
// closed and gave to another socket never written; and the preload under
// `deno run --require` and `--preload`, an unmodified program's sockets
// holding the environment's values, read from outside.
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inspectProcess, type KeepAliveState } from '../../lib/index.js';
import { notRoot, npmTool, requireOrSkip } from '../helpers/prerequisites.js';
import { withoutKeepAliveVariables } from '../helpers/run.js';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const SET = { enabled: true, idle: 37_000, interval: 7_000, count: 4, userTimeout: 21_000 };
const { path: deno, missing } = npmTool('deno');
const skip = requireOrSkip('Deno probe', missing ?? notRoot());

/** A scratch project with this package in node_modules, as npm installs it (the built files and the addon), and the fixtures. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-deno-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const installed = join(dir, 'node_modules', 'tcp-keepalive');
  mkdirSync(join(installed, 'build'), { recursive: true });
  for (const part of ['package.json', 'dist']) cpSync(join(ROOT, part), join(installed, part), { recursive: true });
  cpSync(join(ROOT, 'build', 'Release'), join(installed, 'build', 'Release'), { recursive: true });
  cpSync(join(ROOT, 'node_modules', 'node-gyp-build'), join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', type: 'module', dependencies: { 'tcp-keepalive': '*' } }));
  for (const file of ['deno-probe.mjs', 'deno-app.mjs', 'deno-report-app.mjs']) cpSync(join(FIXTURES, file), join(dir, file));
  return dir;
}

/** Deno running `args` in `cwd`; its lines, one at a time; killed when the test ends. */
function denoRun(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(deno!, ['run', '-A', '--node-modules-dir=manual', ...args], { cwd, env: withoutKeepAliveVariables({ NO_COLOR: '1', ...env }), stdio: ['pipe', 'pipe', 'pipe'] });
  onTestFinished(() => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  onTestFinished(() => clearTimeout(timer));
  const next = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`deno ended early: ${stderr}`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  return { child, next, stderr: () => stderr };
}

/** What the kernel holds on the Deno process's sockets, read from outside: by local port, and the accepted ones. */
function outside(pid: number, ports: { listener: number; client: number }): Record<'listener' | 'client' | 'accepted', KeepAliveState | undefined> {
  const sockets = inspectProcess(pid);
  return {
    listener: sockets.find((s) => s.state === 'LISTEN' && s.local.port === ports.listener)?.keepAlive,
    client: sockets.find((s) => s.local.port === ports.client)?.keepAlive,
    accepted: sockets.find((s) => s.local.port === ports.listener && s.remote.port === ports.client)?.keepAlive,
  };
}

describe.skipIf(skip)('Deno 2', () => {
  it("import { setKeepAlive, getKeepAlive } from 'tcp-keepalive': a listener, a client and an accepted socket set to 37/7/4 with a 21 s user timeout read the same from outside; a reused descriptor is never written", async () => {
    const dir = project();
    const probe = denoRun(dir, ['deno-probe.mjs']);
    const first = await probe.next();
    const ports = first.ports as { listener: number; client: number; pending: number };
    const seen = outside(probe.child.pid!, ports);
    console.log(`[deno] Deno ${String(first.deno)}: ${JSON.stringify(first)}; from outside ${JSON.stringify(seen)}`);
    expect(first).toMatchObject({ native: true, listener: SET, client: SET, accepted: SET, tcpInfo: 'ESTABLISHED', pending: { enabled: true, idle: 17_000, interval: 3_000, count: 4 } });
    expect(seen).toEqual({ listener: SET, client: SET, accepted: SET });
    probe.child.stdin!.write('next\n');
    const reuse = await probe.next();
    console.log(`[deno] a descriptor closed behind the runtime's back and taken by another socket: ${JSON.stringify(reuse)}`);
    expect(reuse).toMatchObject({ reused: true, intruderFd: reuse.fd });
    // Whatever became of the call on the socket whose descriptor is gone, the one now holding its number is untouched.
    expect(reuse.after).toEqual(reuse.before);
    const [code] = (await once(probe.child, 'exit')) as [number];
    expect(code, probe.stderr()).toBe(0);
  }, 60_000);

  it.each([['--require'], ['--preload']])('an unmodified program under deno run %s npm:tcp-keepalive/register: every socket holds the environment values', async (flag) => {
    const dir = project();
    const app = denoRun(dir, [flag, 'npm:tcp-keepalive/register', 'deno-app.mjs'], { KEEPIDLE: '37', KEEPINTVL: '7', KEEPCNT: '4', TCP_USER_TIMEOUT: '21000' });
    const ports = (await app.next()) as { listener: number; client: number };
    const seen = outside(app.child.pid!, ports);
    console.log(`[deno] ${flag}: ${JSON.stringify(seen)}; stderr ${JSON.stringify(app.stderr())}`);
    expect(seen).toEqual({ listener: SET, client: SET, accepted: SET });
    app.child.stdin!.end();
    const [code] = (await once(app.child, 'exit')) as [number];
    expect(code, app.stderr()).toBe(0);
    // What Deno cannot offer is said once: its fetch is its own, out of any preload's reach.
    expect(app.stderr().match(/Deno's fetch/g)).toHaveLength(1);
  }, 60_000);

  it('the preload\'s rules and report under Deno: the connection gets its rule, its end is reported with it, and the pattern at exit', async () => {
    const dir = project();
    const app = denoRun(dir, ['--require', 'npm:tcp-keepalive/register', 'deno-report-app.mjs'], { TCP_KEEPALIVE_REPORT: 'json', TCP_KEEPALIVE_RULES: 'to 127.0.0.1: idle=41 interval=5 count=3' });
    const [code] = (await once(app.child, 'exit')) as [number];
    expect(code, app.stderr()).toBe(0);
    const objects = app.stderr().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    console.log(`[deno] rules and report: ${JSON.stringify(objects)}`);
    expect(objects).toEqual([
      expect.objectContaining({ cause: 'reset', error: 'ECONNRESET', rule: 'to 127.0.0.1', configured: true, settings: { enabled: true, idle: 41_000, interval: 5_000, count: 3, userTimeout: 0 } }),
      { summary: [expect.objectContaining({ cause: 'reset', count: 1 })] },
    ]);
  }, 60_000);
});
