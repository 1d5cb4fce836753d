// A ws server on an http server, and a ws client; recipe: setKeepAlive on the listening server.
import http from 'node:http';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import { VALUES, checkpoint, fail, keepalive, recipe } from './common.mjs';

const server = http.createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo:${data}`)));
server.listen(0, '127.0.0.1');
try {
  await once(server, 'listening');
  if (recipe) keepalive.setKeepAlive(server, VALUES);
  const { port } = server.address();
  const client = new WebSocket(`ws://127.0.0.1:${port}/`);
  await once(client, 'open');
  const echo = async (text) => {
    client.send(text);
    await once(client, 'message');
  };
  await echo('one');
  await checkpoint('connected', { port });
  await echo('two'); // the same connection again
  await checkpoint('after', { port });
} catch (error) {
  fail(error);
}
