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
 * TCP_RTO_MIN, capped at TCP_RTO_MAX. 15 (the default) gives 924.6 s: the
 * kernel's hypothetical timeout, a lower bound (see retransmissionsGiveUp).
 */
export function retransmissionTimeout(boundary: number): number {
  const threshold = Math.floor(Math.log2(RTO_MAX_MS / RTO_MIN_MS));
  if (boundary <= threshold) return (2 ** (boundary + 1) - 1) * RTO_MIN_MS;
  return (2 ** (threshold + 1) - 1) * RTO_MIN_MS + (boundary - threshold) * RTO_MAX_MS;
}

/**
 * When the kernel really gives up on unacknowledged data without a user
 * timeout, in ms after the data was first sent: "at the first RTO which
 * exceeds the hypothetical timeout" (Documentation/networking/ip-sysctl.rst,
 * tcp_retries2), that timeout counted from the first retransmission
 * (tcp_write_timeout: retrans_stamp). Timeouts doubling from TCP_RTO_MIN, as on
 * a low-latency path. Measured (scenario 12): tcp_retries2 = 3 (3 s
 * hypothetical) gave ETIMEDOUT 6.7 s after the data; this says 6.2 s on time.
 * 15 gives 1044.6 s.
 */
export function retransmissionsGiveUp(boundary: number): number {
  const hypothetical = retransmissionTimeout(boundary);
  let rto = RTO_MIN_MS;
  const firstRetransmission = rto;
  let at = firstRetransmission;
  while (at - firstRetransmission < hypothetical) {
    rto = Math.min(rto * 2, RTO_MAX_MS);
    at += rto;
  }
  return at;
}
