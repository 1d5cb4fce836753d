// HTTPS through a CONNECT proxy with https-proxy-agent's keep-alive pool;
// recipe: configure() from tcp-keepalive/register (the agent makes its own
// socket to the proxy and wraps it in TLS; no hook of its own reaches it).
import https from 'node:https';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { VALUES, env, recipe, register, twice } from './common.mjs';

if (recipe) register.configure(VALUES);
const agent = new HttpsProxyAgent(env('COMPAT_PROXY'), { keepAlive: true });
const get = () =>
  new Promise((resolve, reject) => {
    https.get(env('COMPAT_HTTPS_URL'), { agent }, (response) => response.resume().on('end', resolve)).on('error', reject);
  });
await twice(get);
