// Watching for lost connections: which sockets this library configured, and
// the one hook that sees a connection end with an error while its fd is
// still open (lib/kernel-view/connection-lost.ts decides what to say).
//
// Nothing is paid while nothing subscribes to the channel: the set paths
// check `hasSubscribers` (one property read) and the hook is installed only
// once something subscribes and a socket is configured, or a subscriber asks
// to watch every socket. Installed, it costs a socket that ends normally one
// check (no error, nothing to do).
import diagnostics from 'node:diagnostics_channel';
import { Server, Socket } from 'node:net';
import { replaceSocketMethod } from './socket-prototype.js';
import { innermostSocket } from './target.js';

/** The name programs and APM agents subscribe to (node:diagnostics_channel). */
export const CONNECTION_LOST = 'tcp-keepalive:connection-lost';
export const connectionLostChannel = diagnostics.channel(CONNECTION_LOST);

/** What a lost connection is handed to: the socket Node is destroying, and its error. */
export type LossReporter = (socket: Socket, error: Error) => void;

// Sockets and listeners configured while something subscribed, by the
// innermost socket of each (a TLSSocket over a net.Socket is one connection).
const configured = new WeakSet<object>();
let reporter: LossReporter | undefined;
type Destroy = (this: Socket, error: Error | null, callback: (error?: Error | null) => void) => void;
let originalDestroy: Destroy | undefined;

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
 * reporter runs first, while the kernel still holds the connection's state.
 * False where it cannot be wrapped (a frozen net.Socket.prototype).
 */
export function installDestroyHook(): boolean {
  originalDestroy ??= replaceSocketMethod('_destroy', watchedDestroy);
  return originalDestroy !== undefined;
}

function watchedDestroy(this: Socket, error: Error | null, callback: (error?: Error | null) => void): void {
  // A socket that ends normally: this one check.
  if (error != null && reporter !== undefined) reporter(this, error);
  originalDestroy!.call(this, error, callback);
}
