#!/usr/bin/env node
// npx tcp-keepalive <defaults | explain | inspect> [--json] [--help]
//
// Exit codes: 0 done; 1 the operation failed (no such process, /proc not
// readable, ...); 2 bad usage (unknown command or option, a value out of
// range); 3 no permission (inspect needs ptrace permission over the process).
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { EXIT, HELP, UsageError } from './cli/usage.js';

// inspect: the optimizing compilers' own memory (their zones, and the pages
// of Node's binary they run from) is most of what a large inspection would
// add to this process: 8-14 MB, against 54-58 MB in all with them off (Node
// 20 and 26, 20 000 sockets, bench/inspect.mjs). The work is a short walk
// over native batches, which the interpreter and Sparkplug keep within the
// time of `ss`. Set before anything else compiles; only this process.
if (process.argv[2] === 'inspect') {
  setFlagsFromString('--no-opt');
  setFlagsFromString('--no-maglev');
}

// Each command's code loads only when it runs: `inspect` of a process with
// 100 000 sockets has a memory budget, and the others' modules would take a
// part of it for nothing.
/* eslint-disable @typescript-eslint/no-require-imports */
const commands = {
  defaults: (): typeof import('./cli/defaults.js') => require('./cli/defaults.js') as typeof import('./cli/defaults.js'),
  explain: (): typeof import('./cli/explain.js') => require('./cli/explain.js') as typeof import('./cli/explain.js'),
  inspect: (): typeof import('./cli/inspect.js') => require('./cli/inspect.js') as typeof import('./cli/inspect.js'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

function main(argv: string[]): number | Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP.main);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!(command in HELP) || command === 'main') throw new UsageError(`unknown command '${command}' (try --help)`);
  const common = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
  const timing = {
    idle: { type: 'string' },
    interval: { type: 'string' },
    count: { type: 'string' },
    'user-timeout': { type: 'string' },
    'detect-within': { type: 'string' },
    'nat-idle': { type: 'string' },
    probes: { type: 'string' },
    'no-user-timeout': { type: 'boolean' },
    rules: { type: 'string' },
    for: { type: 'string' },
    'closed-after': { type: 'string' },
  } as const;
  const filters = {
    summary: { type: 'boolean' },
    'normal-priority': { type: 'boolean' },
    port: { type: 'string' },
    state: { type: 'string' },
    remote: { type: 'string' },
  } as const;
  const options = command === 'explain' ? { ...common, ...timing } : command === 'inspect' ? { ...common, ...filters } : common;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: command === 'inspect', strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    console.log(HELP[command as keyof typeof HELP]);
    return EXIT.ok;
  }
  const json = values.json === true;
  if (command === 'defaults') return commands.defaults().defaultsCommand(json);
  if (command === 'explain') return commands.explain().explainCommand(values, json);
  if (parsed.positionals.length !== 1) throw new UsageError('inspect takes exactly one process id (try --help)');
  return commands.inspect().inspectCommand(parsed.positionals[0], values, json);
}

// A reader that stops reading (| head) ends the command, quietly, as with other tools.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

// inspect streams (it is async); the other commands return at once.
Promise.resolve()
  .then(() => main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const code = (error as { code?: string }).code;
      // The library's own messages already say where they come from.
      console.error(`tcp-keepalive: ${(error as Error).message.replace(/^tcp-keepalive: /, '')}`);
      process.exitCode = error instanceof UsageError ? EXIT.usage : code === 'EPERM' || code === 'EACCES' ? EXIT.permission : EXIT.failed;
    },
  );
