// tcp-keepalive defaults: the system's keepalive sysctls and what they mean.
import { detectionTime } from '../kernel-view/detection-time.js';
import { systemDefaults } from '../kernel-view/system.js';
import { formatDuration, formatSeconds } from './format.js';
import { EXIT } from './usage.js';

export function defaultsCommand(json: boolean): number {
  const defaults = systemDefaults();
  const detection = detectionTime(defaults); // the values just read: /proc once
  if (json) {
    console.log(JSON.stringify({ defaults, detection }, null, 2));
    return EXIT.ok;
  }
  console.log(`System defaults (this network namespace, /proc/sys/net/ipv4):
  tcp_keepalive_time   ${formatSeconds(defaults.idle)}   idle before the first probe
  tcp_keepalive_intvl  ${formatSeconds(defaults.interval)}   between unanswered probes
  tcp_keepalive_probes ${defaults.count}   unanswered probes before the connection is dropped
  tcp_retries2         ${defaults.retries2}   retransmissions of unacknowledged data before it is dropped

Keepalive is off on a new socket unless a program turns it on (SO_KEEPALIVE).
With it on and these values, a peer that vanishes without a word is noticed
${formatDuration(detection.idle!)} after its last packet (idle + interval x count), up to 1/8 later.
With data in flight (keepalive is silent then), ${formatDuration(detection.dataInFlight)} (tcp_retries2 = ${defaults.retries2}).`);
  return EXIT.ok;
}
