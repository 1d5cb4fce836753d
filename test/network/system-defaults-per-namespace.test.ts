// systemDefaults() and `tcp-keepalive defaults` read the sysctls of the
// network namespace they run in: a test namespace with its own values.
import { expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeNetwork, useLab } from './harness.js';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

describeNetwork('systemDefaults in a network namespace of its own', () => {
  const lab = useLab('sd');

  it('a child in the namespace reads the namespace\'s values, not the host\'s', async () => {
    const ns = await lab.namespace('defaults');
    await lab.sysctl(ns, {
      'net.ipv4.tcp_keepalive_time': 123,
      'net.ipv4.tcp_keepalive_intvl': 45,
      'net.ipv4.tcp_keepalive_probes': 6,
      'net.ipv4.tcp_retries2': 7,
    });
    const endpoint = await lab.endpoint(ns, 'reader');
    const inside = await endpoint.request('systemDefaults');
    expect(inside).toEqual({ idle: 123_000, interval: 45_000, count: 6, retries2: 7 });

    const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', ns, process.execPath, CLI, 'defaults', '--json'], { timeout: 15_000 });
    const { defaults, detection } = JSON.parse(stdout) as { defaults: unknown; detection: { idle: number; dataInFlight: number } };
    expect(defaults).toEqual(inside);
    expect(detection.idle).toBe(123_000 + 45_000 * 6);
    expect(detection.dataInFlight).toBe(51_000); // 0.2 s doubling 7 times: 0.2 × (2^8 − 1)
    console.log(`[system defaults] inside the namespace: ${JSON.stringify(inside)}; outside: ${JSON.stringify((await import('../../lib/index.js')).systemDefaults())}`);
  }, 30_000);
});
