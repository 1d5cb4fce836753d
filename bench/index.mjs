#!/usr/bin/env node
// npm run bench: what one setKeepAlive / getKeepAlive costs next to the raw
// syscalls (a C program making the same calls), Node core's own
// socket.setKeepAlive, and the npm peers that are installed.
//
// Method (see bench/README.md): every variant is timed in batches with
// process.hrtime.bigint(); the variants run in rounds, in an order rotated
// each round, so drift on a shared machine hits all of them alike; the C floor
// is a child process that runs its batch when told, inside the same rounds.
// Each variant's figure is the median of its per-round ns/op; each ratio is
// the median of the per-round ratios (both variants measured in that round).
//
// Flags: --json (machine-readable results on stdout), --rounds N (default 201),
// --batch-ms MS (target time of one batch, default 2), --check (exit 1 if a
// target is missed, as specified: against the single-threaded C floor),
// --no-pin (do not pin the run to one CPU).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const hrtime = process.hrtime.bigint;

// ---------------------------------------------------------------- arguments
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
function numberArg(name, fallback, min, max) {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isFinite(value) || value < min || value > max) {
    console.error(`bench: ${name} takes a number from ${min} to ${max}`);
    process.exit(2);
  }
  return value;
}
// Unless --no-pin: run pinned to one CPU (re-executing under taskset), so
// the JS rounds and the C floor child (which inherits the pinning) share one
// core and meet the same competition from other processes; unpinned, a busy
// machine can slow the child's batches more than the JS ones, or the reverse.
if (!flag('--no-pin') && !process.env.TCP_KEEPALIVE_BENCH_CPU && os.cpus().length > 1) {
  const cpu = String(os.cpus().length - 1);
  const child = spawnSync('taskset', ['-c', cpu, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TCP_KEEPALIVE_BENCH_CPU: cpu },
  });
  if (!child.error) process.exit(child.status ?? 1);
  // No taskset: run unpinned.
}
const JSON_OUT = flag('--json');
const CHECK = flag('--check');
const ROUNDS = Math.floor(numberArg('--rounds', 201, 3, 5001));
const BATCH_MS = numberArg('--batch-ms', 2, 0.2, 200);
const log = JSON_OUT ? () => {} : (...a) => console.log(...a);
const progress = JSON_OUT || !process.stderr.isTTY ? () => {} : (s) => process.stderr.write(`\r${s}\x1b[K`);

// ------------------------------------------------------------------- values
// Four distinct (idle s, interval s, count) sets, cycled so that every call
// changes every value and the kernel does its real work (it re-arms the
// keepalive timer on each TCP_KEEPIDLE). The C floor is given the same sets.
const SETS = [
  [60, 10, 5],
  [61, 11, 6],
  [62, 12, 7],
  [63, 13, 8],
];
const MASK = SETS.length - 1; // SETS.length is a power of two
const OPTIONS = SETS.map(([idle, interval, count]) => ({ idle: idle * 1000, interval: interval * 1000, count }));
const IDLE_MS = SETS.map(([idle]) => idle * 1000);
const INTERVAL_MS = SETS.map(([, interval]) => interval * 1000);
const COUNTS = SETS.map(([, , count]) => count);

// ------------------------------------------------------------------ library
if (!existsSync(join(here, '..', 'dist', 'index.js'))) {
  console.error('bench: dist/ is missing: run `npm run build` first');
  process.exit(2);
}
const { setKeepAlive, getKeepAlive, getTcpInfo } = require('../dist/index.js');
// The same module instance the library uses (one require cache).
const { binding } = require('../dist/binding.js');

