// A program with nothing of tcp-keepalive or OpenTelemetry in its code, run
// with NODE_OPTIONS="--require @opentelemetry/auto-instrumentations-node/register
// --require tcp-keepalive/register" and TCP_KEEPALIVE_REPORT=otel: its server
// resets connections idle for 1.2 s, and it opens one to it and waits, so the
// peer's idle close is recorded through the program's own OpenTelemetry SDK.
// Runs until stdin closes (the test reads the metrics as they are exported).
import net from 'node:net';

setTimeout(() => process.exit(3), 60_000).unref();
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.on('data', (data) => socket.write(data));
  socket.setTimeout(1200, () => socket.resetAndDestroy());
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => client.write('hello'));
  client.on('error', (error) => console.log(JSON.stringify({ step: 'ended', code: error.code })));
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
