// keepAliveFor: settings chosen from what a user needs ("notice a vanished
// peer within 30 s", "keep the NAT's entry alive") rather than four knobs.
// It turns the kernel's rules in lib/kernel-view/tcp-timers.ts (which
// detectionTime applies) around:
//
//   T = floor((detectWithin - RTO_MIN) / (9/8)), in whole seconds
//   idle + interval x count = T, userTimeout = T (so both paths agree)
//
// - Idle connection: with a user timeout the kernel gives up at the first probe
//   tick at or after it (tcp_keepalive_timer), here tick `count`, at T. Timers
//   fire up to 1/8 late, never early: at the latest 9/8 x T.
// - Data in flight: keepalive is silent, the retransmission timer gives up
//   once the user timeout has passed, counted from the first retransmission
//   (one RTO, 200 ms plus about the round trip, after the data was sent); its
//   last timer is clamped to the time left (tcp_clamp_rto_to_user_timeout) and
//   may be 1/8 late: at the latest 200 ms + 9/8 x T on a low-latency path
//   (measured: T = 6 s gave ETIMEDOUT 6.55 s after the data was sent).
// Both are <= detectWithin by construction. With `userTimeout: false` only
// the first holds (the count ends it at T); data in flight waits for tcp_retries2.
import { invalidArgType, invalidArgValue, outOfRange } from '../core/errors.js';
import { MAX_COUNT, MAX_KEEPALIVE_SECONDS, MAX_USER_TIMEOUT_MS, optionalInteger } from '../core/options.js';
import { RTO_MIN_MS, TIMER_SLACK } from './tcp-timers.js';

/** What `keepAliveFor` takes. Times in milliseconds. */
export interface DetectionBudget {
  /**
   * The longest a peer that vanished without a word (power loss, cable cut)
   * may go unnoticed, in the worst case the kernel allows, whether the
   * connection was idle or had data in flight. At least 2 450 ms (4 700 ms for 3 probes).
   */
  detectWithin: number;
  /**
   * The idle timeout of a NAT, firewall or load balancer on the path (AWS NAT
   * gateway and NLB: 350 000; Azure: 240 000 by default; GCP Cloud NAT: 1 200 000).
   * Idle and interval stay at or below 80 % of it, so probes refresh its entry
   * before it forgets the connection. At least 1 250.
   */
  natIdle?: number | undefined;
  /**
   * Unanswered probes before the connection is declared dead: at least this
   * many (more when natIdle leaves room). Default: 3 where the budget allows
   * (from 4 700 ms), else as many as fit; given explicitly, a budget too small
   * for it is an error.
   */
  probes?: number | undefined;
  /**
   * `false`: no user timeout (the result's `userTimeout` is 0). A user timeout
   * also ends a connection whose live peer stops reading for that long (a
   * paused download, a backgrounded app, a consumer under backpressure: its
   * window closes; see detectionTime's `stalledReader`). Without one such a
   * peer is never cut off and an idle dead peer is still noticed within
   * `detectWithin` by keepalive alone, but with data in flight only
   * tcp_retries2 ends the connection (about 15 min by default). For the
   * accepted connections of servers that stream. Default: true.
   */
  userTimeout?: boolean | undefined;
}

/** What `keepAliveFor` returns: plain options for setKeepAlive, the agents, undici and configure. */
export interface ChosenKeepAlive {
  idle: number;
  interval: number;
  count: number;
  /** The schedule's length, or 0 where the budget said `userTimeout: false`. */
  userTimeout: number;
}

/** Probes preferred when the caller does not say: one lost probe must not end a live connection. */
const DEFAULT_PROBES = 3;
/** Idle (and interval) at most this share of natIdle: 9/8 of it, the latest a probe goes out, is 90 %. */
export const NAT_IDLE_SHARE = 0.8;
const BUDGET_KEYS = ['detectWithin', 'natIdle', 'probes', 'userTimeout'];

/** The smallest `detectWithin` that leaves room for `probes` probes 1 s apart after 1 s idle. */
function smallestBudget(probes: number): number {
  return Math.ceil((probes + 1) * 1000 * TIMER_SLACK + RTO_MIN_MS);
}

