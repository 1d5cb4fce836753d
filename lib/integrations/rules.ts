// Policies for the preload: different values for connections the program
// accepts and for each destination it connects to (TCP_KEEPALIVE_RULES, or
// configure({ rules })). First match wins; `default` takes the rest; a
// connection no rule matches is left as Node made it.
//
// Accepted connections match only `accepted` and `default`, which the
// listener knows at listen time: their values go on the listener once and
// every accepted socket inherits them at no syscall. Connections the program
// opens are matched against `to` rules on the address and port they reached
// (a host name is resolved only at connect), so matching runs once per
// connection and must be cheap: addresses are parsed to integers without
// allocating, and a rule is two integer comparisons per word.
import { invalidArgType, invalidArgValue } from '../core/errors.js';
import { toKernelValues, MAX_COUNT, MAX_KEEPALIVE_SECONDS, MAX_USER_TIMEOUT_MS, type KeepAliveOptions, type KernelValues } from '../core/options.js';
import { parseDuration, parseWholeNumber, truncate } from '../core/parse.js';
import { scheduleFor } from '../kernel-view/detection-budget.js';
import { Kind, policyOf, wholeRule, type Policy, type Rule } from './policy.js';

export type { Policy, Rule } from './policy.js';

/** Which connections a rule is for: those the program accepts, those it opens to a destination, or all the rest. */
export type RuleMatch = 'accepted' | 'default' | { to: string };

/** One rule for configure({ rules }): a match and the values (times in ms, as setKeepAlive takes them; keepAliveFor's result fits), or `'off'`. */
export interface PreloadRule {
  match: RuleMatch;
  keepAlive: Omit<KeepAliveOptions, 'enabled' | 'sticky'> | 'off';
}

// Scratch for the address being matched: no array per connection.
const scratch = [0, 0, 0, 0];

/** The first rule for a connection the program opened to `address`:`port`, or undefined. */
export function ruleFor(policy: Policy, address: string | undefined, port: number | undefined): Rule | undefined {
  const family = address === undefined ? 0 : parseAddress(address, scratch);
  const rules = policy.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (rule.kind === Kind.Accepted) continue;
    if (rule.kind === Kind.Default) return rule;
    if (rule.port !== -1 && rule.port !== port) continue;
    if (rule.family === 0) return rule;
    if (rule.family !== family) continue;
    if (wordsMatch(scratch, rule.words, rule.prefix, family)) return rule;
  }
  return undefined;
}

function wordsMatch(address: readonly number[], network: readonly number[], prefix: number, family: number): boolean {
  // IPv4 is the last word alone; IPv6 prefixes count from the first word.
  if (family === 4) return ((address[3] & maskOf(prefix)) >>> 0) === network[3];
  for (let w = 0, bits = prefix; bits > 0; w++, bits -= 32) {
    if (((address[w] & maskOf(bits)) >>> 0) !== network[w]) return false;
  }
  return true;
}

// The top `bits` bits of a 32-bit word (all of it from 32 on).
function maskOf(bits: number): number {
  return bits >= 32 ? 0xffffffff : bits <= 0 ? 0 : ~(0xffffffff >>> bits);
}

/**
 * Parses an IPv4 or IPv6 address into `into` (four 32-bit words, IPv4 in the
 * last); returns 4 or 6, or 0 when it is neither. An IPv4 client of a
 * dual-stack listener (`::ffff:a.b.c.d`) is IPv4. A zone (`%eth0`) is ignored.
 */
