#!/usr/bin/env node
// setKeepAlive against Node core's socket.setKeepAlive(true, ms) and the raw
// binding, in long loops: garbage made per call (an options array, an object)
// shows only when a loop runs long enough for the collector to come round,
// which the 2 ms batches of bench/set.mjs never do. CPU time
// (process.cpuUsage, user and sys apart) of alternating batches of 100 000
// calls in one process, on one connected loopback socket; every call changes
// the values, so each makes its 4 syscalls. `--json`, `--rounds N` (default 9).
import net from 'node:net';
import { connectLoopback, library, rawSet, SETS } from './common/floor.mjs';
import { cpuTime, interleave } from './common/rounds.mjs';
import { median, pairedRatio } from './common/stats.mjs';

const { setKeepAlive } = library();
const CALLS = 100_000;
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 9;
const json = process.argv.includes('--json');

const { server, socket } = await connectLoopback();
const fd = socket._handle.fd;
const nodeSet = net.Socket.prototype.setKeepAlive;
// The same four value sets as bench/set.mjs; the library's options are object
// literals made in the loop, as a caller writes them.
const MS = SETS.map(([idle, interval, count]) => ({ idle: idle * 1000, interval: interval * 1000, count }));
const variants = [
  { name: 'library', call: (i) => setKeepAlive(socket, { idle: MS[i & 3].idle, interval: MS[i & 3].interval, count: MS[i & 3].count }) },
  // Node makes the same 4 syscalls (interval 1 s and count 10 forced) when the delay changes.
  { name: 'node', call: (i) => nodeSet.call(socket, true, MS[i & 3].idle) },
  { name: 'raw', call: (i) => rawSet(fd, SETS[i & 3]) },
];
const batch = async ({ call }) => {
  const used = await cpuTime(() => {
    for (let i = 0; i < CALLS; i++) call(i);
  });
  return { user: (used.user * 1000) / CALLS, system: (used.system * 1000) / CALLS }; // ns per call
};
for (const variant of variants) await batch(variant); // warm up
await interleave(variants, ROUNDS, batch);
socket.destroy();
server.close();

const byName = Object.fromEntries(variants.map((v) => [v.name, v.samples]));
const total = (s) => s.user + s.system;
const ratio = (a, b) => pairedRatio(byName[a].map(total), byName[b].map(total)).paired;
const results = {
  calls: CALLS,
  rounds: ROUNDS,
  nsPerCall: Object.fromEntries(
    variants.map(({ name, samples }) => [
      name,
      { user: median(samples.map((s) => s.user)), system: median(samples.map((s) => s.system)), total: median(samples.map(total)) },
    ]),
  ),
  ratios: { libraryToNode: ratio('library', 'node'), libraryToRaw: ratio('library', 'raw'), nodeToRaw: ratio('node', 'raw') },
};
if (json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  console.log(`\nset in long loops: ${ROUNDS} alternating batches of ${CALLS} calls, CPU ns per call (median; user + sys)`);
  for (const { name } of variants) {
    const r = results.nsPerCall[name];
    console.log(`  ${name.padEnd(8)} ${r.total.toFixed(0).padStart(6)} (user ${r.user.toFixed(0)}, sys ${r.system.toFixed(0)})`);
  }
  console.log(
    `  setKeepAlive / Node core ${results.ratios.libraryToNode.toFixed(3)} (target <= 1.03); / raw binding ${results.ratios.libraryToRaw.toFixed(3)}; ` +
      `Node core / raw ${results.ratios.nodeToRaw.toFixed(3)}`,
  );
}
