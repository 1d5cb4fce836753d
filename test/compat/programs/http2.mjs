// Node's http2 server and client session; recipe: setKeepAlive on the listening server.
import http2 from 'node:http2';
import { once } from 'node:events';
import { VALUES, checkpoint, fail, keepalive, recipe } from './common.mjs';

const server = http2.createServer();
server.on('stream', (stream) => stream.respond({ ':status': 200 }) || stream.end('ok'));
server.listen(0, '127.0.0.1');
try {
  await once(server, 'listening');
  if (recipe) keepalive.setKeepAlive(server, VALUES);
  const { port } = server.address();
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const get = () =>
    new Promise((resolve, reject) => {
      const request = session.request({ ':path': '/' });
      request.on('error', reject).resume().on('end', resolve);
      request.end();
    });
  await get();
  await checkpoint('connected', { port });
  await get(); // the same session again
  await checkpoint('after', { port });
} catch (error) {
  fail(error);
}
