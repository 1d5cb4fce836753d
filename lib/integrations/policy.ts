// What the preload applies, worked out once: one set of values for every
// connection (the plain variables, configure(options)), or rules by direction
// and destination. Kept apart from the rules' parser and matcher
// (lib/integrations/rules.ts), which load only where rules are given: the
// preload's start-up bundle carries this file, not that one.
import type { KernelValues } from '../core/options.js';

// What a rule selects, as a small integer (matching compares it per rule).
export const Kind = { Accepted: 0, To: 1, Default: 2 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** A rule ready to match: its selector as integers, its kernel values (`null`: off). */
export interface Rule {
  /** The selector as written: `accepted`, `default`, `to 10.0.0.0/8`. */
  readonly name: string;
  readonly kind: Kind;
  /** Remote port, or -1 for any. */
  readonly port: number;
  /** 0 for any address, else 4 or 6. */
  readonly family: number;
  readonly prefix: number;
  /** The address in four 32-bit words (IPv4 in the last), masked to the prefix. */
  readonly words: readonly number[];
  readonly values: KernelValues | null;
}

/** Rules in order, with what listeners (accepted connections) get worked out once. */
export interface Policy {
  readonly rules: readonly Rule[];
  /** The rule accepted connections get (the first `accepted` or `default`), if any. */
  readonly accepted: Rule | undefined;
  /** Whether connections the program opens need their destination to choose (any `to` rule). */
  readonly byDestination: boolean;
  /** Where none does: the rule every opened connection gets (`default`), if any. */
  readonly opened: Rule | undefined;
  /** Whether the rules were given as rules (named in reports), not as the plain variables' one set. */
  readonly named: boolean;
  /** Whether every rule's values are pinned (sticky): then Node's own later calls need no watching. */
  readonly pinned: boolean;
}

/** A rule that matches without an address or port: `accepted` or `default`. */
export function wholeRule(name: 'accepted' | 'default', values: KernelValues | null): Rule {
  return { name, kind: name === 'accepted' ? Kind.Accepted : Kind.Default, port: -1, family: 0, prefix: 0, words: [0, 0, 0, 0], values };
}

/** A policy of one set of values for every connection: the plain variables, configure(options). */
export function singlePolicy(values: KernelValues): Policy {
  return policyOf([wholeRule('default', values)], false);
}

export function policyOf(rules: Rule[], named: boolean): Policy {
  const accepted = rules.find((rule) => rule.kind !== Kind.To);
  const byDestination = rules.some((rule) => rule.kind === Kind.To);
  const opened = byDestination ? undefined : rules.find((rule) => rule.kind === Kind.Default);
  const pinned = rules.every((rule) => rule.values === null || rule.values.sticky === 1);
  return { rules, accepted, byDestination, opened, named, pinned };
}

