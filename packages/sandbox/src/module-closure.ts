import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { SymphonyError } from '@symphony/types';
import validateName from 'validate-npm-package-name';

/** Bound on the walk: a dependency tree larger than this is not an extension runtime. */
const MAX_PACKAGES = 2000;

export interface ModuleClosure {
  /** Real directories holding the code: package roots, minimal (no path below another). */
  roots: string[];
  /** The `node_modules/<name>` symlinks Node's resolver walks through that lie outside `roots`
   * (pnpm's layout), to be recreated in a mount namespace. */
  links: Array<{ link: string; target: string }>;
  packages: number;
}

/**
 * The code an entry file can load: its package, and (transitively) every dependency as Node's
 * resolver would find it, walking up `node_modules` from the *real* path as Node does. The real
 * directories and the links leading to them are listed, so a mount namespace or Node's
 * `--allow-fs-read` that shows only these still lets the code load, and nothing else.
 */
export interface ModuleClosureOptions {
  /**
   * Package folders holding third-party code (an installed extension). Their `package.json` is
   * not a fact until checked: every dependency name must be a valid npm package name, and it is
   * looked up only under that package's own `node_modules`, its real path inside it; anything
   * else throws `E_DEPENDENCY_INVALID` rather than reaching a mount or a permission flag.
   */
  confined?: readonly string[];
}

export function moduleClosure(entries: readonly string[], options: ModuleClosureOptions = {}): ModuleClosure {
  const paths = new Set<string>();
  const links = new Map<string, string>();
  const seen = new Set<string>();
  const queue: string[] = [];
  /** package root → the `node_modules` folder its dependencies must stay in (confined ones only). */
  const fence = new Map<string, string>();
  const confined = (options.confined ?? []).filter((dir) => existsSync(dir)).map((dir) => realpathSync(dir));
  for (const entry of entries) {
    if (!existsSync(entry)) continue;
    const real = realpathSync(entry);
    const root = packageRoot(statSync(real).isDirectory() ? real : dirname(real));
    paths.add(root ?? (statSync(real).isDirectory() ? real : dirname(real)));
    if (root) queue.push(root);
  }
  for (const dir of confined) fence.set(dir, join(dir, 'node_modules'));
  while (queue.length > 0 && seen.size < MAX_PACKAGES) {
    const root = queue.shift()!;
    if (seen.has(root)) continue;
    seen.add(root);
    paths.add(root);
    const limit = fence.get(root) ?? confined.find((dir) => root === dir || root.startsWith(dir + sep));
    const boundary = limit === undefined ? undefined : limit.endsWith(`${sep}node_modules`) ? limit : join(limit, 'node_modules');
    for (const name of dependencyNames(root)) {
      if (!isPackageName(name)) {
        throw new SymphonyError('E_DEPENDENCY_INVALID', `${join(root, 'package.json')} names the dependency ${JSON.stringify(name)}, which is not a valid npm package name; refusing to build a sandbox from it.`, {
          details: { path: join(root, 'package.json'), dependency: name },
        });
      }
      const found = findDependency(root, name, boundary);
      if (!found) continue; // optional or peer dependency not installed
      if (boundary !== undefined && !found.real.startsWith(boundary + sep)) {
        throw new SymphonyError('E_DEPENDENCY_INVALID', `the dependency ${name} of ${root} resolves to ${found.real}, outside ${boundary}; an installed extension's dependencies must lie in its own node_modules.`, {
          details: { path: found.real, dependency: name, boundary },
        });
      }
      if (boundary !== undefined) fence.set(found.real, boundary);
      if (found.link !== found.real) links.set(found.link, found.real);
      paths.add(found.real);
      if (!seen.has(found.real)) queue.push(found.real);
    }
  }
  const roots = minimalCover([...paths]);
  const outside = [...links].filter(([link]) => !roots.some((root) => link.startsWith(root + sep)));
  return { roots, links: outside.map(([link, target]) => ({ link, target })), packages: seen.size };
}

function packageRoot(start: string): string | undefined {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function dependencyNames(root: string): string[] {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    return [...new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})])];
  } catch {
    return [];
  }
}

/** A name npm itself would accept for a new or an existing package (no `..`, no slashes but a scope's). */
export function isPackageName(name: string): boolean {
  const result = validateName(name);
  return (result.validForNewPackages || result.validForOldPackages) && !name.includes('..') && !name.includes('\\');
}

/**
 * Node's lookup: `<dir>/node_modules/<name>` for `dir` = the package root and each ancestor;
 * with a `boundary` (a confined package's `node_modules`), no ancestor above it is searched.
 */
function findDependency(root: string, name: string, boundary?: string): { link: string; real: string } | undefined {
  let dir = root;
  const stop = boundary === undefined ? undefined : dirname(boundary);
  for (;;) {
    if (stop !== undefined && dir !== stop && !dir.startsWith(stop + sep)) return undefined;
    if (!dir.endsWith(`${sep}node_modules`)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(candidate)) return { link: candidate, real: realpathSync(candidate) };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Drops paths already covered by an ancestor in the list. */
function minimalCover(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const path of sorted) {
    if (!kept.some((k) => path === k || path.startsWith(k + sep))) kept.push(path);
  }
  return kept;
}
