// tcp-keepalive inspect <pid>: every TCP socket of a running process, read
// from outside it, as a table, JSON, or a summary by state and settings.
// Rows are written a batch at a time as they are read (waiting for the pipe
// to drain), so a process with 100 000 sockets costs no more memory than one
// with 100. If the process exits or refuses part way, the output ends whole:
// the table stops, the JSON document is closed with an "error" member, and
// stderr gets the one line.
import { once } from 'node:events';
import { runAtIdlePriority, type IdleWatch } from '../core/native.js';
import { truncate, parseWholeNumber } from '../core/parse.js';
import { PID_MAX_LIMIT, inspectSockets, processOf, summarizeProcess, type InspectFilter, type InspectGroup, type InspectedSocket } from '../kernel-view/inspect.js';
import { formatSeconds } from './format.js';
import { EXIT, UsageError, asUsage, type Values } from './usage.js';

const HEAD = ['fd', 'state', 'local', 'remote', 'keepalive (idle/interval/count)', 'user timeout', 'timer', 'probes', 'last recv'];
// Rows held back to size the columns; the rest follow at those widths.
const FIRST_ROWS = 256;
const FLUSH_BYTES = 64 * 1024;
// At idle priority: a progress line on a terminal after this long, and our
// own priority back once the command has waited this long in all for a CPU.
const PROGRESS_AFTER_MS = 1000;
const STARVED_MS = 2000;

export async function inspectCommand(pidText: string, values: Values, json: boolean): Promise<number> {
  if (!/^\d+$/.test(pidText) || /^0+$/.test(pidText)) throw new UsageError(`inspect: '${truncate(pidText)}' is not a process id`);
  const given = Number(pidText);
  if (given > PID_MAX_LIMIT) throw new UsageError(`inspect: ${truncate(pidText)} is past the kernel's process ids (at most ${PID_MAX_LIMIT})`);
  const filter = filterOf(values);
  // A thread id stands for its process; say so rather than list another id's sockets silently.
  const { process: pid, thread } = processOf(given);
  // On a busy machine this inspection waits, not the process inspected: with
  // every CPU taken (ours are two threads), a program waking for its timers
  // would otherwise wait a scheduler slice behind us (+1 ms at its p99;
  // nice 19 did not help, SCHED_IDLE did: bench/inspect.mjs). But never
  // blind, nor for long: a progress line on a terminal after a second, and
  // back to our own priority once we have waited two seconds for a CPU
  // (src/idle_watch_linux.cc).
  const watch = values['normal-priority'] === true ? null : runAtIdlePriority({ progressAfterMs: PROGRESS_AFTER_MS, starvedMs: STARVED_MS, targetPid: pid });
  try {
    return await inspectAs(pid, given, thread, filter, json, values.summary === true, new Output(watch));
  } finally {
    watch?.stop();
  }
}

async function inspectAs(pid: number, given: number, thread: boolean, filter: InspectFilter, json: boolean, summarized: boolean, out: Output): Promise<number> {
  if (summarized) return summary(pid, given, thread, filter, json, out);
  let sockets: IterableIterator<InspectedSocket>;
  try {
    sockets = inspectSockets(pid, filter);
  } catch (error) {
    throw argumentError(error);
  }
  if (json) {
    await out.write(`{"pid":${pid},${thread ? `"thread":${given},` : ''}"sockets":[\n`);
    let first = true;
    try {
      for (const socket of sockets) {
        await out.write(`${first ? '' : ',\n'}${JSON.stringify(socket)}`);
        first = false;
      }
    } catch (error) {
      // Whole objects only, and a document that still parses.
      await out.end(`${first ? '' : '\n'}],"error":${JSON.stringify({ code: (error as { code?: string }).code, message: (error as Error).message })}}\n`);
      throw error;
    }
    await out.end(`${first ? '' : '\n'}]}\n`);
    return EXIT.ok;
  }
  if (thread) await out.write(`${given} is a thread of process ${pid}: its sockets are the process's\n`);
  const held: string[][] = [];
  let widths: number[] | undefined;
  const line = (cells: string[]): string => `${cells.map((cell, i) => cell.padEnd(widths![i])).join('  ').trimEnd()}\n`;
  let count = 0;
  try {
    for (const socket of sockets) {
      count++;
      if (widths === undefined) {
        held.push(row(socket));
        if (held.length < FIRST_ROWS) continue;
        widths = HEAD.map((title, i) => Math.max(title.length, ...held.map((r) => r[i].length)));
        await out.write(line(HEAD) + held.map(line).join(''));
      } else {
        await out.write(line(row(socket)));
      }
    }
    if (widths === undefined && held.length > 0) {
      widths = HEAD.map((title, i) => Math.max(title.length, ...held.map((r) => r[i].length)));
      await out.write(line(HEAD) + held.map(line).join(''));
    }
  } finally {
    await out.flush();
  }
  if (count === 0) {
    await out.end(`process ${pid} has no TCP sockets${describeFilter(filter)}\n`);
    return EXIT.ok;
  }
  // What a table of now cannot say: why connections that are gone ended.
  await out.end('\nWhy connections end (a line per lost connection, nothing changed): run the program with TCP_KEEPALIVE_REPORT=1 node --require tcp-keepalive/register\n');
  return EXIT.ok;
}

