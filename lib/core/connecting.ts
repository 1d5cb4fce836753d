// Options for a socket that is still connecting are kept here and applied when
// it connects: the fd it has now may be dropped (autoSelectFamily tries the
// next address on a new fd), and Node re-applies its own stored keepalive in
// afterConnect, just before 'connect', overwriting anything set earlier.
import type { Socket } from 'node:net';
import { nodeKeepAlive, sameNodeKeepAlive } from './node-state.js';
import { setOptions } from './native.js';
import { merge, type KernelValues } from './options.js';
import { setWithNode } from './fallback.js';
import { HIDDEN, resolveFd } from './target.js';

interface Deferred {
  values: KernelValues;
  /**
   * Node's own keepalive state on the socket when our last call was made;
   * null for pinned values, which the sticky guard already puts back after
   * each of Node's calls (lib/core/sticky.ts), so there is nothing to compare.
   */
  nodeState: unknown[] | null;
}

// At most one entry, one 'connect' and one 'close' listener per socket,
// however many calls are made before it connects.
const deferred = new WeakMap<Socket, Deferred>();

/** Queues values for `socket`, merged with any queued earlier, to apply on 'connect'. */
export function applyOnConnect(socket: Socket, values: KernelValues): void {
  const earlier = deferred.get(socket);
  const merged = earlier ? merge(earlier.values, values) : values;
  deferred.set(socket, { values: merged, nodeState: merged.sticky === 1 ? null : nodeKeepAlive(socket) });
  if (earlier) return;
  // First among the 'connect' listeners, so the values are in force in the
  // caller's own connect callback (and before 'secureConnect' for TLS).
  // Plain listeners that remove each other, not once(): no wrapper to
  // allocate on a path every connection of the preload takes.
  socket.prependListener('connect', onConnect);
  socket.on('close', onClose);
}

function onConnect(this: Socket): void {
  this.removeListener('connect', onConnect);
  this.removeListener('close', onClose);
  const entry = deferred.get(this);
  if (entry === undefined) return;
  deferred.delete(this);

  let values = entry.values;
  if (entry.nodeState !== null && !sameNodeKeepAlive(nodeKeepAlive(this), entry.nodeState)) {
    // Node's socket.setKeepAlive ran after our last call and changed Node's
    // setting: the later call wins, as on a connected socket. Node never sets
    // the user timeout, and pinned values (sticky) outlast Node's calls.
    values = { ...values, enabled: -1 };
    if (values.sticky !== 1) values = { ...values, idleSeconds: -1, intervalSeconds: -1, count: -1 };
  }
  try {
    const fd = resolveFd(this);
    if (fd === HIDDEN) setWithNode(this, values);
    else setOptions(fd, values);
  } catch (error) {
    // Closed on its way: an aborted tls.connect still emits 'connect' on a
    // closed handle. Nothing to set, and nothing to say (Node says nothing).
    if ((error as { code?: unknown }).code === 'ERR_SOCKET_CLOSED') return;
    // No caller to throw to, and a keepalive setting must never take down a
    // working connection: tell the process instead.
    const reason = error as Error & { code?: string };
    reason.message = `tcp-keepalive: keepalive options could not be applied when the socket connected: ${reason.message}`;
    process.emitWarning(reason);
  }
}

function onClose(this: Socket): void {
  // A 'close' handler that ran before this one connected the socket again (a
  // retry loop on one object): the entry and these listeners are the new
  // connection's now.
  if (this.connecting) return;
  this.removeListener('close', onClose);
  this.removeListener('connect', onConnect);
  deferred.delete(this);
}
