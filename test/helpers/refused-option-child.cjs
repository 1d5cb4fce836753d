// Child process for test/core/kernel-errors.test.ts, run under seccomp-deny: opens
// a loopback connection, tries the calls named in argv[2] (JSON), and prints
// one JSON line with what happened. Uses the built package, as a user would.
'use strict';
const net = require('node:net');
const { setKeepAlive, getKeepAlive } = require('../../dist/index.js');
const binding = require('../../dist/core/native.js').rawBinding;

const calls = JSON.parse(process.argv[2]);
const report = (value) => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
  process.exit(0);
};
const attempt = (fn) => {
  try {
    return { ok: fn() ?? null };
  } catch (error) {
    return { error: { message: error.message, code: error.code, errno: error.errno, syscall: error.syscall, option: error.option, isError: error instanceof Error } };
  }
};

const server = net.createServer((peer) => peer.pipe(peer));
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    const results = calls.map((call) =>
      call.get ? attempt(() => getKeepAlive(client)) : attempt(() => { setKeepAlive(client, call.set); }),
    );
    // The connection must still carry data after whatever was refused.
    client.once('data', (echo) => report({ restoresOnFailure: binding.restoresOnFailure, results, echo: echo.toString() }));
    client.write('still-flowing');
  });
});
setTimeout(() => report({ timeout: true }), 10_000).unref();
