// What every command shares: exit codes, the help texts, and how a bad
// argument becomes a usage error (exit 2) in the command line's own terms.
import { parseDuration, parseWholeNumber } from '../core/parse.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, permission: 3 } as const;

export const HELP = {
  main: `Usage: tcp-keepalive <command> [options]

See what the kernel does with TCP keepalive.

Commands:
  defaults            the system defaults in this network namespace, and what they mean
  explain [settings]  a timeline of probes until a silent dead peer is declared dead;
                      with --detect-within, the settings that meet that budget
  inspect <pid>       every TCP socket of a running process: keepalive options and live TCP_INFO

Every command takes --json (machine-readable output) and --help.
Exit codes: 0 done, 1 the operation failed, 2 bad usage, 3 no permission.`,
  defaults: `Usage: tcp-keepalive defaults [--json]

Reads net.ipv4.tcp_keepalive_time, tcp_keepalive_intvl, tcp_keepalive_probes and
tcp_retries2 from /proc/sys (this process's network namespace) and says how long a
silent dead peer goes unnoticed with them.`,
  explain: `Usage: tcp-keepalive explain [--idle T] [--interval T] [--count N] [--user-timeout T] [--json]
       tcp-keepalive explain --detect-within T [--nat-idle T] [--probes N] [--no-user-timeout] [--json]
       tcp-keepalive explain --rules RULES [--for accepted|ADDR[:PORT]] [--json]
       tcp-keepalive explain --closed-after T [--json]

Draws when each keepalive probe goes out and when the connection is declared dead,
after the last packet received from a peer that vanished without a word. Times are
milliseconds, or whole numbers with a unit: 30s, 5min, 2h (whole seconds for idle
and interval, as the kernel counts them); any option left out is the system default.

--detect-within T  choose the settings instead: a vanished peer is reported within T
                   in the worst case, idle or with data in flight (keepAliveFor)
--nat-idle T       the idle timeout of a NAT or load balancer on the path: probes keep
                   its entry alive (AWS NAT gateway/NLB 350s, Azure 4min, GCP Cloud NAT 20min)
--probes N         at least N unanswered probes before giving up (default 3)
--no-user-timeout  no user timeout: a live peer that stops reading is never cut off (for
                   servers whose clients may pause), and data in flight waits for tcp_retries2
--rules RULES      the preload's rules (TCP_KEEPALIVE_RULES' grammar), each with its values and
                   detection times; with --for and no --rules, TCP_KEEPALIVE_RULES from the environment
--for WHO          which rule a connection gets: accepted, or the address (and port) it opens
                   (10.0.0.5:5432, [2001:db8::1]:443)
--closed-after T   a peer that closes connections idle for T itself (the report's closed-by-peer):
                   what keepalive cannot do, and each client library's setting to close first`,
  inspect: `Usage: tcp-keepalive inspect <pid> [--summary] [--port N] [--state NAME] [--remote ADDR[:PORT]] [--json]
                            [--normal-priority]

Lists every TCP socket of process <pid> (any program, Node or not): addresses, state,
the kernel's timer, keepalive options and live TCP_INFO (unanswered probes, last data
received). Reads them from outside the process with pidfd_getfd (Linux >= 5.6), which
needs ptrace permission over it: root (or CAP_SYS_PTRACE), or its own user where
kernel.yama.ptrace_scope is 0. Rows are written as they are read: a process with
100 000 sockets takes no more memory than one with 100.

--summary          counts by state and keepalive settings in force, with how many have
                   probes unanswered now, instead of a row per socket
--port N           only sockets with local or remote port N
--state NAME       only sockets in that state (established, listen, close_wait, ...)
--remote ADDR      only sockets to that remote address, or address:port
                   (10.0.0.5, 10.0.0.5:5432, [2001:db8::1]:443)
--json             one JSON document: {"pid", "sockets": [one object per line]}, or the
                   summary; if the process exits part way, it ends with "error"
--normal-priority  keep this command's CPU priority (by default it runs as SCHED_IDLE,
                   so the process inspected never waits for a CPU behind it; when every
                   CPU is busy it shows its progress on a terminal after 1 s, and moves
                   back to its own priority after waiting 2 s for a CPU, saying so)`,
};

export class UsageError extends Error {}

export type Values = Record<string, string | boolean | undefined>;

// --idle 30s, --user-timeout 3500, --count 3: the environment's grammar, bare times in ms.
export function option(values: Values, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const counted = name === 'count' || name === 'probes';
  const value = counted ? parseWholeNumber(String(raw)) : parseDuration(String(raw), 'ms');
  if (value === null) {
    throw new UsageError(`--${name} must be ${counted ? 'a whole number' : 'a whole number of ms, or with a unit (30s, 5min, 2h)'}, got '${String(raw)}'`);
  }
  return value;
}

// The API's argument errors in the command line's terms: "options.userTimeout" -> --user-timeout.
export function asUsage(error: unknown): UsageError {
  const flag = (name: string): string => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return new UsageError(
    (error as Error).message.replace(/"(?:options|budget|filter)\.(\w+)"/, (_, name: string) => flag(name)).replace(/'(?:budget|filter)\.(\w+)'/, (_, name: string) => flag(name)),
  );
}
