// setKeepAlive and getKeepAlive on real loopback connections: every option goes
// through the kernel and comes back, over IPv4 and IPv6, on both ends.
import { describe, expect, it } from 'vitest';
import { getKeepAlive, setKeepAlive, type KeepAliveState } from '../../lib/index.js';
import { connectedPair, roundTrip, systemDefaults, type Family } from '../helpers/sockets.js';

describe.each([4, 6] as Family[])('IPv%i', (family) => {
  it('reports the system defaults on a socket nobody touched', async () => {
    const { client, peer } = await connectedPair(family);
    const defaults = await systemDefaults();
    for (const socket of [client, peer]) {
      expect(getKeepAlive(socket)).toEqual({ enabled: false, ...defaults, userTimeout: 0 });
    }
  });

  it('round-trips every option through the kernel, on both ends of a connection', async () => {
    const { client, peer } = await connectedPair(family);
    expect(setKeepAlive(client, { idle: 30_000, interval: 10_000, count: 3, userTimeout: 60_000 })).toBe(client);
    expect(setKeepAlive(peer, { idle: 5_000, interval: 2_000, count: 7, userTimeout: 1_234 })).toBe(peer);
    expect(getKeepAlive(client)).toEqual({ enabled: true, idle: 30_000, interval: 10_000, count: 3, userTimeout: 60_000 });
    expect(getKeepAlive(peer)).toEqual({ enabled: true, idle: 5_000, interval: 2_000, count: 7, userTimeout: 1_234 });
    expect(await roundTrip(client, peer)).toMatch(/^ping-/);
    expect(await roundTrip(peer, client)).toMatch(/^ping-/);
  });
});

describe('partial updates', () => {
  it('sets only the options given and keeps the rest', async () => {
    const { client } = await connectedPair();
    setKeepAlive(client, { idle: 40_000, interval: 20_000, count: 4, userTimeout: 9_000 });
    const steps: Array<[Parameters<typeof setKeepAlive>[1], Partial<KeepAliveState>]> = [
      [{ idle: 41_000 }, { idle: 41_000 }],
      [{ interval: 21_000 }, { interval: 21_000 }],
      [{ count: 5 }, { count: 5 }],
      [{ userTimeout: 0 }, { userTimeout: 0 }],
      [{ idle: undefined }, {}],
    ];
    let expected: KeepAliveState = getKeepAlive(client);
    for (const [options, change] of steps) {
      setKeepAlive(client, options);
      expected = { ...expected, ...change };
      expect(getKeepAlive(client)).toEqual(expected);
    }
  });

  it('turns keepalive on with any option, and an empty object just turns it on', async () => {
    const { client, peer } = await connectedPair();
    setKeepAlive(client, { count: 2 });
    expect(getKeepAlive(client)).toMatchObject({ enabled: true, count: 2 });
    setKeepAlive(peer, {});
    expect(getKeepAlive(peer)).toMatchObject({ enabled: true, ...(await systemDefaults()) });
  });

  it('true and false switch SO_KEEPALIVE and keep the timing values', async () => {
    const { client } = await connectedPair();
    setKeepAlive(client, { idle: 3_000, interval: 1_000, count: 9 });
    expect(setKeepAlive(client, false)).toBe(client);
    expect(getKeepAlive(client)).toEqual({ enabled: false, idle: 3_000, interval: 1_000, count: 9, userTimeout: 0 });
    setKeepAlive(client, true);
    expect(getKeepAlive(client)).toEqual({ enabled: true, idle: 3_000, interval: 1_000, count: 9, userTimeout: 0 });
  });

  it('enabled: false sets the values and leaves keepalive off', async () => {
    const { client } = await connectedPair();
    setKeepAlive(client, { enabled: false, idle: 8_000, count: 4 });
    expect(getKeepAlive(client)).toMatchObject({ enabled: false, idle: 8_000, count: 4 });
  });

  it('what getKeepAlive returns can be given to setKeepAlive to copy settings', async () => {
    const { client, peer } = await connectedPair();
    setKeepAlive(client, { idle: 12_000, interval: 3_000, count: 6, userTimeout: 45_000 });
    setKeepAlive(peer, getKeepAlive(client));
    expect(getKeepAlive(peer)).toEqual(getKeepAlive(client));
  });
});

describe('limits', () => {
  it('accepts the smallest and largest values the kernel takes', async () => {
    const { client } = await connectedPair();
    const smallest = { enabled: true, idle: 1_000, interval: 1_000, count: 1, userTimeout: 0 };
    const largest = { enabled: true, idle: 32_767_000, interval: 32_767_000, count: 127, userTimeout: 2_147_483_647 };
    setKeepAlive(client, smallest);
    expect(getKeepAlive(client)).toEqual(smallest);
    setKeepAlive(client, largest);
    expect(getKeepAlive(client)).toEqual(largest);
  });
});
