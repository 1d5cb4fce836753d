// keepAliveDispatcher and keepAliveConnector (lib/integrations/undici.ts)
// with Node's built-in fetch and undici's, over http and https on loopback:
// the values hold after connect and across pooled reuse, and undici's own
// connector options are kept.
import { describe, expect, it } from 'vitest';
import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';
import { onTestFinished } from 'vitest';
import { fetch as undiciFetch } from 'undici';
import { getKeepAlive } from '../../lib/index.js';
import { keepAliveConnector, keepAliveDispatcher } from '../../lib/undici.js';
import { cert, httpServers } from '../helpers/http-servers.js';
import { portOf } from '../helpers/sockets.js';

const ASKED = { idle: 23_000, interval: 7_000, count: 4, userTimeout: 40_000 };
const EXPECTED = { enabled: true, ...ASKED };

describe('fetch and undici', () => {
  /** Sockets undici connects, as its diagnostics channel publishes them. */
  function watchUndiciSockets(): net.Socket[] {
    const sockets: net.Socket[] = [];
    const onConnected = (message: unknown): void => void sockets.push((message as { socket: net.Socket }).socket);
    diagnostics.subscribe('undici:client:connected', onConnected);
    onTestFinished(() => void diagnostics.unsubscribe('undici:client:connected', onConnected));
    return sockets;
  }

  it.each([
    ["Node's built-in fetch", 'builtin'],
    ["undici's fetch", 'undici'],
  ] as const)('%s with keepAliveDispatcher, over http and https, across pooled reuse', async (_name, which) => {
    const servers = await httpServers();
    const sockets = watchUndiciSockets();
    const dispatcher = keepAliveDispatcher(ASKED, { connect: { ca: cert } });
    onTestFinished(() => dispatcher.close());
    const doFetch = (which === 'builtin' ? fetch : undiciFetch) as (url: string, init: object) => Promise<Response>;
    for (const [scheme, server] of [['http', servers.http], ['https', servers.https]] as const) {
      const before = sockets.length;
      for (let i = 0; i < 2; i++) {
        const response = await doFetch(`${scheme}://localhost:${portOf(server)}/`, { dispatcher });
        expect(await response.text()).toBe('ok');
        await new Promise(setImmediate); // undici has put it back in the pool (it does so as the body ends)
        expect(getKeepAlive(sockets.at(-1)!)).toEqual(EXPECTED);
      }
      expect(sockets.length - before).toBe(1); // the second request reused the connection
    }
  });

  it('keepAliveConnector for new Agent({ connect }) keeps undici\'s connector options', async () => {
    const { Agent } = await import('undici');
    const servers = await httpServers();
    const sockets = watchUndiciSockets();
    const dispatcher = new Agent({ connect: keepAliveConnector({ idle: 9_000, count: 2 }, { ca: cert, keepAlive: true, keepAliveInitialDelay: 60_000 }) });
    onTestFinished(() => dispatcher.close());
    const response = await fetch(`https://localhost:${portOf(servers.https)}/`, { dispatcher } as unknown as RequestInit);
    await response.text();
    expect(getKeepAlive(sockets.at(-1)!)).toMatchObject({ enabled: true, idle: 9_000, count: 2 });
    expect(() => keepAliveConnector({ count: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
