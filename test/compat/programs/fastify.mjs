// A fastify 5 app; recipe: setKeepAlive on its listening server (fastify.server).
import Fastify from 'fastify';
import { VALUES, checkpoint, fail, keepalive, recipe } from './common.mjs';
import { get } from './http-server-client.mjs';

const fastify = Fastify();
fastify.get('/', async () => 'ok');
try {
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  if (recipe) keepalive.setKeepAlive(fastify.server, VALUES);
  const { port } = fastify.server.address();
  await get(port);
  await checkpoint('connected', { port });
  await get(port); // the same connection again
  await checkpoint('after', { port });
} catch (error) {
  fail(error);
}
