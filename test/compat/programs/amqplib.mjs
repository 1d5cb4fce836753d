// amqplib against RabbitMQ. It has no reconnect logic of its own: the check
// after the first checkpoint is a second channel on the same connection.
// Recipe: it takes no socket, and its `keepAlive` socket option sets Node's
// 1 s/10: configure() from tcp-keepalive/register, before it connects.
import amqp from 'amqplib';
import { VALUES, checkpoint, env, fail, recipe, register } from './common.mjs';

if (recipe) register.configure(VALUES);
try {
  const connection = await amqp.connect(`amqp://guest:guest@127.0.0.1:${env('COMPAT_PORT')}`);
  const first = await connection.createChannel();
  await first.assertQueue('', { exclusive: true });
  await checkpoint('connected');
  const second = await connection.createChannel(); // the same connection again
  await second.assertQueue('', { exclusive: true });
  await checkpoint('after');
  await connection.close();
} catch (error) {
  fail(error);
}
