// Why a connection was lost: every connection this library configured (or,
// where the program asks, every TCP connection) that the kernel ends with an
// error is published once on the diagnostics channel
// `tcp-keepalive:connection-lost`, with the cause by the kernel's own rules
// and what TCP_INFO said at that moment. The moment is Node destroying the
// socket, before it closes the fd (lib/core/watch.ts): afterwards the kernel
// has nothing to say.
//
// The cause, from net/ipv4/tcp_timer.c and the state TCP_INFO shows then:
// - ECONNRESET, EPIPE: a reset from the peer, or from something on the path
//   that no longer knows the connection ('reset').
// - ETIMEDOUT (or the soft error an ICMP message left, EHOSTUNREACH,
//   ENETUNREACH) with data unacknowledged (tcpi_retransmits > 0): the
//   retransmission timer gave up, bounded by the user timeout if one is set
//   ('user-timeout'), else after tcp_retries2 retransmissions ('retransmissions').
// - ETIMEDOUT with nothing in flight and probes unanswered (tcpi_probes > 0):
//   the keepalive timer gave up. With a user timeout set the kernel decides
//   by it alone, count unread ('user-timeout'); without, once `count` probes
//   went unanswered ('keepalive'). (Zero-window probes to a peer that stopped
//   reading count there too: without a user timeout they end after
//   tcp_retries2, as 'retransmissions'.)
import type { Socket } from 'node:net';
import { invalidArgType, invalidArgValue } from '../core/errors.js';
import { readSnapshot, type KeepAliveState, type Snapshot } from '../core/native.js';
import { connectionLostChannel, installDestroyHook, setLossReporter, wasConfigured } from '../core/watch.js';
import { detectionTime } from './detection-time.js';

/** What ended a connection, by the kernel's rules. */
export type LossCause = 'keepalive' | 'user-timeout' | 'retransmissions' | 'reset';

/** One lost connection, as published on `tcp-keepalive:connection-lost`. Times in milliseconds. */
export interface ConnectionLost {
  /** The socket the program holds (for TLS, the TLSSocket). */
  socket: Socket;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  /** Node's error, as the socket's 'error' event carries it. */
  error: Error;
  cause: LossCause;
  /** Since data was last received from the peer (tcpi_last_data_recv). */
  silentFor: number;
  /** Keepalive (or zero-window) probes unanswered when it ended (tcpi_probes). */
  probes: number;
  /** Timeouts of the oldest unacknowledged segment when it ended (tcpi_retransmits); > 0: data was in flight. */
  retransmits: number;
  /** The keepalive settings in force then, as getKeepAlive would have read them. */
  settings: KeepAliveState;
  /**
   * detectionTime(settings)'s worst case for this cause, null for a reset:
   * with nothing in flight, from the last packet received (set it beside
   * silentFor); with data in flight, from when the data was first sent.
   */
  expectedWithin: number | null;
  /** Whether this library set the keepalive values of this connection (or of the listener that accepted it). */
  configured: boolean;
}

/** What onConnectionLost takes besides the listener. */
export interface ConnectionLostOptions {
  /** Every TCP connection of the process, not only those this library configured. Default false. */
  every?: boolean | undefined;
}

// The errors a kernel raises on an established connection, on a read or a write.
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
const DATA_SYSCALLS = new Set(['read', 'write', 'writev', 'shutdown']);

// Subscriptions that asked for every socket.
let watchingEvery = 0;
// One report per connection, by its innermost libuv handle (a TLSSocket and
// the net.Socket under it share one; a reconnect gets a new one).
const reported = new WeakSet<object>();

setLossReporter(report);

/**
 * Calls `listener` once for every connection lost with an error the kernel
 * raised (a keepalive, user or retransmission timeout, or a reset), on the
 * connections this library configured while something listened, or with
 * `{ every: true }` on every TCP connection of the process. Returns a
 * function that unsubscribes. The messages also go to anything subscribed to
 * the diagnostics channel `tcp-keepalive:connection-lost` (there, every
 * connection some subscriber asked for; `configured` tells which is which).
 */
export function onConnectionLost(listener: (lost: ConnectionLost) => void, options?: ConnectionLostOptions): () => void {
  if (typeof listener !== 'function') throw invalidArgType('listener', 'of type function', listener);
  const every = readOptions(options);
  if (!installDestroyHook()) throw watchUnavailable();
  // The channel carries every reported connection (another subscriber may
  // have asked for every socket): this listener gets what it asked for.
  const subscriber = every
    ? (message: unknown): void => listener(message as ConnectionLost)
    : (message: unknown): void => {
        if ((message as ConnectionLost).configured) listener(message as ConnectionLost);
      };
  connectionLostChannel.subscribe(subscriber);
  if (every) watchingEvery++;
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    connectionLostChannel.unsubscribe(subscriber);
    if (every) watchingEvery--;
  };
}

