#!/usr/bin/env node
// npx tcp-keepalive <defaults | explain | inspect> [--json] [--help]
//
// Exit codes: 0 done; 1 the operation failed (no such process, /proc not
// readable, ...); 2 bad usage (unknown command or option, a value out of
// range); 3 no permission (inspect needs ptrace permission over the process).
import { parseArgs } from 'node:util';
import { detectionTime, inspectProcess, systemDefaults, type DetectionTime, type InspectedSocket } from './index.js';
import { toKernelValues } from './options.js';

const EXIT = { ok: 0, failed: 1, usage: 2, permission: 3 } as const;

const HELP = {
  main: `Usage: tcp-keepalive <command> [options]

See what the kernel does with TCP keepalive.

Commands:
  defaults            the system defaults in this network namespace, and what they mean
  explain [settings]  a timeline of probes until a silent dead peer is declared dead
  inspect <pid>       every TCP socket of a running process: keepalive options and live TCP_INFO

Every command takes --json (machine-readable output) and --help.
Exit codes: 0 done, 1 the operation failed, 2 bad usage, 3 no permission.`,
  defaults: `Usage: tcp-keepalive defaults [--json]

Reads net.ipv4.tcp_keepalive_time, tcp_keepalive_intvl, tcp_keepalive_probes and
tcp_retries2 from /proc/sys (this process's network namespace) and says how long a
silent dead peer goes unnoticed with them.`,
  explain: `Usage: tcp-keepalive explain [--idle MS] [--interval MS] [--count N] [--user-timeout MS] [--json]

Draws when each keepalive probe goes out and when the connection is declared dead,
after the last packet received from a peer that vanished without a word. Times are
milliseconds (whole seconds for idle and interval, as the kernel counts them); any
option left out is the system default.`,
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
  const timing = { idle: { type: 'string' }, interval: { type: 'string' }, count: { type: 'string' }, 'user-timeout': { type: 'string' } } as const;
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

function explainCommand(values: Record<string, string | boolean | undefined>, json: boolean): number {
  const number = (name: string): number | undefined => {
    const raw = values[name];
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (String(raw).trim() === '' || Number.isNaN(value)) throw new UsageError(`--${name} must be a number, got '${String(raw)}'`);
    return value;
  };
  const settings = { idle: number('idle'), interval: number('interval'), count: number('count'), userTimeout: number('user-timeout') };
  try {
    toKernelValues(Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)));
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/"options\.(\w+)"/, (_, name: string) => `--${name === 'userTimeout' ? 'user-timeout' : name}`));
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
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText) || !(pid > 0)) throw new UsageError(`inspect: '${pidText}' is not a process id`);
  const sockets = inspectProcess(pid);
  if (json) {
    console.log(JSON.stringify({ pid, sockets }, null, 2));
    return EXIT.ok;
  }
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

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function duration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const text = [h && `${h} h`, m && `${m} min`, (s || total === 0) && `${s} s`].filter(Boolean).join(' ');
  return ms % 1000 === 0 || total >= 60 ? text : seconds(ms);
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  const code = (error as { code?: string }).code;
  console.error(`tcp-keepalive: ${(error as Error).message}`);
  process.exitCode = error instanceof UsageError ? EXIT.usage : code === 'EPERM' || code === 'EACCES' ? EXIT.permission : EXIT.failed;
}
