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
//   both ends, then the message);
// - each other kind of end, nothing watching against a subscriber for every
//   socket (as TCP_KEEPALIVE_REPORT): a close this process accepted (the
//   client in a child closes), a peer that answers and closes at once (HTTP
//   Connection: close: TCP_INFO alone says it is no loss), and a peer's idle
//   close, reported (connections held idle past IDLE_CLOSE_MS together, then
//   the server ends them all; the CPU of the close phase alone).
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

// Node's own _destroy and end, and the library's hooks once installed: swapped per batch.
const proto = net.Socket.prototype;
const node = { destroy: proto._destroy, end: proto.end };
const stopProbe = onConnectionLost(() => {});
stopProbe();
const hooked = { destroy: proto._destroy, end: proto.end };
if (hooked.destroy === node.destroy || hooked.end === node.end) throw new Error('bench: onConnectionLost did not install its hooks');

let reported = 0;
const STATES = {
  node: { methods: node, subscribe: null },
  hook: { methods: hooked, subscribe: null },
  subscribed: { methods: hooked, subscribe: {} },
  every: { methods: hooked, subscribe: { every: true } },
};
const use = ({ destroy, end }) => ((proto._destroy = destroy), (proto.end = end));

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
      socket.on('close', done).on('error', () => {}).resume();
    });
  }
}

async function measure(port, count, ending, states, batch = (p, n, e) => connections(p, n, e), rounds = ROUNDS) {
  const variants = states.map((state) => ({ state }));
  const run = async ({ state }) => {
    const { methods, subscribe } = STATES[state];
    use(methods);
    const stop = subscribe === null ? () => {} : onConnectionLost(() => reported++, subscribe);
    try {
      return await batch(port, count, ending);
    } finally {
      stop();
    }
  };
  for (const variant of [...variants, ...variants]) await run(variant); // warm up every path
  await interleave(variants, rounds, run);
  use(hooked);
  const per = (samples, key) => samples.map((s) => (key === 'total' ? s.user + s.system : s[key]) / count); // us per connection
  const byState = Object.fromEntries(variants.map((v) => [v.state, v.samples]));
  const over = (state, base) => Object.fromEntries(['user', 'system', 'total'].map((key) => [key, pairedDifference(per(byState[state], key), per(byState[base], key))]));
  return { plain: median(per(byState[states[0]], 'total')), over };
}

const timed = (p, n, e) => cpuTime(() => connections(p, n, e));
const healthyServer = peer('server');
const healthyPort = Number(await healthyServer.next());
const healthy = await measure(healthyPort, HEALTHY, 'end', ['node', 'hook', 'subscribed', 'every'], timed);
healthyServer.child.kill();
const reportedHealthy = reported;

const resetServer = peer('reset-server');
const resetPort = Number(await resetServer.next());
reported = 0;
const lost = await measure(resetPort, LOST, 'reset', ['node', 'subscribed'], timed);
resetServer.child.kill();
const reportedLost = reported;

// A close this process accepted: the plain client in a child connects and closes, BATCH at a time.
const client = peer('client');
const acceptingServer = net.createServer((socket) => socket.on('error', () => {}).on('end', () => socket.end()).resume());
await new Promise((resolve) => acceptingServer.listen(0, '127.0.0.1', resolve));
client.child.stdin.write(`port ${acceptingServer.address().port}\n`);
reported = 0;
const accepted = await measure(0, HEALTHY, 'end', ['node', 'every'], (_p, n) =>
  cpuTime(async () => {
    client.child.stdin.write(`go ${n}\n`);
    await client.next();
  }),
);
client.child.kill();
acceptingServer.close();
const reportedAccepted = reported;

// A peer that answers and closes at once.
const answerServer = peer('answer-close-server');
const answerPort = Number(await answerServer.next());
reported = 0;
const answered = await measure(answerPort, HEALTHY, 'write', ['node', 'every'], timed);
answerServer.child.kill();
const reportedAnswered = reported;

// A peer's idle close, reported: IDLE_BATCH connections held together past
// IDLE_CLOSE_MS (1 s), then ended by the server; the close phase's CPU alone.
const IDLE_BATCH = 500;
const idleServer = peer('idle-close-server');
const idlePort = Number(await idleServer.next());
reported = 0;
const idleClosed = await measure(idlePort, IDLE_BATCH, 'idle', ['node', 'every'], async (port, n) => {
  const closed = [];
  for (let i = 0; i < n; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {}).resume();
    closed.push(new Promise((done) => socket.on('close', done)));
    await new Promise((resolve) => socket.once('connect', resolve));
    setKeepAlive(socket, OPTIONS);
  }
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // the idle time is the thing measured: past IDLE_CLOSE_MS
  return cpuTime(async () => {
    idleServer.child.stdin.write('close\n');
    await idleServer.next();
    await Promise.all(closed);
  });
}, 5);
idleServer.child.kill();
const reportedIdle = reported;

const results = {
  node: process.version,
  healthy: {
    plainUs: healthy.plain,
    hookInstalledNothingSubscribed: healthy.over('hook', 'node'),
    subscriber: healthy.over('subscribed', 'node'),
    everySocket: healthy.over('every', 'node'),
    reported: reportedHealthy,
  },
  lost: { plainUs: lost.plain, subscriber: lost.over('subscribed', 'node'), reported: reportedLost },
  acceptedClose: { plainUs: accepted.plain, everySocket: accepted.over('every', 'node'), reported: reportedAccepted },
  answerThenClose: { plainUs: answered.plain, everySocket: answered.over('every', 'node'), reported: reportedAnswered },
  peerIdleClose: { plainUs: idleClosed.plain, everySocket: idleClosed.over('every', 'node'), reported: reportedIdle },
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
  console.log(`  reports: ${reportedLost} for ${LOST * (ROUNDS + 2)} lost connections with a subscriber (expected equal)`);
  console.log('  each other kind of end, with a subscriber for every socket (as TCP_KEEPALIVE_REPORT) against nothing watching:');
  console.log(line(`a close this process accepted (${HEALTHY} a batch; ${accepted.plain.toFixed(2)} us plain)`, results.acceptedClose.everySocket));
  console.log(line(`a peer that answers and closes (${answered.plain.toFixed(2)} us plain)`, results.answerThenClose.everySocket));
  console.log(line(`a peer's idle close, reported (the close phase, ${idleClosed.plain.toFixed(2)} us plain)`, results.peerIdleClose.everySocket));
  console.log(`  reports: accepted closes ${reportedAccepted} (expected 0), answered closes ${reportedAnswered} (expected 0), idle closes ${reportedIdle} for ${IDLE_BATCH * 7} (expected half: every is on in half the batches)`);
}
