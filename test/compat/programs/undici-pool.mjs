// undici's Pool; recipe: keepAliveConnector from tcp-keepalive/undici.
import { Pool } from 'undici';
import { VALUES, env, recipe, twice } from './common.mjs';
import { createRequire } from 'node:module';

const { keepAliveConnector } = createRequire(import.meta.url)('../../../dist/undici.js');
const pool = new Pool(env('COMPAT_ORIGIN'), recipe ? { connect: keepAliveConnector(VALUES) } : {});
const get = async () => (await pool.request({ path: '/', method: 'GET' })).body.text();
await twice(get);
