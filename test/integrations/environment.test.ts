// readEnvironment: what the preload reads from the environment, parsed once
// into the kernel's units (seconds for idle and interval, ms for the user
// timeout), as the kernel takes them; bad values are refused with one line
// naming the variable. The preload's effect on real sockets is
// test/integrations/register.test.ts.
import { describe, expect, it } from 'vitest';
import { keepAliveFor } from '../../lib/index.js';
import * as budget from '../../lib/integrations/budget.js';
import { readEnvironment as readSettings } from '../../lib/integrations/environment.js';
import * as rulesParser from '../../lib/integrations/rules.js';

// The plain variables make a policy of one rule for every connection (rules
// by direction and destination: test/integrations/rules.test.ts): its values.
// The preload requires the rules' parser and the budget from dist/ where their variables are set; here they are handed over.
function readEnvironment(env: NodeJS.ProcessEnv) {
  const settings = readSettings(env, { rules: () => rulesParser, budget: () => budget });
  if (settings.keepAlive.kind !== 'on') return settings;
  const { rules, named } = settings.keepAlive.policy;
  expect(named).toBe(false);
  expect(rules).toHaveLength(1);
  return { ...settings, keepAlive: { kind: 'on', values: rules[0].values } };
}

// What a set of public options (ms) is in the kernel's units, sticky as the preload defaults.
function kernelValues(options: { idle: number; interval: number; count: number; userTimeout: number }) {
  return { enabled: 1, idleSeconds: options.idle / 1000, intervalSeconds: options.interval / 1000, count: options.count, userTimeoutMs: options.userTimeout, sticky: 1 };
}

describe('the plain variables', () => {
  it('seconds for idle and interval, probes, ms for the user timeout: taken as the kernel takes them', () => {
    expect(readEnvironment({ KEEPIDLE: '30', KEEPINTVL: '10', KEEPCNT: '3', TCP_USER_TIMEOUT: '60000' })).toEqual({
      keepAlive: { kind: 'on', values: { enabled: 1, idleSeconds: 30, intervalSeconds: 10, count: 3, userTimeoutMs: 60_000, sticky: 1 } },
      report: null,
    });
  });

  it('the namespaced name wins; left-out values stay as the kernel has them (-1)', () => {
    expect(readEnvironment({ KEEPIDLE: '30', TCP_KEEPALIVE_IDLE: '45' })).toEqual({
      keepAlive: { kind: 'on', values: { enabled: 1, idleSeconds: 45, intervalSeconds: -1, count: -1, userTimeoutMs: -1, sticky: 1 } },
      report: null,
    });
  });

  it('nothing set, empty values, the switch alone, and off', () => {
    expect(readEnvironment({})).toEqual({ keepAlive: { kind: 'unset' }, report: null });
    expect(readEnvironment({ KEEPIDLE: ' ', TCP_KEEPALIVE_STICKY: 'off' })).toEqual({ keepAlive: { kind: 'unset' }, report: null });
    expect(readEnvironment({ TCP_KEEPALIVE: 'on' })).toEqual({
      keepAlive: { kind: 'on', values: { enabled: 1, idleSeconds: -1, intervalSeconds: -1, count: -1, userTimeoutMs: -1, sticky: 1 } },
      report: null,
    });
    expect(readEnvironment({ KEEPALIVE: 'off', KEEPIDLE: '30' })).toEqual({ keepAlive: { kind: 'off' }, report: null });
  });

  it('TCP_KEEPALIVE_REPORT, a list: on (1, true) for sentences, json for objects, otel for OpenTelemetry, or off; alone it leaves keepalive unset', () => {
    const text = { lines: 'text', otel: false };
    for (const on of ['1', 'on', 'true', ' ON ']) expect(readEnvironment({ TCP_KEEPALIVE_REPORT: on })).toEqual({ keepAlive: { kind: 'unset' }, report: text });
    expect(readEnvironment({ TCP_KEEPALIVE_REPORT: 'json', KEEPIDLE: '30' })).toMatchObject({ keepAlive: { kind: 'on' }, report: { lines: 'json', otel: false } });
    expect(readEnvironment({ TCP_KEEPALIVE_REPORT: 'off' })).toEqual({ keepAlive: { kind: 'unset' }, report: null });
    expect(readEnvironment({ TCP_KEEPALIVE_REPORT: '1', KEEPALIVE: 'off' })).toEqual({ keepAlive: { kind: 'off' }, report: text });
    expect(readEnvironment({ TCP_KEEPALIVE_REPORT: 'otel' })).toMatchObject({ report: { lines: null, otel: true } });
    expect(readEnvironment({ TCP_KEEPALIVE_REPORT: 'otel,json' })).toMatchObject({ report: { lines: 'json', otel: true } });
    expect(readEnvironment({ TCP_KEEPALIVE_REPORT: ' on , OTEL ' })).toMatchObject({ report: { lines: 'text', otel: true } });
  });

  it.each([
    [{ TCP_KEEPALIVE_REPORT: 'yes please' }, /^TCP_KEEPALIVE_REPORT="yes please" is not valid: 'yes please' is not a word it knows \(a list of on, json and otel, or off\)$/],
    [{ TCP_KEEPALIVE_REPORT: 'otel,prometheus' }, /^TCP_KEEPALIVE_REPORT="otel,prometheus" is not valid: 'prometheus' is not a word it knows/],
    [{ TCP_KEEPALIVE_REPORT: 'otel,otel' }, /is not valid: otel is named twice/],
    [{ TCP_KEEPALIVE_REPORT: 'off,otel' }, /is not valid: off beside another word/],
    [{ TCP_KEEPALIVE_REPORT: 'json,on' }, /is not valid: json and on both ask for lines: name one/],
    [{ TCP_KEEPALIVE_REPORT: 'otel,' }, /is not valid: an empty word/],
    [{ KEEPIDLE: '0' }, /^KEEPIDLE="0" is not valid: it must be an integer from 1 to 32767 \(seconds\)$/],
    [{ KEEPCNT: '128' }, /^KEEPCNT="128" is not valid: it must be an integer from 1 to 127 \(probes\)$/],
    [{ TCP_KEEPALIVE_INTERVAL: '10s' }, /^TCP_KEEPALIVE_INTERVAL="10s" is not valid/],
    [{ KEEPALIVE: 'maybe' }, /^KEEPALIVE="maybe" is not valid: use on or off$/],
  ])('%o is refused with one line naming the variable', (env, message) => {
    expect(() => readEnvironment(env)).toThrow(expect.objectContaining({ code: 'ERR_TCP_KEEPALIVE_ENV', message: expect.stringMatching(message) }));
  });
});

