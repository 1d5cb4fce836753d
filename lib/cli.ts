#!/usr/bin/env node
// npx tcp-keepalive <defaults | explain | inspect> [--json] [--help]
//
// Exit codes: 0 done; 1 the operation failed (no such process, /proc not
// readable, ...); 2 bad usage (unknown command or option, a value out of
// range); 3 no permission (inspect needs ptrace permission over the process).
import { parseArgs } from 'node:util';
import { NAT_IDLE_SHARE, keepAliveFor, type ChosenKeepAlive, type DetectionBudget } from './detection-budget.js';
import { detectionTime, inspectProcess, systemDefaults, type DetectionTime, type InspectedSocket } from './index.js';
import { RTO_MIN_MS, TIMER_SLACK, toKernelValues } from './options.js';
import { cut, parseDuration, parseWholeNumber } from './environment.js';
import { PID_MAX_LIMIT, processOf } from './inspect.js';

const EXIT = { ok: 0, failed: 1, usage: 2, permission: 3 } as const;

const HELP = {
  main: `Usage: tcp-keepalive <command> [options]

See what the kernel does with TCP keepalive.

Commands:
  defaults            the system defaults in this network namespace, and what they mean
  explain [settings]  a timeline of probes until a silent dead peer is declared dead;
                      with --detect-within, the settings that meet that budget
  inspect <pid>       every TCP socket of a running process: keepalive options and live TCP_INFO

Every command takes --json (machine-readable output) and --help.
Exit codes: 0 done, 1 the operation failed, 2 bad usage, 3 no permission.`,
  defaults: `Usage: tcp-keepalive defaults [--json]

Reads net.ipv4.tcp_keepalive_time, tcp_keepalive_intvl, tcp_keepalive_probes and
tcp_retries2 from /proc/sys (this process's network namespace) and says how long a
silent dead peer goes unnoticed with them.`,
  explain: `Usage: tcp-keepalive explain [--idle T] [--interval T] [--count N] [--user-timeout T] [--json]
       tcp-keepalive explain --detect-within T [--nat-idle T] [--probes N] [--json]

Draws when each keepalive probe goes out and when the connection is declared dead,
after the last packet received from a peer that vanished without a word. Times are
milliseconds, or whole numbers with a unit: 30s, 5min, 2h (whole seconds for idle
and interval, as the kernel counts them); any option left out is the system default.

--detect-within T  choose the settings instead: a vanished peer is reported within T
                   in the worst case, idle or with data in flight (keepAliveFor)
--nat-idle T       the idle timeout of a NAT or load balancer on the path: probes keep
                   its entry alive (AWS NAT gateway/NLB 350s, Azure 4min, GCP Cloud NAT 20min)
--probes N         at least N unanswered probes before giving up (default 3)`,
  inspect: `Usage: tcp-keepalive inspect <pid> [--json]

Lists every TCP socket of process <pid> (any program, Node or not): addresses, state,
the kernel's timer, keepalive options and live TCP_INFO (unanswered probes, last data
received). Reads them from outside the process with pidfd_getfd (Linux >= 5.6), which
needs ptrace permission over it: root (or CAP_SYS_PTRACE), or its own user where
kernel.yama.ptrace_scope is 0.`,
};

class UsageError extends Error {}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP.main);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!(command in HELP) || command === 'main') throw new UsageError(`unknown command '${command}' (try --help)`);
  const common = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
  const timing = {
    idle: { type: 'string' },
    interval: { type: 'string' },
    count: { type: 'string' },
    'user-timeout': { type: 'string' },
    'detect-within': { type: 'string' },
    'nat-idle': { type: 'string' },
    probes: { type: 'string' },
  } as const;
  const options = command === 'explain' ? { ...common, ...timing } : common;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: command === 'inspect', strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    console.log(HELP[command as keyof typeof HELP]);
    return EXIT.ok;
  }
  const json = values.json === true;
  if (command === 'defaults') return defaultsCommand(json);
  if (command === 'explain') return explainCommand(values, json);
  if (parsed.positionals.length !== 1) throw new UsageError('inspect takes exactly one process id (try --help)');
  return inspectCommand(parsed.positionals[0], json);
}

