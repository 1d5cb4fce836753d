// ESM entry: the same functions as the CommonJS build, so both module systems
// share one loaded addon.
export {
  setKeepAlive,
  getKeepAlive,
  getTcpInfo,
  systemDefaults,
  detectionTime,
  keepAliveFor,
  inspectProcess,
  keepAliveAgent,
  keepAliveHttpsAgent,
  withKeepAlive,
  capabilities,
} from './index.js';
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
  SocketEndpoint,
  SocketTimer,
  Capabilities,
  OptionSupport,
} from './index.js';
