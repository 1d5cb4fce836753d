// The boundary with the native addon (src/binding.cc), whole: loading it, the
// arrays shared with it (the "slots") and how values cross them. Every other
// file calls the typed operations below and never sees a slot.
//
// Loading: a prebuilt binary from prebuilds/<platform>-<arch>/ or a local
// build from build/, whichever node-gyp-build finds first. On Linux a missing
// binary is an install problem and loading fails with a clear error;
// elsewhere (macOS, Windows, the BSDs: nothing prebuilt yet) the library runs
// on Node's own API instead (lib/core/fallback.ts) and `addonLoaded` is false.
//
// Crossing: each operation writes its inputs into the slots, makes one native
// call that does every syscall, and reads the outputs back from the slots.
// The hot calls take no arguments and return nothing: converting arguments
// and building results through N-API costs more than the margin the syscalls
// leave (measured in bench/).
import { join, sep } from 'node:path';
import { formatAddress } from './address.js';
import { systemError, unsupported, type KeepAliveSystemError } from './errors.js';
import type { KernelValues } from './options.js';

/** The keepalive settings in force on a socket, as the kernel reports them. Times in milliseconds. */
export interface KeepAliveState {
  /** SO_KEEPALIVE: whether probes are sent at all. */
  enabled: boolean;
  /** TCP_KEEPIDLE: silence before the first probe. */
  idle: number;
  /** TCP_KEEPINTVL: time between unanswered probes. */
  interval: number;
  /** TCP_KEEPCNT: unanswered probes before the connection is dropped. */
  count: number;
  /** TCP_USER_TIMEOUT: how long sent data may stay unacknowledged; 0 = system behaviour. */
  userTimeout: number;
}

/** A TCP state as the kernel names it (<netinet/tcp.h>). */
export type TcpState =
  | 'ESTABLISHED' | 'SYN_SENT' | 'SYN_RECV' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'TIME_WAIT'
  | 'CLOSE' | 'CLOSE_WAIT' | 'LAST_ACK' | 'LISTEN' | 'CLOSING';

/**
 * Live TCP state of a socket, from struct tcp_info. Times in milliseconds
 * (rtt, rttVariance and rto keep the kernel's microsecond precision as fractions).
 */
export interface TcpInfo {
  /** The connection's TCP state. */
  state: TcpState;
  /** Smoothed round-trip time. */
  rtt: number;
  /** Round-trip time variance (the kernel's mdev). */
  rttVariance: number;
  /** Current retransmission timeout. */
  rto: number;
  /** Keepalive (or zero-window) probes sent and not answered so far; 0 once the peer answers. */
  probes: number;
  /** Exponential backoff of the retransmission timer. */
  backoff: number;
  /** Retransmission timeouts of the oldest unacknowledged segment so far (data in flight). */
  retransmits: number;
  /** Retransmissions over the connection's life. */
  totalRetransmits: number;
  /** Segments sent and not yet acknowledged. */
  unacked: number;
  /** Segments the kernel considers lost. */
  lost: number;
  /** Time since data was last sent. */
  lastDataSent: number;
  /** Time since data was last received. */
  lastDataReceived: number;
  /** Time since an ACK was last received. */
  lastAckReceived: number;
}

