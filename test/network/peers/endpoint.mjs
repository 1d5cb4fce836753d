// One end of a TCP connection, run inside a network namespace by the harness
// (`ip netns exec <ns> node endpoint.mjs`). It does what the test asks, one
// JSON command per stdin line, and reports what happens, one JSON event per
// stdout line. Every event carries `t`: wall-clock epoch seconds, the clock
// tcpdump's timestamps use, so the test can compare an error with the capture.
import net from 'node:net';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { setKeepAlive, getKeepAlive, getTcpInfo, systemDefaults } from '../../../dist/index.mjs';

// A stray endpoint must never outlive its test, even if the test process is
// killed without a chance to clean up.
const MAX_LIFETIME_MS = Number(process.env.PEER_MAX_LIFETIME_MS ?? 180_000);
setTimeout(() => process.exit(3), MAX_LIFETIME_MS).unref();

const sockets = new Map();
let server;
let acceptedCount = 0;

// performance.now() has µs resolution; timeOrigin anchors it to the epoch.
const now = () => (performance.timeOrigin + performance.now()) / 1000;
const emit = (event) => process.stdout.write(JSON.stringify({ ...event, t: now() }) + '\n');

function track(id, socket, { echo = false } = {}) {
  sockets.set(id, socket);
  socket.setEncoding('utf8');
  socket.on('data', (text) => {
    emit({ event: 'data', id, text });
    if (echo) socket.write(`echo:${text}`);
  });
  socket.on('end', () => emit({ event: 'end', id }));
  socket.on('error', (error) => emit({ event: 'error', id, code: error.code, message: error.message }));
  socket.on('close', (hadError) => emit({ event: 'close', id, hadError }));
}

const address = (socket) => ({
  localAddress: socket.localAddress,
  localPort: socket.localPort,
  remoteAddress: socket.remoteAddress,
  remotePort: socket.remotePort,
});

function socketFor(command) {
  const socket = sockets.get(command.id);
  if (!socket) throw new Error(`no socket with id ${command.id}`);
  return socket;
}

// Commands that finish at once answer with a 'reply' carrying the request number.
const handlers = {
  listen(command) {
    server = net.createServer((socket) => {
      const id = `accepted-${++acceptedCount}`;
      track(id, socket, { echo: command.echo });
      emit({ event: 'accept', id, ...address(socket) });
    });
    server.on('error', (error) => emit({ event: 'server-error', code: error.code, message: error.message }));
    server.listen(command.port, command.host, () => emit({ event: 'listening', ...server.address() }));
  },
  connect(command) {
    const socket = net.connect({ host: command.host, port: command.port });
    track(command.id, socket, { echo: command.echo });
    socket.on('connect', () => emit({ event: 'connect', id: command.id, ...address(socket) }));
  },
  setKeepAlive(command) {
    setKeepAlive(socketFor(command), command.options);
    return getKeepAlive(socketFor(command));
  },
  getKeepAlive(command) {
    return getKeepAlive(socketFor(command));
  },
  // Node's own call, to show what it does to values set through the library.
  nodeSetKeepAlive(command) {
    socketFor(command).setKeepAlive(command.enable, command.initialDelay);
    return getKeepAlive(socketFor(command));
  },
  // Reports getTcpInfo every `everyMs` as 'tcpinfo' events until the socket closes.
  watchTcpInfo(command) {
    const socket = socketFor(command);
    const timer = setInterval(() => {
      if (socket.destroyed) return clearInterval(timer);
      const info = getTcpInfo(socket);
      emit({ event: 'tcpinfo', id: command.id, probes: info.probes, lastDataReceived: info.lastDataReceived, state: info.state });
    }, command.everyMs);
    socket.on('close', () => clearInterval(timer));
    return null;
  },
  systemDefaults() {
    return systemDefaults();
  },
  write(command) {
    socketFor(command).write(command.text);
    return { written: command.text.length };
  },
  state(command) {
    const socket = socketFor(command);
    return { destroyed: socket.destroyed, readyState: socket.readyState, errored: socket.errored?.code ?? null };
  },
  exit() {
    process.exit(0);
  },
};

createInterface({ input: process.stdin }).on('line', (line) => {
  let command;
  try {
    command = JSON.parse(line);
    const handler = handlers[command.cmd];
    if (!handler) throw new Error(`unknown command ${command.cmd}`);
    const result = handler(command);
    if (command.req !== undefined) emit({ event: 'reply', req: command.req, ok: true, result: result ?? null });
  } catch (error) {
    emit({ event: 'reply', req: command?.req, ok: false, code: error.code, message: error.message });
  }
});
// The test closing our stdin (or dying) ends us.
process.stdin.on('end', () => process.exit(0));
emit({ event: 'ready', pid: process.pid });
