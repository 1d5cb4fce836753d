// agentkeepalive's HttpAgent; recipe: withKeepAlive around it.
import http from 'node:http';
import Agent from 'agentkeepalive';
import { VALUES, env, keepalive, recipe, twice } from './common.mjs';

const url = env('COMPAT_URL');
const agent = new Agent();
if (recipe) keepalive.withKeepAlive(agent, VALUES);
const get = () =>
  new Promise((resolve, reject) => {
    http.get(url, { agent }, (response) => response.resume().on('end', resolve)).on('error', reject);
  });
await twice(get);
