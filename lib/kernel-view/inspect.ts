// inspectProcess, inspectSockets, summarizeProcess: every TCP socket of
// another running process (any program, Node or not), read from outside it,
// at the scale of a server holding tens of thousands:
// - addresses, state and the kernel's timer from the kernel's socket
//   diagnostics (sock_diag, one native call, as `ss` reads them) where the
//   process shares our network namespace, else from /proc/<pid>/net/tcp{,6}
//   read in chunks (twice the time: the kernel writes text); the filters
//   apply there, and only the sockets that pass are kept, in typed arrays;
// - the process's fds from /proc/<pid>/fd (one native call);
// - through pidfd_getfd, a batch of fds per native call (INSPECT_BATCH):
//   each one's inode (from the copy itself, so a number the process reused
//   meanwhile is read as what it now is), and for the sockets kept, their
//   options and TCP_INFO; rows are yielded a batch at a time, so memory stays
//   flat whatever the socket count.
import { closeSync, openSync, readFileSync, readSync, readlinkSync } from 'node:fs';
import { constants, endianness } from 'node:os';
import { formatAddress } from '../core/address.js';
import { invalidArgType, invalidArgValue, outOfRange, unsupported } from '../core/errors.js';
import {
  INSPECT_BATCH,
  addonLoaded,
  inspectProcessFds,
  listProcessFds,
  readTcpTable,
  tcpStateName,
  TABLE_RECORD,
  type InspectedFd,
  type KeepAliveState,
  type TcpInfo,
  type TcpState,
} from '../core/native.js';

export interface SocketEndpoint {
  address: string;
  port: number;
}

/** The kernel's timer on a socket, from /proc/<pid>/net/tcp (the `timer:` column of `ss -o`). */
export interface SocketTimer {
  kind: 'none' | 'retransmit' | 'keepalive' | 'time-wait' | 'zero-window-probe';
  /** Until it fires, in ms (the kernel reports hundredths of a second). */
  expiresIn: number;
}

export interface InspectedSocket {
  fd: number;
  family: 4 | 6;
  local: SocketEndpoint;
  remote: SocketEndpoint;
  state: string;
  timer: SocketTimer;
  /** The keepalive options in force, or the error that kept them from being read. */
  keepAlive?: KeepAliveState;
  tcpInfo?: TcpInfo;
  error?: { code: string; message: string };
}

/** Which sockets to read; all of them when left out. Applied to the kernel's table, before any socket is read. */
export interface InspectFilter {
  /** A local or remote port. */
  port?: number | undefined;
  /** A TCP state as the kernel names it (`'ESTABLISHED'`, `'LISTEN'`, ...; any case). */
  state?: TcpState | Lowercase<TcpState> | undefined;
  /** The remote end: an address, or address and port (`'10.0.0.5'`, `'10.0.0.5:5432'`, `'[2001:db8::1]:443'`). */
  remote?: string | undefined;
}

/** Sockets of one state with the same keepalive settings, and how many have probes unanswered now. */
export interface InspectGroup {
  state: string;
  /** The settings in force; `enabled: false` for keepalive off (the user timeout still counts there); null where they could not be read. */
  keepAlive: KeepAliveState | { enabled: false; userTimeout: number } | null;
  sockets: number;
  /** Of those, how many have keepalive (or zero-window) probes unanswered at this moment. */
  withUnansweredProbes: number;
}

/** summarizeProcess's answer: the counts, largest group first. */
export interface InspectSummary {
  pid: number;
  sockets: number;
  groups: InspectGroup[];
}

const TIMERS: SocketTimer['kind'][] = ['none', 'retransmit', 'keepalive', 'time-wait', 'zero-window-probe'];
// USER_HZ: /proc/net/tcp reports timers in clock ticks of 1/100 s on Linux.
const MS_PER_TICK = 10;
const { EBADF } = constants.errno;
const STATES = ['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'];
const LITTLE_ENDIAN = endianness() === 'LE';

/** include/linux/threads.h PID_MAX_LIMIT on 64-bit: no pid (or thread id) is ever larger. */
export const PID_MAX_LIMIT = 4_194_304;

