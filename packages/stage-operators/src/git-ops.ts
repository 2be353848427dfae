import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import { dirname, join, resolve as resolvePath, sep } from 'node:path';
import { SymphonyError } from '@symphony/types';
import type { PathGuard } from './guard.js';

/*
 * git through its CLI, never a shell: arguments go to execve as they are. User values are
 * checked before they reach git: revisions must look like revisions (and can never start with
 * `-`, so `--output=/tmp/x` is refused), paths always come after `--`. Config that makes git run
 * programs (fsmonitor, hooks, pagers, external diff, textconv) is switched off per call.
 */

const SAFE_CONFIG = [
  '-c', 'core.fsmonitor=false',
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'core.pager=cat',
  '-c', 'core.quotePath=false',
  '-c', 'core.sshCommand=false',
  '-c', 'core.askPass=',
  '-c', 'core.editor=false',
  '-c', 'core.gitProxy=',
  '-c', 'credential.helper=',
  '-c', 'gpg.program=false',
  '-c', 'sequence.editor=false',
  '-c', 'color.ui=never',
  '-c', 'diff.external=',
  '-c', 'protocol.allow=never',
  '--no-pager',
];

/**
 * Repository config keys that make git run a program or look outside the repository. A repo whose
 * own config sets any of them is refused before git runs there: `-c` can switch off the fixed
 * names above, not `filter.<any>.clean` or `diff.<any>.textconv`.
 */
const DANGEROUS_CONFIG = /^(filter\..+\.(clean|smudge|process)|diff\.external|diff\..+\.(command|textconv)|merge\..+\.driver|core\.(fsmonitor|sshcommand|hookspath|pager|editor|askpass|gitproxy|worktree|attributesfile|excludesfile)|credential\..*|include\.path|includeif\..+|gpg\..*program|uploadpack\..+|remote\..+\.(uploadpack|receivepack|vcs|proxy)|sequence\.editor|pager\..+|alias\..+)$/i;

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface GitContext {
  guard: PathGuard;
  signal?: AbortSignal;
  /** The git executable; found on the usual paths when not given. */
  git?: string;
  timeoutMs?: number;
}

/** A revision: names, hashes, `HEAD~2`, `main..feature`, `v1.0^{commit}`, `@{upstream}`. Never an option. */
const REVISION = /^[A-Za-z0-9_@][A-Za-z0-9._\/~^@{}:+-]*$/;

export function checkRevision(value: string, field = 'ref'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256 || value.startsWith('-') || !REVISION.test(value) || value.includes('..-')) {
    throw new SymphonyError('E_INPUT_INVALID', `Refusing ${field} ${JSON.stringify(value)}: a git revision must be a name, hash or range (like "main", "HEAD~3", "a1b2c3..HEAD"), never an option.`, {
      details: { path: field, value },
    });
  }
  return value;
}

function checkPathArg(value: string, field = 'path'): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw new SymphonyError('E_INPUT_INVALID', `Refusing ${field} ${JSON.stringify(value)}: it must be a non-empty path.`, { details: { path: field, value } });
  }
  return value;
}

const GIT_PATH = '/usr/local/bin:/usr/bin:/bin:/opt/homebrew/bin';

/**
 * The git executable. Inside the sandbox the file system outside the grants cannot even be
 * probed, so a bare `git` is looked up on a fixed PATH when it is started instead.
 */
function findGit(explicit?: string): string {
  if (explicit) return explicit;
  for (const dir of GIT_PATH.split(':')) if (existsSync(`${dir}/git`)) return `${dir}/git`;
  return 'git';
}

