// What the preload does to each socket, loaded at the first one
// (lib/integrations/preload.ts holds the hooks and loads this): the addon,
// the set path and the pins are paid for by programs that open a connection,
// not by every process the preload is put into.
import { Server, Socket } from 'node:net';
import { applyToTarget } from '../core/apply.js';
import { coreSetsIntervalAndCount } from '../core/fallback.js';
import { addonLoaded } from '../core/native.js';
import { acceptedAsNodeLeftIt, nodeKeepAlive, sameNodeKeepAlive } from '../core/node-state.js';
import type { KernelValues } from '../core/options.js';
import { installGuard, pinAccepted, pinnedValues } from '../core/sticky.js';
import { innermostSocket } from '../core/target.js';
import { connectionLostChannel } from '../core/watch.js';
import type { Policy, Rule } from './policy.js';
import type { ruleFor as RuleFor } from './rules.js';

// Matching by destination: rules.js is loaded already wherever a policy has `to` rules.
let matcher: typeof RuleFor | undefined;
function ruleFor(policy: Policy, address: string | undefined, port: number | undefined): Rule | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  matcher ??= (require('./rules.js') as typeof import('./rules.js')).ruleFor;
  return matcher(policy, address, port);
}
// Sockets configured here are reported when they are lost, to whatever subscribes.
import '../kernel-view/connection-lost.js';

// Without the addon, what Node cannot set is dropped once, with one warning,
// rather than failing every socket.
let lastGiven: KernelValues | undefined;
let lastUsable: KernelValues | undefined;
function usable(values: KernelValues): KernelValues {
  if (values === lastGiven) return lastUsable!;
  const sticky = values.sticky !== 1 || installGuard();
  if (addonLoaded && sticky) return values;
  const dropped: string[] = [];
  const kept = { ...values };
  if (!sticky) {
    // A frozen net.Socket.prototype: values still go on, Node's later calls may reset them.
    dropped.push('sticky (net.Socket.prototype.setKeepAlive cannot be wrapped)');
    kept.sticky = -1;
  }
  if (!addonLoaded && kept.userTimeoutMs >= 0) {
    dropped.push('user timeout');
    kept.userTimeoutMs = -1;
  }
  if (!addonLoaded && !coreSetsIntervalAndCount && (kept.intervalSeconds >= 0 || kept.count >= 0)) {
    dropped.push('interval and count');
    kept.intervalSeconds = -1;
    kept.count = -1;
  }
  if (dropped.length > 0) {
    const why = addonLoaded ? ' is not available in this process' : ` cannot be set on ${process.platform} without the native addon`;
    process.emitWarning(`tcp-keepalive/register: ${dropped.join(', ')}${why}; setting the rest`, {
      code: 'TCP_KEEPALIVE_PRELOAD',
    });
  }
  lastGiven = values;
  lastUsable = kept;
  return kept;
}

const configuredServers = new WeakSet<Server>();
// Sockets configured at connect(): fetch's own sockets are seen there and
// again at undici:client:connected. Not a reason to skip a later connect():
// a net.Socket may connect again after 'close', and each connection is new
// to the kernel.
const configuredAtConnect = new WeakSet<Socket>();
// Which rule each connection got, by its TCP socket, for the lost-connection
// report; kept only where rules were given (policy.named) and something
// listens for lost connections.
const ruleNames = new WeakMap<Socket, string>();

/** The rule a connection was configured by, where the preload has rules. */
export function ruleOf(socket: Socket): string | undefined {
  return ruleNames.get(innermostSocket(socket));
}

/** Every connect() call: the wrapper or net.client.socket runs once per call. */
export function configureClient(socket: Socket, policy: Policy): void {
  if (socket.destroyed) return; // closed before the channel's next tick
  if (!policy.byDestination) {
    applyRule(socket, policy.opened, policy);
  } else if (socket.connecting || socket.remoteAddress === undefined) {
    // The address is known once connected (a host name resolves first, and
    // autoSelectFamily may try several): the rule is chosen then.
    awaitDestination(socket, policy);
  } else {
    applyRule(socket, ruleFor(policy, socket.remoteAddress, socket.remotePort), policy);
  }
}

function applyRule(socket: Socket, rule: Rule | undefined, policy: Policy): void {
  if (rule === undefined || rule.values === null) return; // no rule, or off: as Node made it
  if (policy.named && connectionLostChannel.hasSubscribers) ruleNames.set(innermostSocket(socket), rule.name);
  const applied = usable(rule.values);
  // A pinned socket is marked by its pin already (sticky, the default, where it can be had).
  if (applied.sticky !== 1) configuredAtConnect.add(socket);
  applyOrWarn(socket, applied);
}

