// Finds the file descriptor behind a socket or server, without a syscall.
// Node keeps it on the libuv handle (`_handle.fd`); TLS sockets wrap the TCP
// handle and expose the same fd.
import { Server, Socket } from 'node:net';
import { invalidArgType, invalidArgValue, socketError } from './errors.js';

/** What Node's internal handle objects look like to us. */
interface Handle {
  fd?: number;
  _parent?: Handle;
}

/** A socket with no fd yet: `connect()` not called, or still resolving the host. */
export const PENDING = -1;

export type Target = Socket | Server;

/**
 * Returns the target's fd, or PENDING for a socket that will get one on
 * 'connect'. Throws for anything that has no TCP socket behind it.
 */
export function resolveFd(target: unknown, name: string): number {
  if (target instanceof Socket) {
    const handle = (target as unknown as { _handle: Handle | null })._handle;
    if (handle != null) {
      checkTcp(handle, name, target);
      const fd = handle.fd ?? PENDING;
      return fd >= 0 || target.connecting ? fd : closed();
    }
    // Node drops the handle when it destroys a socket; without one, a socket
    // that is not destroyed has simply not connected yet.
    return target.destroyed ? closed() : PENDING;
  }
  if (target instanceof Server) {
    const handle = (target as unknown as { _handle: Handle | null })._handle;
    if (handle == null) throw socketError('ERR_SERVER_NOT_RUNNING', 'Server is not running.');
    checkTcp(handle, name, target);
    return handle.fd ?? closed();
  }
  throw invalidArgType(name, 'an instance of net.Socket, tls.TLSSocket or net.Server', target);
}

function closed(): never {
  throw socketError('ERR_SOCKET_CLOSED', 'Socket is closed');
}

// Node's TCP handle class, learned from the first handle named 'TCP' so that
// later checks compare identity instead of reading the native class name.
let tcpClass: unknown;

// The innermost handle is libuv's: `TCP` for TCP, `Pipe` for Unix domain
// sockets and named pipes, something else for TLS over a JavaScript stream.
function checkTcp(handle: Handle, name: string, target: Target): void {
  if (handle.constructor === tcpClass) return;
  let inner = handle;
  while (inner._parent) inner = inner._parent;
  const kind = inner.constructor?.name;
  if (kind === 'TCP' && inner === handle) tcpClass = handle.constructor;
  if (kind !== 'TCP') {
    const what = kind === 'Pipe' ? 'a Unix domain socket (pipe)' : `a ${String(kind)} handle`;
    throw invalidArgValue(name, `must be a TCP socket or server; it is ${what}`, target.constructor.name);
  }
}
