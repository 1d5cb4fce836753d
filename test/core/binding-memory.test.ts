// The addon's shared memory belongs to the addon: JavaScript that holds the
// arrays (any code can reach them) may detach them, but can neither free the
// memory under a call nor make a call act on the fd of an earlier one.
// Run in a child process with --expose-gc; the sockets are read from outside
// it (inspectProcess, which has its own addon instance here).
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inspectProcess } from '../../lib/index.js';
import { rawBinding } from '../../lib/core/native.js';
import { connectedPair } from '../helpers/sockets.js';

describe('the shared slots', () => {
  it('each call takes the fd and clears its slot', async () => {
    const { client } = await connectedPair();
    const native = rawBinding!;
    const { slots, layout } = native;
    slots[layout.fd] = (client as unknown as { _handle: { fd: number } })._handle.fd;
    native.get();
    expect(slots[layout.result]).toBe(0);
    expect(slots[layout.fd]).toBe(-1);
    native.get(); // nothing written: the addon must not reuse the last fd
    expect(slots[layout.result]).toBe(-9); // -EBADF
  });

  it('detached by other code: calls fail with ERR_TCP_KEEPALIVE_DETACHED, no socket changes, no crash after GC', async () => {
    const child = spawn(process.execPath, ['--expose-gc', join(__dirname, '..', 'fixtures', 'detach-slots.cjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    onTestFinished(() => clearTimeout(timer));
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const result = JSON.parse(line) as {
      fdCleared: boolean;
      attempts: { structuredClone: string; transfer: string };
      calls: Record<string, string>;
      sentinelPort: number;
      otherPort: number;
    };
    console.log(`[memory] Node ${process.version}: ${JSON.stringify(result.attempts)} -> ${JSON.stringify(result.calls)}`);
    expect(result.fdCleared).toBe(true);
    // structuredClone cannot take the addon's external buffers away: Node 20 copies them, later Node refuses.
    expect(result.attempts.structuredClone).toMatch(/^(copied|refused: DataCloneError)$/);
    if (result.attempts.transfer === 'detached') {
      expect(result.calls).toEqual({
        setKeepAlive: 'ERR_TCP_KEEPALIVE_DETACHED',
        getKeepAlive: 'ERR_TCP_KEEPALIVE_DETACHED',
        getTcpInfo: 'ERR_TCP_KEEPALIVE_DETACHED',
        rawSet: 'ok', // no error to throw: it finds no fd and returns EBADF in its own slot
      });
    } else {
      expect(result.attempts.transfer).toBe('unavailable');
      expect(result.calls).toMatchObject({ setKeepAlive: 'ok', getKeepAlive: 'ok', getTcpInfo: 'ok' });
    }
    // From outside: the sentinel (the fd of the last call before the detach) kept its values;
    // the other socket changed only where the call was allowed to go through.
    const sockets = inspectProcess(child.pid!);
    const byPort = (port: number) => sockets.find((socket) => socket.local.port === port)?.keepAlive;
    expect(byPort(result.sentinelPort)).toEqual({ enabled: true, idle: 41_000, interval: 4_000, count: 4, userTimeout: 0 });
    expect(byPort(result.otherPort)).toMatchObject({ idle: result.calls.setKeepAlive === 'ok' ? 61_000 : 51_000, interval: 5_000, count: 5 });
    child.stdin!.end();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
  });
});