function defaultsCommand(json: boolean): number {
  const defaults = systemDefaults();
  const detection = detectionTime(defaults); // the values just read: /proc once
  if (json) {
    console.log(JSON.stringify({ defaults, detection }, null, 2));
    return EXIT.ok;
  }
  console.log(`System defaults (this network namespace, /proc/sys/net/ipv4):
  tcp_keepalive_time   ${seconds(defaults.idle)}   idle before the first probe
  tcp_keepalive_intvl  ${seconds(defaults.interval)}   between unanswered probes
  tcp_keepalive_probes ${defaults.count}   unanswered probes before the connection is dropped
  tcp_retries2         ${defaults.retries2}   retransmissions of unacknowledged data before it is dropped

Keepalive is off on a new socket unless a program turns it on (SO_KEEPALIVE).
With it on and these values, a peer that vanishes without a word is noticed
${duration(detection.idle!)} after its last packet (idle + interval x count), up to 1/8 later.
With data in flight (keepalive is silent then), ${duration(detection.dataInFlight)} (tcp_retries2 = ${defaults.retries2}).`);
  return EXIT.ok;
}

type Values = Record<string, string | boolean | undefined>;

// --idle 30s, --user-timeout 3500, --count 3: the environment's grammar, bare times in ms.
function option(values: Values, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const counted = name === 'count' || name === 'probes';
  const value = counted ? parseWholeNumber(String(raw)) : parseDuration(String(raw), 'ms');
  if (value === null) {
    throw new UsageError(`--${name} must be ${counted ? 'a whole number' : 'a whole number of ms, or with a unit (30s, 5min, 2h)'}, got '${String(raw)}'`);
  }
  return value;
}

// The API's argument errors in the command line's terms: "options.userTimeout" -> --user-timeout.
function asUsage(error: unknown): UsageError {
  const flag = (name: string): string => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return new UsageError((error as Error).message.replace(/"(?:options|budget)\.(\w+)"/, (_, name: string) => flag(name)).replace(/'budget\.(\w+)'/, (_, name: string) => flag(name)));
}

function explainCommand(values: Values, json: boolean): number {
  if (values['detect-within'] !== undefined) return budgetCommand(values, json);
  for (const name of ['nat-idle', 'probes']) {
    if (values[name] !== undefined) throw new UsageError(`--${name} goes with --detect-within`);
  }
  const settings = { idle: option(values, 'idle'), interval: option(values, 'interval'), count: option(values, 'count'), userTimeout: option(values, 'user-timeout') };
  try {
    toKernelValues(Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)));
  } catch (error) {
    throw asUsage(error);
  }
  const detection = detectionTime(settings);
  const timeline = probeTimeline(detection);
  if (json) {
    console.log(JSON.stringify({ ...detection, timeline }, null, 2));
    return EXIT.ok;
  }
  const s = detection.settings;
  console.log(
    `idle ${seconds(s.idle)}, interval ${seconds(s.interval)}, count ${s.count}, ` +
      `${s.userTimeout > 0 ? `user timeout ${seconds(s.userTimeout)}` : 'no user timeout'}:`,
  );
  console.log(
    `a peer that vanishes without a word is declared dead ${duration(detection.idle!)} after its last packet ` +
      `(${detection.idleBy === 'user-timeout' ? 'the user timeout cuts the probes short' : 'idle + interval x count'}; timers may fire up to 1/8 late).\n`,
  );
  for (const event of timeline) console.log(`  ${seconds(event.at).padStart(10)}  ${event.what}`);
  console.log(`\n${bar(timeline, detection.idle!)}`);
  console.log(
    `\nWith data in flight keepalive is silent; the connection is dropped after ${duration(detection.dataInFlight)} ` +
      `(${detection.dataInFlightBy === 'user-timeout' ? 'the user timeout' : `tcp_retries2 = ${s.retries2}`}).`,
  );
  return EXIT.ok;
}