export function parseAddress(text: string, into: number[]): number {
  into[0] = into[1] = into[2] = into[3] = 0;
  if (text.indexOf(':') === -1) {
    const v4 = parseIPv4(text, 0, text.length);
    if (v4 < 0) return 0;
    into[3] = v4;
    return 4;
  }
  let end = text.indexOf('%');
  if (end === -1) end = text.length;
  // Up to eight 16-bit groups, the last two of which may be a dotted IPv4; '::' once.
  const groups = GROUPS;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (text.charCodeAt(0) === 58 && text.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < end) {
    // One group: up to 4 hex digits, or a dotted IPv4 to the end.
    let value = 0;
    let j = i;
    for (; j < end; j++) {
      const digit = hexDigit(text.charCodeAt(j));
      if (digit < 0) break;
      value = value * 16 + digit;
    }
    const c = j < end ? text.charCodeAt(j) : -1;
    if (c === 46 /* . */) {
      if (count > 6) return 0;
      const v4 = parseIPv4(text, i, end);
      if (v4 < 0) return 0;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (j === i || j - i > 4 || count === 8) return 0;
    groups[count++] = value;
    if (j === end) break;
    if (c !== 58 /* : */) return 0;
    if (text.charCodeAt(j + 1) === 58) {
      // '::' marks the gap (once).
      if (gap !== -1) return 0;
      gap = count;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === end) return 0;
    }
  }
  if (gap === -1 ? count !== 8 : count > 7) return 0;
  if (gap !== -1) {
    // Move the groups after the gap to the end, zeros between.
    const tail = count - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k];
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (let w = 0; w < 4; w++) into[w] = ((groups[2 * w] << 16) | groups[2 * w + 1]) >>> 0;
  // ::ffff:a.b.c.d is an IPv4 peer.
  if (into[0] === 0 && into[1] === 0 && into[2] === 0xffff) {
    into[2] = 0;
    return 4;
  }
  return 6;
}

// Scratch for parseAddress's groups: no array per connection.
const GROUPS = [0, 0, 0, 0, 0, 0, 0, 0];

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// Dotted IPv4 between start and end as an unsigned 32-bit number, or -1.
function parseIPv4(text: string, start: number, end: number): number {
  let value = 0;
  let octet = -1;
  let octets = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 46 : text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (octet < 0 || octets === 4) return -1;
      value = value * 256 + octet;
      octets++;
      octet = -1;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros beyond a single 0 (010 would read as octal elsewhere).
      if (digits > 0 && octet === 0) return -1;
      octet = (octet < 0 ? 0 : octet * 10) + (c - 48);
      digits++;
      if (octet > 255) return -1;
    } else {
      return -1;
    }
  }
  return octets === 4 ? value : -1;
}

/** A destination as rules write it: `:5432`, `10.0.0.5`, `10.0.0.5:5432`, `10.0.0.0/8`, `[2001:db8::1]:443`, `2001:db8::/32`. */
interface Destination {
  port: number;
  family: number;
  prefix: number;
  words: number[];
}

/** Parses a destination, or returns the reason it is not one. */
export function parseDestination(text: string): Destination | string {
  const spec = text.trim();
  if (spec === '') return 'it is empty: give a port (:5432), an address (10.0.0.5, [2001:db8::1]:443) or a range (10.0.0.0/8)';
  let host = spec;
  let portText: string | undefined;
  if (spec.startsWith(':')) {
    host = '';
    portText = spec.slice(1);
  } else if (spec.startsWith('[')) {
    const close = spec.indexOf(']');
    if (close === -1) return 'a "[" without its "]"';
    host = spec.slice(1, close);
    const rest = spec.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return `"${rest}" after "]" is not a port (write [address]:port)`;
      portText = rest.slice(1);
    }
  } else if (spec.split(':').length === 2) {
    // One colon: IPv4 (or a range) and a port. More: an IPv6 address, which takes brackets before a port.
    [host, portText] = spec.split(':');
  }
  let port = -1;
  if (portText !== undefined) {
    const value = parseWholeNumber(portText);
    if (value === null || value < 1 || value > 65535) return `port "${portText}" is not a port number from 1 to 65535`;
    port = value;
  }
  if (host === '') return { port, family: 0, prefix: 0, words: [0, 0, 0, 0] };
  const slash = host.indexOf('/');
  const address = slash === -1 ? host : host.slice(0, slash);
  const words = [0, 0, 0, 0];
  const family = parseAddress(address, words);
  if (family === 0) {
    return /[a-z]/i.test(address) && !address.includes(':')
      ? `"${address}" is a host name: rules match the address a connection reached; give the address or a range`
      : `"${address}" is not an IPv4 or IPv6 address`;
  }
  // A mapped ::ffff:a.b.c.d written in a rule counts as the IPv4 address: so do the peers.
  const bits = family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash !== -1) {
    const value = parseWholeNumber(host.slice(slash + 1));
    if (value === null || value > bits) return `"/${host.slice(slash + 1)}" is not a prefix length from 0 to ${bits} for IPv${family}`;
    prefix = value;
  }
  const masked = words.slice();
  maskTo(masked, prefix, family);
  if (masked.some((word, i) => word !== words[i])) {
    return `"${host}" has bits set past its /${prefix} (a range starts at its network address)`;
  }
  return { port, family, prefix, words: masked };
}

