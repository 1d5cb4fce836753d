// Keepalive settings from the environment, for the preload. Names and units
// follow libkeepalive (the seed HOWTO §5.2) where it has them; the namespaced
// TCP_KEEPALIVE_* form wins when both are set, so a deployment can avoid
// collisions with other programs that read the short names.
import { keepAliveFor } from '../kernel-view/detection-budget.js';
import { MAX_COUNT, MAX_KEEPALIVE_SECONDS, MAX_USER_TIMEOUT_MS, type KeepAliveOptions } from '../core/options.js';

/** One variable the preload reads: its names (namespaced first), unit and range. */
interface Variable {
  names: readonly [string, string];
  option: 'idle' | 'interval' | 'count' | 'userTimeout';
  min: number;
  max: number;
  /** What one unit of the variable is in the option's unit (seconds → ms). */
  scale: number;
  unit: string;
}

export const VARIABLES: readonly Variable[] = [
  { names: ['TCP_KEEPALIVE_IDLE', 'KEEPIDLE'], option: 'idle', min: 1, max: MAX_KEEPALIVE_SECONDS, scale: 1000, unit: 'seconds' },
  { names: ['TCP_KEEPALIVE_INTERVAL', 'KEEPINTVL'], option: 'interval', min: 1, max: MAX_KEEPALIVE_SECONDS, scale: 1000, unit: 'seconds' },
  { names: ['TCP_KEEPALIVE_COUNT', 'KEEPCNT'], option: 'count', min: 1, max: MAX_COUNT, scale: 1, unit: 'probes' },
  { names: ['TCP_KEEPALIVE_USER_TIMEOUT', 'TCP_USER_TIMEOUT'], option: 'userTimeout', min: 0, max: MAX_USER_TIMEOUT_MS, scale: 1, unit: 'milliseconds' },
];
const SWITCH = ['TCP_KEEPALIVE', 'KEEPALIVE'] as const;
const STICKY = 'TCP_KEEPALIVE_STICKY';
// The detection budget (keepAliveFor): seconds when bare, or 30s, 5min, 350000ms.
const DETECT_WITHIN = 'TCP_KEEPALIVE_DETECT_WITHIN';
const NAT_IDLE = 'TCP_KEEPALIVE_NAT_IDLE';
const PROBES = 'TCP_KEEPALIVE_PROBES';

/** Every variable the preload reads (lib/register.ts checks these before loading anything). */
export const VARIABLE_NAMES: readonly string[] = [
  ...VARIABLES.flatMap((variable) => variable.names),
  ...SWITCH,
  STICKY,
  DETECT_WITHIN,
  NAT_IDLE,
  PROBES,
];

/** What the environment asks for: nothing, "leave sockets alone", or options. */
export type EnvironmentSettings = { kind: 'unset' } | { kind: 'off' } | { kind: 'on'; options: KeepAliveOptions };

/** A bad variable, with the one line the preload prints before it exits. */
export class EnvironmentError extends Error {
  readonly code = 'ERR_TCP_KEEPALIVE_ENV';
}

/** Reads the settings, or throws an EnvironmentError naming the variable, its value and the valid range. */
export function readEnvironment(env: NodeJS.ProcessEnv): EnvironmentSettings {
  const onOff = (name: string, value: string): boolean => {
    const word = value.trim().toLowerCase();
    if (word === 'on' || word === '1' || word === 'true') return true;
    if (word === 'off' || word === '0' || word === 'false') return false;
    throw new EnvironmentError(`${name}=${shown(value)} is not valid: use on or off`);
  };
  const switchName = SWITCH.find((name) => present(env[name]));
  const enabled = switchName === undefined ? undefined : onOff(switchName, env[switchName]!);

  const options: KeepAliveOptions = {};
  for (const variable of VARIABLES) {
    const name = variable.names.find((candidate) => present(env[candidate]));
    if (name === undefined) continue;
    const raw = env[name]!;
    const value = parseWholeNumber(raw);
    if (value === null || value < variable.min || value > variable.max) {
      throw new EnvironmentError(`${name}=${shown(raw)} is not valid: it must be an integer from ${variable.min} to ${variable.max} (${variable.unit})`);
    }
    options[variable.option] = value * variable.scale;
  }
  const budget = readBudget(env);
  if (budget !== undefined) {
    const knob = VARIABLES.find((variable) => options[variable.option] !== undefined);
    if (knob !== undefined) {
      throw new EnvironmentError(`${DETECT_WITHIN} chooses idle, interval, count and user timeout itself: unset ${knob.names.filter((n) => present(env[n])).join(' and ')}`);
    }
    Object.assign(options, budget);
  }
  if (present(env[STICKY])) options.sticky = onOff(STICKY, env[STICKY]!);

  if (enabled === false) return { kind: 'off' };
  const anyOption = VARIABLES.some((variable) => options[variable.option] !== undefined);
  if (!anyOption && enabled === undefined) return { kind: 'unset' };
  return { kind: 'on', options };
}

