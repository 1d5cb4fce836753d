// The addon keeps its state per Node environment: worker threads load it
// alongside the main thread and each works on its own sockets.
import { expect, it } from 'vitest';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { getKeepAlive, setKeepAlive } from '../../lib/index.js';
import { connectedPair, systemDefaults } from '../helpers/sockets.js';

const workerSource = `
  const net = require('node:net');
  const { parentPort, workerData } = require('node:worker_threads');
  const { setKeepAlive, getKeepAlive } = require(workerData.entry);
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const client = net.connect(server.address().port, '127.0.0.1', () => {
      const states = [];
      for (let i = 0; i < 1000; i++) {
        setKeepAlive(client, { idle: workerData.idle, count: 1 + (i % 100) });
        states.push(getKeepAlive(client));
      }
      parentPort.postMessage(states[states.length - 1]);
      client.destroy();
      server.close();
    });
  });
`;

it('works in several worker threads at once and in the main thread', async () => {
  const entry = join(__dirname, '..', '..', 'dist', 'index.js');
  const workers = [3_000, 4_000, 5_000].map((idle) => new Worker(workerSource, { eval: true, workerData: { entry, idle } }));
  const { client } = await connectedPair();
  try {
    for (let i = 0; i < 1000; i++) setKeepAlive(client, { idle: 9_000, count: 1 + (i % 50) });
    const results = await Promise.all(workers.map(async (worker) => (await once(worker, 'message'))[0]));
    const { interval } = await systemDefaults();
    expect(results).toEqual([3_000, 4_000, 5_000].map((idle) => ({ enabled: true, idle, interval, count: 100, userTimeout: 0 })));
    expect(getKeepAlive(client)).toMatchObject({ enabled: true, idle: 9_000, count: 50 });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
});
