// An address on loopback that never answers a SYN: a listener (in a python3
// child, which never accepts) whose accept queue is already full, so the
// kernel drops further SYNs. Used to make Node fall back to a next address.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { onTestFinished } from 'vitest';

/** Makes `host:port` silent for the rest of the test. */
export async function blackhole(host: string, port: number): Promise<void> {
  const listener = spawn(
    'python3',
    ['-c', `import socket,time\ns=socket.socket()\ns.bind(('${host}',${port}))\ns.listen(0)\nprint('ready',flush=True)\ntime.sleep(60)`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  onTestFinished(() => void listener.kill('SIGKILL'));
  const ready = once(listener.stdout, 'data');
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('python3 listener did not start in 5 s')), 5000).unref());
  await Promise.race([ready, timeout]);
  // With backlog 0 one completed connection fills the accept queue.
  const filler = net.connect(port, host);
  filler.on('error', () => {});
  onTestFinished(() => void filler.destroy());
  await once(filler, 'connect');
}
