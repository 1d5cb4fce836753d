// Errors shaped like Node's own, so programs can branch on `code` the same way
// they do for `net` and `fs`: argument errors carry Node's ERR_* codes, kernel
// failures are ErrnoExceptions (negative `errno`, `code`, `syscall`).
import { getSystemErrorName, inspect } from 'node:util';

export interface KeepAliveSystemError extends Error {
  /** Negative errno, as in Node's own system errors (for example -9 for EBADF). */
  errno: number;
  /** The errno name, for example `'EBADF'`. */
  code: string;
  /** `'setsockopt'` or `'getsockopt'`. */
  syscall: string;
  /** The kernel option that failed, for example `'TCP_KEEPCNT'`. */
  option: string;
}

function withCode<E extends Error>(error: E, code: string): E & { code: string } {
  return Object.assign(error, { code });
}

/** Describes a received value the way Node's validators do. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `an instance of ${name}` : inspect(value, { depth: -1 });
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

export function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  const kind = name.includes('.') ? 'property' : 'argument';
  return withCode(
    new TypeError(`The "${name}" ${kind} must be ${expected}. Received ${describe(value)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

export function invalidArgValue(name: string, reason: string, value: unknown): TypeError {
  const kind = name.includes('.') ? 'property' : 'argument';
  return withCode(
    new TypeError(`The ${kind} '${name}' ${reason}. Received ${inspect(value, { depth: 0 })}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

export function outOfRange(name: string, range: string, value: unknown): RangeError {
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`),
    'ERR_OUT_OF_RANGE',
  );
}

export function socketError(code: string, message: string): Error {
  return withCode(new Error(message), code);
}

export function systemError(errno: number, syscall: string, option: string): KeepAliveSystemError {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`${syscall} ${code} ${option}`), { errno, code, syscall, option });
}

/** Thrown for what needs the native addon where it is not loaded. */
export function unsupported(what: string, option?: string): Error {
  return Object.assign(
    new Error(
      `tcp-keepalive: ${what} is not supported on ${process.platform} without the native addon ` +
        `(Node's own socket.setKeepAlive is all there is here; see capabilities)`,
    ),
    { code: 'ERR_TCP_KEEPALIVE_UNSUPPORTED', platform: process.platform, ...(option === undefined ? {} : { option }) },
  );
}
