export {
  SymphonyConfigSchema,
  LOG_LEVELS,
  CONDUCTOR_POLICIES,
  type SymphonyConfig,
  type SymphonyConfigInput,
  type LogLevel,
  type ConductorPolicy,
} from './schema.js';
export {
  loadConfig,
  validateConfig,
  parseConfig,
  findConfigFile,
  configJsonSchema,
  CONFIG_FILES,
  type ConfigFormat,
  type Env,
  type LoadConfigOptions,
  type ValidateConfigOptions,
} from './load.js';
export { ENV_OVERRIDES, CONFIG_FILE_ENV } from './env.js';
export { watchConfig, type ConfigWatcher, type WatchConfigOptions } from './watch.js';
export { configPlugin, configPlugin as plugin, type ConfigService } from './plugin.js';
export { defaultHome } from './home.js';
