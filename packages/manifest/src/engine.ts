import semver from 'semver';
import { SymphonyError } from '@symphony/types';
import type { ExtensionManifest } from './schema.js';

/** True when `symphonyVersion` satisfies the manifest's `engines.symphony` range (prereleases included). */
export function satisfiesEngine(manifest: Pick<ExtensionManifest, 'engines'>, symphonyVersion: string): boolean {
  return semver.satisfies(symphonyVersion, manifest.engines.symphony, { includePrerelease: true });
}

/** Throws `E_MANIFEST_ENGINE` naming the extension and both versions when the range is not met. */
export function checkEngine(manifest: Pick<ExtensionManifest, 'id' | 'engines'>, symphonyVersion: string): void {
  if (satisfiesEngine(manifest, symphonyVersion)) return;
  throw new SymphonyError(
    'E_MANIFEST_ENGINE',
    `extension "${manifest.id}" needs Symphony ${manifest.engines.symphony}, but this is ${symphonyVersion}`,
    { details: { id: manifest.id, range: manifest.engines.symphony, version: symphonyVersion } },
  );
}
