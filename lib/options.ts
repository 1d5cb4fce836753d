// Validates the caller's options and converts them to kernel units, all before
// any syscall, so a rejected call changes nothing.
import { invalidArgType, invalidArgValue, outOfRange } from './errors.js';

/** What `setKeepAlive` accepts besides `true`/`false`. All times in milliseconds. */
export interface KeepAliveOptions {
  /** SO_KEEPALIVE. Default: `true` (setting any option turns keepalive on). */
  enabled?: boolean;
  /** TCP_KEEPIDLE: silence before the first probe. Whole seconds in ms, 1000 … 32 767 000. */
  idle?: number;
  /** TCP_KEEPINTVL: time between unanswered probes. Whole seconds in ms, 1000 … 32 767 000. */
  interval?: number;
  /** TCP_KEEPCNT: unanswered probes before the kernel drops the connection. 1 … 127. */
  count?: number;
  /** TCP_USER_TIMEOUT: how long sent data may stay unacknowledged. ms, 0 … 2 147 483 647; 0 = system behaviour. */
  userTimeout?: number;
}

/** Kernel values for one call, in kernel units; -1 means "leave as it is". */
export interface KernelValues {
  enabled: number;
  idleSeconds: number;
  intervalSeconds: number;
  count: number;
  userTimeoutMs: number;
}

// Ranges from the kernel (net/ipv4/tcp.c: MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL,
// MAX_TCP_KEEPCNT; TCP_USER_TIMEOUT takes any non-negative int).
const MAX_KEEPALIVE_SECONDS = 32767;
const MAX_COUNT = 127;
const MAX_USER_TIMEOUT_MS = 2147483647;
const KNOWN = 'enabled, idle, interval, count, userTimeout';

/** Turns `true`, `false` or an options object into kernel values, or throws. */
export function toKernelValues(options: unknown): KernelValues {
  if (typeof options === 'boolean') {
    return { enabled: options ? 1 : 0, idleSeconds: -1, intervalSeconds: -1, count: -1, userTimeoutMs: -1 };
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgType('options', 'a boolean or an object', options);
  }
  const given = options as Record<string, unknown>;
  for (const key in given) {
    if (key !== 'enabled' && key !== 'idle' && key !== 'interval' && key !== 'count' && key !== 'userTimeout') {
      throw invalidArgValue(`options.${key}`, `is not a keepalive option (known: ${KNOWN})`, given[key]);
    }
  }
  const enabled = given.enabled;
  if (enabled !== undefined && typeof enabled !== 'boolean') {
    throw invalidArgType('options.enabled', 'of type boolean', enabled);
  }
  return {
    enabled: enabled === false ? 0 : 1,
    idleSeconds: seconds(given.idle, 'options.idle'),
    intervalSeconds: seconds(given.interval, 'options.interval'),
    count: integer(given.count, 'options.count', 1, MAX_COUNT),
    userTimeoutMs: integer(given.userTimeout, 'options.userTimeout', 0, MAX_USER_TIMEOUT_MS),
  };
}

// The kernel counts idle and interval in whole seconds; rounding a caller's
// 1500 ms silently would change when a dead peer is noticed, so refuse it.
function seconds(value: unknown, name: string): number {
  if (value === undefined) return -1;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(value >= 1000 && value <= MAX_KEEPALIVE_SECONDS * 1000 && value % 1000 === 0)) {
    throw outOfRange(
      name,
      `a whole number of seconds in milliseconds (a multiple of 1000) from 1000 to ${MAX_KEEPALIVE_SECONDS * 1000}, ` +
        'because the kernel counts keepalive times in seconds',
      value,
    );
  }
  return value / 1000;
}

function integer(value: unknown, name: string, min: number, max: number): number {
  if (value === undefined) return -1;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}
