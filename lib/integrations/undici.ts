/**
 * keepAliveConnector and keepAliveDispatcher, behind tcp-keepalive/undici.
 *
 * Wraps undici's own `buildConnector()` (its documented way to customise
 * connections): undici connects as always, then the socket gets the options,
 * after undici's own `setKeepAlive(true, 60e3)` and before the first request.
 * Needs the `undici` package (a major that matches Node's built-in fetch if you
 * pass the dispatcher to it: undici 7 for Node 20–26); this file alone loads it.
 */
import type { Socket } from 'node:net';
import type { Agent, buildConnector } from 'undici';
import { setKeepAlive } from '../core/set-get.js';
import { toKernelValues, type KeepAliveOptions } from '../core/options.js';

/** undici, loaded on first use so that importing this module never fails on its own. */
function undici(): typeof import('undici') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('undici') as typeof import('undici');
}

/**
 * A `connect` function for `new undici.Agent({ connect })` (or Pool, Client):
 * undici's connector built from `connectOptions`, with `keepAlive` applied to
 * every socket it connects (pinned: sticky unless `sticky: false`).
 */
export function keepAliveConnector(keepAlive: KeepAliveOptions, connectOptions: buildConnector.BuildOptions = {}): buildConnector.connector {
  toKernelValues(keepAlive); // a bad value throws here, not at the first request
  const options: KeepAliveOptions = { sticky: true, ...keepAlive };
  const connect = undici().buildConnector(connectOptions);
  return (connectParams, callback) => {
    connect(connectParams, (error, socket) => {
      if (error === null) {
        try {
          setKeepAlive(socket as Socket, options);
        } catch (failure) {
          // Not TCP (a Unix socket path): leave it as undici made it.
          if ((failure as { code?: string }).code !== 'ERR_INVALID_ARG_VALUE') {
            socket.destroy();
            callback(failure as Error, null);
            return;
          }
        }
        callback(null, socket);
      } else {
        callback(error, null);
      }
    });
  };
}

/** `new undici.Agent({ ...agentOptions, connect: keepAliveConnector(keepAlive, agentOptions.connect) })`. */
export function keepAliveDispatcher(keepAlive: KeepAliveOptions, agentOptions: Agent.Options = {}): Agent {
  const { connect, ...rest } = agentOptions;
  if (typeof connect === 'function') {
    throw Object.assign(new TypeError('agentOptions.connect must be connector options, not a function: wrap your function with tcp-keepalive yourself'), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
  return new (undici().Agent)({ ...rest, connect: keepAliveConnector(keepAlive, connect ?? {}) });
}