describe('the budget in the environment (tcp-keepalive/register)', () => {
  it('TCP_KEEPALIVE_DETECT_WITHIN (seconds, or with a unit), NAT_IDLE and PROBES give keepAliveFor\'s choice', () => {
    expect(readEnvironment({ TCP_KEEPALIVE_DETECT_WITHIN: '30' })).toEqual({ keepAlive: { kind: 'on', values: kernelValues(keepAliveFor({ detectWithin: 30_000 })) }, report: null });
    expect(readEnvironment({ TCP_KEEPALIVE_DETECT_WITHIN: '2min', TCP_KEEPALIVE_NAT_IDLE: '350s', TCP_KEEPALIVE_PROBES: '4' })).toEqual({
      keepAlive: { kind: 'on', values: kernelValues(keepAliveFor({ detectWithin: 120_000, natIdle: 350_000, probes: 4 })) },
      report: null,
    });
    expect(readEnvironment({ TCP_KEEPALIVE_DETECT_WITHIN: '8000ms', TCP_KEEPALIVE_STICKY: 'off' })).toEqual({
      keepAlive: { kind: 'on', values: { ...kernelValues(keepAliveFor({ detectWithin: 8_000 })), sticky: 0 } },
      report: null,
    });
    expect(readEnvironment({ TCP_KEEPALIVE_DETECT_WITHIN: '30', KEEPALIVE: 'off' })).toEqual({ keepAlive: { kind: 'off' }, report: null });
  });

  it.each([
    [{ TCP_KEEPALIVE_DETECT_WITHIN: '2' }, /TCP_KEEPALIVE_DETECT_WITHIN="2" is not valid: it must be an integer >= 2450/],
    [{ TCP_KEEPALIVE_DETECT_WITHIN: '0x10' }, /TCP_KEEPALIVE_DETECT_WITHIN="0x10" is not valid: it must be a whole number of seconds/],
    [{ TCP_KEEPALIVE_DETECT_WITHIN: '1e4' }, /is not valid/],
    [{ TCP_KEEPALIVE_DETECT_WITHIN: '30', TCP_KEEPALIVE_NAT_IDLE: '1' }, /TCP_KEEPALIVE_NAT_IDLE="1" is not valid: it must be an integer >= 1250/],
    [{ TCP_KEEPALIVE_DETECT_WITHIN: '4', TCP_KEEPALIVE_PROBES: '3' }, /TCP_KEEPALIVE_DETECT_WITHIN="4" is not valid: it must be >= 4700 for 3 probes/],
    [{ TCP_KEEPALIVE_DETECT_WITHIN: '30', KEEPIDLE: '10' }, /chooses idle, interval, count and user timeout itself: unset KEEPIDLE/],
    [{ TCP_KEEPALIVE_NAT_IDLE: '350' }, /TCP_KEEPALIVE_NAT_IDLE is set without TCP_KEEPALIVE_DETECT_WITHIN/],
    [{ TCP_KEEPALIVE_DETECT_WITHIN: 'x'.repeat(100_000) }, /^TCP_KEEPALIVE_DETECT_WITHIN="x{37}\.\.\." is not valid/],
  ])('%o is refused with one line naming the variable', (env, message) => {
    expect(() => readEnvironment(env)).toThrow(expect.objectContaining({ code: 'ERR_TCP_KEEPALIVE_ENV', message: expect.stringMatching(message) }));
  });
});
