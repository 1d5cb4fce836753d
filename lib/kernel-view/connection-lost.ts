// Why a connection was lost: every connection this library configured (or,
// where the program asks, every TCP connection) that the kernel ends with an
// error, or that the peer closes on its own while it is idle, is published
// once on the diagnostics channel `tcp-keepalive:connection-lost`, with the
// cause by the kernel's own rules and what TCP_INFO said at that moment. The
// moment is Node destroying the socket, before it closes the fd
// (lib/core/watch.ts): afterwards the kernel has nothing to say.
//
// Who ended it first ('closed-by-peer'): a database, proxy or load balancer
// closing idle pooled connections itself, told apart by what the connection
// did before (tcpi_last_data_recv and tcpi_last_data_sent, ms since data last
// moved each way):
// - the peer's FIN came first (this side's readable end closed before this
//   side ended), or a reset in CLOSE_WAIT (EPIPE: the FIN was there first),
//   with this side silent for at least IDLE_CLOSE_MS: an idle close (its
//   silence: since data last moved either way, or since this side last spoke
//   where the peer said goodbye first, as PgBouncer and PostgreSQL do). A
//   close right after this side spoke (HTTP `Connection: close`) is no loss.
// - the same, but this side sent data in the last IDLE_CLOSE_MS, after such
//   a silence: its request crossed the peer's close (`raced`: the reuse race
//   of a pool; undici's "other side closed", Node's "socket hang up", or a
//   reset).
// - a reset (ECONNRESET) with no data sent since this side last received
//   any, and no keepalive probe unanswered, after IDLE_CLOSE_MS of silence:
//   the peer reset it unprompted (MariaDB's wait_timeout does). A reset in
//   reply to data this side sent, or to a probe, stays 'reset': a path or a
//   peer that forgot the connection.
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
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { invalidArgType, invalidArgValue } from '../core/errors.js';
import { readSnapshot, readTcpInfo, type KeepAliveState, type Snapshot, type TcpInfo } from '../core/native.js';
import { knownFd } from '../core/target.js';
import { IDLE_CLOSE_MS, connectionLostChannel, installDestroyHook, setLossReporter, wasConfigured } from '../core/watch.js';
import { detectionTime } from './detection-time.js';

/** What ended a connection, by the kernel's rules; 'closed-by-peer': the peer ended it on its own while it was idle. */
export type LossCause = 'keepalive' | 'user-timeout' | 'retransmissions' | 'reset' | 'closed-by-peer';

export { IDLE_CLOSE_MS };
// A peer's close without an error is classified without the settings.
const NO_SETTINGS = { enabled: false, userTimeout: 0 };

/** One lost connection, as published on `tcp-keepalive:connection-lost`. Times in milliseconds. */
export interface ConnectionLost {
  /** The socket the program holds (for TLS, the TLSSocket). */
  socket: Socket;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  /** Node's error, as the socket's 'error' event carries it; null for a peer's idle close that raised none. */
  error: Error | null;
  cause: LossCause;
  /**
   * Since data was last received from the peer (tcpi_last_data_recv); for
   * 'closed-by-peer', how long the connection was idle before the peer
   * closed it (nothing moved either way; for a race, until this side's
   * request): the peer's idle timeout as seen from here.
   */
  silentFor: number;
  /** 'closed-by-peer' only: this side's data crossed the peer's close (a request written into a connection the peer had just closed). */
  raced: boolean;
  /** Whether the program opened the connection (a client, a pool, a driver) or accepted it (a server). */
  direction: 'opened' | 'accepted';
  /** The client that opened it, where it is known: undici (fetch) or Node's http.Agent. */
  openedBy: 'undici' | 'http.Agent' | undefined;
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
  /**
   * Whether a client closing its idle connection to this server counts as
   * 'closed-by-peer' (servers live with that). Default: as `every`.
   */
  acceptedCloses?: boolean | undefined;
}

