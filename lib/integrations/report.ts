// TCP_KEEPALIVE_REPORT: one line on stderr for every TCP connection of the
// process that ends on its own (the kernel's error, or the peer's idle
// close), saying why and after how much silence, and at exit the pattern per
// destination; or the same facts as OpenTelemetry metrics (lib/integrations/otel.ts).
// It watches every connection, configured or not, and changes nothing: with
// no keepalive variable set, it is how an operator learns whether a path
// drops idle flows, or a peer closes idle connections, before choosing
// values. Loaded by the preload only when the variable is set.
import { LossTally, onConnectionLost, type ConnectionLost, type LossPattern } from '../kernel-view/connection-lost.js';
import type { ReportSettings } from './environment.js';

/** Starts reporting; a warning, not a failure, where sockets cannot be watched. */
export function startReport(settings: ReportSettings, ruleOf: (socket: ConnectionLost['socket']) => string | undefined = () => undefined): void {
  const { lines } = settings;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const record = settings.otel ? (require('./otel.js') as typeof import('./otel.js')).startOtel() : undefined;
  const tally = new LossTally();
  try {
    onConnectionLost(
      (lost) => {
        record?.(lost);
        if (lines === null) return;
        tally.add(lost);
        process.stderr.write(`${lines === 'json' ? reportJson(lost, ruleOf(lost.socket)) : reportSentence(lost, ruleOf(lost.socket))}\n`);
      },
      // A client closing its idle connection to this server is how servers live.
      { every: true, acceptedCloses: false },
    );
  } catch (error) {
    process.emitWarning(`tcp-keepalive/register: TCP_KEEPALIVE_REPORT cannot watch connections: ${(error as Error).message}`, { code: 'TCP_KEEPALIVE_PRELOAD' });
    return;
  }
  if (lines !== null) {
    process.on('exit', () => {
      const summary = tally.summary();
      if (summary.length > 0) process.stderr.write(`${lines === 'json' ? JSON.stringify({ summary }) : summaryText(summary)}\n`);
    });
  }
}

/** The message's fields without the socket, the error as its code, and the preload's rule where it has rules. */
export function reportJson(lost: ConnectionLost, rule?: string): string {
  const { socket: _socket, error, ...fields } = lost;
  return JSON.stringify({ ...fields, error: errorName(error), ...(rule === undefined ? {} : { rule }) });
}

/** One sentence: which connection, why, after how much silence, with the settings (and the rule that chose them), the promise beside it, and what to change. */
export function reportSentence(lost: ConnectionLost, rule?: string): string {
  const silence = `${seconds(lost.silentFor)} of silence`;
  const { settings } = lost;
  let why: string;
  switch (lost.cause) {
    case 'keepalive':
      why = `${plural(lost.probes, 'keepalive probe')} unanswered after ${silence}`;
      break;
    case 'user-timeout':
      why =
        lost.retransmits > 0
          ? `the user timeout (${seconds(settings.userTimeout)}) passed with data unacknowledged, ${plural(lost.retransmits, 'retransmission')}, ${silence}`
          : `the user timeout (${seconds(settings.userTimeout)}) passed after ${plural(lost.probes, 'keepalive probe')} unanswered, ${silence}`;
      break;
    case 'retransmissions':
      why = `data unacknowledged after ${plural(lost.retransmits, 'retransmission')} (tcp_retries2), ${silence}${codeUnless(lost, 'ETIMEDOUT')}`;
      break;
    case 'closed-by-peer':
      why = lost.raced
        ? `the peer closed it after ${seconds(lost.silentFor)} idle as a request was sent: the request raced the close (${errorName(lost.error) ?? 'no error'})`
        : (lost.error as NodeJS.ErrnoException | null)?.code === 'ECONNRESET'
          ? `reset by the peer, unprompted, after ${seconds(lost.silentFor)} idle`
          : `closed by the peer after ${seconds(lost.silentFor)} idle${lost.error === null ? '' : ` (${errorName(lost.error)})`}`;
      break;
    default:
      why = `reset${codeUnless(lost, '')} after ${silence}`;
  }
  // The promise is from the last packet received on an idle connection (as the silence is), from the data's sending otherwise.
  let promise = '';
  if (lost.expectedWithin !== null) {
    promise = lost.retransmits > 0 ? `, expected within ${seconds(lost.expectedWithin)} of sending the data` : `, expected within ${seconds(lost.expectedWithin)}`;
  }
  return `tcp-keepalive: lost ${endpoint(lost.remoteAddress, lost.remotePort)} (from ${endpoint(lost.localAddress, lost.localPort)}): ${why} (settings ${settingsText(lost)}${rule === undefined ? '' : ` by rule "${rule}"`}${promise})${advice(lost)}`;
}

