// Options (lib/core/options.ts): every rejected call throws an error a program
// can branch on and leaves the socket's options and its data flow exactly as
// they were; loose inputs (boxed values, prototypes, getters) are read the way
// a careful caller expects; a property test over random arguments.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getKeepAlive, setKeepAlive, type KeepAliveState } from '../../lib/index.js';
import { connectedPair, roundTrip } from '../helpers/sockets.js';

describe('loose inputs', () => {
  it.each([
    ['new Boolean(false)', new Boolean(false)],
    ['new Boolean(true)', new Boolean(true)],
    ['new Number(5000)', new Number(5000)],
    ['a Map with option entries', new Map([['idle', 5_000]])],
    ['a Date', new Date()],
    ['a class instance', new (class Options { idle = 5_000; })()],
    ['a function', () => ({ idle: 5_000 })],
  ])('%s is ERR_INVALID_ARG_TYPE and changes nothing', async (_what, options) => {
    const { client } = await connectedPair();
    const before = getKeepAlive(client);
    expect(() => setKeepAlive(client, options as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(getKeepAlive(client)).toEqual(before);
  });

  it('an object with no prototype is a plain object', async () => {
    const { client } = await connectedPair();
    setKeepAlive(client, Object.assign(Object.create(null) as object, { idle: 6_000 }));
    expect(getKeepAlive(client)).toMatchObject({ enabled: true, idle: 6_000 });
  });

  it('only own keys count: an enumerable key on Object.prototype is ignored', async () => {
    const { client } = await connectedPair();
    const proto = Object.prototype as Record<string, unknown>;
    proto.pollutedIdle = 1;
    proto.idle = 1;
    try {
      setKeepAlive(client, { count: 4 });
    } finally {
      delete proto.pollutedIdle;
      delete proto.idle;
    }
    expect(getKeepAlive(client)).toMatchObject({ enabled: true, count: 4 });
  });

  it('inherited keys are ignored, own ones applied', async () => {
    const { client } = await connectedPair();
    const before = getKeepAlive(client);
    // Made by Object (through a plain prototype), so plain; its inherited keys do not count.
    const options = Object.assign(Object.create({ idle: 500, bogus: true }) as object, { interval: 3_000 });
    setKeepAlive(client, options);
    expect(getKeepAlive(client)).toEqual({ ...before, enabled: true, interval: 3_000 });
  });

  it('a getter is read exactly once', async () => {
    const { client } = await connectedPair();
    let reads = 0;
    setKeepAlive(client, {
      get count(): number {
        reads++;
        return reads === 1 ? 3 : 999;
      },
    });
    expect(reads).toBe(1);
    expect(getKeepAlive(client).count).toBe(3);
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

// An oracle written from the documented rules, independent of lib/core/options.ts:
// for an options argument, the error codes it may raise, or the state it must produce.
const RULES = {
  enabled: (v: unknown) => (typeof v === 'boolean' ? null : 'ERR_INVALID_ARG_TYPE'),
  sticky: (v: unknown) => (typeof v === 'boolean' ? null : 'ERR_INVALID_ARG_TYPE'),
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

function expectedOutcome(options: unknown, ownEntries: Array<[string, unknown]>, before: KeepAliveState): { errors: string[]; state?: KeepAliveState } {
  if (typeof options === 'boolean') return { errors: [], state: { ...before, enabled: options } };
  // Documented: booleans and plain objects (made by Object, or with no prototype) only.
  const plain =
    typeof options === 'object' &&
    options !== null &&
    ((options as { constructor?: unknown }).constructor === Object ||
      ((options as { constructor?: unknown }).constructor === undefined && Object.getPrototypeOf(options) === null));
  if (!plain) return { errors: ['ERR_INVALID_ARG_TYPE'] };
  const errors: string[] = [];
  const state = { ...before, enabled: true };
  for (const [key, value] of ownEntries) {
    if (!Object.hasOwn(RULES, key)) {
      errors.push('ERR_INVALID_ARG_VALUE');
      continue;
    }
    if (value === undefined) continue;
    const error = RULES[key as keyof typeof RULES](value);
    if (error) errors.push(error);
    else if (key !== 'sticky') Object.assign(state, { [key]: typeof value === 'number' ? value + 0 : value }); // -0 comes back as 0
  }
  return errors.length ? { errors } : { errors, state };
}

/** The shapes a caller might pass: plain, null-prototype, with getters, inheriting keys, or not an options object at all. */
function optionsArbitrary(): fc.Arbitrary<{ options: unknown; own: Array<[string, unknown]> }> {
  const number = fc.oneof(
    fc.integer({ min: -2, max: 140 }),
    fc.integer({ min: 0, max: 33_000 }).map((s) => s * 1000),
    fc.integer({ min: -10, max: 33_000_000 }),
    fc.constantFrom(0, -0, 0.5, 999, 1000, 1001, 32_767_000, 32_768_000, 2 ** 31 - 1, 2 ** 31, NaN, Infinity, -Infinity),
    fc.double(),
  );
  const value = fc.oneof(
    { weight: 6, arbitrary: number },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, true, false, '5000', [], {}, new Number(5000), new Boolean(true)) },
  );
  const key = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('enabled', 'idle', 'interval', 'count', 'userTimeout', 'sticky') },
    { weight: 1, arbitrary: fc.constantFrom('idel', 'keepAlive', 'timeout', 'probes', 'constructor', '__proto__') },
  );
  const entries = fc.uniqueArray(fc.tuple(key, value), { maxLength: 5, selector: ([k]) => k });
  const build = (shape: string, own: Array<[string, unknown]>, inherited: Array<[string, unknown]>): unknown => {
    if (shape === 'boolean') return own.length % 2 === 0;
    if (shape === 'boxed') return new Boolean(own.length % 2 === 0);
    if (shape === 'map') return new Map(own);
    if (shape === 'date') return new Date(0);
    if (shape === 'array') return own.map(([, v]) => v);
    const base: object =
      shape === 'null-proto' ? Object.create(null) : shape === 'inherits' ? Object.create(Object.fromEntries(inherited)) : {};
    for (const [k, v] of own) {
      if (shape === 'getters') Object.defineProperty(base, k, { get: () => v, enumerable: true, configurable: true });
      else Object.defineProperty(base, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return base;
  };
  const shape = fc.oneof(
    { weight: 12, arbitrary: fc.constant('plain') },
    { weight: 2, arbitrary: fc.constantFrom('null-proto', 'getters', 'inherits') },
    { weight: 1, arbitrary: fc.constantFrom('boolean', 'boxed', 'map', 'date', 'array') },
  );
  return fc.tuple(shape, entries, entries).map(([s, own, inherited]) => ({
    options: build(s, own, inherited),
    own: ['plain', 'null-proto', 'getters', 'inherits'].includes(s) ? own : [],
  }));
}

describe('property: any options argument either applies exactly or changes nothing', () => {
  it('holds for 10,000 random arguments on one live connection', async () => {
    const { client, peer } = await connectedPair();
    let applied = 0;
    let rejected = 0;
    fc.assert(
      fc.property(optionsArbitrary(), ({ options, own }) => {
        const before = getKeepAlive(client);
        const outcome = expectedOutcome(options, own, before);
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
      { numRuns: 10_000 },
    );
    expect(applied).toBeGreaterThan(1_000);
    expect(rejected).toBeGreaterThan(1_000);
    expect(await roundTrip(client, peer)).toMatch(/^ping-/);
    expect(await roundTrip(peer, client)).toMatch(/^ping-/);
  });
});
