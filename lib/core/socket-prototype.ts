// Where the library must run inside Node's own socket methods (the sticky
// guard around setKeepAlive, the lost-connection hook around _destroy), it
// replaces the method on net.Socket.prototype once, keeping Node's to call.
import { Socket } from 'node:net';

/**
 * Puts `replacement` in place of net.Socket.prototype[name] (with the same
 * `length`) and returns the method it replaced; undefined where there is none
 * to replace or the prototype refuses (frozen, or the method read-only).
 */
export function replaceSocketMethod<F extends (...args: never[]) => unknown>(name: string, replacement: F): F | undefined {
  const proto = Socket.prototype as unknown as Record<string, unknown>;
  const current = proto[name];
  if (typeof current !== 'function') return undefined;
  Object.defineProperty(replacement, 'length', { value: current.length });
  try {
    proto[name] = replacement;
  } catch {
    return undefined;
  }
  return proto[name] === replacement ? (current as F) : undefined;
}
