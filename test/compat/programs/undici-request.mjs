// undici.request on its global dispatcher; recipe: an Agent with keepAliveConnector.
import { Agent, request } from 'undici';
import { VALUES, env, recipe, twice } from './common.mjs';
import { createRequire } from 'node:module';

const { keepAliveConnector } = createRequire(import.meta.url)('../../../dist/undici.js');
const options = recipe ? { dispatcher: new Agent({ connect: keepAliveConnector(VALUES) }) } : {};
const get = async () => (await request(env('COMPAT_URL'), options)).body.text();
await twice(get);
