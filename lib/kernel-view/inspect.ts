// inspectProcess: every TCP socket of another running process (any program,
// Node or not), read from outside it: /proc for the list and the kernel's
// timer, pidfd_getfd + getsockopt (one native call per socket) for the
// keepalive options and TCP_INFO.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { constants, endianness } from 'node:os';
import { formatAddress } from '../core/address.js';
import { invalidArgType, outOfRange, unsupported } from '../core/errors.js';
import { addonLoaded, inspectSocket, tcpStateName, type KeepAliveState, type TcpInfo } from '../core/native.js';

export interface SocketEndpoint {
  address: string;
  port: number;
}

/** The kernel's timer on a socket, from /proc/<pid>/net/tcp (the `timer:` column of `ss -o`). */
export interface SocketTimer {
  kind: 'none' | 'retransmit' | 'keepalive' | 'time-wait' | 'zero-window-probe';
  /** Until it fires, in ms (the kernel reports hundredths of a second). */
  expiresIn: number;
}

export interface InspectedSocket {
  fd: number;
  family: 4 | 6;
  local: SocketEndpoint;
  remote: SocketEndpoint;
  state: string;
  timer: SocketTimer;
  /** The keepalive options in force, or the error that kept them from being read. */
  keepAlive?: KeepAliveState;
  tcpInfo?: TcpInfo;
  error?: { code: string; message: string };
}

const TIMERS: SocketTimer['kind'][] = ['none', 'retransmit', 'keepalive', 'time-wait', 'zero-window-probe'];
// USER_HZ: /proc/net/tcp reports timers in clock ticks of 1/100 s on Linux.
const MS_PER_TICK = 10;
const { EBADF, ESTALE } = constants.errno;

/** include/linux/threads.h PID_MAX_LIMIT on 64-bit: no pid (or thread id) is ever larger. */
export const PID_MAX_LIMIT = 4_194_304;

/**
 * Lists the TCP sockets of process `pid` with their keepalive options and live
 * TCP_INFO. A thread id stands for its process. Sockets the process closes
 * while it is read are left out (or, where their fd number was reused
 * meanwhile, never reported under the new file). Needs ptrace permission over
 * the process (root, CAP_SYS_PTRACE, or its own user where
 * kernel.yama.ptrace_scope is 0) and Linux >= 5.6.
 */
export function inspectProcess(pid: number): InspectedSocket[] {
  if (typeof pid !== 'number') throw invalidArgType('pid', 'of type number', pid);
  if (!(Number.isInteger(pid) && pid > 0 && pid <= PID_MAX_LIMIT)) {
    throw outOfRange('pid', `a process id: an integer from 1 to ${PID_MAX_LIMIT} (the kernel's limit)`, pid);
  }
  if (!addonLoaded || process.platform !== 'linux') throw unsupported('inspecting another process (inspectProcess)');
  return inspectThreadGroup(processOf(pid));
}

/** What /proc/<id>/status says of a process or thread id. */
interface ProcessIdentity {
  /** The process (thread group) the id belongs to: the id itself, unless it is a thread's. */
  process: number;
  /** The id is a thread of `process`, not the process itself. */
  thread: boolean;
}

/**
 * The process behind a process or thread id. Throws ESRCH with a message for
 * an id no process or thread has, and for a zombie (a process that has exited
 * and holds nothing, though `ps` still lists it until its parent reaps it).
 */
export function processOf(pid: number): ProcessIdentity {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    throw processError(pid, error as NodeJS.ErrnoException, `/proc/${pid}/status`);
  }
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
  if (field('State').startsWith('Z')) {
    throw Object.assign(new Error(`process ${pid} has exited (a zombie its parent has not reaped yet): it holds no sockets`), { code: 'ESRCH' });
  }
  const tgid = Number(field('Tgid'));
  return Number.isInteger(tgid) && tgid > 0 && tgid !== pid ? { process: tgid, thread: true } : { process: pid, thread: false };
}