// TCP_KEEPALIVE_DETECT_WITHIN (+ NAT_IDLE, PROBES): the values keepAliveFor
// chooses, or an EnvironmentError with its reason.
function readBudget(env: NodeJS.ProcessEnv): KeepAliveOptions | undefined {
  const time = (name: string): number | undefined => {
    if (!present(env[name])) return undefined;
    const ms = parseDuration(env[name]!, 's');
    if (ms === null) throw new EnvironmentError(`${name}=${shown(env[name]!)} is not valid: it must be a whole number of seconds, or of ms, s, min or h (30, 30s, 5min)`);
    return ms;
  };
  const detectWithin = time(DETECT_WITHIN);
  const natIdle = time(NAT_IDLE);
  let probes: number | undefined;
  if (present(env[PROBES])) {
    probes = parseWholeNumber(env[PROBES]!) ?? undefined;
    if (probes === undefined) throw new EnvironmentError(`${PROBES}=${shown(env[PROBES]!)} is not valid: it must be an integer from 1 to ${MAX_COUNT} (probes)`);
  }
  if (detectWithin === undefined) {
    const stray = [NAT_IDLE, PROBES].find((name) => present(env[name]));
    if (stray !== undefined) throw new EnvironmentError(`${stray} is set without ${DETECT_WITHIN}: it only shapes what that variable asks for`);
    return undefined;
  }
  try {
    return keepAliveFor({ detectWithin, natIdle, probes });
  } catch (error) {
    // The API's message names budget.x in ms; say it in the variable's terms.
    const names: Record<string, string> = { detectWithin: DETECT_WITHIN, natIdle: NAT_IDLE, probes: PROBES };
    const [, key = 'detectWithin'] = /budget\.(\w+)/.exec((error as Error).message) ?? [];
    const rule = (error as Error).message.replace(/^.*It must be /, '').replace(/\. Received.*$/, '');
    throw new EnvironmentError(`${names[key]}=${shown(env[names[key]]!)} is not valid: it must be ${rule}`);
  }
}

// An empty variable counts as unset, as a shell's `VAR= node …` means.
function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

// The values people type, in the environment and on the command line (the
// CLI uses these too): one grammar for both, so `30s` means the same
// everywhere and neither accepts forms the other refuses (0x10, 1e4, 2.5).

const DURATION = /^\s*(\d+)\s*(ms|s|sec|m|min|h)?\s*$/i;
const MS_PER: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * A whole number with an optional unit (`ms`, `s`, `min`, `h`) in milliseconds;
 * a bare number is in `bareUnit`. `null` when it is not of that form.
 */
export function parseDuration(text: string, bareUnit: 'ms' | 's'): number | null {
  const match = DURATION.exec(text);
  if (match === null) return null;
  const ms = Number(match[1]) * MS_PER[(match[2] ?? bareUnit).toLowerCase()];
  return Number.isSafeInteger(ms) ? ms : null;
}

/** A whole number of decimal digits, or `null`. */
export function parseWholeNumber(text: string): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** A typed value as echoed in a message, cut if long: a 100 KB variable must not make a 100 KB line. */
export function cut(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The same, quoted, as the environment's messages show values. */
export function shown(text: string): string {
  return JSON.stringify(cut(text));
}
