import { sep } from 'node:path';
import { SymphonyError } from '@symphony/types';
import { realPathOf } from './real-path.js';

/**
 * Resolves a path the way the kernel will when the file is opened (see `realPathOf`): every
 * symlink followed and `..` applied to the physical parent, so `ws/link/../x` goes up from the
 * link's target, not from `ws`. Callers must use the returned path for the actual I/O, so the
 * thing checked is the thing opened.
 */
export function resolveReal(path: string, cwd: string = process.cwd()): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new SymphonyError('E_INPUT_INVALID', 'A path to check must be a non-empty string.', { details: { path } });
  }
  if (path.includes('\0')) {
    throw new SymphonyError('E_INPUT_INVALID', 'A path must not contain a NUL byte.', { details: { path } });
  }
  try {
    return realPathOf(path, cwd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ELOOP' ? 'too many symlinks (a loop?)' : `${code ?? 'error'}: ${(error as Error).message}`;
    throw new SymphonyError('E_INPUT_INVALID', `Cannot resolve ${path}: ${why}.`, { details: { path, errno: code }, cause: error });
  }
}

/** True when `path` is `root` itself or lies below it. Both must already be resolved. */
export function isWithin(path: string, root: string): boolean {
  if (root === sep) return path.startsWith(sep);
  return path === root || path.startsWith(root + sep);
}
