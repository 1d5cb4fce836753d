// The public types, as a strict user compiles them: tsconfig.json turns on
// exactOptionalPropertyTypes, so `npm run typecheck` fails if this file does.
import { expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { setKeepAlive, type KeepAliveOptions, type KeepAliveState } from '../../lib/index.js';
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
