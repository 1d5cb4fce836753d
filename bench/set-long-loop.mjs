#!/usr/bin/env node
// setKeepAlive against Node core's socket.setKeepAlive(true, ms) and the raw
// binding, in long loops: garbage made per call (an options array, an object)
// shows only when a loop runs long enough for the collector to come round,
// which the 2 ms batches of bench/index.mjs never do. CPU time
// (process.cpuUsage, user and sys apart) of alternating batches of 100 000
// calls in one process, on one connected loopback socket; every call changes
// the values, so each makes its 4 syscalls.
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { setKeepAlive } = require('../dist/index.js');
const { native } = require('../dist/binding.js');
const CALLS = 100_000;
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 9;
const json = process.argv.includes('--json');

const server = net.createServer((peer) => peer.on('error', () => {}));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const socket = net.connect(server.address().port, '127.0.0.1');
await new Promise((resolve) => socket.once('connect', resolve));

// The same four value sets for every variant, as bench/index.mjs uses.
const SETS = [
  { idle: 30_000, interval: 10_000, count: 3 },
  { idle: 31_000, interval: 11_000, count: 4 },
  { idle: 32_000, interval: 12_000, count: 5 },
  { idle: 33_000, interval: 13_000, count: 6 },
];
const { slots, layout } = native;
const fd = socket._handle.fd;
const nodeSet = net.Socket.prototype.setKeepAlive;
const variants = {
  // Object literals made in the loop, as a caller writes them.
  library: (i) => setKeepAlive(socket, { idle: SETS[i & 3].idle, interval: SETS[i & 3].interval, count: SETS[i & 3].count }),
  // Node makes the same 4 syscalls (interval 1 s and count 10 forced) when the delay changes.
  node: (i) => nodeSet.call(socket, true, SETS[i & 3].idle),
  raw: (i) => {
    const values = SETS[i & 3];
    slots[layout.idle] = values.idle / 1000;
    slots[layout.interval] = values.interval / 1000;
    slots[layout.count] = values.count;
    slots[layout.userTimeout] = -1;
    slots[layout.enabled] = 1;
    slots[layout.fd] = fd;
    native.set();
  },
};
const names = Object.keys(variants);
const samples = Object.fromEntries(names.map((name) => [name, []]));
const batch = (name) => {
  const run = variants[name];
  const before = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) run(i);
  const used = process.cpuUsage(before);
  return { user: (used.user * 1000) / CALLS, system: (used.system * 1000) / CALLS }; // ns per call
};
for (const name of names) batch(name); // warm up
for (let round = 0; round < ROUNDS; round++) {
  for (let j = 0; j < names.length; j++) {
    const name = names[(j + round) % names.length];
    samples[name].push(batch(name));
  }
}
socket.destroy();
server.close();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const total = (s) => s.user + s.system;
const ratio = (a, b) => median(samples[a].map((s, i) => total(s) / total(samples[b][i])));
const results = {
  calls: CALLS,
  rounds: ROUNDS,
  nsPerCall: Object.fromEntries(names.map((name) => [name, { user: median(samples[name].map((s) => s.user)), system: median(samples[name].map((s) => s.system)), total: median(samples[name].map(total)) }])),
  ratios: { libraryToNode: ratio('library', 'node'), libraryToRaw: ratio('library', 'raw'), nodeToRaw: ratio('node', 'raw') },
};
if (json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  console.log(`\nset in long loops: ${ROUNDS} alternating batches of ${CALLS} calls, CPU ns per call (median; user + sys)`);
  for (const name of names) {
    const r = results.nsPerCall[name];
    console.log(`  ${name.padEnd(8)} ${r.total.toFixed(0).padStart(6)} (user ${r.user.toFixed(0)}, sys ${r.system.toFixed(0)})`);
  }
  console.log(`  setKeepAlive / Node core ${results.ratios.libraryToNode.toFixed(3)} (target <= 1.03); / raw binding ${results.ratios.libraryToRaw.toFixed(3)}; Node core / raw ${results.ratios.nodeToRaw.toFixed(3)}`);
}
