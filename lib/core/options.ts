// Validates the caller's options and converts them to kernel units, all before
// any syscall, so a rejected call changes nothing.
import { invalidArgType, invalidArgValue, outOfRange } from './errors.js';
import * as limits from './limits.js';

// Local constants, not reads of another module's exports on every call (the
// set path validates each option against them: measured, 2-3 % of a set).
export const MAX_KEEPALIVE_SECONDS = limits.MAX_KEEPALIVE_SECONDS;
export const MAX_COUNT = limits.MAX_COUNT;
export const MAX_USER_TIMEOUT_MS = limits.MAX_USER_TIMEOUT_MS;
const MAX_KEEPALIVE_MS = MAX_KEEPALIVE_SECONDS * 1000;

/**
 * What `setKeepAlive` accepts besides `true`/`false`. All times in milliseconds.
 * `undefined` is the same as leaving an option out (also under `exactOptionalPropertyTypes`).
 */
export interface KeepAliveOptions {
  /** SO_KEEPALIVE. Default: `true` (setting any option turns keepalive on). */
  enabled?: boolean | undefined;
  /** TCP_KEEPIDLE: silence before the first probe. Whole seconds in ms, 1000 … 32 767 000. */
  idle?: number | undefined;
  /** TCP_KEEPINTVL: time between unanswered probes. Whole seconds in ms, 1000 … 32 767 000. */
  interval?: number | undefined;
  /** TCP_KEEPCNT: unanswered probes before the kernel drops the connection. 1 … 127. */
  count?: number | undefined;
  /** TCP_USER_TIMEOUT: how long sent data may stay unacknowledged. ms, 0 … 2 147 483 647; 0 = system behaviour. */
  userTimeout?: number | undefined;
  /**
   * Keep the options set by this library in force when Node's own
   * `socket.setKeepAlive` later touches the socket (http.Agent, undici,
   * drivers). `true` pins, `false` unpins, left out keeps the socket's mode
   * (not pinned unless a call pinned it).
   */
  sticky?: boolean | undefined;
}

/** Kernel values for one call, in kernel units; -1 means "leave as it is". */
export interface KernelValues {
  enabled: number;
  idleSeconds: number;
  intervalSeconds: number;
  count: number;
  userTimeoutMs: number;
  /** 1: pin these values against Node's later calls, 0: stop pinning, -1: as before. */
  sticky: number;
}

const OPTION_KEYS = 'enabled, idle, interval, count, userTimeout, sticky';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Turns `true`, `false` or a plain options object into kernel values, or
 * throws. With `into`, fills that object instead of making one (the hot path
 * reuses one scratch object: no garbage per call); it is written only after
 * every option was read and checked, so a getter that calls back in cannot
 * leave it half-written.
 */
export function toKernelValues(options: unknown, into?: KernelValues): KernelValues {
  if (typeof options === 'boolean') {
    return fill(into, options ? 1 : 0, -1, -1, -1, -1, -1);
  }
  if (!isPlainObject(options)) throw invalidArgType('options', 'a boolean or a plain object', options);
  const given = options as Record<string, unknown>;
  // Only own keys count (an enumerable key on Object.prototype must not), and
  // each is read exactly once, so a getter or proxy cannot show one value to
  // the check and another to the kernel. for-in over a literal walks V8's
  // enum cache: unlike Object.keys, it makes no array.
  let own = 0;
  for (const key in given) {
    if (!hasOwn.call(given, key)) continue;
    switch (key) {
      case 'enabled': own |= 1; break;
      case 'idle': own |= 2; break;
      case 'interval': own |= 4; break;
      case 'count': own |= 8; break;
      case 'userTimeout': own |= 16; break;
      case 'sticky': own |= 32; break;
      default:
        throw invalidArgValue(`options.${key}`, `is not a keepalive option (known: ${OPTION_KEYS})`, given[key]);
    }
  }
  const enabled = own & 1 ? given.enabled : undefined;
  const idle = own & 2 ? given.idle : undefined;
  const interval = own & 4 ? given.interval : undefined;
  const count = own & 8 ? given.count : undefined;
  const userTimeout = own & 16 ? given.userTimeout : undefined;
  const sticky = own & 32 ? given.sticky : undefined;
  return fill(
    into,
    optionalBoolean(enabled, 'options.enabled') === false ? 0 : 1,
    wholeSeconds(idle, 'options.idle'),
    wholeSeconds(interval, 'options.interval'),
    integer(count, 'options.count', 1, MAX_COUNT),
    integer(userTimeout, 'options.userTimeout', 0, MAX_USER_TIMEOUT_MS),
    tristate(optionalBoolean(sticky, 'options.sticky')),
  );
}

function fill(into: KernelValues | undefined, enabled: number, idleSeconds: number, intervalSeconds: number, count: number, userTimeoutMs: number, sticky: number): KernelValues {
  if (into === undefined) return { enabled, idleSeconds, intervalSeconds, count, userTimeoutMs, sticky };
  into.enabled = enabled;
  into.idleSeconds = idleSeconds;
  into.intervalSeconds = intervalSeconds;
  into.count = count;
  into.userTimeoutMs = userTimeoutMs;
  into.sticky = sticky;
  return into;
}

// Plain objects only: a Map, a Date or a boxed Boolean would otherwise be read
// as `{}` and turn keepalive on. `{…}` and anything else made by Object (its
// constructor), or with no prototype at all; the constructor is checked first
// because it costs a fraction of Object.getPrototypeOf on this hot path.
function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const ctor = (value as { constructor?: unknown }).constructor;
  return ctor === Object || (ctor === undefined && Object.getPrototypeOf(value) === null);
}

function tristate(flag: boolean | undefined): number {
  return flag === undefined ? -1 : flag ? 1 : 0;
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

// The kernel counts idle and interval in whole seconds; rounding a caller's
// 1500 ms silently would change when a dead peer is noticed, so refuse it.
function wholeSeconds(value: unknown, name: string): number {
  if (value === undefined) return -1;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(value >= 1000 && value <= MAX_KEEPALIVE_MS && value % 1000 === 0)) {
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
  return optionalInteger(value, name, min, max) ?? -1;
}

/** An integer in [min, max], or undefined when left out; `unit` goes into the range message. */
export function optionalInteger(value: unknown, name: string, min: number, max: number, unit?: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}${unit === undefined ? '' : ` (${unit})`}`, value);
  }
  return value;
}

/** `later` applied on top of `earlier`, the way two immediate sets would leave the kernel. */
export function merge(earlier: KernelValues, later: KernelValues): KernelValues {
  const pick = (a: number, b: number): number => (b >= 0 ? b : a);
  return {
    enabled: pick(earlier.enabled, later.enabled),
    idleSeconds: pick(earlier.idleSeconds, later.idleSeconds),
    intervalSeconds: pick(earlier.intervalSeconds, later.intervalSeconds),
    count: pick(earlier.count, later.count),
    userTimeoutMs: pick(earlier.userTimeoutMs, later.userTimeoutMs),
    sticky: pick(earlier.sticky, later.sticky),
  };
}
