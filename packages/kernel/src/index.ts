export { createKernel, type Kernel, type KernelConfig, type KernelHealth, type KernelOptions, type KernelState } from './kernel.js';
export {
  definePlugin,
  type AnyPlugin,
  type KernelEvents,
  type Plugin,
  type PluginContext,
  type PluginHealth,
  type ServiceLookup,
  type ServiceName,
  type Services,
} from './plugin.js';
export { orderPlugins } from './order.js';
export { loadPlugins } from './load.js';
export { satisfies, parseVersion, compareVersions, validRange, RANGE_OPTIONS, type RangeOptions } from './semver.js';
