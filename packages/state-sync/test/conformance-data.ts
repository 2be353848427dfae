import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Where the public conformance suites are: `../shared/conformance-data` beside the repository
 * (`SYMPHONY_CONFORMANCE_DATA` overrides it). In a git worktree, "the repository" is the main
 * checkout the worktree belongs to. Undefined when absent (a user's clone): tests then skip.
 */
export function conformanceDataDir(): string | undefined {
  const candidates = [process.env.SYMPHONY_CONFORMANCE_DATA, resolve(repoRoot, '../shared/conformance-data')];
  const dotGit = resolve(repoRoot, '.git');
  if (existsSync(dotGit) && statSync(dotGit).isFile()) {
    // A worktree's `.git` file: `gitdir: <main>/.git/worktrees/<name>`.
    const gitdir = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    if (gitdir) candidates.push(resolve(gitdir, '../../../../shared/conformance-data'));
  }
  return candidates.find((dir): dir is string => !!dir && existsSync(dir));
}
