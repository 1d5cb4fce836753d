// Rules (TCP_KEEPALIVE_RULES) in one program that is both a server and a
// database client: an express app, its own HTTP client (a keep-alive agent),
// and a node-postgres Pool. After the first checkpoint the database ends the
// pooled connection (pg_terminate_backend) and the pool connects anew; the
// app's connection is used again. Run under the preload only: the rules are
// the environment's.
import { once } from 'node:events';
import express from 'express';
import pg from 'pg';
import { checkpoint, env, fail, retry } from './common.mjs';
import { get } from './http-server-client.mjs';

const app = express();
app.get('/', (_request, response) => response.send('ok'));
const server = app.listen(0, '127.0.0.1');
const connection = { host: '127.0.0.1', port: Number(env('COMPAT_PORT')), user: 'postgres', database: 'postgres' };
const pool = new pg.Pool({ ...connection, max: 1 });
pool.on('error', () => {}); // the terminated connection
try {
  await once(server, 'listening');
  const { port } = server.address();
  const { rows } = await pool.query('SELECT pg_backend_pid() AS pid');
  await get(port);
  await checkpoint('connected', { port });
  const admin = new pg.Client(connection);
  await admin.connect();
  await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
  await admin.end();
  await retry(() => pool.query('SELECT 1'));
  await get(port); // the same HTTP connection again
  await checkpoint('after', { port });
} catch (error) {
  fail(error);
}
