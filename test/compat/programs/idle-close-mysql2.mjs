// A mysql2 pool against MariaDB whose wait_timeout ends idle connections:
// one query, then nothing until the server has ended the pooled connection
// (the pool's connection says so); then it exits as a program does, for the
// preload's report (run under tcp-keepalive/register, TCP_KEEPALIVE_REPORT=json).
import mysql from 'mysql2/promise';

setTimeout(() => process.exit(3), 30_000).unref();
const pool = mysql.createPool({ host: '127.0.0.1', port: Number(process.env.COMPAT_PORT), user: 'root', connectionLimit: 1 });
const ended = new Promise((resolve) => pool.pool.on('connection', (connection) => connection.once('error', resolve).once('end', resolve)));
await pool.query('SELECT 1');
await ended;
console.log(JSON.stringify({ step: 'done' }));
await pool.end().catch(() => undefined);
