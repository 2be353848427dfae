import { basename, sep } from 'node:path';
import { SymphonyError } from '@symphony/types';
import { permissionDenied, type Policy } from '@symphony/sandbox';

/**
 * Every path an operator touches goes through here first: resolved (symlinks, `..`) and checked
 * against the extension's policy. The returned path is the one to open, so what was checked is
 * what is used.
 */
export interface PathGuard {
  readonly workspace: string;
  read(path: string): string;
  write(path: string): string;
  /** The policy's read check alone, for git's own files that only git (never a file operator) opens. */
  readGitInternals(path: string): string;
}

export function policyGuard(policy: Policy, workspace: string, extension?: { id: string; version: string }): PathGuard {
  const check = (kind: 'fs.read' | 'fs.write', path: string, gitInternals = false): string => {
    if (typeof path !== 'string' || path === '') {
      throw new SymphonyError('E_INPUT_INVALID', `A ${kind === 'fs.read' ? 'path to read' : 'path to write'} is required.`, { details: { path } });
    }
    const decision = policy.decide({ kind, path });
    if (!decision.allow) throw permissionDenied(decision, extension);
    // git's own files decide what git runs (config filters, hooks, a `.git` file's `gitdir:`):
    // no file operator reads or writes them, whatever the grants say.
    if (!gitInternals && (decision.target.split(sep).includes('.git') || basename(decision.target) === '.git')) {
      throw permissionDenied({ ...decision, allow: false, rule: 'host:git-internals', reason: `${decision.target} is inside git's own files (.git), which file operators never touch` }, extension);
    }
    return decision.target;
  };
  return { workspace, read: (path) => check('fs.read', path), write: (path) => check('fs.write', path), readGitInternals: (path) => check('fs.read', path, true) };
}

/** Node's errno errors as SymphonyErrors a caller can act on, with the path. */
export function fsError(error: unknown, path: string, action: string): SymphonyError {
  const e = error as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && (e as { name?: string }).name === 'SymphonyError') return error as SymphonyError;
  switch (e?.code) {
    case 'ENOENT':
      return new SymphonyError('E_NOT_FOUND', `Cannot ${action} ${path}: it does not exist.`, { details: { path }, cause: error });
    case 'EISDIR':
      return new SymphonyError('E_INPUT_INVALID', `Cannot ${action} ${path}: it is a directory.`, { details: { path }, cause: error });
    case 'ENOTDIR':
      return new SymphonyError('E_INPUT_INVALID', `Cannot ${action} ${path}: a parent is not a directory.`, { details: { path }, cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'ERR_ACCESS_DENIED':
      return new SymphonyError('E_PERMISSION_DENIED', `Cannot ${action} ${path}: the operating system refused (${e.code}).`, { details: { path, rule: 'os' }, cause: error });
    default:
      return new SymphonyError('E_IO', `Cannot ${action} ${path}: ${e?.message ?? String(error)}`, { details: { path, errno: e?.code }, cause: error });
  }
}
