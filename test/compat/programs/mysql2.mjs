// mysql2 pool against MariaDB. After the first checkpoint the server kills
// the pooled connection (KILL from another session); the pool connects anew.
// Recipe: a stream factory (mysql2 makes no socket of its own then, and
// skips its own setNoDelay: the factory sets it back).
import net from 'node:net';
import mysql from 'mysql2/promise';
import { VALUES, checkpoint, env, fail, keepalive, recipe, retry } from './common.mjs';

const connection = { host: '127.0.0.1', port: Number(env('COMPAT_PORT')), user: 'root' };
const stream = () => {
  const socket = net.connect(connection.port, connection.host).setNoDelay(true);
  return keepalive.setKeepAlive(socket, { ...VALUES, sticky: true });
};
const pool = mysql.createPool({ ...connection, connectionLimit: 1, ...(recipe ? { stream } : {}) });
try {
  const [rows] = await pool.query('SELECT CONNECTION_ID() AS id');
  await checkpoint('connected');
  const admin = await mysql.createConnection(connection);
  await admin.query(`KILL ${Number(rows[0].id)}`);
  await admin.end();
  await retry(() => pool.query('SELECT 1'));
  await checkpoint('after');
  await pool.end();
} catch (error) {
  fail(error);
}
