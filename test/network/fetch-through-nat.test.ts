// Scenario 9, the AWS NLB / Azure LB story for fetch: a middlebox forgets idle
// connections after 4 s (as in scenario 5). Two programs each make a fetch,
// keep the connection pooled, and after 12 s (3 × the timeout) make another
// on it: with tcp-keepalive's dispatcher (idle 2 s) it is answered on the same
// connection; with fetch as it comes (undici's 60 s idle) it never is.
import { expect, it } from 'vitest';
import { program } from './client-kinds.js';
import { describeNetwork, useLab } from './harness.js';

const NAT_TIMEOUT_S = 4;
const PAUSE_MS = NAT_TIMEOUT_S * 3 * 1000;


describeNetwork('scenario 9: fetch through a NAT that forgets idle connections', () => {
  const lab = useLab('s9');

  it(`a pooled connection answers after ${PAUSE_MS / 1000} s idle only with keepalive below the NAT timeout`, async () => {
    const { clientNs, serverNs, serverIf } = await lab.natLab('10.201.9.0', NAT_TIMEOUT_S);
    const server = await program(lab, serverNs, 'http server', ['http-server', serverIf.ip, '8080', 'defaults']);
    await server.waitFor((e) => e.event === 'listening', 5000, 'the http server to listen');

    const env = { FETCH_AFTER_MS: String(PAUSE_MS) };
    const clients = await Promise.all(
      (['library', 'defaults'] as const).map((mode) => program(lab, clientNs, `fetch (${mode})`, ['fetch', serverIf.ip, '8080', mode], env)),
    );
    const outcomes = await Promise.all(
      clients.map((client) => client.waitFor((e) => e.event === 'answered' || e.event === 'failed', PAUSE_MS + 10_000, 'the second fetch to end')),
    );
    const [withKeepalive, without] = outcomes;
    const connected = clients.map((client) => client.find((e) => e.event === 'connected')!);
    console.log(
      `[scenario 9] NAT forgets idle TCP after ${NAT_TIMEOUT_S} s; a fetch on the pooled connection after ${PAUSE_MS / 1000} s: ` +
        `with keepAliveDispatcher (idle 2 s): ${JSON.stringify(withKeepalive)}; ` +
        `as fetch comes (${JSON.stringify(connected[1].keepAlive)}): ${JSON.stringify(without)}`,
    );
    expect(withKeepalive).toMatchObject({ event: 'answered', status: 200, body: 'ok', connections: 1 });
    expect(without.event).toBe('failed');
  }, 60_000);
});
