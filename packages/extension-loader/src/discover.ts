import { readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { MANIFEST_FILES, loadManifest, validateManifest, type ExtensionManifest } from '@symphony/manifest';
import { SymphonyError, toSymphonyError } from '@symphony/types';
import type { IsolationMode } from '@symphony/ipc-bus';

/** Where an extension was found, which decides its default isolation. */
export type ExtensionSource = 'directory' | 'node_modules' | 'registered';

export interface DiscoveredExtension {
  manifest: ExtensionManifest;
  /** The extension's folder (`${extension}`; `main` is relative to it). */
  dir: string;
  /** Absolute path of the entry module. */
  main: string;
  source: ExtensionSource;
  /** Set when the folder was configured with a mode; otherwise the host decides. */
  mode?: IsolationMode;
}

export interface ExtensionDirectory {
  path: string;
  /** Isolation for every extension under it (default: the host's rule, `process` for third parties). */
  mode?: IsolationMode;
}

export interface DiscoveryResult {
  extensions: DiscoveredExtension[];
  /** Folders whose manifest did not load or validate; discovery carries on without them. */
  problems: SymphonyError[];
}

/**
 * Finds extensions: every configured directory that holds a manifest, or whose direct children
 * do, and every package in `<root>/node_modules` (scoped ones included) that ships a manifest.
 */
export async function discoverExtensions(options: { dirs?: ReadonlyArray<string | ExtensionDirectory>; nodeModules?: readonly string[] }): Promise<DiscoveryResult> {
  const result: DiscoveryResult = { extensions: [], problems: [] };
  for (const entry of options.dirs ?? []) {
    const dir = typeof entry === 'string' ? { path: entry } : entry;
    const root = resolve(dir.path);
    const candidates = (await hasManifest(root)) ? [root] : await children(root);
    for (const folder of candidates) await collect(folder, 'directory', dir.mode, result);
  }
  for (const base of options.nodeModules ?? []) {
    const modules = join(resolve(base), 'node_modules');
    for (const folder of await children(modules)) {
      const name = folder.slice(modules.length + 1);
      if (name.startsWith('@')) {
        for (const scoped of await children(folder)) await collect(scoped, 'node_modules', undefined, result);
      } else if (!name.startsWith('.')) {
        await collect(folder, 'node_modules', undefined, result);
      }
    }
  }
  return result;
}

/** Loads one extension folder (used by discovery, registration and hot reload). */
export async function loadExtension(dir: string, source: ExtensionSource, mode?: IsolationMode): Promise<DiscoveredExtension> {
  const loaded = await loadManifest(dir);
  const main = loaded.manifest.main ?? 'index.js';
  return {
    manifest: loaded.manifest,
    dir: loaded.dir,
    main: isAbsolute(main) ? main : join(loaded.dir, main),
    source,
    ...(mode ? { mode } : {}),
  };
}

/** An extension known from a manifest object rather than a manifest file. */
export interface InMemoryExtension {
  manifest: unknown;
  /** Absolute path of the module that default-exports the `define*` result. */
  main: string;
  /** `${extension}` and the working directory (default: the folder of `main`). */
  dir?: string;
}

/** An in-memory extension, validated like a manifest file. */
export function extensionFromManifest(source: InMemoryExtension, mode?: IsolationMode): DiscoveredExtension {
  const manifest = validateManifest(source.manifest, source.main);
  return { manifest, main: source.main, dir: source.dir ?? dirname(source.main), source: 'registered', ...(mode ? { mode } : {}) };
}

async function collect(folder: string, source: ExtensionSource, mode: IsolationMode | undefined, result: DiscoveryResult): Promise<void> {
  if (!(await hasManifest(folder))) return;
  try {
    result.extensions.push(await loadExtension(folder, source, mode));
  } catch (error) {
    const problem = toSymphonyError(error, 'E_MANIFEST_INVALID');
    problem.details.dir ??= folder;
    result.problems.push(problem);
  }
}

async function hasManifest(folder: string): Promise<boolean> {
  for (const name of MANIFEST_FILES) {
    if ((await stat(join(folder, name)).catch(() => undefined))?.isFile()) return true;
  }
  return false;
}

async function children(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => join(folder, e.name)).sort();
}
