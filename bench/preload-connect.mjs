#!/usr/bin/env node
// What tcp-keepalive/register adds to a loopback connection's life (connect,
// accept, destroy), measured in whole child processes run alternately with
// and without the preload: the hooks, the per-client setsockopt calls, the
// listener's one set (accepted sockets inherit: no syscall per accept).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import net from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = 2000;

if (process.argv[2] === '--child') {
  const server = net.createServer((peer) => peer.on('error', () => {}).destroy());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  const once = () =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.destroy());
      socket.on('close', resolve).on('error', () => {});
    });
  for (let i = 0; i < 200; i++) await once(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CONNECTIONS; i++) await once();
  console.log(Number(process.hrtime.bigint() - t0) / CONNECTIONS);
  server.close();
} else {
  const env = { ...process.env, KEEPIDLE: '30', KEEPINTVL: '10', KEEPCNT: '3' };
  const register = join(here, '..', 'dist', 'register.js');
  const measure = (args) => {
    const child = spawnSync(process.execPath, [...args, fileURLToPath(import.meta.url), '--child'], { env, encoding: 'utf8', timeout: 60_000 });
    if (child.status !== 0) throw new Error(`bench: child failed: ${child.stderr}`);
    return Number(child.stdout.trim());
  };
  const plain = [];
  const preloaded = [];
  for (let round = 0; round < 7; round++) {
    plain.push(measure([]));
    preloaded.push(measure(['--require', register]));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const ratio = median(preloaded.map((p, i) => p / plain[i]));
  console.log(`\npreload: one loopback connect + accept + destroy, ${CONNECTIONS} per process, 7 alternating processes each, ns per connection`);
  console.log(`  without the preload ${median(plain).toFixed(0)}`);
  console.log(`  with --require tcp-keepalive/register (KEEPIDLE=30 KEEPINTVL=10 KEEPCNT=3) ${median(preloaded).toFixed(0)} (x ${ratio.toFixed(3)}, +${(median(preloaded) - median(plain)).toFixed(0)} ns; 4 of those syscalls cost ~1300 ns on this machine)`);
}
