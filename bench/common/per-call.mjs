// The method of the per-call benchmarks (bench/set.mjs, bench/get.mjs; see
// bench/README.md): each variant timed with process.hrtime.bigint() around a
// batch sized to ~2 ms, in interleaved rounds with the C floor's batches,
// pinned to one CPU; a variant's figure is the median of its per-round ns/op,
// a ratio the median of per-round ratios. Then one table, or JSON.
//
// Flags: --json, --rounds N (default 201), --batch-ms MS (default 2),
// --check (exit 1 if a target is missed), --no-pin.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { buildFloor, connectLoopback, library, MASK, startFloor } from './floor.mjs';
import { interleave } from './rounds.mjs';
import { pairedRatio, summary } from './stats.mjs';

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
  const child = spawnSync('taskset', ['-c', cpu, process.execPath, ...process.execArgv, process.argv[1], ...argv], {
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

/** A variant that runs in the C floor child, or why it cannot. */
export function floorVariant(id, floor, kind, label, syscalls) {
  return floor.error
    ? { id, group: kind, label, syscalls, unavailable: floor.error }
    : { id, group: kind, label, syscalls, child: true, run: (n) => floor.run(kind, n) };
}

// Checks that a set variant really leaves the values it claims: after n calls
// the last set applied is (n - 1) & MASK.
function verify(variant, socket) {
  if (!variant.expect) return;
  const { getKeepAlive } = library();
  for (let k = 0; k <= MASK; k++) {
    variant.run(k + 1 + MASK + 1); // ends on set k
    const got = getKeepAlive(socket);
    const want = variant.expect(k);
    for (const key of Object.keys(want)) {
      if (got[key] !== want[key]) throw new Error(`bench: ${variant.id} left ${key}=${got[key]}, expected ${want[key]}`);
    }
  }
  variant.verified = true;
}

/**
 * Measures the variants `variants(socket, floor, floorMt)` returns, on one
 * connected loopback socket with the C floor (single-threaded, and with one
 * idle thread) running beside, and reports them.
 * ratios: { 'a/b': [idA, idB] }; targets: [{ id, ratio, limit, strict, text, vsFloorMt? }].
 */
export async function measurePerCall({ title, variants: make, ratios, targets }) {
  const { server, socket } = await connectLoopback();
  const built = buildFloor();
  const floor = await startFloor(built, 0);
  const floorMt = await startFloor(built, 1);
  try {
    await measure({ title, socket, variants: make(socket, floor, floorMt), ratios, targets });
  } finally {
    floor.stop?.();
    floorMt.stop?.();
    socket.destroy();
    server.close();
  }
}

async function measure({ title, socket, variants, ratios: wanted, targets: specified }) {
  const started = performance.now();
  const loadavgBefore = os.loadavg()[0];
  const live = variants.filter((v) => !v.unavailable);

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
        verify(v, socket);
        let ns = v.run(2000);
        const deadline = performance.now() + 100;
        while (performance.now() < deadline) ns = Math.min(ns, v.run(1000));
        v.n = Math.max(50, Math.round((BATCH_MS * 1e6) / ns));
      }
    } catch (error) {
      v.unavailable = `failed: ${error.message.split('\n')[0]}`;
    }
  }
  const measured = variants.filter((v) => !v.unavailable);
  await interleave(measured, ROUNDS, (v) => v.run(v.n), (r) => progress(`round ${r + 1}/${ROUNDS}`));
  progress('');

  const byId = Object.fromEntries(variants.map((v) => [v.id, v]));
  for (const v of measured) v.stats = summary(v.samples);
  const ratio = (a, b) => (byId[a]?.stats && byId[b]?.stats ? pairedRatio(byId[a].samples, byId[b].samples) : null);
  const ratios = Object.fromEntries(Object.entries(wanted).map(([name, [a, b]]) => [name, ratio(a, b)]));
  const targets = specified.map((t) => {
    const value = ratios[t.ratio]?.paired ?? null;
    return { ...t, value, pass: value == null ? null : t.strict ? value < t.limit : value <= t.limit };
  });
  const seconds = (performance.now() - started) / 1000;
  // How steady the machine was: the spread of the C floor's batches (it does
  // the same work every time) and the load average around the run.
  const spread = (v) => (v?.stats ? (v.stats.p75 - v.stats.p25) / v.stats.median : 0);
  const noise = {
    loadavgBefore,
    loadavgAfter: os.loadavg()[0],
    floorSpread: Math.max(0, ...variants.filter((v) => v.id.endsWith('-floor')).map(spread)),
  };
  // (The load average after includes this run's own ~1 busy core.)
  if (noise.floorSpread > 0.1 || noise.loadavgBefore > 1.5 || noise.loadavgAfter > 2.5) {
    noise.warning =
      `the machine was busy (load average ${loadavgBefore.toFixed(2)} before, ${noise.loadavgAfter.toFixed(2)} after; ` +
      `C floor p25-p75 spread ${(noise.floorSpread * 100).toFixed(1)}% of its median): ratios are less certain, run again when it is idle`;
  }

  if (JSON_OUT) {
    console.log(
      JSON.stringify(
        {
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
          targets: Object.fromEntries(targets.map((t) => [t.id, { value: t.value, limit: t.limit, pass: t.pass }])),
        },
        null,
        2,
      ),
    );
  } else {
    report({ title, variants, ratio, ratios, targets, noise, seconds });
  }
  if (CHECK && targets.some((t) => t.pass === false && !t.vsFloorMt)) process.exitCode = 1;
}

