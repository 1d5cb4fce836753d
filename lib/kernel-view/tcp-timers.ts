// The kernel's timers, as pure arithmetic: its constants and the rules of
// net/ipv4/tcp_timer.c that decide when a silent peer is given up on.
// detectionTime (detection-time.ts) applies them to a socket or settings;
// keepAliveFor (detection-budget.ts) turns them around. No I/O here, so the
// preload's start-up bundle can carry it.

// include/net/tcp.h: TCP_RTO_MIN and TCP_RTO_MAX.
export const RTO_MIN_MS = 200;
const RTO_MAX_MS = 120_000;
// Linux timers fire late, never early, by at most 1/8 of their length (the
// timer wheel's granularity at each level, kernel/time/timer.c).
export const TIMER_SLACK = 9 / 8;

/**
 * tcp_keepalive_timer: a probe at `idle`, then one every `interval`; at each
 * tick it gives up once `count` probes went unanswered, or, with a user
 * timeout, once that much time passed and one probe went out (count is then
 * not consulted at all). Returns when it gives up, in ms after the last packet.
 */
export function keepaliveGivesUp(idle: number, interval: number, count: number, userTimeout: number): number {
  if (userTimeout > 0) return idle + interval * Math.max(1, Math.ceil((userTimeout - idle) / interval));
  return idle + interval * count;
}

/**
 * tcp_model_timeout(): `boundary` (tcp_retries2) retransmissions doubling from
 * TCP_RTO_MIN, capped at TCP_RTO_MAX. 15 (the default) gives 924.6 s.
 */
export function retransmissionTimeout(boundary: number): number {
  const threshold = Math.floor(Math.log2(RTO_MAX_MS / RTO_MIN_MS));
  if (boundary <= threshold) return (2 ** (boundary + 1) - 1) * RTO_MIN_MS;
  return (2 ** (threshold + 1) - 1) * RTO_MIN_MS + (boundary - threshold) * RTO_MAX_MS;
}
