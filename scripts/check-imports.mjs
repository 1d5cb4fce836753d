// The direction of lib/'s dependencies, checked: run by `npm run typecheck`
// and by test/package/imports.test.ts. Exits 1 naming each offending import.
//
// - lib/core/          imports only lib/core/
// - lib/kernel-view/   imports lib/core/ and itself
// - lib/integrations/  imports lib/core/, lib/kernel-view/ and itself
// - lib/cli/           imports any of those and itself
// - lib/*.ts, lib/*.mts (the public entry points) import the folders; no file
//   imports an entry point, except lib/index.mts (the ESM face of lib/index.ts)
// - no import cycle, type-only imports included.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAY_IMPORT = {
  core: ['core'],
  'kernel-view': ['core', 'kernel-view'],
  integrations: ['core', 'kernel-view', 'integrations'],
  cli: ['core', 'kernel-view', 'integrations', 'cli'],
  '': ['core', 'kernel-view', 'integrations', 'cli'],
};
// Relative specifiers in import/export ... from, import(), require() and bare import.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm;

/** Every problem with the imports of the TypeScript files under `libDir`, as lines of text. */
export function checkImports(libDir) {
  const root = resolve(libDir);
  const files = readdirSync(root, { recursive: true })
    .map(String)
    .filter((file) => /\.m?ts$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => join(root, file))
    .sort();
  const known = new Set(files);
  const name = (file) => relative(root, file).split(sep).join('/');
  const group = (file) => (name(file).includes('/') ? name(file).split('/')[0] : '');
  const problems = [];
  const graph = new Map();
  for (const file of files) {
    const edges = [];
    for (const [, , specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts');
      if (!known.has(target)) {
        problems.push(`${name(file)}: imports ${specifier}, which is not a file under lib/`);
        continue;
      }
      edges.push(target);
      const from = group(file);
      const to = group(target);
      if (to === '' && name(file) !== 'index.mts') {
        problems.push(`${name(file)}: imports the entry point ${name(target)}; import the module that defines the name`);
      } else if (to !== '' && !(MAY_IMPORT[from] ?? []).includes(to)) {
        problems.push(`${name(file)}: lib/${from ? `${from}/` : '*.ts'} may not import lib/${to}/ (${name(target)})`);
      }
    }
    graph.set(file, edges);
  }
  for (const cycle of cycles(graph)) problems.push(`import cycle: ${[...cycle, cycle[0]].map(name).join(' -> ')}`);
  return problems;
}

// Each strongly connected component of more than one file (or a file that
// imports itself) is a cycle; one path around it is reported.
function cycles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let next = 0;
  const visit = (file) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file)) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file), low.get(target)));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file), index.get(target)));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file).includes(file)) found.push(pathAround(graph, new Set(component), file));
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

// A shortest path from `start` back to itself inside one component.
function pathAround(graph, component, start) {
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const target of graph.get(file)) {
      if (!component.has(target)) continue;
      if (target === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(previous.get(path[0]));
        return path;
      }
      if (!previous.has(target)) {
        previous.set(target, file);
        queue.push(target);
      }
    }
  }
  return [start];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lib = fileURLToPath(new URL('../lib/', import.meta.url));
  const problems = checkImports(process.argv[2] ?? lib);
  for (const problem of problems) console.error(`check-imports: ${problem}`);
  if (problems.length > 0) process.exit(1);
  console.log('check-imports: lib/ imports run one way, no cycles');
}