function inspectThreadGroup({ process: pid }: ProcessIdentity): InspectedSocket[] {
  const table = new Map<string, Omit<InspectedSocket, 'fd'>>();
  for (const [file, family] of [['tcp', 4], ['tcp6', 6]] as const) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT' && file === 'tcp6') continue; // IPv6 off
      throw processError(pid, error as NodeJS.ErrnoException, `/proc/${pid}/net/${file}`);
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length < 10) continue;
      const [timerKind, expires] = columns[5].split(':');
      table.set(columns[9], {
        family,
        local: endpoint(columns[1]),
        remote: endpoint(columns[2]),
        state: tcpStateName(parseInt(columns[3], 16)),
        timer: { kind: TIMERS[parseInt(timerKind, 16)] ?? 'none', expiresIn: parseInt(expires, 16) * MS_PER_TICK },
      });
    }
  }
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (error) {
    throw processError(pid, error as NodeJS.ErrnoException, `/proc/${pid}/fd`);
  }
  const sockets: InspectedSocket[] = [];
  for (const name of fds) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    const known = inode === undefined ? undefined : table.get(inode);
    if (known === undefined) continue; // not a TCP socket
    const fd = Number(name);
    const socket: InspectedSocket = { fd, ...known };
    const read = inspectSocket(pid, fd, Number(inode));
    const { error } = read;
    if (error === undefined) {
      socket.keepAlive = read.keepAlive;
      socket.tcpInfo = read.tcpInfo;
    } else {
      // Closed since the listing, or its number now holds another file: not this row's socket.
      if ((error.syscall === 'pidfd_getfd' && error.errno === -EBADF) || (error.syscall === 'readlink' && error.errno === -ESTALE)) continue;
      if (error.syscall !== 'getsockopt') throw permissionError(pid, error);
      socket.error = { code: error.code, message: error.message };
    }
    sockets.push(socket);
  }
  return sockets.sort((a, b) => a.fd - b.fd);
}

// "0100007F:1F90" (IPv4) or 32 hex digits (IPv6), each 32-bit word in host order.
function endpoint(hex: string): SocketEndpoint {
  const [address, port] = hex.split(':');
  const bytes = address.match(/.{8}/g)!.flatMap((word) => {
    const wordBytes = word.match(/../g)!.map((byte) => parseInt(byte, 16));
    return endianness() === 'LE' ? wordBytes.reverse() : wordBytes;
  });
  return { address: formatAddress(bytes, bytes.length === 4 ? 4 : 6), port: parseInt(port, 16) };
}

function processError(pid: number, error: NodeJS.ErrnoException, path: string): Error {
  if (error.code === 'ENOENT') return Object.assign(new Error(`no process ${pid}`), { code: 'ESRCH', cause: error });
  if (error.code === 'EACCES' || error.code === 'EPERM') {
    return Object.assign(new Error(`no permission to read ${path}: ${PRIVILEGE}`), { code: error.code, cause: error });
  }
  return error;
}

const PRIVILEGE =
  'inspecting another process needs ptrace permission over it: run as root (or with CAP_SYS_PTRACE), ' +
  'or as its own user where kernel.yama.ptrace_scope is 0';

function permissionError(pid: number, error: Error & { code: string; syscall: string }): Error {
  if (error.code === 'EPERM' || error.code === 'EACCES') {
    return Object.assign(new Error(`${error.syscall} ${error.code}: no permission over process ${pid}: ${PRIVILEGE}`), { code: error.code, cause: error });
  }
  if (error.code === 'ESRCH') return Object.assign(new Error(`no process ${pid}`), { code: 'ESRCH', cause: error });
  if (error.code === 'ENOSYS') {
    return Object.assign(new Error(`${error.syscall} is not available: inspecting another process needs Linux 5.6 or later`), { code: 'ENOSYS', cause: error });
  }
  return error;
}
