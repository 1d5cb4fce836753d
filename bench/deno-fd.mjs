// Run by Deno (bench/index.mjs starts it where Deno is installed: npm run
// tools): what finding a hidden descriptor costs. Deno's node:net handles
// have no fd, so the library finds each socket's in /proc/self/fd by its
// addresses the first time, then confirms it by inode before each use. With
// 10,000 sockets open (5,000 loopback pairs), CPU time per call
// (process.cpuUsage, user + sys) of:
// - a first call on a new socket, the others already found (their fds skipped);
// - a first call on a new socket, none of the others ever configured (the
//   search asks every socket of the process: the worst case);
// - a later call (the inode confirmed, then the 4 setsockopt);
// - Deno's own socket.setKeepAlive(true, ms) with a changing delay, what a
//   program calls without the library.
// `--json` prints the figures as JSON.
import net from 'node:net';
import { capabilities, setKeepAlive } from '../dist/index.mjs';

const PAIRS = Number(Deno.args.find((arg) => /^\d+$/.test(arg)) ?? 5000);
const json = Deno.args.includes('--json');
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

const server = net.createServer((socket) => socket.on('error', () => {}));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;
const connect = () =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket)).on('error', reject);
  });
const held = [];
for (let i = 0; i < PAIRS; i += 250) held.push(...(await Promise.all(Array.from({ length: Math.min(250, PAIRS - i) }, connect))));

const VALUES = { idle: 30_000, interval: 10_000, count: 3 };
// The worst case first: nothing found yet, so nothing is skipped.
const unknownFirst = [];
for (let i = 0; i < 20; i++) {
  const socket = await connect();
  const start = cpu();
  setKeepAlive(socket, VALUES);
  unknownFirst.push(cpu() - start);
  held.push(socket);
}
// Every socket found once: their fds are skipped from now on.
for (const socket of held) setKeepAlive(socket, VALUES);
const knownFirst = [];
for (let i = 0; i < 200; i++) {
  const socket = await connect();
  const start = cpu();
  setKeepAlive(socket, VALUES);
  knownFirst.push(cpu() - start);
  held.push(socket);
}
// Later calls against Deno's own, alternating batches on one socket.
const socket = held[held.length >> 1];
const BATCH = 2000;
const later = [];
const own = [];
for (let round = 0; round < 15; round++) {
  let start = cpu();
  for (let i = 0; i < BATCH; i++) setKeepAlive(socket, { idle: (i & 1) === 0 ? 30_000 : 31_000 });
  later.push((cpu() - start) / BATCH);
  start = cpu();
  for (let i = 0; i < BATCH; i++) socket.setKeepAlive(true, (i & 1) === 0 ? 30_000 : 31_000);
  own.push((cpu() - start) / BATCH);
}
const results = {
  deno: Deno.version.deno,
  descriptor: capabilities.descriptor,
  sockets: held.length * 2,
  firstCallOthersFoundUs: median(knownFirst),
  firstCallNoneFoundUs: median(unknownFirst),
  laterCallUs: median(later),
  denoSetKeepAliveUs: median(own),
};
if (json) console.log(JSON.stringify(results, null, 2));
else {
  const us = (value) => `${value.toFixed(2)} us`;
  console.log(`\nhidden descriptors on Deno ${results.deno} (descriptor: ${results.descriptor}), ${results.sockets} sockets open; CPU per call, median`);
  console.log(`  first call on a new socket, the others found already          ${us(results.firstCallOthersFoundUs)}`);
  console.log(`  first call on a new socket, none of the others ever configured ${us(results.firstCallNoneFoundUs)}`);
  console.log(`  later call (inode confirmed, 4 setsockopt)                     ${us(results.laterCallUs)} = ${(results.laterCallUs / results.denoSetKeepAliveUs).toFixed(2)} x Deno's own setKeepAlive (${us(results.denoSetKeepAliveUs)}, idle only)`);
}
Deno.exit(0);
