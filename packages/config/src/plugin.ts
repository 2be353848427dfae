import { dirname } from 'node:path';
// Types only: this package sits below the kernel (DESIGN.md layers), so the plugin is a plain
// object rather than a `definePlugin(...)` call, which would import the kernel at run time.
import type { Plugin } from '@symphony/kernel';
import { SymphonyError, type SymphonyErrorJSON } from '@symphony/types';
import type { SymphonyConfig } from './schema.js';
import { watchConfig, type ConfigWatcher } from './watch.js';

export type ConfigService = ConfigWatcher;

declare module '@symphony/kernel' {
  interface Services {
    config: ConfigService;
  }
}

declare module '@symphony/types' {
  interface SymphonyEvents {
    /** The config file changed and the new config validated. */
    'config:change': [{ config: SymphonyConfig; previous: SymphonyConfig }];
    /** The config file changed but failed to parse or validate; the last good config stays. */
    'config:error': [{ error: SymphonyErrorJSON }];
  }
}

/**
 * Offers the `config` service: a watcher on the file the kernel's config came from
 * (`config.configFile`, as `loadConfig` sets it; else `pluginOptions.config.{cwd,file}`).
 * Changes are announced on the kernel's event bus as `config:change`; a rejected edit as
 * `config:error` (and a warning), and the plugin reports `degraded` until the file is fixed.
 */
export const configPlugin: Plugin<ConfigService> = {
  name: 'config',
  version: '0.1.0',
  async setup(ctx) {
    const { cwd, file } = ctx.options;
    if ((cwd !== undefined && typeof cwd !== 'string') || (file !== undefined && typeof file !== 'string')) {
      throw new SymphonyError('E_CONFIG_INVALID', 'pluginOptions.config.cwd and .file must be paths (strings)', { details: { plugin: 'config' } });
    }
    const configFile = typeof ctx.config.configFile === 'string' ? ctx.config.configFile : file;
    const watcher = await watchConfig({
      cwd: cwd ?? (typeof ctx.config.configFile === 'string' ? dirname(ctx.config.configFile) : process.cwd()),
      ...(configFile ? { file: configFile } : {}),
    });
    watcher.on('change', (config, previous) => ctx.events.emit('config:change', { config, previous }));
    watcher.on('error', (error) => {
      ctx.logger.warn({ err: error }, 'config edit rejected; the last good config stays in force');
      ctx.events.emit('config:error', { error: error.toJSON() });
    });
    return watcher;
  },
  stop(watcher) {
    watcher.close();
  },
  health(watcher) {
    return watcher.lastError ? { status: 'degraded', detail: watcher.lastError.message } : 'ok';
  },
};
