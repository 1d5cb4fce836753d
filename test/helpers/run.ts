// Child processes for tests, always bounded in time.
import { spawn } from 'node:child_process';

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command to completion with a hard time limit. The child gets its own
 * session and process group so a timeout kills everything it started (npm ->
 * sh -> make); `sameSession` keeps it in ours (and in our scheduling
 * autogroup, where CPU-bound processes the test started compete with it), and
 * a timeout kills the child alone.
 */
export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; sameSession?: boolean }): Promise<Run> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: options.sameSession !== true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms]`;
      try {
        if (options.sameSession === true) child.kill('SIGKILL');
        else process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** What a failed run printed, for assertion messages. */
export function explain(result: Run): string {
  return `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout.slice(-4000)}\n--- stderr ---\n${result.stderr.slice(-4000)}`;
}

/**
 * This process's environment without any keepalive variable or NODE_OPTIONS
 * (a child must see only what its test gives it), plus `extra`.
 * TCP_KEEPALIVE_REQUIRE_ROOT_TESTS stays: it is CI's, not the preload's.
 */
export function withoutKeepAliveVariables(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(KEEP|TCP_KEEPALIVE($|_(?!REQUIRE))|TCP_USER_TIMEOUT$)/.test(name) || name === 'NODE_OPTIONS') delete env[name];
  }
  return { ...env, ...extra };
}
