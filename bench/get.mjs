#!/usr/bin/env node
// What one getKeepAlive (5 values) and one getTcpInfo cost next to the same
// getsockopt calls from C (the floor), the raw binding and the npm peers that
// are installed. Method and flags: bench/common/per-call.mjs and bench/README.md.
import { library, loadPeer, native } from './common/floor.mjs';
import { floorVariant, measurePerCall } from './common/per-call.mjs';

const { getKeepAlive, getTcpInfo } = library();
const hrtime = process.hrtime.bigint;
let sink = 0;

// One function and one loop per variant, as in bench/set.mjs; every result is
// summed into `sink` so no call can be optimized away.
function variants(socket, floor, floorMt) {
  const fd = socket._handle.fd;
  const { slots, layout } = native;
  const list = [
    {
      id: 'get', group: 'get', label: 'tcp-keepalive getKeepAlive()', syscalls: 5,
      run(n) {
        let s = 0;
        const t0 = hrtime();
        for (let i = 0; i < n; i++) s += getKeepAlive(socket).idle;
        const ns = Number(hrtime() - t0) / n;
        sink += s;
        return ns;
      },
    },
    {
      id: 'get-raw', group: 'get', label: '  raw binding.get() and read slots', syscalls: 5,
      run(n) {
        let s = 0;
        const t0 = hrtime();
        for (let i = 0; i < n; i++) {
          slots[layout.fd] = fd;
          native.get();
          if (slots[layout.result] !== 0) throw new Error('binding.get failed');
          s += slots[layout.idle] + slots[layout.interval] + slots[layout.count] + slots[layout.userTimeout] + slots[layout.enabled];
        }
        const ns = Number(hrtime() - t0) / n;
        sink += s;
        return ns;
      },
    },
    floorVariant('get-floor', floor, 'get', 'C floor: 5 x getsockopt, 1 thread', 5),
    floorVariant('get-floor-mt', floorMt, 'get', 'C floor: 5 x getsockopt, +1 idle thread', 5),
  ];
  const sockopt = loadPeer('sockopt');
  const label = 'npm sockopt: 5 x getsockopt()';
  if (sockopt.mod) {
    const { getsockopt } = sockopt.mod;
    const { IPPROTO_TCP = 6, SOL_SOCKET = 1, SO_KEEPALIVE = 9, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6, TCP_USER_TIMEOUT = 18 } = floor.constants ?? {};
    list.push({
      id: 'get-sockopt', group: 'get', label, syscalls: 5,
      run(n) {
        let s = 0;
        const t0 = hrtime();
        for (let i = 0; i < n; i++) {
          s += getsockopt(socket, IPPROTO_TCP, TCP_KEEPIDLE);
          s += getsockopt(socket, IPPROTO_TCP, TCP_KEEPINTVL);
          s += getsockopt(socket, IPPROTO_TCP, TCP_KEEPCNT);
          s += getsockopt(socket, IPPROTO_TCP, TCP_USER_TIMEOUT);
          s += getsockopt(socket, SOL_SOCKET, SO_KEEPALIVE);
        }
        const ns = Number(hrtime() - t0) / n;
        sink += s;
        return ns;
      },
    });
  } else {
    list.push({ id: 'get-sockopt', group: 'get', label, syscalls: 5, unavailable: sockopt.error });
  }
  const netKeepalive = loadPeer('net-keepalive');
  const nkLabel = 'npm net-keepalive: its 3 getters';
  if (netKeepalive.mod) {
    const NK = netKeepalive.mod;
    list.push({
      id: 'get-net-keepalive', group: 'get', label: nkLabel, syscalls: 3,
      note: 'getKeepAliveInterval + getKeepAliveProbes + getUserTimeout: 3 of the 5 values, it has no idle or enabled getter',
      run(n) {
        let s = 0;
        const t0 = hrtime();
        for (let i = 0; i < n; i++) s += NK.getKeepAliveInterval(socket) + NK.getKeepAliveProbes(socket) + NK.getUserTimeout(socket);
        const ns = Number(hrtime() - t0) / n;
        sink += s;
        return ns;
      },
    });
  } else {
    list.push({ id: 'get-net-keepalive', group: 'get', label: nkLabel, syscalls: 3, unavailable: netKeepalive.error });
  }
  list.push(
    {
      id: 'info', group: 'info', label: 'tcp-keepalive getTcpInfo(socket)', syscalls: 1,
      run(n) {
        let s = 0;
        const t0 = hrtime();
        for (let i = 0; i < n; i++) s += getTcpInfo(socket).rtt;
        const ns = Number(hrtime() - t0) / n;
        sink += s;
        return ns;
      },
    },
    floorVariant('info-floor', floor, 'info', 'C floor: getsockopt(TCP_INFO), 1 thread', 1),
    floorVariant('info-floor-mt', floorMt, 'info', 'C floor: getsockopt(TCP_INFO), +1 idle thread', 1),
  );
  return list;
}

await measurePerCall({
  title: 'get: tcp-keepalive getKeepAlive and getTcpInfo',
  variants,
  ratios: {
    'get/get-floor': ['get', 'get-floor'],
    'get/get-floor-mt': ['get', 'get-floor-mt'],
    'info/info-floor': ['info', 'info-floor'],
    'info/info-floor-mt': ['info', 'info-floor-mt'],
    'get-raw/get-floor-mt': ['get-raw', 'get-floor-mt'],
    'get-floor-mt/get-floor': ['get-floor-mt', 'get-floor'],
  },
  targets: [
    { id: 'get<=1.10*floor', ratio: 'get/get-floor', limit: 1.1, text: 'get <= 1.10 x floor' },
    { id: 'get<=1.10*floor-mt', ratio: 'get/get-floor-mt', limit: 1.1, text: 'get <= 1.10 x floor-mt', vsFloorMt: 'get<=1.10*floor' },
  ],
});
if (sink === 0.5) console.log(''); // keeps the summed results observable
