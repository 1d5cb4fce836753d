// Bad input: every rejected call throws an error a program can branch on and
// leaves the socket's options and its data flow exactly as they were.
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { onTestFinished } from 'vitest';
import { getKeepAlive, setKeepAlive, type KeepAliveState } from '../lib/index.js';
import { connectedPair, roundTrip, track } from './helpers/sockets.js';

describe('targets that are not a TCP socket', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number (an fd)', 42],
    ['a plain object', { _handle: { fd: 0 } }],
    ['a stream that is not a socket', new Duplex()],
  ])('%s is ERR_INVALID_ARG_TYPE', (_what, target) => {
    for (const call of [() => setKeepAlive(target as net.Socket, true), () => getKeepAlive(target as net.Socket)]) {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"socket"') }));
    }
  });

  it('a destroyed socket is ERR_SOCKET_CLOSED', async () => {
    const { client } = await connectedPair();
    client.destroy();
    expect(() => setKeepAlive(client, true)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => getKeepAlive(client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });

  it('a server that is not listening is ERR_SERVER_NOT_RUNNING', () => {
    const server = net.createServer();
    expect(() => setKeepAlive(server, true)).toThrow(expect.objectContaining({ code: 'ERR_SERVER_NOT_RUNNING' }));
  });

  it('a Unix domain socket is ERR_INVALID_ARG_VALUE, and stays untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'sock');
    const accepted: net.Socket[] = [];
    const server = track(net.createServer((socket) => accepted.push(track(socket))));
    server.listen(path);
    await once(server, 'listening');
    const client = track(net.connect(path));
    await once(client, 'connect');
    for (const target of [client, server]) {
      expect(() => setKeepAlive(target, { idle: 5_000 })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('Unix domain socket') }),
      );
      expect(() => getKeepAlive(target)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
    expect(await roundTrip(client, accepted[0]!)).toMatch(/^ping-/);
  });
});

describe('bad options', () => {
  it.each([
    ['a string', 'ERR_INVALID_ARG_TYPE', 'yes'],
    ['null', 'ERR_INVALID_ARG_TYPE', null],
    ['an array', 'ERR_INVALID_ARG_TYPE', []],
    ['a number', 'ERR_INVALID_ARG_TYPE', 1],
    ['idle not a whole second', 'ERR_OUT_OF_RANGE', { idle: 1_500 }],
    ['idle 0', 'ERR_OUT_OF_RANGE', { idle: 0 }],
    ['idle in seconds by mistake', 'ERR_OUT_OF_RANGE', { idle: 30 }],
    ['idle above the kernel maximum', 'ERR_OUT_OF_RANGE', { idle: 32_768_000 }],
    ['interval NaN', 'ERR_OUT_OF_RANGE', { interval: NaN }],
    ['interval Infinity', 'ERR_OUT_OF_RANGE', { interval: Infinity }],
    ['count 0', 'ERR_OUT_OF_RANGE', { count: 0 }],
    ['count 128', 'ERR_OUT_OF_RANGE', { count: 128 }],
    ['count 2.5', 'ERR_OUT_OF_RANGE', { count: 2.5 }],
    ['userTimeout -1', 'ERR_OUT_OF_RANGE', { userTimeout: -1 }],
    ['userTimeout above INT_MAX', 'ERR_OUT_OF_RANGE', { userTimeout: 2 ** 31 }],
    ['idle as a string', 'ERR_INVALID_ARG_TYPE', { idle: '30000' }],
    ['count as a bigint', 'ERR_INVALID_ARG_TYPE', { count: 3n }],
    ['count null', 'ERR_INVALID_ARG_TYPE', { count: null }],
    ['enabled as a number', 'ERR_INVALID_ARG_TYPE', { enabled: 1 }],
    ['an unknown option', 'ERR_INVALID_ARG_VALUE', { idle: 5_000, keepAliveInitialDelay: 1_000 }],
    ['a misspelt option', 'ERR_INVALID_ARG_VALUE', { intervall: 5_000 }],
  ])('%s: %s, and nothing changes', async (_what, code, options) => {
    const { client, peer } = await connectedPair();
    setKeepAlive(client, { enabled: false, idle: 7_000, interval: 3_000, count: 4, userTimeout: 1_000 });
    const before = getKeepAlive(client);
    expect(() => setKeepAlive(client, options as never)).toThrow(expect.objectContaining({ code }));
    expect(getKeepAlive(client)).toEqual(before);
    expect(await roundTrip(client, peer)).toMatch(/^ping-/);
  });

  it('names the option and the rule in the message', async () => {
    const { client } = await connectedPair();
    expect(() => setKeepAlive(client, { interval: 2_500 })).toThrow(
      /"options\.interval" is out of range\. It must be a whole number of seconds in milliseconds/,
    );
    expect(() => setKeepAlive(client, { intervall: 5_000 } as never)).toThrow(/'options\.intervall' is not a keepalive option/);
  });
});

