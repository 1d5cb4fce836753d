#!/usr/bin/env node
// What the sticky guard costs Node's own socket.setKeepAlive on a socket the
// library does not manage: the guard is installed for the whole process by the
// first sticky call, so every other socket's calls go through it.
//
// Node's method unwrapped and wrapped are timed on the same socket, in
// interleaved rounds (order rotated), the medians of per-round ns/call are
// reported with their ratio. Two cases: an unchanged delay (Node skips the
// syscalls: pure JavaScript, where the guard shows most) and a changing delay
// (4 syscalls).
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { setKeepAlive } = require('../dist/index.js');
const ROUNDS = 101;
const hrtime = process.hrtime.bigint;

const server = net.createServer((peer) => peer.on('error', () => {}));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const connect = () =>
  new Promise((resolve, reject) => {
    const socket = net.connect(server.address().port, '127.0.0.1');
    socket.once('connect', () => resolve(socket)).once('error', reject);
  });
const plain = await connect();
const pinned = await connect();

const unwrapped = net.Socket.prototype.setKeepAlive;
setKeepAlive(pinned, { interval: 2000, sticky: true }); // installs the guard
const wrapped = net.Socket.prototype.setKeepAlive;
if (wrapped === unwrapped) throw new Error('bench: the sticky guard was not installed');

const DELAYS = [60_000, 61_000, 62_000, 63_000];
let sink = 0;
function loop(method, n, changing) {
  const t0 = hrtime();
  for (let i = 0; i < n; i++) method.call(plain, true, changing ? DELAYS[i & 3] : 60_000);
  sink += n;
  return Number(hrtime() - t0) / n;
}
const variants = [
  { id: 'same-node', method: unwrapped, changing: false, n: 200_000 },
  { id: 'same-guarded', method: wrapped, changing: false, n: 200_000 },
  { id: 'changing-node', method: unwrapped, changing: true, n: 2_000 },
  { id: 'changing-guarded', method: wrapped, changing: true, n: 2_000 },
];
for (const v of variants) {
  for (let i = 0; i < 10; i++) loop(v.method, v.n / 10, v.changing);
  v.samples = [];
}
for (let r = 0; r < ROUNDS; r++) {
  for (let j = 0; j < variants.length; j++) {
    const v = variants[(j + r) % variants.length];
    v.samples.push(loop(v.method, v.n, v.changing));
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const byId = Object.fromEntries(variants.map((v) => [v.id, v]));
const row = (label, node, guarded) => {
  const ratio = median(byId[guarded].samples.map((s, i) => s / byId[node].samples[i]));
  const extra = median(byId[guarded].samples.map((s, i) => s - byId[node].samples[i]));
  console.log(
    `${label.padEnd(52)} ${median(byId[node].samples).toFixed(1).padStart(8)} ${median(byId[guarded].samples).toFixed(1).padStart(9)} ` +
      `${ratio.toFixed(3).padStart(7)} ${extra.toFixed(1).padStart(9)}`,
  );
};
console.log(`\nsticky guard: Node's socket.setKeepAlive on a socket that is not pinned, ${ROUNDS} interleaved rounds, ns per call`);
console.log(`${'case'.padEnd(52)} ${'Node'.padStart(8)} ${'guarded'.padStart(9)} ${'ratio'.padStart(7)} ${'+ns'.padStart(9)}`);
row('same delay (Node skips the syscalls: JavaScript only)', 'same-node', 'same-guarded');
row('changing delay (4 syscalls)', 'changing-node', 'changing-guarded');
plain.destroy();
pinned.destroy();
server.close();
if (sink < 0) console.log(sink);
