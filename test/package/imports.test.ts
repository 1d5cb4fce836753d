// lib/'s dependencies run one way and never in a circle (scripts/check-imports.mjs,
// also run by `npm run typecheck`): the real tree passes, and each rule fails
// on a small tree that breaks it, so the check cannot pass by seeing nothing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, with no type declarations
import { checkImports } from '../../scripts/check-imports.mjs';

const check = checkImports as (libDir: string) => string[];
const scratch = mkdtempSync(join(tmpdir(), 'tcp-keepalive-imports-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let trees = 0;
function tree(files: Record<string, string>): string {
  const root = join(scratch, String(trees++));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

describe('lib/ imports', () => {
  it('the package itself: no cycle, no import against the direction, no import of an entry point', () => {
    expect(check(join(__dirname, '..', '..', 'lib'))).toEqual([]);
  });

  it('a cycle is found, type-only and lazy imports included, and shown as a path', () => {
    const root = tree({
      'core/a.ts': "import { b } from './b.js';\nexport const a = 1;",
      'core/b.ts': "import type { C } from './c.js';\nexport const b = 2;",
      'core/c.ts': "export type C = number;\nconst lazy = (): unknown => require('./a.js');",
      'core/alone.ts': 'export const alone = 3;',
    });
    expect(check(root)).toEqual(['import cycle: core/a.ts -> core/b.ts -> core/c.ts -> core/a.ts']);
  });

  it('a file that imports itself is a cycle', () => {
    expect(check(tree({ 'core/self.ts': "export * from './self.js';" }))).toEqual(['import cycle: core/self.ts -> core/self.ts']);
  });

  it('the core importing an integration, and the kernel view importing the command line, are refused', () => {
    const root = tree({
      'core/set.ts': "import { hook } from '../integrations/hook.js';",
      'integrations/hook.ts': 'export const hook = 1;',
      'kernel-view/view.ts': "import { HELP } from '../cli/usage.js';",
      'cli/usage.ts': "import { hook } from '../integrations/hook.js';\nexport const HELP = '';",
    });
    expect(check(root)).toEqual([
      'core/set.ts: lib/core/ may not import lib/integrations/ (integrations/hook.ts)',
      'kernel-view/view.ts: lib/kernel-view/ may not import lib/cli/ (cli/usage.ts)',
    ]);
  });

  it('no file imports an entry point (the public barrel above all), but the ESM face of the barrel', () => {
    const root = tree({
      'index.ts': "export { set } from './core/set.js';",
      'index.mts': "export { set } from './index.js';",
      'core/set.ts': 'export const set = 1;',
      'integrations/agents.ts': "import { set } from '../index.js';",
    });
    expect(check(root)).toEqual(['integrations/agents.ts: imports the entry point index.ts; import the module that defines the name']);
  });

  it('an import of a file that does not exist is reported, not skipped', () => {
    expect(check(tree({ 'core/a.ts': "import { gone } from './gone.js';" }))).toEqual([
      'core/a.ts: imports ./gone.js, which is not a file under lib/',
    ]);
  });
});
