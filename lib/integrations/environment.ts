// Keepalive settings from the environment, for the preload. Names and units
// follow libkeepalive (the seed HOWTO §5.2) where it has them; the namespaced
// TCP_KEEPALIVE_* form wins when both are set, so a deployment can avoid
// collisions with other programs that read the short names.
//
// Parsed once, into the kernel's own units: KEEPIDLE=30 is 30 seconds here
// and 30 seconds in the kernel, with no round trip through milliseconds.
import { MAX_COUNT, MAX_KEEPALIVE_SECONDS, MAX_USER_TIMEOUT_MS } from '../core/limits.js';
import type { KernelValues } from '../core/options.js';
import { parseDuration, parseWholeNumber, truncate } from '../core/parse.js';
import type { Schedule } from './budget.js';
import { singlePolicy, type Policy } from './policy.js';

/** The rules' parser (lib/integrations/rules.ts): loaded only where TCP_KEEPALIVE_RULES is set, so not in the start-up bundle. */
export type RulesParser = Pick<typeof import('./rules.js'), 'parseRules' | 'environmentPolicy'>;

/**
 * What readEnvironment loads only where its variables are set, each its own
 * bundled file in dist/ (scripts/bundle-preload.mjs): the rules' parser
 * (TCP_KEEPALIVE_RULES) and the detection budget's arithmetic
 * (TCP_KEEPALIVE_DETECT_WITHIN). Required from dist/ by default; the CLI and
 * the tests, which have them loaded already, hand them over.
 */
export interface EnvironmentParts {
  rules(): RulesParser;
  budget(): Pick<typeof import('./budget.js'), 'scheduleFor'>;
}

const REQUIRED: EnvironmentParts = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  rules: () => require('./rules.js') as RulesParser,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  budget: () => require('./budget.js') as typeof import('./budget.js'),
};

/** One variable the preload reads: its names (namespaced first), the kernel value it sets (in the kernel's unit) and its range. */
interface Variable {
  names: readonly [string, string];
  value: 'idleSeconds' | 'intervalSeconds' | 'count' | 'userTimeoutMs';
  min: number;
  max: number;
  unit: string;
}

const VARIABLES: readonly Variable[] = [
  { names: ['TCP_KEEPALIVE_IDLE', 'KEEPIDLE'], value: 'idleSeconds', min: 1, max: MAX_KEEPALIVE_SECONDS, unit: 'seconds' },
  { names: ['TCP_KEEPALIVE_INTERVAL', 'KEEPINTVL'], value: 'intervalSeconds', min: 1, max: MAX_KEEPALIVE_SECONDS, unit: 'seconds' },
  { names: ['TCP_KEEPALIVE_COUNT', 'KEEPCNT'], value: 'count', min: 1, max: MAX_COUNT, unit: 'probes' },
  { names: ['TCP_KEEPALIVE_USER_TIMEOUT', 'TCP_USER_TIMEOUT'], value: 'userTimeoutMs', min: 0, max: MAX_USER_TIMEOUT_MS, unit: 'milliseconds' },
];
const SWITCH = ['TCP_KEEPALIVE', 'KEEPALIVE'] as const;
const STICKY = 'TCP_KEEPALIVE_STICKY';
// The detection budget (keepAliveFor): seconds when bare, or 30s, 5min, 350000ms.
const DETECT_WITHIN = 'TCP_KEEPALIVE_DETECT_WITHIN';
const NAT_IDLE = 'TCP_KEEPALIVE_NAT_IDLE';
const PROBES = 'TCP_KEEPALIVE_PROBES';
// A line on stderr for every lost connection (lib/integrations/report.ts).
const REPORT = 'TCP_KEEPALIVE_REPORT';
// Values by direction and destination (lib/integrations/rules.ts).
const RULES = 'TCP_KEEPALIVE_RULES';

/** Every variable the preload reads (lib/register.ts checks these before loading anything). */
export const VARIABLE_NAMES: readonly string[] = [
  ...VARIABLES.flatMap((variable) => variable.names),
  ...SWITCH,
  STICKY,
  DETECT_WITHIN,
  NAT_IDLE,
  PROBES,
  REPORT,
  RULES,
];

