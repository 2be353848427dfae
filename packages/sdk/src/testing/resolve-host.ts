import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SymphonyError } from '@symphony/types';

/**
 * The SDK sits below the extension loader (which depends on the SDK for its runtime entry), so
 * it cannot import the host. The test harness and `dev` load the host packages the way a test
 * runner loads its plugins: from the extension project's own dependencies (`devDependencies`
 * of a project made by `symphony-sdk create`), falling back to wherever this SDK is installed.
 */
export async function importHostPackage<T>(name: string, from: readonly string[]): Promise<T> {
  const tried: string[] = [];
  for (const base of from) {
    let pkgJson: string;
    try {
      pkgJson = createRequire(join(base, 'noop.js')).resolve(`${name}/package.json`);
    } catch {
      tried.push(base);
      continue;
    }
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports?: Record<string, unknown>; module?: string; main?: string };
    const entry = esmEntry(pkg) ?? 'index.js';
    return (await import(pathToFileURL(join(dirname(pkgJson), entry)).href)) as T;
  }
  throw new SymphonyError('E_HOST_PACKAGE_MISSING', `${name} is not installed where the extension can see it (looked from ${tried.join(', ')}); add it to the project's devDependencies`, {
    details: { package: name, searched: tried },
  });
}

function esmEntry(pkg: { exports?: Record<string, unknown>; module?: string; main?: string }): string | undefined {
  const root = pkg.exports?.['.'];
  if (typeof root === 'string') return root;
  const importCondition = (root as Record<string, unknown> | undefined)?.import;
  if (typeof importCondition === 'string') return importCondition;
  const importDefault = (importCondition as Record<string, unknown> | undefined)?.default;
  if (typeof importDefault === 'string') return importDefault;
  return pkg.module ?? pkg.main;
}
