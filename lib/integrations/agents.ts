// HTTP(S) agents whose sockets get keepalive options on connect and keep them
// across pooled reuse. Only Node's documented Agent hook (createConnection) is
// used; the values are pinned (sticky), so the agent's own
// socket.setKeepAlive(true, keepAliveMsecs) when a socket returns to the pool
// (which resets interval and count on https.Agent before Node 24.15) leaves them.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { Socket } from 'node:net';
import { setKeepAlive } from '../core/set-get.js';
import { toKernelValues, type KeepAliveOptions } from '../core/options.js';
import { invalidArgType } from '../core/errors.js';

type CreateConnection = (options: object, callback?: (error: Error | null, socket: Duplex) => void) => Duplex | null | undefined;

/** A keep-alive `http.Agent` (keepAlive: true unless `agentOptions` says otherwise) whose sockets get `keepAlive`. */
export function keepAliveAgent(keepAlive: KeepAliveOptions, agentOptions: http.AgentOptions = {}): http.Agent {
  return withKeepAlive(new http.Agent({ keepAlive: true, ...agentOptions }), keepAlive);
}

/** The same for HTTPS: a keep-alive `https.Agent` whose TLS sockets get `keepAlive` on the TCP socket beneath. */
export function keepAliveHttpsAgent(keepAlive: KeepAliveOptions, agentOptions: https.AgentOptions = {}): https.Agent {
  return withKeepAlive(new https.Agent({ keepAlive: true, ...agentOptions }), keepAlive);
}

/**
 * Makes an existing agent (http, https, or a subclass) give every new socket
 * `keepAlive` (pinned: sticky unless `sticky: false`). Returns the same agent.
 * The options are validated now, so a bad value throws here, not per request.
 */
export function withKeepAlive<A extends http.Agent>(agent: A, keepAlive: KeepAliveOptions): A {
  if (!(agent instanceof http.Agent)) throw invalidArgType('agent', 'an instance of http.Agent or https.Agent', agent);
  toKernelValues(keepAlive);
  const options: KeepAliveOptions = { sticky: true, ...keepAlive };
  const target = agent as unknown as { createConnection: CreateConnection };
  const create = target.createConnection;
  target.createConnection = function createConnection(this: A, connectOptions, callback) {
    // The socket comes back at once (net/tls.connect) or through the callback.
    const configure = (socket: Duplex | null | undefined): void => {
      if (socket instanceof Socket) setKeepAlive(socket, options);
    };
    const socket = create.call(this, connectOptions, callback && ((error, created) => {
      if (!error) configure(created);
      callback(error, created);
    }));
    configure(socket);
    return socket;
  };
  return agent;
}
