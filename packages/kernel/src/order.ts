import { SymphonyError } from '@symphony/types/core';
import type { AnyPlugin } from './plugin.js';
import { satisfies } from './semver.js';

/**
 * Orders plugins so each comes after everything it depends on. Among plugins that are ready at
 * the same time, registration order wins: the result is deterministic.
 */
export function orderPlugins(plugins: readonly AnyPlugin[]): AnyPlugin[] {
  const byName = new Map<string, AnyPlugin>();
  for (const plugin of plugins) {
    if (byName.has(plugin.name)) {
      throw new SymphonyError('E_PLUGIN_DUPLICATE', `two plugins are named "${plugin.name}"`, { details: { plugin: plugin.name } });
    }
    byName.set(plugin.name, plugin);
  }
  for (const plugin of plugins) checkDependencies(plugin, byName);

  const done = new Set<string>();
  const visiting: string[] = [];
  const ordered: AnyPlugin[] = [];
  const visit = (plugin: AnyPlugin): void => {
    if (done.has(plugin.name)) return;
    const at = visiting.indexOf(plugin.name);
    if (at >= 0) {
      const cycle = [...visiting.slice(at), plugin.name];
      throw new SymphonyError('E_PLUGIN_CYCLE', `plugins depend on each other in a cycle: ${cycle.join(' -> ')}`, {
        details: { cycle },
      });
    }
    visiting.push(plugin.name);
    for (const dep of dependenciesOf(plugin)) visit(byName.get(dep) as AnyPlugin);
    visiting.pop();
    done.add(plugin.name);
    ordered.push(plugin);
  };
  for (const plugin of plugins) visit(plugin);
  return ordered;
}

function checkDependencies(plugin: AnyPlugin, byName: Map<string, AnyPlugin>): void {
  for (const dep of plugin.dependsOn ?? []) {
    if (!byName.has(dep)) {
      throw new SymphonyError('E_PLUGIN_MISSING', `plugin "${plugin.name}" depends on "${dep}", which is not registered`, {
        details: { plugin: plugin.name, missing: dep, registered: [...byName.keys()] },
      });
    }
  }
  for (const [dep, range] of Object.entries(plugin.requires ?? {})) {
    const target = byName.get(dep);
    if (!target) {
      throw new SymphonyError('E_PLUGIN_MISSING', `plugin "${plugin.name}" requires "${dep}@${range}", which is not registered`, {
        details: { plugin: plugin.name, missing: dep, range },
      });
    }
    let ok: boolean;
    try {
      ok = satisfies(target.version, range);
    } catch (cause) {
      throw new SymphonyError('E_PLUGIN_VERSION', `plugin "${plugin.name}": ${(cause as Error).message}`, {
        details: { plugin: plugin.name, dependency: dep, range, version: target.version },
        cause,
      });
    }
    if (!ok) {
      throw new SymphonyError(
        'E_PLUGIN_VERSION',
        `plugin "${plugin.name}" requires "${dep}@${range}" but version ${target.version} is registered`,
        { details: { plugin: plugin.name, dependency: dep, range, version: target.version } },
      );
    }
  }
}

/** `dependsOn` plus the names in `requires`: a required plugin must come first too. */
export function dependenciesOf(plugin: AnyPlugin): string[] {
  const deps = [...(plugin.dependsOn ?? [])];
  for (const name of Object.keys(plugin.requires ?? {})) if (!deps.includes(name)) deps.push(name);
  return deps;
}
