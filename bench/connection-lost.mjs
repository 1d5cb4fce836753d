#!/usr/bin/env node
// What watching for lost connections costs (lib/core/watch.ts,
// lib/kernel-view/connection-lost.ts), as CPU time of alternating batches in
// one process (process.cpuUsage, user and sys apart):
// - per healthy connection (connect, setKeepAlive, a normal close, against a
//   plain server in a child process), in four states: nothing subscribed and
//   Node's own _destroy in place (as in a process that never subscribes); the
//   hook installed but nothing subscribed; an onConnectionLost subscriber (the
//   socket is marked as configured); a subscriber for every socket, as
//   TCP_KEEPALIVE_REPORT has;
// - per lost connection (the server resets each one): nothing subscribed
//   against a subscriber (one native call reading the options, TCP_INFO and
//   both ends, then the message).
// `--json` prints every figure as JSON.
import net from 'node:net';
import { library } from './common/floor.mjs';
import { peer } from './common/peer.mjs';
import { cpuTime, interleave } from './common/rounds.mjs';
import { median, pairedDifference } from './common/stats.mjs';

const OPTIONS = { idle: 30_000, interval: 10_000, count: 3 };
const HEALTHY = 3000;
const LOST = 1000;
const ROUNDS = 15;
const json = process.argv.includes('--json');
const { setKeepAlive, onConnectionLost } = library();

// Node's own _destroy, and the library's hook once installed: swapped per batch.
const nodeDestroy = net.Socket.prototype._destroy;
const stopProbe = onConnectionLost(() => {});
stopProbe();
const hookedDestroy = net.Socket.prototype._destroy;
if (hookedDestroy === nodeDestroy) throw new Error('bench: onConnectionLost did not install its hook');

let reported = 0;
const STATES = {
  node: { destroy: nodeDestroy, subscribe: null },
  hook: { destroy: hookedDestroy, subscribe: null },
  subscribed: { destroy: hookedDestroy, subscribe: {} },
  every: { destroy: hookedDestroy, subscribe: { every: true } },
};

/**
 * `count` connections to `port`, one at a time, each configured on connect,
 * then closed (`end`) or sent a byte the reset server answers with a reset;
 * resolves when all have closed.
 */
async function connections(port, count, ending) {
  for (let i = 0; i < count; i++) {
    await new Promise((done) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        setKeepAlive(socket, OPTIONS);
        if (ending === 'end') socket.end();
        else socket.write('x');
      });
      socket.on('close', done).on('error', () => {});
    });
  }
}

async function measure(port, count, ending, states) {
  const variants = states.map((state) => ({ state }));
  const run = async ({ state }) => {
    const { destroy, subscribe } = STATES[state];
    net.Socket.prototype._destroy = destroy;
    const stop = subscribe === null ? () => {} : onConnectionLost(() => reported++, subscribe);
    try {
      return await cpuTime(() => connections(port, count, ending));
    } finally {
      stop();
    }
  };
  for (const variant of [...variants, ...variants]) await run(variant); // warm up every path
  await interleave(variants, ROUNDS, run);
  net.Socket.prototype._destroy = hookedDestroy;
  const per = (samples, key) => samples.map((s) => (key === 'total' ? s.user + s.system : s[key]) / count); // us per connection
  const byState = Object.fromEntries(variants.map((v) => [v.state, v.samples]));
  const over = (state, base) => Object.fromEntries(['user', 'system', 'total'].map((key) => [key, pairedDifference(per(byState[state], key), per(byState[base], key))]));
  return { plain: median(per(byState[states[0]], 'total')), over };
}

const healthyServer = peer('server');
const healthyPort = Number(await healthyServer.next());
const healthy = await measure(healthyPort, HEALTHY, 'end', ['node', 'hook', 'subscribed', 'every']);
healthyServer.child.kill();
const reportedHealthy = reported;

const resetServer = peer('reset-server');
const resetPort = Number(await resetServer.next());
reported = 0;
const lost = await measure(resetPort, LOST, 'reset', ['node', 'subscribed']);
resetServer.child.kill();

const results = {
  node: process.version,
  healthy: {
    plainUs: healthy.plain,
    hookInstalledNothingSubscribed: healthy.over('hook', 'node'),
    subscriber: healthy.over('subscribed', 'node'),
    everySocket: healthy.over('every', 'node'),
    reported: reportedHealthy,
  },
  lost: { plainUs: lost.plain, subscriber: lost.over('subscribed', 'node'), reported },
};
if (json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  const signed = (value) => `${value < 0 ? '-' : '+'}${Math.abs(value).toFixed(2)} us`;
  const line = (label, f) => `  ${label.padEnd(62)} ${signed(f.total)} (user ${signed(f.user)}, sys ${signed(f.system)})`;
  console.log(`connection-lost watch on Node ${process.version} (median of per-round differences; CPU time of ${ROUNDS} alternating batches)`);
  console.log(`  per healthy connection (${HEALTHY} a batch: connect, setKeepAlive, close): ${healthy.plain.toFixed(2)} us of CPU with nothing watching`);
  console.log(line("the hook installed, nothing subscribed (one check per close)", results.healthy.hookInstalledNothingSubscribed));
  console.log(line('an onConnectionLost subscriber (the socket marked configured)', results.healthy.subscriber));
  console.log(line('a subscriber for every socket (as TCP_KEEPALIVE_REPORT)', results.healthy.everySocket));
  console.log(`  reports for healthy connections: ${reportedHealthy} (expected 0)`);
  console.log(`  per lost connection (${LOST} a batch, reset by the peer): ${lost.plain.toFixed(2)} us of CPU with nothing watching`);
  console.log(line('with a subscriber: snapshot (one native call), cause, message', results.lost.subscriber));
  console.log(`  reports: ${reported} for ${LOST * (ROUNDS + 2)} lost connections with a subscriber (expected equal)`);
}
