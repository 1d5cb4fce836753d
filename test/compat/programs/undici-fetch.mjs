// undici's own fetch (the npm package); recipe: an Agent with keepAliveConnector.
import { Agent, fetch } from 'undici';
import { VALUES, env, recipe, twice } from './common.mjs';
import { createRequire } from 'node:module';

const { keepAliveConnector } = createRequire(import.meta.url)('../../../dist/undici.js');
const options = recipe ? { dispatcher: new Agent({ connect: keepAliveConnector(VALUES) }) } : {};
const get = async () => (await fetch(env('COMPAT_URL'), options)).text();
await twice(get);
