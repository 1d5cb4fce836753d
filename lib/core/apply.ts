// The path every set takes once its options are validated: setKeepAlive and
// the preload (which validates its options once, not per socket) share it.
import { Server, Socket } from 'node:net';
import { applyOnConnect } from './connecting.js';
import { setWithNode } from './fallback.js';
import { addonLoaded, setOptions } from './native.js';
import { merge, type KernelValues } from './options.js';
import { installGuard, pin, pinnedValues, pinsExist, stickyUnavailable, unpin } from './sticky.js';
import { PENDING, notATarget, resolveFd } from './target.js';
import { connectionLostChannel, noteConfigured } from './watch.js';

/**
 * Applies `values` to a socket or server: natively (resolving the fd once, or
 * deferring to 'connect'), or through Node's own API without the addon; then
 * keeps the socket's pins up to date. Throws what the kernel refuses.
 */
export function applyToTarget(target: Socket | Server, values: KernelValues): void {
  if (target instanceof Server) {
    if (addonLoaded) {
      setOptions(resolveFd(target), values);
      takeOverFromNode(target);
    } else {
      setWithNode(target, values);
    }
    if (connectionLostChannel.hasSubscribers) noteConfigured(target);
    return;
  }
  // Before the pin lookups below, which take a socket.
  if (!(target instanceof Socket)) throw notATarget(target);
  // Until the first pin in this process, no socket can be pinned: skip the lookups.
  const pinned = pinsExist() ? pinnedValues(target) : undefined;
  const sticky = values.sticky === 1 || (values.sticky === -1 && pinned !== undefined);
  // Pins need Node's method wrapped: refuse before any change where it cannot be.
  if (sticky && !installGuard()) throw stickyUnavailable();
  if (addonLoaded) {
    const fd = resolveFd(target);
    if (fd === PENDING) applyOnConnect(target, sticky && values.sticky !== 1 ? { ...values, sticky: 1 } : values);
    else setOptions(fd, values);
  } else {
    setWithNode(target, values);
  }
  if (sticky) pin(target, pinned === undefined ? values : merge(pinned, values), applyToTarget);
  else if (values.sticky === 0 && pinned !== undefined) unpin(target);
  if (connectionLostChannel.hasSubscribers) noteConfigured(target);
}

// net.createServer({ keepAlive: true }) makes Node set its own values on every
// accepted socket, over what the socket inherited from the listener. Values set
// on the listener are the later call, so they win: Node's per-accept call is
// switched off and accepted sockets keep the listener's values, at no syscall.
function takeOverFromNode(server: Server): void {
  const options = server as unknown as { keepAlive?: boolean };
  if (options.keepAlive === true) options.keepAlive = false;
}