/**
 * Chooses idle, interval, count and user timeout so that a silent dead peer is
 * reported (ETIMEDOUT) within `detectWithin` in the worst case, idle or with
 * data in flight, and (with `natIdle`) probes keep a NAT's entry alive.
 * Throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE or ERR_OUT_OF_RANGE for
 * a budget that is malformed or cannot hold.
 */
export function keepAliveFor(budget: DetectionBudget): ChosenKeepAlive {
  const chosen = scheduleFor(budget);
  return { idle: chosen.idleSeconds * 1000, interval: chosen.intervalSeconds * 1000, count: chosen.count, userTimeout: chosen.userTimeoutMs };
}

/** keepAliveFor's choice in the kernel's units: whole seconds, and ms for the user timeout. */
export interface Schedule {
  idleSeconds: number;
  intervalSeconds: number;
  count: number;
  userTimeoutMs: number;
}

/**
 * keepAliveFor in the kernel's units, for the preload, which takes them to
 * the kernel as they are (no round trip through milliseconds).
 */
export function scheduleFor(budget: DetectionBudget): Schedule {
  const { detectWithin, natIdle, probes, userTimeout } = validateBudget(budget);
  const wanted = probes ?? DEFAULT_PROBES;
  // Whole seconds of schedule that fit the budget on both paths.
  const total = Math.floor((detectWithin - RTO_MIN_MS) / TIMER_SLACK / 1000);
  // Too small even for one probe, or for the probes asked for (the default 3 shrinks to fit instead).
  const need = probes ?? 1;
  if (total < need + 1) {
    throw outOfRange(
      'budget.detectWithin',
      `>= ${smallestBudget(need)} for ${need} probe${need === 1 ? '' : 's'} (1 s idle, then probes 1 s apart, ` +
        'each timer up to 1/8 late, plus one 200 ms retransmission timeout)',
      detectWithin,
    );
  }
  const count = Math.min(wanted, total - 1);
  // Idle and interval alike (as Go's defaults are): as much silence before the
  // first probe as between probes, the remainder to idle.
  let interval = Math.min(Math.floor(total / (count + 1)), MAX_KEEPALIVE_SECONDS);
  let idle = Math.min(total - count * interval, MAX_KEEPALIVE_SECONDS);
  if (natIdle !== undefined) {
    const ceiling = Math.floor((natIdle * NAT_IDLE_SHARE) / 1000);
    idle = Math.min(idle, ceiling);
    interval = Math.min(interval, ceiling);
  }
  // Where clamping left time over, more probes: more tolerance of lost
  // probes for the same worst case.
  const probeCount = Math.min(MAX_COUNT, Math.max(count, Math.floor((total - idle) / interval)));
  const schedule = idle + probeCount * interval;
  return { idleSeconds: idle, intervalSeconds: interval, count: probeCount, userTimeoutMs: userTimeout ? schedule * 1000 : 0 };
}

function validateBudget(budget: unknown): { detectWithin: number; natIdle: number | undefined; probes: number | undefined; userTimeout: boolean } {
  if (typeof budget !== 'object' || budget === null || Array.isArray(budget)) {
    throw invalidArgType('budget', 'an object with detectWithin', budget);
  }
  const given = budget as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!BUDGET_KEYS.includes(key)) throw invalidArgValue(`budget.${key}`, `is not a budget option (known: ${BUDGET_KEYS.join(', ')})`, given[key]);
  }
  const detectWithin = optionalInteger(given.detectWithin, 'budget.detectWithin', smallestBudget(1), MAX_USER_TIMEOUT_MS, 'ms');
  const natIdle = optionalInteger(given.natIdle, 'budget.natIdle', Math.ceil(1000 / NAT_IDLE_SHARE), MAX_USER_TIMEOUT_MS, 'ms');
  const probes = optionalInteger(given.probes, 'budget.probes', 1, MAX_COUNT, 'probes');
  if (detectWithin === undefined) throw invalidArgType('budget.detectWithin', 'of type number', undefined);
  if (given.userTimeout !== undefined && typeof given.userTimeout !== 'boolean') throw invalidArgType('budget.userTimeout', 'of type boolean', given.userTimeout);
  return { detectWithin, natIdle, probes, userTimeout: given.userTimeout !== false };
}