function loadPeer(name) {
  try {
    return { mod: require(name) };
  } catch (error) {
    if (error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(`'${name}'`)) return { error: 'not installed' };
    // e.g. sockopt 2.0.1 ships a macOS binary as its linux-x64 prebuild and
    // loads only when its install script has built it from source.
    const first = String(error.message).split('\n')[0].replace(/^\S*\/node_modules\//, '');
    return { error: `failed to load: ${first.length > 70 ? `${first.slice(0, 67)}...` : first}` };
  }
}
const netKeepalive = loadPeer('net-keepalive');
const sockopt = loadPeer('sockopt');

// ------------------------------------------------------------------ C floor
function buildFloor() {
  const source = join(here, 'floor.c');
  const binary = join(here, 'floor', 'floor');
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return { binary };
  const cc = process.env.CC || 'cc';
  try {
    execFileSync(cc, ['--version'], { stdio: 'ignore' });
  } catch {
    return { error: `no C compiler (${cc})` };
  }
  try {
    mkdirSync(dirname(binary), { recursive: true });
    execFileSync(cc, ['-O2', '-pthread', '-o', binary, source], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { binary };
  } catch (error) {
    return { error: `cc failed: ${String(error.stderr || error.message).trim().split('\n')[0]}` };
  }
}

// threads: idle threads the child starts first (see floor.c: with any, the
// kernel takes a reference on the file in every socket syscall, as it does in
// every Node process).
async function startFloor(built, threads) {
  if (built.error) return built;
  const child = spawn(built.binary, ['--serve', '--threads', String(threads), '--values', ...SETS.map((s) => s.join(','))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('bench: the C floor exited early');
    return value;
  };
  const ready = await next();
  const constants = Object.fromEntries(
    ready
      .split(' ')
      .slice(1)
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );
  return {
    constants,
    async run(kind, n) {
      child.stdin.write(`${kind} ${n}\n`);
      const answer = await next();
      const ns = Number(answer);
      if (!Number.isFinite(ns)) throw new Error(`bench: the C floor answered ${answer}`);
      return ns;
    },
    stop() {
      child.stdin.end('quit\n');
    },
  };
}

// ------------------------------------------------------------------- socket
async function connectLoopback() {
  const server = net.createServer((peer) => peer.on('error', () => {}));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect(server.address().port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return { server, socket };
}

// ----------------------------------------------------------------- variants
// Each JS variant is its own function with its own loop, so V8 optimizes each
// call site for one callee, as a program calling the API would be; a shared
// "run(body)" helper would make the call megamorphic and tax them all.
// Each returns ns per operation for a batch of n.
let sink = 0;

function makeVariants(socket, floor, floorMt) {
  const fd = socket._handle.fd;
  const { slots, layout } = binding;
  const variants = [];
  const add = (v) => variants.push(v);
  const C = floor.constants ?? {};

  add({
    id: 'set', group: 'set', label: 'tcp-keepalive setKeepAlive({idle, interval, count})', syscalls: 4,
    run(n) {
      const t0 = hrtime();
      for (let i = 0; i < n; i++) setKeepAlive(socket, OPTIONS[i & MASK]);
      return Number(hrtime() - t0) / n;
    },
    expect: (k) => ({ enabled: true, idle: IDLE_MS[k], interval: INTERVAL_MS[k], count: COUNTS[k] }),
  });
  add({
    id: 'set-raw', group: 'set', label: '  raw binding.set() after filling slots', syscalls: 4,
    run(n) {
      const t0 = hrtime();
      for (let i = 0; i < n; i++) {
        const v = SETS[i & MASK];
        slots[layout.idle] = v[0];
        slots[layout.interval] = v[1];
        slots[layout.count] = v[2];
        slots[layout.userTimeout] = -1;
        slots[layout.enabled] = 1;
        slots[layout.fd] = fd;
        binding.set();
        if (slots[layout.result] !== 0) throw new Error('binding.set failed');
      }
      return Number(hrtime() - t0) / n;
    },
    expect: (k) => ({ enabled: true, idle: IDLE_MS[k], interval: INTERVAL_MS[k], count: COUNTS[k] }),
  });
  const floorVariant = (id, f, kind, label, syscalls) =>
    f.error ? { id, group: kind, label, syscalls, unavailable: f.error } : { id, group: kind, label, syscalls, child: true, run: (n) => f.run(kind, n) };
  add(floorVariant('set-floor', floor, 'set', 'C floor: 4 x setsockopt, 1 thread', 4));
  add(floorVariant('set-floor-mt', floorMt, 'set', 'C floor: 4 x setsockopt, +1 idle thread', 4));
  add({
    id: 'set-node', group: 'set', label: 'Node core socket.setKeepAlive(true, ms)', syscalls: 4,
    note: 'sets idle only; interval 1 s, count 10 forced',
    run(n) {
      const t0 = hrtime();
      for (let i = 0; i < n; i++) socket.setKeepAlive(true, IDLE_MS[i & MASK]);
      return Number(hrtime() - t0) / n;
    },
    expect: (k) => ({ enabled: true, idle: IDLE_MS[k], interval: 1000, count: 10 }),
  });
  if (sockopt.mod) {
    const { setsockopt, getsockopt } = sockopt.mod;
    const { IPPROTO_TCP = 6, SOL_SOCKET = 1, SO_KEEPALIVE = 9, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6, TCP_USER_TIMEOUT = 18 } = C;
    add({
      id: 'set-sockopt', group: 'set', label: 'npm sockopt: 4 x setsockopt()', syscalls: 4,
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
      expect: (k) => ({ enabled: true, idle: IDLE_MS[k], interval: INTERVAL_MS[k], count: COUNTS[k] }),
    });
    add({
      id: 'get-sockopt', group: 'get', label: 'npm sockopt: 5 x getsockopt()', syscalls: 5,
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
    add({ id: 'set-sockopt', group: 'set', label: 'npm sockopt: 4 x setsockopt()', syscalls: 4, unavailable: sockopt.error });
    add({ id: 'get-sockopt', group: 'get', label: 'npm sockopt: 5 x getsockopt()', syscalls: 5, unavailable: sockopt.error });
  }
  if (netKeepalive.mod) {
    const NK = netKeepalive.mod;
    add({
      id: 'set-net-keepalive', group: 'set', label: 'npm net-keepalive (+ Node core for idle)', syscalls: 6,
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
      expect: (k) => ({ enabled: true, idle: IDLE_MS[k], interval: INTERVAL_MS[k], count: COUNTS[k] }),
    });
    add({
      id: 'get-net-keepalive', group: 'get', label: 'npm net-keepalive: its 3 getters', syscalls: 3,
      note: 'getKeepAliveInterval + getKeepAliveProbes + getUserTimeout: 3 of the 5 values, it has no idle or enabled getter',
      run(n) {
        let s = 0;
        const t0 = hrtime();
        for (let i = 0; i < n; i++) {
          s += NK.getKeepAliveInterval(socket) + NK.getKeepAliveProbes(socket) + NK.getUserTimeout(socket);
        }
        const ns = Number(hrtime() - t0) / n;
        sink += s;
        return ns;
      },
    });
  } else {
    add({ id: 'set-net-keepalive', group: 'set', label: 'npm net-keepalive (+ Node core for idle)', syscalls: 6, unavailable: netKeepalive.error });
    add({ id: 'get-net-keepalive', group: 'get', label: 'npm net-keepalive: its 3 getters', syscalls: 3, unavailable: netKeepalive.error });
  }
  add({
    id: 'get', group: 'get', label: 'tcp-keepalive getKeepAlive()', syscalls: 5,
    run(n) {
      let s = 0;
      const t0 = hrtime();
      for (let i = 0; i < n; i++) s += getKeepAlive(socket).idle;
      const ns = Number(hrtime() - t0) / n;
      sink += s;
      return ns;
    },
  });
  add({
    id: 'get-raw', group: 'get', label: '  raw binding.get() and read slots', syscalls: 5,
    run(n) {
      let s = 0;
      const t0 = hrtime();
      for (let i = 0; i < n; i++) {
        slots[layout.fd] = fd;
        binding.get();
        if (slots[layout.result] !== 0) throw new Error('binding.get failed');
        s += slots[layout.idle] + slots[layout.interval] + slots[layout.count] + slots[layout.userTimeout] + slots[layout.enabled];
      }
      const ns = Number(hrtime() - t0) / n;
      sink += s;
      return ns;
    },
  });
  add(floorVariant('get-floor', floor, 'get', 'C floor: 5 x getsockopt, 1 thread', 5));
  add(floorVariant('get-floor-mt', floorMt, 'get', 'C floor: 5 x getsockopt, +1 idle thread', 5));
  add({
    id: 'info', group: 'info', label: 'tcp-keepalive getTcpInfo(socket)', syscalls: 1,
    run(n) {
      let s = 0;
      const t0 = hrtime();
      for (let i = 0; i < n; i++) s += getTcpInfo(socket).rtt;
      const ns = Number(hrtime() - t0) / n;
      sink += s;
      return ns;
    },
  });
  add(floorVariant('info-floor', floor, 'info', 'C floor: getsockopt(TCP_INFO), 1 thread', 1));
  add(floorVariant('info-floor-mt', floorMt, 'info', 'C floor: getsockopt(TCP_INFO), +1 idle thread', 1));
  return variants;
}

// ------------------------------------------------------------------ helpers
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
const median = (values) => quantile(values, 0.5);

// Checks that a set variant really leaves the values it claims: after n calls
// the last set applied is (n - 1) & MASK.
function verify(variant) {
  if (!variant.expect) return;
  for (let k = 0; k <= MASK; k++) {
    variant.run(k + 1 + MASK + 1); // ends on set k
    const got = getKeepAlive(variant.socket);
    const want = variant.expect(k);
    for (const key of Object.keys(want)) {
      if (got[key] !== want[key]) {
        throw new Error(`bench: ${variant.id} left ${key}=${got[key]}, expected ${want[key]}`);
      }
    }
  }
  variant.verified = true;
}

// --------------------------------------------------------------------- main
async function main() {
  const started = performance.now();
  const loadavgBefore = os.loadavg()[0];
  const { server, socket } = await connectLoopback();
  const built = buildFloor();
  const floor = await startFloor(built, 0);
  const floorMt = await startFloor(built, 1);
  const variants = makeVariants(socket, floor, floorMt);
  const live = variants.filter((v) => !v.unavailable);
  for (const v of live) v.socket = socket;

  // Warm up (V8 tiers up each loop; the first calls also fault pages in), then
  // size each variant's batch to about BATCH_MS.
  progress('warming up');
  for (const v of live) {
    try {
      if (v.child) {
        let ns = Infinity;
        for (let i = 0; i < 4; i++) ns = Math.min(ns, await v.run(2000));
        v.n = Math.max(50, Math.round((BATCH_MS * 1e6) / ns));
      } else {
        for (let i = 0; i < 20; i++) v.run(500);
        verify(v);
        let ns = v.run(2000);
        const deadline = performance.now() + 100;
        while (performance.now() < deadline) ns = Math.min(ns, v.run(1000));
        v.n = Math.max(50, Math.round((BATCH_MS * 1e6) / ns));
      }
      v.samples = [];
    } catch (error) {
      v.unavailable = `failed: ${error.message.split('\n')[0]}`;
    }
  }
  const measured = variants.filter((v) => !v.unavailable);

  // Rounds: every variant once per round, order rotated each round.
  for (let r = 0; r < ROUNDS; r++) {
    progress(`round ${r + 1}/${ROUNDS}`);
    for (let j = 0; j < measured.length; j++) {
      const v = measured[(j + r) % measured.length];
      v.samples.push(v.child ? await v.run(v.n) : v.run(v.n));
    }
  }
  progress('');
  if (!floor.error) floor.stop();
  if (!floorMt.error) floorMt.stop();
  socket.destroy();
  server.close();

  // ------------------------------------------------------------- statistics
  const byId = Object.fromEntries(variants.map((v) => [v.id, v]));
  for (const v of measured) {
    v.stats = {
      median: median(v.samples),
      p25: quantile(v.samples, 0.25),
      p75: quantile(v.samples, 0.75),
      min: Math.min(...v.samples),
    };
  }
  // Ratio of a to b: the median of the per-round ratios (a and b measured in
  // the same round, so slow and fast stretches of the machine cancel out);
  // the ratio of the two medians is kept beside it.
  const ratio = (a, b) => {
    const x = byId[a];
    const y = byId[b];
    if (!x?.stats || !y?.stats) return null;
    const paired = x.samples.map((s, i) => s / y.samples[i]);
    return {
      paired: median(paired),
      p25: quantile(paired, 0.25),
      p75: quantile(paired, 0.75),
      ofMedians: x.stats.median / y.stats.median,
      ofMins: x.stats.min / y.stats.min,
    };
  };
  const ratios = {
    'set/set-floor': ratio('set', 'set-floor'),
    'get/get-floor': ratio('get', 'get-floor'),
    'set/node': ratio('set', 'set-node'),
    'set/set-floor-mt': ratio('set', 'set-floor-mt'),
    'get/get-floor-mt': ratio('get', 'get-floor-mt'),
    'info/info-floor': ratio('info', 'info-floor'),
    'info/info-floor-mt': ratio('info', 'info-floor-mt'),
    'set-raw/set-floor-mt': ratio('set-raw', 'set-floor-mt'),
    'get-raw/get-floor-mt': ratio('get-raw', 'get-floor-mt'),
    'node/set-floor-mt': ratio('set-node', 'set-floor-mt'),
    'set-floor-mt/set-floor': ratio('set-floor-mt', 'set-floor'),
    'get-floor-mt/get-floor': ratio('get-floor-mt', 'get-floor'),
  };
  const target = (id, r, limit, strict, text) => {
    const value = r?.paired ?? null;
    return { id, value, limit, pass: value == null ? null : strict ? value < limit : value <= limit, text };
  };
  // The targets as specified (against the single-threaded C floor), and the
  // same two floor targets against the floor a Node process can reach.
  const targets = [
    target('set<=1.10*floor', ratios['set/set-floor'], 1.1, false, 'set <= 1.10 x floor'),
    target('set<node', ratios['set/node'], 1.0, true, 'set < Node core'),
    target('get<=1.10*floor', ratios['get/get-floor'], 1.1, false, 'get <= 1.10 x floor'),
  ];
  const targetsMt = [
    target('set<=1.10*floor-mt', ratios['set/set-floor-mt'], 1.1, false, 'set <= 1.10 x floor-mt'),
    target('get<=1.10*floor-mt', ratios['get/get-floor-mt'], 1.1, false, 'get <= 1.10 x floor-mt'),
  ];
  const seconds = (performance.now() - started) / 1000;
  // How steady the machine was: the spread of the C floor's batches (it does
  // the same work every time) and the load average around the run.
  const spread = (v) => (v?.stats ? (v.stats.p75 - v.stats.p25) / v.stats.median : null);
  const noise = {
    loadavgBefore,
    loadavgAfter: os.loadavg()[0],
    floorSpread: Math.max(spread(byId['set-floor']) ?? 0, spread(byId['get-floor']) ?? 0),
  };
  // (The load average after includes this run's own ~1 busy core.)
  if (noise.floorSpread > 0.1 || noise.loadavgBefore > 1.5 || noise.loadavgAfter > 2.5) {
    noise.warning =
      `the machine was busy (load average ${loadavgBefore.toFixed(2)} before, ${noise.loadavgAfter.toFixed(2)} after; ` +
      `C floor p25-p75 spread ${(noise.floorSpread * 100).toFixed(1)}% of its median): ratios are less certain, run again when it is idle`;
  }

  if (JSON_OUT) {
    const out = {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpu: `${os.cpus()[0]?.model} x${os.cpus().length}`,
      kernel: os.release(),
      rounds: ROUNDS,
      batchMs: BATCH_MS,
      pinnedCpu: process.env.TCP_KEEPALIVE_BENCH_CPU ?? null,
      seconds,
      noise,
      variants: Object.fromEntries(
        variants.map((v) => [
          v.id,
          v.unavailable
            ? { label: v.label.trim(), syscalls: v.syscalls, unavailable: v.unavailable }
            : { label: v.label.trim(), syscalls: v.syscalls, batch: v.n, verified: v.verified ?? null, ...v.stats, samples: v.samples },
        ]),
      ),
      ratios,
      targets: Object.fromEntries([...targets, ...targetsMt].map((t) => [t.id, { value: t.value, limit: t.limit, pass: t.pass }])),
    };
    console.log(JSON.stringify(out, null, 2));
  } else {
    const f = (x, d = 0) => (x == null ? '-' : x.toFixed(d));
    log(`tcp-keepalive bench: Node ${process.version}, ${process.platform}-${process.arch}, ${os.cpus()[0]?.model} x${os.cpus().length}, kernel ${os.release()}`);
    const pinned = process.env.TCP_KEEPALIVE_BENCH_CPU;
    log(
      `one loopback socket; ${ROUNDS} rounds, each variant once per round in rotated order, ~${BATCH_MS} ms per batch; ` +
        `${pinned ? `pinned to CPU ${pinned}` : 'not pinned'}; ns per operation`,
    );
    log('');
    const head = ['variant', 'sys', 'batch', 'median', 'p25', 'p75', 'min', 'x floor', 'x floor-mt'];
    const rows = [];
    for (const group of ['set', 'get', 'info']) {
      if (rows.length) rows.push(null);
      for (const v of variants.filter((x) => x.group === group)) {
        const name = `${group}  ${v.label}`;
        if (v.unavailable) {
          rows.push([name, String(v.syscalls), '-', v.unavailable]);
          continue;
        }
        const vs = (floorId) => (v.id === floorId ? '1.00' : f(ratio(v.id, floorId)?.paired, 2));
        rows.push([
          name,
          String(v.syscalls),
          String(v.n),
          f(v.stats.median),
          f(v.stats.p25),
          f(v.stats.p75),
          f(v.stats.min),
          vs(`${group}-floor`),
          vs(`${group}-floor-mt`),
        ]);
      }
    }
    const full = rows.filter((r) => r && r.length === head.length);
    const widths = head.map((h, i) => Math.max(h.length, ...full.map((r) => r[i].length)));
    widths[0] = Math.max(widths[0], ...rows.filter(Boolean).map((r) => r[0].length));
    const line = (cells) =>
      cells.length < head.length
        ? `${cells[0].padEnd(widths[0])}  ${cells[1].padStart(widths[1])}  ${cells[2].padStart(widths[2])}  ${cells[3]}`
        : cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    log(line(head));
    log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) log(r ? line(r) : '');
    log('');
    log('sys = syscalls per operation; x floor / x floor-mt = median of per-round ratios to the C floor in a');
    log('single-threaded process / with one idle thread (see bench/README.md: the floor any Node process can reach)');
    for (const v of variants.filter((x) => x.note && !x.unavailable)) log(`  ${v.id}: ${v.note}`);
    log('');
    log('ratios: median of per-round ratios [p25-p75]; ratio of medians; ratio of minimums');
    for (const [name, r] of Object.entries(ratios)) {
      log(`  ${name.padEnd(24)} ${r ? `${f(r.paired, 3)} [${f(r.p25, 3)}-${f(r.p75, 3)}]  ${f(r.ofMedians, 3)}  ${f(r.ofMins, 3)}` : 'n/a'}`);
    }
    if (noise.warning) log(`\nWARNING: ${noise.warning}`);
    log('');
    log(`done in ${seconds.toFixed(1)} s`);
    const word = (t) => (t.pass == null ? 'N/A' : t.pass ? 'PASS' : 'FAIL');
    const mt = { 'set<=1.10*floor': targetsMt[0], 'get<=1.10*floor': targetsMt[1] };
    log(
      `RESULT: ${targets
        .map((t) => `${t.text}: ${word(t)} (${f(t.value, 3)})${mt[t.id] ? ` [vs floor-mt: ${word(mt[t.id])} (${f(mt[t.id].value, 3)})]` : ''}`)
        .join('; ')}`,
    );
  }
  if (sink === 0.5) console.log(''); // keeps the summed results observable
  if (CHECK && targets.some((t) => t.pass === false)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
