// systemDefaults: what the kernel does when nobody sets anything, read from
// /proc/sys in this process's network namespace.
import { readFileSync } from 'node:fs';

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
