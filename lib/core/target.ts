// Finds the file descriptor behind a socket or server, without a syscall.
// Node keeps it on the libuv handle (`_handle.fd`); TLS sockets wrap the TCP
// handle and expose the same fd.
import { Server, Socket } from 'node:net';
import { invalidArgType, invalidArgValue, socketError } from './errors.js';

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
      const fd = handle.fd ?? -1;
      return fd >= 0 ? fd : closed();
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
    return handle.fd ?? closed();
  }
  throw notATarget(target);
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
