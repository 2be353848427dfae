export {
  createLogger,
  createLazyLogger,
  pluginLogger,
  extensionLogger,
  flushLogger,
  closeLogger,
  LOG_LEVELS,
  type LogLevel,
  type LoggingOptions,
  type FileExporterOptions,
  type SymphonyLogger,
} from './logger.js';
