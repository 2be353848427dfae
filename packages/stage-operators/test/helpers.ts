import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPermissionSet, createPolicy } from '@symphony/sandbox';
import { policyGuard, type PathGuard } from '../src/index.js';

export function tempDir(prefix = 'symphony-ops-'): { dir: string; cleanup: () => void } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A guard for `<root>/ws` with read+write there, as the built-in manifests ask. */
export function workspaceGuard(root: string, writable = true): PathGuard {
  const workspace = join(root, 'ws');
  mkdirSync(workspace, { recursive: true });
  const vars = { workspace, extension: join(root, 'ext'), tmp: join(root, 'tmp') };
  const policy = createPolicy({ manifest: createPermissionSet({ fs: { read: ['${workspace}'], write: writable ? ['${workspace}'] : [] } }, vars), cwd: workspace });
  return policyGuard(policy, workspace, { id: 'symphony.test', version: '0.0.0' });
}

/** A real repository: two commits on main, one on a `feature` branch, checked out back on main. */
export function makeRepo(dir: string): { hashes: string[] } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com' } }).trim();
  mkdirSync(dir, { recursive: true });
  git('init', '-q', '-b', 'main');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(dir, 'README.md'), '# demo\n');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 2;\nexport const b = 3;\n');
  writeFileSync(join(dir, 'src', 'b.ts'), 'export const c = 4;\n');
  git('add', '.');
  git('commit', '-q', '-m', 'second: touch a, add b');
  git('checkout', '-q', '-b', 'feature');
  writeFileSync(join(dir, 'src', 'b.ts'), 'export const c = 5;\n');
  git('commit', '-q', '-am', 'feature work');
  git('checkout', '-q', 'main');
  return { hashes: git('rev-list', '--all').split('\n') };
}
