// Scenario 8: the clients people use notice a peer that vanished without a
// word, with tcp-keepalive's recipe, in idle + interval × count; as the
// library comes, they are still waiting. pg and Redis are real servers
// (Debian's packages) inside the server namespace.
import { it } from 'vitest';
import { serversUnavailableReason, startPostgres, startRedis } from '../helpers/servers.js';
import { requireOrSkip } from '../helpers/prerequisites.js';
import { program, proveClientDetects } from './client-kinds.js';
import { describeNetwork, useLab } from './harness.js';

describeNetwork('scenario 8: clients detect a dead peer', () => {
  const lab = useLab('s8');
  const noServers = requireOrSkip('scenario 8 (pg, Redis)', serversUnavailableReason());

  it.skipIf(noServers)('pg Pool: a query waiting on a vanished database fails with ETIMEDOUT', async () => {
    await proveClientDetects(lab, {
      scenario: 'scenario 8a', kind: 'pg', subnet: '10.201.8.0',
      startServer: async (_lab, ns, ip) => (await startPostgres({ ns, host: ip })).port,
    });
  }, 90_000);

  it.skipIf(noServers)('ioredis: a BLPOP waiting on a vanished Redis fails with ETIMEDOUT', async () => {
    await proveClientDetects(lab, {
      scenario: 'scenario 8b', kind: 'redis', subnet: '10.201.8.4',
      startServer: async (_lab, ns, ip) => (await startRedis({ ns, host: ip })).port,
    });
  }, 60_000);

  it('fetch: a request on a pooled connection to a vanished server fails with ETIMEDOUT', async () => {
    await proveClientDetects(lab, {
      scenario: 'scenario 8c', kind: 'fetch', subnet: '10.201.8.8',
      startServer: async (lab, ns, ip) => {
        const server = await program(lab, ns, 'http server', ['http-server', ip, '8080', 'defaults']);
        await server.waitFor((e) => e.event === 'listening', 5000, 'the http server to listen');
        return 8080;
      },
    });
  }, 60_000);

  it('ws: a WebSocketServer notices a vanished client without an application ping', async () => {
    await proveClientDetects(lab, { scenario: 'scenario 8d', kind: 'ws', subnet: '10.201.8.12', startServer: async () => 0 });
  }, 60_000);
});
