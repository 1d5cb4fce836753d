// mqtt.js against Mosquitto. After the first checkpoint the test restarts
// the broker; mqtt.js reconnects by itself. Recipe: configure() from
// tcp-keepalive/register (mqtt.js makes its own socket for mqtt:// URLs).
import mqtt from 'mqtt';
import { VALUES, checkpoint, env, fail, recipe, register, until } from './common.mjs';

if (recipe) register.configure(VALUES);
const client = mqtt.connect(`mqtt://127.0.0.1:${env('COMPAT_PORT')}`, { reconnectPeriod: 100, connectTimeout: 5_000 });
let connects = 0;
client.on('connect', () => connects++);
client.on('error', () => {});
try {
  await until(() => connects === 1, 10_000, 'mqtt.js to connect');
  await checkpoint('connected');
  await until(() => connects === 2, 15_000, 'mqtt.js to reconnect');
  await checkpoint('after');
  client.end(true);
} catch (error) {
  fail(error);
}
