// detectionTime: the kernel's rules as formulas, checked on known values here
// and against the measured network scenarios in test/network.
import { describe, expect, it } from 'vitest';
import { detectionTime, setKeepAlive, systemDefaults } from '../../lib/index.js';
import { connectedPair } from '../helpers/sockets.js';

describe('detectionTime', () => {
  it('Linux defaults: 2 h 11 min 15 s idle, 924.6 s with data in flight', () => {
    expect(detectionTime({ idle: 7_200_000, interval: 75_000, count: 9, retries2: 15 })).toMatchObject({
      idle: 7_875_000,
      idleBy: 'keepalive',
      dataInFlight: 924_600,
      dataInFlightBy: 'tcp_retries2',
    });
  });

  it('idle + interval × count without a user timeout', () => {
    expect(detectionTime({ idle: 30_000, interval: 10_000, count: 3 }).idle).toBe(60_000);
    expect(detectionTime({ idle: 2_000, interval: 1_000, count: 3 }).idle).toBe(5_000);
  });

  it('a user timeout ends keepalive at the first probe tick at or after it, whatever the count', () => {
    // Measured (KEEPALIVE.md): UT 3500 ms, idle 1 s, interval 1 s: ETIMEDOUT at 4.08 s.
    expect(detectionTime({ idle: 1_000, interval: 1_000, count: 10, userTimeout: 3_500 })).toMatchObject({ idle: 4_000, idleBy: 'user-timeout' });
    // Shorter than idle: still one probe first.
    expect(detectionTime({ idle: 10_000, interval: 5_000, count: 3, userTimeout: 1_000 }).idle).toBe(15_000);
    // Longer than the probes: the kernel keeps probing past the count.
    expect(detectionTime({ idle: 1_000, interval: 1_000, count: 2, userTimeout: 10_000 }).idle).toBe(10_000);
    expect(detectionTime({ idle: 1_000, interval: 1_000, count: 2, userTimeout: 10_000 })).toMatchObject({ dataInFlight: 10_000, dataInFlightBy: 'user-timeout' });
  });

  it('tcp_retries2 follows the kernel\'s backoff model', () => {
    expect(detectionTime({ idle: 1_000, interval: 1_000, count: 1, retries2: 3 }).dataInFlight).toBe(3_000); // 0.2+0.4+0.8+1.6
    expect(detectionTime({ idle: 1_000, interval: 1_000, count: 1, retries2: 8 }).dataInFlight).toBe(102_200);
    // The kernel gives up at the first timeout past that hypothetical time, counted from the
    // first retransmission: for 3, at 6.2 s (0.2 + 0.4 + 0.8 + 1.6 + 3.2; measured 6.7 s in scenario 12).
    expect(detectionTime({ idle: 1_000, interval: 1_000, count: 1, retries2: 3 }).dataInFlightWorst).toBe(Math.ceil(6_200 * (9 / 8)));
    expect(detectionTime({ idle: 1_000, interval: 1_000, count: 1, retries2: 15 }).dataInFlightWorst).toBe(Math.ceil(1_044_600 * (9 / 8)));
  });

  it('a live peer that stops reading: cut off after the user timeout, never without one', () => {
    // Measured (issue 23): userTimeout 3000 against a client that paused reading: ETIMEDOUT after 3.26 s;
    // without a user timeout still open after 10 s. Keepalive plays no part (data is waiting).
    expect(detectionTime({ idle: 1_000, interval: 1_000, count: 2, userTimeout: 3_000 }).stalledReader).toBe(3_000);
    expect(detectionTime({ idle: 1_000, interval: 1_000, count: 2, userTimeout: 0, retries2: 15 }).stalledReader).toBeNull();
    expect(detectionTime({ enabled: false, idle: 1_000, interval: 1_000, count: 2, userTimeout: 5_000 }).stalledReader).toBe(5_000);
  });

  it('keepalive off: never noticed while idle', () => {
    expect(detectionTime({ enabled: false })).toMatchObject({ idle: null, idleBy: 'off' });
  });

  it('reads a socket\'s own settings from the kernel; fills the rest from the system', async () => {
    const { client } = await connectedPair();
    setKeepAlive(client, { idle: 4_000, interval: 2_000, count: 5 });
    expect(detectionTime(client)).toMatchObject({ idle: 14_000, settings: { retries2: systemDefaults().retries2, userTimeout: 0 } });
    expect(detectionTime({ count: 1 }).settings.idle).toBe(systemDefaults().idle);
  });

  it('rejects what is not settings', () => {
    expect(() => detectionTime(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => detectionTime({ idle: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
