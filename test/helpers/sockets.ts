// Real loopback connections for tests, closed when the test ends even if it fails.
import net from 'node:net';
import { once } from 'node:events';
import { onTestFinished } from 'vitest';

export type Family = 4 | 6;

export const LOOPBACK: Record<Family, string> = { 4: '127.0.0.1', 6: '::1' };

/** Tracks a server or socket and closes it when the current test finishes. */
export function track<T extends net.Server | net.Socket>(thing: T): T {
  onTestFinished(() => {
    if (thing instanceof net.Server) thing.close();
    else thing.destroy();
  });
  return thing;
}

/** A listening loopback server whose accepted sockets are closed with the test. */
export async function listen(family: Family = 4, options: net.ServerOpts = {}): Promise<net.Server> {
  const server = track(net.createServer(options, (socket) => track(socket)));
  server.listen(0, LOOPBACK[family]);
  await once(server, 'listening');
  return server;
}

export function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** A connected client and the server's side of the same connection. */
export async function connectedPair(family: Family = 4): Promise<{ client: net.Socket; peer: net.Socket; server: net.Server }> {
  const server = await listen(family);
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = track(net.connect(portOf(server), LOOPBACK[family]));
  await once(client, 'connect');
  const [peer] = await accepted;
  return { client, peer, server };
}

/** Sends a message one way and resolves with what arrived, proving the connection still carries data. */
export async function roundTrip(from: net.Socket, to: net.Socket, message = `ping-${Math.random()}`): Promise<string> {
  const received = new Promise<string>((resolve, reject) => {
    let data = '';
    const onData = (chunk: Buffer): void => {
      data += chunk.toString();
      if (data.length >= message.length) {
        to.off('data', onData);
        resolve(data);
      }
    };
    to.on('data', onData);
    setTimeout(() => reject(new Error(`no data within 5 s (got ${JSON.stringify(data)})`)), 5000).unref();
  });
  from.write(message);
  return received;
}

/** The system defaults of this network namespace, read the way the kernel stores them. */
export async function systemDefaults(): Promise<{ idle: number; interval: number; count: number }> {
  const { readFile } = await import('node:fs/promises');
  const read = async (name: string): Promise<number> =>
    Number((await readFile(`/proc/sys/net/ipv4/tcp_keepalive_${name}`, 'utf8')).trim());
  return { idle: (await read('time')) * 1000, interval: (await read('intvl')) * 1000, count: await read('probes') };
}
