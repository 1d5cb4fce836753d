// Finds the file descriptor behind a socket or server, without a syscall.
// Node keeps it on the libuv handle (`_handle.fd`); TLS sockets wrap the TCP
// handle and expose the same fd. Deno 2's node:net keeps it to itself: there
// it is found by the socket's addresses (below), at a cost.
import { Server, Socket } from 'node:net';
import { invalidArgType, invalidArgValue, socketError } from './errors.js';
import { fdInode, findSocketFd, listProcessFds } from './native.js';

/** What Node's internal handle objects look like to us. */
interface Handle {
  fd?: number;
  _parent?: Handle;
}

/**
 * A socket whose fd is not the one it will have when connected: `connect()`
 * not called yet, the host still being resolved, or an address attempt in
 * flight that Node may abandon for the next address (autoSelectFamily).
 */
export const PENDING = -1;

/** A socket whose runtime hides its descriptor, where none of this process's could be found for it: the runtime's own API is all there is. */
export const HIDDEN = -2;

/** What cannot be done through the runtime's own API, for a socket whose descriptor is hidden and was not found. */
export function hiddenUnsupported(what: string): Error {
  return Object.assign(
    new Error(
      `tcp-keepalive: ${what} is not possible on this socket: its runtime hides its descriptor and none of this process's has its addresses ` +
        "(the runtime's own setKeepAlive is all there is for it; see capabilities.descriptor)",
    ),
    { code: 'ERR_TCP_KEEPALIVE_UNSUPPORTED' },
  );
}

/** The fd found for a socket whose runtime hides it, if one was and still names the same socket (the lost-connection report, in state CLOSE). */
export function knownFd(target: object): number | undefined {
  const known = located.get(target);
  return known !== undefined && fdInode(known.fd) === known.inode ? known.fd : undefined;
}

type Target = Socket | Server;

/** The name the public functions give their first argument in errors. */
const TARGET = 'target';

/**
 * Returns the target's fd, or PENDING for a socket that will get its final fd
 * on 'connect'. Throws for anything that has no TCP socket behind it.
 */
export function resolveFd(target: unknown): number {
  if (target instanceof Socket) {
    const handle = (target as unknown as { _handle: Handle | null })._handle;
    if (handle != null) {
      checkTcp(handle, target);
      if (target.connecting) return PENDING;
      const fd = handle.fd;
      if (fd !== undefined) return fd >= 0 ? fd : closed();
      return IS_DENO ? hiddenFd(target) : closed();
    }
    // Node drops the handle when it destroys a socket, and when it sends the
    // handle to another process (child.send('socket', s)); only a socket that
    // never had one will still connect.
    return target.destroyed || hadHandle(target) ? closed() : PENDING;
  }
  if (target instanceof Server) {
    const handle = (target as unknown as { _handle: Handle | null })._handle;
    if (handle == null) notRunning();
    checkTcp(handle, target);
    const fd = handle.fd;
    if (fd !== undefined) return fd;
    return IS_DENO ? hiddenFd(target) : closed();
  }
  throw notATarget(target);
}

// Deno 2 (https://deno.com): node:net's handles (TCPWrap) have no fd. The
// socket's descriptor is found in this process's own table by its addresses
// (local and remote address and port, or the listening address), the first
// time, and cached with its inode; each later use confirms the inode first,
// so a number the runtime closed and reused for another file is never
// touched. The search asks first where a new socket most likely is (the
// kernel gives it the lowest free number: those freed by sockets found
// before, the numbers that were free at the last look at the whole table,
// then the few past the highest), then every fd of the process but those of
// the sockets found so far (and looks at the whole table again for next time).
/** Whether this runtime is Deno (its node:net handles hide the descriptor). */
export const IS_DENO = typeof (globalThis as { Deno?: unknown }).Deno === 'object';
const located = new WeakMap<object, { fd: number; inode: number }>();
const foundFds = new Set<number>();
const freedFds = new Set<number>();
let highestFd = -1;
// The numbers free at the last look at the whole table, ascending (holes under its highest).
let holes: number[] = [];
// How many of each kind of likely number are asked first.
const AHEAD = 16;
const HOLES_ASKED = 16;
const FREED_ASKED = 64;
const FREED_KEPT = 256;

function hiddenFd(target: Target): number {
  const known = located.get(target);
  if (known !== undefined) {
    if (fdInode(known.fd) === known.inode) return known.fd;
    located.delete(target);
    foundFds.delete(known.fd);
  }
  let local: string | undefined;
  let localPort: number | undefined;
  let remote: string | null = null;
  let remotePort = 0;
  if (target instanceof Server) {
    const address = target.address();
    if (typeof address === 'object' && address !== null) [local, localPort] = [address.address, address.port];
  } else {
    [local, localPort, remote, remotePort] = [target.localAddress, target.localPort, target.remoteAddress ?? null, target.remotePort ?? 0];
    if (remote === null) return target.destroyed ? closed() : HIDDEN;
  }
  if (local === undefined || localPort === undefined) return HIDDEN;
  const likely: number[] = [...freedFds].sort((a, b) => a - b).slice(0, FREED_ASKED);
  for (let i = 0, asked = 0; i < holes.length && asked < HOLES_ASKED; i++) {
    if (!foundFds.has(holes[i]) && !freedFds.has(holes[i])) likely.push(holes[i]), asked++;
  }
  for (let fd = highestFd + 1; fd <= highestFd + AHEAD; fd++) likely.push(fd);
  const found = findSocketFd(local, localPort, remote, remotePort, Int32Array.from(likely), null) ?? searchAll(local, localPort, remote, remotePort);
  if (found === null) return HIDDEN;
  located.set(target, found);
  foundFds.add(found.fd);
  freedFds.delete(found.fd);
  if (found.fd > highestFd) highestFd = found.fd;
  target.once('close', () => {
    if (located.get(target)?.fd !== found.fd) return;
    foundFds.delete(found.fd);
    // Bounded: numbers another file took since are asked in vain, a few at a time.
    if (freedFds.size < FREED_KEPT) freedFds.add(found.fd);
  });
  return found.fd;
}

