// detectionTime: how long a peer that vanished without a word goes unnoticed,
// by the kernel's rules (tcp-timers.ts), for given settings or for a socket's
// own, with the system's defaults for what is left out.
import { Server, Socket } from 'node:net';
import { invalidArgType, outOfRange } from '../core/errors.js';
import type { KeepAliveState } from '../core/native.js';
import { getKeepAlive } from '../core/set-get.js';
import { systemDefaults } from './system.js';
import { RTO_MIN_MS, TIMER_SLACK, keepaliveGivesUp, retransmissionTimeout, retransmissionsGiveUp } from './tcp-timers.js';

/** Settings `detectionTime` can take; anything left out is the system default. */
export type DetectionSettings = { [K in keyof KeepAliveState]?: KeepAliveState[K] | undefined } & {
  /** net.ipv4.tcp_retries2. */
  retries2?: number | undefined;
};

/** How long a silent dead peer goes unnoticed, in ms, worst case, by the kernel's rules (net/ipv4/tcp_timer.c). */
export interface DetectionTime {
  /**
   * Nothing of ours unacknowledged (the peer just went quiet): ms from the last
   * packet received to ETIMEDOUT. `null` with keepalive off: never noticed.
   */
  idle: number | null;
  /** What decides `idle`: probes run out, the user timeout cuts them short, or keepalive is off. */
  idleBy: 'keepalive' | 'user-timeout' | 'off';
  /**
   * Our data unacknowledged (keepalive is silent then): ms from the first
   * unacknowledged transmission to ETIMEDOUT, bounded by the user timeout if
   * set, else tcp_retries2's hypothetical timeout (retransmissions backing off
   * from 200 ms to 120 s), which the kernel only ever exceeds: see dataInFlightWorst.
   */
  dataInFlight: number;
  dataInFlightBy: 'user-timeout' | 'tcp_retries2';
  /** The latest the kernel may report an idle dead peer: `idle` with every timer 1/8 late. */
  idleWorst: number | null;
  /**
   * The latest with data in flight, from the first transmission: the user
   * timeout counts from the first retransmission, one retransmission timeout
   * later (200 ms plus about the round trip; 200 ms is counted here), and its
   * last timer may fire 1/8 late. Without a user timeout, the kernel gives up
   * at the first retransmission timeout past tcp_retries2's hypothetical time,
   * counted from the first retransmission (1044.6 s for the default 15), 1/8 late.
   */
  dataInFlightWorst: number;
  /**
   * A peer that is alive but stops reading (a paused download, a backgrounded
   * app, a consumer under backpressure) while we have data to send: its
   * receive window closes, and its answers to our zero-window probes keep the
   * connection up for ever, unless a user timeout is set: then it ends
   * (ETIMEDOUT) that many ms after the first zero-window probe, which leaves
   * one retransmission timeout after the window closed (measured: 3.26 s for
   * 3000). `null`: never cut off. The price of a user timeout on a server
   * whose clients may pause reading (Linux >= 5.11; before, answered probes
   * restarted its count).
   */
  stalledReader: number | null;
  /** The settings the figures are for, defaults filled in. */
  settings: Required<{ [K in keyof DetectionSettings]: Exclude<DetectionSettings[K], undefined> }>;
}


/**
 * The worst-case time to notice a dead peer, for a socket (its settings read
 * from the kernel) or for settings (left-out values are the system defaults).
 * Timers fire up to 1/8 late, never early: observed times lie in
 * [value, value × 9/8] (the data-in-flight path can add one retransmission timeout).
 */
export function detectionTime(settingsOrSocket: DetectionSettings | Socket | Server): DetectionTime {
  const given: DetectionSettings = settingsOrSocket instanceof Socket || settingsOrSocket instanceof Server ? getKeepAlive(settingsOrSocket) : settingsOrSocket;
  if (typeof given !== 'object' || given === null) {
    throw invalidArgType('settingsOrSocket', 'an object or an instance of net.Socket or net.Server', given);
  }
  // /proc/sys only for what decides a figure: tcp_retries2 decides none when
  // a user timeout bounds the data-in-flight path.
  const retries2Matters = !(typeof given.userTimeout === 'number' && given.userTimeout > 0);
  const needsDefaults =
    ['idle', 'interval', 'count'].some((key) => given[key as keyof DetectionSettings] === undefined) ||
    (given.retries2 === undefined && retries2Matters);
  const defaults = needsDefaults ? systemDefaults() : undefined;
  const settings: DetectionTime['settings'] = {
    enabled: checkBoolean(given.enabled ?? true, 'settings.enabled'),
    idle: check(given.idle ?? defaults!.idle, 'settings.idle'),
    interval: check(given.interval ?? defaults!.interval, 'settings.interval'),
    count: check(given.count ?? defaults!.count, 'settings.count'),
    userTimeout: check(given.userTimeout ?? 0, 'settings.userTimeout'),
    retries2: check(given.retries2 ?? defaults?.retries2 ?? retries2IfReadable(), 'settings.retries2'),
  };
  const { enabled, idle, interval, count, userTimeout, retries2 } = settings;

  const idleMs = enabled ? keepaliveGivesUp(idle, interval, count, userTimeout) : null;
  const idleBy: DetectionTime['idleBy'] = !enabled ? 'off' : userTimeout > 0 ? 'user-timeout' : 'keepalive';
  const dataInFlight = userTimeout > 0 ? userTimeout : retransmissionTimeout(retries2);
  return {
    idle: idleMs,
    idleBy,
    dataInFlight,
    dataInFlightBy: userTimeout > 0 ? 'user-timeout' : 'tcp_retries2',
    idleWorst: idleMs === null ? null : Math.ceil(idleMs * TIMER_SLACK),
    // The user timeout counts from the first retransmission, one RTO after the data, and its last timer is clamped to it;
    // without one the kernel gives up at the first timeout past tcp_retries2's hypothetical time.
    dataInFlightWorst: userTimeout > 0 ? Math.ceil(dataInFlight * TIMER_SLACK) + RTO_MIN_MS : Math.ceil(retransmissionsGiveUp(retries2) * TIMER_SLACK),
    // tcp_probe_timer: the user timeout counts from the first zero-window probe, answered or not.
    stalledReader: userTimeout > 0 ? userTimeout : null,
    settings,
  };
}

// The system's tcp_retries2 where /proc/sys can be read, else the kernel's
// default (15); only called where it decides no figure.
function retries2IfReadable(): number {
  try {
    return systemDefaults().retries2;
  } catch {
    return 15;
  }
}

function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

function check(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(Number.isFinite(value) && value >= 0)) throw outOfRange(name, 'a finite number >= 0', value);
  return value;
}

