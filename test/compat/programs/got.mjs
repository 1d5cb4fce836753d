// got with Node's default agent; recipe: an agent of this library's.
import got from 'got';
import { VALUES, checkpoint, env, fail, keepalive, recipe } from './common.mjs';

const url = env('COMPAT_URL');
const options = recipe ? { agent: { http: keepalive.keepAliveAgent(VALUES) } } : {};
try {
  await got(url, options).text();
  await checkpoint('connected');
  await got(url, options).text(); // the pooled connection again
  await checkpoint('after');
} catch (error) {
  fail(error);
}
