// A pg Pool through PgBouncer, whose client_idle_timeout ends idle client
// connections: one query, then nothing until PgBouncer has ended the pooled
// connection (the pool reports the idle client's error); then it exits as a
// program does, for the preload's report.
import pg from 'pg';

setTimeout(() => process.exit(3), 30_000).unref();
const pool = new pg.Pool({ host: '127.0.0.1', port: Number(process.env.COMPAT_PORT), user: 'postgres', database: 'postgres', max: 1, idleTimeoutMillis: 60_000 });
const ended = new Promise((resolve) => pool.once('error', resolve));
await pool.query('SELECT 1');
const error = await ended;
console.log(JSON.stringify({ step: 'done', error: error.message }));
await pool.end().catch(() => undefined);