// The errors a kernel raises on an established connection, on a read or a write.
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
const DATA_SYSCALLS = new Set(['read', 'write', 'writev', 'shutdown']);

// Subscriptions that asked for every socket, and for clients' closes of accepted connections.
let watchingEvery = 0;
let watchingAcceptedCloses = 0;
// One report per connection, by its innermost libuv handle (a TLSSocket and
// the net.Socket under it share one; a reconnect gets a new one).
const reported = new WeakSet<object>();
// Sockets undici connected (its public channel says so), while something listens.
const undiciSockets = new WeakSet<object>();
const noteUndici = (message: unknown): void => void undiciSockets.add((message as { socket: object }).socket);

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
  const { every, acceptedCloses } = readOptions(options);
  if (!installDestroyHook()) throw watchUnavailable();
  // The channel carries what any subscriber asked for: each listener gets its own share.
  const subscriber = (message: unknown): void => {
    const lost = message as ConnectionLost;
    if (!every && !lost.configured) return;
    if (!acceptedCloses && lost.cause === 'closed-by-peer' && lost.direction === 'accepted') return;
    listener(lost);
  };
  connectionLostChannel.subscribe(subscriber);
  diagnostics.subscribe('undici:client:connected', noteUndici); // once: a Set of subscribers
  if (every) watchingEvery++;
  if (acceptedCloses) watchingAcceptedCloses++;
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    connectionLostChannel.unsubscribe(subscriber);
    if (!connectionLostChannel.hasSubscribers) diagnostics.unsubscribe('undici:client:connected', noteUndici);
    if (every) watchingEvery--;
    if (acceptedCloses) watchingAcceptedCloses--;
  };
}

function readOptions(options: unknown): { every: boolean; acceptedCloses: boolean } {
  if (options === undefined) return { every: false, acceptedCloses: false };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgType('options', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'every' && key !== 'acceptedCloses') {
      throw invalidArgValue(`options.${key}`, 'is not an option of onConnectionLost (known: every, acceptedCloses)', (options as Record<string, unknown>)[key]);
    }
  }
  const { every, acceptedCloses } = options as { every?: unknown; acceptedCloses?: unknown };
  if (every !== undefined && typeof every !== 'boolean') throw invalidArgType('options.every', 'of type boolean', every);
  if (acceptedCloses !== undefined && typeof acceptedCloses !== 'boolean') throw invalidArgType('options.acceptedCloses', 'of type boolean', acceptedCloses);
  return { every: every === true, acceptedCloses: acceptedCloses ?? every === true };
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

/** Lost connections of one destination and cause, with the silence before each end (ms). */
export interface LossPattern extends LossCount {
  /** How many of them were races (a request crossing the peer's close). */
  raced: number;
  silence: { min: number; median: number; max: number };
}

// The silences kept per destination and cause for the median: a uniform
// sample of at most this many (min and max are exact).
const SILENCE_SAMPLES = 1024;

interface Tally {
  cause: LossCause;
  destination: string;
  count: number;
  raced: number;
  min: number;
  max: number;
  silences: number[];
}

/** Lost connections tallied by destination and cause, with the silence before each end (countConnectionsLost, the preload's report). */
export class LossTally {
  private tallies = new Map<string, Tally>();

  add(lost: ConnectionLost): void {
    const destination = `${lost.remoteAddress ?? '?'}:${lost.remotePort ?? '?'}`;
    const key = `${lost.cause} ${destination}`;
    let tally = this.tallies.get(key);
    if (tally === undefined) this.tallies.set(key, (tally = { cause: lost.cause, destination, count: 0, raced: 0, min: Infinity, max: -Infinity, silences: [] }));
    tally.count++;
    if (lost.raced) tally.raced++;
    tally.min = Math.min(tally.min, lost.silentFor);
    tally.max = Math.max(tally.max, lost.silentFor);
    // Reservoir sampling: every silence so far equally likely to be kept.
    if (tally.silences.length < SILENCE_SAMPLES) tally.silences.push(lost.silentFor);
    else {
      const slot = Math.floor(Math.random() * tally.count);
      if (slot < SILENCE_SAMPLES) tally.silences[slot] = lost.silentFor;
    }
  }