/** Runs git in `repo` (checked readable by the policy) and returns stdout. */
export async function runGit(ctx: GitContext, repo: string, args: string[]): Promise<string> {
  const cwd = ctx.guard.read(repo);
  const git = findGit(ctx.git);
  if (!existsSync(cwd)) {
    throw new SymphonyError('E_GIT_FAILED', `git ${args[0]} failed in ${repo}: cannot change to '${cwd}': No such file or directory`, { details: { path: repo, command: args[0] } });
  }
  const found = await locateRepository(ctx, cwd, git);
  return new Promise<string>((resolve, reject) => {
    execFile(
      git,
      [...SAFE_CONFIG, '-c', `safe.directory=${found.top}`, '-C', cwd, ...args],
      {
        cwd,
        shell: false,
        encoding: 'utf8',
        maxBuffer: MAX_OUTPUT_BYTES,
        timeout: ctx.timeoutMs ?? 60_000,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        // Only what git needs; no user or system config that could run programs.
        env: { ...safeEnv(cwd), GIT_DIR: found.gitDir, GIT_WORK_TREE: found.top },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const e = error as NodeJS.ErrnoException & { code?: string | number };
        if (e.code === 'ERR_ACCESS_DENIED') {
          return reject(new SymphonyError('E_PERMISSION_DENIED', 'Starting git was refused: this extension has no child_process grant.', { details: { path: git, rule: 'node-permission-model' }, cause: error }));
        }
        if (e.code === 'ENOENT' && git === 'git') {
          return reject(new SymphonyError('E_NOT_FOUND', `git is not installed (looked on ${GIT_PATH}); install it (Debian: apt-get install git).`, { details: { path: 'git' }, cause: error }));
        }
        if (e.name === 'AbortError') return reject(new SymphonyError('E_ABORTED', `git ${args[0]} was cancelled.`, { details: { repo } }));
        const message = String(stderr || e.message).trim().split('\n').slice(0, 5).join('\n');
        const notRepo = /not a git repository/i.test(message);
        const badRev = /unknown revision|bad revision|ambiguous argument|invalid object name|does not exist|Not a valid object name/i.test(message);
        reject(
          new SymphonyError(notRepo ? 'E_NOT_FOUND' : badRev ? 'E_INPUT_INVALID' : 'E_GIT_FAILED', `git ${args[0]} failed in ${repo}: ${message}`, {
            details: { path: repo, command: args[0], exitCode: typeof e.code === 'number' ? e.code : undefined },
          }),
        );
      },
    );
  });
}

