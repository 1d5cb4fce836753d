// The witness must be right before it can convict: the pcap reader and the
// keepalive-probe classifier the network scenarios rely on, on hand-made
// segments. Needs no root.
import { describe, expect, it } from 'vitest';
import { type Packet, TCP_ACK, TCP_PSH, TCP_RST, TCP_SYN, parsePcap, traceConnection } from './pcap.js';

const CLIENT = { ip: '10.201.9.1', port: 40000 };
const SERVER = { ip: '10.201.9.2', port: 7000 };
const ISS = 0xfffffff0; // the client's initial sequence number, close to wrap-around on purpose
const IRS = 1000;

function segment(time: number, fromClient: boolean, seq: number, ack: number, flags: number, payload = 0, window = 502): Packet {
  const [from, to] = fromClient ? [CLIENT, SERVER] : [SERVER, CLIENT];
  return { time, src: from.ip, dst: to.ip, sport: from.port, dport: to.port, seq: seq >>> 0, ack: ack >>> 0, flags, window, payload };
}

/** Writes packets as a little-endian µs pcap of Ethernet frames, as tcpdump does here. */
function toPcap(packets: Packet[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const records = packets.map((packet) => {
    const frame = Buffer.alloc(14 + 20 + 20 + packet.payload);
    frame.writeUInt16BE(0x0800, 12);
    frame[14] = 0x45;
    frame.writeUInt16BE(20 + 20 + packet.payload, 16);
    frame[14 + 9] = 6;
    packet.src.split('.').forEach((octet, i) => (frame[26 + i] = Number(octet)));
    packet.dst.split('.').forEach((octet, i) => (frame[30 + i] = Number(octet)));
    frame.writeUInt16BE(packet.sport, 34);
    frame.writeUInt16BE(packet.dport, 36);
    frame.writeUInt32BE(packet.seq, 38);
    frame.writeUInt32BE(packet.ack, 42);
    frame[46] = 5 << 4;
    frame[47] = packet.flags;
    frame.writeUInt16BE(packet.window, 48);
    const record = Buffer.alloc(16);
    const seconds = Math.floor(packet.time);
    record.writeUInt32LE(seconds, 0);
    record.writeUInt32LE(Math.round((packet.time - seconds) * 1e6), 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    return Buffer.concat([record, frame]);
  });
  return Buffer.concat([header, ...records]);
}

// A connection: handshake, 10 bytes each way, then whatever the case adds.
function connection(...more: Packet[]): Packet[] {
  return [
    segment(1, true, ISS, 0, TCP_SYN),
    segment(1.001, false, IRS, ISS + 1, TCP_SYN | TCP_ACK),
    segment(1.002, true, ISS + 1, IRS + 1, TCP_ACK),
    segment(1.1, true, ISS + 1, IRS + 1, TCP_ACK | TCP_PSH, 10), // crosses 2^32
    segment(1.101, false, IRS + 1, ISS + 11, TCP_ACK | TCP_PSH, 10),
    segment(1.102, true, ISS + 11, IRS + 11, TCP_ACK),
    ...more,
  ];
}

const trace = (packets: Packet[]) => traceConnection(parsePcap(toPcap(packets)), CLIENT, SERVER);

describe('pcap reader and keepalive-probe classifier', () => {
  it('reads back time, addresses, ports, seq, ack, flags, window and payload length', () => {
    const packets = connection();
    const parsed = parsePcap(toPcap(packets));
    expect(parsed).toHaveLength(packets.length);
    parsed.forEach((packet, i) => {
      expect(packet.time).toBeCloseTo(packets[i].time, 6);
      expect({ ...packet, time: 0 }).toEqual({ ...packets[i], time: 0 });
    });
  });

  it('ignores a record cut short at the end of the file (tcpdump killed mid-write)', () => {
    const whole = toPcap(connection());
    expect(parsePcap(whole.subarray(0, whole.length - 5))).toHaveLength(connection().length - 1);
  });

  it('counts an empty ACK with seq = snd_nxt - 1 as a probe (Linux), and the reply acking it as the answer', () => {
    const result = trace(connection(segment(3.1, true, ISS + 10, IRS + 11, TCP_ACK), segment(3.1002, false, IRS + 11, ISS + 11, TCP_ACK)));
    expect(result.probes).toHaveLength(1);
    expect(result.probes[0].answeredAt).toBeCloseTo(3.1002, 6);
  });

  it('counts a one-byte segment re-sending an acknowledged byte as a probe (other stacks)', () => {
    const result = trace(connection(segment(3.1, true, ISS + 10, IRS + 11, TCP_ACK, 1)));
    expect(result.probes).toHaveLength(1);
    expect(result.probes[0].answeredAt).toBeNull();
    expect(result.retransmissions).toEqual([]);
  });

  it('does not count an ordinary ACK (seq = snd_nxt)', () => {
    expect(trace(connection(segment(3.1, true, ISS + 11, IRS + 11, TCP_ACK))).probes).toEqual([]);
  });

  it('calls a re-sent byte the peer never acknowledged a retransmission, not a probe', () => {
    const result = trace(
      connection(segment(2, true, ISS + 11, IRS + 11, TCP_ACK | TCP_PSH, 1), segment(2.2, true, ISS + 11, IRS + 11, TCP_ACK | TCP_PSH, 1)),
    );
    expect(result.probes).toEqual([]);
    expect(result.retransmissions).toHaveLength(1);
  });

  it('does not count a zero-window probe, which looks the same but follows a closed window', () => {
    const result = trace(
      connection(segment(2, false, IRS + 11, ISS + 11, TCP_ACK, 0, 0), segment(2.2, true, ISS + 10, IRS + 11, TCP_ACK)),
    );
    expect(result.probes).toEqual([]);
  });

  it('does not count RSTs, and records the RST the sender gave up with', () => {
    const result = trace(connection(segment(4, true, ISS + 11, IRS + 11, TCP_RST | TCP_ACK)));
    expect(result.probes).toEqual([]);
    expect(result.reset?.time).toBe(4);
    expect(result.lastReceived?.time).toBeCloseTo(1.101, 6);
  });
});
