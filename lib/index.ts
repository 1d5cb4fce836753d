/**
 * tcp-keepalive: per-socket TCP keepalive control for Node.
 *
 * `setKeepAlive` validates everything, resolves the fd once and makes one
 * native call that does all the setsockopt calls; `getKeepAlive` makes one
 * native call that reads every value from the kernel. Nothing is cached.
 */
import type { Server, Socket } from 'node:net';
import { binding } from './binding.js';
import { socketError, systemError } from './errors.js';
import { type KernelValues, type KeepAliveOptions, toKernelValues } from './options.js';
import { PENDING, resolveFd } from './target.js';

export type { KeepAliveOptions } from './options.js';
export type { KeepAliveSystemError } from './errors.js';

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

const { slots, optionNames } = binding;
const { idle: IDLE, interval: INTERVAL, count: COUNT, userTimeout: USER_TIMEOUT, enabled: ENABLED } = binding.layout;
const { fd: FD, result: RESULT, failed: FAILED } = binding.layout;

/**
 * Sets keepalive on a TCP socket (or on a listening server, whose accepted
 * sockets inherit it). `true`/`false` turns SO_KEEPALIVE on or off and keeps
 * the other values; an options object sets the options given, leaves the rest
 * as they are, and turns keepalive on unless `enabled: false`.
 * A socket that is still connecting gets the options on 'connect'.
 * @returns the target, for chaining.
 */
export function setKeepAlive<T extends Socket | Server>(target: T, options: KeepAliveOptions | boolean): T {
  const fd = resolveFd(target, 'socket');
  const values = toKernelValues(options);
  if (fd === PENDING) {
    // As Node does for its own keepalive: validated now, applied on connect.
    (target as Socket).once('connect', () => applyOnConnect(target as Socket, values));
  } else {
    apply(fd, values);
  }
  return target;
}

/** Reads the keepalive settings in force on a connected TCP socket or listening server, from the kernel. */
export function getKeepAlive(target: Socket | Server): KeepAliveState {
  const fd = resolveFd(target, 'socket');
  if (fd === PENDING) {
    throw socketError('ERR_SOCKET_NOT_CONNECTED', 'The socket is not connected yet: read its keepalive after \'connect\'');
  }
  slots[FD] = fd;
  binding.get();
  if (slots[RESULT] !== 0) throw systemError(slots[RESULT], 'getsockopt', optionNames[slots[FAILED]]);
  return {
    enabled: slots[ENABLED] !== 0,
    idle: slots[IDLE] * 1000,
    interval: slots[INTERVAL] * 1000,
    count: slots[COUNT],
    userTimeout: slots[USER_TIMEOUT],
  };
}

function apply(fd: number, values: KernelValues): void {
  slots[ENABLED] = values.enabled;
  slots[IDLE] = values.idleSeconds;
  slots[INTERVAL] = values.intervalSeconds;
  slots[COUNT] = values.count;
  slots[USER_TIMEOUT] = values.userTimeoutMs;
  slots[FD] = fd;
  binding.set();
  if (slots[RESULT] !== 0) throw systemError(slots[RESULT], 'setsockopt', optionNames[slots[FAILED]]);
}

// A failure here has no caller to throw to; the socket reports it the way it
// reports every other failure, through 'error'.
function applyOnConnect(socket: Socket, values: KernelValues): void {
  try {
    apply(resolveFd(socket, 'socket'), values);
  } catch (error) {
    socket.destroy(error as Error);
  }
}
