// tcp-keepalive/register on HTTPS through a CONNECT proxy: an unmodified
// client on https-proxy-agent (the npm package, as users install it) opens a
// TCP connection to the proxy, then wraps it in TLS (tls.connect({ socket })),
// and its keep-alive agent calls Node's setKeepAlive on the TLSSocket when the
// socket goes back to the pool. The tunnel's TCP socket, read from outside the
// process, must hold the environment's values after the handshake and after
// pooled reuse. The proxy and the HTTPS server are this test's own, on loopback.
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inspectProcess } from '../../lib/index.js';
import { connectProxy } from '../helpers/proxy.js';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, '..', 'fixtures');
const CERT = join(FIXTURES, 'cert.pem');
const ENV = { KEEPIDLE: '37', KEEPINTVL: '7', KEEPCNT: '4', TCP_USER_TIMEOUT: '21000' };
const HELD = { enabled: true, idle: 37_000, interval: 7_000, count: 4, userTimeout: 21_000 };

/** The proxy, closed with the test. */
async function proxyForTest(): Promise<{ port: number; tunnels: () => number }> {
  const proxy = await connectProxy();
  onTestFinished(() => proxy.close());
  return proxy;
}

async function httpsServer(): Promise<number> {
  const server = https.createServer({ key: readFileSync(join(FIXTURES, 'key.pem')), cert: readFileSync(CERT) }, (_request, response) => response.end('ok'));
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

describe('the preload through a CONNECT proxy (https-proxy-agent)', () => {
  it('the tunnel socket holds the environment\'s values after the TLS handshake and after pooled reuse, read from outside', async () => {
    const proxy = await proxyForTest();
    const port = await httpsServer();
    const env: NodeJS.ProcessEnv = { ...process.env, ...ENV, NODE_EXTRA_CA_CERTS: CERT };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['--require', join(ROOT, 'dist', 'register.js'), join(FIXTURES, 'proxy-client.mjs'), `http://127.0.0.1:${proxy.port}`, `https://localhost:${port}/`], {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    onTestFinished(() => clearTimeout(timer));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async () => {
      const { value, done } = await lines.next();
      if (done) throw new Error(`the client exited early: ${stderr}`);
      return JSON.parse(value as string) as { step: string; status: number; localPort: number; reused: boolean; same?: boolean };
    };
    const tunnelSocket = (localPort: number) => inspectProcess(child.pid!).find((socket) => socket.local.port === localPort && socket.remote.port === proxy.port);

    const handshake = await next();
    expect(handshake).toMatchObject({ step: 'handshake', status: 200, reused: false });
    expect(tunnelSocket(handshake.localPort)?.keepAlive).toEqual(HELD);

    child.stdin!.write('next\n');
    const reuse = await next();
    // The agent reused the pooled tunnel, after calling Node's setKeepAlive(true, 1000) on its TLSSocket.
    expect(reuse).toMatchObject({ step: 'reuse', status: 200, reused: true, same: true, localPort: handshake.localPort });
    expect(proxy.tunnels()).toBe(1);
    expect(tunnelSocket(reuse.localPort)?.keepAlive).toEqual(HELD);

    child.stdin!.end();
    await once(child, 'exit');
    expect(stderr).toBe('');
  });
});
