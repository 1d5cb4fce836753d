// Watching for lost connections: which sockets this library configured, and
// the one hook that sees a connection end while its fd is still open, with an
// error or after the peer's close (lib/kernel-view/connection-lost.ts decides
// what to say).
//
// Nothing is paid while nothing subscribes to the channel: the set paths
// check `hasSubscribers` (one property read) and the hooks are installed only
// once something subscribes and a socket is configured, or a subscriber asks
// to watch every socket. Installed, they cost a socket that ends normally a
// few checks: at end() (or at a destroy with no end() and no error) whether
// the peer had closed first, from Node's state or, where Node has not read
// the peer's FIN yet, the kernel's (one getsockopt: a client that hangs up
// on a server's goodbye message, as pg does on PgBouncer's, reads it before
// the FIN, which may not even have arrived), kept in a WeakSet; and at
// _destroy whether there was an error or the peer's close.
import diagnostics from 'node:diagnostics_channel';
import { Server, Socket } from 'node:net';
import { peerEnding } from './native.js';
import { replaceSocketMethod } from './socket-prototype.js';
import { innermostSocket } from './target.js';

/** The name programs and APM agents subscribe to (node:diagnostics_channel). */
export const CONNECTION_LOST = 'tcp-keepalive:connection-lost';
export const connectionLostChannel = diagnostics.channel(CONNECTION_LOST);

/**
 * What a lost connection is handed to: the socket Node is destroying, its
 * error (null where it had none), and whether the peer closed it first (its
 * FIN read before this side ended: the readable side ended, this side had not).
 */
export type LossReporter = (socket: Socket, error: Error | null, peerClosedFirst: boolean) => void;

// Sockets and listeners configured while something subscribed, by the
// innermost socket of each (a TLSSocket over a net.Socket is one connection).
const configured = new WeakSet<object>();
let reporter: LossReporter | undefined;
type Destroy = (this: Socket, error: Error | null, callback: (error?: Error | null) => void) => void;
let originalDestroy: Destroy | undefined;
type End = (this: Socket, ...args: unknown[]) => Socket;
let originalEnd: End | undefined;
// Sockets this side ended first, and those it ended after the peer's FIN had
// reached the kernel though Node had not read it yet.
const endedHere = new WeakSet<object>();
const endedAfterPeer = new WeakSet<object>();
type Readable = { _readableState?: { ended?: boolean }; _handle?: { fd?: number } | null };

/** At least this long without data from this side before a peer's close counts as its own, not the end of an exchange. */
export const IDLE_CLOSE_MS = 1000;

// The kernel's word, for a socket Node has not seen end: is the peer the one
// ending it? Its FIN is there (CLOSE_WAIT); or it spoke, unprompted, after
// this side had been silent a second, and this side is hanging up on that: a
// goodbye message whose FIN may still be on its way (PgBouncer and
// PostgreSQL say why before they close; a busy peer's FIN can lag its words).
function peerClosedUnread(socket: Socket): boolean {
  const fd = (socket as Readable)._handle?.fd;
  return typeof fd === 'number' && fd >= 0 && peerEnding(fd, IDLE_CLOSE_MS);
}

/** The set paths call this after a set while the channel has subscribers. */
export function noteConfigured(target: Socket | Server): void {
  configured.add(target instanceof Socket ? innermostSocket(target) : target);
  installDestroyHook();
}

/** Whether this library configured `socket`, or the listener that accepted it. */
export function wasConfigured(socket: Socket): boolean {
  for (let current: unknown = socket; current instanceof Socket; current = (current as { _parent?: unknown })._parent) {
    if (configured.has(current)) return true;
    const server = (current as { server?: object | null; _server?: object | null }).server ?? (current as { _server?: object | null })._server;
    if (server != null && configured.has(server)) return true;
  }
  return false;
}

/** Set once, by lib/kernel-view/connection-lost.ts, when it loads. */
export function setLossReporter(report: LossReporter): void {
  reporter = report;
}

/**
 * Wraps net.Socket.prototype._destroy once, where Node closes the fd: the
 * reporter runs first, while the kernel still holds the connection's state;
 * and net.Socket.prototype.end, to tell who closed first. False where they
 * cannot be wrapped (a frozen net.Socket.prototype).
 */
export function installDestroyHook(): boolean {
  originalDestroy ??= replaceSocketMethod('_destroy', watchedDestroy);
  originalEnd ??= replaceSocketMethod('end', watchedEnd);
  return originalDestroy !== undefined;
}

function watchedEnd(this: Socket, ...args: unknown[]): Socket {
  // Node's own end() after the peer's FIN (allowHalfOpen off) finds the readable side ended.
  if (connectionLostChannel.hasSubscribers && (this as Readable)._readableState?.ended !== true && !endedHere.has(this) && !endedAfterPeer.has(this)) {
    (peerClosedUnread(this) ? endedAfterPeer : endedHere).add(this);
  }
  return originalEnd!.apply(this, args);
}

function watchedDestroy(this: Socket, error: Error | null, callback: (error?: Error | null) => void): void {
  if (reporter !== undefined && connectionLostChannel.hasSubscribers) {
    // A socket that ends normally: these checks.
    let peerClosedFirst = endedAfterPeer.has(this);
    if (!peerClosedFirst && !endedHere.has(this)) {
      peerClosedFirst = (this as Readable)._readableState?.ended === true || (error == null && peerClosedUnread(this));
    }
    if (error != null || peerClosedFirst) reporter(this, error, peerClosedFirst);
    // A socket may connect again after 'close': its next connection starts unmarked.
    endedHere.delete(this);
    endedAfterPeer.delete(this);
  }
  originalDestroy!.call(this, error, callback);
}
