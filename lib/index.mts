// ESM entry: the same functions as the CommonJS build, so both module systems
// share one loaded addon.
export { setKeepAlive, getKeepAlive } from './index.js';
export type { KeepAliveOptions, KeepAliveState, KeepAliveSystemError } from './index.js';
