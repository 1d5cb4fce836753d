#!/usr/bin/env node
// Inspect at scale: `tcp-keepalive inspect <pid>` (text, --json, --summary,
// and text with the TCP table read from /proc instead of sock_diag) beside
// `ss -tanpoi` listing the whole machine, on the same target in one run, at
// 1,000 / 5,000 / as many sockets as one process may hold
// (test/fixtures/many-sockets.cjs, its soft fd limit raised to the hard one),
// and at the largest size a target that is not Node (many-sockets.py).
// Each round runs every command once, the starting one rotating; a figure is
// the median over rounds of wall time (around the whole process) and of peak
// RSS (GNU time's %M; "n/a" without /usr/bin/time). Output goes to a file, the
// same for every command, so no reader in this process competes with them.
// Then the target's event-loop delay (its monitorEventLoopDelay, 1 ms
// resolution) in alternating phases: left alone, inspected over and over as
// the CLI runs (SCHED_IDLE), and with --normal-priority (what it was before).
// Linux only; the target's sockets need no privilege, but a large target needs
// a hard fd limit to match. Flags: --rounds N (default 5), --sizes a,b,max,
// --phase-ms MS (default 2000), --json.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { median } from './common/stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'dist', 'cli.js');
const TARGET = join(root, 'test', 'fixtures', 'many-sockets.cjs');
// The same at the largest size in a program that is not Node (python3), where installed.
const PYTHON_TARGET = join(root, 'test', 'fixtures', 'many-sockets.py');
const python = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
const argv = process.argv.slice(2);
const flag = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const json = argv.includes('--json');
const ROUNDS = Number(flag('--rounds', 5));
const SIZES = flag('--sizes', '1000,5000,max').split(',');
const PHASE_MS = Number(flag('--phase-ms', 2000));
const PHASES = 4; // of each kind, alternating
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const log = (line) => json || console.log(line);

if (process.platform !== 'linux') {
  log('inspect: Linux only (sock_diag, pidfd_getfd, /proc); skipped');
  if (json) console.log(JSON.stringify({ skipped: 'not Linux' }));
  process.exit(0);
}
const ss = spawnSync('ss', ['-V'], { stdio: 'ignore' }).status === 0;

/** The target (Node, or python3): started with its soft fd limit raised to the hard one; resolves once all its sockets are connected. */
async function startTarget(size, runtime = 'node') {
  const program = runtime === 'node' ? [process.execPath, TARGET] : ['python3', PYTHON_TARGET];
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', ...program, size], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, HOLD_MAX_MS: String(30 * 60_000) },
  });
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  let wake = null;
  lines.on('line', (line) => (queue.push(line), wake?.()));
  child.on('exit', () => wake?.());
  const next = async (ms = 120_000) => {
    const deadline = Date.now() + ms;
    while (queue.length === 0) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`bench: the ${size}-socket target stopped answering`);
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000);
      });
    }
    return JSON.parse(queue.shift());
  };
  const info = await next();
  return { child, info, next, stop: () => child.stdin.end() };
}

/** The commands compared, each as [file, args, env]. */
function commands(pid) {
  const ours = (label, args, env = {}) => ({ label, file: process.execPath, args: [CLI, 'inspect', String(pid), ...args], env });
  const list = [
    ours('inspect', []),
    ours('inspect --json', ['--json']),
    ours('inspect --summary', ['--summary']),
    ours('inspect (table from /proc)', [], { TCP_KEEPALIVE_INSPECT_TABLE: 'proc' }),
  ];
  if (ss) list.push({ label: 'ss -tanpoi', file: 'ss', args: ['-tanpoi'], env: {} });
  return list;
}

