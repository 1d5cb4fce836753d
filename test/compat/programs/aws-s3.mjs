// AWS SDK v3's S3 client against a local HTTPS endpoint (path-style, test
// credentials): a GetObject read whole, the pooled connection again. Recipe: its
// request handler given a keepalive https.Agent (keepAliveHttpsAgent), as
// aws-sdk-js-v3#3624 asks for.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { VALUES, env, keepalive, recipe, twice } from './common.mjs';

const client = new S3Client({
  endpoint: new URL(env('COMPAT_HTTPS_URL')).origin,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  ...(recipe ? { requestHandler: new NodeHttpHandler({ httpsAgent: keepalive.keepAliveHttpsAgent(VALUES) }) } : {}),
});
await twice(async () => (await client.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'key' }))).Body.transformToString());