  counts(): LossCount[] {
    return [...this.tallies.values()].map(({ cause, destination, count }) => ({ cause, destination, count }));
  }

  /** Most frequent first. */
  summary(): LossPattern[] {
    return [...this.tallies.values()]
      .map(({ cause, destination, count, raced, min, max, silences }) => ({ cause, destination, count, raced, silence: { min, median: median(silences), max } }))
      .sort((a, b) => b.count - a.count || a.destination.localeCompare(b.destination));
  }
}

/**
 * Counts lost connections by cause and destination from now on (as
 * onConnectionLost sees them), for an exporter that reads counts when it
 * scrapes; `summary()` gives the pattern per destination: "10.0.0.5:3306
 * closes idle connections after 28 800 s (12 times)". `stop()` unsubscribes;
 * what was counted stays readable.
 */
export function countConnectionsLost(options?: ConnectionLostOptions): { counts(): LossCount[]; summary(): LossPattern[]; stop(): void } {
  const tally = new LossTally();
  const stop = onConnectionLost((lost) => tally.add(lost), options);
  return { counts: () => tally.counts(), summary: () => tally.summary(), stop };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// Runs inside Node's destroy of every watched socket that ends with an error
// or after the peer's close: it must never throw, and costs nothing unless
// something listens.
function report(socket: Socket, error: Error | null, peerClosedFirst: boolean): void {
  if (!connectionLostChannel.hasSubscribers) return;
  // The kernel's error on an established connection, if that is what it is.
  let code: string | undefined;
  if (error !== null) {
    const { code: errorCode, errno, syscall } = error as NodeJS.ErrnoException;
    const kernels = typeof errno === 'number' && errorCode !== undefined && (RESET_CODES.has(errorCode) || TIMEOUT_CODES.has(errorCode));
    // A refused or timed-out connect was never a connection.
    if (kernels && syscall !== undefined && DATA_SYSCALLS.has(syscall)) code = errorCode;
  }
  if (code === undefined && !peerClosedFirst) return;
  const configured = wasConfigured(socket);
  if (!configured && watchingEvery === 0) return;
  const handle = innermostHandle(socket);
  // Where the runtime hides the descriptor (Deno), the one found for this socket when it was configured.
  const fd = handle?.fd ?? (handle === undefined ? undefined : knownFd(socket));
  if (handle === undefined || typeof fd !== 'number' || fd < 0 || reported.has(handle)) return;
  if (code === undefined) {
    // A peer's close with no kernel error: most end an exchange (a client
    // hanging up on this server, Connection: close). Who asks, then TCP_INFO
    // alone (one getsockopt) says whether it is a loss, before the snapshot.
    if (watchingAcceptedCloses === 0 && acceptedSocket(socket)) return;
    let info: TcpInfo;
    try {
      info = readTcpInfo(fd);
    } catch {
      return; // not a TCP socket (a pipe), or gone
    }
    if (classifyEnd(undefined, true, info, NO_SETTINGS) === null) return;
  }
  reported.add(handle);
  let snapshot: Snapshot;
  try {
    snapshot = readSnapshot(fd);
  } catch {
    return; // not a TCP socket (a pipe), or gone
  }
  try {
    const lost = describe(socket, error, code, peerClosedFirst, snapshot, configured);
    if (lost !== null) connectionLostChannel.publish(lost);
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

/** The cause, whether this side's data raced the peer's close, and the silence that goes with them; null: no loss (a close right after an exchange). */
export function classifyEnd(
  code: string | undefined,
  peerClosedFirst: boolean,
  tcpInfo: Pick<TcpInfo, 'lastDataReceived' | 'lastDataSent' | 'probes' | 'retransmits'>,
  settings: Pick<KeepAliveState, 'enabled' | 'userTimeout'>,
): { cause: LossCause; raced: boolean; silentFor: number } | null {
  const { lastDataReceived, lastDataSent } = tcpInfo;
  // This side sent data after it last received any.
  const sentSince = lastDataSent < lastDataReceived;
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    const inFlight = tcpInfo.retransmits > 0;
    let cause: LossCause = 'retransmissions';
    if (settings.userTimeout > 0) cause = 'user-timeout';
    else if (!inFlight && tcpInfo.probes > 0 && settings.enabled) cause = 'keepalive';
    return { cause, raced: false, silentFor: lastDataReceived };
  }
  // The peer's FIN came first (EPIPE: a reset met in CLOSE_WAIT, after the FIN).
  if (peerClosedFirst || code === 'EPIPE') {
    // Data sent just now, after a silence: it crossed the close.
    const silenceBeforeIt = lastDataReceived - lastDataSent;
    if (sentSince && lastDataSent < IDLE_CLOSE_MS && silenceBeforeIt >= IDLE_CLOSE_MS) return { cause: 'closed-by-peer', raced: true, silentFor: silenceBeforeIt };
    // This side quiet that long: the close was the peer's own, whatever it said
    // last (PgBouncer and PostgreSQL send a goodbye message before their FIN).
    if (lastDataSent >= IDLE_CLOSE_MS) {
      return { cause: 'closed-by-peer', raced: false, silentFor: lastDataReceived >= IDLE_CLOSE_MS ? Math.min(lastDataReceived, lastDataSent) : lastDataSent };
    }
    return code === undefined ? null : { cause: 'reset', raced: false, silentFor: lastDataReceived };
  }
  // A reset nothing of this side's prompted: no data since, no probe unanswered.
  if (!sentSince && tcpInfo.probes === 0 && lastDataReceived >= IDLE_CLOSE_MS) return { cause: 'closed-by-peer', raced: false, silentFor: lastDataReceived };
  return { cause: 'reset', raced: false, silentFor: lastDataReceived };
}

function describe(socket: Socket, error: Error | null, code: string | undefined, peerClosedFirst: boolean, snapshot: Snapshot, configured: boolean): ConnectionLost | null {
  const { keepAlive: settings, tcpInfo, local, remote } = snapshot;
  const end = classifyEnd(code, peerClosedFirst, tcpInfo, settings);
  if (end === null) return null;
  const { cause } = end;
  let expectedWithin: number | null = null;
  if (cause !== 'reset' && cause !== 'closed-by-peer') {
    const expected = detectionTime(settings);
    expectedWithin = tcpInfo.retransmits > 0 || cause === 'retransmissions' ? expected.dataInFlightWorst : expected.idleWorst;
  }
  return {
    socket,
    remoteAddress: remote?.address,
    remotePort: remote?.port,
    localAddress: local?.address,
    localPort: local?.port,
    error,
    cause,
    silentFor: end.silentFor,
    raced: end.raced,
    direction: acceptedSocket(socket) ? 'accepted' : 'opened',
    openedBy: undiciSockets.has(socket) ? 'undici' : socket.listenerCount('agentRemove') > 0 ? 'http.Agent' : undefined,
    probes: tcpInfo.probes,
    retransmits: tcpInfo.retransmits,
    settings,
    expectedWithin,
    configured,
  };
}

// A server's socket: Node sets `server` (and `_server`) on what a listener accepted.
function acceptedSocket(socket: Socket): boolean {
  for (let current: unknown = socket; current != null; current = (current as { _parent?: unknown })._parent) {
    const { server, _server } = current as { server?: unknown; _server?: unknown };
    if (server != null || _server != null) return true;
  }
  return false;
}
