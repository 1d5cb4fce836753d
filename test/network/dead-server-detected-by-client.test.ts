// Scenario 2: a client notices a server that vanished without a word, with
// other values than scenario 1 (idle 3 s, interval 2 s, count 2: 7 s).
import { it } from 'vitest';
import { proveDeadPeerDetected } from './dead-peer.js';
import { describeNetwork, useLab } from './harness.js';

describeNetwork('scenario 2: client detects a dead server', () => {
  const lab = useLab('s2');

  it('emits ETIMEDOUT idle + interval × count after the last packet, after 2 unanswered probes 2 s apart', async () => {
    await proveDeadPeerDetected(lab, {
      scenario: 'scenario 2',
      observer: 'client',
      settings: { idle: 3000, interval: 2000, count: 2 },
      subnet: '10.201.2.0',
      port: 7002,
    });
  }, 60_000);
});
