/**
 * tcp-keepalive/register: keepalive for programs that never touch a socket.
 *
 *   KEEPIDLE=30 KEEPINTVL=10 KEEPCNT=3 node --require tcp-keepalive/register app.js
 *   NODE_OPTIONS="--import tcp-keepalive/register" TCP_USER_TIMEOUT=60000 node app.mjs
 *
 * With no variable set it does nothing at all; a bad value stops the program
 * at startup with one line naming the variable, its value and the valid range.
 * One CommonJS file, so --require, --import, NODE_OPTIONS and import all load
 * the same instance.
 */
import type { PreloadOptions } from './integrations/preload.js';

export type { PreloadOptions, PreloadRule, RuleMatch } from './integrations/preload.js';

interface Registry {
  configure(options: PreloadOptions | false): void;
}

// Two installed copies of the package (a dependency's and the app's) must not
// both hook in: the first one loaded owns the hooks, later ones delegate to it.
const REGISTRY = Symbol.for('tcp-keepalive.register');
const global = globalThis as unknown as Record<symbol, Registry | undefined>;
const owner = global[REGISTRY] ?? { configure: configureHere };
global[REGISTRY] ??= owner;

// The hooks load only once something is configured: with no variable set, a
// process pays for reading its environment and nothing else. dist/integrations/preload.js
// is one file (scripts/bundle-preload.mjs).
let preload: typeof import('./integrations/preload.js') | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (): typeof import('./integrations/preload.js') => (preload ??= require('./integrations/preload.js') as typeof import('./integrations/preload.js'));

function configureHere(options: PreloadOptions | false): void {
  if (options === false && preload === undefined) return;
  load().setPreloadOptions(options === false ? null : options);
}

/**
 * Sets the keepalive every TCP connection gets from now on, as the
 * environment variables do (times in ms here, as in the rest of the API;
 * `sticky` defaults to `true`). `false` stops configuring new sockets.
 * Throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad options.
 */
export function configure(options: PreloadOptions | false): void {
  owner.configure(options);
}

// Every name lib/integrations/environment.ts reads
// (test/integrations/register.test.ts holds the two lists together). Looked
// up here first, so that a process that names none of them (a preload in
// NODE_OPTIONS reaches every script and CLI) loads no other file of this
// package: each costs about half a millisecond.
const NAMES = [
  'TCP_KEEPALIVE_IDLE', 'KEEPIDLE', 'TCP_KEEPALIVE_INTERVAL', 'KEEPINTVL', 'TCP_KEEPALIVE_COUNT', 'KEEPCNT',
  'TCP_KEEPALIVE_USER_TIMEOUT', 'TCP_USER_TIMEOUT', 'TCP_KEEPALIVE', 'KEEPALIVE', 'TCP_KEEPALIVE_STICKY',
  'TCP_KEEPALIVE_DETECT_WITHIN', 'TCP_KEEPALIVE_NAT_IDLE', 'TCP_KEEPALIVE_PROBES', 'TCP_KEEPALIVE_REPORT',
  'TCP_KEEPALIVE_RULES',
];

function fromEnvironment(): void {
  const env = process.env;
  if (!NAMES.some((name) => env[name] !== undefined && env[name] !== '')) return;
  const { EnvironmentError, readEnvironment } = load();
  let settings;
  try {
    settings = readEnvironment(env);
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    process.stderr.write(`tcp-keepalive/register: ${error.message}\n`);
    // 9: Node's own exit code for an invalid argument.
    process.exit(9);
  }
  // Already in the kernel's units: no second parse.
  if (settings.keepAlive.kind === 'on') load().setPreloadPolicy(settings.keepAlive.policy);
  if (settings.report !== null) load().startReport(settings.report);
}

if (owner.configure === configureHere) fromEnvironment();
