// TCP_KEEPALIVE_REPORT=otel end to end, with the real packages: a program
// with no code of either runs under NODE_OPTIONS="--require
// @opentelemetry/auto-instrumentations-node/register --require
// tcp-keepalive/register", its SDK exporting metrics as OTLP/HTTP JSON to a
// receiver this test runs on loopback; the receiver gets the counter of
// ended connections with the cause and the peer as attributes, and the
// histogram of the silence before the end. Without OpenTelemetry in the
// program, one warning says so and the program runs on.
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { notRoot, requireOrSkip } from '../helpers/prerequisites.js';
import { explain, run, withoutKeepAliveVariables } from '../helpers/run.js';

const ROOT = join(__dirname, '..', '..');
const REGISTER = join(ROOT, 'dist', 'register.js');
const PROGRAM = join(__dirname, 'programs', 'otel-report.mjs');

interface Attribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}
interface Metric {
  name: string;
  unit?: string;
  sum?: { dataPoints: Array<{ attributes: Attribute[]; asInt?: string | number; asDouble?: number }> };
  histogram?: { dataPoints: Array<{ attributes: Attribute[]; count: string | number; sum?: number }> };
}
interface Export {
  resourceMetrics: Array<{ scopeMetrics: Array<{ scope: { name: string }; metrics: Metric[] }> }>;
}

const attributes = (list: Attribute[]): Record<string, unknown> =>
  Object.fromEntries(list.map(({ key, value }) => [key, value.stringValue ?? value.boolValue ?? value.doubleValue ?? (value.intValue === undefined ? undefined : Number(value.intValue))]));

const installed = existsSync(join(__dirname, 'node_modules', '@opentelemetry', 'auto-instrumentations-node', 'package.json'));
const skip = requireOrSkip('TCP_KEEPALIVE_REPORT=otel with the OpenTelemetry SDK', installed ? notRoot() : 'test/compat/node_modules is missing: run `npm ci` in test/compat');

describe.skipIf(skip)('TCP_KEEPALIVE_REPORT=otel', () => {
  it("the program's own SDK exports the ended connection with its cause and peer, and the silence before it", async () => {
    const received: Export[] = [];
    const receiver = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        if (request.url === '/v1/metrics') received.push(JSON.parse(body) as Export);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    onTestFinished(() => void receiver.close());
    const endpoint = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/v1/metrics`;
    const program = spawn(process.execPath, [PROGRAM], {
      cwd: __dirname,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: withoutKeepAliveVariables({
        NODE_OPTIONS: `--require @opentelemetry/auto-instrumentations-node/register --require ${REGISTER}`,
        TCP_KEEPALIVE_REPORT: 'otel',
        OTEL_SERVICE_NAME: 'tcp-keepalive-otel-test',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        OTEL_NODE_RESOURCE_DETECTORS: 'none',
      }),
    });
    onTestFinished(() => void program.kill('SIGKILL'));
    let stderr = '';
    program.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // Until the receiver has the counter (each export carries the cumulative counts), at most 20 s.
    const metric = (name: string): Metric | undefined =>
      received.flatMap((data) => data.resourceMetrics.flatMap((resource) => resource.scopeMetrics.filter((scope) => scope.scope.name === 'tcp-keepalive').flatMap((scope) => scope.metrics))).reverse().find((m) => m.name === name);
    for (const deadline = Date.now() + 20_000; metric('tcp_keepalive.connection.ended') === undefined; await new Promise((resolve) => setTimeout(resolve, 50))) {
      if (Date.now() > deadline || program.exitCode !== null) throw new Error(`no tcp-keepalive metric reached the receiver (exit ${String(program.exitCode)}): ${stderr.slice(-2000)}`);
    }
    const ended = metric('tcp_keepalive.connection.ended')!;
    const silence = metric('tcp_keepalive.connection.silence');
    console.log(`[otel] ${JSON.stringify(ended)}\n[otel] ${JSON.stringify(silence)}`);
    expect(ended.unit).toBe('{connection}');
    const [point] = ended.sum!.dataPoints;
    expect(Number(point.asInt ?? point.asDouble)).toBe(1);
    expect(attributes(point.attributes)).toMatchObject({
      'tcp_keepalive.cause': 'closed-by-peer',
      'tcp_keepalive.raced': false,
      'tcp_keepalive.direction': 'opened',
      'network.transport': 'tcp',
      'network.peer.address': '127.0.0.1',
      'error.type': 'ECONNRESET',
    });
    expect(attributes(point.attributes)['network.peer.port']).toEqual(expect.any(Number));
    expect(silence?.unit).toBe('s');
    const [histogram] = silence!.histogram!.dataPoints;
    expect(Number(histogram.count)).toBe(1);
    expect(histogram.sum).toBeGreaterThanOrEqual(1.2);
    expect(histogram.sum).toBeLessThan(5);
    expect(stderr).not.toMatch(/tcp-keepalive/);
  }, 60_000);

  it('a program without OpenTelemetry: one warning, and the program runs on', async () => {
    const result = await run(process.execPath, ['--require', REGISTER, '-e', 'console.log("the program ran")'], {
      cwd: '/',
      env: withoutKeepAliveVariables({ TCP_KEEPALIVE_REPORT: 'otel' }),
      timeoutMs: 20_000,
    });
    expect(result.code, explain(result)).toBe(0);
    expect(result.stdout).toBe('the program ran\n');
    expect(result.stderr.match(/TCP_KEEPALIVE_REPORT=otel, but the program has no @opentelemetry\/api/g)).toHaveLength(1);
  });
});