function maskTo(words: number[], prefix: number, family: number): void {
  if (family === 4) {
    words[3] = (words[3] & maskOf(prefix)) >>> 0;
    return;
  }
  for (let w = 0; w < 4; w++) words[w] = (words[w] & maskOf(prefix - 32 * w)) >>> 0;
}

/** Whether every connection `later` would match is matched by `earlier` first. */
function covers(earlier: Rule, later: Rule): boolean {
  if (earlier.kind === Kind.Default) return true;
  if (earlier.kind === Kind.Accepted || later.kind === Kind.Accepted) return earlier.kind === later.kind;
  if (later.kind === Kind.Default) return false;
  if (earlier.port !== -1 && earlier.port !== later.port) return false;
  if (earlier.family === 0) return true;
  if (later.family !== earlier.family || later.prefix < earlier.prefix) return false;
  return wordsMatch(later.words, earlier.words, earlier.prefix, earlier.family);
}

/** The first rule that can never match, and the earlier one that takes all its connections. */
function findShadowed(rules: readonly Rule[]): [number, number] | undefined {
  for (let j = 1; j < rules.length; j++) {
    for (let i = 0; i < j; i++) if (covers(rules[i], rules[j])) return [i, j];
  }
  return undefined;
}

// ---- TCP_KEEPALIVE_RULES -------------------------------------------------

/** What a rule's settings say, in the words of the plain variables (lib/integrations/environment.ts). */
const KEYS = ['idle', 'interval', 'count', 'user-timeout', 'detect-within', 'nat-idle', 'probes'] as const;
type Key = (typeof KEYS)[number];
const WORDS = ['no-user-timeout', 'off'];

/**
 * Parses TCP_KEEPALIVE_RULES: `<selector>: <settings>` separated by `;`.
 * Throws an Error whose message names the rule and its problem (the
 * preload prints it and exits 9). `sticky` goes into every rule's values.
 */
export function parseRules(text: string, sticky: number): Rule[] {
  const rules: Rule[] = [];
  const parts = text.split(';');
  let number = 0;
  for (const part of parts) {
    if (part.trim() === '') continue;
    number++;
    const where = `rule ${number} (${JSON.stringify(truncate(part.trim()))})`;
    const [selector, settings] = splitRule(part, where);
    const values = parseSettings(settings, sticky, where);
    rules.push(ruleOf(selector, values, where));
  }
  if (rules.length === 0) throw new Error('has no rules: write `<selector>: <settings>` separated by ";", e.g. "accepted: detect-within=60s no-user-timeout; to :5432: detect-within=30s"');
  checkShadowed(rules, (i, j) => new Error(`rule ${j + 1} (${rules[j].name}) can never match: rule ${i + 1} (${rules[i].name}) comes first and matches every connection it would`));
  return rules;
}

// "to 10.0.0.5:5432: idle=30" → ["to 10.0.0.5:5432", "idle=30"]. The selector
// ends at the colon after its last word (destinations hold colons themselves).
function splitRule(part: string, where: string): [string, string] {
  const text = part.trim();
  const word = /^(accepted|default)\s*:/i.exec(text);
  if (word !== null) return [word[1].toLowerCase(), text.slice(word[0].length)];
  const to = /^to\s+(\S+)/i.exec(text);
  if (to === null) throw new Error(`${where}: a rule starts with "accepted:", "to <destination>:" or "default:"`);
  let destination = to[1];
  let rest = text.slice(to[0].length);
  if (destination.endsWith(':') && !destination.endsWith('::')) {
    destination = destination.slice(0, -1);
  } else if (destination.endsWith(':::')) {
    destination = destination.slice(0, -1);
  } else if (/^\s*:/.test(rest)) {
    rest = rest.replace(/^\s*:/, '');
  } else {
    throw new Error(`${where}: a ":" must end the selector, before the settings ("to ${destination}: idle=30")`);
  }
  return [`to ${destination}`, rest];
}

function ruleOf(selector: string, values: KernelValues | null, where: string): Rule {
  if (selector === 'accepted' || selector === 'default') return wholeRule(selector, values);
  const destination = parseDestination(selector.slice(3));
  if (typeof destination === 'string') throw new Error(`${where}: ${destination}`);
  return { name: selector, kind: Kind.To, ...destination, values };
}

