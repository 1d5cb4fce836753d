// Sticky settings: values this library set stay in force when Node's own
// socket.setKeepAlive touches the socket later (libuv then resets interval to
// 1 s and count to 10; http.Agent, undici and drivers all call it).
//
// Node offers no hook for its own calls, so the first sticky call wraps
// net.Socket.prototype.setKeepAlive once: Node's method runs as always, then
// the pinned values of that socket (if any) are put back. Sockets that are not
// pinned pay one WeakMap lookup per call (measured in bench/).
import { Socket } from 'node:net';
import type { KernelValues } from './options.js';

type NodeSetKeepAlive = (this: Socket, ...args: unknown[]) => Socket;

/** What a pinned socket gets back after each of Node's calls. */
const pins = new WeakMap<Socket, KernelValues>();

let original: NodeSetKeepAlive | undefined;
let reapply: (socket: Socket, pinned: KernelValues, enable: boolean) => void = () => {};

/**
 * Wraps Node's method once. A second copy of this package wraps the first
 * copy's wrapper: each consults only its own pins, and both run.
 */
export function enableSticky(reapplyPinned: (socket: Socket, pinned: KernelValues, enable: boolean) => void): void {
  reapply = reapplyPinned;
  if (original !== undefined) return;
  const proto = Socket.prototype as unknown as { setKeepAlive: NodeSetKeepAlive };
  original = proto.setKeepAlive;
  Object.defineProperty(guarded, 'length', { value: original.length });
  proto.setKeepAlive = guarded;
}

function guarded(this: Socket, ...args: unknown[]): Socket {
  const result = original!.apply(this, args);
  const pinned = pins.get(this);
  if (pinned !== undefined) reapply(this, pinned, enables(args[0]));
  return result;
}

// Node's first argument is the enable flag, or (Node >= 24.19) an options object.
function enables(first: unknown): boolean {
  return typeof first === 'object' && first !== null ? Boolean((first as { enable?: unknown }).enable) : Boolean(first);
}

/** Records the pinned values after a successful call of ours (merged by the caller). */
export function pin(socket: Socket, values: KernelValues): void {
  // The enable flag is not pinned: Node's setKeepAlive(false) still turns keepalive off.
  pins.set(socket, { ...values, enabled: -1, sticky: 1 });
}

export function unpin(socket: Socket): void {
  pins.delete(socket);
}

export function pinnedValues(socket: Socket): KernelValues | undefined {
  return pins.get(socket);
}
