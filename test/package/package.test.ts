// The published package, as a user gets it: `npm pack` of a copy of the tree
// (dist and the host's prebuild rebuilt there; the tree under test keeps its
// build) and install the tarball into scratch projects whose PATH
// has node and npm but no compiler, python or make, only poisoned stand-ins
// that record any call. Proves that:
//   - the tarball ships the prebuilt addon and both module-system entries,
//     and leaves out build output and dev-only trees;
//   - installing it runs no compiler, with install scripts and with
//     --ignore-scripts, and `require` and `import` both load the prebuild;
//   - with no prebuild and no build, loading fails with an error naming the
//     platform and the build command, and that command does build it.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, run, type Run } from '../helpers/run.js';

const ROOT = resolve(__dirname, '..', '..');
const FIXTURES = join(__dirname, '..', 'fixtures');
const TARGET = `${process.platform}-${process.arch}`;
/** The command the load error tells users to run (lib/core/native.ts). */
const BUILD_COMMAND = 'npm explore tcp-keepalive -- npm run build:native';
const REAL_TOOLS = ['node', 'npm', 'npx', 'sh'];
const POISONED = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'make', 'python3', 'python'];
const INSTALL_MS = 90_000;
const EXPECTED = { enabled: true, idle: 30000, interval: 10000, count: 3, userTimeout: 60000 };

function proven(line: string): void {
  console.log(`[package] ${line}`);
}

let work: string;
let tarball: string;
let entries: string[];
let packedManifest: Record<string, unknown> & { scripts?: Record<string, string> };
let prebuildEntry: string;
let poisonBin: string;
let marker: string;
/** env -i, plus just what npm needs to reach the same cache, registry and certificates. */
let bareEnv: NodeJS.ProcessEnv;

function markerLines(): string[] {
  return existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean) : [];
}

function clearMarker(): void {
  writeFileSync(marker, '');
}

/** Writes a scratch project and installs the tarball into it with the compiler-free PATH. */
async function scratchProject(name: string, installArgs: string[], tgz = tarball): Promise<{ dir: string; install: Run }> {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }, null, 2));
  for (const probe of ['package-probe.cjs', 'package-probe.mjs', 'probe-common.cjs']) copyFileSync(join(FIXTURES, probe), join(dir, probe));
  const install = await run('npm', ['install', '--prefer-offline', ...installArgs, tgz], { cwd: dir, env: bareEnv, timeoutMs: INSTALL_MS });
  return { dir, install };
}

interface ProbeResult {
  via: string;
  entry: string;
  packageDir: string;
  resolved: string;
  addons: string[];
  returnedTarget: boolean;
  before: typeof EXPECTED;
  after: typeof EXPECTED;
}

async function probe(dir: string, script: 'package-probe.cjs' | 'package-probe.mjs'): Promise<ProbeResult> {
  const result = await run('node', [script], { cwd: dir, env: bareEnv, timeoutMs: 30_000 });
  expect(result.code, explain(result)).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ProbeResult;
}

