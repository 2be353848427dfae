import { spawn } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Helpers for tests that drive the real command-line programs in child processes.
const require = createRequire(import.meta.url);
const pkgDir = (name: string, from = require) => dirname(from.resolve(`${name}/package.json`));
const sdkDir = pkgDir('@symphony/sdk');
const repoRoot = join(sdkDir, '..', '..');
export const bins = {
  sdk: join(sdkDir, 'dist', 'cli', 'bin.js'),
  registry: join(pkgDir('@symphony/registry'), 'dist', 'bin.js'),
  marketplace: join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'bin.js'),
};

export function run(bin: string, args: string[], cwd: string, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (stdin !== undefined) child.stdin?.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What `npm install` would do in the new project, from this workspace (the machine has no registry for @symphony/*). */
export async function linkDependencies(project: string): Promise<void> {
  const nm = join(project, 'node_modules');
  await mkdir(join(nm, '@symphony'), { recursive: true });
  await mkdir(join(nm, '.bin'), { recursive: true });
  for (const name of ['sdk', 'vdom', 'extension-loader', 'kernel', 'sandbox']) await symlink(join(repoRoot, 'packages', name), join(nm, '@symphony', name), 'dir');
  const fromSdk = createRequire(join(sdkDir, 'package.json'));
  const fromRoot = createRequire(join(repoRoot, 'package.json'));
  await symlink(pkgDir('zod', fromSdk), join(nm, 'zod'), 'dir');
  await symlink(pkgDir('tsup', fromRoot), join(nm, 'tsup'), 'dir');
  await symlink(pkgDir('typescript', fromRoot), join(nm, 'typescript'), 'dir');
  await symlink(join('..', 'tsup', 'dist', 'cli-default.js'), join(nm, '.bin', 'tsup'));
}