async function summary(pid: number, given: number, thread: boolean, filter: InspectFilter, json: boolean, out: Output): Promise<number> {
  let counted;
  try {
    counted = summarizeProcess(pid, filter);
  } catch (error) {
    throw argumentError(error);
  }
  if (json) {
    await out.end(`${JSON.stringify({ ...counted, ...(thread ? { thread: given } : {}) }, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines: string[] = [];
  if (thread) lines.push(`${given} is a thread of process ${pid}: its sockets are the process's`);
  lines.push(`process ${pid}: ${counted.sockets.toLocaleString('en-US')} TCP socket${counted.sockets === 1 ? '' : 's'}${describeFilter(filter)}`);
  if (counted.groups.length > 0) {
    const rows = counted.groups.map((group) => [group.state, settings(group), group.sockets.toLocaleString('en-US'), group.withUnansweredProbes.toLocaleString('en-US')]);
    const head = ['state', 'keepalive', 'sockets', 'with probes unanswered now'];
    const widths = head.map((title, i) => Math.max(title.length, ...rows.map((r) => r[i].length)));
    // Counts right-aligned.
    const cells = (r: string[]): string => r.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
    lines.push('', cells(head), ...rows.map(cells));
  }
  await out.end(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

// A filter the API refused is bad usage (exit 2); anything else stays what it is.
function argumentError(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  return code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_OUT_OF_RANGE' || code === 'ERR_INVALID_ARG_TYPE' ? asUsage(error) : error;
}

function settings(group: InspectGroup): string {
  const k = group.keepAlive;
  if (k === null) return '? (could not be read)';
  const userTimeout = k.userTimeout > 0 ? `, user timeout ${formatSeconds(k.userTimeout)}` : '';
  if (!k.enabled) return `off${userTimeout}`;
  return `on ${formatSeconds(k.idle)}/${formatSeconds(k.interval)}/${k.count}${userTimeout}`;
}

// --port 443, --state established, --remote 10.0.0.5:5432: checked here (exit 2), applied before any socket is read.
function filterOf(values: Values): InspectFilter {
  const filter: InspectFilter = {};
  if (values.port !== undefined) {
    const port = parseWholeNumber(String(values.port));
    if (port === null || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, got '${truncate(String(values.port))}'`);
    filter.port = port;
  }
  if (values.state !== undefined) filter.state = String(values.state) as InspectFilter['state'];
  if (values.remote !== undefined) filter.remote = String(values.remote);
  return filter;
}

function describeFilter(filter: InspectFilter): string {
  const parts = [];
  if (filter.port !== undefined) parts.push(`port ${filter.port}`);
  if (filter.state !== undefined) parts.push(`state ${filter.state.toUpperCase()}`);
  if (filter.remote !== undefined) parts.push(`remote ${filter.remote}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
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

/**
 * stdout in chunks, waiting for a slow reader to drain: memory stays flat
 * however long the output. The first chunk to a terminal silences the
 * progress line there (the rows are the progress now).
 */
class Output {
  private pending: string[] = [];
  private size = 0;

  constructor(private watch: IdleWatch | null) {}

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.size = 0;
    if (this.watch !== null && process.stdout.isTTY) {
      this.watch.quiet();
      this.watch = null;
    }
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  }

  async end(text: string): Promise<void> {
    await this.write(text);
    await this.flush();
  }
}
