// tcp-keepalive explain: the timeline of probes for given settings, or the
// settings that meet a detection budget (--detect-within), with lines to paste.
import { toKernelValues } from '../core/options.js';
import { NAT_IDLE_SHARE, keepAliveFor, type ChosenKeepAlive, type DetectionBudget } from '../kernel-view/detection-budget.js';
import { detectionTime, type DetectionTime } from '../kernel-view/detection-time.js';
import { RTO_MIN_MS, TIMER_SLACK } from '../kernel-view/tcp-timers.js';
import { formatDuration, formatSeconds } from './format.js';
import { EXIT, UsageError, asUsage, option, type Values } from './usage.js';

export function explainCommand(values: Values, json: boolean): number {
  if (values.rules !== undefined || values.for !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./explain-rules.js') as typeof import('./explain-rules.js')).rulesCommand(values, json);
  }
  if (values['closed-after'] !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./explain-closed-after.js') as typeof import('./explain-closed-after.js')).closedAfterCommand(values, json);
  }
  if (values['detect-within'] !== undefined) return budgetCommand(values, json);
  for (const name of ['nat-idle', 'probes', 'no-user-timeout']) {
    if (values[name] !== undefined) throw new UsageError(`--${name} goes with --detect-within`);
  }
  const settings = { idle: option(values, 'idle'), interval: option(values, 'interval'), count: option(values, 'count'), userTimeout: option(values, 'user-timeout') };
  try {
    toKernelValues(Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)));
  } catch (error) {
    throw asUsage(error);
  }
  const detection = detectionTime(settings);
  const timeline = probeTimeline(detection);
  if (json) {
    console.log(JSON.stringify({ ...detection, timeline }, null, 2));
    return EXIT.ok;
  }
  const s = detection.settings;
  console.log(
    `idle ${formatSeconds(s.idle)}, interval ${formatSeconds(s.interval)}, count ${s.count}, ` +
      `${s.userTimeout > 0 ? `user timeout ${formatSeconds(s.userTimeout)}` : 'no user timeout'}:`,
  );
  console.log(
    `a peer that vanishes without a word is declared dead ${formatDuration(detection.idle!)} after its last packet ` +
      `(${idleRule(detection)}; timers may fire up to 1/8 late).\n`,
  );
  for (const event of timeline) console.log(`  ${formatSeconds(event.at).padStart(10)}  ${event.what}`);
  console.log(`\n${bar(timeline, detection.idle!)}`);
  console.log(
    `\nWith data in flight keepalive is silent; the connection is dropped after ${formatDuration(detection.dataInFlight)} ` +
      `(${detection.dataInFlightBy === 'user-timeout' ? 'the user timeout' : `tcp_retries2 = ${s.retries2}`}).`,
  );
  console.log(stalledReaderLine(detection));
  console.log(`\n${REPORT_HINT}`);
  return EXIT.ok;
}

// The other side of a user timeout: a live peer that stops reading.
function stalledReaderLine(detection: DetectionTime): string {
  return detection.stalledReader === null
    ? 'A live peer that stops reading while data waits for it (a paused download, a backgrounded app) is never cut off: no user timeout.'
    : `A live peer that stops reading while data waits for it (a paused download, a backgrounded app) is cut off too, after ` +
        `${formatDuration(detection.stalledReader)} (the user timeout); a server whose clients may pause can leave the user timeout off ` +
        `(keepAliveFor({ detectWithin, userTimeout: false }), explain --detect-within T --no-user-timeout).`;
}

