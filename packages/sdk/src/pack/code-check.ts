import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SymphonyError } from '@symphony/types';
import { isExtensionDefinition, manifestDrift, type ExtensionDefinition } from '../runtime/define.js';
import type { PackageManifest } from './manifest-file.js';

/**
 * Imports the built entry (`main`) of an extension folder and compares its definition with the
 * manifest file: the id and version must match, every declared method must exist, and declared
 * JSON Schemas must agree with the zod ones. Returns the definition's manifest (with the
 * zod-derived schemas of every method), or `undefined` when there is no built entry or it does not
 * export a definition (nothing to compare). Disagreement is `E_MANIFEST_MISMATCH`, every line named.
 */
export async function checkManifestAgainstCode(dir: string, manifest: PackageManifest): Promise<PackageManifest | undefined> {
  if (!manifest.main) return undefined;
  const entry = resolve(dir, manifest.main);
  if (!entry.startsWith(resolve(dir))) return undefined;
  try {
    await access(entry);
  } catch {
    return undefined;
  }
  let mod: { default?: unknown };
  try {
    // A fresh URL each time, so a rebuilt entry is read again in a long-lived process.
    mod = (await import(`${pathToFileURL(entry).href}?check=${Date.now()}`)) as { default?: unknown };
  } catch (cause) {
    throw new SymphonyError('E_MANIFEST_MISMATCH', `cannot load ${join(dir, manifest.main)} to compare it with the manifest: ${(cause as Error).message}`, {
      details: { path: entry },
      cause,
    });
  }
  const definition = mod.default;
  if (!isExtensionDefinition(definition)) return undefined;
  const lines = driftOf(manifest, definition);
  if (lines.length > 0) {
    throw new SymphonyError('E_MANIFEST_MISMATCH', `the manifest and the code of ${manifest.id} disagree:\n  ${lines.join('\n  ')}`, {
      details: { id: manifest.id, problems: lines },
    });
  }
  return definition.manifest;
}

function driftOf(manifest: PackageManifest, definition: ExtensionDefinition): string[] {
  const out: string[] = [];
  if (definition.manifest.id !== manifest.id) out.push(`the code defines ${definition.manifest.id}, the manifest file ${manifest.id}`);
  if (definition.manifest.version !== manifest.version) out.push(`the code's manifest is version ${definition.manifest.version}, the manifest file ${manifest.version}`);
  out.push(...manifestDrift(manifest, definition));
  return out;
}
