/**
 * tcp-keepalive: per-socket TCP keepalive control for Node.
 *
 * `setKeepAlive` validates everything, then resolves the fd once and makes one
 * native call that does all the setsockopt calls; `getKeepAlive` makes one
 * native call that reads every value from the kernel.
 *
 * This file only re-exports: code inside the package imports from the
 * module that defines a name, never from here (scripts/check-imports.mjs).
 */
export { setKeepAlive, getKeepAlive } from './core/set-get.js';
export type { KeepAliveOptions } from './core/options.js';
export type { KeepAliveState, TcpInfo, TcpState } from './core/native.js';
export type { KeepAliveSystemError } from './core/errors.js';
export { getTcpInfo } from './kernel-view/tcp-info.js';
export { systemDefaults, type SystemDefaults } from './kernel-view/system.js';
export { detectionTime, type DetectionSettings, type DetectionTime } from './kernel-view/detection-time.js';
export { keepAliveFor, type DetectionBudget, type ChosenKeepAlive } from './kernel-view/detection-budget.js';
export { capabilities, type Capabilities, type OptionSupport } from './kernel-view/capabilities.js';
export { keepAliveAgent, keepAliveHttpsAgent, withKeepAlive } from './integrations/agents.js';
export {
  inspectProcess,
  inspectSockets,
  summarizeProcess,
  type InspectedSocket,
  type InspectFilter,
  type InspectGroup,
  type InspectSummary,
  type SocketEndpoint,
  type SocketTimer,
} from './kernel-view/inspect.js';
export {
  onConnectionLost,
  countConnectionsLost,
  type ConnectionLost,
  type ConnectionLostOptions,
  type LossCause,
  type LossCount,
  type LossPattern,
} from './kernel-view/connection-lost.js';
