// What the kernel does when nobody sets anything, and how long a dead peer
// takes to notice for given settings.
import { readFileSync } from 'node:fs';
import { Server, Socket } from 'node:net';
import { invalidArgType, outOfRange } from '../core/errors.js';
import { getKeepAlive } from '../core/set-get.js';
import type { KeepAliveState } from '../core/native.js';
import { RTO_MIN_MS, TIMER_SLACK } from '../core/options.js';

/** The defaults in force for new sockets in this process's network namespace. */
export interface SystemDefaults {
  /** net.ipv4.tcp_keepalive_time, in ms. */
  idle: number;
  /** net.ipv4.tcp_keepalive_intvl, in ms. */
  interval: number;
  /** net.ipv4.tcp_keepalive_probes. */
  count: number;
  /** net.ipv4.tcp_retries2: retransmissions before a connection with unacknowledged data is dropped. */
  retries2: number;
}

const SYSCTL = '/proc/sys/net/ipv4/';

/** Reads the kernel's defaults from /proc (per network namespace, read afresh each call). */
export function systemDefaults(): SystemDefaults {
  const read = (name: string): number => {
    let text: string;
    try {
      text = readFileSync(SYSCTL + name, 'utf8');
    } catch (cause) {
      const code = (cause as { code?: string }).code ?? 'unknown error';
      throw Object.assign(
        new Error(`tcp-keepalive: cannot read the system default ${SYSCTL}${name} (${code}): /proc/sys must be mounted and readable`, { cause }),
        { code: 'ERR_TCP_KEEPALIVE_NO_SYSCTL' },
      );
    }
    return Number(text.trim());
  };
  return {
    idle: read('tcp_keepalive_time') * 1000,
    interval: read('tcp_keepalive_intvl') * 1000,
    count: read('tcp_keepalive_probes'),
    retries2: read('tcp_retries2'),
  };
}

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
   * set, else by tcp_retries2 with retransmissions backing off from 200 ms to 120 s.
   */
  dataInFlight: number;
  dataInFlightBy: 'user-timeout' | 'tcp_retries2';
  /** The latest the kernel may report an idle dead peer: `idle` with every timer 1/8 late. */
  idleWorst: number | null;
  /**
   * The latest with data in flight, from the first transmission: the user
   * timeout counts from the first retransmission, one retransmission timeout
   * later (200 ms plus about the round trip; 200 ms is counted here), and its
   * last timer may fire 1/8 late.
   */
  dataInFlightWorst: number;
  /** The settings the figures are for, defaults filled in. */
  settings: Required<{ [K in keyof DetectionSettings]: Exclude<DetectionSettings[K], undefined> }>;
}

// include/net/tcp.h: TCP_RTO_MAX (TCP_RTO_MIN is in options.ts).
const RTO_MAX_MS = 120_000;

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

  // tcp_keepalive_timer: a probe at `idle`, then one every `interval`; at each
  // tick it gives up once `count` probes went unanswered, or, with a user
  // timeout, once that much time passed and one probe went out (count is then
  // not consulted at all).
  let idleMs: number | null = null;
  let idleBy: DetectionTime['idleBy'] = 'off';
  if (enabled) {
    if (userTimeout > 0) {
      idleMs = idle + interval * Math.max(1, Math.ceil((userTimeout - idle) / interval));
      idleBy = 'user-timeout';
    } else {
      idleMs = idle + interval * count;
      idleBy = 'keepalive';
    }
  }
  const dataInFlight = userTimeout > 0 ? userTimeout : retransmissionTimeout(retries2);
  return {
    idle: idleMs,
    idleBy,
    dataInFlight,
    dataInFlightBy: userTimeout > 0 ? 'user-timeout' : 'tcp_retries2',
    idleWorst: idleMs === null ? null : Math.ceil(idleMs * TIMER_SLACK),
    dataInFlightWorst: Math.ceil(dataInFlight * TIMER_SLACK) + RTO_MIN_MS,
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

// tcp_model_timeout(): `boundary` retransmissions doubling from TCP_RTO_MIN,
// capped at TCP_RTO_MAX. 15 (the default) gives 924.6 s.
function retransmissionTimeout(boundary: number): number {
  const threshold = Math.floor(Math.log2(RTO_MAX_MS / RTO_MIN_MS));
  if (boundary <= threshold) return (2 ** (boundary + 1) - 1) * RTO_MIN_MS;
  return (2 ** (threshold + 1) - 1) * RTO_MIN_MS + (boundary - threshold) * RTO_MAX_MS;
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