/**
 * Lists the TCP sockets of process `pid` with their keepalive options and live
 * TCP_INFO, in fd order. A thread id stands for its process. Sockets the process closes
 * while it is read are left out (or, where their fd number was reused
 * meanwhile, never reported under the new file). Needs ptrace permission over
 * the process (root, CAP_SYS_PTRACE, or its own user where
 * kernel.yama.ptrace_scope is 0) and Linux >= 5.6. For a process with very many
 * sockets, inspectSockets yields them a batch at a time instead.
 */
export function inspectProcess(pid: number, filter?: InspectFilter): InspectedSocket[] {
  return [...inspectSockets(pid, filter)];
}

/**
 * The same sockets as inspectProcess, one at a time, read a batch at a time:
 * a program can walk 100 000 of them in constant memory. Arguments are
 * checked at the call, before anything is read.
 */
export function inspectSockets(pid: number, filter?: InspectFilter): IterableIterator<InspectedSocket> {
  const target = checkArguments(pid, filter, 'inspectSockets');
  return rows(target.pid, target.filter);
}

/**
 * How many TCP sockets process `pid` holds, grouped by state and keepalive
 * settings in force, with how many of each have probes unanswered now: the
 * answer to "do all my connections have keepalive, with which values?"
 * without a row per socket.
 */
export function summarizeProcess(pid: number, filter?: InspectFilter): InspectSummary {
  const target = checkArguments(pid, filter, 'summarizeProcess');
  const groups = new Map<string, InspectGroup>();
  let sockets = 0;
  for (const { table, index, read } of reads(target.pid, target.filter)) {
    sockets++;
    const state = tcpStateName(table.state(index));
    let keepAlive: InspectGroup['keepAlive'] = null;
    if (read.kind === 'socket') {
      const k = read.keepAlive;
      keepAlive = k.enabled ? k : { enabled: false, userTimeout: k.userTimeout };
    }
    const key = `${state} ${keepAlive === null ? '?' : keepAlive.enabled ? `${keepAlive.idle}/${keepAlive.interval}/${keepAlive.count}/${keepAlive.userTimeout}` : `off/${keepAlive.userTimeout}`}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { state, keepAlive, sockets: 0, withUnansweredProbes: 0 }));
    group.sockets++;
    if (read.kind === 'socket' && read.tcpInfo.probes > 0) group.withUnansweredProbes++;
  }
  return { pid: target.pid, sockets, groups: [...groups.values()].sort((a, b) => b.sockets - a.sockets) };
}

/** What /proc/<id>/status says of a process or thread id. */
interface ProcessIdentity {
  /** The process (thread group) the id belongs to: the id itself, unless it is a thread's. */
  process: number;
  /** The id is a thread of `process`, not the process itself. */
  thread: boolean;
}

/**
 * The process behind a process or thread id. Throws ESRCH with a message for
 * an id no process or thread has, and for a zombie (a process that has exited
 * and holds nothing, though `ps` still lists it until its parent reaps it).
 */
export function processOf(pid: number): ProcessIdentity {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    throw processError(pid, error as NodeJS.ErrnoException, `/proc/${pid}/status`);
  }
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
  if (field('State').startsWith('Z')) {
    throw Object.assign(new Error(`process ${pid} has exited (a zombie its parent has not reaped yet): it holds no sockets`), { code: 'ESRCH' });
  }
  const tgid = Number(field('Tgid'));
  return Number.isInteger(tgid) && tgid > 0 && tgid !== pid ? { process: tgid, thread: true } : { process: pid, thread: false };
}

// --- arguments ------------------------------------------------------------

/** A filter as the table is checked against it. */
interface CompiledFilter {
  port: number;
  state: number;
  remote: Uint8Array | null;
  remoteFamily: 4 | 6 | 0;
  remotePort: number;
}

function checkArguments(pid: unknown, filter: unknown, caller: string): { pid: number; filter: CompiledFilter } {
  if (typeof pid !== 'number') throw invalidArgType('pid', 'of type number', pid);
  if (!(Number.isInteger(pid) && pid > 0 && pid <= PID_MAX_LIMIT)) {
    throw outOfRange('pid', `a process id: an integer from 1 to ${PID_MAX_LIMIT} (the kernel's limit)`, pid);
  }
  const compiled = compileFilter(filter);
  if (!addonLoaded || process.platform !== 'linux') throw unsupported(`inspecting another process (${caller})`);
  return { pid, filter: compiled };
}

const FILTER_KEYS = ['port', 'state', 'remote'];

function compileFilter(filter: unknown): CompiledFilter {
  const compiled: CompiledFilter = { port: -1, state: -1, remote: null, remoteFamily: 0, remotePort: -1 };
  if (filter === undefined) return compiled;
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) throw invalidArgType('filter', 'an object', filter);
  const given = filter as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!FILTER_KEYS.includes(key)) throw invalidArgValue(`filter.${key}`, `is not a filter (known: ${FILTER_KEYS.join(', ')})`, given[key]);
  }
  if (given.port !== undefined) compiled.port = port(given.port, 'filter.port');
  if (given.state !== undefined) {
    if (typeof given.state !== 'string') throw invalidArgType('filter.state', 'of type string', given.state);
    const state = STATES.indexOf(given.state.toUpperCase());
    if (state < 0) throw invalidArgValue('filter.state', `is not a TCP state (${STATES.join(', ')})`, given.state);
    compiled.state = state + 1; // tcpi_state numbers, from TCP_ESTABLISHED = 1
  }
  if (given.remote !== undefined) {
    if (typeof given.remote !== 'string') throw invalidArgType('filter.remote', 'of type string', given.remote);
    const parsed = parseRemote(given.remote);
    if (parsed === null) {
      throw invalidArgValue('filter.remote', 'must be an IPv4 or IPv6 address, with or without a port (10.0.0.5, 10.0.0.5:5432, [2001:db8::1]:443)', given.remote);
    }
    Object.assign(compiled, parsed);
  }
  return compiled;
}