/**
 * How the preload reports lost connections (TCP_KEEPALIVE_REPORT, a
 * comma-separated list): lines on stderr, a sentence or one JSON object each
 * (`on`/`1`, `json`), and through the program's own OpenTelemetry (`otel`).
 */
export interface ReportSettings {
  lines: 'text' | 'json' | null;
  otel: boolean;
}

/**
 * What the environment asks for: keepalive (nothing, "leave sockets alone",
 * or a policy: one set of values for every socket, or rules; sticky unless it
 * says off), and whether to report every lost connection.
 */
interface EnvironmentSettings {
  keepAlive: { kind: 'unset' } | { kind: 'off' } | { kind: 'on'; policy: Policy };
  report: ReportSettings | null;
}

/** A bad variable, with the one line the preload prints before it exits. */
export class EnvironmentError extends Error {
  readonly code = 'ERR_TCP_KEEPALIVE_ENV';
}

/**
 * Reads the settings, or throws an EnvironmentError naming the variable, its
 * value and the valid range. `parts` is where the rules' parser and the
 * budget's arithmetic come from (EnvironmentParts).
 */
export function readEnvironment(env: NodeJS.ProcessEnv, parts: EnvironmentParts = REQUIRED): EnvironmentSettings {
  const onOff = (name: string, value: string): boolean => {
    const word = value.trim().toLowerCase();
    if (word === 'on' || word === '1' || word === 'true') return true;
    if (word === 'off' || word === '0' || word === 'false') return false;
    throw new EnvironmentError(`${name}=${quoted(value)} is not valid: use on or off`);
  };
  const switchName = SWITCH.find((name) => present(env[name]));
  const enabled = switchName === undefined ? undefined : onOff(switchName, env[switchName]!);

  const values: KernelValues = { enabled: 1, idleSeconds: -1, intervalSeconds: -1, count: -1, userTimeoutMs: -1, sticky: 1 };
  const given: Variable[] = [];
  for (const variable of VARIABLES) {
    const name = variable.names.find((candidate) => present(env[candidate]));
    if (name === undefined) continue;
    const raw = env[name]!;
    const value = parseWholeNumber(raw);
    if (value === null || value < variable.min || value > variable.max) {
      throw new EnvironmentError(`${name}=${quoted(raw)} is not valid: it must be an integer from ${variable.min} to ${variable.max} (${variable.unit})`);
    }
    values[variable.value] = value;
    given.push(variable);
  }
  if (present(env[DETECT_WITHIN])) {
    if (given.length > 0) {
      throw new EnvironmentError(`${DETECT_WITHIN} chooses idle, interval, count and user timeout itself: unset ${given[0].names.filter((n) => present(env[n])).join(' and ')}`);
    }
    Object.assign(values, budgetFromEnvironment(env, parts));
  } else {
    const stray = [NAT_IDLE, PROBES].find((name) => present(env[name]));
    if (stray !== undefined) throw new EnvironmentError(`${stray} is set without ${DETECT_WITHIN}: it only shapes what that variable asks for`);
  }
  if (present(env[STICKY])) values.sticky = onOff(STICKY, env[STICKY]!) ? 1 : 0;
  const report = reportFormat(env, onOff);
  const plain = given.length > 0 || present(env[DETECT_WITHIN]) || enabled === true;

  if (present(env[RULES])) {
    if (enabled === false) throw new EnvironmentError(`${switchName}=${quoted(env[switchName!]!)} leaves every connection alone and ${RULES} gives rules: unset one`);
    // The plain variables that set the default, named in the message if a default rule is given too.
    const plainNames = [enabled === true ? switchName : undefined, ...given.map((variable) => variable.names.find((n) => present(env[n]))), present(env[DETECT_WITHIN]) ? DETECT_WITHIN : undefined]
      .filter((name) => name !== undefined)
      .join(' and ');
    const { environmentPolicy, parseRules } = parts.rules();
    try {
      const rules = parseRules(env[RULES], values.sticky);
      return { keepAlive: { kind: 'on', policy: environmentPolicy(rules, plain ? values : undefined, plainNames) }, report };
    } catch (error) {
      throw new EnvironmentError(`${RULES} ${(error as Error).message}`);
    }
  }
  if (enabled === false) return { keepAlive: { kind: 'off' }, report };
  if (!plain) return { keepAlive: { kind: 'unset' }, report };
  return { keepAlive: { kind: 'on', policy: singlePolicy(values) }, report };
}

