// The values people type, in the environment and on the command line: one
// grammar for both, so `30s` means the same everywhere and neither accepts
// forms the other refuses (0x10, 1e4, 2.5).

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

/** A value as echoed in an error message: quoted, and cut if long (a 100 KB variable must not make a 100 KB line). */
export function shown(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
}

/** Milliseconds as a person reads them: `30 s`, `5 min 50 s`, `1.5 s`. */
export function duration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const text = [h && `${h} h`, m && `${m} min`, (s || total === 0) && `${s} s`].filter(Boolean).join(' ');
  return ms % 1000 === 0 || total >= 60 ? text : `${Number((ms / 1000).toFixed(3))} s`;
}
