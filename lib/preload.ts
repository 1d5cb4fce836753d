// The hooks behind tcp-keepalive/register: every TCP connection a program
// makes or accepts gets the configured keepalive, with no change to its code.
//
// Where Node publishes sockets on a public diagnostics_channel, that is the
// hook; only where the running Node lacks one is a prototype wrapped, once:
// - listening servers: `tracing:net.server.listen:asyncEnd` (Node 20.16+, 22.3+):
//   set once on the listener; accepted sockets inherit it at no syscall;
// - accepted sockets: `net.server.socket`: per socket only where the listener
//   could not be set (cluster workers, Node without the listen channel);
// - client sockets: `net.client.socket` where it covers tls.connect and
//   `new net.Socket().connect()` (Node 22.17+, 24.2+, 26), else a wrapper
//   around net.Socket.prototype.connect (which net.connect also goes through);
// - fetch/undici: `undici:client:connected`, for any socket not seen at connect.
// No subscriber may throw: a throwing subscriber crashes the program.
import diagnostics from 'node:diagnostics_channel';
import { Server, Socket } from 'node:net';
import { setValues } from './apply.js';
import { binding } from './binding.js';
import { coreSetsIntervalAndCount } from './fallback.js';
import { nodeEnabledKeepAlive } from './node-state.js';
import { toKernelValues, type KernelValues, type KeepAliveOptions } from './options.js';
import { pin } from './sticky.js';

/** What `configure` accepts: the keepalive options (ms), plus `sticky` (default `true` here). */
export type PreloadOptions = Omit<KeepAliveOptions, 'enabled'>;

// Validated and converted once; every socket gets the same kernel values.
let options: KernelValues | null = null;
let installed = false;

/** The options sockets get from now on; `null` stops configuring new sockets. */
export function setPreloadOptions(next: PreloadOptions | null): void {
  if (next === null) {
    options = null;
    return;
  }
  // Validated here, once, so a bad value fails the caller, not a subscriber.
  toKernelValues(next);
  options = toKernelValues({ ...next, sticky: next.sticky ?? true });
  if (binding === null) options = withoutUnsupported(options);
  if (!installed) install();
  installed = true;
}

// Without the addon, what Node cannot set is dropped once, with one warning,
// rather than failing every socket.
function withoutUnsupported(values: KernelValues): KernelValues {
  const dropped: string[] = [];
  const kept = { ...values };
  if (kept.userTimeoutMs >= 0) {
    dropped.push('user timeout');
    kept.userTimeoutMs = -1;
  }
  if (!coreSetsIntervalAndCount && (kept.intervalSeconds >= 0 || kept.count >= 0)) {
    dropped.push('interval and count');
    kept.intervalSeconds = -1;
    kept.count = -1;
  }
  if (dropped.length > 0) {
    process.emitWarning(`tcp-keepalive/register: ${dropped.join(', ')} cannot be set on ${process.platform} without the native addon; setting the rest`, {
      code: 'TCP_KEEPALIVE_PRELOAD',
    });
  }
  return kept;
}

const configuredServers = new WeakSet<Server>();
// Sockets configured at connect(): fetch's own sockets are seen there and
// again at undici:client:connected. Not a reason to skip a later connect():
// a net.Socket may connect again after 'close', and each connection is new
// to the kernel.
const configuredAtConnect = new WeakSet<Socket>();

function install(): void {
  diagnostics.subscribe('tracing:net.server.listen:asyncEnd', onListen);
  diagnostics.subscribe('net.server.socket', onAccepted);
  diagnostics.subscribe('undici:client:connected', onConnected);
  if (clientChannelCoversEveryConnect()) {
    diagnostics.subscribe('net.client.socket', onClientSocket);
  } else {
    wrapConnect();
  }
}

// Node 20, 22.0–22.16 and 24.0–24.1 publish net.client.socket from
// net.connect() only, missing tls.connect and `new net.Socket().connect()`
// (pg); later versions publish it from Socket.prototype.connect itself.
function clientChannelCoversEveryConnect(): boolean {
  return Socket.prototype.connect.toString().includes('netClientSocketChannel');
}

function wrapConnect(): void {
  const proto = Socket.prototype as unknown as { connect: (this: Socket, ...args: unknown[]) => Socket };
  const original = proto.connect;
  const connect = function connect(this: Socket, ...args: unknown[]): Socket {
    const result = original.apply(this, args);
    configureClient(this);
    return result;
  };
  Object.defineProperty(connect, 'length', { value: original.length });
  proto.connect = connect;
}

// Published inside connect(), sometimes before the handle exists; one tick
// later the handle tells TCP from a Unix domain socket, and the socket is
// still connecting (completion needs a turn of the event loop).
function onClientSocket(message: unknown): void {
  const { socket } = message as { socket: Socket };
  process.nextTick(configureClient, socket);
}

// Every connect() call: the wrapper or net.client.socket runs once per call.
function configureClient(socket: Socket): void {
  if (options === null) return;
  configuredAtConnect.add(socket);
  apply(socket);
}

function onListen(message: unknown): void {
  const { server } = message as { server: Server };
  // Without the addon a listener takes only Node's idle: set sockets one by one instead.
  if (options === null || binding === null) return;
  if (apply(server)) configuredServers.add(server);
}

function onAccepted(message: unknown): void {
  const { socket } = message as { socket: Socket };
  if (options === null) return;
  const server = (socket as unknown as { server?: Server }).server;
  // The channel publishes after the 'connection' handlers ran: if one called
  // Node's setKeepAlive, the inherited values are gone and need a set of their own.
  if (server !== undefined && configuredServers.has(server) && !nodeEnabledKeepAlive(socket)) {
    // Inherited from the listener: nothing to set, only the pin to remember.
    if (options.sticky === 1) pin(socket, options, setValues);
    return;
  }
  apply(socket);
}

function onConnected(message: unknown): void {
  const { socket } = message as { socket: Socket };
  if (options === null || !(socket instanceof Socket) || configuredAtConnect.has(socket)) return;
  configuredAtConnect.add(socket);
  apply(socket);
}

// Codes that mean "not a TCP socket, or gone": left alone without a word.
const IGNORED = new Set(['ERR_INVALID_ARG_VALUE', 'ERR_SOCKET_CLOSED', 'ERR_SERVER_NOT_RUNNING', 'ERR_INVALID_ARG_TYPE']);
const warned = new Set<string>();

function apply(target: Socket | Server): boolean {
  try {
    setValues(target, options!);
    return true;
  } catch (error) {
    const code = String((error as { code?: unknown }).code);
    if (!IGNORED.has(code) && !warned.has(code)) {
      warned.add(code);
      process.emitWarning(`tcp-keepalive/register: keepalive not applied: ${(error as Error).message}`, { code: 'TCP_KEEPALIVE_PRELOAD' });
    }
    return false;
  }
}