// One entry and one set of listeners per connecting socket, however many
// connect() calls are seen before it connects (as lib/core/connecting.ts).
// The destination comes from Node's 'connectionAttempt' (the address and
// port each attempt goes to; the last is the one that connected), which
// saves a getpeername per connection (~1 us here); remoteAddress where no
// attempt was seen. With each entry, Node's own keepalive record then
// (unless pinned values will outlast Node's calls anyway): a program's own
// setKeepAlive before 'connect' is the later call and wins, as on the path
// without rules.
interface Awaiting {
  policy: Policy;
  nodeState: unknown[] | null;
  address: string | undefined;
  port: number | undefined;
}
const awaiting = new WeakMap<Socket, Awaiting>();

function awaitDestination(socket: Socket, policy: Policy): void {
  const earlier = awaiting.get(socket);
  awaiting.set(socket, { policy, nodeState: policy.pinned ? null : nodeKeepAlive(socket), address: earlier?.address, port: earlier?.port });
  if (earlier !== undefined) return;
  // First among the 'connect' listeners: the values are in force in the program's own.
  socket.prependListener('connect', onDestination);
  socket.on('connectionAttempt', onAttempt);
  socket.on('close', onCloseAwaiting);
}

function onAttempt(this: Socket, address: string, port: number): void {
  const entry = awaiting.get(this);
  if (entry !== undefined) {
    entry.address = address;
    entry.port = port;
  }
}

function onDestination(this: Socket): void {
  this.removeListener('connect', onDestination);
  this.removeListener('connectionAttempt', onAttempt);
  this.removeListener('close', onCloseAwaiting);
  const entry = awaiting.get(this);
  awaiting.delete(this);
  // A socket destroyed on its way (an aborted tls.connect still emits 'connect'): nothing to set, nothing to say.
  if (entry === undefined || this.destroyed) return;
  const rule = entry.address === undefined ? ruleFor(entry.policy, this.remoteAddress, this.remotePort) : ruleFor(entry.policy, entry.address, entry.port);
  if (rule?.values != null && rule.values.sticky !== 1 && entry.nodeState !== null && !sameNodeKeepAlive(nodeKeepAlive(this), entry.nodeState)) {
    // The program's own call came later: it keeps what it set; the user timeout (Node never sets one) still goes on.
    applyRule(this, { ...rule, values: { ...rule.values, enabled: -1, idleSeconds: -1, intervalSeconds: -1, count: -1 } }, entry.policy);
    return;
  }
  applyRule(this, rule, entry.policy);
}

function onCloseAwaiting(this: Socket): void {
  // Connecting again already (a retry loop on one object): the entry is the new connection's.
  if (this.connecting) return;
  this.removeListener('close', onCloseAwaiting);
  this.removeListener('connectionAttempt', onAttempt);
  this.removeListener('connect', onDestination);
  awaiting.delete(this);
}

/** A socket undici reports connected: configured unless connect() already was. */
export function configureConnected(socket: unknown, policy: Policy): void {
  if (!(socket instanceof Socket) || configuredAtConnect.has(socket) || pinnedValues(socket) !== undefined) return;
  if (awaiting.has(socket)) return; // its 'connect' chooses
  const rule = policy.byDestination ? ruleFor(policy, socket.remoteAddress, socket.remotePort) : policy.opened;
  if (rule === undefined || rule.values === null) return;
  configuredAtConnect.add(socket);
  applyRule(socket, rule, policy);
}

/** A listener: set once, and its accepted sockets inherit the values at no syscall. */
export function configureListener(server: Server, policy: Policy): void {
  // Without the addon a listener takes only Node's idle: set sockets one by one instead.
  if (!addonLoaded) return;
  const values = usable(policy.accepted!.values!);
  if (!applyOrWarn(server, values)) return;
  configuredServers.add(server);
  // Its sockets inherit the values and are pinned through it, at no cost per accept.
  if (values.sticky === 1) pinAccepted(server, values, applyToTarget);
}

export function configureAccepted(socket: Socket, policy: Policy): void {
  // Destroyed by a 'connection' handler (a connection limit, a deny list): a check, not an error built and dropped.
  if (socket.destroyed) return;
  const rule = policy.accepted!;
  if (policy.named && connectionLostChannel.hasSubscribers) ruleNames.set(innermostSocket(socket), rule.name);
  const server = (socket as unknown as { server?: Server }).server;
  // The channel publishes after the 'connection' handlers ran: if one called
  // Node's setKeepAlive, the inherited values are gone and need a set of their own.
  if (server !== undefined && configuredServers.has(server) && acceptedAsNodeLeftIt(socket, server as never)) {
    // Inherited from the listener, and pinned through it: nothing to do.
    return;
  }
  applyOrWarn(socket, usable(rule.values!));
}

// Codes that mean "not a TCP socket, or gone": left alone without a word.
const IGNORED = new Set(['ERR_INVALID_ARG_VALUE', 'ERR_SOCKET_CLOSED', 'ERR_SERVER_NOT_RUNNING', 'ERR_INVALID_ARG_TYPE']);
const warned = new Set<string>();

function applyOrWarn(target: Socket | Server, values: KernelValues): boolean {
  try {
    applyToTarget(target, values);
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
