'use strict';
// Run by test/prebuild-arm64.test.ts with some node (the arm64 one under qemu,
// or the host's) as: node prebuild-probe.cjs <package dir>
// Loads the package's built dist/ (which loads the addon through
// node-gyp-build), opens a loopback connection, sets keepalive options, reads
// them back from the kernel and prints one line of JSON: the values, the arch
// of this node, the file node-gyp-build picks, and the .node files this
// process really has mapped (/proc/self/maps; qemu-user shows the guest's).
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { once } = require('node:events');
const { createRequire } = require('node:module');

const OPTIONS = { idle: 30000, interval: 10000, count: 3, userTimeout: 60000 };

function mappedAddons() {
  const files = new Set();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const file = line.slice(line.indexOf('/'));
    if (line.includes('/') && file.endsWith('.node')) files.add(file);
  }
  return [...files];
}

async function main() {
  const packageDir = fs.realpathSync(process.argv[2]);
  let api;
  try {
    api = require(packageDir);
  } catch (error) {
    process.stdout.write(JSON.stringify({ arch: process.arch, loadError: { code: error.code, message: error.message } }) + '\n');
    return;
  }
  const nodeGypBuild = createRequire(path.join(packageDir, 'package.json'))('node-gyp-build');
  const server = net.createServer((s) => s.on('error', () => {}));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect(server.address().port, '127.0.0.1');
  await once(socket, 'connect');
  const before = api.getKeepAlive(socket);
  const returned = api.setKeepAlive(socket, OPTIONS);
  const after = api.getKeepAlive(socket);
  socket.destroy();
  server.close();
  process.stdout.write(JSON.stringify({
    arch: process.arch,
    version: process.version,
    prebuildsOnly: process.env.PREBUILDS_ONLY === '1',
    resolved: nodeGypBuild.resolve(packageDir),
    addons: mappedAddons(),
    returnedTarget: returned === socket,
    before,
    after,
  }) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
