// A keep-alive HTTP connection through HAProxy, whose timeout
// http-keep-alive closes idle client connections with a FIN: one request;
// then, the event loop held, a second request written the moment the kernel
// has the FIN (CLOSE_WAIT) and before Node has read it: the request crosses
// the close, as a pool's reuse does when it loses the race (HAProxy answers
// with a reset). Node 22's http.Agent and undici 8 read what is pending on an
// idle socket before reusing it, so with them the race needs a FIN still in
// flight; a pool that does not, and Node 20's http.Agent, meet this one.
// Then it exits as a program does, for the preload's report.
import net from 'node:net';
import { createRequire } from 'node:module';

setTimeout(() => process.exit(3), 30_000).unref();
const { getTcpInfo } = createRequire(import.meta.url)('../../../dist/index.js');
const { hostname, port } = new URL(process.env.COMPAT_ORIGIN);
const request = `GET / HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`;
const socket = net.connect(Number(port), hostname);
socket.setEncoding('utf8');
const answered = new Promise((resolve) => {
  let text = '';
  socket.on('data', function first(chunk) {
    text += chunk;
    if (/\r\n\r\nok$/.test(text)) (socket.off('data', first), resolve());
  });
});
socket.write(request);
await answered;
// Synchronously: nothing of the FIN reaches Node until the request is out.
for (const deadline = Date.now() + 10_000; getTcpInfo(socket).state !== 'CLOSE_WAIT'; ) {
  if (Date.now() > deadline) throw new Error('HAProxy did not close the idle connection within 10 s');
}
socket.write(request);
const outcome = await new Promise((resolve) => {
  socket.on('error', (error) => resolve(error.code));
  socket.on('close', () => resolve('closed'));
  socket.resume();
});
console.log(JSON.stringify({ step: 'done', outcome }));
