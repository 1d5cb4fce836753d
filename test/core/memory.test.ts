// No leak per call: a million set+get cycles on one socket must not grow the
// process's resident memory by more than 1 MiB.
import { expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getKeepAlive, setKeepAlive } from '../../lib/index.js';
import { connectedPair } from '../helpers/sockets.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const settings = [
  { idle: 10_000, interval: 2_000, count: 3, userTimeout: 1_000 },
  { idle: 20_000, interval: 4_000, count: 5, userTimeout: 2_000 },
  { idle: 30_000, interval: 6_000, count: 7, userTimeout: 3_000 },
];

function cycles(socket: Parameters<typeof getKeepAlive>[0], count: number): number {
  let checksum = 0;
  for (let i = 0; i < count; i++) {
    setKeepAlive(socket as never, settings[i % 3]!);
    checksum += getKeepAlive(socket).count;
  }
  return checksum;
}

function settledRss(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage.rss();
}

// A leak grows RSS in every round, by a megabyte per byte it keeps a call; V8
// sizing its heap up once (it does under CPU contention, its concurrent
// collector behind) grows one round only. So up to three rounds of a million
// cycles, and the last must grow by at most 1 MiB.
it('1,000,000 set+get cycles grow RSS by at most 1 MiB', async () => {
  const { client } = await connectedPair();
  cycles(client, 500_000); // warm up: JIT tiers and heap sizing settle first
  const growths: number[] = [];
  for (let round = 0; round < 3 && (growths.length === 0 || growths.at(-1)! > 2 ** 20); round++) {
    const before = settledRss();
    const checksum = cycles(client, 1_000_000);
    const after = settledRss();
    growths.push(after - before);
    console.log(`[memory] round ${round + 1}: RSS before ${(before / 2 ** 20).toFixed(2)} MiB, after 1e6 cycles ${(after / 2 ** 20).toFixed(2)} MiB, growth ${((after - before) / 1024).toFixed(0)} KiB`);
    expect(checksum).toBe((3 + 5 + 7) * 333_333 + 3);
  }
  expect(growths.at(-1)).toBeLessThanOrEqual(2 ** 20);
}, 120_000);
