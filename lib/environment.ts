// Keepalive settings from the environment, for the preload. Names and units
// follow libkeepalive (the seed HOWTO §5.2) where it has them; the namespaced
// TCP_KEEPALIVE_* form wins when both are set, so a deployment can avoid
// collisions with other programs that read the short names.
import { MAX_COUNT, MAX_KEEPALIVE_SECONDS, MAX_USER_TIMEOUT_MS, type KeepAliveOptions } from './options.js';

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
    throw new EnvironmentError(`${name}=${JSON.stringify(value)} is not valid: use on or off`);
  };
  const switchName = SWITCH.find((name) => present(env[name]));
  const enabled = switchName === undefined ? undefined : onOff(switchName, env[switchName]!);

  const options: KeepAliveOptions = {};
  for (const variable of VARIABLES) {
    const name = variable.names.find((candidate) => present(env[candidate]));
    if (name === undefined) continue;
    const raw = env[name]!;
    const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!(Number.isSafeInteger(value) && value >= variable.min && value <= variable.max)) {
      throw new EnvironmentError(
        `${name}=${JSON.stringify(raw)} is not valid: it must be an integer from ${variable.min} to ${variable.max} (${variable.unit})`,
      );
    }
    options[variable.option] = value * variable.scale;
  }
  if (present(env[STICKY])) options.sticky = onOff(STICKY, env[STICKY]!);

  if (enabled === false) return { kind: 'off' };
  const anyOption = VARIABLES.some((variable) => options[variable.option] !== undefined);
  if (!anyOption && enabled === undefined) return { kind: 'unset' };
  return { kind: 'on', options };
}

// An empty variable counts as unset, as a shell's `VAR= node …` means.
function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
