// Shared body of the client scenarios: the same client kind twice, once with
// tcp-keepalive's recipe and once as the library comes, both waiting on a
// server (or, for ws, a server waiting on its clients); then the peer
// vanishes. The recipe's side must fail within idle + interval × count (from
// detectionTime) with the probes in the capture; the other must still wait.
import { expect } from 'vitest';
import { join } from 'node:path';
import { type Endpoint, type EndpointEvent, type Lab, detectionWindow, offsets, traceSocket, settled } from './harness.js';

const PEER = join(__dirname, '..', 'fixtures', 'network-clients.mjs');
export const SETTINGS = { idle: 2000, interval: 1000, count: 2 };

export interface ClientCase {
  scenario: string;
  kind: 'pg' | 'redis' | 'fetch' | 'ws';
  subnet: string;
  /** Starts whatever the clients talk to inside `serverNs` on `ip`; returns the port(s). */
  startServer(lab: Lab, serverNs: string, ip: string): Promise<number>;
}

type Socket4 = { localAddress: string; localPort: number; remoteAddress: string; remotePort: number };

export function program(lab: Lab, ns: string, label: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Endpoint> {
  return lab.endpoint(ns, label, { script: PEER, args, env: { KEEPALIVE_SETTINGS: JSON.stringify(SETTINGS), ...env } });
}

const isTimeout = (e: EndpointEvent): boolean => [e.code, e.cause].includes('ETIMEDOUT') || String(e.message).includes('ETIMEDOUT');

export async function proveClientDetects(lab: Lab, spec: ClientCase): Promise<void> {
  const clientNs = await lab.namespace('client');
  const serverNs = await lab.namespace('server');
  const [clientIf, serverIf] = await lab.link({ ns: clientNs, dev: 'to-server' }, { ns: serverNs, dev: 'to-client' }, spec.subnet);
  const observerIsServer = spec.kind === 'ws';
  const capture = await lab.capture(observerIsServer ? serverIf : clientIf);

  // observers[0] uses the recipe, observers[1] the library's defaults.
  const observers: Endpoint[] = [];
  if (spec.kind === 'ws') {
    for (const [i, mode] of (['library', 'defaults'] as const).entries()) {
      const server = await program(lab, serverNs, `ws server (${mode})`, ['ws-server', serverIf.ip, String(8000 + i), mode]);
      await server.waitFor((e) => e.event === 'listening', 5000, 'the ws server to listen');
      const client = await program(lab, clientNs, `ws client (${mode})`, ['ws-client', serverIf.ip, String(8000 + i), 'defaults']);
      await client.waitFor((e) => e.event === 'open', 5000, 'the ws client to open');
      // The server's own report of the connection can arrive after the client's 'open'.
      await server.waitFor((e) => e.event === 'connected', 5000, 'the ws server to accept');
      observers.push(server);
    }
  } else {
    const port = await spec.startServer(lab, serverNs, serverIf.ip);
    for (const mode of ['library', 'defaults'] as const) {
      const client = await program(lab, clientNs, `${spec.kind} client (${mode})`, [spec.kind, serverIf.ip, String(port), mode]);
      await client.waitFor((e) => e.event === 'waiting' || e.event === 'crashed' || e.event === 'failed', 20_000, `the ${spec.kind} client to wait on the server`);
      observers.push(client);
    }
  }
  const connected = observers.map((o) => o.find((e) => e.event === 'connected') as EndpointEvent & Socket4 & { keepAlive: Record<string, unknown> });
  expect(connected[0].keepAlive).toMatchObject({ enabled: true, ...SETTINGS });
  // The waiting request is acknowledged on the wire; then nothing moves.
  await capture.until((packets) => settled(packets, connected[0]), 'acknowledgement of the waiting request');

  const vanishedAt = await lab.vanish(observerIsServer ? clientIf : serverIf);
  const window = detectionWindow(SETTINGS.idle, SETTINGS.interval, SETTINGS.count);
  const failure = await observers[0].waitFor((e) => e.event === 'failed', (window.latest + 5) * 1000, `the ${spec.kind} side with tcp-keepalive to notice`);
  const trace = traceSocket(await capture.stop(), connected[0]);
  const lastReceived = trace.lastReceived!.time;
  const observed = failure.t - lastReceived;
  const other = observers[1].events.filter((e) => e.event === 'failed' || e.event === 'closed' || e.event === 'answered');
  console.log(
    `[${spec.scenario}] ${spec.kind} with tcp-keepalive (idle 2 s/interval 1 s/count 2): expected >= ${window.expected.toFixed(3)} s (<= ${window.latest.toFixed(3)} s), ` +
      `observed ${observed.toFixed(3)} s (${String(failure.code ?? failure.cause ?? failure.message)}), probes ${trace.probes.length} at ${offsets(lastReceived, trace.probes.map((p) => p.packet.time))} s; ` +
      `with the library's defaults (${JSON.stringify(connected[1].keepAlive)}) at ${(failure.t - vanishedAt + 0.3).toFixed(1)} s after the vanish: ${other.length ? JSON.stringify(other) : 'still waiting'}`,
  );
  expect(isTimeout(failure), JSON.stringify(failure)).toBe(true);
  expect(observed).toBeGreaterThanOrEqual(window.earliest);
  expect(observed).toBeLessThanOrEqual(window.latest);
  expect(trace.probes).toHaveLength(SETTINGS.count);
  expect(other).toEqual([]);
}
