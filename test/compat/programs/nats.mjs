// nats.js against nats-server. After the first checkpoint the test restarts
// the server; nats.js reconnects by itself. Recipe: configure() from
// tcp-keepalive/register (nats.js makes its own socket).
import { connect } from 'nats';
import { VALUES, checkpoint, env, fail, recipe, register, until } from './common.mjs';

if (recipe) register.configure(VALUES);
try {
  const nc = await connect({ servers: `127.0.0.1:${env('COMPAT_PORT')}`, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  let reconnected = false;
  (async () => {
    for await (const status of nc.status()) if (status.type === 'reconnect') reconnected = true;
  })();
  await nc.flush();
  await checkpoint('connected');
  await until(() => reconnected, 15_000, 'nats.js to reconnect');
  await nc.flush();
  await checkpoint('after');
  await nc.close();
} catch (error) {
  fail(error);
}
