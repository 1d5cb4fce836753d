// When the kernel itself refuses an option: a seccomp policy (as containers and
// sandboxes use) makes one setsockopt or getsockopt fail with EPERM. The error
// must be a Node-style ErrnoException, and a set refused part way must leave
// every option as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { rawBinding } from '../../lib/core/native.js';
import { requireOrSkip, runs } from '../helpers/prerequisites.js';

const dir = mkdtempSync(join(tmpdir(), 'tcp-keepalive-seccomp-'));
const launcher = join(dir, 'seccomp-deny');
const child = join(__dirname, '..', 'fixtures', 'refused-option-child.cjs');
const compiler = runs('cc') ? null : 'no C compiler (cc) to build the seccomp launcher: apt-get install gcc';
const skip = requireOrSkip('kernel refusals', compiler);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Outcome = {
  restoresOnFailure: boolean;
  echo: string;
  results: Array<{ ok?: unknown; error?: { message: string; code: string; errno: number; syscall: string; option: string; isError: boolean } }>;
};

function runDenied(syscall: 'setsockopt' | 'getsockopt', option: string, calls: unknown[]): Outcome {
  const output = execFileSync(launcher, [syscall, option, process.execPath, child, JSON.stringify(calls)], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  const outcome = JSON.parse(output.trim().split('\n').pop()!);
  expect(outcome.timeout).toBeUndefined();
  return outcome;
}

const custom = { idle: 5_000, interval: 2_000, count: 3, userTimeout: 4_000 };

describe.skipIf(skip)('options the kernel refuses', () => {
  beforeAll(() => {
    execFileSync('cc', ['-Wall', '-Wextra', '-O2', '-o', launcher, join(__dirname, '..', 'fixtures', 'seccomp-deny.c')]);
  });

  it('without a policy, sets take the fast path (no reads before writes)', () => {
    expect(rawBinding!.restoresOnFailure).toBe(false);
  });

  it.each(['TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_USER_TIMEOUT', 'SO_KEEPALIVE'])(
    'a set refused at %s throws an ErrnoException and changes nothing',
    (option) => {
      const outcome = runDenied('setsockopt', option, [{ get: true }, { set: custom }, { get: true }]);
      expect(outcome.restoresOnFailure).toBe(true);
      const [before, refused, after] = outcome.results;
      expect(refused!.error).toEqual({
        message: `setsockopt EPERM ${option}`,
        code: 'EPERM',
        errno: -1,
        syscall: 'setsockopt',
        option,
        isError: true,
      });
      expect(before!.ok).toMatchObject({ enabled: false });
      expect(after!.ok).toEqual(before!.ok);
      expect(outcome.echo).toBe('still-flowing');
    },
  );

  it('options the policy allows still apply', () => {
    const outcome = runDenied('setsockopt', 'TCP_KEEPCNT', [{ set: { idle: 6_000, interval: 3_000 } }, { get: true }]);
    expect(outcome.results[0]!.error).toBeUndefined();
    expect(outcome.results[1]!.ok).toMatchObject({ enabled: true, idle: 6_000, interval: 3_000 });
  });

  it('a refused read throws an ErrnoException naming getsockopt and the option', () => {
    const outcome = runDenied('getsockopt', 'TCP_USER_TIMEOUT', [{ get: true }]);
    expect(outcome.results[0]!.error).toEqual({
      message: 'getsockopt EPERM TCP_USER_TIMEOUT',
      code: 'EPERM',
      errno: -1,
      syscall: 'getsockopt',
      option: 'TCP_USER_TIMEOUT',
      isError: true,
    });
    expect(outcome.echo).toBe('still-flowing');
  });
});