/** One run: wall time around the process, peak RSS, bytes written. */
function runOnce(command, path) {
  // A new open file each run: a child inheriting an fd shares its offset.
  const out = openSync(path, 'w');
  const [file, args] = TIME ? [TIME, ['-f', '%M', command.file, ...command.args]] : [command.file, command.args];
  const start = process.hrtime.bigint();
  const child = spawnSync(file, args, { stdio: ['ignore', out, 'pipe'], env: { ...process.env, ...command.env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const bytes = fstatSync(out).size;
  closeSync(out);
  if (child.status !== 0) throw new Error(`bench: ${command.label} exited with ${child.status ?? child.signal}: ${child.stderr}`);
  const rssKiB = TIME ? Number(child.stderr.trim().split('\n').pop()) : null;
  return { ms, rssMiB: rssKiB === null ? null : rssKiB / 1024, bytes };
}

/** The event-loop delay of the target: left alone, inspected as the CLI runs, and with --normal-priority; phases in turn. */
async function delayPhases(target, pid) {
  const inspect = (extra) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'inspect', String(pid), ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench: inspect exited with ${code}`))));
    });
  const KINDS = { quiet: null, inspected: [], normalPriority: ['--normal-priority'] };
  const phases = Object.fromEntries(Object.keys(KINDS).map((kind) => [kind, []]));
  const inspections = Object.fromEntries(Object.keys(KINDS).map((kind) => [kind, 0]));
  for (let i = 0; i < PHASES; i++) {
    for (const [kind, extra] of Object.entries(KINDS)) {
      target.child.stdin.write('delay\n');
      await target.next(); // resets the histogram: the phase starts now
      const end = Date.now() + PHASE_MS;
      if (extra === null) await new Promise((resolve) => setTimeout(resolve, PHASE_MS));
      else while (Date.now() < end) await inspect(extra).then(() => inspections[kind]++);
      target.child.stdin.write('delay\n');
      phases[kind].push(await target.next());
    }
  }
  const of = (list, key) => median(list.map((phase) => phase[key]));
  const figures = (list) => ({ p50: of(list, 'p50'), p99: of(list, 'p99'), max: Math.max(...list.map((p) => p.max)), samples: list.reduce((n, p) => n + p.samples, 0) });
  return { phaseMs: PHASE_MS, inspections, ...Object.fromEntries(Object.entries(phases).map(([kind, list]) => [kind, figures(list)])), phases };
}

const fixed = (value, digits) => (value === null ? 'n/a' : value.toFixed(digits));
const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-bench-'));
const out = join(dir, 'out');
const results = { rounds: ROUNDS, rssFrom: TIME ? 'GNU time %M' : null, ss, sizes: [] };
try {
  if (!ss) log('inspect: ss (iproute2) not installed; compared with nothing');
  if (!TIME) log('inspect: /usr/bin/time not installed; peak RSS not measured');
  // Every size against the Node target, then the largest against python3.
  const runs = SIZES.map((size) => ({ size, runtime: 'node' }));
  if (python) runs.push({ size: SIZES[SIZES.length - 1], runtime: 'python3' });
  else log('inspect: python3 not installed; no target that is not Node');
  for (const { size, runtime } of runs) {
    const target = await startTarget(size, runtime);
    try {
      const pid = target.child.pid;
      const list = commands(pid);
      const samples = Object.fromEntries(list.map((c) => [c.label, []]));
      for (const command of list) runOnce(command, out); // warm the page cache and the target's tables
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < list.length; k++) {
          const command = list[(round + k) % list.length];
          samples[command.label].push(runOnce(command, out));
        }
      }
      const rows = list.map(({ label }) => {
        const runs = samples[label];
        return {
          label,
          ms: median(runs.map((r) => r.ms)),
          rssMiB: TIME ? median(runs.map((r) => r.rssMiB)) : null,
          maxRssMiB: TIME ? Math.max(...runs.map((r) => r.rssMiB)) : null,
          bytes: median(runs.map((r) => r.bytes)),
        };
      });
      const ssRow = rows.find((r) => r.label === 'ss -tanpoi');
      for (const row of rows) row.timeVsSs = ssRow ? row.ms / ssRow.ms : null;
      const entry = { runtime, sockets: target.info.sockets, fdLimit: target.info.limit, commands: rows };
      if (runtime === 'node' && size === SIZES[SIZES.length - 1]) entry.eventLoopDelay = await delayPhases(target, pid);
      results.sizes.push(entry);
      log(`\ninspect: a ${runtime === 'node' ? 'Node' : 'python3'} target holding ${entry.sockets} TCP sockets (fd limit ${entry.fdLimit}), median of ${ROUNDS} rounds`);
      log(`  ${'command'.padEnd(28)} ${'wall ms'.padStart(8)} ${'vs ss'.padStart(6)} ${'RSS MiB'.padStart(8)} ${'max'.padStart(6)} ${'output'.padStart(9)}`);
      for (const row of rows) {
        log(
          `  ${row.label.padEnd(28)} ${fixed(row.ms, 0).padStart(8)} ${fixed(row.timeVsSs, 2).padStart(6)} ${fixed(row.rssMiB, 1).padStart(8)} ${fixed(row.maxRssMiB, 1).padStart(6)} ${`${(row.bytes / 1024).toFixed(0)} KiB`.padStart(9)}`,
        );
      }
      const d = entry.eventLoopDelay;
      if (d) {
        log(`  the target's event-loop delay, ms (median of ${PHASES} phases of ${PHASE_MS} ms each, in turn):`);
        const line = (label, f, count) =>
          log(`    ${label.padEnd(26)} p50 ${f.p50.toFixed(3)}  p99 ${f.p99.toFixed(3)}  max ${f.max.toFixed(3)}${count === undefined ? '' : `  (${count} inspections)`}`);
        line('left alone', d.quiet);
        line('inspected (SCHED_IDLE)', d.inspected, d.inspections.inspected);
        line('inspected, normal priority', d.normalPriority, d.inspections.normalPriority);
        log(`    p99 inspected - alone: ${(d.inspected.p99 - d.quiet.p99).toFixed(3)} ms (the aim: within 1 ms); at normal priority ${(d.normalPriority.p99 - d.quiet.p99).toFixed(3)} ms`);
      }
    } finally {
      target.stop();
      await new Promise((resolve) => (target.child.exitCode !== null ? resolve() : target.child.on('exit', resolve)));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (json) console.log(JSON.stringify(results, null, 2));
