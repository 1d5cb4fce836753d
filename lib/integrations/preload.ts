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
// This file stays small: what happens to a socket (the addon, the set path,
// the pins) is lib/integrations/preload-sockets.ts, loaded when the first
// socket appears.
// No subscriber may throw: a throwing subscriber crashes the program.
import diagnostics from 'node:diagnostics_channel';
import type { Server, Socket } from 'node:net';
import type { KeepAliveOptions, KernelValues } from '../core/options.js';
import { singlePolicy, type Policy } from './policy.js';
import type { PreloadRule } from './rules.js';

// For lib/register.ts, which loads this file only when the environment names a variable.
export { EnvironmentError, readEnvironment } from './environment.js';
import type { ReportSettings } from './environment.js';

export type { PreloadRule, RuleMatch } from './rules.js';

/**
 * What `configure` accepts: the keepalive options (ms) for every connection,
 * plus `sticky` (default `true` here); or `rules` by direction and
 * destination (first match wins), the top-level options then being the
 * default for connections no rule matches.
 */
export type PreloadOptions = Omit<KeepAliveOptions, 'enabled'> & { rules?: readonly PreloadRule[] | undefined };

// Validated and converted once (from the environment, or configure's
// options): the values each kind of connection gets, in kernel units.
let policy: Policy | null = null;
// Whether connections the program opens, and those it accepts, get anything at all.
let opens = false;
let accepts = false;
let installed = false;

type Sockets = typeof import('./preload-sockets.js');
let sockets: Sockets | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (): Sockets => (sockets ??= require('./preload-sockets.js') as Sockets);

/**
 * TCP_KEEPALIVE_REPORT: a line on stderr per lost connection and the pattern
 * per destination at exit, and/or OpenTelemetry metrics. Its file (and with
 * it the addon) loads only when the variable asks for it.
 */
export function startReport(settings: ReportSettings): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./report.js') as typeof import('./report.js')).startReport(settings, (socket) => sockets?.ruleOf(socket));
}

/** configure(): the options sockets get from now on (sticky unless they say not); `null` stops configuring new sockets. */
export function setPreloadOptions(next: PreloadOptions | null): void {
  if (next === null) {
    policy = null;
    opens = accepts = false;
    return;
  }
  // Validated here, once, so a bad value fails the caller, not a subscriber.
  // The API's option checks load with the first configure() (the environment
  // path has its own, smaller ones, so start-up does not carry them).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { toKernelValues } = require('../core/options.js') as { toKernelValues(options: unknown): KernelValues };
  if (typeof next !== 'object' || next.rules === undefined) {
    const values = toKernelValues(next);
    if (values.sticky === -1) values.sticky = 1;
    setPreloadPolicy(singlePolicy(values));
    return;
  }
  const { rules, ...rest } = next;
  const values = toKernelValues(rest);
  const sticky = values.sticky === -1 ? 1 : values.sticky;
  // Top-level values besides sticky: the default rule.
  const plain = Object.keys(rest).some((key) => key !== 'sticky' && (rest as Record<string, unknown>)[key] !== undefined);
  // The rules' parser loads only where rules are given (it is not in the start-up bundle).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { configuredPolicy } = require('./rules.js') as typeof import('./rules.js');
  setPreloadPolicy(configuredPolicy(rules, plain ? { ...values, enabled: 1, sticky } : undefined, sticky));
}

/** The policy sockets get from now on, as the environment or configure() gives it. */
export function setPreloadPolicy(next: Policy): void {
  policy = next;
  opens = next.byDestination || (next.opened?.values ?? null) !== null;
  accepts = (next.accepted?.values ?? null) !== null;
  if (!installed) install();
  installed = true;
}

function install(): void {
  // Deno publishes node:net's channels, but its fetch is its own (not undici): said once, not left to be found out.
  // (Checked here rather than through lib/core/target.ts, which would bring the addon into the start-up bundle.)
  if (typeof (globalThis as { Deno?: unknown }).Deno === 'object') {
    process.emitWarning("tcp-keepalive/register: under Deno, Deno's fetch is its own, not undici: its connections are out of this preload's reach (node:net, node:http, node:https and node:tls connections are reached)", {
      code: 'TCP_KEEPALIVE_PRELOAD',
    });
  }
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
// (pg); later versions publish it from Socket.prototype.connect itself. The
// version says which without loading net; elsewhere (other lines, Bun) the
// method's own code does.
function clientChannelCoversEveryConnect(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (!('bun' in process.versions)) {
    if (major >= 25 || (major === 24 && minor >= 2) || (major === 22 && minor >= 17)) return true;
    if (major === 20 || major === 22 || major === 24) return false;
  }
  return net().Socket.prototype.connect.toString().includes('netClientSocketChannel');
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const net = (): typeof import('node:net') => require('node:net') as typeof import('node:net');

function wrapConnect(): void {
  const proto = net().Socket.prototype as unknown as { connect: (this: Socket, ...args: unknown[]) => Socket };
  const original = proto.connect;
  const connect = function connect(this: Socket, ...args: unknown[]): Socket {
    const result = original.apply(this, args);
    if (opens) load().configureClient(this, policy!);
    return result;
  };
  Object.defineProperty(connect, 'length', { value: original.length });
  try {
    proto.connect = connect;
  } catch {
    // A frozen net.Socket.prototype: the channel still reaches net.connect() clients.
    process.emitWarning(
      'tcp-keepalive/register: net.Socket.prototype is frozen, so tls.connect and new net.Socket().connect() ' +
        `clients are not reached on Node ${process.version} (net.connect clients and servers are)`,
      { code: 'TCP_KEEPALIVE_PRELOAD' },
    );
    diagnostics.subscribe('net.client.socket', onClientSocket);
  }
}

// Published inside connect(), sometimes before the handle exists; one tick
// later the handle tells TCP from a Unix domain socket, and the socket is
// still connecting (completion needs a turn of the event loop).
function onClientSocket(message: unknown): void {
  if (opens) process.nextTick(configureLater, (message as { socket: Socket }).socket);
}

function configureLater(socket: Socket): void {
  if (opens) load().configureClient(socket, policy!);
}

function onListen(message: unknown): void {
  if (accepts) load().configureListener((message as { server: Server }).server, policy!);
}

function onAccepted(message: unknown): void {
  if (accepts) load().configureAccepted((message as { socket: Socket }).socket, policy!);
}

function onConnected(message: unknown): void {
  if (opens) load().configureConnected((message as { socket: unknown }).socket, policy!);
}