const NOTHING = new Int32Array(0);

// Every fd of the process but those of the sockets found so far; then, in
// case one of those numbers was closed and reused for this socket since, every
// fd. The numbers free now are where the next sockets will go.
function searchAll(local: string, localPort: number, remote: string | null, remotePort: number): { fd: number; inode: number } | null {
  const skip = Int32Array.from([...foundFds].sort((a, b) => a - b));
  const found = findSocketFd(local, localPort, remote, remotePort, NOTHING, skip) ?? (skip.length > 0 ? findSocketFd(local, localPort, remote, remotePort, NOTHING, NOTHING) : null);
  const open = listProcessFds(process.pid);
  // The listing's own directory took the lowest free number and gave it back:
  // the last of the unbroken run from 0, the first place the next socket goes.
  let run = 0;
  while (run < open.length && open[run] === run) run++;
  holes = run > 0 ? [run - 1] : [];
  for (let i = run, fd = run; i < open.length; i++, fd++) for (; fd < open[i]; fd++) holes.push(fd);
  return found;
}

/**
 * The same checks without the fd, for where there is none to use (no addon:
 * Windows has no usable fd). Node's own API then takes the socket as it is.
 */
export function checkTarget(target: unknown): void {
  if (!(target instanceof Socket) && !(target instanceof Server)) throw notATarget(target);
  const handle = (target as unknown as { _handle: Handle | null })._handle;
  if (handle != null) return checkTcp(handle, target);
  if (target instanceof Server) notRunning();
  if (target.destroyed) closed();
}

/**
 * One connection can have two JavaScript objects: a TLSSocket wrapped around a
 * net.Socket (tls.connect({ socket }) through a CONNECT proxy, STARTTLS, and
 * every tls.Server connection) keeps it as `_parent`, and Node's calls on
 * either reach the same fd. What belongs to the connection is kept under the
 * innermost one.
 */
export function innermostSocket(socket: Socket): Socket {
  let inner = socket;
  for (let parent = (inner as { _parent?: unknown })._parent; parent instanceof Socket; parent = (inner as { _parent?: unknown })._parent) inner = parent;
  return inner;
}

/** The error for a target that is not a socket or server at all. */
export function notATarget(target: unknown): TypeError {
  return invalidArgType(TARGET, 'an instance of net.Socket, tls.TLSSocket or net.Server', target);
}

function notRunning(): never {
  throw socketError('ERR_SERVER_NOT_RUNNING', 'Server is not running.');
}

function closed(): never {
  throw socketError('ERR_SOCKET_CLOSED', 'Socket is closed');
}

// Node gives a socket an async id when it first gets a handle and keeps -1
// until then (lib/net.js initSocketHandle); read only on this rare path.
function hadHandle(socket: Socket): boolean {
  const symbols = Object.getOwnPropertySymbols(socket);
  const asyncId = symbols.find((symbol) => symbol.description === 'async_id_symbol');
  if (asyncId === undefined) return false;
  const id = (socket as unknown as Record<symbol, unknown>)[asyncId];
  return typeof id === 'number' && id >= 0;
}

// Bun's net (https://bun.sh) gives TCP sockets, Unix domain sockets and
// listeners plain-object handles with a real fd; there the addresses tell TCP
// apart (a TCP socket has a port, a pipe has a path). Node keeps its class check.
const IS_BUN = typeof (process.versions as { bun?: unknown }).bun === 'string';

function bunTcp(target: Target): boolean {
  if (target instanceof Server) {
    const address = target.address();
    return typeof address === 'object' && address !== null && typeof address.port === 'number';
  }
  // Still connecting: checked again when the deferred options apply on 'connect'.
  return target.connecting || typeof target.localPort === 'number';
}

// Node's TCP handle class, learned from the first handle named 'TCP' so that
// later checks compare identity instead of reading the native class name.
let tcpClass: unknown;

// The innermost handle is libuv's: `TCP` for TCP, `Pipe` for Unix domain
// sockets and named pipes, something else for TLS over a JavaScript stream.
function checkTcp(handle: Handle, target: Target): void {
  if (handle.constructor === tcpClass) return;
  let inner = handle;
  while (inner._parent) inner = inner._parent;
  const kind = inner.constructor?.name;
  if (kind === 'TCP' && inner === handle) tcpClass = handle.constructor;
  if (kind === 'TCPWrap' && IS_DENO) return;
  if (kind !== 'TCP' && !(IS_BUN && bunTcp(target))) throw notTcp(kind, target);
}

function notTcp(kind: string | undefined, target: Target): TypeError {
  let what: string;
  if (kind === 'Pipe') {
    what = 'it is a Unix domain socket (pipe)';
  } else if (IS_BUN) {
    what = 'it has no TCP port (under Bun: a Unix domain socket, or not a TCP socket at all)';
  } else if (kind === 'Object' && target instanceof Server) {
    // cluster's round-robin mode gives each worker a stand-in object; the
    // listening socket lives in the primary, inside cluster.
    what =
      "it is a cluster worker's stand-in for the primary's listening socket (round-robin). " +
      "Set keepalive per connection in the 'connection' handler, or use the tcp-keepalive/register preload";
  } else {
    what = `it is a ${String(kind)} handle, not TCP`;
  }
  return invalidArgValue(TARGET, `must be a TCP socket or server; ${what}`, target.constructor.name);
}
