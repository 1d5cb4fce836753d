// node examples/dead-server-client.mjs [--host 10.0.0.5 --port 7000] [--seconds 6]
//
// A client that notices its server vanished without a word: with keepalive
// idle 3 s, interval 2 s, count 2 the socket emits 'error' with code
// ETIMEDOUT about 7 s after the server's last packet, instead of waiting
// forever (keepalive off) or two hours (system default). userTimeout bounds
// the other case: a request written to a dead server fails after 7 s instead
// of ~15 minutes of retransmissions.
//
// By default it starts a server of its own on loopback, which stays alive, so
// every probe is answered and nothing fails. A loopback peer cannot die
// silently; point --host/--port at a real server and unplug it to watch a
// detection. test/network/ proves it with network namespaces.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { getKeepAlive, setKeepAlive } from '../dist/index.mjs';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    seconds: { type: 'string', default: '6' },
  },
});
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

let target = { host: args.host, port: Number(args.port) };
let localServer;
if (!args.host) {
  localServer = net.createServer((socket) => socket.on('error', () => {}));
  await new Promise((resolve) => localServer.listen(0, '127.0.0.1', resolve));
  target = { host: '127.0.0.1', port: localServer.address().port };
  console.log(`started a loopback server on port ${target.port} (it stays alive and answers every probe)`);
}

const socket = net.connect(target.port, target.host);
// Set before 'connect' is fine: the options are applied as soon as it connects.
setKeepAlive(socket, { idle: 3000, interval: 2000, count: 2, userTimeout: 7000 });
socket.on('connect', () => {
  console.log(`[${elapsed()}] connected to ${target.host}:${target.port}; keepalive ${JSON.stringify(getKeepAlive(socket))}`);
  console.log(`a dead server would be reported ~7 s after its last packet; waiting ${args.seconds} s`);
});
socket.on('data', (data) => console.log(`[${elapsed()}] server sent ${data.length} bytes`));
socket.on('error', (error) => {
  // ETIMEDOUT: no answer to the probes, or to data we sent, in time.
  console.log(`[${elapsed()}] server is gone: ${error.code}; reconnect or fail over here`);
});
socket.on('close', () => console.log(`[${elapsed()}] connection closed`));

// Bounded: the example ends by itself.
setTimeout(() => {
  console.log(`[${elapsed()}] ${socket.destroyed ? 'done' : 'still connected: every probe was answered'}`);
  socket.destroy();
  localServer?.close();
  process.exit(0);
}, Number(args.seconds) * 1000);
