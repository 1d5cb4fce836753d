#!/usr/bin/env node
// npm run bench: every benchmark in this folder, one after the other, each in
// a process of its own (bench/README.md says what each measures and how).
// Flags: --json (one JSON object, keyed by benchmark); the per-call flags
// (--rounds, --batch-ms, --check, --no-pin) go to set.mjs and get.mjs.
// Run one alone with `node bench/<name>.mjs`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const BENCHES = [
  { name: 'set', args: argv }, // one setKeepAlive vs the C floor, Node core, peers
  { name: 'get', args: argv }, // one getKeepAlive / getTcpInfo vs the C floor, peers
  { name: 'set-long-loop', args: json ? ['--json'] : [] }, // garbage per call, in long loops
  { name: 'sticky-guard', args: json ? ['--json'] : [] }, // what the sticky guard adds to Node's own call
  { name: 'preload-cost', args: json ? ['--json'] : [] }, // the preload at start-up and per connection
  { name: 'connection-lost', args: json ? ['--json'] : [] }, // watching for lost connections: healthy and lost ones
  { name: 'inspect', args: json ? ['--json'] : [] }, // inspect at 1,000 / 5,000 / ~20,000 sockets beside ss; the target's event-loop delay
];
// Deno's hidden descriptors, where Deno is installed (npm run tools), as many sockets as the fd limit allows.
const deno = spawnSync('bash', [join(here, '..', 'scripts', 'npm-tool.sh'), '--cached', 'deno'], { encoding: 'utf8' });
if (deno.status === 0) {
  BENCHES.push({ name: 'deno-fd', args: json ? ['--json'] : [], command: ['bash', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" run -A "$@"', deno.stdout.trim()]] });
} else if (!json) {
  console.log(`bench: deno-fd skipped: ${deno.stdout.trim()}`);
}
const results = {};
let failed = false;
for (const { name, args, command } of BENCHES) {
  const [file, prefix] = command ?? [process.execPath, []];
  const child = spawnSync(file, [...prefix, join(here, `${name}.mjs`), ...args], {
    stdio: ['ignore', json ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (child.status !== 0) {
    console.error(`bench: ${name}.mjs exited with ${child.status ?? child.signal}`);
    failed = true;
  }
  if (json && child.status === 0) results[name] = JSON.parse(child.stdout);
}
if (json) console.log(JSON.stringify(results, null, 2));
if (failed) process.exitCode = 1;
