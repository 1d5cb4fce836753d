// The raw binding, fuzzed at its boundary: random values in every slot, fds
// of every kind (closed, a file, a pipe, /dev/null, UDP, a Unix socket, a
// listening and a connected TCP socket, numbers no fd has), wrong arguments.
// Whatever comes in, every call returns 0 or a negative errno, nothing
// crashes, no fd leaks, and a sentinel socket whose fd is never given keeps
// its options. TCP_KEEPALIVE_FUZZ_CALLS sets the number of calls (the
// sanitizer job in CI runs 100 000 and more under AddressSanitizer and
// UndefinedBehaviorSanitizer); TCP_KEEPALIVE_FUZZ_SEED replays a run.
import { describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { closeSync, openSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawBinding } from '../../lib/core/native.js';
import { getKeepAlive, setKeepAlive } from '../../lib/index.js';
import { connectedPair, listen, track } from '../helpers/sockets.js';

const CALLS = Number(process.env.TCP_KEEPALIVE_FUZZ_CALLS ?? 20_000);
const SEED = Number(process.env.TCP_KEEPALIVE_FUZZ_SEED ?? Date.now() % 2 ** 31);
const INT32 = [0, 1, -1, 2, 3, 127, 128, 255, 32_767, 32_768, 65_535, 2 ** 31 - 1, -(2 ** 31), 1_000_000, -1_000_000];

/** xorshift32: fast, and replayable from its seed. */
function random(seed: number): () => number {
  let state = seed || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const fdOf = (handle: unknown): number => (handle as { _handle: { fd: number } })._handle.fd;
const openFds = (): number => readdirSync('/proc/self/fd').length;
// A dgram socket keeps its handle under a private symbol (no `_handle` on Node 26).
function udpFd(socket: dgram.Socket): number {
  const state = Object.getOwnPropertySymbols(socket).find((symbol) => symbol.description === 'state symbol')!;
  return (socket as unknown as Record<symbol, { handle: { fd: number } }>)[state].handle.fd;
}

describe.runIf(process.platform === 'linux' && rawBinding !== null)('the raw binding under fuzzing', () => {
  it(`${CALLS} random calls (seed printed): results 0 or -errno, no crash, no fd leaked, the sentinel untouched`, async () => {
    const { client: sentinel } = await connectedPair();
    setKeepAlive(sentinel, { idle: 41_000, interval: 4_000, count: 4, userTimeout: 4_100 });
    const sentinelValues = getKeepAlive(sentinel);
    const sentinelFd = fdOf(sentinel);

    // One fd of every kind; and a number that was an fd and is closed now.
    const { client: connected } = await connectedPair();
    const listener = await listen();
    const udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    const unixPath = join(tmpdir(), `tcp-keepalive-fuzz-${process.pid}.sock`);
    const unixServer = track(net.createServer().listen(unixPath));
    await once(unixServer, 'listening');
    const unixClient = track(net.connect(unixPath));
    await once(unixClient, 'connect');
    const file = openSync(__filename, 'r');
    const devNull = openSync('/dev/null', 'r');
    const closed = openSync('/dev/null', 'r');
    closeSync(closed);
    const kinds: Record<string, number> = {
      connected: fdOf(connected),
      listener: fdOf(listener),
      udp: udpFd(udp),
      unixServer: fdOf(unixServer),
      unixClient: fdOf(unixClient),
      file,
      devNull,
      closed,
      stdin: 0,
      negative: -1,
      huge: 2 ** 31 - 1,
      unused: 100_000,
    };
    const fds = Object.values(kinds).filter((fd) => fd !== sentinelFd);

    const next = random(SEED);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
    const anyInt = (): number => (next() < 0.5 ? pick(INT32) : Math.floor(next() * 2 ** 32) - 2 ** 31);
    const native = rawBinding!;
    const { slots, layout } = native;
    const results = new Map<number, number>();
    const fdsBefore = openFds();
    let wrongArguments = 0;

    for (let call = 0; call < CALLS; call++) {
      // Every slot random, then an fd that is never the sentinel's.
      for (let i = 0; i < slots.length; i++) slots[i] = anyInt();
      let fd = next() < 0.8 ? pick(fds) : anyInt();
      if (fd === sentinelFd) fd = -1;
      slots[layout.fd] = fd;
      const which = next();
      const usesFdSlot = which < 0.97;
      if (which < 0.35) native.set();
      else if (which < 0.65) native.get();
      else if (which < 0.85) native.info();
      else if (which < 0.97) native.snapshot();
      else {
        // inspectFds takes its arguments: of the wrong type or out of range it must throw,
        // never read anything; numbers that name no process or fd fail in the kernel.
        const list = Int32Array.from([fd, anyInt(), anyInt()]);
        const wanted = next() < 0.5 ? null : Float64Array.from([anyInt(), anyInt()].map(Math.abs)).sort();
        const args = pick([
          [],
          ['1', list, 0, 1, null],
          [process.pid],
          [Number.NaN, list, 0, 1, wanted],
          [process.pid, {}, 0, 1, null],
          [process.pid, [fd, 1], 0, 1, null],
          [process.pid, Float64Array.from([fd]), 0, 1, null],
          [process.pid, list, 0, 1, [1, 2]],
          [-1, list, 0, 2, wanted],
          [process.pid, list, -1, 1, null],
          [process.pid, list, 1, 3, wanted],
          [process.pid, list, 0, native.batchCapacity + 1, null],
          [process.pid, list, 0, 3, wanted],
          [anyInt(), list, 0, 1, null],
        ] as unknown[][]);
        let returned: unknown;
        try {
          returned = (native.inspectFds as (...a: unknown[]) => unknown)(...args);
        } catch (error) {
          expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
          wrongArguments++;
          continue;
        }
        expect(returned === 0 || (typeof returned === 'number' && returned < 0 && returned >= -4095), `inspectFds returned ${String(returned)}`).toBe(true);
        continue;
      }
      const result = slots[layout.result];
      results.set(result, (results.get(result) ?? 0) + 1);
      expect(result === 0 || (result < 0 && result >= -4095), `call ${call}: result ${result} (seed ${SEED})`).toBe(true);
      if (usesFdSlot) expect(slots[layout.fd], 'the fd slot is cleared after each call').toBe(-1);
    }

    expect(openFds()).toBe(fdsBefore);
    expect(getKeepAlive(sentinel)).toEqual(sentinelValues);
    const summary = [...results.entries()].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code}: ${n}`).join(', ');
    console.log(`[fuzz] seed ${SEED}: ${CALLS} calls (${wrongArguments} inspectFds calls with wrong arguments refused); results ${summary}`);

    closeSync(file);
    closeSync(devNull);
    udp.close();
  }, 600_000);
});
