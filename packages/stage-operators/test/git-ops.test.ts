import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRevision, gitBlame, gitCurrentBranch, gitDiff, gitLog, gitShow, gitStatus, type GitContext } from '../src/index.js';
import { makeRepo, tempDir, workspaceGuard } from './helpers.js';

let root: { dir: string; cleanup: () => void };
let ctx: GitContext;
let repo: string;

beforeAll(() => {
  root = tempDir('symphony-git-');
  const guard = workspaceGuard(root.dir, false);
  repo = join(guard.workspace, 'repo');
  makeRepo(repo);
  writeFileSync(join(repo, 'untracked.txt'), 'new');
  writeFileSync(join(repo, 'README.md'), '# demo, edited\n');
  ctx = { guard };
});
afterAll(() => root.cleanup());

describe('git_ops on a real repository', () => {
  it('log: newest first, with per-file numstat', async () => {
    const { commits } = await gitLog(ctx, { repo: 'repo', numstat: true });
    expect(commits.map((c) => c.subject)).toEqual(['second: touch a, add b', 'first']);
    expect(commits[0]).toMatchObject({ author: 'Ada', email: 'ada@example.com', hash: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(commits[0]!.files).toEqual([
      { path: 'src/a.ts', added: 2, deleted: 1 },
      { path: 'src/b.ts', added: 1, deleted: 0 },
    ]);
    expect((await gitLog(ctx, { repo: 'repo', ref: 'feature', maxCount: 1 })).commits[0]!.subject).toBe('feature work');
    expect((await gitLog(ctx, { repo: 'repo', ref: 'main..feature' })).commits).toHaveLength(1);
    expect((await gitLog(ctx, { repo: 'repo', paths: ['README.md'] })).commits.map((c) => c.subject)).toEqual(['first']);
  });

  it('status, current branch, diff, blame, show', async () => {
    const status = await gitStatus(ctx, { repo: 'repo' });
    expect(status.branch).toBe('main');
    expect(status.entries).toEqual(expect.arrayContaining([{ index: ' ', worktree: 'M', path: 'README.md' }, { index: '?', worktree: '?', path: 'untracked.txt' }]));
    expect(await gitCurrentBranch(ctx, { repo: 'repo' })).toMatchObject({ branch: 'main', detached: false, head: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect((await gitDiff(ctx, { repo: 'repo' })).diff).toContain('+# demo, edited');
    expect((await gitDiff(ctx, { repo: 'repo', from: 'main', to: 'feature', stat: true })).files).toEqual([{ path: 'src/b.ts', added: 1, deleted: 1 }]);
    const blame = await gitBlame(ctx, { repo: 'repo', path: 'src/a.ts' });
    expect(blame.lines.map((l) => [l.line, l.author, l.content])).toEqual([[1, 'Ada', 'export const a = 2;'], [2, 'Ada', 'export const b = 3;']]);
    expect((await gitShow(ctx, { repo: 'repo', ref: 'feature', path: 'src/b.ts' })).content).toBe('export const c = 5;\n');
    expect((await gitShow(ctx, { repo: 'repo', ref: 'HEAD~1' })).content).toContain('first');
  });

  it('refuses option-looking refs before git runs: --output=/tmp/x writes nothing', async () => {
    const target = join(root.dir, 'pwned.txt');
    for (const call of [
      () => gitLog(ctx, { repo: 'repo', ref: `--output=${target}` }),
      () => gitDiff(ctx, { repo: 'repo', from: `--output=${target}` }),
      () => gitShow(ctx, { repo: 'repo', ref: '-p' }),
      () => gitBlame(ctx, { repo: 'repo', path: 'src/a.ts', ref: '--contents=/etc/passwd' }),
      () => gitLog(ctx, { repo: 'repo', ref: 'main..--output=x' }),
      () => gitLog(ctx, { repo: 'repo', since: '--all' }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    }
    expect(existsSync(target)).toBe(false);
    // Option-looking paths are harmless after `--`: git looks for a file by that name.
    expect((await gitLog(ctx, { repo: 'repo', paths: [`--output=${target}`] })).commits).toEqual([]);
    expect(existsSync(target)).toBe(false);
  });

  it('accepts real revision syntax and rejects junk', () => {
    for (const ok of ['main', 'HEAD~3', 'HEAD^', 'a1b2c3d', 'main..feature', 'v1.0^{commit}', '@{upstream}', 'origin/main']) expect(checkRevision(ok)).toBe(ok);
    for (const bad of ['', '-x', '--all', 'a b', 'x;rm -rf /', '$(id)', 'a\nb']) expect(() => checkRevision(bad)).toThrow(/Refusing ref/);
  });

  it('a missing repository, an unknown revision and a repo outside the workspace are coded errors', async () => {
    await expect(gitLog(ctx, { repo: 'nope' })).rejects.toMatchObject({ code: 'E_GIT_FAILED' });
    await expect(gitLog(ctx, { repo: 'repo', ref: 'no-such-branch' })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(gitLog(ctx, { repo: '/' })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    const plain = join(root.dir, 'ws');
    await expect(gitStatus(ctx, { repo: plain })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});

/**
 * A workflow or a `run` token can write files in the workspace; git must never turn repository
 * files into code execution or reads outside the workspace. Each vector below ran `touch <marker>`
 * (or read outside) before; each must now be refused before git runs, with nothing executed.
 */
describe('git_ops refuses repository config that runs programs or leaves the workspace', () => {
  const marker = () => join(root.dir, 'pwned-marker');
  const clone = (name: string): string => {
    const dir = join(root.dir, 'ws', name);
    execFileSync('git', ['clone', '-q', repo, dir]);
    return dir;
  };
  const setConfig = (dir: string, key: string, value: string) => execFileSync('git', ['config', '--file', join(dir, '.git', 'config'), key, value]);

  const vectors: Array<[string, (dir: string) => void]> = [
    ['a clean filter (filter.pwn.clean + .gitattributes)', (dir) => {
      setConfig(dir, 'filter.pwn.clean', `sh -c 'touch ${marker()}'`);
      writeFileSync(join(dir, '.gitattributes'), '* filter=pwn\n');
      writeFileSync(join(dir, 'README.md'), 'changed\n');
    }],
    ['a smudge/process filter', (dir) => setConfig(dir, 'filter.pwn.process', `touch ${marker()}`)],
    ['core.fsmonitor', (dir) => setConfig(dir, 'core.fsmonitor', `touch ${marker()}`)],
    ['core.sshCommand', (dir) => setConfig(dir, 'core.sshCommand', `touch ${marker()}`)],
    ['core.hooksPath', (dir) => setConfig(dir, 'core.hooksPath', root.dir)],
    ['diff.external', (dir) => setConfig(dir, 'diff.external', `touch ${marker()}`)],
    ['a textconv driver', (dir) => setConfig(dir, 'diff.pwn.textconv', `touch ${marker()}`)],
    ['include.path to config outside', (dir) => setConfig(dir, 'include.path', join(root.dir, 'evil.gitconfig'))],
    ['core.worktree outside the workspace', (dir) => setConfig(dir, 'core.worktree', root.dir)],
  ];

  it.each(vectors)('%s: E_PERMISSION_DENIED (host:git-config), nothing ran', async (name, plant) => {
    const dir = clone(`cfg-${vectors.findIndex(([n]) => n === name)}`);
    plant(dir);
    for (const call of [() => gitStatus(ctx, { repo: dir }), () => gitDiff(ctx, { repo: dir }), () => gitLog(ctx, { repo: dir })]) {
      await expect(call()).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED', details: { rule: 'host:git-config' } });
    }
    expect(existsSync(marker())).toBe(false);
  });

  it('a .git file whose gitdir: points outside the workspace is refused (no reads outside)', async () => {
    const dir = join(root.dir, 'ws', 'redirected');
    mkdirSync(dir, { recursive: true });
    const outside = join(root.dir, 'outside-repo');
    execFileSync('git', ['clone', '-q', '--bare', repo, outside]);
    writeFileSync(join(dir, '.git'), `gitdir: ${outside}\n`);
    await expect(gitLog(ctx, { repo: dir })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED', details: { rule: 'host:gitdir-outside-workspace' } });
    writeFileSync(join(dir, '.git'), 'gitdir: ../../outside-repo\n');
    await expect(gitLog(ctx, { repo: dir })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED', details: { rule: 'host:gitdir-outside-workspace' } });
  });

  it('a real linked worktree of a repository outside the workspace works (the repository names it back)', async () => {
    const main = join(root.dir, 'main-repo');
    execFileSync('git', ['clone', '-q', repo, main]);
    const linked = join(root.dir, 'ws', 'linked');
    execFileSync('git', ['-C', main, 'worktree', 'add', '-q', linked, 'HEAD']);
    expect((await gitLog(ctx, { repo: linked, maxCount: 1 })).commits).toHaveLength(1);
    // Its main repository's config is checked too.
    execFileSync('git', ['config', '--file', join(main, '.git', 'config'), 'core.fsmonitor', `touch ${marker()}`]);
    await expect(gitStatus(ctx, { repo: linked })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED', details: { rule: 'host:git-config' } });
    expect(existsSync(marker())).toBe(false);
  });

  it('a folder without a repository inside the workspace never reaches a repository above it', async () => {
    // The temp root itself becomes a repository: git's own discovery would walk up into it.
    execFileSync('git', ['init', '-q', root.dir]);
    try {
      const plain = join(root.dir, 'ws', 'plain');
      mkdirSync(plain, { recursive: true });
      await expect(gitStatus(ctx, { repo: plain })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    } finally {
      rmSync(join(root.dir, '.git'), { recursive: true, force: true });
    }
  });

  it('user and system config are not read: a global core.fsmonitor runs nothing', async () => {
    const globalConfig = join(root.dir, 'global.gitconfig');
    writeFileSync(globalConfig, `[core]\n\tfsmonitor = touch ${marker()}\n`);
    const saved = { GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL, HOME: process.env.HOME };
    process.env.GIT_CONFIG_GLOBAL = globalConfig;
    process.env.HOME = root.dir;
    writeFileSync(join(root.dir, '.gitconfig'), `[core]\n\tfsmonitor = touch ${marker()}\n`);
    try {
      expect((await gitStatus(ctx, { repo: 'repo' })).branch).toBe('main');
      expect(existsSync(marker())).toBe(false);
    } finally {
      if (saved.GIT_CONFIG_GLOBAL === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = saved.GIT_CONFIG_GLOBAL;
      process.env.HOME = saved.HOME;
    }
  });
});