function port(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(Number.isInteger(value) && value >= 0 && value <= 65535)) throw outOfRange(name, 'an integer from 0 to 65535', value);
  return value;
}

// Without node:net (which the command line would otherwise load for these two checks alone).
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const isIPv4 = (text: string): boolean => IPV4.test(text);
function isIPv6(text: string): boolean {
  if (!text.includes(':') || text.includes('[') || text.includes('%')) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

// "10.0.0.5", "10.0.0.5:5432", "2001:db8::1", "[2001:db8::1]:443": the address as bytes, and the port or -1.
function parseRemote(text: string): Pick<CompiledFilter, 'remote' | 'remoteFamily' | 'remotePort'> | null {
  let address = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) [, address, portText] = bracketed;
  else if (!isIPv6(text) && text.includes(':')) [address, portText] = [text.slice(0, text.lastIndexOf(':')), text.slice(text.lastIndexOf(':') + 1)];
  let remotePort = -1;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return null;
    remotePort = Number(portText);
  }
  if (isIPv4(address)) return { remote: Uint8Array.from(address.split('.').map(Number)), remoteFamily: 4, remotePort };
  if (!isIPv6(address)) return null;
  // The 16 bytes, from the URL parser's canonical text of the address.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head, tail = ''] = canonical.split('::');
  const hasGap = canonical.includes('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const [left, right] = [groups(head), groups(hasGap ? tail : '')];
  const all = hasGap ? [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right] : left;
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => ((bytes[2 * i] = group >> 8), (bytes[2 * i + 1] = group & 0xff)));
  return { remote: bytes, remoteFamily: 6, remotePort };
}

// --- the kernel's table ---------------------------------------------------

/**
 * The sockets of the kernel's table that passed the filter, as packed
 * records (TABLE_RECORD: the native table's own layout, so an unfiltered
 * table is the native buffer itself), with their inodes sorted for lookup:
 * about 70 bytes a socket, no object each.
 */
class Table {
  size = 0;
  private bytes: Uint8Array;
  private halves: Uint16Array;
  private words: Uint32Array;
  private sorted = new Float64Array(0);
  private order = new Int32Array(0);

  constructor(buffer: ArrayBuffer = new ArrayBuffer(64 * TABLE_RECORD.size), size = 0) {
    this.bytes = new Uint8Array(buffer);
    this.halves = new Uint16Array(buffer);
    this.words = new Uint32Array(buffer);
    this.size = size;
  }

