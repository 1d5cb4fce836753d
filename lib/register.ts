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
import { EnvironmentError, readEnvironment } from './environment.js';
import { setPreloadOptions, type PreloadOptions } from './preload.js';

export type { PreloadOptions } from './preload.js';

interface Registry {
  configure(options: PreloadOptions | false): void;
}

// Two installed copies of the package (a dependency's and the app's) must not
// both hook in: the first one loaded owns the hooks, later ones delegate to it.
const REGISTRY = Symbol.for('tcp-keepalive.register');
const global = globalThis as unknown as Record<symbol, Registry | undefined>;
const owner = global[REGISTRY] ?? { configure: configureHere };
global[REGISTRY] ??= owner;

function configureHere(options: PreloadOptions | false): void {
  setPreloadOptions(options === false ? null : options);
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

function fromEnvironment(): void {
  let settings;
  try {
    settings = readEnvironment(process.env);
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    process.stderr.write(`tcp-keepalive/register: ${error.message}\n`);
    // 9: Node's own exit code for an invalid argument.
    process.exit(9);
  }
  if (settings.kind === 'on') configure(settings.options);
}

if (owner.configure === configureHere) fromEnvironment();
