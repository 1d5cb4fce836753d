'use strict';
// Shared by the probes that load the package the way a user would
// (test/package/probes/probe.cjs and probe.mjs in a scratch project, and
// test/helpers/prebuild-probe.cjs under another architecture's node). It opens
// a loopback connection, applies keepalive options through the given API,
// reads them back from the kernel and prints one line of JSON: what came back,
// the file node-gyp-build picks, and the native addon files this process
// really has mapped (from /proc/self/maps, so it is the file the dynamic
// loader opened, not a guess).
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

/** Where `tcp-keepalive` is installed, as seen from the current directory. */
function installedPackageDir() {
  return path.dirname(require.resolve('tcp-keepalive/package.json', { paths: [process.cwd()] }));
}

async function probe(api, packageDir, fields) {
  // The same lookup the package does at load time, asked from the package's own dependencies.
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
    ...fields,
    packageDir: fs.realpathSync(packageDir),
    resolved: nodeGypBuild.resolve(packageDir),
    addons: mappedAddons(),
    returnedTarget: returned === socket,
    before,
    after,
  }) + '\n');
}

module.exports = { probe, installedPackageDir, OPTIONS };