function readOptions(options: unknown): boolean {
  if (options === undefined) return false;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgType('options', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'every') throw invalidArgValue(`options.${key}`, 'is not an option of onConnectionLost (known: every)', (options as Record<string, unknown>)[key]);
  }
  const { every } = options as { every?: unknown };
  if (every !== undefined && typeof every !== 'boolean') throw invalidArgType('options.every', 'of type boolean', every);
  return every === true;
}

function watchUnavailable(): Error {
  return Object.assign(
    new Error(
      'tcp-keepalive: watching for lost connections needs to wrap net.Socket.prototype._destroy, which cannot be replaced here ' +
        '(the prototype is frozen); subscribe before freezing it',
    ),
    { code: 'ERR_TCP_KEEPALIVE_WATCH_UNAVAILABLE' },
  );
}

/** A count of lost connections by cause and destination (`address:port`), for a metrics exporter. */
export interface LossCount {
  cause: LossCause;
  destination: string;
  count: number;
}

/**
 * Counts lost connections by cause and destination from now on (as
 * onConnectionLost sees them), for an exporter that reads counts when it
 * scrapes. `stop()` unsubscribes; the counts stay readable.
 */
export function countConnectionsLost(options?: ConnectionLostOptions): { counts(): LossCount[]; stop(): void } {
  const counts = new Map<string, LossCount>();
  const stop = onConnectionLost((lost) => {
    const destination = `${lost.remoteAddress ?? '?'}:${lost.remotePort ?? '?'}`;
    const key = `${lost.cause} ${destination}`;
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { cause: lost.cause, destination, count: 1 });
    else entry.count++;
  }, options);
  return { counts: () => [...counts.values()].map((entry) => ({ ...entry })), stop };
}

// Runs inside Node's destroy of every watched socket that ends with an
// error: it must never throw, and costs nothing unless something listens.
function report(socket: Socket, error: Error): void {
  if (!connectionLostChannel.hasSubscribers) return;
  const { code, errno, syscall } = error as NodeJS.ErrnoException;
  if (typeof errno !== 'number' || code === undefined || (!RESET_CODES.has(code) && !TIMEOUT_CODES.has(code))) return;
  // A refused or timed-out connect was never a connection.
  if (syscall === undefined || !DATA_SYSCALLS.has(syscall)) return;
  const configured = wasConfigured(socket);
  if (!configured && watchingEvery === 0) return;
  const handle = innermostHandle(socket);
  const fd = handle?.fd;
  if (handle === undefined || typeof fd !== 'number' || fd < 0 || reported.has(handle)) return;
  reported.add(handle);
  let snapshot: Snapshot;
  try {
    snapshot = readSnapshot(fd);
  } catch {
    return; // not a TCP socket (a pipe), or gone
  }
  try {
    connectionLostChannel.publish(describe(socket, error, code, snapshot, configured));
  } catch (failure) {
    // Describing it failed (a subscriber's throw is Node's to report): never into Node's destroy.
    process.emitWarning(`tcp-keepalive: a lost connection could not be reported: ${(failure as Error).message}`, { code: 'TCP_KEEPALIVE_CONNECTION_LOST' });
  }
}

// The libuv handle under the socket's own (a TLS wrap keeps the TCP handle as
// `_parent`): it has the fd, and a reconnect gets a new one.
function innermostHandle(socket: Socket): { fd?: number; _parent?: unknown } | undefined {
  let handle = (socket as unknown as { _handle?: { fd?: number; _parent?: unknown } | null })._handle ?? undefined;
  while (handle?._parent != null) handle = handle._parent as typeof handle;
  return handle;
}

function describe(socket: Socket, error: Error, code: string, snapshot: Snapshot, configured: boolean): ConnectionLost {
  const { keepAlive: settings, tcpInfo, local, remote } = snapshot;
  const inFlight = tcpInfo.retransmits > 0;
  let cause: LossCause;
  if (RESET_CODES.has(code)) cause = 'reset';
  else if (settings.userTimeout > 0) cause = 'user-timeout';
  else if (!inFlight && tcpInfo.probes > 0 && settings.enabled) cause = 'keepalive';
  else cause = 'retransmissions';
  let expectedWithin: number | null = null;
  if (cause !== 'reset') {
    const expected = detectionTime(settings);
    expectedWithin = inFlight || cause === 'retransmissions' ? expected.dataInFlightWorst : expected.idleWorst;
  }
  return {
    socket,
    remoteAddress: remote?.address,
    remotePort: remote?.port,
    localAddress: local?.address,
    localPort: local?.port,
    error,
    cause,
    silentFor: tcpInfo.lastDataReceived,
    probes: tcpInfo.probes,
    retransmits: tcpInfo.retransmits,
    settings,
    expectedWithin,
    configured,
  };
}
