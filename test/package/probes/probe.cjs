'use strict';
// CommonJS consumer: require('tcp-keepalive'). On a load failure prints the
// error as JSON instead of the probe result.
const { probe, installedPackageDir } = require('./probe-common.cjs');

let api;
try {
  api = require('tcp-keepalive');
} catch (error) {
  process.stdout.write(JSON.stringify({
    loadError: { message: error.message, code: error.code, cause: error.cause && String(error.cause) },
  }) + '\n');
  process.exit(0);
}
probe(api, installedPackageDir(), { via: 'require', entry: require.resolve('tcp-keepalive') }).catch((error) => {
  console.error(error);
  process.exit(1);
});
