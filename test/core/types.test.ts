// The public types, as a strict user compiles them: tsconfig.json turns on
// exactOptionalPropertyTypes, so `npm run typecheck` fails if this file does.
import { expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { keepAliveFor, setKeepAlive, type KeepAliveOptions, type KeepAliveState } from '../../lib/index.js';
import type { PreloadOptions, PreloadRule } from '../../lib/register.js';
import { connectedPair } from '../helpers/sockets.js';

interface Config {
  idle: number | undefined;
  count?: number;
}

// Compiles only if `undefined` is accepted where the README says it is.
function configure(socket: Socket, config: Config): Socket {
  return setKeepAlive(socket, { idle: config.idle, count: config.count, sticky: undefined });
}

it('undefined options compile under exactOptionalPropertyTypes and mean "leave as it is"', async () => {
  const { client } = await connectedPair();
  const state: KeepAliveState = { enabled: true, idle: 9_000, interval: 2_000, count: 3, userTimeout: 0 };
  const copied: KeepAliveOptions = state; // a state read back is a valid options object
  setKeepAlive(client, copied);
  expect(configure(client, { idle: undefined })).toBe(client);
});

// The preload's typed rules: keepAliveFor's result fits a rule; sticky is not per rule.
it('configure({ rules }) takes typed rules, keepAliveFor results included', () => {
  const rules: PreloadRule[] = [
    { match: 'accepted', keepAlive: keepAliveFor({ detectWithin: 60_000, userTimeout: false }) },
    { match: { to: ':5432' }, keepAlive: { idle: 30_000, interval: undefined } },
    { match: { to: '127.0.0.0/8' }, keepAlive: 'off' },
  ];
  const options: PreloadOptions = { idle: 600_000, rules };
  // @ts-expect-error sticky is set for every rule at once, not per rule
  const perRule: PreloadRule = { match: 'default', keepAlive: { sticky: true } };
  // @ts-expect-error a match is 'accepted', 'default' or { to }
  const unknown: PreloadRule = { match: 'incoming', keepAlive: 'off' };
  expect([options.rules?.length, perRule.match, unknown.keepAlive]).toEqual([3, 'default', 'off']);
});
