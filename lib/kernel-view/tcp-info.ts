// getTcpInfo: what the kernel knows about a connection's liveness right now,
// from one getsockopt(TCP_INFO).
import type { Server, Socket } from 'node:net';
import { binding as loaded, detached, native as binding, unsupported } from '../core/binding.js';
import { socketError, systemError } from '../core/errors.js';
import { PENDING, checkTarget, resolveFd } from '../core/target.js';

/** A TCP state as the kernel names it (<netinet/tcp.h>). */
export type TcpState =
  | 'ESTABLISHED' | 'SYN_SENT' | 'SYN_RECV' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'TIME_WAIT'
  | 'CLOSE' | 'CLOSE_WAIT' | 'LAST_ACK' | 'LISTEN' | 'CLOSING';

/**
 * Live TCP state of a socket, from struct tcp_info. Times in milliseconds
 * (rtt, rttVariance and rto keep the kernel's microsecond precision as fractions).
 */
export interface TcpInfo {
  /** The connection's TCP state. */
  state: TcpState;
  /** Smoothed round-trip time. */
  rtt: number;
  /** Round-trip time variance (the kernel's mdev). */
  rttVariance: number;
  /** Current retransmission timeout. */
  rto: number;
  /** Keepalive (or zero-window) probes sent and not answered so far; 0 once the peer answers. */
  probes: number;
  /** Exponential backoff of the retransmission timer. */
  backoff: number;
  /** Retransmission timeouts of the oldest unacknowledged segment so far (data in flight). */
  retransmits: number;
  /** Retransmissions over the connection's life. */
  totalRetransmits: number;
  /** Segments sent and not yet acknowledged. */
  unacked: number;
  /** Segments the kernel considers lost. */
  lost: number;
  /** Time since data was last sent. */
  lastDataSent: number;
  /** Time since data was last received. */
  lastDataReceived: number;
  /** Time since an ACK was last received. */
  lastAckReceived: number;
}

const { infoSlots, infoLayout: F, stateNames, slots, layout } = binding;
const NATIVE = loaded !== null;

/** Reads the live TCP state of a connected TCP socket (or listener): one syscall. */
export function getTcpInfo(target: Socket | Server): TcpInfo {
  if (!NATIVE) {
    checkTarget(target);
    throw unsupported('reading TCP_INFO (getTcpInfo)');
  }
  const fd = resolveFd(target);
  if (fd === PENDING) {
    throw socketError('ERR_SOCKET_NOT_CONNECTED', "The socket is not connected yet: read its TCP_INFO after 'connect'");
  }
  slots[layout.fd] = fd;
  if (slots.length === 0 || infoSlots.length === 0) throw detached();
  binding.info();
  if (slots[layout.result] !== 0) throw systemError(slots[layout.result], 'getsockopt', 'TCP_INFO');
  return infoFromSlots();
}

/** The TcpInfo in the info slots (filled by info() or inspect()). */
export function infoFromSlots(): TcpInfo {
  return {
    state: (stateNames[infoSlots[F.state]] || `UNKNOWN(${infoSlots[F.state]})`) as TcpState,
    rtt: infoSlots[F.rttUs] / 1000,
    rttVariance: infoSlots[F.rttVarUs] / 1000,
    rto: infoSlots[F.rtoUs] / 1000,
    probes: infoSlots[F.probes],
    backoff: infoSlots[F.backoff],
    retransmits: infoSlots[F.retransmits],
    totalRetransmits: infoSlots[F.totalRetrans],
    unacked: infoSlots[F.unacked],
    lost: infoSlots[F.lost],
    lastDataSent: infoSlots[F.lastDataSentMs],
    lastDataReceived: infoSlots[F.lastDataRecvMs],
    lastAckReceived: infoSlots[F.lastAckRecvMs],
  };
}
