// tcp-keepalive inspect <pid>: every TCP socket of a running process, read
// from outside it, as a table or JSON.
import { PID_MAX_LIMIT, inspectProcess, processOf, type InspectedSocket } from '../kernel-view/inspect.js';
import { truncate } from '../core/parse.js';
import { formatSeconds } from './format.js';
import { EXIT, UsageError } from './usage.js';

export function inspectCommand(pidText: string, json: boolean): number {
  if (!/^\d+$/.test(pidText) || /^0+$/.test(pidText)) throw new UsageError(`inspect: '${truncate(pidText)}' is not a process id`);
  const given = Number(pidText);
  if (given > PID_MAX_LIMIT) throw new UsageError(`inspect: ${truncate(pidText)} is past the kernel's process ids (at most ${PID_MAX_LIMIT})`);
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
  // What a table of now cannot say: why connections that are gone ended.
  console.log('\nWhy connections end (a line per lost connection, nothing changed): run the program with TCP_KEEPALIVE_REPORT=1 node --require tcp-keepalive/register');
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
    k ? (k.enabled ? `on ${formatSeconds(k.idle)}/${formatSeconds(k.interval)}/${k.count}` : 'off') : `? ${socket.error?.code ?? ''}`,
    k ? (k.userTimeout > 0 ? `${k.userTimeout} ms` : '-') : '?',
    socket.timer.kind === 'none' ? '-' : `${socket.timer.kind} ${formatSeconds(socket.timer.expiresIn)}`,
    socket.tcpInfo ? String(socket.tcpInfo.probes) : '?',
    socket.tcpInfo ? formatSeconds(socket.tcpInfo.lastDataReceived) : '?',
  ];
}
