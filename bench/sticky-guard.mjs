#!/usr/bin/env node
// What the sticky guard costs Node's own socket.setKeepAlive on a socket the
// library does not manage: the guard is installed for the whole process by the
// first sticky call, so every other socket's calls go through it.
//
// Node's method unwrapped and wrapped are timed on the same socket, in
// interleaved rounds (order rotated), the medians of per-round ns/call are
// reported with their ratio. Two cases: an unchanged delay (Node skips the
// syscalls: pure JavaScript, where the guard shows most) and a changing delay
// (4 syscalls). `--json` prints the figures as JSON.
import net from 'node:net';
import { connectLoopback, library } from './common/floor.mjs';
import { interleave } from './common/rounds.mjs';
import { median, pairedDifference, pairedRatio } from './common/stats.mjs';

const ROUNDS = 101;
const hrtime = process.hrtime.bigint;
const json = process.argv.includes('--json');

const { server, socket: plain } = await connectLoopback();
const pinned = net.connect(server.address().port, '127.0.0.1');
await new Promise((resolve, reject) => pinned.once('connect', resolve).once('error', reject));

const unwrapped = net.Socket.prototype.setKeepAlive;
library().setKeepAlive(pinned, { interval: 2000, sticky: true }); // installs the guard
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
for (const v of variants) for (let i = 0; i < 10; i++) loop(v.method, v.n / 10, v.changing); // warm up
await interleave(variants, ROUNDS, (v) => loop(v.method, v.n, v.changing));
plain.destroy();
pinned.destroy();
server.close();

const byId = Object.fromEntries(variants.map((v) => [v.id, v.samples]));
const compare = (node, guarded) => ({
  nodeNs: median(byId[node]),
  guardedNs: median(byId[guarded]),
  ratio: pairedRatio(byId[guarded], byId[node]).paired,
  extraNs: pairedDifference(byId[guarded], byId[node]),
});
const results = { rounds: ROUNDS, sameDelay: compare('same-node', 'same-guarded'), changingDelay: compare('changing-node', 'changing-guarded') };
if (json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  const row = (label, r) =>
    console.log(
      `${label.padEnd(52)} ${r.nodeNs.toFixed(1).padStart(8)} ${r.guardedNs.toFixed(1).padStart(9)} ${r.ratio.toFixed(3).padStart(7)} ${r.extraNs.toFixed(1).padStart(9)}`,
    );
  console.log(`\nsticky guard: Node's socket.setKeepAlive on a socket that is not pinned, ${ROUNDS} interleaved rounds, ns per call`);
  console.log(`${'case'.padEnd(52)} ${'Node'.padStart(8)} ${'guarded'.padStart(9)} ${'ratio'.padStart(7)} ${'+ns'.padStart(9)}`);
  row('same delay (Node skips the syscalls: JavaScript only)', results.sameDelay);
  row('changing delay (4 syscalls)', results.changingDelay);
}
if (sink < 0) console.log(sink);
