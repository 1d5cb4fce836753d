// Every test file checks, when it ends, that the addon it loaded is the build
// the run was started with: the file node-gyp built (build/Release), or under
// PREBUILDS_ONLY the shipped prebuild, or whatever TCP_KEEPALIVE_EXPECT_BINARY
// names (the sanitizer job's build), and that nothing replaced that file
// during the run (a test that rebuilt in place would otherwise go unseen:
// every later file would test another binary). Read from /proc/self/maps,
// the kernel's own list of what this process has mapped.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, expect } from 'vitest';

const ROOT = resolve(__dirname, '..', '..');
const expected =
  process.env.TCP_KEEPALIVE_EXPECT_BINARY ??
  (process.env.PREBUILDS_ONLY
    ? join(ROOT, 'prebuilds', `${process.platform}-${process.arch}`, 'tcp-keepalive.glibc.node')
    : join(ROOT, 'build', 'Release', 'tcp_keepalive.node'));
const identity = (file: string) => {
  const stat = statSync(file);
  return { file, inode: stat.ino, modified: stat.mtimeMs, size: stat.size };
};
const atStart = process.platform === 'linux' && existsSync(expected) ? identity(expected) : undefined;

afterAll(() => {
  if (atStart === undefined) return;
  const mapped = new Set(
    readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[5])
      .filter((path): path is string => path !== undefined && /tcp[-_]keepalive[^/]*\.node$/.test(path)),
  );
  // Nothing loaded (a test file that never touches the addon): nothing to check but the file.
  if (mapped.size > 0) expect([...mapped], 'the addon this test file loaded').toEqual([atStart.file]);
  expect(existsSync(atStart.file) ? identity(atStart.file) : 'removed', 'the build under test, after this file').toEqual(atStart);
});
