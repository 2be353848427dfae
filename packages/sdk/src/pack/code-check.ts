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
 * export a definition, or fails to load (nothing to compare). Disagreement is `E_MANIFEST_MISMATCH`, every line named.
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
  } catch {
    // Code that cannot load here (it needs its host, or is broken) has nothing to compare; the
    // install-time start check and the author's tests are where a broken entry is caught.
    return undefined;
  }
  const definition = mod.default;
  // A branded object without a manifest (hand-made, not from define*()) has nothing to compare.
  if (!isExtensionDefinition(definition) || typeof definition.manifest !== 'object' || definition.manifest === null || typeof definition.methods !== 'object') return undefined;
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
