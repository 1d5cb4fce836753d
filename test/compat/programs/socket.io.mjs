// A socket.io server and a socket.io-client (websocket transport). After the
// first checkpoint the server drops the client's transport; the client's own
// reconnect logic makes a new connection. Recipe: setKeepAlive on the
// server's listening socket, and the client's websocket through an agent of
// this library's.
import http from 'node:http';
import { once } from 'node:events';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import { VALUES, checkpoint, fail, keepalive, recipe, until } from './common.mjs';

const server = http.createServer();
const ioServer = new Server(server);
server.listen(0, '127.0.0.1');
try {
  await once(server, 'listening');
  if (recipe) keepalive.setKeepAlive(server, VALUES);
  const { port } = server.address();
  const client = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    reconnectionDelay: 100,
    ...(recipe ? { agent: keepalive.keepAliveAgent(VALUES) } : {}),
  });
  let connects = 0;
  client.on('connect', () => connects++);
  await until(() => connects === 1, 10_000, 'the client to connect');
  await checkpoint('connected', { port });
  for (const socket of ioServer.sockets.sockets.values()) socket.conn.close(); // the transport, not the session
  await until(() => connects === 2, 10_000, 'the client to reconnect');
  await checkpoint('after', { port });
} catch (error) {
  fail(error);
}
