// tcp-keepalive explain --rules: the preload's rules (TCP_KEEPALIVE_RULES, or
// given on the command line) as the preload reads them, each with the values
// it sets and what they mean (a dead peer, data in flight, a stalled reader);
// with --for, which rule a connection gets.
import type { KernelValues } from '../core/options.js';
import { detectionTime, type DetectionTime } from '../kernel-view/detection-time.js';
import { EnvironmentError, readEnvironment } from '../integrations/environment.js';
import * as budget from '../integrations/budget.js';
import * as rulesParser from '../integrations/rules.js';
import { parseDestination, ruleFor, type Policy, type Rule } from '../integrations/rules.js';
import { formatDuration, formatSeconds } from './format.js';
import { EXIT, UsageError, type Values } from './usage.js';

interface RuleView {
  rule: number;
  match: string;
  /** null: off, connections left as Node made them. */
  values: { idle?: number; interval?: number; count?: number; userTimeout?: number } | null;
  detection: Omit<DetectionTime, 'settings'> | null;
}

export function rulesCommand(values: Values, json: boolean): number {
  for (const name of ['idle', 'interval', 'count', 'user-timeout', 'detect-within', 'nat-idle', 'probes', 'no-user-timeout']) {
    if (values[name] !== undefined) throw new UsageError(`--rules explains rules, whose settings are in the rules: drop --${name}`);
  }
  const policy = readPolicy(typeof values.rules === 'string' ? values.rules : undefined);
  const views = policy.rules.map(view);
  const target = typeof values.for === 'string' ? values.for : undefined;
  const match = target === undefined ? undefined : matchFor(policy, target);
  if (json) {
    console.log(JSON.stringify({ rules: views, ...(match === undefined ? {} : { for: target, match: match === null ? null : match.index + 1 }) }, null, 2));
    return EXIT.ok;
  }
  if (target !== undefined && match !== undefined) {
    const who = target.trim().toLowerCase() === 'accepted' ? 'A connection the program accepts' : `A connection the program opens to ${target.trim()}`;
    if (match === null) {
      console.log(`${who} matches no rule: it is left as Node made it.`);
    } else {
      console.log(`${who} matches rule ${match.index + 1} (${match.rule.name}):`);
      console.log(describe(views[match.index]));
    }
    return EXIT.ok;
  }
  console.log('Rules, in order (the first that matches a connection decides; a connection no rule matches is left as Node made it):\n');
  for (const item of views) console.log(`${item.rule}. ${item.match}\n${describe(item)}\n`);
  console.log('Accepted connections take the first "accepted" or "default" rule, set once on the listener;');
  console.log('connections the program opens take the first "to" rule matching the address and port they reached, else "default".');
  return EXIT.ok;
}

// The rules as the preload would read them: from --rules, or from this environment.
function readPolicy(text: string | undefined): Policy {
  const env = text === undefined ? process.env : { ...process.env, TCP_KEEPALIVE_RULES: text };
  if (env.TCP_KEEPALIVE_RULES === undefined || env.TCP_KEEPALIVE_RULES.trim() === '') {
    throw new UsageError('--rules needs rules, or TCP_KEEPALIVE_RULES in the environment (try explain --help)');
  }
  try {
    const settings = readEnvironment(env, { rules: () => rulesParser, budget: () => budget });
    if (settings.keepAlive.kind !== 'on') throw new UsageError('no rules to explain');
    return settings.keepAlive.policy;
  } catch (error) {
    if (error instanceof EnvironmentError) throw new UsageError(error.message);
    throw error;
  }
}

function matchFor(policy: Policy, target: string): { index: number; rule: Rule } | null {
  let rule: Rule | undefined;
  if (target.trim().toLowerCase() === 'accepted') {
    rule = policy.accepted;
  } else {
    const destination = parseDestination(target);
    if (typeof destination === 'string') throw new UsageError(`--for ${target}: ${destination}`);
    if (destination.family === 0 || destination.prefix !== (destination.family === 4 ? 32 : 128)) {
      throw new UsageError(`--for takes one connection: "accepted", or an address with an optional port (10.0.0.5:5432, [2001:db8::1]:443), not ${target}`);
    }
    rule = ruleFor(policy, addressOf(target.trim()), destination.port === -1 ? undefined : destination.port);
  }
  if (rule === undefined) return null;
  return { index: policy.rules.indexOf(rule), rule };
}

// The address part of a destination already checked: [v6]:port, v4:port, or a bare address.
function addressOf(target: string): string {
  if (target.startsWith('[')) return target.slice(1, target.indexOf(']'));
  return target.split(':').length === 2 ? target.split(':')[0] : target;
}

function view(rule: Rule, index: number): RuleView {
  if (rule.values === null) return { rule: index + 1, match: rule.name, values: null, detection: null };
  const options = msOptions(rule.values);
  const { settings: _settings, ...detection } = detectionTime({ ...options, enabled: true });
  return { rule: index + 1, match: rule.name, values: options, detection };
}

// Kernel units to the API's ms; values the rule leaves to the kernel are left out.
function msOptions(values: KernelValues): RuleView['values'] & object {
  const options: NonNullable<RuleView['values']> = {};
  if (values.idleSeconds >= 0) options.idle = values.idleSeconds * 1000;
  if (values.intervalSeconds >= 0) options.interval = values.intervalSeconds * 1000;
  if (values.count >= 0) options.count = values.count;
  if (values.userTimeoutMs >= 0) options.userTimeout = values.userTimeoutMs;
  return options;
}

function describe(item: RuleView): string {
  if (item.values === null || item.detection === null) return '   off: these connections are left as Node made them';
  const { values, detection } = item;
  const given = [
    values.idle === undefined ? 'idle as the system has it' : `idle ${formatSeconds(values.idle)}`,
    values.interval === undefined ? 'interval as the system has it' : `interval ${formatSeconds(values.interval)}`,
    values.count === undefined ? 'count as the system has it' : `count ${values.count}`,
    values.userTimeout === undefined ? 'user timeout as the socket has it' : values.userTimeout === 0 ? 'no user timeout' : `user timeout ${formatSeconds(values.userTimeout)}`,
  ];
  return [
    `   ${given.join(', ')}`,
    `   a peer that vanishes is declared dead ${formatDuration(detection.idle!)} after its last packet when idle (at the latest ${formatDuration(detection.idleWorst!)}),`,
    `   ${formatDuration(detection.dataInFlight)} with data in flight (${detection.dataInFlightBy === 'user-timeout' ? 'the user timeout' : 'tcp_retries2'});`,
    detection.stalledReader === null
      ? '   a live peer that stops reading is never cut off'
      : `   a live peer that stops reading is cut off after ${formatDuration(detection.stalledReader)} (the user timeout)`,
  ].join('\n');
}