function checkShadowed(rules: readonly Rule[], error: (i: number, j: number) => Error): void {
  const shadowed = findShadowed(rules);
  if (shadowed !== undefined) throw error(...shadowed);
}

function parseSettings(text: string, sticky: number, where: string): KernelValues | null {
  const given = new Map<Key, string>();
  const words = new Set<string>();
  for (const token of text.trim().split(/\s+/)) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    if (eq === -1) {
      const word = token.toLowerCase();
      if (!WORDS.includes(word)) throw new Error(`${where}: "${truncate(token)}" is not a setting: use key=value (${KEYS.join(', ')}) or the words ${WORDS.join(', ')}`);
      words.add(word);
      continue;
    }
    const key = token.slice(0, eq).toLowerCase() as Key;
    if (!KEYS.includes(key)) throw new Error(`${where}: "${truncate(token.slice(0, eq))}" is not a setting (known: ${KEYS.join(', ')}, ${WORDS.join(', ')})`);
    if (given.has(key)) throw new Error(`${where}: ${key} is given twice`);
    given.set(key, token.slice(eq + 1));
  }
  if (words.has('off')) {
    if (given.size > 0 || words.size > 1) throw new Error(`${where}: off leaves these connections as Node made them: it takes no other setting`);
    return null;
  }
  if (given.size === 0 && words.size === 0) throw new Error(`${where}: no settings: give key=value pairs (${KEYS.join(', ')}) or off`);
  const noUserTimeout = words.has('no-user-timeout');
  if (noUserTimeout && given.has('user-timeout')) throw new Error(`${where}: user-timeout and no-user-timeout contradict each other`);

  const seconds = (key: Key, max: number): number => {
    const raw = given.get(key)!;
    const ms = parseDuration(raw, 's');
    if (ms === null || ms % 1000 !== 0 || ms < 1000 || ms > max * 1000) {
      throw new Error(`${where}: ${key}=${truncate(raw)} is not valid: it must be whole seconds from 1 to ${max} (30, 30s, 5min)`);
    }
    return ms / 1000;
  };
  const whole = (key: Key, min: number, max: number, unit: string): number => {
    const raw = given.get(key)!;
    const value = parseWholeNumber(raw);
    if (value === null || value < min || value > max) throw new Error(`${where}: ${key}=${truncate(raw)} is not valid: it must be an integer from ${min} to ${max} (${unit})`);
    return value;
  };
  const values: KernelValues = { enabled: 1, idleSeconds: -1, intervalSeconds: -1, count: -1, userTimeoutMs: noUserTimeout ? 0 : -1, sticky };

  if (given.has('detect-within')) {
    const plain = (['idle', 'interval', 'count', 'user-timeout'] as const).filter((key) => given.has(key));
    if (plain.length > 0) throw new Error(`${where}: detect-within chooses idle, interval, count and user timeout itself: drop ${plain.join(' and ')}`);
    const time = (key: Key): number | undefined => {
      if (!given.has(key)) return undefined;
      const ms = parseDuration(given.get(key)!, 's');
      if (ms === null) throw new Error(`${where}: ${key}=${truncate(given.get(key)!)} is not valid: it must be a whole number of seconds, or of ms, s, min or h (30, 30s, 5min)`);
      return ms;
    };
    const budget = {
      detectWithin: time('detect-within')!,
      natIdle: time('nat-idle'),
      probes: given.has('probes') ? whole('probes', 1, MAX_COUNT, 'probes') : undefined,
      userTimeout: !noUserTimeout,
    };
    try {
      return { ...values, ...scheduleFor(budget), enabled: 1, sticky };
    } catch (error) {
      // The API's message names budget.x in ms; say it in the rule's words.
      const names: Record<string, Key> = { detectWithin: 'detect-within', natIdle: 'nat-idle', probes: 'probes' };
      const [, name = 'detectWithin'] = /budget\.(\w+)/.exec((error as Error).message) ?? [];
      const rule = (error as Error).message.replace(/^.*It must be /, '').replace(/\. Received.*$/, '');
      throw new Error(`${where}: ${names[name]}=${truncate(given.get(names[name])!)} is not valid: it must be ${rule}`);
    }
  }
  const stray = (['nat-idle', 'probes'] as const).find((key) => given.has(key));
  if (stray !== undefined) throw new Error(`${where}: ${stray} is given without detect-within: it only shapes what that asks for`);
  if (given.has('idle')) values.idleSeconds = seconds('idle', MAX_KEEPALIVE_SECONDS);
  if (given.has('interval')) values.intervalSeconds = seconds('interval', MAX_KEEPALIVE_SECONDS);
  if (given.has('count')) values.count = whole('count', 1, MAX_COUNT, 'probes');
  if (given.has('user-timeout')) {
    const raw = given.get('user-timeout')!;
    const ms = parseDuration(raw, 'ms');
    if (ms === null || ms > MAX_USER_TIMEOUT_MS) throw new Error(`${where}: user-timeout=${truncate(raw)} is not valid: it must be whole ms from 0 to ${MAX_USER_TIMEOUT_MS} (6000, 6s)`);
    values.userTimeoutMs = ms;
  }
  return values;
}

