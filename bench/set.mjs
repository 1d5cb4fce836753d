#!/usr/bin/env node
// What one setKeepAlive({ idle, interval, count }) costs next to the same 4
// setsockopt from C (the floor), the raw binding, Node core's own
// socket.setKeepAlive and the npm peers that are installed. Method and flags:
// bench/common/per-call.mjs and bench/README.md.
import { library, loadPeer, OPTIONS, MASK, rawSet, SETS } from './common/floor.mjs';
import { floorVariant, measurePerCall } from './common/per-call.mjs';

const { setKeepAlive } = library();
const hrtime = process.hrtime.bigint;
const IDLE_MS = SETS.map(([idle]) => idle * 1000);
const INTERVAL_MS = SETS.map(([, interval]) => interval * 1000);
const COUNTS = SETS.map(([, , count]) => count);
const EXPECT = (k) => ({ enabled: true, idle: IDLE_MS[k], interval: INTERVAL_MS[k], count: COUNTS[k] });

// Each variant is its own function with its own loop, so V8 optimizes each
// call site for one callee, as a program calling the API would be; a shared
// "run(body)" helper would make the call megamorphic and tax them all.
// Each returns ns per operation for a batch of n.
function variants(socket, floor, floorMt) {
  const fd = socket._handle.fd;
  const list = [
    {
      id: 'set', group: 'set', label: 'tcp-keepalive setKeepAlive({idle, interval, count})', syscalls: 4, expect: EXPECT,
      run(n) {
        const t0 = hrtime();
        for (let i = 0; i < n; i++) setKeepAlive(socket, OPTIONS[i & MASK]);
        return Number(hrtime() - t0) / n;
      },
    },
    {
      id: 'set-raw', group: 'set', label: '  raw binding.set() after filling slots', syscalls: 4, expect: EXPECT,
      run(n) {
        const t0 = hrtime();
        for (let i = 0; i < n; i++) if (rawSet(fd, SETS[i & MASK]) !== 0) throw new Error('binding.set failed');
        return Number(hrtime() - t0) / n;
      },
    },
    floorVariant('set-floor', floor, 'set', 'C floor: 4 x setsockopt, 1 thread', 4),
    floorVariant('set-floor-mt', floorMt, 'set', 'C floor: 4 x setsockopt, +1 idle thread', 4),
    {
      id: 'set-node', group: 'set', label: 'Node core socket.setKeepAlive(true, ms)', syscalls: 4,
      note: 'sets idle only; interval 1 s, count 10 forced',
      expect: (k) => ({ enabled: true, idle: IDLE_MS[k], interval: 1000, count: 10 }),
      run(n) {
        const t0 = hrtime();
        for (let i = 0; i < n; i++) socket.setKeepAlive(true, IDLE_MS[i & MASK]);
        return Number(hrtime() - t0) / n;
      },
    },
  ];
  const sockopt = loadPeer('sockopt');
  const label = 'npm sockopt: 4 x setsockopt()';
  if (sockopt.mod) {
    const { setsockopt } = sockopt.mod;
    const { IPPROTO_TCP = 6, SOL_SOCKET = 1, SO_KEEPALIVE = 9, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6 } = floor.constants ?? {};
    list.push({
      id: 'set-sockopt', group: 'set', label, syscalls: 4, expect: EXPECT,
      run(n) {
        const t0 = hrtime();
        for (let i = 0; i < n; i++) {
          const v = SETS[i & MASK];
          setsockopt(socket, IPPROTO_TCP, TCP_KEEPIDLE, v[0]);
          setsockopt(socket, IPPROTO_TCP, TCP_KEEPINTVL, v[1]);
          setsockopt(socket, IPPROTO_TCP, TCP_KEEPCNT, v[2]);
          setsockopt(socket, SOL_SOCKET, SO_KEEPALIVE, 1);
        }
        return Number(hrtime() - t0) / n;
      },
    });
  } else {
    list.push({ id: 'set-sockopt', group: 'set', label, syscalls: 4, unavailable: sockopt.error });
  }
  const netKeepalive = loadPeer('net-keepalive');
  const nkLabel = 'npm net-keepalive (+ Node core for idle)';
  if (netKeepalive.mod) {
    const NK = netKeepalive.mod;
    list.push({
      id: 'set-net-keepalive', group: 'set', label: nkLabel, syscalls: 6, expect: EXPECT,
      note: 'socket.setKeepAlive(true, idle) (Node also resets interval/count), then setKeepAliveInterval, setKeepAliveProbes: 2 FFI calls',
      run(n) {
        const t0 = hrtime();
        for (let i = 0; i < n; i++) {
          const k = i & MASK;
          socket.setKeepAlive(true, IDLE_MS[k]);
          NK.setKeepAliveInterval(socket, INTERVAL_MS[k]);
          NK.setKeepAliveProbes(socket, COUNTS[k]);
        }
        return Number(hrtime() - t0) / n;
      },
    });
  } else {
    list.push({ id: 'set-net-keepalive', group: 'set', label: nkLabel, syscalls: 6, unavailable: netKeepalive.error });
  }
  return list;
}

await measurePerCall({
  title: 'set: tcp-keepalive setKeepAlive',
  variants,
  ratios: {
    'set/set-floor': ['set', 'set-floor'],
    'set/node': ['set', 'set-node'],
    'set/set-floor-mt': ['set', 'set-floor-mt'],
    'set-raw/set-floor-mt': ['set-raw', 'set-floor-mt'],
    'node/set-floor-mt': ['set-node', 'set-floor-mt'],
    'set-floor-mt/set-floor': ['set-floor-mt', 'set-floor'],
  },
  targets: [
    { id: 'set<=1.10*floor', ratio: 'set/set-floor', limit: 1.1, text: 'set <= 1.10 x floor' },
    { id: 'set<node', ratio: 'set/node', limit: 1.0, strict: true, text: 'set < Node core' },
    { id: 'set<=1.10*floor-mt', ratio: 'set/set-floor-mt', limit: 1.1, text: 'set <= 1.10 x floor-mt', vsFloorMt: 'set<=1.10*floor' },
  ],
});
