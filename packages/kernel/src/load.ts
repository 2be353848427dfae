import { SymphonyError } from '@symphony/types/core';
import type { AnyPlugin } from './plugin.js';

const defaultImporter = (specifier: string): Promise<unknown> => import(specifier);

/**
 * Loads plugins named in config. A module may export the plugin (or an array of plugins) as
 * `default`, or as a named `plugin` / `plugins` export.
 */
export async function loadPlugins(
  specifiers: readonly string[],
  importer: (specifier: string) => Promise<unknown> = defaultImporter,
): Promise<AnyPlugin[]> {
  const loaded: AnyPlugin[] = [];
  for (const specifier of specifiers) {
    let mod: Record<string, unknown>;
    try {
      mod = (await importer(specifier)) as Record<string, unknown>;
    } catch (cause) {
      throw new SymphonyError('E_PLUGIN_LOAD', `could not import plugin package "${specifier}": ${(cause as Error).message}`, {
        details: { specifier },
        cause,
      });
    }
    const found = mod.default ?? mod.plugin ?? mod.plugins;
    const list = (Array.isArray(found) ? found : [found]).filter(isPlugin);
    if (list.length === 0) {
      throw new SymphonyError('E_PLUGIN_LOAD', `"${specifier}" exports no plugin (expected a default, \`plugin\` or \`plugins\` export)`, {
        details: { specifier, exports: Object.keys(mod) },
      });
    }
    loaded.push(...list);
  }
  return loaded;
}

function isPlugin(value: unknown): value is AnyPlugin {
  const p = value as AnyPlugin | undefined;
  return !!p && typeof p === 'object' && typeof p.name === 'string' && typeof p.version === 'string' && typeof p.setup === 'function';
}
