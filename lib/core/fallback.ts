// Where the native addon is not loaded (macOS, Windows, the BSDs for now), the
// library does what Node core can do and refuses the rest with a coded error:
// - sockets: socket.setKeepAlive(enable, idle), and on Node >= 24.19 / 26.4
//   (whose setKeepAlive takes interval and count) those too. Node stores values
//   for a socket that is not connected and applies them itself on connect.
// - servers: Node's own keepAlive / keepAliveInitialDelay, applied by Node to
//   every accepted socket (idle only).
// - never: reading values back, TCP_USER_TIMEOUT, TCP_INFO, other processes.
import { Server, Socket } from 'node:net';
import { unsupported } from './errors.js';
import type { KernelValues } from './options.js';
import { nodeSetKeepAlive } from './sticky.js';
import { checkTarget } from './target.js';

/** Whether this Node's socket.setKeepAlive takes interval and count (Node >= 24.19, >= 26.4). */
export const coreSetsIntervalAndCount = Socket.prototype.setKeepAlive.length >= 4;

/** Applies what Node core can apply, after refusing (before any change) what it cannot. */
export function setWithNode(target: Socket | Server, values: KernelValues): void {
  checkTarget(target);
  if (values.userTimeoutMs >= 0) throw unsupported('options.userTimeout (TCP_USER_TIMEOUT)', 'userTimeout');
  const timing = values.intervalSeconds >= 0 || values.count >= 0;
  if (target instanceof Server) {
    if (timing) throw unsupported('setting interval or count on a listening server', values.intervalSeconds >= 0 ? 'interval' : 'count');
    // Node applies these to every socket it accepts from now on.
    const options = target as unknown as { keepAlive: boolean; keepAliveInitialDelay: number };
    options.keepAlive = values.enabled === 1;
    if (values.idleSeconds >= 0) options.keepAliveInitialDelay = values.idleSeconds;
    return;
  }
  if (timing && !coreSetsIntervalAndCount) {
    throw unsupported(`options.${values.intervalSeconds >= 0 ? 'interval' : 'count'} on Node ${process.version} (Node >= 24.19 or >= 26.4 sets it)`, values.intervalSeconds >= 0 ? 'interval' : 'count');
  }
  if (timing && values.idleSeconds < 0) {
    // Node sets idle, interval and count together; without idle it would set 0.
    throw unsupported('setting interval or count without idle in the same call', values.intervalSeconds >= 0 ? 'interval' : 'count');
  }
  if (values.enabled === 0) {
    nodeSetKeepAlive(target, false);
    return;
  }
  const idleMs = values.idleSeconds >= 0 ? values.idleSeconds * 1000 : 0;
  if (timing) {
    nodeSetKeepAlive(
      target,
      true,
      idleMs,
      values.intervalSeconds >= 0 ? values.intervalSeconds * 1000 : undefined,
      values.count >= 0 ? values.count : undefined,
    );
  } else {
    nodeSetKeepAlive(target, true, idleMs);
  }
}
