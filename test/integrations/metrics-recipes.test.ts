// The README's metrics recipes for lost connections (docs/connection-lost.md),
// run as written with the real packages: an OpenTelemetry counter read by the
// SDK's in-memory exporter, and a prom-client counter in its registry, both
// labelled by cause and destination. The losses are real: connections this
// library configured, reset by their peer on loopback.
import { describe, expect, it, onTestFinished } from 'vitest';
import net from 'node:net';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { Counter, Registry } from 'prom-client';
import { onConnectionLost, setKeepAlive } from '../../lib/index.js';
import { connectedPair, portOf } from '../helpers/sockets.js';

/** `count` connections to one server, each configured and then reset by the server; resolves with the server's port. */
async function loseConnections(count: number): Promise<number> {
  const { client, peer, server } = await connectedPair();
  const peers = [peer];
  server.on('connection', (socket: net.Socket) => peers.push(socket));
  const clients = [client];
  for (let i = 1; i < count; i++) {
    const next = net.connect(portOf(server), '127.0.0.1');
    onTestFinished(() => void next.destroy());
    await new Promise((resolve) => next.once('connect', resolve));
    clients.push(next);
  }
  while (peers.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  await Promise.all(
    clients.map((socket, i) => {
      setKeepAlive(socket, { idle: 30_000, interval: 10_000, count: 3 });
      socket.on('error', () => undefined);
      const closed = new Promise((resolve) => socket.once('close', resolve));
      peers[i].resetAndDestroy();
      return closed;
    }),
  );
  return portOf(server);
}

describe('metrics for lost connections', () => {
  it('OpenTelemetry: a counter by cause and destination', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    onTestFinished(async () => {
      metrics.disable();
      await provider.shutdown();
    });

    // The recipe.
    const lost = metrics.getMeter('tcp-keepalive').createCounter('tcp.connections.lost', { description: 'TCP connections the kernel ended, by cause' });
    const stop = onConnectionLost((c) => lost.add(1, { cause: c.cause, destination: `${c.remoteAddress}:${c.remotePort}` }));
    onTestFinished(stop);

    const port = await loseConnections(2);
    await reader.forceFlush();
    const points = exporter
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics)
      .flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === 'tcp.connections.lost')
      .flatMap((metric) => metric.dataPoints as Array<{ attributes: object; value: unknown }>);
    expect(points.map((point) => ({ attributes: point.attributes, value: point.value }))).toEqual([
      { attributes: { cause: 'reset', destination: `127.0.0.1:${port}` }, value: 2 },
    ]);
  });

  it('prom-client: a counter by cause and destination', async () => {
    const registry = new Registry();

    // The recipe (with a registry of the test's own instead of the default one).
    const lost = new Counter({
      name: 'tcp_connections_lost_total',
      help: 'TCP connections the kernel ended, by cause',
      labelNames: ['cause', 'destination'],
      registers: [registry],
    });
    const stop = onConnectionLost((c) => lost.inc({ cause: c.cause, destination: `${c.remoteAddress}:${c.remotePort}` }));
    onTestFinished(stop);

    const port = await loseConnections(3);
    expect(await registry.metrics()).toContain(`tcp_connections_lost_total{cause="reset",destination="127.0.0.1:${port}"} 3`);
  });
});
