'use strict';
// Run by test/package/prebuild-arm64.test.ts with some node (the arm64 one under qemu,
// or the host's) as: node prebuild-probe.cjs <package dir>
// Loads the package's built dist/ (which loads the addon through
// node-gyp-build), opens a loopback connection, sets keepalive options, reads
// them back from the kernel and prints one line of JSON: the values, the arch
// of this node, the file node-gyp-build picks, and the .node files this
// process really has mapped (/proc/self/maps; qemu-user shows the guest's).
const fs = require('node:fs');
const { probe } = require('./probe-common.cjs');

function main() {
  const packageDir = fs.realpathSync(process.argv[2]);
  let api;
  try {
    api = require(packageDir);
  } catch (error) {
    process.stdout.write(JSON.stringify({ arch: process.arch, loadError: { code: error.code, message: error.message } }) + '\n');
    return Promise.resolve();
  }
  return probe(api, packageDir, { arch: process.arch, version: process.version, prebuildsOnly: process.env.PREBUILDS_ONLY === '1' });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
