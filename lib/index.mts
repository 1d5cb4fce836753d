// ESM entry: the same functions as the CommonJS build, so both module systems
// share one loaded addon. The bindings are read off the CommonJS module's
// exports rather than re-exported from it: a runtime whose named-export
// detection does not see TypeScript's re-export getters (Deno 2) imports
// them too.
import library from './index.js';

export const {
  setKeepAlive,
  getKeepAlive,
  getTcpInfo,
  systemDefaults,
  detectionTime,
  keepAliveFor,
  inspectProcess,
  inspectSockets,
  summarizeProcess,
  keepAliveAgent,
  keepAliveHttpsAgent,
  withKeepAlive,
  capabilities,
  onConnectionLost,
  countConnectionsLost,
} = library;
export type {
  KeepAliveOptions,
  KeepAliveState,
  KeepAliveSystemError,
  TcpInfo,
  TcpState,
  SystemDefaults,
  DetectionSettings,
  DetectionTime,
  DetectionBudget,
  ChosenKeepAlive,
  InspectedSocket,
  InspectFilter,
  InspectGroup,
  InspectSummary,
  SocketEndpoint,
  SocketTimer,
  Capabilities,
  OptionSupport,
  ConnectionLost,
  ConnectionLostOptions,
  LossCause,
  LossCount,
  LossPattern,
} from './index.js';
