// A @grpc/grpc-js server and client (a service defined in code, no .proto
// file); a second call reuses the channel. grpc-js opens its own sockets
// through http2 and exposes no socket or listener: recipe: configure() from
// tcp-keepalive/register, before the server binds and the client connects.
import grpc from '@grpc/grpc-js';
import { VALUES, checkpoint, fail, recipe, register } from './common.mjs';

if (recipe) register.configure(VALUES);
const identity = (value) => value;
const service = {
  echo: { path: '/compat.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};
const server = new grpc.Server();
server.addService(service, { echo: (call, callback) => callback(null, call.request) });
try {
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const Client = grpc.makeGenericClientConstructor(service, 'Echo');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const echo = () => new Promise((resolve, reject) => client.echo(Buffer.from('hi'), (error, reply) => (error ? reject(error) : resolve(reply))));
  await echo();
  await checkpoint('connected', { port });
  await echo(); // the same channel again
  await checkpoint('after', { port });
} catch (error) {
  fail(error);
}
