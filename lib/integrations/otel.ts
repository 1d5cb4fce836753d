// TCP_KEEPALIVE_REPORT=otel: the lost-connection report as OpenTelemetry
// metrics, through the program's own @opentelemetry/api and the global
// MeterProvider its SDK registers (auto-instrumentations-node/register, or
// NodeSDK in the program): no code in the program, and nothing of
// OpenTelemetry in this package's dependencies. The API is found where the
// program would find it (from its main script's folder, then the working
// directory); the meter is asked for at each report from whatever provider
// is registered then, so an SDK started after this preload is the one used.
//
// Instruments (attributes from OpenTelemetry's semantic conventions where one
// exists: network.peer.address, network.peer.port, network.transport,
// error.type):
// - tcp_keepalive.connection.ended (counter, {connection}): connections that
//   ended on their own, by tcp_keepalive.cause (keepalive, user-timeout,
//   retransmissions, reset, closed-by-peer), tcp_keepalive.raced and
//   tcp_keepalive.direction (opened, accepted);
// - tcp_keepalive.connection.silence (histogram, s): the silence before the
//   end, with the same attributes.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { ConnectionLost } from '../kernel-view/connection-lost.js';

/** What this file uses of @opentelemetry/api (1.x). */
interface Attributes {
  [name: string]: string | number | boolean;
}
interface Meter {
  createCounter(name: string, options?: { description?: string; unit?: string }): { add(value: number, attributes?: Attributes): void };
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): { record(value: number, attributes?: Attributes): void };
}
interface MeterProvider {
  getMeter(name: string): Meter;
}
interface OpenTelemetryApi {
  metrics: { getMeterProvider(): MeterProvider };
}

const ENDED = 'tcp_keepalive.connection.ended';
const SILENCE = 'tcp_keepalive.connection.silence';
// Seconds: from a pool's second to a database's eight hours.
const BUCKETS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 28800];

/** The program's @opentelemetry/api, where it has one. */
function findApi(): OpenTelemetryApi | undefined {
  const script = process.argv[1];
  const places = [...(script ? [dirname(resolve(script))] : []), process.cwd()];
  for (const place of places) {
    try {
      return createRequire(join(place, 'noop.js'))('@opentelemetry/api') as OpenTelemetryApi;
    } catch {
      // not from there
    }
  }
  return undefined;
}

/** Starts recording; undefined (and one warning) where the program has no OpenTelemetry. */
export function startOtel(api: OpenTelemetryApi | undefined = findApi()): ((lost: ConnectionLost) => void) | undefined {
  if (api === undefined) {
    process.emitWarning(
      `tcp-keepalive/register: TCP_KEEPALIVE_REPORT=otel, but the program has no @opentelemetry/api (looked from ${process.argv[1] ?? 'its script'} and ${process.cwd()}): nothing is recorded there`,
      { code: 'TCP_KEEPALIVE_PRELOAD' },
    );
    return undefined;
  }
  let provider: MeterProvider | undefined;
  let ended: ReturnType<Meter['createCounter']>;
  let silence: ReturnType<Meter['createHistogram']>;
  let warned = false;
  return (lost) => {
    const current = api.metrics.getMeterProvider();
    if (current !== provider) {
      provider = current;
      const meter = current.getMeter('tcp-keepalive');
      ended = meter.createCounter(ENDED, { description: 'TCP connections that ended on their own (a peer\'s close, a reset, a timeout), by cause', unit: '{connection}' });
      silence = meter.createHistogram(SILENCE, { description: 'The silence before the connection ended', unit: 's', advice: { explicitBucketBoundaries: BUCKETS } });
      // The API's stand-in until an SDK registers one.
      if (!warned && current.constructor?.name === 'NoopMeterProvider') {
        warned = true;
        process.emitWarning('tcp-keepalive/register: TCP_KEEPALIVE_REPORT=otel, but no OpenTelemetry MeterProvider is registered yet: this end is not recorded', { code: 'TCP_KEEPALIVE_PRELOAD' });
      }
    }
    const attributes: Attributes = {
      'tcp_keepalive.cause': lost.cause,
      'tcp_keepalive.raced': lost.raced,
      'tcp_keepalive.direction': lost.direction,
      'network.transport': 'tcp',
    };
    if (lost.remoteAddress !== undefined) attributes['network.peer.address'] = lost.remoteAddress;
    if (lost.remotePort !== undefined) attributes['network.peer.port'] = lost.remotePort;
    const errorType = lost.error === null ? undefined : ((lost.error as NodeJS.ErrnoException).code ?? lost.error.name);
    if (errorType !== undefined) attributes['error.type'] = errorType;
    ended.add(1, attributes);
    silence.record(lost.silentFor / 1000, attributes);
  };
}
