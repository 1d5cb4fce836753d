// The names each public entry point exports, at run time and in its type
// declarations, as built into dist/: a rename or a move inside lib/ must not
// change them, and adding or removing one is a decision this file records.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const DIST = join(__dirname, '..', '..', 'dist');
const requireDist = createRequire(join(DIST, 'index.js'));

const FUNCTIONS = [
  'capabilities',
  'countConnectionsLost',
  'detectionTime',
  'getKeepAlive',
  'getTcpInfo',
  'inspectProcess',
  'inspectSockets',
  'keepAliveAgent',
  'keepAliveFor',
  'keepAliveHttpsAgent',
  'onConnectionLost',
  'setKeepAlive',
  'summarizeProcess',
  'systemDefaults',
  'withKeepAlive',
];
const TYPES = [
  'Capabilities',
  'ChosenKeepAlive',
  'ConnectionLost',
  'ConnectionLostOptions',
  'DetectionBudget',
  'DetectionSettings',
  'DetectionTime',
  'InspectFilter',
  'InspectGroup',
  'InspectSummary',
  'InspectedSocket',
  'KeepAliveOptions',
  'KeepAliveState',
  'KeepAliveSystemError',
  'LossCause',
  'LossCount',
  'LossPattern',
  'OptionSupport',
  'SocketEndpoint',
  'SocketTimer',
  'SystemDefaults',
  'TcpInfo',
  'TcpState',
];
const ENTRIES = {
  'tcp-keepalive (require)': { file: 'index.js', runtime: FUNCTIONS, types: [...TYPES, ...FUNCTIONS], declarations: 'index.d.ts' },
  'tcp-keepalive (import)': { file: 'index.mjs', runtime: FUNCTIONS, types: [...TYPES, ...FUNCTIONS], declarations: 'index.d.mts' },
  'tcp-keepalive/register': { file: 'register.js', runtime: ['configure'], types: ['PreloadOptions', 'PreloadRule', 'RuleMatch', 'configure'], declarations: 'register.d.ts' },
  'tcp-keepalive/undici': {
    file: 'undici.js',
    runtime: ['keepAliveConnector', 'keepAliveDispatcher'],
    types: ['keepAliveConnector', 'keepAliveDispatcher'],
    declarations: 'undici.d.ts',
  },
};

const sorted = (names: Iterable<string>): string[] => [...names].sort();

describe('public surface', () => {
  for (const [entry, { file, runtime }] of Object.entries(ENTRIES)) {
    it(`${entry}: the same names at run time`, async () => {
      const loaded = file.endsWith('.mjs') ? await import(pathToFileURL(join(DIST, file)).href) : requireDist(join(DIST, file));
      expect(sorted(Object.keys(loaded).filter((name) => name !== 'default'))).toEqual(sorted(runtime));
    });
  }

  it('the same names in the type declarations', () => {
    const files = Object.values(ENTRIES).map((e) => join(DIST, e.declarations));
    const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: ['node'], skipLibCheck: true });
    const checker = program.getTypeChecker();
    for (const [entry, { declarations, types }] of Object.entries(ENTRIES)) {
      const source = program.getSourceFile(join(DIST, declarations));
      expect(source, `${entry}: ${declarations}`).toBeDefined();
      const symbol = checker.getSymbolAtLocation(source!)!;
      expect(sorted(checker.getExportsOfModule(symbol).map((s) => s.name)), entry).toEqual(sorted(types));
    }
  });
});
