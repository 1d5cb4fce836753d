// systemDefaults: this network namespace's keepalive sysctls, in the units of
// the rest of the API. (In a namespace of its own: test/network/system-defaults-per-namespace.test.ts.)
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { systemDefaults } from '../../lib/index.js';

const sysctl = (name: string): number => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8'));

describe('systemDefaults', () => {
  it('reads this namespace\'s sysctls, in the units of the rest of the API', () => {
    expect(systemDefaults()).toEqual({
      idle: sysctl('tcp_keepalive_time') * 1000,
      interval: sysctl('tcp_keepalive_intvl') * 1000,
      count: sysctl('tcp_keepalive_probes'),
      retries2: sysctl('tcp_retries2'),
    });
  });
});
