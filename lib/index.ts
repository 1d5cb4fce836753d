/**
 * tcp-keepalive: per-socket TCP keepalive control for Node.
 *
 * `setKeepAlive` validates everything, then resolves the fd once and makes one
 * native call that does all the setsockopt calls; `getKeepAlive` makes one
 * native call that reads every value from the kernel.
 */
import { Server, type Socket } from 'node:net';
import { socketError } from './errors.js';
import { applyOnConnect } from './connecting.js';
import { applyValues, readValues, type KeepAliveState } from './kernel.js';
import { merge, toKernelValues, type KeepAliveOptions } from './options.js';
import { pin, pinnedValues, unpin } from './sticky.js';
import { PENDING, resolveFd } from './target.js';

export type { KeepAliveOptions } from './options.js';
export type { KeepAliveState } from './kernel.js';
export type { KeepAliveSystemError } from './errors.js';

/**
 * Sets keepalive on a TCP socket (or on a listening server, whose accepted
 * sockets inherit it). `true`/`false` turns SO_KEEPALIVE on or off and keeps
 * the other values; an options object sets the options given, leaves the rest
 * as they are, and turns keepalive on unless `enabled: false`.
 * A socket that is still connecting gets the options first thing on 'connect'.
 * @returns the target, for chaining.
 */
export function setKeepAlive<T extends Socket | Server>(target: T, options: KeepAliveOptions | boolean): T {
  // Options first: reading them may run the caller's code (getters, proxies),
  // which must not get to swap the socket behind an fd resolved earlier.
  const values = toKernelValues(options);
  const fd = resolveFd(target);
  if (target instanceof Server) {
    applyValues(fd, values);
    takeOverFromNode(target);
    return target;
  }
  const socket = target as Socket;
  if (fd === PENDING) {
    const sticky = values.sticky >= 0 ? values.sticky : pinnedValues(socket) ? 1 : -1;
    applyOnConnect(socket, { ...values, sticky });
  } else {
    applyValues(fd, values);
  }
  if (values.sticky === 1 || (values.sticky === -1 && pinnedValues(socket) !== undefined)) {
    pin(socket, merge(pinnedValues(socket) ?? values, values));
  } else if (values.sticky === 0) {
    unpin(socket);
  }
  return target;
}

/** Reads the keepalive settings in force on a connected TCP socket or listening server, from the kernel. */
export function getKeepAlive(target: Socket | Server): KeepAliveState {
  const fd = resolveFd(target);
  if (fd === PENDING) {
    throw socketError('ERR_SOCKET_NOT_CONNECTED', "The socket is not connected yet: read its keepalive after 'connect'");
  }
  return readValues(fd);
}

// net.createServer({ keepAlive: true }) makes Node set its own values on every
// accepted socket, over what the socket inherited from the listener. Values set
// on the listener are the later call, so they win: Node's per-accept call is
// switched off and accepted sockets keep the listener's values, at no syscall.
function takeOverFromNode(server: Server): void {
  const options = server as unknown as { keepAlive?: boolean };
  if (options.keepAlive === true) options.keepAlive = false;
}
