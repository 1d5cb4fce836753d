// got with Node's default agent; recipe: an agent of this library's.
import got from 'got';
import { VALUES, env, keepalive, recipe, twice } from './common.mjs';

const url = env('COMPAT_URL');
const options = recipe ? { agent: { http: keepalive.keepAliveAgent(VALUES) } } : {};
await twice(() => got(url, options).text());
