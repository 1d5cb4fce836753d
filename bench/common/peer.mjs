// A child process running plain Node, for the benchmarks that measure one
// side of a connection: a server (that ends each connection when the client
// does, or, as `reset-server`, resets each one when its first data arrives),
// or a client that connects on request. Nothing of this package loads there.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const CODE = {
  server: `const s = require('node:net').createServer((p) => p.on('error', () => {}).on('end', () => p.end())).listen(0, '127.0.0.1', () => console.log(s.address().port));`,
  'reset-server': `const s = require('node:net').createServer((p) => p.on('error', () => {}).once('data', () => p.resetAndDestroy())).listen(0, '127.0.0.1', () => console.log(s.address().port));`,
  // Answers the first data and closes at once, as HTTP's Connection: close does.
  'answer-close-server': `const s = require('node:net').createServer((p) => p.on('error', () => {}).once('data', () => p.end('ok'))).listen(0, '127.0.0.1', () => console.log(s.address().port));`,
  // Holds every connection until told 'close', then ends them all (a peer's idle timer): prints 'closed'.
  'idle-close-server': `const held = new Set(); const s = require('node:net').createServer((p) => { held.add(p); p.on('error', () => {}).on('close', () => held.delete(p)); }).listen(0, '127.0.0.1', () => console.log(s.address().port));
    require('node:readline').createInterface({ input: process.stdin }).on('line', () => { for (const p of held) p.end(); console.log('closed'); });`,
  client: `const net = require('node:net'); let port;
    require('node:readline').createInterface({ input: process.stdin }).on('line', async (line) => {
      const [cmd, arg] = line.split(' ');
      if (cmd === 'port') { port = Number(arg); return; }
      for (let i = 0; i < Number(arg); i++) await new Promise((done) => { const c = net.connect(port, '127.0.0.1', () => c.end()); c.on('close', done).on('error', done); });
      console.log('done');
    });`,
};

/** Starts the peer; `next()` resolves with its next line of output. */
export function peer(role) {
  const child = spawn(process.execPath, ['-e', CODE[role]], { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: process.env.PATH } });
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  let wake = null;
  lines.on('line', (line) => (queue.push(line), wake?.()));
  const next = async () => {
    while (queue.length === 0) await new Promise((resolve) => (wake = resolve));
    return queue.shift();
  };
  return { child, next };
}