function report({ title, variants, ratio, ratios, targets, noise, seconds }) {
  const f = (x, d = 0) => (x == null ? '-' : x.toFixed(d));
  log(`\n${title}: Node ${process.version}, ${process.platform}-${process.arch}, ${os.cpus()[0]?.model} x${os.cpus().length}, kernel ${os.release()}`);
  const pinned = process.env.TCP_KEEPALIVE_BENCH_CPU;
  log(
    `one loopback socket; ${ROUNDS} rounds, each variant once per round in rotated order, ~${BATCH_MS} ms per batch; ` +
      `${pinned ? `pinned to CPU ${pinned}` : 'not pinned'}; ns per operation`,
  );
  log('');
  const head = ['variant', 'sys', 'batch', 'median', 'p25', 'p75', 'min', 'x floor', 'x floor-mt'];
  const rows = [];
  for (const group of [...new Set(variants.map((v) => v.group))]) {
    if (rows.length) rows.push(null);
    for (const v of variants.filter((x) => x.group === group)) {
      const name = `${group}  ${v.label}`;
      if (v.unavailable) {
        rows.push([name, String(v.syscalls), '-', v.unavailable]);
        continue;
      }
      const vs = (floorId) => (v.id === floorId ? '1.00' : f(ratio(v.id, floorId)?.paired, 2));
      rows.push([name, String(v.syscalls), String(v.n), f(v.stats.median), f(v.stats.p25), f(v.stats.p75), f(v.stats.min), vs(`${group}-floor`), vs(`${group}-floor-mt`)]);
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
  // The targets as specified (against the single-threaded C floor), each with
  // the same target against the floor a Node process can reach beside it.
  const word = (t) => (t.pass == null ? 'N/A' : t.pass ? 'PASS' : 'FAIL');
  const main = targets.filter((t) => !t.vsFloorMt);
  const mt = Object.fromEntries(targets.filter((t) => t.vsFloorMt).map((t) => [t.vsFloorMt, t]));
  log(
    `RESULT: ${main
      .map((t) => `${t.text}: ${word(t)} (${f(t.value, 3)})${mt[t.id] ? ` [vs floor-mt: ${word(mt[t.id])} (${f(mt[t.id].value, 3)})]` : ''}`)
      .join('; ')}`,
  );
}
