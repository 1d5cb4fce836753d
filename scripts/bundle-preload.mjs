// dist/integrations/preload.js as one file: tcp-keepalive/register loads it at
// start-up when the environment names a variable, in every Node process it is
// put into (NODE_OPTIONS), and each file the CommonJS loader resolves, reads
// and wraps costs about half a millisecond there. tsc writes dist/; this
// rewrites dist/integrations/preload.js with what start-up needs inlined (the
// environment, the option checks, the detection budget, the hooks). What only
// a socket needs (lib/integrations/preload-sockets.ts: the addon, the set path,
// the pins) stays a separate file, loaded when the first socket appears; so
// does the lost-connection report (lib/integrations/report.ts), loaded only
// where TCP_KEEPALIVE_REPORT asks for it, and the rules' parser and matcher
// (lib/integrations/rules.ts), loaded only where rules are given.
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
  external: ['./preload-sockets.js', './report.js', './rules.js'],
  logLevel: 'warning',
});
// The rules' parser and matcher, also one file where rules are given (its
// helpers are pure functions: a copy of them here shares no state).
await build({
  entryPoints: [`${dist}rules.js`],
  outfile: `${dist}rules.js`,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
});
