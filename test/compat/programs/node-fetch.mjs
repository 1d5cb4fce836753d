// node-fetch 3 with Node's default agent; recipe: an agent of this library's.
import fetch from 'node-fetch';
import { VALUES, env, keepalive, recipe, twice } from './common.mjs';

const url = env('COMPAT_URL');
const options = recipe ? { agent: keepalive.keepAliveAgent(VALUES) } : {};
await twice(async () => (await fetch(url, options)).text());
