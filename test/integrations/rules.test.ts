// Rules by direction and destination (lib/integrations/rules.ts): the
// grammar of TCP_KEEPALIVE_RULES, configure({ rules }), which rule a
// connection gets, and every way a rule set is refused before anything is
// configured. What a process under the preload does with them, on real
// sockets: test/integrations/register-rules.test.ts.
import { describe, expect, it } from 'vitest';
import { keepAliveFor } from '../../lib/index.js';
import { readEnvironment as readSettings } from '../../lib/integrations/environment.js';
import * as budget from '../../lib/integrations/budget.js';
import * as rulesParser from '../../lib/integrations/rules.js';
import { configuredPolicy, parseAddress, parseDestination, ruleFor, type Policy } from '../../lib/integrations/rules.js';

// The preload requires the parser and the budget from dist/ where their variables are set; here they are handed over.
const readEnvironment = (env: NodeJS.ProcessEnv) => readSettings(env, { rules: () => rulesParser, budget: () => budget });

function policyOf(rules: string, extra: NodeJS.ProcessEnv = {}): Policy {
  const settings = readEnvironment({ TCP_KEEPALIVE_RULES: rules, ...extra });
  if (settings.keepAlive.kind !== 'on') throw new Error('no policy');
  return settings.keepAlive.policy;
}

const plain = (idleSeconds: number, intervalSeconds = -1, count = -1, userTimeoutMs = -1) => ({ enabled: 1, idleSeconds, intervalSeconds, count, userTimeoutMs, sticky: 1 });
const chosen = (options: { idle: number; interval: number; count: number; userTimeout: number }) => ({
  enabled: 1,
  idleSeconds: options.idle / 1000,
  intervalSeconds: options.interval / 1000,
  count: options.count,
  userTimeoutMs: options.userTimeout,
  sticky: 1,
});