/** What src/binding.cc exports. */
interface Binding {
  /** Applies every option slot >= 0 to the socket in the fd slot; 0 or a negative errno in the result slot. */
  set(): void;
  /** Fills the option slots from the kernel for the socket in the fd slot; result slot as for set(). */
  get(): void;
  /** Shared scratch space for the values of one call (see src/binding.cc). */
  slots: Int32Array;
  /** Slot index of each value. */
  layout: {
    idle: number;
    interval: number;
    count: number;
    userTimeout: number;
    enabled: number;
    failed: number;
    fd: number;
    result: number;
  };
  /** Kernel option names indexed by the number in the `failed` slot. */
  optionNames: string[];
  /** One getsockopt(TCP_INFO) on the socket in the fd slot into infoSlots; result slot as for set(). */
  info(): void;
  /** Fills the option, info and endpoint slots for the socket in the fd slot, as its connection ends; result slot as for set(). */
  snapshot(): void;
  /** Both ends of the connection of the last snapshot(): 20 bytes each, local first (see src/binding.cc). */
  endpointSlots: Uint8Array;
  /** This network namespace's TCP sockets in the given states, as packed 56-byte records (src/keepalive.h TableEntry), or a negative errno. */
  tcpTable(states: number): ArrayBuffer | number;
  /** Another process's open fds, ascending, or a negative errno. */
  listFds(pid: number): Int32Array | number;
  /** Where a runtime hides the descriptor (Deno): the fd holding the TCP socket with these addresses (remote null: a listener) and its inode, or a negative errno. */
  findFd(local: string, localPort: number, remote: string | null, remotePort: number, candidates: Int32Array, skip: Int32Array | null): [number, number] | number;
  /** The inode of the file behind fd, or a negative errno. */
  fdInode(fd: number): number;
  /** Every thread of this process under SCHED_IDLE but a watchdog (see runAtIdlePriority); the number changed, or a negative errno. */
  idlePriority(progressAfterMs: number, starvedMs: number, targetPid: number): number;
  /** The command writes to the terminal: the watchdog's progress line is cleared and not drawn again. */
  idleWatchQuiet(): void;
  /** The inspection is over: the progress line is cleared and the watchdog ends. */
  idleWatchStop(): void;
  /** Reads fds[start .. start + count - 1] of another process through one pidfd into batchSlots; 0 or a negative errno (pidfd_open). */
  inspectFds(pid: number, fds: Int32Array, start: number, count: number, wanted: Float64Array | null): number;
  /** inspectFds() results: per fd step, errno, inode (low, high), the five options, the TCP_INFO fields (src/keepalive.h InspectedFd). */
  batchSlots: Int32Array;
  /** Fds one inspectFds() call reads at most. */
  batchCapacity: number;
  /** TCP_INFO fields of the last info() or inspect(), in kernel units. */
  infoSlots: Uint32Array;
  /** Index of each TCP_INFO field in infoSlots. */
  infoLayout: {
    state: number;
    retransmits: number;
    probes: number;
    backoff: number;
    rtoUs: number;
    rttUs: number;
    rttVarUs: number;
    unacked: number;
    lost: number;
    totalRetrans: number;
    lastDataSentMs: number;
    lastDataRecvMs: number;
    lastAckRecvMs: number;
  };
  /** TCP state names indexed by tcpi_state, from the system header. */
  stateNames: string[];
  /** True when a policy here refuses socket options, so every set reads what it changes first (see src/keepalive.h). */
  restoresOnFailure: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild: (dir: string) => unknown = require('node-gyp-build');

/** Platforms whose prebuilds ship: a missing binary there is an error, not a reason to fall back. */
const NATIVE_PLATFORMS = new Set(['linux']);

function load(): Binding | null {
  // Only for the tests of the fallback path on Linux (test/core/fallback.test.ts).
  if (process.env.TCP_KEEPALIVE_FORCE_FALLBACK === '1') return null;
  // dist/core/native.js: the package is two folders up.
  const packageDir = join(__dirname, '..', '..');
  try {
    return nodeGypBuild(packageDir) as Binding;
  } catch (cause) {
    if (!NATIVE_PLATFORMS.has(process.platform)) return null;
    const target = `${process.platform}-${process.arch}`;
    // Installed as a dependency it sits in node_modules; anywhere else it is a
    // clone of the repository, which is built in place.
    const installed = packageDir.split(sep).includes('node_modules');
    const build = installed
      ? 'npm explore tcp-keepalive -- npm run build:native'
      : `npm run build (in ${packageDir}, the clone)`;
    throw Object.assign(
      new Error(
        `tcp-keepalive: no prebuilt binary for ${target} (Node ${process.version}) and no local build in ${packageDir}. ` +
          `Build it from source (needs python3, make and a C++ compiler) with: ${build}`,
        { cause },
      ),
      { code: 'ERR_TCP_KEEPALIVE_NO_BINARY' },
    );
  }
}

/** The addon itself, or null where it is not loaded: only for the tests and benchmarks of this boundary. */
export const rawBinding: Binding | null = load();

/** Whether the native addon is loaded (everywhere on Linux); without it only Node's own API is there. */
export const addonLoaded = rawBinding !== null;

// Where the addon is not loaded, a stand-in with the same slots whose calls
// throw ERR_TCP_KEEPALIVE_UNSUPPORTED. The public functions check
// addonLoaded first, so these throws are a backstop, never the path a caller
// normally meets; the hot path keeps no check of its own.
function standIn(): Binding {
  const refuse = (what: string) => (): never => {
    throw unsupported(what);
  };
  return {
    set: refuse('setting options natively'),
    get: refuse('reading keepalive values back'),
    info: refuse('reading TCP_INFO'),
    tcpTable: refuse('inspecting another process'),
    listFds: refuse('inspecting another process'),
    inspectFds: refuse('inspecting another process'),
    idlePriority: () => -38, // ENOSYS: nothing to lower
    findFd: () => -38,
    fdInode: () => -38,
    idleWatchQuiet: () => undefined,
    idleWatchStop: () => undefined,
    batchSlots: new Int32Array(22),
    batchCapacity: 1,
    snapshot: refuse('reading a lost connection'),
    endpointSlots: new Uint8Array(40),
    slots: new Int32Array(8),
    layout: { idle: 0, interval: 1, count: 2, userTimeout: 3, enabled: 4, failed: 5, fd: 6, result: 7 },
    optionNames: [],
    infoSlots: new Uint32Array(13),
    infoLayout: {
      state: 0, retransmits: 1, probes: 2, backoff: 3, rtoUs: 4, rttUs: 5, rttVarUs: 6,
      unacked: 7, lost: 8, totalRetrans: 9, lastDataSentMs: 10, lastDataRecvMs: 11, lastAckRecvMs: 12,
    },
    stateNames: [],
    restoresOnFailure: false,
  };
}

const addon = rawBinding ?? standIn();
const { slots, infoSlots, endpointSlots, batchSlots, optionNames, stateNames, infoLayout: F } = addon;
const { idle: IDLE, interval: INTERVAL, count: COUNT, userTimeout: USER_TIMEOUT, enabled: ENABLED } = addon.layout;
const { fd: FD, result: RESULT, failed: FAILED } = addon.layout;

// The one detached check. Other code can detach the shared arrays
// (structuredClone with transfer, ArrayBuffer.prototype.transfer): the
// addon's memory stays safe (it owns it), but a detached view reads as empty
// and writes go nowhere; the addon would find no fd (it clears the slot after
// each call). Refused here first, with a coded error.
function checkAttached(): void {
  if (slots.length === 0 || infoSlots.length === 0 || endpointSlots.length === 0 || batchSlots.length === 0) {
    throw Object.assign(
      new Error(
        "tcp-keepalive: the addon's shared arrays were detached by other code (transferred with structuredClone or " +
          'ArrayBuffer.prototype.transfer); no call can pass values to the addon any more in this thread',
      ),
      { code: 'ERR_TCP_KEEPALIVE_DETACHED' },
    );
  }
}

/** Sets every value >= 0 (kernel units) on the socket behind fd, or throws the kernel's refusal. */
export function setOptions(fd: number, values: KernelValues): void {
  slots[ENABLED] = values.enabled;
  slots[IDLE] = values.idleSeconds;
  slots[INTERVAL] = values.intervalSeconds;
  slots[COUNT] = values.count;
  slots[USER_TIMEOUT] = values.userTimeoutMs;
  slots[FD] = fd;
  checkAttached();
  addon.set();
  if (slots[RESULT] !== 0) throw systemError(slots[RESULT], 'setsockopt', optionNames[slots[FAILED]]);
}

/** Reads every option in force on the socket behind fd. */
export function readOptions(fd: number): KeepAliveState {
  slots[FD] = fd;
  checkAttached();
  addon.get();
  if (slots[RESULT] !== 0) throw systemError(slots[RESULT], 'getsockopt', optionNames[slots[FAILED]]);
  return optionsAt(slots, 0);
}

/** One getsockopt(TCP_INFO) on the socket behind fd. */
export function readTcpInfo(fd: number): TcpInfo {
  slots[FD] = fd;
  checkAttached();
  addon.info();
  if (slots[RESULT] !== 0) throw systemError(slots[RESULT], 'getsockopt', 'TCP_INFO');
  return tcpInfoAt(infoSlots, 0);
}

/**
 * What tells who is ending the connection behind fd, now (one
 * getsockopt(TCP_INFO), into the shared slots: nothing allocated): whether
 * the peer's FIN has arrived and this side has not closed (CLOSE_WAIT),
 * whatever Node has read so far; and whether the peer spoke last, within
 * `withinMs`, after this side had been silent at least that long. False for
 * both where it cannot be read.
 */
export function peerEnding(fd: number, withinMs: number): boolean {
  slots[FD] = fd;
  if (slots.length === 0 || infoSlots.length === 0) return false;
  addon.info();
  if (slots[RESULT] !== 0) return false;
  if (stateNames[infoSlots[F.state]] === 'CLOSE_WAIT') return true;
  const sent = infoSlots[F.lastDataSentMs] >>> 0;
  const received = infoSlots[F.lastDataRecvMs] >>> 0;
  return sent >= withinMs && received < withinMs && received < sent;
}

/**
 * One fd of another process, read from outside: a socket's inode, options
 * and TCP_INFO; or what it turned out to be (not a socket, or a socket whose
 * inode was not asked for); or the step that failed, as the error's syscall.
 */
export type InspectedFd =
  | { kind: 'socket'; inode: number; keepAlive: KeepAliveState; tcpInfo: TcpInfo; error?: undefined }
  | { kind: 'not-socket'; inode: number; error?: undefined }
  | { kind: 'not-wanted'; inode: number; error?: undefined }
  | { kind: 'failed'; inode: number; error: KeepAliveSystemError };

/**
 * Every TCP socket of this process's network namespace in one of `states` (a
 * bit per tcpi_state) that a file holds, from the kernel's socket
 * diagnostics (sock_diag, as `ss` reads them), in one native call: packed
 * 56-byte records (TABLE_RECORD). Throws (syscall 'sock_diag') where the
 * kernel refuses.
 */
export function readTcpTable(states: number): ArrayBuffer {
  const table = addon.tcpTable(states);
  if (typeof table === 'number') throw systemError(table, 'sock_diag', 'TCP sockets');
  return table;
}

/** Where each field of a readTcpTable record is, in bytes (src/keepalive.h TableEntry, host byte order but for addresses and nothing else). */
export const TABLE_RECORD = { size: 56, inode: 0, expiresMs: 8, localPort: 12, remotePort: 14, family: 16, state: 17, timer: 18, local: 20, remote: 36 } as const;

/**
 * The open fds of process `pid` (from /proc/<pid>/fd, one native call),
 * ascending. Throws (syscall 'readdir') where the directory cannot be read.
 */
export function listProcessFds(pid: number): Int32Array {
  const fds = addon.listFds(pid);
  if (typeof fds === 'number') throw systemError(fds, 'readdir', `/proc/${pid}/fd`);
  return fds;
}

/**
 * Where a runtime hides a socket's descriptor (Deno): the fd of this process
 * holding the TCP socket with these addresses (remote null: a listener), with
 * the inode that names it; null where none does. Asked first of the
 * `candidates` (in order), then, where `skip` is given, of every fd in
 * /proc/self/fd but those in `skip` (sorted: fds known to be other sockets').
 */
export function findSocketFd(
  local: string,
  localPort: number,
  remote: string | null,
  remotePort: number,
  candidates: Int32Array,
  skip: Int32Array | null,
): { fd: number; inode: number } | null {
  const found = addon.findFd(local, localPort, remote, remotePort, candidates, skip);
  return typeof found === 'number' ? null : { fd: found[0], inode: found[1] };
}

/** The inode of the file behind fd now, or -1 where it cannot be read (closed). */
export function fdInode(fd: number): number {
  const inode = addon.fdInode(fd);
  return inode < 0 ? -1 : inode;
}

/** What runAtIdlePriority's watchdog is told while the command runs. */
export interface IdleWatch {
  /** The command writes to the terminal now: the progress line is cleared and not drawn again. */
  quiet(): void;
  /** The work is done: the progress line is cleared and the watchdog ends. */
  stop(): void;
}

/**
 * Puts this process under SCHED_IDLE (Linux; null elsewhere, or where the
 * kernel refused): the CLI's inspect, so that the process it reads (`targetPid`),
 * left at its own priority, never waits for a CPU behind it (bench/inspect.mjs).
 * A watchdog thread stays at the process's own priority: where stderr is a
 * terminal it draws a progress line after `progressAfterMs`, and once the
 * process has waited `starvedMs` in all for a CPU (every CPU busy: idle
 * threads then get almost none) it moves the process back to its own
 * priority and says so once on stderr (src/idle_watch_linux.cc).
 */
export function runAtIdlePriority(options: { progressAfterMs: number; starvedMs: number; targetPid: number }): IdleWatch | null {
  const changed = addon.idlePriority(options.progressAfterMs, options.starvedMs, options.targetPid);
  if (changed <= 0) {
    addon.idleWatchStop();
    return null;
  }
  return { quiet: () => addon.idleWatchQuiet(), stop: () => addon.idleWatchStop() };
}

/** How many fds inspectProcessFds reads in one native call. */
export const INSPECT_BATCH = addon.batchCapacity;

// src/keepalive.h InspectStep, and where each field of an InspectedFd is.
const STEP_DONE = 0;
const STEP_NOT_SOCKET = 3;
const STEP_NOT_WANTED = 4;
const STEP_NAMES = ['', 'pidfd_getfd', 'statx', '', '', 'getsockopt'];
const STRIDE = 4 + 5 + 13;

/**
 * Reads fds `start` .. `start + count - 1` (count <= INSPECT_BATCH) of process
 * `pid` from outside, through one pidfd: each one's inode (from the copy
 * itself, so a number reused since the listing is read as the file it now
 * is), and for sockets whose inode is in `wanted` (sorted; null for every
 * socket) the options and TCP_INFO. A failed step is the error's syscall
 * (`pidfd_getfd` with EBADF: closed since it was listed). Throws where the
 * process cannot be opened (syscall 'pidfd_open').
 */
export function inspectProcessFds(pid: number, fds: Int32Array, start: number, count: number, wanted: Float64Array | null): InspectedFd[] {
  checkAttached();
  const result = addon.inspectFds(pid, fds, start, count, wanted);
  if (result !== 0) throw systemError(result, 'pidfd_open', 'TCP socket');
  const read: InspectedFd[] = new Array(count);
  for (let i = 0, at = 0; i < count; i++, at += STRIDE) {
    const step = batchSlots[at];
    const inode = (batchSlots[at + 2] >>> 0) + (batchSlots[at + 3] >>> 0) * 2 ** 32;
    if (step === STEP_DONE) read[i] = { kind: 'socket', inode, keepAlive: optionsAt(batchSlots, at + 4), tcpInfo: tcpInfoAt(batchSlots, at + 9) };
    else if (step === STEP_NOT_SOCKET) read[i] = { kind: 'not-socket', inode };
    else if (step === STEP_NOT_WANTED) read[i] = { kind: 'not-wanted', inode };
    else read[i] = { kind: 'failed', inode, error: systemError(batchSlots[at + 1], STEP_NAMES[step], 'TCP socket') };
  }
  return read;
}

/** One end of a connection. */
export interface Endpoint {
  address: string;
  port: number;
  family: 4 | 6;
}

/** What the kernel still holds of a socket whose connection it ended. */
export interface Snapshot {
  keepAlive: KeepAliveState;
  tcpInfo: TcpInfo;
  local: Endpoint | undefined;
  remote: Endpoint | undefined;
}

/**
 * Every option, TCP_INFO and both endpoints of the socket behind fd, in one
 * native call: made as a connection ends with an error, before Node closes
 * the fd (afterwards the kernel has nothing to say). Throws what the kernel
 * refuses (syscall 'getsockopt').
 */
export function readSnapshot(fd: number): Snapshot {
  slots[FD] = fd;
  checkAttached();
  addon.snapshot();
  if (slots[RESULT] !== 0) throw systemError(slots[RESULT], 'getsockopt', 'snapshot');
  return { keepAlive: optionsAt(slots, 0), tcpInfo: tcpInfoAt(infoSlots, 0), local: endpointFromSlots(0), remote: endpointFromSlots(ENDPOINT_BYTES) };
}

// src/binding.cc kEndpointBytes: family, 0, port (big-endian), 16 address bytes.
const ENDPOINT_BYTES = 20;

function endpointFromSlots(offset: number): Endpoint | undefined {
  const family = endpointSlots[offset];
  if (family !== 4 && family !== 6) return undefined;
  const address = endpointSlots.subarray(offset + 4, offset + 4 + (family === 4 ? 4 : 16));
  return { address: formatAddress(address, family), port: (endpointSlots[offset + 2] << 8) | endpointSlots[offset + 3], family };
}

/** The name of a tcpi_state number (as /proc/net/tcp lists it too), or the number in hex where it has none. */
export function tcpStateName(state: number): string {
  return stateNames[state] || state.toString(16).toUpperCase().padStart(2, '0');
}

// The one place slots turn into values: the shared slots (base 0), or one
// socket's entry in the inspect batch (the same order, src/keepalive.h).
function optionsAt(values: Int32Array, base: number): KeepAliveState {
  return {
    enabled: values[base + ENABLED] !== 0,
    idle: values[base + IDLE] * 1000,
    interval: values[base + INTERVAL] * 1000,
    count: values[base + COUNT],
    userTimeout: values[base + USER_TIMEOUT],
  };
}

// TCP_INFO fields are unsigned: `>>> 0` reads them right from either array.
function tcpInfoAt(info: Uint32Array | Int32Array, base: number): TcpInfo {
  const state = info[base + F.state] >>> 0;
  return {
    state: (stateNames[state] || `UNKNOWN(${state})`) as TcpState,
    rtt: (info[base + F.rttUs] >>> 0) / 1000,
    rttVariance: (info[base + F.rttVarUs] >>> 0) / 1000,
    rto: (info[base + F.rtoUs] >>> 0) / 1000,
    probes: info[base + F.probes] >>> 0,
    backoff: info[base + F.backoff] >>> 0,
    retransmits: info[base + F.retransmits] >>> 0,
    totalRetransmits: info[base + F.totalRetrans] >>> 0,
    unacked: info[base + F.unacked] >>> 0,
    lost: info[base + F.lost] >>> 0,
    lastDataSent: info[base + F.lastDataSentMs] >>> 0,
    lastDataReceived: info[base + F.lastDataRecvMs] >>> 0,
    lastAckReceived: info[base + F.lastAckRecvMs] >>> 0,
  };
}