// TCP_KEEPALIVE_REPORT: a comma-separated list of on (1, true) for a sentence
// per lost connection, json for an object, otel for OpenTelemetry; or off.
function reportFormat(env: NodeJS.ProcessEnv, onOff: (name: string, value: string) => boolean): ReportSettings | null {
  if (!present(env[REPORT])) return null;
  const raw = env[REPORT];
  const words = raw.split(',').map((word) => word.trim().toLowerCase());
  const refuse = (why: string): never => {
    throw new EnvironmentError(`${REPORT}=${quoted(raw)} is not valid: ${why} (a list of on, json and otel, or off)`);
  };
  const settings: ReportSettings = { lines: null, otel: false };
  let off = false;
  for (const word of words) {
    if (word === 'otel') {
      if (settings.otel) refuse('otel is named twice');
      settings.otel = true;
    } else if (word === 'json' || word === '') {
      if (word === '') refuse('an empty word');
      if (settings.lines !== null) refuse(`${settings.lines === 'json' ? 'json' : 'on'} and json both ask for lines: name one`);
      settings.lines = 'json';
    } else {
      let on: boolean;
      try {
        on = onOff(REPORT, word);
      } catch {
        return refuse(`'${truncate(word)}' is not a word it knows`);
      }
      if (!on) off = true;
      else if (settings.lines !== null) refuse(`${settings.lines === 'json' ? 'json' : 'on'} and ${word} both ask for lines: name one`);
      else settings.lines = 'text';
    }
  }
  if (off) {
    if (words.length > 1) refuse('off beside another word');
    return null;
  }
  return settings;
}

// TCP_KEEPALIVE_DETECT_WITHIN (+ NAT_IDLE, PROBES): the schedule keepAliveFor
// chooses, in the kernel's units, or an EnvironmentError with its reason.
function budgetFromEnvironment(env: NodeJS.ProcessEnv, parts: EnvironmentParts): Schedule {
  const time = (name: string): number | undefined => {
    if (!present(env[name])) return undefined;
    const ms = parseDuration(env[name]!, 's');
    if (ms === null) throw new EnvironmentError(`${name}=${quoted(env[name]!)} is not valid: it must be a whole number of seconds, or of ms, s, min or h (30, 30s, 5min)`);
    return ms;
  };
  const detectWithin = time(DETECT_WITHIN)!;
  const natIdle = time(NAT_IDLE);
  let probes: number | undefined;
  if (present(env[PROBES])) {
    probes = parseWholeNumber(env[PROBES]!) ?? undefined;
    if (probes === undefined) throw new EnvironmentError(`${PROBES}=${quoted(env[PROBES]!)} is not valid: it must be an integer from 1 to ${MAX_COUNT} (probes)`);
  }
  const { scheduleFor } = parts.budget();
  try {
    return scheduleFor({ detectWithin, natIdle, probes });
  } catch (error) {
    // The API's message names budget.x in ms; say it in the variable's terms.
    const names: Record<string, string> = { detectWithin: DETECT_WITHIN, natIdle: NAT_IDLE, probes: PROBES };
    const [, key = 'detectWithin'] = /budget\.(\w+)/.exec((error as Error).message) ?? [];
    const rule = (error as Error).message.replace(/^.*It must be /, '').replace(/\. Received.*$/, '');
    throw new EnvironmentError(`${names[key]}=${quoted(env[names[key]]!)} is not valid: it must be ${rule}`);
  }
}

// An empty variable counts as unset, as a shell's `VAR= node …` means.
function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

// A value as the environment's messages show it: quoted, cut if long.
function quoted(text: string): string {
  return JSON.stringify(truncate(text));
}
