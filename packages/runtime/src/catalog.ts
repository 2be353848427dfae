import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultHome } from '@symphony/config/home';
import type { ExtensionCatalogEntry } from '@symphony/conductor';

/**
 * The extensions `createSymphony` with the same options would load (built-ins, `extensions`
 * folders, `<home>/extensions`), read from their manifests without opening the store or starting
 * anything: for validating a workflow's `uses:` before a run, or even a home, exists.
 */
export async function installedExtensions(options: { home?: string; extensions?: readonly string[]; builtins?: boolean } = {}): Promise<ExtensionCatalogEntry[]> {
  const home = defaultHome(options.home === undefined ? {} : { flag: options.home });
  // Imported here, not at the top: `@symphony/runtime` stays light for store-only use.
  const [{ loadManifest }, builtins] = await Promise.all([
    import('@symphony/manifest'),
    options.builtins === false ? [] : Promise.all([import('@symphony/stage-operators'), import('@symphony/stage-instruments')]).then(([o, i]) => [o.BUILTIN_OPERATORS_DIR, i.BUILTIN_INSTRUMENTS_DIR]),
  ]);
  const dirs = [
    ...builtins,
    ...(options.extensions ?? []).map((d) => resolve(d)),
    join(home, 'extensions'),
  ];
  const out: ExtensionCatalogEntry[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
      try {
        const { manifest } = await loadManifest(join(dir, entry.name));
        const inputs: Record<string, unknown> = {};
        for (const [method, spec] of Object.entries(manifest.contributes.methods)) if (spec.input) inputs[method] = spec.input;
        out.push({ id: manifest.id, methods: Object.keys(manifest.contributes.methods), capabilities: manifest.contributes.capabilities.map((c) => c.name), inputs });
      } catch {
        // Not an extension folder; the stage reports real problems when it loads the folder.
      }
    }
  }
  return out;
}