// An oracle written from the documented rules, independent of lib/options.ts:
// for an options object, the error codes it may raise, or the state it must produce.
const RULES = {
  enabled: (v: unknown) => (typeof v === 'boolean' ? null : 'ERR_INVALID_ARG_TYPE'),
  idle: (v: unknown) => wholeSeconds(v),
  interval: (v: unknown) => wholeSeconds(v),
  count: (v: unknown) => (typeof v !== 'number' ? 'ERR_INVALID_ARG_TYPE' : Number.isInteger(v) && v >= 1 && v <= 127 ? null : 'ERR_OUT_OF_RANGE'),
  userTimeout: (v: unknown) =>
    typeof v !== 'number' ? 'ERR_INVALID_ARG_TYPE' : Number.isInteger(v) && v >= 0 && v <= 2 ** 31 - 1 ? null : 'ERR_OUT_OF_RANGE',
} as const;

function wholeSeconds(v: unknown): string | null {
  if (typeof v !== 'number') return 'ERR_INVALID_ARG_TYPE';
  return Number.isInteger(v / 1000) && v >= 1000 && v <= 32_767_000 ? null : 'ERR_OUT_OF_RANGE';
}

function expectedOutcome(options: Record<string, unknown>, before: KeepAliveState): { errors: string[]; state?: KeepAliveState } {
  const errors: string[] = [];
  const state = { ...before, enabled: true };
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(RULES, key)) {
      errors.push('ERR_INVALID_ARG_VALUE');
      continue;
    }
    if (value === undefined) continue;
    const error = RULES[key as keyof typeof RULES](value);
    if (error) errors.push(error);
    // The kernel stores integers: -0 comes back as 0.
    else Object.assign(state, { [key]: typeof value === 'number' ? value + 0 : value });
  }
  return errors.length ? { errors } : { errors, state };
}

describe('property: any options object either applies exactly or changes nothing', () => {
  it('holds for random option objects on one live connection', async () => {
    const { client, peer } = await connectedPair();
    const number = fc.oneof(
      fc.integer({ min: -2, max: 140 }),
      fc.integer({ min: 0, max: 33_000 }).map((s) => s * 1000),
      fc.integer({ min: -10, max: 33_000_000 }),
      fc.constantFrom(0, -0, 0.5, 999, 1000, 1001, 32_767_000, 32_768_000, 2 ** 31 - 1, 2 ** 31, NaN, Infinity, -Infinity),
      fc.double(),
    );
    const value = fc.oneof(
      { weight: 6, arbitrary: number },
      { weight: 1, arbitrary: fc.constantFrom(undefined, null, true, false, '5000', [], {}) },
    );
    const key = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('enabled', 'idle', 'interval', 'count', 'userTimeout') },
      { weight: 1, arbitrary: fc.constantFrom('idel', 'keepAlive', 'timeout', 'probes', 'constructor') },
    );
    let applied = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, value, { maxKeys: 5 }), async (options) => {
        const before = getKeepAlive(client);
        const outcome = expectedOutcome(options, before);
        if (outcome.state) {
          setKeepAlive(client, options as never);
          expect(getKeepAlive(client)).toEqual(outcome.state);
          applied++;
        } else {
          let thrown: unknown;
          try {
            setKeepAlive(client, options as never);
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(Error);
          expect(outcome.errors).toContain((thrown as { code: string }).code);
          expect(getKeepAlive(client)).toEqual(before);
          rejected++;
        }
      }),
      { numRuns: 400 },
    );
    expect(applied).toBeGreaterThan(40);
    expect(rejected).toBeGreaterThan(40);
    expect(await roundTrip(client, peer)).toMatch(/^ping-/);
    expect(await roundTrip(peer, client)).toMatch(/^ping-/);
  });
});
