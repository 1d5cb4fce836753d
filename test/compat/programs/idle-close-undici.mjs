// An undici Pool through HAProxy, whose timeout http-keep-alive closes idle
// client connections with a FIN: one request, then nothing until HAProxy has
// closed the pooled connection; then it exits as a program does, for the
// preload's report. (undici 8 reads what is pending on an idle socket before
// reusing it, so a FIN already here is never raced: the race with undici
// needs a FIN still in flight; programs/idle-close-http-agent.mjs forces one
// with Node's http.Agent, which reuses at once.)
import diagnostics from 'node:diagnostics_channel';
import { Pool } from 'undici';

setTimeout(() => process.exit(3), 30_000).unref();
const sockets = [];
diagnostics.subscribe('undici:client:connected', ({ socket }) => sockets.push(socket));
const pool = new Pool(process.env.COMPAT_ORIGIN, { connections: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
await (await pool.request({ path: '/', method: 'GET' })).body.text();
const [socket] = sockets;
// undici unrefs an idle connection: the program stays to see its end.
const alive = setInterval(() => undefined, 1000);
await new Promise((resolve) => socket.once('close', resolve));
clearInterval(alive);
console.log(JSON.stringify({ step: 'done' }));
await pool.close();
