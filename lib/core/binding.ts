// Loads the native addon: a prebuilt binary from prebuilds/<platform>-<arch>/
// or a local build from build/, whichever node-gyp-build finds first. On Linux
// a missing binary is an install problem and loading fails with a clear error;
// elsewhere (macOS, Windows, the BSDs: nothing prebuilt yet) the library runs
// on Node's own API instead (lib/core/fallback.ts), and `binding` is null.
import { join, sep } from 'node:path';

/** What src/binding.cc exports. */
export interface Binding {
  /** Applies every option slot >= 0 to the socket in the fd slot; 0 or a negative errno in the result slot. */
  set(): void;
  /** Fills the option slots from the kernel for the socket in the fd slot; result slot as for set(). */
  get(): void;
  /** Shared scratch space for the values of one call (see src/binding.cc). */
  slots: Int32Array;
  /** Slot index of each value. */
  layout: {
    idle: number;
    interval: number;
    count: number;
    userTimeout: number;
    enabled: number;
    failed: number;
    fd: number;
    result: number;
  };
  /** Kernel option names indexed by the number in the `failed` slot. */
  optionNames: string[];
  /** One getsockopt(TCP_INFO) on the socket in the fd slot into infoSlots; result slot as for set(). */
  info(): void;
  /** Reads another process's socket from outside (pidfd_getfd) into the option and info slots, if fd still is the socket with that inode; returns the failed call's name, or undefined. */
  inspect(pid: number, fd: number, inode: number): string | undefined;
  /** TCP_INFO fields of the last info() or inspect(), in kernel units. */
  infoSlots: Uint32Array;
  /** Index of each TCP_INFO field in infoSlots. */
  infoLayout: {
    state: number;
    retransmits: number;
    probes: number;
    backoff: number;
    rtoUs: number;
    rttUs: number;
    rttVarUs: number;
    unacked: number;
    lost: number;
    totalRetrans: number;
    lastDataSentMs: number;
    lastDataRecvMs: number;
    lastAckRecvMs: number;
  };
  /** TCP state names indexed by tcpi_state, from the system header. */
  stateNames: string[];
  /** True when a policy here refuses socket options, so every set reads what it changes first (see src/keepalive.h). */
  restoresOnFailure: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild: (dir: string) => unknown = require('node-gyp-build');

/** Platforms whose prebuilds ship: a missing binary there is an error, not a reason to fall back. */
const NATIVE_PLATFORMS = new Set(['linux']);

function load(): Binding | null {
  // Only for the tests of the fallback path on Linux (test/core/fallback.test.ts).
  if (process.env.TCP_KEEPALIVE_FORCE_FALLBACK === '1') return null;
  // dist/core/binding.js: the package is two folders up.
  const packageDir = join(__dirname, '..', '..');
  try {
    return nodeGypBuild(packageDir) as Binding;
  } catch (cause) {
    if (!NATIVE_PLATFORMS.has(process.platform)) return null;
    const target = `${process.platform}-${process.arch}`;
    // Installed as a dependency it sits in node_modules; anywhere else it is a
    // clone of the repository, which is built in place.
    const installed = packageDir.split(sep).includes('node_modules');
    const build = installed
      ? 'npm explore tcp-keepalive -- npm run build:native'
      : `npm run build (in ${packageDir}, the clone)`;
    throw Object.assign(
      new Error(
        `tcp-keepalive: no prebuilt binary for ${target} (Node ${process.version}) and no local build in ${packageDir}. ` +
          `Build it from source (needs python3, make and a C++ compiler) with: ${build}`,
        { cause },
      ),
      { code: 'ERR_TCP_KEEPALIVE_NO_BINARY' },
    );
  }
}

export const binding: Binding | null = load();

/**
 * Thrown when other code has detached the arrays shared with the addon
 * (structuredClone with transfer, ArrayBuffer.prototype.transfer): the addon's
 * memory is safe, but calls can no longer pass values through it.
 */
export function detached(): Error {
  return Object.assign(
    new Error(
      "tcp-keepalive: the addon's shared arrays were detached by other code (transferred with structuredClone or " +
        'ArrayBuffer.prototype.transfer); no call can pass values to the addon any more in this thread',
    ),
    { code: 'ERR_TCP_KEEPALIVE_DETACHED' },
  );
}

/** Thrown for what needs the native addon where it is not loaded. */
export function unsupported(what: string, option?: string): Error {
  return Object.assign(
    new Error(
      `tcp-keepalive: ${what} is not supported on ${process.platform} without the native addon ` +
        `(Node's own socket.setKeepAlive is all there is here; see capabilities)`,
    ),
    { code: 'ERR_TCP_KEEPALIVE_UNSUPPORTED', platform: process.platform, ...(option === undefined ? {} : { option }) },
  );
}

// Where the addon is not loaded, the modules that make native calls get this
// stand-in: same slots, and every call throws ERR_TCP_KEEPALIVE_UNSUPPORTED.
// The public functions check `binding === null` first, so these throws are a
// backstop, never the path a caller normally meets.
function standIn(): Binding {
  const refuse = (what: string) => (): never => {
    throw unsupported(what);
  };
  return {
    set: refuse('setting options natively'),
    get: refuse('reading keepalive values back'),
    info: refuse('reading TCP_INFO'),
    inspect: refuse('inspecting another process'),
    slots: new Int32Array(8),
    layout: { idle: 0, interval: 1, count: 2, userTimeout: 3, enabled: 4, failed: 5, fd: 6, result: 7 },
    optionNames: ['TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_USER_TIMEOUT', 'SO_KEEPALIVE'],
    infoSlots: new Uint32Array(13),
    infoLayout: {
      state: 0, retransmits: 1, probes: 2, backoff: 3, rtoUs: 4, rttUs: 5, rttVarUs: 6,
      unacked: 7, lost: 8, totalRetrans: 9, lastDataSentMs: 10, lastDataRecvMs: 11, lastAckRecvMs: 12,
    },
    stateNames: [],
    restoresOnFailure: false,
  };
}

/** The addon, or where it is not loaded a stand-in whose calls throw ERR_TCP_KEEPALIVE_UNSUPPORTED. */
export const native: Binding = binding ?? standIn();
