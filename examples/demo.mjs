// npm run demo [-- --idle 30000 --interval 10000 --count 3 --user-timeout 60000]
//
// Opens a real loopback connection, shows what the kernel holds before and
// after setKeepAlive, and how long a silent dead peer would go unnoticed.
import net from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { detectionTime, getKeepAlive, getTcpInfo, setKeepAlive } from '../dist/index.mjs';

const { values: args } = parseArgs({
  options: {
    idle: { type: 'string', default: '30000' },
    interval: { type: 'string', default: '10000' },
    count: { type: 'string', default: '3' },
    'user-timeout': { type: 'string', default: '60000' },
  },
});
const options = {
  idle: Number(args.idle),
  interval: Number(args.interval),
  count: Number(args.count),
  userTimeout: Number(args['user-timeout']),
};

function duration(ms) {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h && `${h} h`, m && `${m} min`, `${s} s`].filter(Boolean).join(' ');
}

function show(title, state) {
  console.log(`\n${title}`);
  console.log(`  SO_KEEPALIVE      ${state.enabled ? 'on' : 'off'}`);
  console.log(`  TCP_KEEPIDLE      ${state.idle / 1000} s`);
  console.log(`  TCP_KEEPINTVL     ${state.interval / 1000} s`);
  console.log(`  TCP_KEEPCNT       ${state.count}`);
  console.log(`  TCP_USER_TIMEOUT  ${state.userTimeout ? `${state.userTimeout} ms` : '0 (system behaviour)'}`);
  // detectionTime follows the kernel's rules: with a user timeout the count is
  // not consulted, the kernel gives up at the first probe tick past it.
  const worst = detectionTime({ ...state, enabled: true });
  const byCount = state.idle + state.interval * state.count;
  const rule =
    worst.idleBy !== 'user-timeout'
      ? 'idle + interval x count'
      : worst.idle < byCount
        ? 'the user timeout cuts the probes short'
        : worst.idle > byCount
          ? 'the user timeout outlasts the count: the kernel keeps probing past it'
          : 'the user timeout and the count end together';
  // Linux timers fire up to 1/8 late, never early.
  const detection = `${duration(worst.idle)} (${rule}), up to 1/8 later`;
  console.log(
    state.enabled
      ? `  an idle connection to a silent dead peer fails with ETIMEDOUT after ${detection}`
      : `  keepalive is off: a silent dead peer on an idle connection is never noticed (turned on with these values: ${detection})`,
  );
}

const server = net.createServer();
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address();
const accepted = once(server, 'connection');
const client = net.connect(port, '127.0.0.1');
await once(client, 'connect');
const [peer] = await accepted;
console.log(`loopback connection 127.0.0.1:${client.localPort} -> 127.0.0.1:${port} (fd ${client._handle.fd})`);

show('What the kernel holds on an untouched socket (the system defaults):', getKeepAlive(client));

console.log(`\nsetKeepAlive(socket, ${JSON.stringify(options)})`);
try {
  setKeepAlive(client, options);
} catch (error) {
  console.error(`rejected: [${error.code}] ${error.message}`);
  process.exitCode = 1;
}
show('What the kernel holds now, read back with getKeepAlive(socket):', getKeepAlive(client));

const info = getTcpInfo(client);
console.log(
  `\nLive TCP state, getTcpInfo(socket): ${info.state}, rtt ${info.rtt} ms, rto ${info.rto} ms, ` +
    `unanswered keepalive probes ${info.probes}, last data received ${info.lastDataReceived} ms ago`,
);

client.setKeepAlive(true, 20_000);
show("After Node's own socket.setKeepAlive(true, 20000) (interval and count are reset by libuv):", getKeepAlive(client));

setKeepAlive(client, { ...options, sticky: true });
client.setKeepAlive(true, 25_000);
show("With sticky: true, after Node's socket.setKeepAlive(true, 25000) again (the values stay):", getKeepAlive(client));

client.destroy();
peer.destroy();
server.close();