  /** Room for one more record: its byte offset. */
  append(): number {
    if ((this.size + 1) * TABLE_RECORD.size > this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2);
      bigger.set(this.bytes);
      this.bytes = bigger;
      this.halves = new Uint16Array(bigger.buffer);
      this.words = new Uint32Array(bigger.buffer);
    }
    return this.size++ * TABLE_RECORD.size;
  }

  /** Writes the fields of the record at byte `at` (addresses from `addresses`: local at 0, remote at 16). */
  write(at: number, inode: number, family: 4 | 6, state: number, timer: number, expiresMs: number, local: number, remote: number, addresses: Uint8Array): void {
    const R = TABLE_RECORD;
    this.words[at / 4 + (LITTLE_ENDIAN ? 0 : 1)] = inode % 2 ** 32;
    this.words[at / 4 + (LITTLE_ENDIAN ? 1 : 0)] = Math.floor(inode / 2 ** 32);
    this.words[(at + R.expiresMs) / 4] = expiresMs;
    this.halves[(at + R.localPort) / 2] = local;
    this.halves[(at + R.remotePort) / 2] = remote;
    this.bytes[at + R.family] = family;
    this.bytes[at + R.state] = state;
    this.bytes[at + R.timer] = timer;
    this.bytes.set(addresses.subarray(0, 32), at + R.local);
  }

  /** Copies record `index` of `from` here. */
  copy(from: Table, index: number): void {
    this.append();
    this.bytes.set(from.bytes.subarray(index * TABLE_RECORD.size, (index + 1) * TABLE_RECORD.size), (this.size - 1) * TABLE_RECORD.size);
  }

  inode(index: number): number {
    const at = (index * TABLE_RECORD.size) / 4;
    return LITTLE_ENDIAN ? this.words[at] + this.words[at + 1] * 2 ** 32 : this.words[at + 1] + this.words[at] * 2 ** 32;
  }
  family(index: number): 4 | 6 {
    return this.bytes[index * TABLE_RECORD.size + TABLE_RECORD.family] as 4 | 6;
  }
  state(index: number): number {
    return this.bytes[index * TABLE_RECORD.size + TABLE_RECORD.state];
  }
  timer(index: number): number {
    return this.bytes[index * TABLE_RECORD.size + TABLE_RECORD.timer];
  }
  expires(index: number): number {
    return this.words[(index * TABLE_RECORD.size + TABLE_RECORD.expiresMs) / 4];
  }
  port(index: number, end: 'local' | 'remote'): number {
    return this.halves[(index * TABLE_RECORD.size + (end === 'local' ? TABLE_RECORD.localPort : TABLE_RECORD.remotePort)) / 2];
  }
  /** The records' bytes, for the filter. */
  raw(): Uint8Array {
    return this.bytes;
  }
  address(index: number, end: 'local' | 'remote'): string {
    const family = this.family(index);
    const at = index * TABLE_RECORD.size + (end === 'local' ? TABLE_RECORD.local : TABLE_RECORD.remote);
    const b = this.bytes;
    if (family === 4) return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
    return formatAddress(b.subarray(at, at + 16), 6);
  }

  /** The inodes, sorted, as the native call takes them; afterwards find() works. */
  inodes(): Float64Array {
    // Socket inodes are 32-bit (get_next_ino): inode and index in one number,
    // sorted by the typed array's own numeric sort, no comparator to call.
    const keys = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) keys[i] = this.inode(i) * 2 ** 21 + i;
    const exact = this.size < 2 ** 21 && keys.every((key) => key < 2 ** 53);
    if (!exact) return this.inodesByComparator();
    keys.sort();
    this.order = new Int32Array(this.size);
    this.sorted = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const index = keys[i] % 2 ** 21;
      this.order[i] = index;
      this.sorted[i] = (keys[i] - index) / 2 ** 21;
    }
    return this.sorted;
  }

  // The general case: an inode past 32 bits, or over two million sockets.
  private inodesByComparator(): Float64Array {
    const inodes = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) inodes[i] = this.inode(i);
    this.order = new Int32Array(this.size).map((_, i) => i).sort((a, b) => inodes[a] - inodes[b]);
    this.sorted = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) this.sorted[i] = inodes[this.order[i]];
    return this.sorted;
  }

  /** The record holding `inode`, or -1. */
  find(inode: number): number {
    let low = 0;
    let high = this.sorted.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = this.sorted[middle];
      if (value === inode) return this.order[middle];
      if (value < inode) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }
}

function readTable(pid: number, filter: CompiledFilter): Table {
  if (TABLE_SOURCE !== 'proc' && sameNetworkNamespace(pid)) return fromDiagnostics(filter);
  const table = new Table();
  const scratch = new Uint8Array(32);
  for (const [file, family] of [['tcp', 4], ['tcp6', 6]] as const) {
    const path = `/proc/${pid}/net/${file}`;
    try {
      eachLine(path, (line) => parseLine(line, family, table, filter, scratch));
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT' && file === 'tcp6') continue; // IPv6 off
      throw processError(pid, error as NodeJS.ErrnoException, path);
    }
  }
  return table;
}