describe('addresses', () => {
  it.each([
    ['10.0.0.5', 4, [0, 0, 0, 0x0a000005]],
    ['255.255.255.255', 4, [0, 0, 0, 0xffffffff]],
    ['::ffff:10.0.0.5', 4, [0, 0, 0, 0x0a000005]],
    ['::1', 6, [0, 0, 0, 1]],
    ['::', 6, [0, 0, 0, 0]],
    ['2001:db8::1', 6, [0x20010db8, 0, 0, 1]],
    ['2001:db8:0:0:1:0:0:1', 6, [0x20010db8, 0, 0x10000, 1]],
    ['fe80::1%eth0', 6, [0xfe800000, 0, 0, 1]],
    ['64:ff9b::192.0.2.33', 6, [0x0064ff9b, 0, 0, 0xc0000221]],
    ['1:2:3:4:5:6:7::', 6, [0x10002, 0x30004, 0x50006, 0x70000]],
  ])('%s is IPv%i', (text, family, words) => {
    const into = [9, 9, 9, 9];
    expect(parseAddress(text, into)).toBe(family);
    expect(into).toEqual(words);
  });

  it.each(['', '10.0.0', '10.0.0.256', '10.0.0.05', '1.2.3.4.5', 'a.b.c.d', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1', '1:', '12345::', 'db.example', '::g'])(
    '%j is no address',
    (text) => expect(parseAddress(text, [0, 0, 0, 0])).toBe(0),
  );
});

describe('destinations', () => {
  it.each([
    [':5432', { port: 5432, family: 0 }],
    ['10.0.0.5', { port: -1, family: 4, prefix: 32 }],
    ['10.0.0.5:5432', { port: 5432, family: 4, prefix: 32 }],
    ['10.0.0.0/8', { port: -1, family: 4, prefix: 8 }],
    ['10.0.0.0/8:6379', { port: 6379, family: 4, prefix: 8 }],
    ['[2001:db8::1]:443', { port: 443, family: 6, prefix: 128 }],
    ['2001:db8::/32', { port: -1, family: 6, prefix: 32 }],
    ['[2001:db8::/32]:443', { port: 443, family: 6, prefix: 32 }],
  ])('%s', (text, expected) => expect(parseDestination(text)).toMatchObject(expected));

  it.each([
    ['', /empty/],
    [':0', /port "0" is not a port number from 1 to 65535/],
    [':70000', /port "70000"/],
    ['10.0.0.5:x', /port "x"/],
    ['10.0.0.0/33', /"\/33" is not a prefix length from 0 to 32 for IPv4/],
    ['10.0.0.1/8', /has bits set past its \/8/],
    ['2001:db8::/129', /from 0 to 128 for IPv6/],
    ['db.example:5432', /is a host name/],
    ['10.0.0', /is not an IPv4 or IPv6 address/],
    ['[2001:db8::1', /without its "]"/],
    ['[2001:db8::1]443', /is not a port/],
  ])('%j is refused: %s', (text, reason) => expect(parseDestination(text)).toMatch(reason));
});

describe('TCP_KEEPALIVE_RULES', () => {
  const example = 'accepted: detect-within=60s no-user-timeout; to :5432: detect-within=30s nat-idle=350s; to 127.0.0.0/8: off';

  it("the issue's example: accepted connections without a user timeout, the database with its budget, loopback left alone", () => {
    const policy = policyOf(example);
    expect(policy.named).toBe(true);
    expect(policy.rules.map((rule) => rule.name)).toEqual(['accepted', 'to :5432', 'to 127.0.0.0/8']);
    expect(policy.accepted?.values).toEqual(chosen(keepAliveFor({ detectWithin: 60_000, userTimeout: false })));
    expect(policy.rules[1].values).toEqual(chosen(keepAliveFor({ detectWithin: 30_000, natIdle: 350_000 })));
    expect(policy.rules[2].values).toBeNull();
    expect(policy.byDestination).toBe(true);
    // First match wins; no rule for the rest: left as Node made it.
    expect(ruleFor(policy, '10.0.0.5', 5432)?.name).toBe('to :5432');
    expect(ruleFor(policy, '127.0.0.1', 5432)?.name).toBe('to :5432');
    expect(ruleFor(policy, '127.0.0.1', 6379)?.name).toBe('to 127.0.0.0/8');
    expect(ruleFor(policy, '::ffff:127.0.0.9', 80)?.name).toBe('to 127.0.0.0/8');
    expect(ruleFor(policy, '10.0.0.5', 6379)).toBeUndefined();
    expect(ruleFor(policy, '::1', 6379)).toBeUndefined();
  });

  it('plain values in the plain variables\' units, or with a unit; the words; spaces and case are free', () => {
    const policy = policyOf(' TO 10.0.0.0/8 : idle=30 interval=5s count=4 user-timeout=20s ;to [2001:db8::1]:443: IDLE=2min no-user-timeout;default: idle=600;');
    expect(policy.rules.map((rule) => [rule.name, rule.values])).toEqual([
      ['to 10.0.0.0/8', plain(30, 5, 4, 20_000)],
      ['to [2001:db8::1]:443', plain(120, -1, -1, 0)],
      ['default', plain(600)],
    ]);
    expect(ruleFor(policy, '10.200.3.4', 1)?.name).toBe('to 10.0.0.0/8');
    expect(ruleFor(policy, '2001:db8::1', 443)?.name).toBe('to [2001:db8::1]:443');
    expect(ruleFor(policy, '2001:db8::1', 444)?.name).toBe('default');
    expect(ruleFor(policy, undefined, undefined)?.name).toBe('default');
    // Accepted connections get the default (the first rule that is not `to`).
    expect(policy.accepted?.name).toBe('default');
  });

  it('IPv6 ranges match by prefix; an address rule with a port matches only that port', () => {
    const policy = policyOf('to 2001:db8::/32: idle=10; to 10.1.2.3:6379: idle=20; to fd00::/8: idle=30');
    expect(ruleFor(policy, '2001:db8:ffff::9', 1)?.name).toBe('to 2001:db8::/32');
    expect(ruleFor(policy, '2001:db9::9', 1)).toBeUndefined();
    expect(ruleFor(policy, 'fdab::1', 1)?.name).toBe('to fd00::/8');
    expect(ruleFor(policy, '10.1.2.3', 6379)?.name).toBe('to 10.1.2.3:6379');
    expect(ruleFor(policy, '10.1.2.3', 6380)).toBeUndefined();
    expect(policy.accepted).toBeUndefined();
  });

  it('without a `to` rule the opened connections\' rule is known once: no matching per connection', () => {
    const policy = policyOf('accepted: off; default: idle=45');
    expect(policy.byDestination).toBe(false);
    expect(policy.opened?.values).toEqual(plain(45));
    expect(policy.accepted?.values).toBeNull();
  });

  it('the plain variables are the default rule after the rules; TCP_KEEPALIVE_STICKY applies to every rule', () => {
    const policy = policyOf('to :5432: idle=30', { KEEPIDLE: '600', TCP_KEEPALIVE_STICKY: 'off' });
    expect(policy.rules.map((rule) => [rule.name, rule.values])).toEqual([
      ['to :5432', { ...plain(30), sticky: 0 }],
      ['default', { ...plain(600), sticky: 0 }],
    ]);
    expect(policyOf('to :5432: idle=30', { TCP_KEEPALIVE_DETECT_WITHIN: '60' }).rules[1].values).toEqual(chosen(keepAliveFor({ detectWithin: 60_000 })));
  });

  it.each([
    ['accepted: idel=30', /^TCP_KEEPALIVE_RULES rule 1 \("accepted: idel=30"\): "idel" is not a setting \(known: idle, interval/],
    ['accepted: idle=30; to 10.0.0.0/33: off', /^TCP_KEEPALIVE_RULES rule 2 \("to 10.0.0.0\/33: off"\): "\/33" is not a prefix length/],
    ['to :99999: idle=30', /rule 1 .*port "99999" is not a port number/],
    ['to db.example: idle=30', /is a host name: rules match the address a connection reached/],
    ['to 10.0.0.0/8: idle=30; to 10.1.0.0/16: idle=60', /^TCP_KEEPALIVE_RULES rule 2 \(to 10.1.0.0\/16\) can never match: rule 1 \(to 10.0.0.0\/8\) comes first/],
    ['to :5432: idle=30; to 10.0.0.5:5432: off', /rule 2 \(to 10.0.0.5:5432\) can never match: rule 1 \(to :5432\)/],
    ['default: idle=30; accepted: off', /rule 2 \(accepted\) can never match: rule 1 \(default\)/],
    ['accepted: off; accepted: idle=3', /rule 2 \(accepted\) can never match/],
    ['to :5432: detect-within=2s', /rule 1 .*detect-within=2s is not valid: it must be an integer >= 2450/],
    ['to :5432: detect-within=4s probes=3', /detect-within=4s is not valid: it must be >= 4700 for 3 probes/],
    ['to :5432: detect-within=30s idle=10', /detect-within chooses idle, interval, count and user timeout itself: drop idle/],
    ['to :5432: nat-idle=350', /nat-idle is given without detect-within/],
    ['to :5432: off idle=30', /off leaves these connections as Node made them: it takes no other setting/],
    ['to :5432:', /no settings/],
    ['to :5432 idle=30', /a ":" must end the selector/],
    ['from :5432: idle=30', /a rule starts with "accepted:", "to <destination>:" or "default:"/],
    ['to :5432: idle=1500ms', /idle=1500ms is not valid: it must be whole seconds from 1 to 32767/],
    ['to :5432: count=0', /count=0 is not valid: it must be an integer from 1 to 127/],
    ['to :5432: idle=30 idle=40', /idle is given twice/],
    ['to :5432: user-timeout=5s no-user-timeout', /contradict/],
    ['to :5432: sometimes', /"sometimes" is not a setting/],
    [' ; ; ', /^TCP_KEEPALIVE_RULES has no rules/],
  ])('%j is refused with one line naming the rule', (rules, message) => {
    expect(() => readEnvironment({ TCP_KEEPALIVE_RULES: rules })).toThrow(expect.objectContaining({ code: 'ERR_TCP_KEEPALIVE_ENV', message: expect.stringMatching(message) }));
  });

  it('a mix that would be ambiguous is refused: two defaults, or the switch off beside rules', () => {
    expect(() => readEnvironment({ TCP_KEEPALIVE_RULES: 'default: idle=30', KEEPIDLE: '60' })).toThrow(/has a default rule \(rule 1\) and KEEPIDLE set the default too: keep one/);
    expect(() => readEnvironment({ TCP_KEEPALIVE_RULES: 'default: idle=30', TCP_KEEPALIVE_DETECT_WITHIN: '60' })).toThrow(/TCP_KEEPALIVE_DETECT_WITHIN set the default too/);
    expect(() => readEnvironment({ TCP_KEEPALIVE_RULES: 'accepted: idle=30', TCP_KEEPALIVE: 'off' })).toThrow(/TCP_KEEPALIVE="off" leaves every connection alone and TCP_KEEPALIVE_RULES gives rules: unset one/);
  });
});

describe('configure({ rules })', () => {
  it('typed rules: a match and keepalive options (keepAliveFor fits), or off; top-level options are the default', () => {
    const policy = configuredPolicy(
      [
        { match: 'accepted', keepAlive: keepAliveFor({ detectWithin: 60_000, userTimeout: false }) },
        { match: { to: ':5432' }, keepAlive: { idle: 30_000, interval: 5_000, count: 3 } },
        { match: { to: '127.0.0.0/8' }, keepAlive: 'off' },
      ],
      plain(600),
      1,
    );
    expect(policy.rules.map((rule) => rule.name)).toEqual(['accepted', 'to :5432', 'to 127.0.0.0/8', 'default']);
    expect(policy.rules[1].values).toEqual(plain(30, 5, 3));
    expect(ruleFor(policy, '192.0.2.1', 443)?.name).toBe('default');
  });

  it.each([
    ['not an array', {}, 'ERR_INVALID_ARG_TYPE', /"options.rules" property must be an array of rules/],
    ['a rule that is no object', [null], 'ERR_INVALID_ARG_TYPE', /options.rules\[0\]/],
    ['a bad match', [{ match: 'incoming', keepAlive: 'off' }], 'ERR_INVALID_ARG_TYPE', /options.rules\[0\].match/],
    ['a malformed range', [{ match: { to: '10.0.0.1/8' }, keepAlive: 'off' }], 'ERR_INVALID_ARG_VALUE', /options.rules\[0\].match.to' is not a destination: "10.0.0.1\/8" has bits set/],
    ['a value out of range', [{ match: 'accepted', keepAlive: { count: 500 } }], 'ERR_OUT_OF_RANGE', /count/],
    ['an unknown key in a rule', [{ match: 'accepted', keepAlive: 'off', why: 1 }], 'ERR_INVALID_ARG_VALUE', /options.rules\[0\].why/],
    ['sticky per rule', [{ match: 'accepted', keepAlive: { idle: 1000, sticky: false } }], 'ERR_INVALID_ARG_VALUE', /sticky' is not set per rule/],
    ['a shadowed rule', [{ match: { to: ':5432' }, keepAlive: 'off' }, { match: { to: '10.0.0.5:5432' }, keepAlive: 'off' }], 'ERR_INVALID_ARG_VALUE', /options.rules\[1\]' can never match: options.rules\[0\] \(to :5432\)/],
  ])('%s: %s', (_name, rules, code, message) => {
    expect(() => configuredPolicy(rules, undefined, 1)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });

  it('a default rule beside top-level options is refused', () => {
    expect(() => configuredPolicy([{ match: 'default', keepAlive: 'off' }], plain(30), 1)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/top-level options set the default too/) }),
    );
  });
});
