// TCP_KEEPALIVE_REPORT: one line on stderr for every TCP connection of the
// process that the kernel ends with an error, saying why and after how much
// silence. It watches every connection, configured or not, and changes
// nothing: with no keepalive variable set, it is how an operator learns
// whether a path drops idle flows before choosing values. Loaded by the
// preload only when the variable is set.
import { onConnectionLost, type ConnectionLost } from '../kernel-view/connection-lost.js';
import type { ReportFormat } from './environment.js';

/** Starts reporting; a warning, not a failure, where sockets cannot be watched. */
export function startReport(format: ReportFormat, ruleOf: (socket: ConnectionLost['socket']) => string | undefined = () => undefined): void {
  try {
    onConnectionLost(
      (lost) => process.stderr.write(`${format === 'json' ? reportJson(lost, ruleOf(lost.socket)) : reportSentence(lost, ruleOf(lost.socket))}\n`),
      { every: true },
    );
  } catch (error) {
    process.emitWarning(`tcp-keepalive/register: TCP_KEEPALIVE_REPORT cannot watch connections: ${(error as Error).message}`, { code: 'TCP_KEEPALIVE_PRELOAD' });
  }
}

/** The message's fields without the socket, the error as its code, and the preload's rule where it has rules. */
export function reportJson(lost: ConnectionLost, rule?: string): string {
  const { socket: _socket, error, ...fields } = lost;
  return JSON.stringify({ ...fields, error: (error as NodeJS.ErrnoException).code ?? error.message, ...(rule === undefined ? {} : { rule }) });
}

/** One sentence: which connection, why, after how much silence, with the settings (and the rule that chose them) and the promise beside it. */
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
    default:
      why = `reset${codeUnless(lost, '')} after ${silence}`;
  }
  // The promise is from the last packet received on an idle connection (as the silence is), from the data's sending otherwise.
  let promise = '';
  if (lost.expectedWithin !== null) {
    promise = lost.retransmits > 0 ? `, expected within ${seconds(lost.expectedWithin)} of sending the data` : `, expected within ${seconds(lost.expectedWithin)}`;
  }
  let hint = '';
  // A reset after a long silence: something on the path forgot the flow
  // before keepalive spoke (or keepalive never speaks).
  if (lost.cause === 'reset' && lost.silentFor >= 30_000 && (!settings.enabled || settings.idle >= lost.silentFor)) {
    hint = `; something on the path may forget idle flows before keepalive speaks${settings.enabled ? ` (after ${seconds(settings.idle)})` : ''}: keepAliveFor({ natIdle })`;
  }
  return `tcp-keepalive: lost ${endpoint(lost.remoteAddress, lost.remotePort)} (from ${endpoint(lost.localAddress, lost.localPort)}): ${why} (settings ${settingsText(lost)}${rule === undefined ? '' : ` by rule "${rule}"`}${promise})${hint}`;
}

function settingsText({ settings }: ConnectionLost): string {
  if (!settings.enabled) return settings.userTimeout > 0 ? `keepalive off +${settings.userTimeout / 1000}s` : 'keepalive off';
  const base = `${settings.idle / 1000}/${settings.interval / 1000}/${settings.count}`;
  return settings.userTimeout > 0 ? `${base} +${settings.userTimeout / 1000}s` : base;
}

function codeUnless(lost: ConnectionLost, usual: string): string {
  const code = (lost.error as NodeJS.ErrnoException).code;
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