function budgetCommand(values: Values, json: boolean): number {
  for (const name of ['idle', 'interval', 'count', 'user-timeout']) {
    if (values[name] !== undefined) throw new UsageError(`--detect-within chooses --${name} itself: give one or the other`);
  }
  const budget: DetectionBudget = { detectWithin: option(values, 'detect-within')!, natIdle: option(values, 'nat-idle'), probes: option(values, 'probes') };
  let chosen: ChosenKeepAlive;
  try {
    chosen = keepAliveFor(budget);
  } catch (error) {
    throw asUsage(error);
  }
  // With a user timeout tcp_retries2 decides nothing: no /proc/sys needed.
  const detection = detectionTime({ ...chosen, enabled: true });
  const timeline = probeTimeline(detection);
  const { natIdle } = budget;
  const env = [`TCP_KEEPALIVE_DETECT_WITHIN=${envTime(budget.detectWithin)}`];
  if (natIdle !== undefined) env.push(`TCP_KEEPALIVE_NAT_IDLE=${envTime(natIdle)}`);
  if (budget.probes !== undefined) env.push(`TCP_KEEPALIVE_PROBES=${budget.probes}`);
  const call = `keepAliveFor({ ${Object.entries(budget).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${code(v as number)}`).join(', ')} })`;
  const paste = {
    environment: `${env.join(' ')} node --require tcp-keepalive/register app.js`,
    code: `setKeepAlive(socket, ${call});`,
    values: `setKeepAlive(socket, { idle: ${code(chosen.idle)}, interval: ${code(chosen.interval)}, count: ${chosen.count}, userTimeout: ${code(chosen.userTimeout)} });`,
  };
  if (json) {
    const { settings: _settings, ...figures } = detection;
    console.log(JSON.stringify({ budget, chosen, ...figures, timeline, paste }, null, 2));
    return EXIT.ok;
  }
  const schedule = chosen.userTimeout;
  console.log(
    `To notice a vanished peer within ${duration(budget.detectWithin)}` +
      `${natIdle === undefined ? '' : ` and keep a NAT that forgets idle connections after ${duration(natIdle)}`}:\n` +
      `  idle ${seconds(chosen.idle)}, interval ${seconds(chosen.interval)}, count ${chosen.count}, user timeout ${seconds(chosen.userTimeout)}\n`,
  );
  console.log('Why:');
  console.log(
    `  - ${seconds(schedule)} of schedule: (${duration(budget.detectWithin)} - ${RTO_MIN_MS} ms) / (9/8), in whole seconds. Linux timers fire up to 1/8 late,\n` +
      `    and with data in flight the user timeout counts from the first retransmission, one RTO (${RTO_MIN_MS} ms and the round trip) after the data.`,
  );
  console.log(
    `  - Idle connection: ${chosen.count === 1 ? `1 probe after ${seconds(chosen.idle)} of silence` : `${chosen.count} probes, the first after ${seconds(chosen.idle)} of silence, then every ${seconds(chosen.interval)}`};\n` +
      `    the user timeout ends it at the probe tick at ${seconds(detection.idle!)}, at the latest ${seconds(detection.idleWorst!)}.`,
  );
  console.log(
    `  - Data in flight (keepalive is silent then): the user timeout ends it after ${seconds(detection.dataInFlight)}, ` +
      `at the latest ${seconds(detection.dataInFlightWorst)}.`,
  );
  console.log(
    chosen.count >= 3
      ? `  - ${chosen.count} probes: one or two lost probes do not end a live connection.`
      : `  - Only ${chosen.count} probe${chosen.count === 1 ? '' : 's'} fit this budget: a lost probe can end a live connection; 4.7 s allows 3.`,
  );
  if (natIdle !== undefined) {
    console.log(
      `  - NAT: idle and interval are at most ${NAT_IDLE_SHARE * 100} % of ${duration(natIdle)}, so a probe goes out at the latest ` +
        `after ${seconds(Math.ceil(Math.max(chosen.idle, chosen.interval) * TIMER_SLACK))} of silence and refreshes the entry in time.`,
    );
  }
  console.log('');
  for (const event of timeline) console.log(`  ${seconds(event.at).padStart(10)}  ${event.what}`);
  console.log(`\n${bar(timeline, detection.idle!)}`);
  console.log(`\nPaste one of:\n  ${paste.environment}\n  ${paste.code}\n  ${paste.values}`);
  return EXIT.ok;
}

// 30000 -> 30 (seconds, the environment's bare unit) or 1500 -> 1500ms.
function envTime(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : `${ms}ms`;
}

// 350000 -> 350_000, as the README writes numbers in code.
function code(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+$)/g, '_');
}

interface TimelineEvent {
  at: number;
  what: string;
}

function probeTimeline(detection: DetectionTime): TimelineEvent[] {
  const { idle, interval } = detection.settings;
  const events: TimelineEvent[] = [{ at: 0, what: 'last packet received from the peer; then silence' }];
  const probes = Math.round((detection.idle! - idle) / interval);
  for (let i = 0; i < probes; i++) events.push({ at: idle + i * interval, what: `keepalive probe ${i + 1}: no answer` });
  events.push({
    at: detection.idle!,
    what:
      detection.idleBy === 'user-timeout'
        ? `user timeout passed at a probe tick: the kernel sends RST, the program gets ETIMEDOUT`
        : `${probes} probes unanswered: the kernel sends RST, the program gets ETIMEDOUT`,
  });
  return events;
}

// A scale of 60 columns: '-' silence, '|' a probe, 'X' declared dead.
function bar(events: TimelineEvent[], end: number): string {
  const width = 60;
  const cells = Array.from({ length: width + 1 }, () => '-');
  for (const event of events.slice(1, -1)) cells[Math.round((event.at / end) * width)] = '|';
  cells[0] = '0';
  cells[width] = 'X';
  return `  ${cells.join('')}\n  0${' '.repeat(width - 1)}${seconds(end)}`;
}

function inspectCommand(pidText: string, json: boolean): number {
  if (!/^\d+$/.test(pidText) || /^0+$/.test(pidText)) throw new UsageError(`inspect: '${cut(pidText)}' is not a process id`);
  const given = Number(pidText);
  if (given > PID_MAX_LIMIT) throw new UsageError(`inspect: ${cut(pidText)} is past the kernel's process ids (at most ${PID_MAX_LIMIT})`);
  // A thread id stands for its process; say so rather than list another id's sockets silently.
  const { process: pid, thread } = processOf(given);
  const sockets = inspectProcess(pid);
  if (json) {
    console.log(JSON.stringify({ pid, ...(thread ? { thread: given } : {}), sockets }, null, 2));
    return EXIT.ok;
  }
  if (thread) console.log(`${given} is a thread of process ${pid}: its sockets are the process's`);
  if (sockets.length === 0) {
    console.log(`process ${pid} has no TCP sockets`);
    return EXIT.ok;
  }
  const rows = sockets.map((socket) => row(socket));
  const head = ['fd', 'state', 'local', 'remote', 'keepalive (idle/interval/count)', 'user timeout', 'timer', 'probes', 'last recv'];
  const widths = head.map((title, i) => Math.max(title.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  return EXIT.ok;
}

function row(socket: InspectedSocket): string[] {
  const address = (e: { address: string; port: number }): string => (socket.family === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
  const k = socket.keepAlive;
  return [
    String(socket.fd),
    socket.state,
    address(socket.local),
    address(socket.remote),
    k ? (k.enabled ? `on ${seconds(k.idle)}/${seconds(k.interval)}/${k.count}` : 'off') : `? ${socket.error?.code ?? ''}`,
    k ? (k.userTimeout > 0 ? `${k.userTimeout} ms` : '-') : '?',
    socket.timer.kind === 'none' ? '-' : `${socket.timer.kind} ${seconds(socket.timer.expiresIn)}`,
    socket.tcpInfo ? String(socket.tcpInfo.probes) : '?',
    socket.tcpInfo ? seconds(socket.tcpInfo.lastDataReceived) : '?',
  ];
}

/** Milliseconds as a person reads them: `30 s`, `5 min 50 s`, `1.5 s`. */
function duration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const text = [h && `${h} h`, m && `${m} min`, (s || total === 0) && `${s} s`].filter(Boolean).join(' ');
  return ms % 1000 === 0 || total >= 60 ? text : `${Number((ms / 1000).toFixed(3))} s`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  const code = (error as { code?: string }).code;
  // The library's own messages already say where they come from.
  console.error(`tcp-keepalive: ${(error as Error).message.replace(/^tcp-keepalive: /, '')}`);
  process.exitCode = error instanceof UsageError ? EXIT.usage : code === 'EPERM' || code === 'EACCES' ? EXIT.permission : EXIT.failed;
}