/** Only what git needs; no user or system config (which could run programs), no discovery above the workspace. */
function safeEnv(cwd: string): Record<string, string> {
  return { PATH: GIT_PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_ATTR_NOSYSTEM: '1', GIT_NO_REPLACE_OBJECTS: '1', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', GIT_PROTOCOL_FROM_USER: '0', LC_ALL: 'C', HOME: cwd };
}

/**
 * The repository a git operation runs in, found the way git would but only inside the workspace:
 * the nearest `.git` at or above `cwd` and not above the workspace. A `.git` file's `gitdir:`
 * must stay inside the workspace (and out of every path the policy refuses, like the home), and
 * the repository's own config must not name a program to run. Refusals are E_PERMISSION_DENIED.
 */
async function locateRepository(ctx: GitContext, cwd: string, git: string): Promise<{ top: string; gitDir: string }> {
  const workspace = realOrSelf(ctx.guard.workspace);
  const deny = (why: string, path: string, rule: string): SymphonyError =>
    new SymphonyError('E_PERMISSION_DENIED', `Refusing to run git in ${cwd}: ${why}.`, { details: { path, rule } });
  let dir = cwd;
  for (;;) {
    const dotGit = join(dir, '.git');
    const info = lstatOrUndefined(dotGit);
    if (info) {
      let gitDir: string;
      if (info.isDirectory()) gitDir = dotGit;
      else if (info.isFile()) {
        const text = readFileSync(dotGit, 'utf8');
        const target = /^gitdir:\s*(.+?)\s*$/m.exec(text)?.[1];
        if (!target) throw deny(`${dotGit} is a file without a gitdir: line`, dotGit, 'host:gitdir');
        gitDir = resolvePath(dir, target);
      } else throw deny(`${dotGit} is neither a folder nor a gitdir file`, dotGit, 'host:gitdir');
      const real = realOrSelf(gitDir);
      // A linked worktree (`git worktree add`) keeps its git directory in the main repository,
      // which names this `.git` file back: a link nobody inside the workspace can forge.
      const worktree = info.isFile() && !isInside(real, workspace) && linksBack(real, dotGit);
      if (!isInside(real, workspace) && !worktree) throw deny(`its git directory ${real} lies outside the workspace ${workspace} (and is not a worktree of a repository that names it back)`, real, 'host:gitdir-outside-workspace');
      const decision = worktree ? real : ctx.guard.readGitInternals(real); // the policy's other refusals (the home) apply too
      const common = commonDir(decision);
      if (!worktree && !isInside(common, workspace)) throw deny(`its common git directory ${common} lies outside the workspace`, common, 'host:gitdir-outside-workspace');
      for (const config of new Set([join(decision, 'config'), join(common, 'config'), join(decision, 'config.worktree')])) {
        const key = await dangerousKey(git, config, cwd);
        if (key) throw deny(`its config ${config} sets ${key}, which makes git run a program or reach outside the repository; remove it to use the git operators here`, config, 'host:git-config');
      }
      return { top: dir, gitDir: decision };
    }
    if (dir === workspace || !isInside(dir, workspace)) break;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new SymphonyError('E_NOT_FOUND', `git failed in ${cwd}: not a git repository (or none inside the workspace ${workspace})`, { details: { path: cwd } });
}

/** `<gitdir>/gitdir` of a linked worktree names the worktree's `.git` file. */
function linksBack(gitDir: string, dotGit: string): boolean {
  try {
    const named = readFileSync(join(gitDir, 'gitdir'), 'utf8').trim();
    return realOrSelf(resolvePath(gitDir, named)) === realOrSelf(dotGit) && existsSync(join(gitDir, 'commondir'));
  } catch {
    return false;
  }
}

function commonDir(gitDir: string): string {
  try {
    const text = readFileSync(join(gitDir, 'commondir'), 'utf8').trim();
    return realOrSelf(resolvePath(gitDir, text));
  } catch {
    return gitDir;
  }
}

/** The first key of a config file that could run a program, read by git itself without following includes. */
function dangerousKey(git: string, file: string, cwd: string): Promise<string | undefined> {
  if (!existsSync(file)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    execFile(git, ['config', '--file', file, '--no-includes', '--null', '--list'], { cwd, shell: false, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024, timeout: 10_000, env: safeEnv(cwd) }, (error, stdout) => {
      if (error) return reject(new SymphonyError('E_PERMISSION_DENIED', `Refusing to run git: its config ${file} cannot be read safely (${String(error.message).split('\n')[0]}).`, { details: { path: file, rule: 'host:git-config' }, cause: error }));
      for (const entry of stdout.split('\0')) {
        const key = entry.split('\n', 1)[0]!;
        if (key && DANGEROUS_CONFIG.test(key)) return resolve(key);
      }
      resolve(undefined);
    });
  });
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

export interface Commit {
  hash: string;
  author: string;
  email: string;
  date: string;
  subject: string;
  files?: Array<{ path: string; added: number | null; deleted: number | null }>;
}

const RS = '\x1e';
const US = '\x1f';

export async function gitLog(ctx: GitContext, input: { repo: string; ref?: string; paths?: string[]; maxCount?: number; since?: string; numstat?: boolean }): Promise<{ commits: Commit[] }> {
  const args = ['log', `--format=${RS}%H${US}%an${US}%ae${US}%aI${US}%s`, `--max-count=${Math.max(1, Math.min(input.maxCount ?? 1000, 100_000))}`, '--no-color', '--no-ext-diff', '--no-textconv'];
  if (input.numstat) args.push('--numstat', '-z');
  if (input.since) {
    if (!/^[0-9A-Za-z :.,+-]{1,64}$/.test(input.since) || input.since.startsWith('-')) throw new SymphonyError('E_INPUT_INVALID', `Refusing since ${JSON.stringify(input.since)}: use a date like "2024-01-01" or "2 weeks ago".`, { details: { path: 'since' } });
    args.push(`--since=${input.since}`);
  }
  args.push(input.ref ? checkRevision(input.ref) : 'HEAD', '--', ...(input.paths ?? []).map((p) => checkPathArg(p)));
  const out = await runGit(ctx, input.repo, args);
  const commits: Commit[] = [];
  for (const block of out.split(RS)) {
    if (block.trim() === '') continue;
    // The header ends at a newline (or, with -z, at "\0\n").
    const headerEnd = block.search(/[\0\n]/);
    const header = headerEnd === -1 ? block : block.slice(0, headerEnd);
    const [hash = '', author = '', email = '', date = '', subject = ''] = header.split(US);
    const commit: Commit = { hash, author, email, date, subject };
    if (input.numstat) commit.files = parseNumstatZ(headerEnd === -1 ? '' : block.slice(headerEnd + 1));
    commits.push(commit);
  }
  return { commits };
}

/** `--numstat -z`: `added\tdeleted\tpath\0`, or for a rename `added\tdeleted\t\0old\0new\0`. */
function parseNumstatZ(text: string): Array<{ path: string; added: number | null; deleted: number | null }> {
  const files: Array<{ path: string; added: number | null; deleted: number | null }> = [];
  const parts = text.replace(/^\n+/, '').split('\0');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!.replace(/^\n+/, '');
    if (part === '') continue;
    const [added = '', deleted = '', path = ''] = part.split('\t');
    const toNumber = (v: string): number | null => (v === '-' ? null : Number(v));
    if (path === '') {
      const renamedTo = parts[i + 2] ?? '';
      files.push({ path: renamedTo, added: toNumber(added), deleted: toNumber(deleted) });
      i += 2;
    } else {
      files.push({ path, added: toNumber(added), deleted: toNumber(deleted) });
    }
  }
  return files;
}

export async function gitDiff(ctx: GitContext, input: { repo: string; from?: string; to?: string; paths?: string[]; stat?: boolean }): Promise<{ diff?: string; files?: Array<{ path: string; added: number | null; deleted: number | null }> }> {
  const args = ['diff', '--no-color', '--no-ext-diff', '--no-textconv'];
  if (input.stat) args.push('--numstat', '-z');
  if (input.from) args.push(checkRevision(input.from, 'from'));
  if (input.to) args.push(checkRevision(input.to, 'to'));
  args.push('--', ...(input.paths ?? []).map((p) => checkPathArg(p)));
  const out = await runGit(ctx, input.repo, args);
  return input.stat ? { files: parseNumstatZ(out) } : { diff: out };
}

export interface StatusEntry {
  path: string;
  index: string;
  worktree: string;
  from?: string;
}

export async function gitStatus(ctx: GitContext, input: { repo: string }): Promise<{ branch: string | null; entries: StatusEntry[] }> {
  const out = await runGit(ctx, input.repo, ['status', '--porcelain=v1', '-z', '--branch', '--untracked-files=all']);
  const parts = out.split('\0');
  let branch: string | null = null;
  const entries: StatusEntry[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    if (part.startsWith('## ')) {
      const name = part.slice(3).split('...')[0]!;
      branch = name.startsWith('HEAD (no branch)') ? null : name.replace(/^No commits yet on /, '');
      continue;
    }
    const entry: StatusEntry = { index: part[0]!, worktree: part[1]!, path: part.slice(3) };
    if (entry.index === 'R' || entry.index === 'C') entry.from = parts[++i];
    entries.push(entry);
  }
  return { branch, entries };
}

export interface BlameLine {
  line: number;
  hash: string;
  author: string;
  time: number;
  content: string;
}

export async function gitBlame(ctx: GitContext, input: { repo: string; path: string; ref?: string }): Promise<{ lines: BlameLine[] }> {
  const args = ['blame', '--porcelain'];
  if (input.ref) args.push(checkRevision(input.ref));
  args.push('--', checkPathArg(input.path));
  const out = await runGit(ctx, input.repo, args);
  const lines: BlameLine[] = [];
  const authors = new Map<string, { author: string; time: number }>();
  let current: { hash: string; line: number } | undefined;
  let pending: { author?: string; time?: number } = {};
  for (const raw of out.split('\n')) {
    const head = /^([0-9a-f]{40}) \d+ (\d+)/.exec(raw);
    if (head) {
      current = { hash: head[1]!, line: Number(head[2]) };
      pending = {};
      continue;
    }
    if (!current) continue;
    if (raw.startsWith('author ')) pending.author = raw.slice(7);
    else if (raw.startsWith('author-time ')) pending.time = Number(raw.slice(12));
    else if (raw.startsWith('\t')) {
      if (pending.author !== undefined) authors.set(current.hash, { author: pending.author, time: pending.time ?? 0 });
      const who = authors.get(current.hash) ?? { author: '', time: 0 };
      lines.push({ line: current.line, hash: current.hash, author: who.author, time: who.time, content: raw.slice(1) });
      current = undefined;
    }
  }
  return { lines };
}

export async function gitShow(ctx: GitContext, input: { repo: string; ref: string; path?: string }): Promise<{ content: string }> {
  const ref = checkRevision(input.ref);
  if (input.path !== undefined) {
    const path = checkPathArg(input.path);
    if (path.startsWith('/')) throw new SymphonyError('E_INPUT_INVALID', 'show: path must be relative to the repository root.', { details: { path: 'path', value: path } });
    // `<rev>:<path>` starts with the checked revision, so it cannot be read as an option.
    return { content: await runGit(ctx, input.repo, ['show', '--no-color', '--no-textconv', `${ref}:${path}`]) };
  }
  return { content: await runGit(ctx, input.repo, ['show', '--no-color', '--no-ext-diff', '--no-textconv', '--stat', ref, '--']) };
}

export async function gitCurrentBranch(ctx: GitContext, input: { repo: string }): Promise<{ branch: string | null; detached: boolean; head: string | null }> {
  const status = await gitStatus(ctx, input);
  let head: string | null = null;
  try {
    head = (await runGit(ctx, input.repo, ['rev-parse', '--verify', '-q', 'HEAD'])).trim() || null;
  } catch {
    head = null; // no commits yet
  }
  return { branch: status.branch, detached: status.branch === null, head };
}
