#!/usr/bin/env node
// npx tcp-keepalive <defaults | explain | inspect> [--json] [--help]
//
// Exit codes: 0 done; 1 the operation failed (no such process, /proc not
// readable, ...); 2 bad usage (unknown command or option, a value out of
// range); 3 no permission (inspect needs ptrace permission over the process).
import { parseArgs } from 'node:util';
import { defaultsCommand } from './cli/defaults.js';
import { explainCommand } from './cli/explain.js';
import { inspectCommand } from './cli/inspect.js';
import { EXIT, HELP, UsageError } from './cli/usage.js';

function main(argv: string[]): number {
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
  } as const;
  const options = command === 'explain' ? { ...common, ...timing } : common;
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
  if (command === 'defaults') return defaultsCommand(json);
  if (command === 'explain') return explainCommand(values, json);
  if (parsed.positionals.length !== 1) throw new UsageError('inspect takes exactly one process id (try --help)');
  return inspectCommand(parsed.positionals[0], json);
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  const code = (error as { code?: string }).code;
  // The library's own messages already say where they come from.
  console.error(`tcp-keepalive: ${(error as Error).message.replace(/^tcp-keepalive: /, '')}`);
  process.exitCode = error instanceof UsageError ? EXIT.usage : code === 'EPERM' || code === 'EACCES' ? EXIT.permission : EXIT.failed;
}
