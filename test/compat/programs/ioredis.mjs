// ioredis. After the first checkpoint the server drops the connection
// (CLIENT KILL from another connection); ioredis reconnects by itself.
// Recipe: on 'connect', with sticky values.
import Redis from 'ioredis';
import { VALUES, checkpoint, env, fail, keepalive, recipe, until } from './common.mjs';

const port = Number(env('COMPAT_PORT'));
const redis = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 50 });
let connects = 0;
redis.on('connect', () => {
  connects++;
  if (recipe) keepalive.setKeepAlive(redis.stream, { ...VALUES, sticky: true });
});
redis.on('error', () => {});
try {
  await redis.ping();
  await checkpoint('connected');
  const admin = new Redis({ host: '127.0.0.1', port });
  await admin.client('KILL', 'ID', await redis.client('ID'));
  await admin.quit();
  await until(() => connects === 2, 10_000, 'ioredis to reconnect');
  await redis.ping();
  await checkpoint('after');
} catch (error) {
  fail(error);
}
