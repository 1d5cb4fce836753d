#!/usr/bin/env node
// What tcp-keepalive/register costs a process, beside its targets:
// - start-up: `require('tcp-keepalive/register')` in a fresh process over an
//   empty package required the same way, with no variable set and with
//   KEEPIDLE/KEEPINTVL/KEEPCNT (median of 21 alternating pairs of processes;
//   target <= +1 ms and <= +3 ms);
// - per connection, as CPU time (process.cpuUsage, user and sys apart) of
//   alternating batches in one process, configure(options) against
//   configure(false), so both halves see the same machine:
//   client: this process connects to a plain server in a child process
//   (target <= 3 us); accepted: this process accepts from a plain client in a
//   child process (target <= 1 us);
// - the floor: the same work in C (bench/floor.c does the set; here: the 4
//   setsockopt a client needs cost ~1 us of sys per connection, KEEPALIVE.md);
// - rules (TCP_KEEPALIVE_RULES, configure({ rules })): the same values chosen
//   by 10 rules, the connection matching the last one, beside the same values
//   without rules (target <= 0.5 us per connection); accepted connections
//   through an `accepted` rule still inherit from the listener (0 syscalls);
//   and the matching alone (ruleFor over 10 rules, a tight loop).
// `--json` prints every figure as JSON.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawSet, REGISTER } from './common/floor.mjs';
import { peer } from './common/peer.mjs';
import { cpuTime, interleave } from './common/rounds.mjs';
import { median, pairedDifference } from './common/stats.mjs';

const OPTIONS = { idle: 30_000, interval: 10_000, count: 3 };
// Ten rules, the connections of this bench matching the last (every rule is
// tried: the worst case), the accepted ones the first.
const TEN_RULES = (port) => [
  { match: 'accepted', keepAlive: OPTIONS },
  { match: { to: ':5432' }, keepAlive: { idle: 20_000 } },
  { match: { to: ':6379' }, keepAlive: 'off' },
  { match: { to: '10.0.0.0/8' }, keepAlive: { idle: 40_000 } },
  { match: { to: '192.168.0.0/16:443' }, keepAlive: { idle: 50_000 } },
  { match: { to: '2001:db8::/32' }, keepAlive: { idle: 60_000 } },
  { match: { to: '[fd00::1]:8080' }, keepAlive: { idle: 70_000 } },
  { match: { to: '172.16.0.0/12' }, keepAlive: { idle: 80_000 } },
  { match: { to: '127.0.0.2' }, keepAlive: 'off' },
  { match: { to: `127.0.0.1:${port}` }, keepAlive: OPTIONS },
];
const RAW = [OPTIONS.idle / 1000, OPTIONS.interval / 1000, OPTIONS.count];
const BATCH = 3000;
const ROUNDS = 15;
const json = process.argv.includes('--json');

// --- start-up -------------------------------------------------------------
// The preload's cost over an empty package required the same way: the first
// require of any package through node_modules costs the loader ~1.5 ms on
// Node 26 (KEEPALIVE.md), the same for both. A scratch project holds this
// package (a link to it) and an empty one with an `exports` map; alternating
// fresh processes each time their one `require('<package>/register')`, and
// the figure is the median of the pairs' differences.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'tcp-keepalive-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
mkdirSync(join(scratch, 'node_modules', 'empty-package'), { recursive: true });
symlinkSync(ROOT, join(scratch, 'node_modules', 'tcp-keepalive'), 'dir');
writeFileSync(
  join(scratch, 'node_modules', 'empty-package', 'package.json'),
  JSON.stringify({ name: 'empty-package', version: '1.0.0', exports: { './register': './register.js' } }),
);
writeFileSync(join(scratch, 'node_modules', 'empty-package', 'register.js'), '');

