// node-fetch 3 with Node's default agent; recipe: an agent of this library's.
import fetch from 'node-fetch';
import { VALUES, checkpoint, env, fail, keepalive, recipe } from './common.mjs';

const url = env('COMPAT_URL');
const options = recipe ? { agent: keepalive.keepAliveAgent(VALUES) } : {};
try {
  await (await fetch(url, options)).text();
  await checkpoint('connected');
  await (await fetch(url, options)).text(); // the pooled connection again
  await checkpoint('after');
} catch (error) {
  fail(error);
}
