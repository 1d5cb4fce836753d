// The musl prebuilds (Alpine), cross-compiled with zig on this glibc machine:
// what can be proven without a musl Node to load them. Each file is for the
// right machine, needs nothing but musl's libc (zig links libc++ statically),
// exports only N-API's entry points, and is tagged so node-gyp-build picks it
// only where it reads the system as musl; elsewhere the glibc one, and with
// only a musl file on glibc, the library's clear load error, not a loader crash.
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { npmTool, requireOrSkip, runs } from '../helpers/prerequisites.js';
import { explain, run } from '../helpers/run.js';

const ROOT = join(__dirname, '..', '..');
const missing = runs('readelf') ? npmTool('zig').missing : 'readelf (binutils) is missing: apt-get install binutils';
const skip = requireOrSkip('musl prebuilds', missing);
const work = mkdtempSync(join(tmpdir(), 'tcp-keepalive-musl-'));
if (skip) rmSync(work, { recursive: true, force: true });

const MACHINES = { x64: 'Advanced Micro Devices X86-64', arm64: 'AArch64' } as const;

function readelf(args: string[], file: string): string {
  const result = spawnSync('readelf', [...args, file], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe.skipIf(skip)('musl prebuilds for linux-x64 and linux-arm64', () => {
  it('scripts/prebuild-musl.sh builds both; each needs only libc and exports only N-API', async () => {
    const build = await run('bash', [join(ROOT, 'scripts', 'prebuild-musl.sh'), work], { cwd: ROOT, env: process.env, timeoutMs: 900_000 });
    expect(build.code, explain(build)).toBe(0);
    for (const arch of ['x64', 'arm64'] as const) {
      const file = join(work, 'prebuilds', `linux-${arch}`, 'tcp-keepalive.musl.node');
      expect(readelf(['-h'], file)).toMatch(new RegExp(`Machine:\\s+${MACHINES[arch]}`));
      const needed = [...readelf(['-d'], file).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
      // musl's loader answers for libc.so itself: no libstdc++, no libgcc_s.
      expect(needed).toEqual(['libc.so']);
      const exported = readelf(['--dyn-syms', '-W'], file)
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((cols) => cols.length >= 8 && cols[6] !== 'UND' && (cols[4] === 'GLOBAL' || cols[4] === 'WEAK'))
        .map((cols) => cols[7])
        .sort();
      expect(exported).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
      console.log(`[musl] linux-${arch}: NEEDED ${needed.join(', ')}; exports ${exported.join(', ')}`);
    }
  }, 900_000);

  it('node-gyp-build picks the musl file only where the system reads as musl (LIBC=musl or /etc/alpine-release)', async () => {
    const pkg = join(work, 'pick');
    mkdirSync(join(pkg, 'prebuilds', 'linux-x64'), { recursive: true });
    cpSync(join(work, 'prebuilds', 'linux-x64', 'tcp-keepalive.musl.node'), join(pkg, 'prebuilds', 'linux-x64', 'tcp-keepalive.musl.node'));
    cpSync(join(work, 'prebuilds', 'linux-x64', 'tcp-keepalive.musl.node'), join(pkg, 'prebuilds', 'linux-x64', 'tcp-keepalive.glibc.node'));
    const pick = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ['-p', `require(${JSON.stringify(join(ROOT, 'node_modules', 'node-gyp-build'))}).path(${JSON.stringify(pkg)})`], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      }).stdout.trim();
    expect(pick({ LIBC: 'musl' })).toMatch(/tcp-keepalive\.musl\.node$/);
    expect(pick({ LIBC: '' })).toMatch(/tcp-keepalive\.glibc\.node$/);
  });

  it('with only the musl file on a glibc system, loading fails with the library\'s clear error', async () => {
    const pkg = join(work, 'only-musl');
    mkdirSync(join(pkg, 'prebuilds', 'linux-x64'), { recursive: true });
    cpSync(join(work, 'prebuilds', 'linux-x64', 'tcp-keepalive.musl.node'), join(pkg, 'prebuilds', 'linux-x64', 'tcp-keepalive.musl.node'));
    cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    expect(existsSync(join(pkg, 'build'))).toBe(false);
    const script = "try { require('./dist/index.js'); console.log('loaded') } catch (e) { console.log(e.code) }";
    const result = spawnSync(process.execPath, ['-e', script], { cwd: pkg, encoding: 'utf8', env: { ...process.env, LIBC: '' } });
    expect(result.stdout.trim()).toBe('ERR_TCP_KEEPALIVE_NO_BINARY');
    rmSync(work, { recursive: true, force: true });
  });
});