/** The environment's rules, with the plain variables' values (if any) as the default rule after them. */
export function environmentPolicy(rules: Rule[], plainDefault: KernelValues | undefined, plainNames: string): Policy {
  if (plainDefault !== undefined) {
    const own = rules.findIndex((rule) => rule.kind === Kind.Default);
    if (own !== -1) {
      throw new Error(`has a default rule (rule ${own + 1}) and ${plainNames} set the default too: keep one`);
    }
    rules = [...rules, wholeRule('default', plainDefault)];
  }
  return policyOf(rules, true);
}

// ---- configure({ rules }) --------------------------------------------------

/**
 * Validates configure()'s rules and turns them into a policy, throwing the
 * library's coded errors before anything changes. `plainDefault`: the
 * top-level options, the default rule unless a rule says `default`.
 */
export function configuredPolicy(given: unknown, plainDefault: KernelValues | undefined, sticky: number): Policy {
  if (!Array.isArray(given)) throw invalidArgType('options.rules', 'an array of rules', given);
  const rules: Rule[] = [];
  given.forEach((entry: unknown, i) => {
    const name = `options.rules[${i}]`;
    if (entry === null || typeof entry !== 'object') throw invalidArgType(name, 'an object with match and keepAlive', entry);
    const { match, keepAlive } = entry as { match?: unknown; keepAlive?: unknown };
    for (const key of Object.keys(entry)) {
      if (key !== 'match' && key !== 'keepAlive') throw invalidArgValue(`${name}.${key}`, 'is not part of a rule (known: match, keepAlive)', (entry as Record<string, unknown>)[key]);
    }
    let values: KernelValues | null;
    if (keepAlive === 'off') {
      values = null;
    } else {
      if (keepAlive === null || typeof keepAlive !== 'object') throw invalidArgType(`${name}.keepAlive`, "keepalive options or 'off'", keepAlive);
      for (const key of ['enabled', 'sticky']) {
        if (key in keepAlive) throw invalidArgValue(`${name}.keepAlive.${key}`, `is not set per rule (${key === 'sticky' ? 'configure({ sticky }) sets it for all' : "a rule turns keepalive on; 'off' leaves it alone"})`, (keepAlive as Record<string, unknown>)[key]);
      }
      values = { ...toKernelValues(keepAlive), enabled: 1, sticky };
    }
    if (match === 'accepted' || match === 'default') {
      rules.push(wholeRule(match, values));
      return;
    }
    const to = match !== null && typeof match === 'object' ? (match as { to?: unknown }).to : undefined;
    if (typeof to !== 'string') throw invalidArgType(`${name}.match`, "'accepted', 'default' or { to: string }", match);
    const destination = parseDestination(to);
    if (typeof destination === 'string') throw invalidArgValue(`${name}.match.to`, `is not a destination: ${destination}`, to);
    rules.push({ name: `to ${to.trim()}`, kind: Kind.To, ...destination, values });
  });
  if (plainDefault !== undefined) {
    const own = rules.findIndex((rule) => rule.kind === Kind.Default);
    if (own !== -1) throw invalidArgValue(`options.rules[${own}]`, 'is a default rule, and the top-level options set the default too: keep one', given[own]);
    rules.push(wholeRule('default', plainDefault));
  }
  checkShadowed(rules, (i, j) =>
    invalidArgValue(`options.rules[${j}]`, `can never match: options.rules[${i}] (${rules[i].name}) comes first and matches every connection it would`, given[j]),
  );
  return policyOf(rules, true);
}
