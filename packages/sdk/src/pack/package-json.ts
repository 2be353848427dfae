import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SymphonyError } from '@symphony/types';
import type { PackageManifest } from './manifest-file.js';
import { summarizePermissions } from './permissions.js';

/**
 * What an npm-protocol registry shows of a Symphony package before anything is downloaded: the
 * packed package.json carries it as `symphony`, derived from the manifest (never written by hand),
 * so a resolver can pick versions and dependencies from the registry's metadata alone. The
 * installer checks it against the signed manifest after download.
 */
export interface NpmSymphonyField {
  id: string;
  kind: string;
  dependencies: Record<string, string>;
  engines: { symphony?: string };
  permissions: string[];
  /** The signing key's id: which trusted publisher a version claims, before the tarball is fetched. */
  keyId: string;
}

/**
 * The package.json that goes into the tarball, as bytes, or `undefined` when the folder has none.
 * A package.json whose `version` differs from the manifest's is refused (`E_MANIFEST_MISMATCH`):
 * npm and Symphony would disagree about which version this is. So is a `name` other than the id.
 */
export async function packedPackageJson(dir: string, manifest: PackageManifest, keyId: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'package.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new SymphonyError('E_MANIFEST_INVALID', `${join(dir, 'package.json')} is not valid JSON`, { details: { path: join(dir, 'package.json') }, cause });
  }
  if (pkg === null || typeof pkg !== 'object' || Array.isArray(pkg)) {
    throw new SymphonyError('E_MANIFEST_INVALID', `${join(dir, 'package.json')} is not a JSON object`, { details: { path: join(dir, 'package.json') } });
  }
  if (pkg.version !== undefined && pkg.version !== manifest.version) {
    throw new SymphonyError('E_MANIFEST_MISMATCH', `package.json says version ${String(pkg.version)} but symphony.extension.json says ${manifest.version}; make them equal`, {
      details: { path: join(dir, 'package.json'), packageJson: pkg.version, manifest: manifest.version },
    });
  }
  // npm-protocol registries find an extension by its id as the package name (and skip versions whose
  // `symphony.id` is another): a package.json named otherwise packs and publishes, then never installs.
  if (pkg.name !== undefined && pkg.name !== manifest.id) {
    throw new SymphonyError('E_MANIFEST_MISMATCH', `package.json is named ${JSON.stringify(pkg.name)} but symphony.extension.json's id is ${manifest.id}; make them equal (npm registries find an extension by its id)`, {
      details: { path: join(dir, 'package.json'), packageJson: pkg.name, manifest: manifest.id },
    });
  }
  const symphony: NpmSymphonyField = {
    id: manifest.id,
    kind: manifest.kind,
    dependencies: { ...(manifest.dependencies ?? {}) },
    engines: { ...(manifest.engines?.symphony ? { symphony: manifest.engines.symphony } : {}) },
    permissions: summarizePermissions(manifest.permissions),
    keyId,
  };
  return Buffer.from(`${JSON.stringify({ ...pkg, symphony }, null, 2)}\n`);
}
