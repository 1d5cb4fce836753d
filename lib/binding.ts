// Loads the native addon: a prebuilt binary from prebuilds/<platform>-<arch>/
// or a local build from build/, whichever node-gyp-build finds first.
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
  /** Reads another process's socket from outside (pidfd_getfd) into the option and info slots; returns the failed call's name, or undefined. */
  inspect(pid: number, fd: number): string | undefined;
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

function load(): Binding {
  const packageDir = join(__dirname, '..');
  try {
    return nodeGypBuild(packageDir) as Binding;
  } catch (cause) {
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

export const binding: Binding = load();
