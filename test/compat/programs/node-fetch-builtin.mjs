// Node's built-in fetch; recipe: keepAliveDispatcher from tcp-keepalive/undici.
import { VALUES, checkpoint, env, fail, recipe } from './common.mjs';
import { createRequire } from 'node:module';

const { keepAliveDispatcher } = createRequire(import.meta.url)('../../../dist/undici.js');
const options = recipe ? { dispatcher: keepAliveDispatcher(VALUES) } : {};
const get = async () => (await fetch(env('COMPAT_URL'), options)).text();
try {
  await get();
  await checkpoint('connected');
  await get(); // the pooled connection again
  await checkpoint('after');
} catch (error) {
  fail(error);
}
