import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILES, parseManifest, type ExtensionManifest } from '@symphony/manifest';
import { SymphonyError } from '@symphony/types';

export { MANIFEST_FILES };
export type PackageManifest = ExtensionManifest;

/** The manifest file in an extension folder (`symphony.extension.json` or `.toml`). */
export async function findManifestFile(dir: string): Promise<{ name: string; path: string }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new SymphonyError('E_NOT_FOUND', `no extension folder at ${dir}`, { details: { path: dir }, cause });
  }
  const name = MANIFEST_FILES.find((candidate) => names.includes(candidate));
  if (!name) {
    throw new SymphonyError('E_MANIFEST_NOT_FOUND', `no extension manifest in ${dir} (expected one of ${MANIFEST_FILES.join(', ')})`, {
      details: { path: dir },
    });
  }
  return { name, path: join(dir, name) };
}

/** Validates with @symphony/manifest: every problem is listed, with its path (`E_MANIFEST_INVALID`). */
export function parseManifestText(name: string, text: string): PackageManifest {
  return parseManifest(text, name.endsWith('.toml') ? 'toml' : 'json', name);
}
