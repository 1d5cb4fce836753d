// getTcpInfo: what the kernel knows about a connection's liveness right now,
// from one getsockopt(TCP_INFO).
import type { Server, Socket } from 'node:net';
import { socketError, unsupported } from '../core/errors.js';
import { addonLoaded, readTcpInfo, type TcpInfo } from '../core/native.js';
import { HIDDEN, PENDING, checkTarget, hiddenUnsupported, resolveFd } from '../core/target.js';

/** Reads the live TCP state of a connected TCP socket (or listener): one syscall. */
export function getTcpInfo(target: Socket | Server): TcpInfo {
  if (!addonLoaded) {
    checkTarget(target);
    throw unsupported('reading TCP_INFO (getTcpInfo)');
  }
  const fd = resolveFd(target);
  if (fd === PENDING) {
    throw socketError('ERR_SOCKET_NOT_CONNECTED', "The socket is not connected yet: read its TCP_INFO after 'connect'");
  }
  if (fd === HIDDEN) throw hiddenUnsupported('reading TCP_INFO (getTcpInfo)');
  return readTcpInfo(fd);
}