function startup(extraEnv, pairs = 21) {
  const env = { ...process.env, ...extraEnv };
  for (const name of Object.keys(env)) if (/^(KEEP|TCP_KEEPALIVE|TCP_USER_TIMEOUT$)/.test(name) && !(name in extraEnv)) delete env[name];
  const time = (pkg) => {
    const script = `performance.now(); const t = performance.now(); require('${pkg}/register'); console.log(performance.now() - t)`;
    const child = spawnSync(process.execPath, ['-e', script], { cwd: scratch, env, encoding: 'utf8', timeout: 30_000 });
    if (child.status !== 0) throw new Error(`bench: start-up child failed: ${child.stderr}`);
    return Number(child.stdout.trim());
  };
  const empty = [];
  const preload = [];
  for (let i = 0; i < pairs; i++) {
    // Which goes first alternates too.
    if (i % 2 === 0) (empty.push(time('empty-package')), preload.push(time('tcp-keepalive')));
    else (preload.push(time('tcp-keepalive')), empty.push(time('empty-package')));
  }
  return { overEmptyMs: pairedDifference(preload, empty), emptyMs: median(empty), preloadMs: median(preload) };
}

// --- per connection -------------------------------------------------------
const { configure } = createRequire(import.meta.url)(REGISTER);

// The floor for a client: the same 4 setsockopt through the raw binding
// (bench/common/floor.mjs), in the connect callback the connection has anyway
// (no policy, no listener).

// The client side: this process connects to a plain server, BATCH times, one at a time.
async function clientBatches() {
  const server = await peer('server');
  const port = Number(await server.next());
  const batch = async (raw) => {
    for (let i = 0; i < BATCH; i++) {
      await new Promise((done) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          if (raw) rawSet(socket._handle.fd, RAW);
          socket.end();
        });
        socket.on('close', done).on('error', done);
      });
    }
  };
  return { batch, stop: () => server.child.kill(), port };
}

