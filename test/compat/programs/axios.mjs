// axios with Node's default agent; recipe: an agent of this library's.
import axios from 'axios';
import { VALUES, env, keepalive, recipe, twice } from './common.mjs';

const url = env('COMPAT_URL');
const client = axios.create(recipe ? { httpAgent: keepalive.keepAliveAgent(VALUES) } : {});
await twice(() => client.get(url));
