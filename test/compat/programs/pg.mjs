// node-postgres Pool. After the first checkpoint the server ends the pooled
// connection (pg_terminate_backend from another session); the pool connects
// anew for the next query. Recipe: the stream factory.
import net from 'node:net';
import pg from 'pg';
import { VALUES, checkpoint, env, fail, keepalive, recipe, retry } from './common.mjs';

const connection = { host: '127.0.0.1', port: Number(env('COMPAT_PORT')), user: 'postgres', database: 'postgres' };
const pool = new pg.Pool({
  ...connection,
  max: 1,
  ...(recipe ? { stream: () => keepalive.setKeepAlive(new net.Socket(), { ...VALUES, sticky: true }) } : {}),
});
pool.on('error', () => {}); // the terminated connection
try {
  const { rows } = await pool.query('SELECT pg_backend_pid() AS pid');
  await checkpoint('connected');
  const admin = new pg.Client(connection);
  await admin.connect();
  await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
  await admin.end();
  await retry(() => pool.query('SELECT 1'));
  await checkpoint('after');
} catch (error) {
  fail(error);
}
