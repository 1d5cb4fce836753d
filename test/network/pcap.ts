// The witness's reading: classic pcap files as tcpdump -w writes them, and
// one TCP connection traced through them, with keepalive probes, their
// answers and retransmissions told apart by sequence numbers alone.

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export interface Packet {
  /** Wall-clock epoch seconds, as tcpdump -tt prints them. */
  time: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  /** Advertised window, unscaled (zero means zero whatever the scale). */
  window: number;
  /** TCP payload bytes, from the IP total length (not the snapped capture length). */
  payload: number;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;

/**
 * Reads TCP/IPv4 segments from a classic pcap file (µs or ns timestamps,
 * either byte order; Ethernet or Linux cooked link types). A record cut short
 * at the end of the file is ignored.
 */
export function parsePcap(data: Buffer): Packet[] {
  if (data.length < 24) return [];
  let littleEndian: boolean;
  let nanoseconds: boolean;
  const magicLE = data.readUInt32LE(0);
  const magicBE = data.readUInt32BE(0);
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    littleEndian = true;
    nanoseconds = magicLE === 0xa1b23c4d;
  } else if (magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d) {
    littleEndian = false;
    nanoseconds = magicBE === 0xa1b23c4d;
  } else {
    throw new Error(`not a pcap file (magic ${magicLE.toString(16)})`);
  }
  const u32 = (offset: number) => (littleEndian ? data.readUInt32LE(offset) : data.readUInt32BE(offset));
  const linkType = u32(20);
  if (linkType !== LINKTYPE_ETHERNET && linkType !== LINKTYPE_LINUX_SLL) throw new Error(`unsupported pcap link type ${linkType}`);
  const packets: Packet[] = [];
  for (let offset = 24; offset + 16 <= data.length; ) {
    const seconds = u32(offset);
    const fraction = u32(offset + 4);
    const capturedLength = u32(offset + 8);
    const start = offset + 16;
    offset = start + capturedLength;
    if (offset > data.length) break;
    const frame = data.subarray(start, start + capturedLength);
    const packet = parseFrame(frame, linkType);
    if (packet) packets.push({ time: seconds + fraction / (nanoseconds ? 1e9 : 1e6), ...packet });
  }
  return packets;
}

function parseFrame(frame: Buffer, linkType: number): Omit<Packet, 'time'> | undefined {
  let ip: number;
  let etherType: number;
  if (linkType === LINKTYPE_ETHERNET) {
    etherType = frame.readUInt16BE(12);
    ip = 14;
    if (etherType === 0x8100) {
      etherType = frame.readUInt16BE(16);
      ip = 18;
    }
  } else {
    etherType = frame.readUInt16BE(14);
    ip = 16;
  }
  if (etherType !== 0x0800 || frame.length < ip + 20) return undefined;
  const headerLength = (frame[ip] & 0x0f) * 4;
  if (frame[ip + 9] !== 6) return undefined;
  const totalLength = frame.readUInt16BE(ip + 2);
  const tcp = ip + headerLength;
  if (frame.length < tcp + 20) return undefined;
  const tcpHeaderLength = (frame[tcp + 12] >> 4) * 4;
  const dotted = (at: number) => `${frame[at]}.${frame[at + 1]}.${frame[at + 2]}.${frame[at + 3]}`;
  return {
    src: dotted(ip + 12),
    dst: dotted(ip + 16),
    sport: frame.readUInt16BE(tcp),
    dport: frame.readUInt16BE(tcp + 2),
    seq: frame.readUInt32BE(tcp + 4),
    ack: frame.readUInt32BE(tcp + 8),
    flags: frame[tcp + 13],
    window: frame.readUInt16BE(tcp + 14),
    payload: totalLength - headerLength - tcpHeaderLength,
  };
}

// ---------------------------------------------------------------------------
// Reading one connection out of a capture.

export interface SocketAddress {
  ip: string;
  port: number;
}

export interface Probe {
  packet: Packet;
  /** When the peer acknowledged it (a packet acking probe.seq + 1), or null if it never did. */
  answeredAt: number | null;
}

export interface ConnectionTrace {
  /** Both directions, in capture order. */
  packets: Packet[];
  sent: Packet[];
  received: Packet[];
  /** Keepalive probes `local` sent (see isKeepAliveProbe). */
  probes: Probe[];
  /** Segments `local` sent again: payload starting below what it had already sent. */
  retransmissions: Packet[];
  lastReceived: Packet | undefined;
  /** The RST `local` sent, if any (the kernel sends one when keepalive gives up). */
  reset: Packet | undefined;
}

const seqAfter = (a: number, b: number) => ((a - b) | 0) > 0;
const seqBefore = (a: number, b: number) => ((a - b) | 0) < 0;

/** What the capture says about the sender and its peer just before a packet. */
export interface SenderState {
  /** One past the highest sequence number the sender has sent (snd_nxt). */
  sndNxt: number | undefined;
  /** The highest ack the peer has sent (snd_una as far as the wire shows). */
  peerAcked: number | undefined;
  /** The window in the peer's latest segment. */
  peerWindow: number | undefined;
}

