// ESM consumer: a static named import, as users write it. A load failure
// surfaces as an uncaught error (non-zero exit, message on stderr).
import { fileURLToPath } from 'node:url';
import { setKeepAlive, getKeepAlive } from 'tcp-keepalive';
import common from './probe-common.cjs';

await common.probe({ setKeepAlive, getKeepAlive }, common.installedPackageDir(), {
  via: 'import',
  entry: fileURLToPath(import.meta.resolve('tcp-keepalive')),
});