// For measuring both sources (bench/inspect.mjs): TCP_KEEPALIVE_INSPECT_TABLE=proc reads /proc always.
const TABLE_SOURCE = process.env.TCP_KEEPALIVE_INSPECT_TABLE === 'proc' ? 'proc' : 'diag';

// sock_diag answers for our own network namespace: the target must share it.
function sameNetworkNamespace(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`) === readlinkSync('/proc/self/ns/net');
  } catch {
    return false;
  }
}

function fromDiagnostics(filter: CompiledFilter): Table {
  // The state filter goes to the kernel (a bit per state); the others apply here.
  const records = readTcpTable(filter.state >= 0 ? 1 << filter.state : 0xfff);
  const all = new Table(records, records.byteLength / TABLE_RECORD.size);
  if (filter.port < 0 && filter.remote === null && filter.remotePort < 0) return all;
  const kept = new Table();
  for (let i = 0; i < all.size; i++) {
    if (passes(filter, all.raw(), i * TABLE_RECORD.size + TABLE_RECORD.remote, all.family(i), all.port(i, 'local'), all.port(i, 'remote'))) kept.copy(all, i);
  }
  return kept;
}

/** The port and remote filters, on one socket's ports and remote address (at `base` of `addresses`). */
function passes(filter: CompiledFilter, addresses: Uint8Array, base: number, family: 4 | 6, local: number, remote: number): boolean {
  if (filter.port >= 0 && local !== filter.port && remote !== filter.port) return false;
  if (filter.remotePort >= 0 && remote !== filter.remotePort) return false;
  return filter.remote === null || sameAddress(addresses, base, family, filter);
}

// The file in 256 KiB chunks, a line at a time: a table of 100 000 sockets
// (15 MB of text) is never held whole.
function eachLine(path: string, onLine: (line: string) => void): void {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(256 * 1024);
    let rest = '';
    let first = true;
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) {
      const lines = (rest + chunk.toString('latin1', 0, read)).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (first) first = false; // the header
        else onLine(line);
      }
    }
    if (rest !== '' && !first) onLine(rest);
  } finally {
    closeSync(fd);
  }
}

// "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234567 ...":
// kept only if it passes the filter.
function parseLine(line: string, family: 4 | 6, table: Table, filter: CompiledFilter, scratch: Uint8Array): void {
  const columns = line.trim().split(/\s+/, 10);
  if (columns.length < 10) return;
  const state = parseInt(columns[3], 16);
  if (filter.state >= 0 && state !== filter.state) return;
  // Both addresses into the scratch space first: nothing is kept for a row the filter drops.
  const local = endpointBytes(columns[1], scratch, 0);
  const remote = endpointBytes(columns[2], scratch, 16);
  if (!passes(filter, scratch, 16, family, local, remote)) return;
  const inode = Number(columns[9]);
  // inode 0: a socket no longer attached to a file (closing); no fd can name it.
  if (inode === 0) return;
  const [timerKind, expires] = columns[5].split(':');
  table.write(table.append(), inode, family, state, parseInt(timerKind, 16), parseInt(expires, 16) * MS_PER_TICK, local, remote, scratch);
}

// "0100007F:1F90": the address's 32-bit words are in host order; written as
// network-order bytes at `base`; returns the port.
function endpointBytes(hex: string, into: Uint8Array, base: number): number {
  const colon = hex.indexOf(':');
  for (let word = 0; word * 8 < colon; word++) {
    for (let b = 0; b < 4; b++) {
      const value = parseInt(hex.substr(word * 8 + b * 2, 2), 16);
      into[base + word * 4 + (LITTLE_ENDIAN ? 3 - b : b)] = value;
    }
  }
  return parseInt(hex.slice(colon + 1), 16);
}

// The filter's address against a row's: the same family, or an IPv4 filter
// against the IPv4-mapped address of a dual-stack socket.
function sameAddress(addresses: Uint8Array, base: number, family: 4 | 6, filter: CompiledFilter): boolean {
  const wanted = filter.remote!;
  if (filter.remoteFamily === family) {
    for (let i = 0; i < wanted.length; i++) if (addresses[base + i] !== wanted[i]) return false;
    return true;
  }
  if (filter.remoteFamily === 4 && family === 6) {
    for (let i = 0; i < 10; i++) if (addresses[base + i] !== 0) return false;
    if (addresses[base + 10] !== 0xff || addresses[base + 11] !== 0xff) return false;
    for (let i = 0; i < 4; i++) if (addresses[base + 12 + i] !== wanted[i]) return false;
    return true;
  }
  return false;
}

// --- reading the sockets ----------------------------------------------------

type SocketRead = Extract<InspectedFd, { kind: 'socket' | 'failed' }>;

/** Every kept socket of the process that could be read, with what was read, a batch at a time, in fd order. */
function* reads(pid: number, filter: CompiledFilter): Generator<{ table: Table; index: number; fd: number; read: SocketRead }> {
  const { process: target } = processOf(pid);
  const table = readTable(target, filter);
  if (table.size === 0) return;
  const wanted = table.inodes();
  let fds: Int32Array;
  try {
    fds = listProcessFds(target);
  } catch (error) {
    throw processError(target, error as NodeJS.ErrnoException, `/proc/${target}/fd`);
  }
  for (let start = 0; start < fds.length; start += INSPECT_BATCH) {
    const count = Math.min(INSPECT_BATCH, fds.length - start);
    let results: InspectedFd[];
    try {
      results = inspectProcessFds(target, fds, start, count, wanted);
    } catch (error) {
      throw permissionError(target, error as Error & { code: string; syscall: string });
    }
    for (let i = 0; i < count; i++) {
      const read = results[i];
      if (read.kind === 'not-socket' || read.kind === 'not-wanted') continue;
      if (read.kind === 'failed') {
        // Closed since the listing: nothing to say of it.
        if (read.error.syscall === 'pidfd_getfd' && read.error.errno === -EBADF) continue;
        if (read.error.syscall !== 'getsockopt') throw permissionError(target, read.error);
      }
      const index = table.find(read.inode);
      if (index < 0) continue;
      yield { table, index, fd: fds[start + i], read };
    }
  }
}

function* rows(pid: number, filter: CompiledFilter): Generator<InspectedSocket> {
  for (const { table, index, fd, read } of reads(pid, filter)) {
    const socket: InspectedSocket = {
      fd,
      family: table.family(index),
      local: { address: table.address(index, 'local'), port: table.port(index, 'local') },
      remote: { address: table.address(index, 'remote'), port: table.port(index, 'remote') },
      state: tcpStateName(table.state(index)),
      timer: { kind: TIMERS[table.timer(index)] ?? 'none', expiresIn: table.expires(index) },
    };
    if (read.kind === 'socket') {
      socket.keepAlive = read.keepAlive;
      socket.tcpInfo = read.tcpInfo;
    } else {
      socket.error = { code: read.error.code, message: read.error.message };
    }
    yield socket;
  }
}

// --- errors ---------------------------------------------------------------

function processError(pid: number, error: NodeJS.ErrnoException, path: string): Error {
  if (error.code === 'ENOENT' || error.code === 'ESRCH') return Object.assign(new Error(`no process ${pid}`), { code: 'ESRCH', cause: error });
  if (error.code === 'EACCES' || error.code === 'EPERM') {
    return Object.assign(new Error(`no permission to read ${path}: ${PRIVILEGE}`), { code: error.code, cause: error });
  }
  return error;
}

const PRIVILEGE =
  'inspecting another process needs ptrace permission over it: run as root (or with CAP_SYS_PTRACE), ' +
  'or as its own user where kernel.yama.ptrace_scope is 0';

function permissionError(pid: number, error: Error & { code: string; syscall: string }): Error {
  if (error.code === 'EPERM' || error.code === 'EACCES') {
    return Object.assign(new Error(`${error.syscall} ${error.code}: no permission over process ${pid}: ${PRIVILEGE}`), { code: error.code, cause: error });
  }
  if (error.code === 'ESRCH') return Object.assign(new Error(`process ${pid} has exited`), { code: 'ESRCH', cause: error });
  if (error.code === 'ENOSYS') {
    return Object.assign(new Error(`${error.syscall} is not available: inspecting another process needs Linux 5.6 or later`), { code: 'ENOSYS', cause: error });
  }
  return error;
}
