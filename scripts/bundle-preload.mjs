// dist/integrations/preload.js as one file: tcp-keepalive/register loads it at
// start-up when the environment names a variable, in every Node process it is
// put into (NODE_OPTIONS), and each file the CommonJS loader resolves, reads
// and wraps costs about half a millisecond there. tsc writes dist/; this
// rewrites dist/integrations/preload.js with what start-up needs inlined (the
// environment and its checks, the policy, the hooks: 14 KB). What only a
// socket needs (lib/integrations/preload-sockets.ts: the addon, the set path,
// the pins) stays a separate file, loaded when the first socket appears; so
// does the lost-connection report (lib/integrations/report.ts), loaded only
// where TCP_KEEPALIVE_REPORT asks for it, the rules' parser and matcher
// (lib/integrations/rules.ts), loaded only where rules are given, the
// detection budget's arithmetic (lib/integrations/budget.ts), loaded only
// where TCP_KEEPALIVE_DETECT_WITHIN is set, and the API's option checks
// (lib/core/options.ts), loaded by the first configure().
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/integrations/', import.meta.url));
await build({
  entryPoints: [`${dist}preload.js`],
  outfile: `${dist}preload.js`,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['./preload-sockets.js', './report.js', './rules.js', './budget.js', '../core/options.js'],
  logLevel: 'warning',
});
// The rules' parser and matcher, and the detection budget's arithmetic, each
// one file where its variables are set (their helpers are pure functions: a
// copy of them here shares no state).
for (const name of ['rules', 'budget']) {
  await build({
    entryPoints: [`${dist}${name}.js`],
    outfile: `${dist}${name}.js`,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
}
