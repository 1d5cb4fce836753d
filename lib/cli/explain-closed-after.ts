// tcp-keepalive explain --closed-after T: a peer (a database, a proxy, a load
// balancer) that closes connections idle for T itself, as the report's
// 'closed-by-peer' says: what keepalive can and cannot do about it, and the
// setting in each client library that closes its pooled connections first.
import { formatDuration } from './format.js';
import { EXIT, UsageError, option, type Values } from './usage.js';

/** Each library's knob for closing idle pooled connections, at `ms`. */
function poolSettings(ms: number): Array<{ library: string; setting: string }> {
  const n = ms.toLocaleString('en-US').replace(/,/g, '_');
  return [
    { library: 'undici, fetch', setting: `new Agent({ keepAliveTimeout: ${n} }) as the dispatcher (undici also follows a server's Keep-Alive: timeout=N)` },
    { library: "Node's http.Agent / https.Agent", setting: `new https.Agent({ keepAlive: true, timeout: ${n} }) (free sockets idle that long are closed)` },
    { library: 'pg Pool', setting: `new pg.Pool({ idleTimeoutMillis: ${n} })` },
    { library: 'mysql2 pool', setting: `mysql.createPool({ idleTimeout: ${n}, maxIdle: <below connectionLimit> })` },
    { library: 'ioredis, node-redis', setting: `a PING more often than every ${formatDuration(ms)}, or the server's timeout 0; both reconnect by themselves` },
  ];
}

export function closedAfterCommand(values: Values, json: boolean): number {
  for (const name of ['idle', 'interval', 'count', 'user-timeout', 'detect-within', 'nat-idle', 'probes', 'no-user-timeout']) {
    if (values[name] !== undefined) throw new UsageError(`--closed-after is about the peer's own timer: drop --${name}`);
  }
  const peerMs = option(values, 'closed-after')!;
  if (peerMs < 2000) throw new UsageError(`--closed-after is out of range. It must be at least 2s (whole seconds, as servers count them). Received ${peerMs} ms`);
  // A margin under the peer's timer: a tenth of it, at least a second.
  const closeBeforeMs = Math.floor((peerMs - Math.max(1000, peerMs / 10)) / 1000) * 1000;
  const settings = poolSettings(closeBeforeMs);
  if (json) {
    console.log(JSON.stringify({ peerClosesAfter: peerMs, closeIdleBefore: closeBeforeMs, keepAliveHelps: false, settings }, null, 2));
    return EXIT.ok;
  }
  const lines = [
    `A peer that closes connections idle for ${formatDuration(peerMs)} itself (MySQL/MariaDB wait_timeout, PgBouncer, HAProxy's`,
    `timeout http-keep-alive, nginx's keepalive_timeout, a load balancer's idle timeout):`,
    '',
    `- Keepalive cannot prevent it: the peer's timer counts time without data, and a keepalive probe carries`,
    `  none. (A NAT or firewall that forgets idle flows is another story: there probes do keep the entry;`,
    `  explain --detect-within T --nat-idle T chooses them.)`,
    `- Close pooled connections before the peer does: after ${formatDuration(closeBeforeMs)} idle, a tenth under its timer.`,
    ...settings.map(({ library, setting }) => `    ${library}: ${setting}`),
    `- A request written as the peer closes fails whatever you set (ECONNRESET, "other side closed",`,
    `  "socket hang up": the report says raced); retry idempotent requests once, on a new connection.`,
    '',
    'Which peers close after how long: TCP_KEEPALIVE_REPORT=1 node --require tcp-keepalive/register app.js',
    'reports each end as it happens (cause closed-by-peer) and the pattern by destination at exit.',
  ];
  console.log(lines.join('\n'));
  return EXIT.ok;
}
