// HTTP and HTTPS servers on loopback for the client tests (agents, undici),
// answering every request with 'ok', closed when the test ends.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { track, LOOPBACK } from './sockets.js';

const key = readFileSync(join(__dirname, '..', 'fixtures', 'key.pem'));
/** The servers' self-signed certificate, for localhost: clients pass it as their CA. */
export const cert = readFileSync(join(__dirname, '..', 'fixtures', 'cert.pem'));

export async function httpServers(): Promise<{ http: http.Server; https: https.Server }> {
  const handler = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end('ok');
  const plain = track(http.createServer(handler));
  const secure = track(https.createServer({ key, cert }, handler));
  for (const server of [plain, secure]) {
    server.listen(0, LOOPBACK[4]);
    await once(server, 'listening');
    onTestFinished(() => (server as http.Server).closeAllConnections());
  }
  return { http: plain, https: secure };
}
