/**
 * tcp-keepalive/undici: keepalive for fetch and undici connections.
 *
 *   import { Agent } from 'undici';
 *   const dispatcher = new Agent({ connect: keepAliveConnector({ idle: 30_000, interval: 10_000, count: 3 }) });
 *   await fetch(url, { dispatcher });           // Node's built-in fetch, or undici's
 *
 * An entry point of its own, apart from the main one, because it is the only
 * code that loads the `undici` package (lib/integrations/undici.ts).
 */
export { keepAliveConnector, keepAliveDispatcher } from './integrations/undici.js';
// Sockets configured here are reported when they are lost, to whatever subscribes.
import './kernel-view/connection-lost.js';
