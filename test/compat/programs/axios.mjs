// axios with Node's default agent; recipe: an agent of this library's.
import axios from 'axios';
import { VALUES, checkpoint, env, fail, keepalive, recipe } from './common.mjs';

const url = env('COMPAT_URL');
const client = axios.create(recipe ? { httpAgent: keepalive.keepAliveAgent(VALUES) } : {});
try {
  await client.get(url);
  await checkpoint('connected');
  await client.get(url); // the pooled connection again
  await checkpoint('after');
} catch (error) {
  fail(error);
}
