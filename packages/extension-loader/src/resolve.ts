import { satisfies } from '@symphony/kernel';
import type { ExtensionManifest } from '@symphony/manifest';
import { SymphonyError } from '@symphony/types';

/** The kernel's range semantics (npm's semver, pre-releases included); unreadable never fits. */
function fits(version: string, range: string): boolean {
  try {
    return satisfies(version, range);
  } catch {
    return false;
  }
}

export interface Resolvable {
  manifest: Pick<ExtensionManifest, 'id' | 'version' | 'dependencies' | 'engines'>;
}

/**
 * Orders extensions so each comes after its dependencies, checking every dependency's range and
 * every `engines.symphony`. A missing dependency is `E_DEPENDENCY_MISSING`, a version outside
 * the range `E_DEPENDENCY_CONFLICT`, two extensions with one id `E_EXTENSION_DUPLICATE`, a cycle
 * `E_CYCLE`, an engine mismatch `E_MANIFEST_ENGINE`; each names the packages involved.
 */
export function resolveDependencies<T extends Resolvable>(extensions: readonly T[], symphonyVersion?: string): T[] {
  const byId = new Map<string, T>();
  for (const ext of extensions) {
    const { id, version } = ext.manifest;
    const other = byId.get(id);
    if (other) {
      throw new SymphonyError('E_EXTENSION_DUPLICATE', `extension "${id}" is installed twice (${other.manifest.version} and ${version})`, {
        details: { id, versions: [other.manifest.version, version] },
      });
    }
    byId.set(id, ext);
  }
  for (const ext of extensions) {
    const { id, version, engines, dependencies } = ext.manifest;
    if (symphonyVersion && !fits(symphonyVersion, engines.symphony)) {
      throw new SymphonyError('E_MANIFEST_ENGINE', `extension "${id}@${version}" needs Symphony ${engines.symphony}, but this is ${symphonyVersion}`, {
        details: { id, range: engines.symphony, version: symphonyVersion },
      });
    }
    for (const [dep, range] of Object.entries(dependencies)) {
      const target = byId.get(dep);
      if (!target) {
        throw new SymphonyError('E_DEPENDENCY_MISSING', `extension "${id}@${version}" depends on "${dep}@${range}", which is not installed`, {
          details: { id, dependency: dep, range },
        });
      }
      if (!fits(target.manifest.version, range)) {
        throw new SymphonyError(
          'E_DEPENDENCY_CONFLICT',
          `extension "${id}@${version}" needs "${dep}@${range}", but "${dep}@${target.manifest.version}" is installed`,
          { details: { id, dependency: dep, range, installed: target.manifest.version } },
        );
      }
    }
  }

  const ordered: T[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (ext: T): void => {
    const { id } = ext.manifest;
    if (done.has(id)) return;
    const at = path.indexOf(id);
    if (at >= 0) {
      const cycle = [...path.slice(at), id];
      throw new SymphonyError('E_CYCLE', `extensions depend on each other in a cycle: ${cycle.join(' -> ')}`, { details: { cycle } });
    }
    path.push(id);
    for (const dep of Object.keys(ext.manifest.dependencies).sort()) visit(byId.get(dep)!);
    path.pop();
    done.add(id);
    ordered.push(ext);
  };
  for (const ext of [...extensions].sort((a, b) => a.manifest.id.localeCompare(b.manifest.id))) visit(ext);
  return ordered;
}