/** What to change, where the report can say. */
function advice(lost: ConnectionLost): string {
  if (lost.cause === 'closed-by-peer') {
    const knob = knobOf(lost);
    return (
      `; close pooled connections before they are ${seconds(lost.silentFor)} idle${knob === undefined ? '' : ` (${knob})`}: ` +
      `keepalive cannot prevent a peer's own idle timeout (tcp-keepalive explain --closed-after ${Math.max(2, Math.round(lost.silentFor / 1000))}s)`
    );
  }
  // A reset after a long silence: something on the path forgot the flow
  // before keepalive spoke (or keepalive never speaks).
  const { settings } = lost;
  if (lost.cause === 'reset' && lost.silentFor >= 30_000 && (!settings.enabled || settings.idle >= lost.silentFor)) {
    const natIdle = Math.floor(lost.silentFor / 1000);
    return (
      `; something on the path may forget idle flows before keepalive speaks${settings.enabled ? ` (after ${seconds(settings.idle)})` : ''}: ` +
      `keep them alive under ${natIdle} s with keepAliveFor({ natIdle: ${natIdle * 1000} }) or nat-idle=${natIdle}s in a rule for this destination ` +
      `(tcp-keepalive explain --detect-within <budget> --nat-idle ${natIdle}s shows the values)`
    );
  }
  return '';
}

// Which setting closes a pooled connection first, for the library that
// opened it: undici and Node's http.Agent as the socket shows them, the
// usual database drivers by their server's port.
function knobOf(lost: ConnectionLost): string | undefined {
  if (lost.openedBy === 'undici') return "undici's keepAliveTimeout";
  if (lost.openedBy === 'http.Agent') return "http.Agent's timeout";
  switch (lost.remotePort) {
    case 5432:
    case 6432:
      return "pg Pool's idleTimeoutMillis";
    case 3306:
      return "mysql2 pool's idleTimeout";
    case 6379:
      return "Redis's own timeout setting (0: never), or a PING more often; ioredis reconnects by itself";
    default:
      return undefined;
  }
}

/** The pattern per destination, at exit: one line each, most frequent first. */
function summaryText(summary: LossPattern[]): string {
  const lines = summary.map((pattern) => {
    const { min, median, max } = pattern.silence;
    const spread = min === max ? seconds(median) : `${seconds(median)} (${seconds(min)} to ${seconds(max)})`;
    const what =
      pattern.cause === 'closed-by-peer'
        ? `closes idle connections after ${spread}${pattern.raced > 0 ? `, ${pattern.raced} raced by a request` : ''}`
        : `${CAUSE_WORDS[pattern.cause]} after ${spread} of silence`;
    return `  ${pattern.destination} ${what} (${pattern.count === 1 ? 'once' : `${pattern.count} times`})`;
  });
  return `tcp-keepalive: connections lost, by destination:\n${lines.join('\n')}`;
}

const CAUSE_WORDS: Record<Exclude<LossPattern['cause'], 'closed-by-peer'>, string> = {
  keepalive: 'keepalive found it gone',
  'user-timeout': 'the user timeout ended it',
  retransmissions: 'retransmissions gave up',
  reset: 'reset',
};

function errorName(error: Error | null): string | null {
  if (error === null) return null;
  return (error as NodeJS.ErrnoException).code ?? error.message;
}

function settingsText({ settings }: ConnectionLost): string {
  if (!settings.enabled) return settings.userTimeout > 0 ? `keepalive off +${settings.userTimeout / 1000}s` : 'keepalive off';
  const base = `${settings.idle / 1000}/${settings.interval / 1000}/${settings.count}`;
  return settings.userTimeout > 0 ? `${base} +${settings.userTimeout / 1000}s` : base;
}

function codeUnless(lost: ConnectionLost, usual: string): string {
  const code = (lost.error as NodeJS.ErrnoException | null)?.code;
  return code === undefined || code === usual ? '' : ` (${code})`;
}

function endpoint(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return '?';
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