describe.runIf(process.platform === 'linux')('the npm pack tarball', () => {
  beforeAll(async () => {
    work = realpathSync(mkdtempSync(join(tmpdir(), 'tcp-keepalive-package-')));
    const packDir = join(work, 'pack');
    mkdirSync(packDir);

    // The developer's own npm settings decide where the cache and registry are.
    const config = async (key: string) => {
      const result = await run('npm', ['config', 'get', key], { cwd: ROOT, env: process.env, timeoutMs: 30_000 });
      expect(result.code, explain(result)).toBe(0);
      return result.stdout.trim();
    };
    const cache = await config('cache');
    const registry = await config('registry');
    // Where node-gyp finds Node's headers, when the developer's npm says (else it downloads them).
    const nodedir = await config('nodedir');

    // Packed from a copy of the tree: dist/ and prebuilds/ are rebuilt there,
    // and the tree under test must keep the build every other test file loads
    // (the developer's, or a sanitizer build in CI).
    const source = join(work, 'source');
    const tracked = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, env: process.env, timeoutMs: 30_000 });
    expect(tracked.code, explain(tracked)).toBe(0);
    for (const file of tracked.stdout.split('\0').filter(Boolean)) {
      if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
      mkdirSync(dirname(join(source, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(source, file));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
    // What prepack does, for the one binary this machine builds with its own
    // compiler: dist/ and prebuilds/<host>/. The cross builds (arm64, musl)
    // need their own toolchains and have tests of their own
    // (prebuild-arm64.test.ts, prebuild-musl.test.ts); a release runs the
    // whole prepack, which refuses to pack without them.
    for (const script of ['build:ts', 'prebuilds:x64']) {
      const step = await run('npm', ['run', script], { cwd: source, env: process.env, timeoutMs: 300_000 });
      expect(step.code, explain(step)).toBe(0);
    }
    const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], { cwd: source, env: process.env, timeoutMs: 120_000 });
    expect(pack.code, explain(pack)).toBe(0);
    const made = readdirSync(packDir).filter((file) => file.endsWith('.tgz'));
    expect(made, explain(pack)).toHaveLength(1);
    tarball = join(packDir, made[0]);
    proven(`npm run build:ts, npm run prebuilds:x64 (the host's prebuild), npm pack --ignore-scripts made ${tarball.slice(work.length + 1)} in ${pack.ms} ms`);

    const list = await run('tar', ['tzf', tarball], { cwd: work, env: process.env, timeoutMs: 30_000 });
    expect(list.code, explain(list)).toBe(0);
    entries = list.stdout.split('\n').filter(Boolean);
    const manifest = await run('tar', ['xzOf', tarball, 'package/package.json'], { cwd: work, env: process.env, timeoutMs: 30_000 });
    expect(manifest.code, explain(manifest)).toBe(0);
    packedManifest = JSON.parse(manifest.stdout);
    const prebuilds = entries.filter((entry) => new RegExp(`^package/prebuilds/${TARGET}/[^/]+\\.glibc\\.node$`).test(entry));
    prebuildEntry = prebuilds.length === 1 ? prebuilds[0] : '';

    // A bin directory with the real node and npm, and a poisoned stand-in for
    // every tool a native build would reach for. Plus sh: npm runs every
    // lifecycle script with `sh -c`, so without it an install script would
    // fail with ENOENT instead of showing what it would have run.
    poisonBin = join(work, 'bin');
    marker = join(work, 'compiler-calls.log');
    mkdirSync(poisonBin);
    for (const tool of REAL_TOOLS) {
      const real = tool === 'node' ? process.execPath : tool === 'sh' ? '/bin/sh' : await which(tool);
      symlinkSync(realpathSync(real), join(poisonBin, tool));
    }
    for (const tool of POISONED) {
      writeFileSync(join(poisonBin, tool), `#!/bin/sh\necho "${tool} $*" >> '${marker}'\nexit 1\n`, { mode: 0o755 });
    }
    clearMarker();

    bareEnv = { PATH: poisonBin, HOME: process.env.HOME ?? work, npm_config_cache: cache, npm_config_registry: registry };
    if (nodedir !== '' && nodedir !== 'undefined') bareEnv.npm_config_nodedir = nodedir;
    Object.assign(bareEnv, { npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' });
    // npm's debug logs (the control install fails on purpose) stay in the scratch area.
    bareEnv.npm_config_logs_dir = join(work, 'npm-logs');
    for (const key of [
      'CI', 'LANG', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
      'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
    ]) {
      if (process.env[key] !== undefined) bareEnv[key] = process.env[key];
    }
  }, 700_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`ships prebuilds/${TARGET}, dist for require and import, and no build or dev-only trees`, () => {
    expect(prebuildEntry, `want exactly one prebuilds/${TARGET}/*.glibc.node in:\n${entries.join('\n')}`).not.toBe('');
    const required = [
      'package/package.json',
      'package/README.md',
      'package/LICENSE',
      'package/dist/index.js',
      'package/dist/index.mjs',
      'package/dist/index.d.ts',
      'package/dist/index.d.mts',
      // What the build command in the load error needs.
      'package/binding.gyp',
      'package/src/binding.cc',
    ];
    expect(required.filter((file) => !entries.includes(file)), `missing from the tarball:\n${entries.join('\n')}`).toEqual([]);
    const banned = entries.filter((entry) => /^package\/(build|test|node_modules|bench)\//.test(entry));
    expect(banned).toEqual([]);
    proven(`tarball has ${entries.length} files: ${prebuildEntry.slice('package/'.length)}, ${required.length} required files, nothing under build/ test/ node_modules/ bench/`);
  });

  it('declares no install-time script and opts out of the implicit node-gyp install', () => {
    const scripts = packedManifest.scripts ?? {};
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(scripts[hook], hook).toBeUndefined();
    expect(packedManifest.gypfile).toBe(false);
    proven('packed package.json: no preinstall/install/postinstall/prepare script, gypfile: false');
  });

  it('the scratch PATH finds node and npm, and only poisoned compilers', async () => {
    const lookup = await run('/bin/sh', ['-c', `for t in ${[...REAL_TOOLS, ...POISONED].join(' ')}; do command -v "$t" || echo "missing $t"; done`], {
      cwd: work,
      env: bareEnv,
      timeoutMs: 10_000,
    });
    expect(lookup.stdout.trim().split('\n')).toEqual([...REAL_TOOLS, ...POISONED].map((tool) => join(poisonBin, tool)));
    for (const tool of POISONED) {
      const result = await run(tool, ['--version'], { cwd: work, env: bareEnv, timeoutMs: 10_000 });
      expect(result.code, tool).toBe(1);
    }
    expect(markerLines()).toEqual(POISONED.map((tool) => `${tool} --version`));
    const npmVersion = await run('npm', ['--version'], { cwd: work, env: bareEnv, timeoutMs: 30_000 });
    expect(npmVersion.code, explain(npmVersion)).toBe(0);
    clearMarker();
    proven(`scratch PATH=${poisonBin} only: real node, npm ${npmVersion.stdout.trim()}, npx, sh; ${POISONED.join(' ')} resolve to poisoned stand-ins that log to the marker`);
  });

  it('control: without gypfile:false, the same install does try to build, and the poison catches it', async () => {
    // Proves the harness would notice a build: repack with gypfile removed and
    // npm adds its implicit `node-gyp rebuild` install script.
    const unpacked = join(work, 'control-unpacked');
    mkdirSync(unpacked);
    const extract = await run('tar', ['xzf', tarball, '-C', unpacked], { cwd: work, env: process.env, timeoutMs: 30_000 });
    expect(extract.code, explain(extract)).toBe(0);
    const manifestPath = join(unpacked, 'package', 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    delete manifest.gypfile;
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    const controlTgz = join(work, 'control.tgz');
    const repack = await run('tar', ['czf', controlTgz, '-C', unpacked, 'package'], { cwd: work, env: process.env, timeoutMs: 30_000 });
    expect(repack.code, explain(repack)).toBe(0);

    clearMarker();
    const { install } = await scratchProject('control', [], controlTgz);
    expect(install.code, explain(install)).not.toBe(0);
    expect(`${install.stdout}${install.stderr}`).toContain('node-gyp rebuild');
    const calls = markerLines();
    expect(calls.length, explain(install)).toBeGreaterThan(0);
    clearMarker();
    proven(`control: with gypfile unset npm ran \`node-gyp rebuild\` on install, which hit the poison (${calls.map((c) => c.split(' ')[0]).join(', ')}) and failed`);
  }, INSTALL_MS + 30_000);

  for (const mode of [
    { name: 'with-scripts', args: [] as string[], label: 'npm install (scripts on)' },
    { name: 'ignore-scripts', args: ['--ignore-scripts'], label: 'npm install --ignore-scripts' },
  ]) {
    it(`${mode.label}: no compiler runs, and require and import both load prebuilds/${TARGET}`, async () => {
      clearMarker();
      const { dir, install } = await scratchProject(mode.name, mode.args);
      expect(install.code, explain(install)).toBe(0);
      const installed = join(dir, 'node_modules', 'tcp-keepalive');
      expect(prebuildEntry, `no prebuilds/${TARGET}/*.node in the tarball`).not.toBe('');
      const prebuild = join(installed, prebuildEntry.slice('package/'.length));
      expect(existsSync(prebuild)).toBe(true);

      for (const script of ['package-probe.cjs', 'package-probe.mjs'] as const) {
        const result = await probe(dir, script);
        const entry = join(installed, 'dist', script === 'package-probe.cjs' ? 'index.js' : 'index.mjs');
        expect(result.entry).toBe(entry);
        expect(result.packageDir).toBe(installed);
        expect(result.returnedTarget).toBe(true);
        expect(result.before).not.toEqual(EXPECTED);
        expect(result.after).toEqual(EXPECTED);
        expect(result.resolved).toBe(prebuild);
        expect(result.addons).toEqual([prebuild]);
        proven(
          `${mode.label}: ${result.via} -> ${entry.slice(dir.length + 1)}, loaded ${result.addons[0].slice(dir.length + 1)}, ` +
            `getKeepAlive after set = ${JSON.stringify(result.after)}`,
        );
      }

      expect(markerLines(), 'a compiler, make or python was invoked').toEqual([]);
      expect(existsSync(join(installed, 'build'))).toBe(false);
      const flagged = `${install.stdout}${install.stderr}`.split('\n').filter((line) => line.includes('install-scripts') && line.includes('tcp-keepalive'));
      proven(
        `${mode.label}: marker empty (no cc/gcc/g++/clang/make/python called), no node_modules/tcp-keepalive/build, install took ${install.ms} ms` +
          (flagged.length ? `; npm note: ${flagged.map((line) => line.trim()).join(' | ')}` : ''),
      );
    }, INSTALL_MS + 60_000);
  }

  it('the register subpath works from the installed tarball under --require and --import', async () => {
    const { dir, install } = await scratchProject('register', ['--ignore-scripts']);
    expect(install.code, explain(install)).toBe(0);
    const script =
      "const net = require('node:net'); const { getKeepAlive } = require('tcp-keepalive');" +
      "const server = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1', () => {" +
      "  const c = net.connect(server.address().port, '127.0.0.1', () => { console.log(JSON.stringify(getKeepAlive(c))); c.destroy(); server.close(); });" +
      '});';
    for (const flag of ['--require', '--import']) {
      const result = await run('node', [flag, 'tcp-keepalive/register', '-e', script], {
        cwd: dir,
        env: { ...bareEnv, KEEPIDLE: '30', KEEPINTVL: '10', KEEPCNT: '3' },
        timeoutMs: 30_000,
      });
      expect(result.code, explain(result)).toBe(0);
      expect(JSON.parse(result.stdout.trim())).toEqual({ ...EXPECTED, userTimeout: 0 });
      proven(`node ${flag} tcp-keepalive/register from the installed tarball: a client socket held 30/10/3`);
    }
  }, INSTALL_MS + 60_000);

  it('with no prebuild and no build, loading names the platform and the build command, and that command builds it', async () => {
    clearMarker();
    const { dir, install } = await scratchProject('no-prebuild', ['--ignore-scripts']);
    expect(install.code, explain(install)).toBe(0);
    const installed = join(dir, 'node_modules', 'tcp-keepalive');
    rmSync(join(installed, 'prebuilds'), { recursive: true, force: true });
    expect(existsSync(join(installed, 'build'))).toBe(false);

    const required = await run('node', ['package-probe.cjs'], { cwd: dir, env: bareEnv, timeoutMs: 30_000 });
    expect(required.code, explain(required)).toBe(0);
    const { loadError } = JSON.parse(required.stdout.trim().split('\n').at(-1)!) as { loadError?: { message: string; code: string } };
    expect(loadError, required.stdout).toBeDefined();
    expect(loadError!.message).toContain(TARGET);
    expect(loadError!.message).toContain(BUILD_COMMAND);
    expect(loadError!.code).toBe('ERR_TCP_KEEPALIVE_NO_BINARY');
    proven(`no prebuild, no build: require throws ${loadError!.code}: ${loadError!.message}`);

    const imported = await run('node', ['package-probe.mjs'], { cwd: dir, env: bareEnv, timeoutMs: 30_000 });
    expect(imported.code).not.toBe(0);
    expect(imported.stderr).toContain(TARGET);
    expect(imported.stderr).toContain(BUILD_COMMAND);
    proven('no prebuild, no build: import fails with the same message');
    expect(markerLines()).toEqual([]);

    // Now as the user told to run it: from their project, with their real PATH.
    const realEnv = { ...bareEnv, PATH: process.env.PATH ?? '' };
    const toolchain = await run('/bin/sh', ['-c', 'command -v make && command -v python3 && (command -v c++ || command -v g++)'], {
      cwd: dir,
      env: realEnv,
      timeoutMs: 10_000,
    });
    if (toolchain.code !== 0) {
      proven(`SKIPPED running \`${BUILD_COMMAND}\`: no make/python3/c++ on this machine's PATH`);
      return;
    }
    const build = await run('/bin/sh', ['-c', BUILD_COMMAND], { cwd: dir, env: realEnv, timeoutMs: 180_000 });
    expect(build.code, explain(build)).toBe(0);
    const built = join(installed, 'build', 'Release', 'tcp_keepalive.node');
    expect(existsSync(built)).toBe(true);
    for (const script of ['package-probe.cjs', 'package-probe.mjs'] as const) {
      const result = await probe(dir, script);
      expect(result.after).toEqual(EXPECTED);
      expect(result.addons).toEqual([built]);
    }
    proven(`\`${BUILD_COMMAND}\` run in the scratch project built ${built.slice(dir.length + 1)} in ${build.ms} ms; require and import then load it`);
  }, INSTALL_MS + 180_000 + 60_000);
});

/** Finds a tool on this process's PATH. */
async function which(tool: string): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, tool))) return join(dir, tool);
  }
  throw new Error(`${tool} is not on PATH`);
}
