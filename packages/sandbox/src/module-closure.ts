import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

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
export function moduleClosure(entries: readonly string[]): ModuleClosure {
  const paths = new Set<string>();
  const links = new Map<string, string>();
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const entry of entries) {
    if (!existsSync(entry)) continue;
    const real = realpathSync(entry);
    const root = packageRoot(statSync(real).isDirectory() ? real : dirname(real));
    paths.add(root ?? (statSync(real).isDirectory() ? real : dirname(real)));
    if (root) queue.push(root);
  }
  while (queue.length > 0 && seen.size < MAX_PACKAGES) {
    const root = queue.shift()!;
    if (seen.has(root)) continue;
    seen.add(root);
    paths.add(root);
    for (const name of dependencyNames(root)) {
      const found = findDependency(root, name);
      if (!found) continue; // optional or peer dependency not installed
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

/** Node's lookup: `<dir>/node_modules/<name>` for `dir` = the package root and each ancestor. */
function findDependency(root: string, name: string): { link: string; real: string } | undefined {
  let dir = root;
  for (;;) {
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
