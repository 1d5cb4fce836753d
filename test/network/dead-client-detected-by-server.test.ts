// Scenario 1: a server notices a client that vanished without a word (power
// loss, cable cut): keepalive on the accepted socket, idle 2 s, interval 1 s,
// count 3, gives ETIMEDOUT 5 s after the last packet, after exactly 3 probes.
import { it } from 'vitest';
import { proveDeadPeerDetected } from './dead-peer.js';
import { describeNetwork, useLab } from './harness.js';

describeNetwork('scenario 1: server detects a dead client', () => {
  const lab = useLab('s1');

  it('emits ETIMEDOUT idle + interval × count after the last packet, after 3 unanswered probes 1 s apart', async () => {
    await proveDeadPeerDetected(lab, {
      scenario: 'scenario 1',
      observer: 'server',
      settings: { idle: 2000, interval: 1000, count: 3 },
      subnet: '10.201.1.0',
      port: 7001,
    });
  }, 60_000);
});
