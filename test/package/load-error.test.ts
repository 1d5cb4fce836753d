// Loading with no binary at all: the error says what to run, and the command
// differs between a clone (build in place) and an installed dependency.
import { expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { explain, run } from '../helpers/run.js';

const ROOT = join(__dirname, '..', '..');

async function loadErrorIn(packageDir: string): Promise<{ code: string; message: string }> {
  mkdirSync(packageDir, { recursive: true });
  cpSync(join(ROOT, 'dist'), join(packageDir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(packageDir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(packageDir, 'node_modules'));
  const script = "try { require('./dist/index.js'); console.log('{}'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }";
  const result = await run(process.execPath, ['-e', script], { cwd: packageDir, env: { ...process.env, PREBUILDS_ONLY: '' }, timeoutMs: 20_000 });
  expect(result.code, explain(result)).toBe(0);
  return JSON.parse(result.stdout.trim()) as { code: string; message: string };
}

it('in a clone, the load error says to run npm run build there', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tcp-keepalive-clone-'));
  onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
  const error = await loadErrorIn(join(scratch, 'tcp-keepalive'));
  expect(error.code).toBe('ERR_TCP_KEEPALIVE_NO_BINARY');
  expect(error.message).toContain(`npm run build (in ${join(scratch, 'tcp-keepalive')}, the clone)`);
  expect(error.message).not.toContain('npm explore');
});

it('as an installed dependency, it names npm explore', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tcp-keepalive-app-'));
  onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
  const error = await loadErrorIn(join(scratch, 'node_modules', 'tcp-keepalive'));
  expect(error.message).toContain('npm explore tcp-keepalive -- npm run build:native');
});