/**
 * A keepalive probe, as the sender's state defines it (RFC 1122 4.2.3.6):
 * a segment with ACK and no SYN/FIN/RST, carrying at most one byte, whose
 * sequence number is one below the next byte the sender would send
 * (seq = snd_nxt - 1), sent while the peer had acknowledged everything
 * (snd_una = snd_nxt) and had an open window. Linux sends it with no payload
 * (tcp_xmit_probe_skb: seq = snd_una - 1); some stacks resend the last byte,
 * hence "at most one". An ordinary ACK has seq = snd_nxt; a retransmission
 * re-sends bytes the peer has not acknowledged; a zero-window probe looks
 * exactly like a keepalive probe on Linux but follows a zero window. None of
 * them can match. tcpdump's text output hides seq on empty segments, which is
 * why this reads the pcap.
 */
export function isKeepAliveProbe(packet: Packet, sender: SenderState): boolean {
  return (
    sender.sndNxt !== undefined &&
    (packet.flags & TCP_ACK) !== 0 &&
    (packet.flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 &&
    packet.payload <= 1 &&
    packet.seq === ((sender.sndNxt - 1) >>> 0) &&
    sender.peerAcked === sender.sndNxt &&
    sender.peerWindow !== 0
  );
}

/** Walks one connection (local <-> remote) through the capture, tracking local's snd_nxt and the peer's highest ack. */
/**
 * Whether the capture shows `socket`'s connection at rest: each end has
 * acknowledged on the wire every byte of data the capture saw the other send
 * (and it saw some). A peer may then vanish without cutting an ACK off.
 */
export function settled(packets: Packet[], socket: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number }): boolean {
  const trace = traceSocket(packets, socket);
  const dataEnd = (list: Packet[]): number | undefined =>
    list.filter((p) => p.payload > 0).reduce<number | undefined>((end, p) => {
      const next = (p.seq + p.payload) >>> 0;
      return end === undefined || seqAfter(next, end) ? next : end;
    }, undefined);
  const ackedUpTo = (list: Packet[]): number | undefined =>
    list.filter((p) => p.flags & TCP_ACK).reduce<number | undefined>((most, p) => (most === undefined || seqAfter(p.ack, most) ? p.ack : most), undefined);
  const covered = (end: number | undefined, acks: Packet[]): boolean => {
    if (end === undefined) return true;
    const acked = ackedUpTo(acks);
    return acked !== undefined && !seqBefore(acked, end);
  };
  const [sentEnd, receivedEnd] = [dataEnd(trace.sent), dataEnd(trace.received)];
  return (sentEnd !== undefined || receivedEnd !== undefined) && covered(sentEnd, trace.received) && covered(receivedEnd, trace.sent);
}

/** traceConnection for a socket as an endpoint reports it (its local and remote address and port). */
export function traceSocket(
  packets: Packet[],
  socket: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number },
): ConnectionTrace {
  return traceConnection(packets, { ip: socket.localAddress, port: socket.localPort }, { ip: socket.remoteAddress, port: socket.remotePort });
}

export function traceConnection(packets: Packet[], local: SocketAddress, remote: SocketAddress): ConnectionTrace {
  const isFrom = (p: Packet, a: SocketAddress, b: SocketAddress) =>
    p.src === a.ip && p.sport === a.port && p.dst === b.ip && p.dport === b.port;
  const own = packets.filter((p) => isFrom(p, local, remote) || isFrom(p, remote, local));
  const trace: ConnectionTrace = {
    packets: own,
    sent: [],
    received: [],
    probes: [],
    retransmissions: [],
    lastReceived: undefined,
    reset: undefined,
  };
  const sender: SenderState = { sndNxt: undefined, peerAcked: undefined, peerWindow: undefined };
  for (const packet of own) {
    if (isFrom(packet, local, remote)) {
      trace.sent.push(packet);
      if (packet.flags & TCP_RST) trace.reset ??= packet;
      if (isKeepAliveProbe(packet, sender)) {
        trace.probes.push({ packet, answeredAt: null });
      } else if (packet.payload > 0 && sender.sndNxt !== undefined && seqBefore(packet.seq, sender.sndNxt)) {
        trace.retransmissions.push(packet);
      }
      const end = (packet.seq + packet.payload + (packet.flags & TCP_SYN ? 1 : 0) + (packet.flags & TCP_FIN ? 1 : 0)) >>> 0;
      if (sender.sndNxt === undefined || seqAfter(end, sender.sndNxt)) sender.sndNxt = end;
    } else {
      trace.received.push(packet);
      trace.lastReceived = packet;
      sender.peerWindow = packet.window;
      if (packet.flags & TCP_ACK && (sender.peerAcked === undefined || seqAfter(packet.ack, sender.peerAcked))) {
        sender.peerAcked = packet.ack;
      }
      for (const probe of trace.probes) {
        if (probe.answeredAt === null && packet.time >= probe.packet.time && packet.ack === ((probe.packet.seq + 1) >>> 0)) {
          probe.answeredAt = packet.time;
        }
      }
    }
  }
  return trace;
}
