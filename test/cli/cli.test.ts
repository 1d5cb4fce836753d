// The tcp-keepalive command: every command with --json parsed, --help, exit
// codes, and inspect against separate processes (Node and not), as root and
// as an unprivileged user.
import { describe, expect, it } from 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { onTestFinished } from 'vitest';
import { notRoot, requireOrSkip, runs } from '../helpers/prerequisites.js';
import { explain, run } from '../helpers/run.js';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const cli = (args: string[], prefix: string[] = []) =>
  prefix.length
    ? run(prefix[0], [...prefix.slice(1), process.execPath, CLI, ...args], { cwd: ROOT, env: process.env, timeoutMs: 20_000 })
    : run(process.execPath, [CLI, ...args], { cwd: ROOT, env: process.env, timeoutMs: 20_000 });

describe('tcp-keepalive defaults / explain', () => {
  it('defaults --json: the sysctls and the 2 h 11 min they mean', async () => {
    const result = await cli(['defaults', '--json']);
    expect(result.code, explain(result)).toBe(0);
    const { defaults, detection } = JSON.parse(result.stdout) as { defaults: Record<string, number>; detection: { idle: number } };
    expect(Object.keys(defaults).sort()).toEqual(['count', 'idle', 'interval', 'retries2']);
    expect(detection.idle).toBe(defaults.idle + defaults.interval * defaults.count);
    const text = await cli(['defaults']);
    expect(text.stdout).toContain('tcp_keepalive_time');
  });

  it('explain draws the probes and the moment of death; --json has the timeline', async () => {
    const text = await cli(['explain', '--idle', '30000', '--interval', '10000', '--count', '3']);
    expect(text.code, explain(text)).toBe(0);
    expect(text.stdout).toContain('declared dead 1 min after its last packet');
    expect(text.stdout.match(/keepalive probe \d: no answer/g)).toHaveLength(3);
    const json = await cli(['explain', '--idle', '1000', '--interval', '1000', '--count', '10', '--user-timeout', '3500', '--json']);
    const parsed = JSON.parse(json.stdout) as { idle: number; idleBy: string; timeline: Array<{ at: number }> };
    expect(parsed).toMatchObject({ idle: 4_000, idleBy: 'user-timeout' });
    expect(parsed.timeline.map((event) => event.at)).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
  });

  it('explain --rules: every rule with its values and what they mean; --for names the rule a connection gets; bad rules exit 2 with the rule named', async () => {
    const rules = 'accepted: detect-within=60s no-user-timeout; to :5432: detect-within=30s nat-idle=350s; to 127.0.0.0/8: off; default: idle=600';
    const text = await cli(['explain', '--rules', rules]);
    expect(text.code, explain(text)).toBe(0);
    expect(text.stdout).toContain('1. accepted\n   idle 14 s, interval 13 s, count 3, no user timeout');
    expect(text.stdout).toContain('2. to :5432\n   idle 8 s, interval 6 s, count 3, user timeout 26 s');
    expect(text.stdout).toContain('3. to 127.0.0.0/8\n   off: these connections are left as Node made them');
    expect(text.stdout.match(/a live peer that stops reading is never cut off/g)).toHaveLength(2); // accepted, default
    expect(text.stdout).toContain('a live peer that stops reading is cut off after 26 s (the user timeout)');
    const forDatabase = await cli(['explain', '--rules', rules, '--for', '10.0.0.5:5432']);
    expect(forDatabase.stdout).toMatch(/^A connection the program opens to 10.0.0.5:5432 matches rule 2 \(to :5432\):\n   idle 8 s/);
    expect((await cli(['explain', '--rules', rules, '--for', '[2001:db8::1]:443'])).stdout).toContain('matches rule 4 (default)');
    expect((await cli(['explain', '--rules', rules, '--for', '127.0.0.1'])).stdout).toContain('matches rule 3 (to 127.0.0.0/8):\n   off');
    const json = JSON.parse((await cli(['explain', '--rules', rules, '--for', 'accepted', '--json'])).stdout) as { match: number; rules: { values: unknown; detection: { stalledReader: unknown } | null }[] };
    expect(json.match).toBe(1);
    expect(json.rules).toHaveLength(4);
    expect(json.rules[0].detection?.stalledReader).toBeNull();
    expect(json.rules[2]).toMatchObject({ values: null, detection: null });
    // From the environment, as the preload would read it (with the plain variables as the default rule).
    const fromEnvironment = await run(process.execPath, [CLI, 'explain', '--for', '192.0.2.7:80'], {
      cwd: ROOT,
      env: { ...process.env, TCP_KEEPALIVE_RULES: 'to :5432: idle=30', KEEPIDLE: '45' },
      timeoutMs: 20_000,
    });
    expect(fromEnvironment.stdout).toContain('matches rule 2 (default):\n   idle 45 s');
    const narrower = await cli(['explain', '--rules', 'to :5432: off; to 10.0.0.5:6379: idle=30', '--for', '10.0.0.5:80']);
    expect(narrower.stdout).toContain('matches no rule: it is left as Node made it.');
    for (const [args, message] of [
      [['--rules', 'to 10.0.0.0/8: off; to 10.0.0.5: idle=30'], /TCP_KEEPALIVE_RULES rule 2 \(to 10.0.0.5\) can never match/],
      [['--rules', rules, '--for', '10.0.0.0/8'], /--for takes one connection/],
      [['--rules', rules, '--idle', '30s'], /drop --idle/],
      [['--for', 'accepted'], /--rules needs rules, or TCP_KEEPALIVE_RULES in the environment/],
    ] as const) {
      const refused = await run(process.execPath, [CLI, 'explain', ...args], { cwd: ROOT, env: { ...process.env, TCP_KEEPALIVE_RULES: '' }, timeoutMs: 20_000 });
      expect(refused.code, explain(refused)).toBe(2);
      expect(refused.stderr).toMatch(message);
    }
  });

  it('explain says what a user timeout does to the probes: cuts them short, outlasts the count, or ends with it', async () => {
    // idle 10 s, interval 5 s, count 3: idle + interval x count = 25 s.
    const said = async (userTimeout: string): Promise<string> => {
      const result = await cli(['explain', '--idle', '10s', '--interval', '5s', '--count', '3', '--user-timeout', userTimeout]);
      expect(result.code, explain(result)).toBe(0);
      return result.stdout;
    };
    const short = await said('12s');
    expect(short).toContain('declared dead 15 s after its last packet (the user timeout cuts the probes short: 1 probe, not the 3 the count allows');
    expect(short.match(/keepalive probe \d: no answer/g)).toHaveLength(1);
    const long = await said('40s');
    expect(long).toContain('declared dead 40 s after its last packet (the user timeout outlasts the count');
    expect(long).toContain('keeps probing until it has passed, 6 probes, not 3');
    expect(long.match(/keepalive probe \d: no answer/g)).toHaveLength(6);
    expect(await said('25s')).toContain('declared dead 25 s after its last packet (the user timeout passes at the last probe tick the count allows: both end together');
  });

  it('explain --detect-within: the chosen values, why, the timeline and the lines to paste; --json the same', async () => {
    const text = await cli(['explain', '--detect-within', '30s', '--nat-idle', '350s']);
    expect(text.code, explain(text)).toBe(0);
    console.log(`[cli] tcp-keepalive explain --detect-within 30s --nat-idle 350s:\n${text.stdout}`);
    expect(text.stdout).toContain('idle 8 s, interval 6 s, count 3, user timeout 26 s');
    expect(text.stdout.match(/keepalive probe \d: no answer/g)).toHaveLength(3);
    expect(text.stdout).toContain('TCP_KEEPALIVE_DETECT_WITHIN=30 TCP_KEEPALIVE_NAT_IDLE=350 node --require tcp-keepalive/register app.js');
    expect(text.stdout).toContain('setKeepAlive(socket, keepAliveFor({ detectWithin: 30_000, natIdle: 350_000 }));');
    const json = await cli(['explain', '--detect-within', '2min', '--nat-idle', '350000', '--probes', '4', '--json']);
    expect(json.code, explain(json)).toBe(0);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    const { keepAliveFor } = await import('../../lib/index.js');
    const chosen = keepAliveFor({ detectWithin: 120_000, natIdle: 350_000, probes: 4 });
    expect(parsed).toMatchObject({ budget: { detectWithin: 120_000, natIdle: 350_000, probes: 4 }, chosen, idle: chosen.userTimeout, dataInFlight: chosen.userTimeout });
    expect(parsed.idleWorst as number).toBeLessThanOrEqual(120_000);
    expect(parsed.dataInFlightWorst as number).toBeLessThanOrEqual(120_000);
    // The other side of the user timeout: a live peer that stops reading.
    expect(text.stdout).toContain('is cut off too, after 26 s; for the accepted connections of a server whose clients may pause, add --no-user-timeout');
    const streaming = await cli(['explain', '--detect-within', '60s', '--no-user-timeout']);
    expect(streaming.code, explain(streaming)).toBe(0);
    expect(streaming.stdout).toContain('idle 14 s, interval 13 s, count 3, no user timeout');
    expect(streaming.stdout).toContain('the 3rd probe unanswered ends it at 53 s, at the latest 59.625 s');
    expect(streaming.stdout).toMatch(/without a user timeout only tcp_retries2 = \d+ ends it, .*: outside the budget/);
    expect(streaming.stdout).toContain('is never cut off');
    expect(streaming.stdout).toContain('TCP_KEEPALIVE_IDLE=14 TCP_KEEPALIVE_INTERVAL=13 TCP_KEEPALIVE_COUNT=3 node --require tcp-keepalive/register app.js');
    expect(streaming.stdout).toContain('setKeepAlive(socket, keepAliveFor({ detectWithin: 60_000, userTimeout: false }));');
    const streamingJson = JSON.parse((await cli(['explain', '--detect-within', '60s', '--no-user-timeout', '--json'])).stdout) as Record<string, unknown>;
    expect(streamingJson).toMatchObject({ budget: { userTimeout: false }, chosen: { userTimeout: 0 }, stalledReader: null, idleBy: 'keepalive' });
    expect(JSON.parse((await cli(['explain', '--idle', '30s', '--user-timeout', '45s', '--json'])).stdout)).toMatchObject({ stalledReader: 45_000 });
    // Every time option takes the same units.
    const units = await cli(['explain', '--idle', '30s', '--interval', '10000', '--count', '3', '--json']);
    expect(JSON.parse(units.stdout)).toMatchObject({ idle: 60_000, settings: { idle: 30_000, interval: 10_000 } });
  });

  it("explain --closed-after: a peer's own idle timer, what keepalive cannot do, each pool's setting a tenth under it; --json the same", async () => {
    const text = await cli(['explain', '--closed-after', '350s']);
    expect(text.code, explain(text)).toBe(0);
    expect(text.stdout).toContain('A peer that closes connections idle for 5 min 50 s itself');
    expect(text.stdout).toContain("- Keepalive cannot prevent it: the peer's timer counts time without data");
    expect(text.stdout).toContain('after 5 min 15 s idle, a tenth under its timer');
    expect(text.stdout).toContain('undici, fetch: new Agent({ keepAliveTimeout: 315_000 })');
    expect(text.stdout).toContain('pg Pool: new pg.Pool({ idleTimeoutMillis: 315_000 })');
    expect(text.stdout).toContain('mysql2 pool: mysql.createPool({ idleTimeout: 315_000');
    const json = JSON.parse((await cli(['explain', '--closed-after', '2s', '--json'])).stdout) as { closeIdleBefore: number; keepAliveHelps: boolean; settings: unknown[] };
    expect(json).toMatchObject({ peerClosesAfter: 2000, closeIdleBefore: 1000, keepAliveHelps: false });
    expect(json.settings).toHaveLength(5);
  });

  it.each([
    [['explain', '--idle', '1500'], /--idle is out of range/],
    [['explain', '--count', 'many'], /--count must be a whole number, got 'many'/],
    // One grammar with the environment: forms it refuses are refused here too.
    [['explain', '--count', '0x10'], /--count must be a whole number/],
    [['explain', '--idle', '1e4'], /--idle must be a whole number of ms, or with a unit/],
    [['explain', '--detect-within', '2s'], /--detect-within is out of range. It must be an integer >= 2450/],
    [['explain', '--detect-within', '4s', '--probes', '3'], /--detect-within is out of range. It must be >= 4700 for 3 probes/],
    [['explain', '--detect-within', '30s', '--nat-idle', '1s'], /--nat-idle is out of range/],
    [['explain', '--detect-within', '30s', '--idle', '5s'], /--detect-within chooses --idle itself/],
    [['explain', '--nat-idle', '350s'], /--nat-idle goes with --detect-within/],
    [['explain', '--idle', '30s', '--no-user-timeout'], /--no-user-timeout goes with --detect-within/],
    [['explain', '--bogus'], /Unknown option '--bogus'/],
    [['explain', '--closed-after', '1s'], /--closed-after is out of range. It must be at least 2s/],
    [['explain', '--closed-after', '60s', '--detect-within', '30s'], /--closed-after is about the peer's own timer: drop --detect-within/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['inspect'], /exactly one process id/],
    [['inspect', 'abc'], /'abc' is not a process id/],
  ])('%j: exit 2 with one line', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  const noProcSys = requireOrSkip(
    '/proc/sys hidden in a mount namespace',
    notRoot() ?? (runs('unshare', ['--help']) ? null : 'unshare (util-linux) is missing: apt-get install util-linux'),
  );
  it.skipIf(noProcSys)('without /proc/sys: defaults says so once (exit 1); explain with every value given needs none of it', async () => {
    // A private mount namespace where an empty tmpfs covers /proc/sys.
    const hidden = (args: string[]) =>
      run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs none /proc/sys && exec "$0" "$@"`, process.execPath, CLI, ...args], {
        cwd: ROOT,
        env: process.env,
        timeoutMs: 20_000,
      });
    const defaults = await hidden(['defaults']);
    expect(defaults.code, explain(defaults)).toBe(1);
    expect(defaults.stderr).toMatch(/^tcp-keepalive: cannot read the system default \/proc\/sys\/net\/ipv4\/tcp_keepalive_time \(ENOENT\)/);
    expect(defaults.stderr.match(/tcp-keepalive:/g)).toHaveLength(1);
    const given = await hidden(['explain', '--idle', '30s', '--interval', '10s', '--count', '3', '--user-timeout', '60s', '--json']);
    expect(given.code, explain(given)).toBe(0);
    expect(JSON.parse(given.stdout)).toMatchObject({ idle: 60_000, dataInFlight: 60_000, dataInFlightBy: 'user-timeout' });
    const budget = await hidden(['explain', '--detect-within', '30s']);
    expect(budget.code, explain(budget)).toBe(0);
    // Without a user timeout tcp_retries2 decides the data-in-flight figure: then it must be read.
    const needed = await hidden(['explain', '--idle', '30s', '--interval', '10s', '--count', '3']);
    expect(needed.code).toBe(1);
    expect(needed.stderr).toMatch(/^tcp-keepalive: cannot read the system default/);
  });

  it('--help on every command, exit 0', async () => {
    for (const args of [['--help'], ['defaults', '--help'], ['explain', '--help'], ['inspect', '--help']]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/^Usage: tcp-keepalive/);
    }
  });
});

/** Starts a program that holds sockets and prints their ports as one JSON line. */
async function holder(command: string, args: string[]): Promise<{ pid: number; listenPort: number; clientPort: number }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => void child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout! });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [line] = (await once(lines, 'line')) as [string];
  clearTimeout(timeout);
  return { pid: child.pid!, ...(JSON.parse(line) as { listenPort: number; clientPort: number }) };
}

/** test/fixtures/many-sockets.cjs holding `count` sockets, ready; killed when the test ends. */
async function manySockets(count: number): Promise<{ child: ChildProcess; pid: number; sockets: number }> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'many-sockets.cjs'), String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  onTestFinished(() => void child.kill('SIGKILL'));
  const ended = once(child, 'exit').then(([code, signal]) => Promise.reject(new Error(`many-sockets.cjs ended (${code ?? signal}) before its sockets were ready`)));
  const [line] = (await step('many-sockets.cjs ready', Promise.race([once(createInterface({ input: child.stdout! }), 'line'), ended]), () => '')) as [string];
  return { child, pid: child.pid!, sockets: (JSON.parse(line) as { sockets: number }).sockets };
}

/** `count` CPU-bound processes in this session, until the test ends. */
function busyCpus(count: number): void {
  for (let i = 0; i < count; i++) {
    const busy = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    onTestFinished(() => void busy.kill('SIGKILL'));
  }
}

/** `promise`, or a failure naming the step that did not come within 15 s and what the command said. */
async function step<T>(what: string, promise: Promise<T>, said: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within 15 s; ${said()}`)), 15_000);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the command says once as it leaves idle priority. */
const MOVED = /tcp-keepalive inspect: every CPU has been busy for \d+ s: moved from idle to normal priority to finish/;

interface Inspected {
  pid: number;
  sockets: Array<{ fd: number; state: string; local: { port: number }; remote: { port: number }; timer: { kind: string }; keepAlive: Record<string, unknown>; tcpInfo: { state: string; probes: number } }>;
}

const skip = requireOrSkip('inspect as root and as an unprivileged user', notRoot() ?? (runs('setpriv', ['--help']) ? null : 'setpriv (util-linux) is missing: apt-get install util-linux'));

// inspect at the command's own priority: at idle priority a busy machine (the
// other test files, a sanitizer run) would stretch it to the watchdog's bound.
// The tests of the priority itself say so.
const inspect = (pid: number, args: string[] = []) => cli(['inspect', String(pid), '--normal-priority', ...args]);

describe.skipIf(skip)('tcp-keepalive inspect <pid>', () => {
  it('a Node process: every TCP socket with its keepalive options and TCP_INFO', async () => {
    const held = await holder(process.execPath, [join(__dirname, '..', 'fixtures', 'hold-sockets.cjs')]);
    const result = await inspect(held.pid, ['--json']);
    expect(result.code, explain(result)).toBe(0);
    const { pid, sockets } = JSON.parse(result.stdout) as Inspected;
    expect(pid).toBe(held.pid);
    const listener = sockets.find((s) => s.state === 'LISTEN' && s.local.port === held.listenPort);
    const client = sockets.find((s) => s.local.port === held.clientPort);
    const accepted = sockets.find((s) => s.local.port === held.listenPort && s.remote.port === held.clientPort);
    expect(listener?.keepAlive).toMatchObject({ enabled: false });
    expect(client).toMatchObject({ state: 'ESTABLISHED', timer: { kind: 'keepalive' }, keepAlive: { enabled: true, idle: 20_000, interval: 5_000, count: 6, userTimeout: 0 }, tcpInfo: { state: 'ESTABLISHED', probes: 0 } });
    expect(accepted).toMatchObject({ keepAlive: { enabled: true, idle: 45_000, interval: 15_000, count: 4, userTimeout: 70_000 } });
    const table = await inspect(held.pid);
    expect(table.stdout).toContain('on 20 s/5 s/6');
    console.log(`[cli] tcp-keepalive inspect ${held.pid}:\n${table.stdout}`);
  });

  it('a program that is not Node (python3)', async () => {
    const held = await holder('python3', [join(__dirname, '..', 'fixtures', 'hold-sockets.py')]);
    const result = await inspect(held.pid, ['--json']);
    expect(result.code, explain(result)).toBe(0);
    const { sockets } = JSON.parse(result.stdout) as Inspected;
    expect(sockets).toHaveLength(3);
    expect(sockets.find((s) => s.local.port === held.clientPort)?.keepAlive).toEqual({ enabled: true, idle: 33_000, interval: 7_000, count: 2, userTimeout: 0 });
  });

  it('as an unprivileged user: one clear line, exit 3', async () => {
    const held = await holder(process.execPath, [join(__dirname, '..', 'fixtures', 'hold-sockets.cjs')]);
    // The user runs the command from where it can read it: a clone may sit
    // where only root can enter (root's home, mktemp -d), so a copy of what
    // the command loads goes to a directory anyone can read.
    const copy = mkdtempSync(join(tmpdir(), 'tcp-keepalive-cli-'));
    onTestFinished(() => rmSync(copy, { recursive: true, force: true }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = (require('node-gyp-build') as { path(dir: string): string }).path(ROOT);
    for (const part of ['package.json', 'dist', join('node_modules', 'node-gyp-build'), relative(ROOT, addon)]) {
      mkdirSync(dirname(join(copy, part)), { recursive: true });
      cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    }
    chmodSync(copy, 0o755);
    const result = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(copy, 'dist', 'cli.js'), 'inspect', String(held.pid), '--normal-priority'], {
      cwd: '/',
      env: process.env,
      timeoutMs: 20_000,
    });
    expect(result.code, explain(result)).toBe(3);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/needs ptrace permission over it: run as root/);
  });

  it('inspect runs every thread as SCHED_IDLE (the process read never waits behind it) unless every CPU kept it waiting; --normal-priority keeps the priority', async () => {
    const held = await holder(process.execPath, [join(__dirname, '..', 'fixtures', 'hold-sockets.cjs')]);
    const policies = async (extra: string[]) => {
      const result = await run(process.execPath, ['--require', join(__dirname, '..', 'fixtures', 'report-sched-policy.cjs'), CLI, 'inspect', String(held.pid), ...extra], { cwd: ROOT, env: process.env, timeoutMs: 20_000 });
      expect(result.code, explain(result)).toBe(0);
      return { policies: /sched-policies (\S+)/.exec(result.stderr)![1].split(','), moved: MOVED.test(result.stderr) };
    };
    const idle = await policies(['--summary']);
    expect(idle.policies.length).toBeGreaterThan(1);
    // On a machine busy enough the watchdog moves it back, and says so (the test below makes it happen).
    expect(new Set(idle.policies)).toEqual(new Set([idle.moved ? '0' : '5']));
    const normal = await policies(['--normal-priority']);
    expect(new Set(normal.policies)).toEqual(new Set(['0']));
    expect(normal.moved).toBe(false);
  });

  it('with every CPU busy: a progress line on a terminal, then back to normal priority, said once; every socket listed', async () => {
    const target = await manySockets(4000);
    busyCpus(availableParallelism() + 1);
    // stderr on a terminal, in this session (the CPU-bound processes' scheduling group).
    const onTerminal = await run('python3', [join(__dirname, '..', 'fixtures', 'on-a-terminal.py'), process.execPath, CLI, 'inspect', String(target.pid), '--json'], {
      cwd: ROOT,
      env: process.env,
      timeoutMs: 60_000,
      sameSession: true,
    });
    expect(onTerminal.code, explain(onTerminal)).toBe(0);
    expect((JSON.parse(onTerminal.stdout) as Inspected).sockets).toHaveLength(target.sockets);
    const terminal = onTerminal.stderr;
    console.log(`[cli] inspect of ${target.sockets} sockets with every CPU busy, on a terminal: ${JSON.stringify(terminal.slice(0, 400))}...`);
    expect(terminal).toMatch(/\r\x1b\[Kinspect: (reading the socket table|[\d,]+ of [\d,]+ sockets), \d+ s \(CPUs busy: --normal-priority is faster\)/);
    expect(terminal.match(new RegExp(MOVED, 'g'))).toHaveLength(1);
    // The line is cleared at the end: the terminal is left as it was.
    expect(terminal.endsWith('\r\x1b[K')).toBe(true);
    // Not on a terminal: the one line, no progress drawn.
    const piped = await run(process.execPath, [CLI, 'inspect', String(target.pid), '--summary', '--json'], { cwd: ROOT, env: process.env, timeoutMs: 60_000, sameSession: true });
    expect(piped.code, explain(piped)).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ sockets: target.sockets });
    expect(piped.stderr).toMatch(new RegExp(`^${MOVED.source}[^\n]*\n$`));
  });

  it('a process that does not exist: exit 1 (an id past the kernel\'s range: exit 2)', async () => {
    // pid_max is at most 4194304 and no pid reaches it.
    const result = await inspect(4194304);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no process 4194304/);
    expect((await cli(['inspect', '999999999'])).code).toBe(2);
  });

  it.each([
    [['--state', 'open'], /--state .*is not a TCP state/],
    [['--port', '70000'], /--port must be a port number from 0 to 65535, got '70000'/],
    [['--port', 'http'], /--port must be a port number/],
    [['--remote', '10.0.0'], /--remote .*must be an IPv4 or IPv6 address/],
    [['--remote', '[::1]:99999'], /--remote .*must be an IPv4 or IPv6 address/],
    [['--summary', '--remote', 'example.com'], /--remote .*must be an IPv4 or IPv6 address/],
  ])('inspect %j: one line, exit 2, nothing read', async (args, message) => {
    const held = await holder(process.execPath, [join(__dirname, '..', 'fixtures', 'hold-sockets.cjs')]);
    const result = await inspect(held.pid, args);
    expect(result.code, explain(result)).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('a process with no TCP sockets: exit 0 in every mode', async () => {
    const child = spawn('sleep', ['30']);
    onTestFinished(() => void child.kill('SIGKILL'));
    const text = await inspect(child.pid!);
    expect(text.code, explain(text)).toBe(0);
    expect(text.stdout).toBe(`process ${child.pid} has no TCP sockets\n`);
    expect(JSON.parse((await inspect(child.pid!, ['--json'])).stdout)).toEqual({ pid: child.pid, sockets: [] });
    expect(JSON.parse((await inspect(child.pid!, ['--summary', '--json'])).stdout)).toEqual({ pid: child.pid, sockets: 0, groups: [] });
  });

  it('a process that exits while its sockets stream out: whole rows, a JSON document that parses, one line, exit 1', async () => {
    const target = await manySockets(4000);
    // A reader that stops reading: the command waits on the pipe after its first chunks.
    const command = spawn(process.execPath, [CLI, 'inspect', String(target.pid), '--json', '--normal-priority'], { stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => void command.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    let reading = false;
    const said = () => `stdout ${stdout.length} chars, stderr: ${JSON.stringify(stderr)}`;
    command.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const closed = once(command, 'close') as Promise<[number | null, string | null]>;
    // Its first rows are out; then nothing more is read until the target is gone.
    const firstRows = new Promise<void>((resolve) =>
      command.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (!reading) command.stdout!.pause();
        resolve();
      }),
    );
    await step('the first rows', Promise.race([firstRows, closed.then(([code]) => Promise.reject(new Error(`the command ended (${code}) before any row: ${said()}`)))]), said);
    target.child.kill('SIGKILL');
    if (target.child.exitCode === null && target.child.signalCode === null) await step('the target reaped', once(target.child, 'exit'), said); // gone, not a zombie
    reading = true;
    command.stdout!.resume();
    const [code] = await step('the command ending', closed, said);
    const parsed = JSON.parse(stdout) as { sockets: unknown[]; error?: { code: string } };
    console.log(`[cli] the target exited part way: ${parsed.sockets.length} of ~4000 sockets written, then ${JSON.stringify(parsed.error)}`);
    expect(parsed.error).toMatchObject({ code: 'ESRCH' });
    expect(parsed.sockets.length).toBeGreaterThan(0);
    expect(parsed.sockets.length).toBeLessThan(target.sockets);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/process \d+ has exited/);
  });
});
