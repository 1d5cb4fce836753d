// Without the native addon (macOS, Windows, the BSDs today), forced here on
// Linux with TCP_KEEPALIVE_FORCE_FALLBACK=1: what Node core can do is done,
// the rest throws ERR_TCP_KEEPALIVE_UNSUPPORTED naming the platform and the
// option, and `capabilities` says which is which. The kernel values of the
// child's sockets are read from outside it, with the native inspectProcess.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { onTestFinished } from 'vitest';
import { inspectProcess } from '../../lib/index.js';

const PROBE = join(__dirname, '..', 'fixtures', 'fallback-probe.cjs');
// Node >= 24.19 and >= 26.4 take interval and count in socket.setKeepAlive.
const [major, minor] = process.versions.node.split('.').map(Number);
const coreTiming = (major === 24 && minor >= 19) || (major === 26 && minor >= 4) || major > 26;

interface ProbeOutput {
  capabilities: { native: boolean; platform: string; socket: Record<string, boolean>; server: Record<string, boolean>; readBack: boolean; tcpInfo: boolean; inspectProcess: boolean };
  errors: Record<string, { code: string; option?: string; message: string } | string>;
  serverIdle: string;
  clientSet: string;
  stickySet: string;
  offSet: string;
  ports: { server: number; client: number; sticky: number; off: number };
}

async function runProbe(): Promise<{ out: ProbeOutput; pid: number }> {
  const child = spawn(process.execPath, [PROBE], { env: { ...process.env, TCP_KEEPALIVE_FORCE_FALLBACK: '1' }, stdio: ['pipe', 'pipe', 'inherit'] });
  onTestFinished(() => void child.kill('SIGKILL'));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  clearTimeout(timer);
  return { out: JSON.parse(line) as ProbeOutput, pid: child.pid! };
}

describe(`fallback without the addon, on Node ${process.version}`, () => {
  it('capabilities say what this Node can do', async () => {
    const { out } = await runProbe();
    expect(out.capabilities).toMatchObject({
      native: false,
      platform: 'linux',
      socket: { enabled: true, idle: true, interval: coreTiming, count: coreTiming, userTimeout: false },
      server: { enabled: true, idle: true, interval: false, count: false, userTimeout: false },
      readBack: false,
      tcpInfo: false,
      inspectProcess: false,
    });
  });

  it('every documented degrade throws ERR_TCP_KEEPALIVE_UNSUPPORTED naming the platform and the option', async () => {
    const { out } = await runProbe();
    const unsupported = (option?: string) => expect.objectContaining({ code: 'ERR_TCP_KEEPALIVE_UNSUPPORTED', message: expect.stringContaining('on linux'), ...(option ? { option } : {}) });
    expect(out.errors.userTimeout).toEqual(unsupported('userTimeout'));
    expect(out.errors.serverInterval).toEqual(unsupported('interval'));
    expect(out.errors.intervalAlone).toEqual(unsupported('interval'));
    expect(out.errors.intervalOnOldNode).toEqual(coreTiming ? 'n/a' : unsupported('interval'));
    expect(out.errors.getKeepAlive).toEqual(unsupported());
    expect(out.errors.getTcpInfo).toEqual(unsupported());
    // Argument errors stay argument errors.
    expect(out.errors.notTcp).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('what Node can do is done, as the kernel shows from outside the process', async () => {
    const { out, pid } = await runProbe();
    expect([out.serverIdle, out.clientSet, out.stickySet, out.offSet]).toEqual(['ok', 'ok', 'ok', 'ok']);
    const sockets = inspectProcess(pid);
    const byLocalPort = (port: number) => sockets.find((s) => s.local.port === port && s.state === 'ESTABLISHED')!;
    const accepted = sockets.find((s) => s.local.port === out.ports.server && s.remote.port === out.ports.client)!;
    // A connecting socket: Node stored the values and applied them on connect.
    expect(byLocalPort(out.ports.client).keepAlive).toEqual(
      coreTiming
        ? { enabled: true, idle: 11_000, interval: 4_000, count: 5, userTimeout: 0 }
        : { enabled: true, idle: 11_000, interval: 1_000, count: 10, userTimeout: 0 },
    );
    // The server: Node's own keepAlive option, applied by Node to each accepted socket.
    expect(accepted.keepAlive).toMatchObject({ enabled: true, idle: 9_000 });
    // sticky: the idle set with the library survives a library's later Node call.
    expect(byLocalPort(out.ports.sticky).keepAlive).toMatchObject({ enabled: true, idle: 13_000 });
    // false: keepalive off even after Node's own call turned it on.
    expect(byLocalPort(out.ports.off).keepAlive).toMatchObject({ enabled: false });
  });
});

describe(`the preload without the addon, on Node ${process.version}`, () => {
  it('sets what Node can and warns once about what it dropped', async () => {
    const script = `
      const net = require('node:net');
      process.on('warning', (w) => console.log(JSON.stringify({ warning: w.message })));
      const server = net.createServer(() => {}).listen(0, '127.0.0.1', () => {
        const client = net.connect(server.address().port, '127.0.0.1', () => {
          setTimeout(() => console.log(JSON.stringify({ port: client.localPort })), 50);
        });
      });
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));
      setTimeout(() => process.exit(2), 20000).unref();`;
    const child = spawn(process.execPath, ['--require', join(__dirname, '..', '..', 'dist', 'register.js'), '-e', script], {
      env: { ...process.env, TCP_KEEPALIVE_FORCE_FALLBACK: '1', KEEPIDLE: '30', KEEPINTVL: '10', KEEPCNT: '3', TCP_USER_TIMEOUT: '5000' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    onTestFinished(() => void child.kill('SIGKILL'));
    const lines: Array<{ warning?: string; port?: number }> = [];
    const reader = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    for await (const line of reader) {
      lines.push(JSON.parse(line) as { warning?: string; port?: number });
      if (lines.some((l) => l.port !== undefined)) break;
    }
    clearTimeout(timer);
    const warnings = lines.filter((l) => l.warning !== undefined);
    expect(warnings).toEqual([
      { warning: expect.stringMatching(coreTiming ? /^tcp-keepalive\/register: user timeout cannot be set on linux without the native addon/ : /^tcp-keepalive\/register: user timeout, interval and count cannot be set/) },
    ]);
    const port = lines.find((l) => l.port !== undefined)!.port!;
    const socket = inspectProcess(child.pid!).find((s) => s.local.port === port)!;
    expect(socket.keepAlive).toEqual(
      coreTiming
        ? { enabled: true, idle: 30_000, interval: 10_000, count: 3, userTimeout: 0 }
        : { enabled: true, idle: 30_000, interval: 1_000, count: 10, userTimeout: 0 },
    );
  });
});
