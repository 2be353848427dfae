export { ExtensionHost, type ExtensionHostOptions, type ExtensionInfo, type Provider, type StageEvents, type StageInstance } from './host.js';
export { discoverExtensions, extensionFromManifest, loadExtension, type DiscoveredExtension, type DiscoveryResult, type ExtensionDirectory, type ExtensionSource, type InMemoryExtension } from './discover.js';
export { resolveDependencies, type Resolvable } from './resolve.js';
export { createStagePlugin, stagePlugin, type StageService } from './stage-plugin.js';
export { callPooled, criticalPathOrder, stageInstrumentSpec, type LeasingPool, type PooledCallOptions, type StageInstrumentOptions, type StageInstrumentSpec } from './instrument-pool.js';
