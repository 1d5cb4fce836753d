// A CONNECT proxy on loopback, as HTTPS-through-a-proxy clients meet one: it
// tunnels to loopback only, and counts the tunnels it opened.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';

export interface ConnectProxy {
  port: number;
  tunnels(): number;
  close(): void;
}

export async function connectProxy(): Promise<ConnectProxy> {
  let tunnels = 0;
  const proxy = http.createServer((_request, response) => response.writeHead(405).end());
  proxy.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host, port] = String(request.url).split(':');
    if (host !== '127.0.0.1' && host !== 'localhost') return void client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    const upstream = net.connect(Number(port), '127.0.0.1', () => {
      tunnels++;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    const close = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', close);
    client.on('error', close);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return { port: (proxy.address() as net.AddressInfo).port, tunnels: () => tunnels, close: () => void proxy.close() };
}
