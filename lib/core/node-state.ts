// What Node's own socket.setKeepAlive recorded on a socket, under private
// symbols (kSetKeepAlive, kSetKeepAliveInitialDelay, and on Node >= 24.19
// interval and count). Read where no public API tells: whether Node's call
// came after ours on a connecting socket, and whether a 'connection' handler
// already called it. The symbols are learned once, from a socket that never
// connects: Node's setKeepAlive on it only records the values.
import { Socket } from 'node:net';

const SYMBOLS: symbol[] = (() => {
  const probe = new Socket();
  (probe.setKeepAlive as (...args: unknown[]) => Socket)(true, 1000, 1000, 1);
  return Object.getOwnPropertySymbols(probe).filter((symbol) => symbol.description?.startsWith('kSetKeepAlive'));
})();
const ENABLED = SYMBOLS.find((symbol) => symbol.description === 'kSetKeepAlive');
const DELAY = SYMBOLS.find((symbol) => symbol.description === 'kSetKeepAliveInitialDelay');
// What a new socket records (the constructor's values), for what accept leaves.
const FRESH = nodeKeepAlive(new Socket());

type Recorded = Record<symbol, unknown>;

/** Node's recorded keepalive settings on `socket`, to compare with a later reading. */
export function nodeKeepAlive(socket: Socket): unknown[] {
  return SYMBOLS.map((symbol) => (socket as unknown as Recorded)[symbol]);
}

export function sameNodeKeepAlive(a: unknown[], b: unknown[]): boolean {
  return a.every((value, i) => value === b[i]);
}


/**
 * Whether an accepted socket's record is still what Node's accept left (on
 * with the server's delay where the server has keepAlive, else as new): no
 * 'connection' handler has called setKeepAlive with values of its own.
 */
export function acceptedAsNodeLeftIt(socket: Socket, server: { keepAlive?: unknown; keepAliveInitialDelay?: unknown }): boolean {
  const record = socket as unknown as Recorded;
  for (let i = 0; i < SYMBOLS.length; i++) {
    const symbol = SYMBOLS[i];
    let expected = FRESH[i];
    if (server.keepAlive === true && symbol === ENABLED) expected = true;
    else if (server.keepAlive === true && symbol === DELAY) expected = server.keepAliveInitialDelay;
    if (record[symbol] !== expected) return false;
  }
  return true;
}
