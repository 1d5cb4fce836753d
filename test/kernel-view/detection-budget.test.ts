// keepAliveFor: settings chosen from a detection budget. Every choice over a
// range of budgets and NAT timeouts is checked against the library's own
// detectionTime and against the kernel's rules written again here, on their
// own, tick by tick (net/ipv4/tcp_timer.c), with every timer on time and with
// every timer 1/8 late; and a real socket takes and reads back each choice.
import { describe, expect, it } from 'vitest';
import { detectionTime, getKeepAlive, keepAliveFor, setKeepAlive } from '../../lib/index.js';
import { connectedPair } from '../helpers/sockets.js';

const SECOND = 1000;
const BUDGETS = [2_450, 3_000, 4_000, 4_700, 5_000, 8_000, 10_000, 15_000, 30_000, 60_000, 90_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000];
const NAT_TIMEOUTS = [undefined, 1_250, 5_000, 60_000, 240_000, 350_000, 1_200_000];

interface Outcome {
  /** ms from the last packet received to the abort. */
  abortAt: number;
  /** Probes sent before the abort. */
  probes: number;
}

// tcp_keepalive_timer, tick by tick: the timer first fires `idle` after the
// last packet, then every `interval`; each firing may be `late` (0 … 1/8) of
// its own length after it was due. With a user timeout the kernel aborts at
// the first firing where that much time has passed since the last packet
// and a probe went out (count not consulted); without one, once `count`
// probes went unanswered.
function idleConnection(settings: { idle: number; interval: number; count: number; userTimeout: number }, late: number): Outcome {
  let now = settings.idle * (1 + late);
  let probes = 0;
  for (let tick = 0; tick < 10_000; tick++) {
    const timedOut = settings.userTimeout > 0 ? now >= settings.userTimeout && probes > 0 : probes >= settings.count;
    if (timedOut) return { abortAt: now, probes };
    probes++;
    now += settings.interval * (1 + late);
  }
  throw new Error('no abort in 10 000 ticks');
}

// With data in flight the retransmission timer gives up at the first firing
// once the user timeout has passed; its timer is clamped to the time left
// (tcp_clamp_rto_to_user_timeout), can be 1/8 late, and the firing that sees
// it may take one more minimum RTO.
const dataInFlightLatest = (userTimeout: number): number => userTimeout * (9 / 8) + 200;