// The accepting side: a plain client in a child connects BATCH times to this process's server.
async function acceptBatches() {
  const client = await peer('client');
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    socket.on('error', () => {}).on('end', () => socket.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  client.child.stdin.write(`port ${server.address().port}\n`);
  const batch = async (_raw) => {
    client.child.stdin.write(`go ${BATCH}\n`);
    await client.next();
  };
  return { batch, stop: () => (client.child.kill(), server.close()), count: () => accepted, port: 1 };
}

async function perConnection(side) {
  // The listener is set when it starts listening: configure first, as the preload would.
  configure(OPTIONS);
  const bench = side === 'client' ? await clientBatches() : await acceptBatches();
  // Four variants on the client side (the raw set is the floor), three on the accepting side.
  const kinds = side === 'client' ? ['off', 'on', 'raw', 'rules'] : ['off', 'on', 'rules'];
  const halves = kinds.map((kind) => ({ kind }));
  const rules = { rules: TEN_RULES(bench.port) };
  const run = ({ kind }) => {
    configure(kind === 'on' ? OPTIONS : kind === 'rules' ? rules : false);
    return cpuTime(() => bench.batch(kind === 'raw'));
  };
  for (const half of [...halves, ...halves]) await run(half); // warm up every path
  await interleave(halves, ROUNDS, run);
  const samples = Object.fromEntries(halves.map((half) => [half.kind, half.samples]));
  configure(false);
  bench.stop();
  const per = (list, key) => list.map((s) => (key === 'total' ? s.user + s.system : s[key]) / BATCH); // us per connection
  const over = (kind, base, key) => pairedDifference(per(samples[kind], key), per(samples[base], key));
  const figures = (kind, base) => ({ user: over(kind, base, 'user'), system: over(kind, base, 'system'), total: over(kind, base, 'total') });
  return {
    plain: { user: median(per(samples.off, 'user')), system: median(per(samples.off, 'system')) },
    extra: figures('on', 'off'),
    rules: figures('rules', 'on'),
    ...(side === 'client' ? { floor: figures('raw', 'off'), ownWork: figures('on', 'raw') } : {}),
  };
}

// The matching alone: ruleFor over the ten rules for the address and port of
// a connection that matches the last, in a tight loop (CPU time per call).
async function matchingAlone() {
  const { configuredPolicy, ruleFor } = createRequire(import.meta.url)('../dist/integrations/rules.js');
  const policy = configuredPolicy(TEN_RULES(45_000), undefined, 1);
  const addresses = [['127.0.0.1', 45_000], ['::ffff:127.0.0.1', 45_000]];
  if (ruleFor(policy, '127.0.0.1', 45_000)?.name !== 'to 127.0.0.1:45000') throw new Error('bench: the tenth rule does not match');
  const CALLS = 200_000;
  const variants = addresses.map(([address, port]) => ({ address, port }));
  const loop = ({ address, port }) => cpuTime(() => {
    for (let i = 0; i < CALLS; i++) if (ruleFor(policy, address, port) === undefined) throw new Error('no match');
  });
  for (const variant of variants) await loop(variant);
  await interleave(variants, 9, loop);
  return Object.fromEntries(variants.map((v) => [v.address, median(v.samples.map((s) => (s.user + s.system) / CALLS))]));
}

const unset = startup({});
const set = startup({ KEEPIDLE: '30', KEEPINTVL: '10', KEEPCNT: '3' });
const client = await perConnection('client');
const accepted = await perConnection('accepted');
const matching = await matchingAlone();
const results = { node: process.version, startup: { unset, set }, client, accepted, matching };
if (json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  const us = (value) => `${value.toFixed(2)} us`;
  console.log(`\npreload cost on Node ${process.version} (median; CPU time of ${ROUNDS} alternating batches of ${BATCH} connections, configure(options) vs configure(false))`);
  const ms = (value) => `${value < 0 ? '-' : '+'}${Math.abs(value).toFixed(2)} ms`;
  const startLine = (label, figure, target) =>
    `  ${label.padEnd(58)} ${ms(figure.overEmptyMs)} over an empty package (${figure.preloadMs.toFixed(2)} vs ${figure.emptyMs.toFixed(2)} ms)   target <= ${target} ms`;
  console.log(startLine("start-up, require('tcp-keepalive/register'), no variable", unset, 1));
  console.log(startLine('start-up, with KEEPIDLE/KEEPINTVL/KEEPCNT set', set, 3));
  // A difference of two medians: signed, since within the noise it can come out below zero.
  const signed = (value) => `${value < 0 ? '-' : '+'}${us(Math.abs(value))}`;
  const line = (label, f) => `  ${label.padEnd(58)} ${signed(f.total)} (user ${signed(f.user)}, sys ${signed(f.system)})`;
  console.log(`  per client connection, plain: ${us(client.plain.user + client.plain.system)} of CPU (user ${us(client.plain.user)}, sys ${us(client.plain.system)})`);
  console.log(`${line('with the preload', client.extra)}   target <= 3 us`);
  console.log(line('the floor: the same 4 setsockopt, raw binding, no policy', client.floor));
  console.log(line("the preload's own work (preload - floor)", client.ownWork));
  console.log(`  per accepted connection, plain: ${us(accepted.plain.user + accepted.plain.system)} of CPU (user ${us(accepted.plain.user)}, sys ${us(accepted.plain.system)})`);
  console.log(`${line('with the preload (inherited from the listener: 0 syscalls)', accepted.extra)}   target <= 1 us`);
  console.log('  rules (10, the connection matching the last), beside the same values without rules:');
  console.log(`${line('per client connection', client.rules)}   target <= 0.5 us`);
  console.log(`${line('per accepted connection (the accepted rule on the listener)', accepted.rules)}   target <= 0.5 us`);
  console.log(`  the matching alone, ruleFor over 10 rules: ${Object.entries(matching).map(([address, value]) => `${us(value)} (${address})`).join(', ')}`);
}
