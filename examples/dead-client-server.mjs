// node examples/dead-client-server.mjs [--host 0.0.0.0] [--port 7000] [--seconds 6]
//
// A server that notices clients that vanished without a word (power loss,
// cable cut, NAT dropped them): keepalive is set once on the listening socket,
// and every accepted socket inherits it. A dead client's socket then emits
// 'error' with code ETIMEDOUT about idle + interval x count (here 5 s) after
// the client's last packet.
//
// By default it runs on loopback with a client of its own, which stays alive:
// its kernel answers every probe, so nothing fails. A loopback peer cannot die
// silently; to watch a real detection, run this on one machine with
// --host 0.0.0.0 --seconds 60, connect from another (`nc <host> 7000`), and
// unplug that machine. test/network/ proves it with network namespaces.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { getKeepAlive, setKeepAlive } from '../dist/index.mjs';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    seconds: { type: 'string', default: '6' },
  },
});
const keepalive = { idle: 2000, interval: 1000, count: 3, userTimeout: 5000 };
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

const server = net.createServer((socket) => {
  const who = `${socket.remoteAddress}:${socket.remotePort}`;
  const { idle, interval, count } = getKeepAlive(socket);
  console.log(`[${elapsed()}] ${who} connected; inherited keepalive idle ${idle} ms, interval ${interval} ms, count ${count}`);
  socket.on('data', (data) => console.log(`[${elapsed()}] ${who} sent ${data.length} bytes`));
  socket.on('error', (error) => {
    // ETIMEDOUT: the client stopped answering probes (or acknowledging data).
    console.log(`[${elapsed()}] ${who} is gone: ${error.code}`);
  });
  socket.on('close', () => console.log(`[${elapsed()}] ${who} closed`));
});

server.listen(Number(args.port), args.host, () => {
  // Set once on the listener: accepted sockets inherit it, no per-connection cost.
  setKeepAlive(server, keepalive);
  const { address, port } = server.address();
  console.log(`listening on ${address}:${port} with keepalive ${JSON.stringify(getKeepAlive(server))}`);
  if (args.host === '127.0.0.1') {
    const client = net.connect(port, '127.0.0.1', () => client.write('hello'));
    client.on('error', () => {});
    setTimeout(() => client.end(), (Number(args.seconds) - 1) * 1000);
    console.log(`a loopback client connects and stays silent for ${Number(args.seconds) - 1} s: probes every 2 s, all answered`);
  }
});

// Bounded: the example ends by itself.
setTimeout(() => {
  console.log(`[${elapsed()}] done`);
  server.close();
  process.exit(0);
}, Number(args.seconds) * 1000);
