export { Op, FLAG_PROGRESS, isFrame, type Frame, type Message, type HostMessage, type ExtensionMessage, type ReadyInfo, type LogLevel } from './protocol.js';
export type { BusEndpoint, CloseInfo, MessageEventLike, MessageListener } from './endpoint.js';
export { workerEndpoint } from './transports/worker.js';
export { processEndpoint } from './transports/process.js';
export { pipeEndpoint, inheritedPipeEndpoint, DEFAULT_PIPE_FRAME_BYTES, type PipeEndpointOptions } from './transports/pipe.js';
export {
  socketEndpoint,
  connectSocket,
  listenSocket,
  encodeFrame,
  FrameDecoder,
  DEFAULT_MAX_FRAME_BYTES,
  type SocketEndpointOptions,
} from './transports/socket.js';
export { asComlinkEndpoint } from './comlink-endpoint.js';
export { hostEndpoint } from './host-endpoint.js';
export { BusClient, DEFAULT_LIMITS, type BusClientOptions, type CallLimits, type CallLogEntry, type CallOptions, type ClientEvents } from './client.js';
export { serve, encodeError, type BusServer, type CallHandler, type ServeOptions, type ServerCallContext } from './server.js';
export { payloadSize } from './payload.js';
export { Ring, RingChannel } from './ring.js';
export {
  createLauncher,
  defaultCommandLine,
  externalSocketLauncher,
  type CommandLine,
  type DefaultLauncherOptions,
  type ExitInfo,
  type IsolationMode,
  type Launched,
  type Launcher,
  type LaunchSpec,
  type SpawnWrapper,
} from './launcher.js';
export { createWarmLauncher, type WarmLauncher, type WarmLauncherOptions } from './warm-launcher.js';
export {
  Supervisor,
  DEFAULT_CANCEL_GRACE_MS,
  type RecentCall,
  type RestartPolicy,
  type SupervisorEvents,
  type SupervisorOptions,
  type SupervisorState,
} from './supervisor.js';
