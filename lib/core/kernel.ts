// The one native call per operation: values go into the shared slots, the
// addon makes every syscall, the result comes back through the slots.
import { detached, native as binding } from './binding.js';
import { systemError } from './errors.js';
import type { KernelValues } from './options.js';

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

/** Applies every value >= 0 to the socket behind fd, or throws the kernel's refusal. */
export function applyValues(fd: number, values: KernelValues): void {
  slots[ENABLED] = values.enabled;
  slots[IDLE] = values.idleSeconds;
  slots[INTERVAL] = values.intervalSeconds;
  slots[COUNT] = values.count;
  slots[USER_TIMEOUT] = values.userTimeoutMs;
  slots[FD] = fd;
  // A detached view reads as empty; the addon would find no fd (it clears the slot after each call).
  if (slots.length === 0) throw detached();
  binding.set();
  if (slots[RESULT] !== 0) throw systemError(slots[RESULT], 'setsockopt', optionNames[slots[FAILED]]);
}

/** Reads every value in force on the socket behind fd. */
export function readValues(fd: number): KeepAliveState {
  slots[FD] = fd;
  if (slots.length === 0) throw detached();
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