function budgetCommand(values: Values, json: boolean): number {
  for (const name of ['idle', 'interval', 'count', 'user-timeout']) {
    if (values[name] !== undefined) throw new UsageError(`--detect-within chooses --${name} itself: give one or the other`);
  }
  const budget: DetectionBudget = {
    detectWithin: option(values, 'detect-within')!,
    natIdle: option(values, 'nat-idle'),
    probes: option(values, 'probes'),
    userTimeout: values['no-user-timeout'] === true ? false : undefined,
  };
  let chosen: ChosenKeepAlive;
  try {
    chosen = keepAliveFor(budget);
  } catch (error) {
    throw asUsage(error);
  }
  // With a user timeout tcp_retries2 decides nothing: no /proc/sys needed.
  const detection = detectionTime({ ...chosen, enabled: true });
  const withUserTimeout = chosen.userTimeout > 0;
  const timeline = probeTimeline(detection);
  const { natIdle } = budget;
  // The preload's budget variables always set a user timeout: without one, its plain variables.
  const env = withUserTimeout
    ? [`TCP_KEEPALIVE_DETECT_WITHIN=${envTime(budget.detectWithin)}`]
    : [`TCP_KEEPALIVE_IDLE=${chosen.idle / 1000}`, `TCP_KEEPALIVE_INTERVAL=${chosen.interval / 1000}`, `TCP_KEEPALIVE_COUNT=${chosen.count}`];
  if (withUserTimeout && natIdle !== undefined) env.push(`TCP_KEEPALIVE_NAT_IDLE=${envTime(natIdle)}`);
  if (withUserTimeout && budget.probes !== undefined) env.push(`TCP_KEEPALIVE_PROBES=${budget.probes}`);
  const call = `keepAliveFor({ ${Object.entries(budget)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === 'boolean' ? v : code(v as number)}`)
    .join(', ')} })`;
  const paste = {
    environment: `${env.join(' ')} node --require tcp-keepalive/register app.js`,
    code: `setKeepAlive(socket, ${call});`,
    values: `setKeepAlive(socket, { idle: ${code(chosen.idle)}, interval: ${code(chosen.interval)}, count: ${chosen.count}, userTimeout: ${code(chosen.userTimeout)} });`,
  };
  if (json) {
    const { settings: _settings, ...figures } = detection;
    console.log(JSON.stringify({ budget, chosen, ...figures, timeline, paste }, null, 2));
    return EXIT.ok;
  }
  const schedule = detection.idle!;
  console.log(
    `To notice a vanished peer within ${formatDuration(budget.detectWithin)}` +
      `${natIdle === undefined ? '' : ` and keep a NAT that forgets idle connections after ${formatDuration(natIdle)}`}:\n` +
      `  idle ${formatSeconds(chosen.idle)}, interval ${formatSeconds(chosen.interval)}, count ${chosen.count}, ` +
      `${withUserTimeout ? `user timeout ${formatSeconds(chosen.userTimeout)}` : 'no user timeout'}\n`,
  );
  console.log('Why:');
  console.log(
    `  - ${formatSeconds(schedule)} of schedule: (${formatDuration(budget.detectWithin)} - ${RTO_MIN_MS} ms) / (9/8), in whole seconds. Linux timers fire up to 1/8 late` +
      (withUserTimeout ? `,\n    and with data in flight the user timeout counts from the first retransmission, one RTO (${RTO_MIN_MS} ms and the round trip) after the data.` : '.'),
  );
  console.log(
    `  - Idle connection: ${chosen.count === 1 ? `1 probe after ${formatSeconds(chosen.idle)} of silence` : `${chosen.count} probes, the first after ${formatSeconds(chosen.idle)} of silence, then every ${formatSeconds(chosen.interval)}`};\n` +
      `    ${withUserTimeout ? 'the user timeout ends it at the probe tick' : `the ${ordinal(chosen.count)} probe unanswered ends it`} at ${formatSeconds(detection.idle!)}, at the latest ${formatSeconds(detection.idleWorst!)}.`,
  );
  console.log(
    withUserTimeout
      ? `  - Data in flight (keepalive is silent then): the user timeout ends it after ${formatSeconds(detection.dataInFlight)}, ` +
          `at the latest ${formatSeconds(detection.dataInFlightWorst)}.`
      : `  - Data in flight (keepalive is silent then): without a user timeout only tcp_retries2 = ${detection.settings.retries2} ends it, ` +
          `after ${formatDuration(detection.dataInFlight)}, at the latest ${formatDuration(detection.dataInFlightWorst)}: outside the budget.`,
  );
  console.log(
    withUserTimeout
      ? `  - A live peer that stops reading while data waits for it (a paused download, a backgrounded app) is cut off too, after ` +
          `${formatSeconds(detection.stalledReader!)}; for the accepted connections of a server whose clients may pause, add --no-user-timeout.`
      : '  - A live peer that stops reading while data waits for it (a paused download, a backgrounded app) is never cut off.',
  );
  console.log(
    chosen.count >= 3
      ? `  - ${chosen.count} probes: one or two lost probes do not end a live connection.`
      : `  - Only ${plural(chosen.count, 'probe')} fit this budget: a lost probe can end a live connection; 4.7 s allows 3.`,
  );
  if (natIdle !== undefined) {
    console.log(
      `  - NAT: idle and interval are at most ${NAT_IDLE_SHARE * 100} % of ${formatDuration(natIdle)}, so a probe goes out at the latest ` +
        `after ${formatSeconds(Math.ceil(Math.max(chosen.idle, chosen.interval) * TIMER_SLACK))} of silence and refreshes the entry in time.`,
    );
  }
  console.log('');
  for (const event of timeline) console.log(`  ${formatSeconds(event.at).padStart(10)}  ${event.what}`);
  console.log(`\n${bar(timeline, detection.idle!)}`);
  console.log(`\nPaste one of:\n  ${paste.environment}\n  ${paste.code}\n  ${paste.values}`);
  console.log(`\n${REPORT_HINT}`);
  return EXIT.ok;
}

// Where the figures meet a running program: what really ended its connections.
const REPORT_HINT =
  'To see what ends the connections of a running program, and after how much silence (nothing is changed):\n' +
  '  TCP_KEEPALIVE_REPORT=1 node --require tcp-keepalive/register app.js';

// What decides when an idle connection to a dead peer is dropped. With a
// user timeout the kernel does not consult count at all (tcp_keepalive_timer):
// it gives up at the first probe tick at or after the user timeout, which can
// come before count probes or after them.
function idleRule(detection: DetectionTime): string {
  const { idle, interval, count } = detection.settings;
  if (detection.idleBy !== 'user-timeout') return 'idle + interval x count';
  const probes = Math.round((detection.idle! - idle) / interval);
  const byCount = idle + interval * count;
  if (detection.idle! < byCount) return `the user timeout cuts the probes short: ${plural(probes, 'probe')}, not the ${count} the count allows`;
  if (detection.idle! > byCount) {
    return `the user timeout outlasts the count: with a user timeout the kernel ignores count and keeps probing until it has passed, ${plural(probes, 'probe')}, not ${count}`;
  }
  return 'the user timeout passes at the last probe tick the count allows: both end together';
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// 30000 -> 30 (seconds, the environment's bare unit) or 1500 -> 1500ms.
function envTime(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : `${ms}ms`;
}

// 350000 -> 350_000, as the README writes numbers in code.
function code(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+$)/g, '_');
}

interface TimelineEvent {
  at: number;
  what: string;
}

function probeTimeline(detection: DetectionTime): TimelineEvent[] {
  const { idle, interval } = detection.settings;
  const events: TimelineEvent[] = [{ at: 0, what: 'last packet received from the peer; then silence' }];
  const probes = Math.round((detection.idle! - idle) / interval);
  for (let i = 0; i < probes; i++) events.push({ at: idle + i * interval, what: `keepalive probe ${i + 1}: no answer` });
  events.push({
    at: detection.idle!,
    what:
      detection.idleBy === 'user-timeout'
        ? `user timeout passed at a probe tick: the kernel sends RST, the program gets ETIMEDOUT`
        : `${probes} probes unanswered: the kernel sends RST, the program gets ETIMEDOUT`,
  });
  return events;
}

// A scale of 60 columns: '-' silence, '|' a probe, 'X' declared dead.
function bar(events: TimelineEvent[], end: number): string {
  const width = 60;
  const cells = Array.from({ length: width + 1 }, () => '-');
  for (const event of events.slice(1, -1)) cells[Math.round((event.at / end) * width)] = '|';
  cells[0] = '0';
  cells[width] = 'X';
  return `  ${cells.join('')}\n  0${' '.repeat(width - 1)}${formatSeconds(end)}`;
}
