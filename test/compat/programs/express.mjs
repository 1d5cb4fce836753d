// An express 5 app; recipe: setKeepAlive on its listening server (accepted sockets inherit).
import { once } from 'node:events';
import express from 'express';
import { VALUES, checkpoint, fail, keepalive, recipe } from './common.mjs';
import { get } from './http-server-client.mjs';

const app = express();
app.get('/', (_request, response) => response.send('ok'));
const server = app.listen(0, '127.0.0.1');
try {
  await once(server, 'listening');
  if (recipe) keepalive.setKeepAlive(server, VALUES);
  const { port } = server.address();
  await get(port);
  await checkpoint('connected', { port });
  await get(port); // the same connection again
  await checkpoint('after', { port });
} catch (error) {
  fail(error);
}
