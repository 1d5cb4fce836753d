// The macOS platform layer (src/keepalive_darwin.cc) compiles, warning-free,
// and links for x86_64 and arm64 with zig. Not run: no Mac here; not shipped.
import { expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { npmTool, requireOrSkip } from '../helpers/prerequisites.js';
import { explain, run } from '../helpers/run.js';

// <mach-o/loader.h>: MH_MAGIC_64, CPU_TYPE_X86_64, CPU_TYPE_ARM64, MH_BUNDLE/MH_DYLIB.
const MH_MAGIC_64 = 0xfeedfacf;
const CPU = { x64: 0x01000007, arm64: 0x0100000c };
const MH_DYLIB = 6;

const skip = requireOrSkip('macOS build (zig)', npmTool('zig').missing);

it.skipIf(skip)('scripts/build-darwin.sh builds a Mach-O addon for x86_64 and arm64', async () => {
  const out = mkdtempSync(join(tmpdir(), 'tcp-keepalive-darwin-'));
  onTestFinished(() => rmSync(out, { recursive: true, force: true }));
  const result = await run('bash', [join(__dirname, '..', '..', 'scripts', 'build-darwin.sh'), out], { cwd: join(__dirname, '..', '..'), env: process.env, timeoutMs: 900_000 });
  expect(result.code, explain(result)).toBe(0);
  for (const arch of ['x64', 'arm64'] as const) {
    const header = readFileSync(join(out, `darwin-${arch}.node`));
    expect(header.readUInt32LE(0)).toBe(MH_MAGIC_64);
    expect(header.readUInt32LE(4)).toBe(CPU[arch]);
    expect(header.readUInt32LE(12)).toBe(MH_DYLIB);
  }
}, 900_000);