describe('keepAliveFor', () => {
  const cases = BUDGETS.flatMap((detectWithin) => NAT_TIMEOUTS.map((natIdle) => ({ detectWithin, natIdle })));

  it.each(cases)('detectWithin $detectWithin ms, natIdle $natIdle ms: both paths end within the budget, by the kernel\'s rules', ({ detectWithin, natIdle }) => {
    const chosen = keepAliveFor({ detectWithin, natIdle });
    // Kernel units: whole seconds, and the ranges setKeepAlive accepts.
    expect(chosen.idle % SECOND).toBe(0);
    expect(chosen.interval % SECOND).toBe(0);
    expect(chosen.idle).toBeGreaterThanOrEqual(SECOND);
    expect(chosen.interval).toBeGreaterThanOrEqual(SECOND);
    expect(chosen.idle).toBeLessThanOrEqual(32_767 * SECOND);
    expect(chosen.interval).toBeLessThanOrEqual(32_767 * SECOND);
    expect(chosen.count).toBeGreaterThanOrEqual(1);
    expect(chosen.count).toBeLessThanOrEqual(127);

    // The model above, on time and 1/8 late.
    const onTime = idleConnection(chosen, 0);
    const late = idleConnection(chosen, 1 / 8);
    expect(late.abortAt).toBeLessThanOrEqual(detectWithin);
    expect(onTime.abortAt).toBeLessThanOrEqual(detectWithin);
    expect(dataInFlightLatest(chosen.userTimeout)).toBeLessThanOrEqual(detectWithin);
    // Both paths agree: the idle path ends when the user timeout does, on time.
    expect(onTime.abortAt).toBe(chosen.userTimeout);
    expect(onTime.probes).toBe(chosen.count);

    // At least 3 probes, even with late timers, wherever the budget allows them.
    const preferred = detectWithin >= 4_700 ? 3 : detectWithin >= 4_000 ? 2 : 1;
    expect(late.probes).toBeGreaterThanOrEqual(preferred);
    expect(chosen.count).toBeGreaterThanOrEqual(preferred);

    // The library's own formula says the same.
    const detection = detectionTime({ ...chosen, enabled: true, retries2: 15 });
    expect(detection).toMatchObject({ idle: chosen.userTimeout, idleBy: 'user-timeout', dataInFlight: chosen.userTimeout, dataInFlightBy: 'user-timeout' });
    expect(detection.idleWorst!).toBeLessThanOrEqual(detectWithin);
    expect(detection.dataInFlightWorst).toBeLessThanOrEqual(detectWithin);

    // The budget is used, not wasted: less than one interval (or one second) is left over,
    // unless the kernel's 127 probes at the NAT's pace end sooner.
    if (chosen.count < 127) expect(chosen.userTimeout).toBeGreaterThan((detectWithin - 200) / (9 / 8) - Math.max(chosen.interval, SECOND));

    if (natIdle !== undefined) {
      // A probe (or the first one after silence) leaves before the NAT forgets, even 1/8 late, with 10 % to spare.
      expect(Math.max(chosen.idle, chosen.interval) * (9 / 8)).toBeLessThanOrEqual(natIdle * 0.9);
    }
  });

  it('the cloud defaults from the README: AWS 350 s, Azure 4 min, GCP 20 min', () => {
    expect(keepAliveFor({ detectWithin: 30_000 })).toEqual({ idle: 8_000, interval: 6_000, count: 3, userTimeout: 26_000 });
    expect(keepAliveFor({ detectWithin: 120_000, natIdle: 350_000 })).toEqual({ idle: 28_000, interval: 26_000, count: 3, userTimeout: 106_000 });
    // A long budget behind a NAT: probes no further apart than the NAT allows, more of them to fill the budget.
    expect(keepAliveFor({ detectWithin: 7_200_000, natIdle: 350_000 })).toEqual({ idle: 280_000, interval: 280_000, count: 21, userTimeout: 6_160_000 });
    expect(keepAliveFor({ detectWithin: 3_600_000, natIdle: 240_000 })).toMatchObject({ idle: 192_000, interval: 192_000 });
    expect(keepAliveFor({ detectWithin: 7_200_000, natIdle: 1_200_000 })).toMatchObject({ idle: 960_000, interval: 960_000 });
  });

  it('probes: at least that many, or ERR_OUT_OF_RANGE naming the smallest budget that allows them', () => {
    expect(keepAliveFor({ detectWithin: 30_000, probes: 5 })).toMatchObject({ count: 5 });
    expect(idleConnection(keepAliveFor({ detectWithin: 30_000, probes: 5 }), 1 / 8).probes).toBeGreaterThanOrEqual(5);
    expect(keepAliveFor({ detectWithin: 2_450, probes: 1 })).toEqual({ idle: 1_000, interval: 1_000, count: 1, userTimeout: 2_000 });
    expect(() => keepAliveFor({ detectWithin: 4_000, probes: 3 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('>= 4700 for 3 probes') }),
    );
    expect(() => keepAliveFor({ detectWithin: 60_000, probes: 127 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('userTimeout: false: the same probes, no user timeout (a live peer that stops reading is never cut off); an idle dead peer still within the budget', () => {
    for (const { detectWithin, natIdle } of cases) {
      const withIt = keepAliveFor({ detectWithin, natIdle });
      const without = keepAliveFor({ detectWithin, natIdle, userTimeout: false });
      expect(without).toEqual({ ...withIt, userTimeout: 0 });
      const detection = detectionTime({ ...without, retries2: 15 });
      expect(detection).toMatchObject({ idleBy: 'keepalive', stalledReader: null, dataInFlightBy: 'tcp_retries2' });
      expect(detection.idleWorst!).toBeLessThanOrEqual(detectWithin);
      expect(detectionTime({ ...withIt }).stalledReader).toBe(withIt.userTimeout);
    }
    expect(keepAliveFor({ detectWithin: 30_000, userTimeout: true })).toEqual(keepAliveFor({ detectWithin: 30_000 }));
  });

  it('below the smallest budget, a malformed budget or an unknown key: a coded error', () => {
    const bad: Array<[unknown, string, RegExp]> = [
      [{ detectWithin: 2_000 }, 'ERR_OUT_OF_RANGE', /"budget\.detectWithin".*>= 2450/],
      [{ detectWithin: 2_449 }, 'ERR_OUT_OF_RANGE', /budget\.detectWithin/],
      [{ detectWithin: 30_000.5 }, 'ERR_OUT_OF_RANGE', /an integer/],
      [{ detectWithin: Number.NaN }, 'ERR_OUT_OF_RANGE', /budget\.detectWithin/],
      [{ detectWithin: 2 ** 31 }, 'ERR_OUT_OF_RANGE', /budget\.detectWithin/],
      [{ detectWithin: '30s' }, 'ERR_INVALID_ARG_TYPE', /"budget\.detectWithin" property must be of type number/],
      [{}, 'ERR_INVALID_ARG_TYPE', /budget\.detectWithin.*Received undefined/],
      [{ detectWithin: 30_000, natIdle: 1_000 }, 'ERR_OUT_OF_RANGE', /"budget\.natIdle".*>= 1250/],
      [{ detectWithin: 30_000, natIdle: '350' }, 'ERR_INVALID_ARG_TYPE', /budget\.natIdle/],
      [{ detectWithin: 30_000, probes: 0 }, 'ERR_OUT_OF_RANGE', /budget\.probes/],
      [{ detectWithin: 30_000, idle: 5_000 }, 'ERR_INVALID_ARG_VALUE', /'budget\.idle' is not a budget option \(known: detectWithin, natIdle, probes, userTimeout\)/],
      [{ detectWithin: 30_000, userTimeout: 0 }, 'ERR_INVALID_ARG_TYPE', /"budget\.userTimeout" property must be of type boolean/],
      [null, 'ERR_INVALID_ARG_TYPE', /"budget" argument/],
      [30_000, 'ERR_INVALID_ARG_TYPE', /"budget" argument/],
      [[30_000], 'ERR_INVALID_ARG_TYPE', /"budget" argument/],
    ];
    for (const [budget, code, message] of bad) {
      expect(() => keepAliveFor(budget as never), JSON.stringify(budget)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
    }
  });

  it('a real socket takes every choice, and getKeepAlive and detectionTime(socket) read back what was chosen', async () => {
    const { client } = await connectedPair(); // closed with the test
    for (const { detectWithin, natIdle } of cases) {
      const chosen = keepAliveFor({ detectWithin, natIdle });
      setKeepAlive(client, chosen);
      expect(getKeepAlive(client)).toEqual({ enabled: true, ...chosen });
      const detection = detectionTime(client);
      expect(detection.idleWorst!).toBeLessThanOrEqual(detectWithin);
      expect(detection.dataInFlightWorst).toBeLessThanOrEqual(detectWithin);
    }
    // Plain options: they combine with the rest of the API (sticky here).
    setKeepAlive(client, { ...keepAliveFor({ detectWithin: 30_000 }), sticky: true });
    client.setKeepAlive(true, 60_000); // Node's own call, as a client library makes it
    expect(getKeepAlive(client)).toEqual({ enabled: true, idle: 8_000, interval: 6_000, count: 3, userTimeout: 26_000 });
  });
});
