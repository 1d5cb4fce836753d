// Node's built-in fetch; recipe: keepAliveDispatcher from tcp-keepalive/undici.
import { VALUES, env, recipe, twice } from './common.mjs';
import { createRequire } from 'node:module';

const { keepAliveDispatcher } = createRequire(import.meta.url)('../../../dist/undici.js');
const options = recipe ? { dispatcher: keepAliveDispatcher(VALUES) } : {};
const get = async () => (await fetch(env('COMPAT_URL'), options)).text();
await twice(get);
