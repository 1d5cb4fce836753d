// setKeepAlive and getKeepAlive, the two calls the package is for: every
// argument validated first, then the fd resolved once and one native call.
// lib/index.ts re-exports them; code inside the package imports them from here.
import { Socket, type Server } from 'node:net';
import { applyToTarget } from './apply.js';
import { socketError, unsupported } from './errors.js';
import { setWithNode } from './fallback.js';
import { addonLoaded, readOptions, setOptions, type KeepAliveState } from './native.js';
import { pinsExist } from './sticky.js';
import { connectionLostChannel, noteConfigured } from './watch.js';
import { toKernelValues, type KernelValues, type KeepAliveOptions } from './options.js';
import { HIDDEN, PENDING, checkTarget, hiddenUnsupported, resolveFd } from './target.js';

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
  // which must not get to swap the socket behind an fd resolved later.
  // Into a scratch object: the common case keeps nothing, so makes no garbage.
  const values = toKernelValues(options, scratch);
  // The common case in one straight line: a connected socket, no pins.
  if (addonLoaded && values.sticky === -1 && !pinsExist() && target instanceof Socket) {
    const fd = resolveFd(target);
    if (fd !== PENDING) {
      // A hidden descriptor not found (Deno): the runtime's own call, not a second search.
      if (fd === HIDDEN) setWithNode(target, values);
      else setOptions(fd, values);
      // Watched for a lost connection only while something listens.
      if (connectionLostChannel.hasSubscribers) noteConfigured(target);
      return target;
    }
  }
  // The other paths may keep the values (pins, a connecting socket): their own copy.
  applyToTarget(target, { ...values });
  return target;
}

const scratch: KernelValues = { enabled: -1, idleSeconds: -1, intervalSeconds: -1, count: -1, userTimeoutMs: -1, sticky: -1 };

/** Reads the keepalive settings in force on a connected TCP socket or listening server, from the kernel. */
export function getKeepAlive(target: Socket | Server): KeepAliveState {
  if (!addonLoaded) {
    checkTarget(target);
    throw unsupported('reading keepalive values back (getKeepAlive)');
  }
  const fd = resolveFd(target);
  if (fd === PENDING) {
    throw socketError('ERR_SOCKET_NOT_CONNECTED', "The socket is not connected yet: read its keepalive after 'connect'");
  }
  if (fd === HIDDEN) throw hiddenUnsupported('reading keepalive values back (getKeepAlive)');
  return readOptions(fd);
}
