// The values people type, in the environment (the preload) and on the command
// line (the CLI): one grammar for both, so `30s` means the same everywhere and
// neither accepts forms the other refuses (0x10, 1e4, 2.5).

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
export function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
