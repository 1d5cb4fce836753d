// node-redis (redis on npm). After the first checkpoint the server drops the
// connection (CLIENT KILL from another connection); it reconnects by itself.
// It exposes no socket: recipe: configure() from tcp-keepalive/register,
// before it connects.
import { createClient } from 'redis';
import { VALUES, checkpoint, env, fail, recipe, register, until } from './common.mjs';

if (recipe) register.configure(VALUES);
const url = `redis://127.0.0.1:${env('COMPAT_PORT')}`;
const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
let connects = 0;
client.on('connect', () => connects++);
client.on('error', () => {});
try {
  await client.connect();
  await client.ping();
  await checkpoint('connected');
  const admin = createClient({ url });
  await admin.connect();
  await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(await client.clientId())]);
  await admin.quit();
  await until(() => connects === 2 && client.isReady, 10_000, 'node-redis to reconnect');
  await client.ping();
  await checkpoint('after');
} catch (error) {
  fail(error);
}
