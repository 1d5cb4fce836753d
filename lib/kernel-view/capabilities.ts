// What this platform can do, so a program can decide before it calls.
import { coreSetsIntervalAndCount } from '../core/fallback.js';
import { addonLoaded } from '../core/native.js';
import { IS_DENO } from '../core/target.js';

export interface OptionSupport {
  enabled: boolean;
  idle: boolean;
  interval: boolean;
  count: boolean;
  userTimeout: boolean;
}

export interface Capabilities {
  /** `process.platform`. */
  platform: NodeJS.Platform;
  /** Whether the native addon is loaded (Linux); otherwise Node's own API is all there is. */
  native: boolean;
  /** What `setKeepAlive` can set on a socket. */
  socket: OptionSupport;
  /** What `setKeepAlive` can set on a listening server (accepted sockets get it). */
  server: OptionSupport;
  /** `getKeepAlive`: reading the values in force back from the kernel. */
  readBack: boolean;
  /** `getTcpInfo`. */
  tcpInfo: boolean;
  /** `inspectProcess` and `tcp-keepalive inspect`. */
  inspectProcess: boolean;
  /** `sticky: true` (pinning values against Node's later calls). */
  sticky: boolean;
  /**
   * Where each socket's descriptor comes from: Node's and Bun's handles carry
   * it (`'handle'`); Deno's hide it, and the library finds it in this
   * process's descriptor table by the socket's addresses (`'by-address'`:
   * where none matches, the runtime's own setKeepAlive is all there is);
   * without the addon, none is used (`'none'`).
   */
  descriptor: 'handle' | 'by-address' | 'none';
}

export const capabilities: Readonly<Capabilities> = Object.freeze({
  platform: process.platform,
  native: addonLoaded,
  socket: Object.freeze({
    enabled: true,
    idle: true,
    interval: addonLoaded || coreSetsIntervalAndCount,
    count: addonLoaded || coreSetsIntervalAndCount,
    userTimeout: addonLoaded,
  }),
  server: Object.freeze({ enabled: true, idle: true, interval: addonLoaded, count: addonLoaded, userTimeout: addonLoaded }),
  readBack: addonLoaded,
  tcpInfo: addonLoaded,
  inspectProcess: addonLoaded && process.platform === 'linux',
  sticky: true,
  descriptor: !addonLoaded ? 'none' : IS_DENO ? 'by-address' : 'handle',
});
