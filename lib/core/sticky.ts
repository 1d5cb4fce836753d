// Sticky settings: values this library set stay in force when Node's own
// socket.setKeepAlive touches the socket later (libuv then resets interval to
// 1 s and count to 10; http.Agent, undici and drivers all call it).
//
// Node offers no hook for its own calls, so the first pin wraps
// net.Socket.prototype.setKeepAlive once: Node's method runs as always, then
// the pinned values of that socket (if any) are put back. Sockets that are not
// pinned pay one WeakMap lookup per call (measured in bench/).
import { Socket } from 'node:net';
import type { KernelValues } from './options.js';
import { replaceSocketMethod } from './socket-prototype.js';
import { innermostSocket } from './target.js';

type NodeSetKeepAlive = (this: Socket, enable?: unknown, initialDelay?: unknown, interval?: unknown, count?: unknown) => Socket;

/**
 * What a pinned connection gets back after each of Node's calls, by its TCP
 * socket (innermostSocket, lib/core/target.ts); `null`: unpinned on purpose, whatever its listener says.
 */
const pins = new WeakMap<Socket, KernelValues | null>();
/**
 * Pins every socket a listener accepts, without an entry per socket: the
 * preload sets a listener once and its sockets inherit the values, so an
 * accept costs it no syscall and no write here either.
 */
const listenerPins = new WeakMap<object, KernelValues>();

let original: NodeSetKeepAlive | undefined;
// How pinned values go back on: the library's own set path (lib/core/apply.ts),
// handed over by the first pin.
let setPinned: (socket: Socket, values: KernelValues) => void = () => {};

/** Node's own socket.setKeepAlive, never the guard: for the fallback path, which must not re-enter it. */
export function nodeSetKeepAlive(socket: Socket, ...args: unknown[]): Socket {
  const method = original ?? (Socket.prototype as unknown as { setKeepAlive: NodeSetKeepAlive }).setKeepAlive;
  return method.call(socket, ...(args as [unknown, unknown, unknown, unknown]));
}

/**
 * Wraps Node's method once; false where it cannot be replaced (a frozen
 * net.Socket.prototype). A second copy of this package wraps the first
 * copy's wrapper: each consults only its own pins, and both run.
 */
export function installGuard(): boolean {
  // Recorded only once the wrapper is in place: until then nothing is pinned.
  original ??= replaceSocketMethod('setKeepAlive', guarded);
  return original !== undefined;
}

/** Thrown, before any change, by a sticky call where Node's method cannot be wrapped. */
export function stickyUnavailable(): Error {
  return Object.assign(
    new Error(
      'tcp-keepalive: sticky values need to wrap net.Socket.prototype.setKeepAlive, which cannot be replaced here ' +
        '(the prototype is frozen or the method is read-only); set the options without sticky, or before freezing',
    ),
    { code: 'ERR_TCP_KEEPALIVE_STICKY_UNAVAILABLE' },
  );
}

// Fixed parameters rather than a rest array: this runs on every Node call on
// every socket, and Node treats a missing and an undefined argument alike.
function guarded(this: Socket, enable?: unknown, initialDelay?: unknown, interval?: unknown, count?: unknown): Socket {
  const result = original!.call(this, enable, initialDelay, interval, count);
  const pinned = pinnedValues(this);
  if (pinned !== undefined) reapply(this, pinned, enables(enable));
  return result;
}

// Node's first argument is the enable flag, or (Node >= 24.19) an options object.
function enables(first: unknown): boolean {
  return typeof first === 'object' && first !== null ? Boolean((first as { enable?: unknown }).enable) : Boolean(first);
}

// After Node's call on a pinned socket: an enable puts back what libuv resets
// (Node never touches the user timeout); a disable turns keepalive off even
// where Node's cache skipped the call. It runs inside Node's call, so a
// failure is reported, never thrown.
function reapply(socket: Socket, pinned: KernelValues, enable: boolean): void {
  const values = enable
    ? { ...pinned, userTimeoutMs: -1 }
    : { enabled: 0, idleSeconds: -1, intervalSeconds: -1, count: -1, userTimeoutMs: -1, sticky: -1 };
  try {
    setPinned(socket, values);
  } catch (error) {
    // Node's own call on a closed socket is silent; so is putting nothing back on it.
    if ((error as { code?: unknown }).code !== 'ERR_SOCKET_CLOSED') process.emitWarning(error as Error);
  }
}

/**
 * Pins values on a socket (the caller merges them with earlier pins);
 * `set` is how they go back on after each of Node's calls.
 */
export function pin(socket: Socket, values: KernelValues, set: (socket: Socket, values: KernelValues) => void): void {
  // The enable flag is not pinned: Node's setKeepAlive(false) still turns keepalive off.
  // The preload pins one options object on every socket: one pinned copy serves them all.
  if (values !== lastPinnedFrom) {
    lastPinnedFrom = values;
    lastPinned = { ...values, enabled: -1, sticky: 1 };
  }
  if (!installGuard()) throw stickyUnavailable();
  pins.set(innermostSocket(socket), lastPinned!);
  setPinned = set;
}

/** Pins `values` on every socket `server` accepts from now on, unless pinned or unpinned on its own. */
export function pinAccepted(server: object, values: KernelValues, set: (socket: Socket, values: KernelValues) => void): void {
  if (!installGuard()) throw stickyUnavailable();
  listenerPins.set(server, { ...values, enabled: -1, sticky: 1 });
  setPinned = set;
}

// Pinned values are never changed in place (a later pin replaces the entry), so sharing is safe.
let lastPinnedFrom: KernelValues | undefined;
let lastPinned: KernelValues | undefined;

/** False until the first pin in this process. */
export function pinsExist(): boolean {
  return original !== undefined;
}

export function unpin(socket: Socket): void {
  pins.set(innermostSocket(socket), null);
}

export function pinnedValues(socket: Socket): KernelValues | undefined {
  const key = innermostSocket(socket);
  const pinned = pins.get(key);
  if (pinned !== undefined) return pinned ?? undefined;
  // An accepted socket knows its server (a client socket's is null).
  const server = (key as { server?: object | null }).server;
  return server == null ? undefined : listenerPins.get(server);
}
