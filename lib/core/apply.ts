// The path every set takes once its options are validated: setKeepAlive and
// the preload (which validates its options once, not per socket) share it.
import { Server, Socket } from 'node:net';
import { applyOnConnect } from './connecting.js';
import { setWithNode } from './fallback.js';
import { addonLoaded, setOptions } from './native.js';
import { merge, type KernelValues } from './options.js';
import { installGuard, pin, pinnedValues, pinsExist, stickyUnavailable, unpin } from './sticky.js';
import { HIDDEN, PENDING, notATarget, resolveFd } from './target.js';
import { connectionLostChannel, noteConfigured } from './watch.js';

/**
 * Applies `values` to a socket or server: natively (resolving the fd once, or
 * deferring to 'connect'), or through Node's own API without the addon; then
 * keeps the socket's pins up to date. Throws what the kernel refuses.
 */
export function applyToTarget(target: Socket | Server, values: KernelValues): void {
  if (target instanceof Server) {
    const fd = addonLoaded ? resolveFd(target) : HIDDEN;
    if (fd === HIDDEN) {
      setWithNode(target, values);
    } else {
      setOptions(fd, values);
      takeOverFromNode(target, values);
    }
    if (connectionLostChannel.hasSubscribers) noteConfigured(target);
    return;
  }
  // Before the pin lookups below, which take a socket.
  if (!(target instanceof Socket)) throw notATarget(target);
  // Until the first pin in this process, no socket can be pinned: skip the lookups.
  const pinned = pinsExist() ? pinnedValues(target) : undefined;
  const sticky = values.sticky === 1 || (values.sticky === -1 && pinned !== undefined);
  // Pins need Node's method wrapped: refuse before any change where it cannot be.
  if (sticky && !installGuard()) throw stickyUnavailable();
  const fd = addonLoaded ? resolveFd(target) : HIDDEN;
  if (fd === PENDING) applyOnConnect(target, sticky && values.sticky !== 1 ? { ...values, sticky: 1 } : values);
  else if (fd === HIDDEN) setWithNode(target, values);
  else setOptions(fd, values);
  if (sticky) pin(target, pinned === undefined ? values : merge(pinned, values), applyToTarget);
  else if (values.sticky === 0 && pinned !== undefined) unpin(target);
  if (connectionLostChannel.hasSubscribers) noteConfigured(target);
}

// net.createServer({ keepAlive: true }) makes Node call setKeepAlive(true,
// delay) on every accepted socket's handle (idle = delay, and libuv's interval
// 1 s and count 10: 4 syscalls), over what the socket inherited from the
// listener. Values set on the listener are the later call, so they win: that
// one handle call is skipped, and accepted sockets keep the listener's values
// at no syscall. Nothing public changes: server.keepAlive stays true, and Node
// still records keepalive as on for each accepted socket (so a repeat of the
// same socket.setKeepAlive is skipped by Node, as it would be).
const listenerValues = new WeakMap<object, KernelValues>();

interface ListenHandle {
  fd?: number;
  onconnection?: (this: unknown, error: number, client?: ClientHandle) => unknown;
}
interface ClientHandle {
  fd?: number;
  setKeepAlive?: (this: ClientHandle, ...args: unknown[]) => unknown;
}

function takeOverFromNode(server: Server, values: KernelValues): void {
  const handle = (server as unknown as { _handle?: ListenHandle | null })._handle;
  if (handle == null || typeof handle.onconnection !== 'function') return;
  const earlier = listenerValues.get(handle);
  listenerValues.set(handle, earlier === undefined ? values : merge(earlier, values));
  if (earlier !== undefined) return;
  const original = handle.onconnection;
  const options = server as unknown as { keepAlive?: boolean };
  handle.onconnection = function onconnection(this: unknown, error: number, client?: ClientHandle) {
    // Node reads server.keepAlive right after this, synchronously: same answer.
    if (options.keepAlive === true && client != null && typeof client.setKeepAlive === 'function') {
      const theirs = Object.prototype.hasOwnProperty.call(client, 'setKeepAlive') ? client.setKeepAlive : undefined;
      client.setKeepAlive = theirs === undefined ? skipNodesAcceptCall : chainAfter(theirs, handle);
    }
    return original.call(this, error, client);
  };
}

// Node's one accept-time call: nothing to do, the socket holds the listener's values.
function skipNodesAcceptCall(this: ClientHandle): number {
  delete this.setKeepAlive;
  return 0;
}

// Someone instrumented the handle's method before us (Node's own tests do):
// their function runs, then the listener's values go back on.
function chainAfter(theirs: NonNullable<ClientHandle['setKeepAlive']>, listener: ListenHandle) {
  return function setKeepAlive(this: ClientHandle, ...args: unknown[]): unknown {
    this.setKeepAlive = theirs;
    const result = theirs.apply(this, args);
    const values = listenerValues.get(listener);
    try {
      if (values !== undefined && typeof this.fd === 'number' && this.fd >= 0) setOptions(this.fd, values);
    } catch {
      // Inside Node's accept: a throw would take the process down. The socket keeps Node's values.
    }
    return result;
  };
}
