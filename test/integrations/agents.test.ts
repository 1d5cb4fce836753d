// keepAliveAgent, keepAliveHttpsAgent and withKeepAlive (lib/integrations/agents.ts)
// against real HTTP and HTTPS servers on loopback: the kernel values on the
// live socket after connect and after pooled reuse are the ones asked for,
// although the agent itself calls Node's setKeepAlive when a socket returns.
import { describe, expect, it } from 'vitest';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { onTestFinished } from 'vitest';
import { getKeepAlive, keepAliveAgent, keepAliveHttpsAgent, withKeepAlive } from '../../lib/index.js';
import { cert, httpServers } from '../helpers/http-servers.js';
import { portOf, LOOPBACK } from '../helpers/sockets.js';

const ASKED = { idle: 23_000, interval: 7_000, count: 4, userTimeout: 40_000 };
const EXPECTED = { enabled: true, ...ASKED };

/** Two requests through `agent`; the socket of each, read after its response ended. */
async function twoRequests(mod: typeof http | typeof https, port: number, agent: http.Agent): Promise<Array<{ socket: net.Socket; state: unknown }>> {
  const seen = [];
  for (let i = 0; i < 2; i++) {
    seen.push(
      await new Promise<{ socket: net.Socket; state: unknown }>((resolve, reject) => {
        const req = mod.get({ host: LOOPBACK[4], port, agent, ca: cert, servername: 'localhost' }, (res) => {
          res.resume();
          // After 'end' the agent puts the socket back (and calls setKeepAlive on it).
          res.on('end', () => setImmediate(() => resolve({ socket: req.socket!, state: getKeepAlive(req.socket!) })));
        });
        req.on('error', reject);
      }),
    );
  }
  return seen;
}

describe('HTTP(S) agents', () => {
  it.each([
    ['keepAliveAgent (http)', 'http'],
    ['keepAliveHttpsAgent (https)', 'https'],
  ] as const)('%s: the values after connect and after pooled reuse', async (_name, kind) => {
    const servers = await httpServers();
    const agent = kind === 'http' ? keepAliveAgent(ASKED, { maxSockets: 1 }) : keepAliveHttpsAgent(ASKED, { maxSockets: 1, keepAliveMsecs: 5_000 });
    onTestFinished(() => agent.destroy());
    const [first, second] = await twoRequests(kind === 'http' ? http : https, portOf(servers[kind]), agent);
    expect(second.socket).toBe(first.socket);
    expect(first.state).toEqual(EXPECTED);
    expect(second.state).toEqual(EXPECTED);
  });

  it('without the library, https.Agent reuse shows what Node does to the socket (the trap, on Node < 24.15)', async () => {
    const servers = await httpServers();
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 5_000 });
    onTestFinished(() => agent.destroy());
    const [first, second] = await twoRequests(https, portOf(servers.https), agent);
    expect(second.socket).toBe(first.socket);
    console.log(`[clients] plain https.Agent on Node ${process.version}: after connect ${JSON.stringify(first.state)}, after reuse ${JSON.stringify(second.state)}`);
    expect(second.state).toMatchObject({ enabled: true, interval: 1_000, count: 10 });
  });

  it('withKeepAlive(agent) wraps an existing agent, and rejects bad options at once', async () => {
    const servers = await httpServers();
    const agent = withKeepAlive(new http.Agent({ keepAlive: true, maxSockets: 1 }), ASKED);
    onTestFinished(() => agent.destroy());
    const [first, second] = await twoRequests(http, portOf(servers.http), agent);
    expect([first.state, second.state]).toEqual([EXPECTED, EXPECTED]);
    expect(() => keepAliveAgent({ idle: 1_500 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => withKeepAlive({} as http.Agent, ASKED)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
