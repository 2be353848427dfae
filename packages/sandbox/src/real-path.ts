import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { posix } from 'node:path';

/** `realpath(3)`, captured at load: the sandbox's preload patches `fs` later and must not check itself. */
const nativeRealpath: (path: string) => string = realpathSync.native;
const lstat = lstatSync;
const readlink = readlinkSync;
const MAX_LINKS = 40;

/** The target of `path` when it is a symlink (dangling, since realpath failed on it), else undefined. */
function danglingTarget(path: string): string | undefined {
  try {
    if (!lstat(path).isSymbolicLink()) return undefined;
    return readlink(path);
  } catch {
    return undefined;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Where the kernel will land when it opens `path`: `realpath(3)` of the longest existing prefix
 * (symlinks followed, `..` applied to the *physical* parent, exactly as the kernel does), with
 * the missing rest appended lexically (nothing below a missing directory can be a symlink).
 * Asking the kernel rather than walking with lstat also works where the ancestors themselves
 * may not be read, as under Node's permission model. With `follow: false` the last component
 * is not followed (lstat, unlink, rename act on a link itself).
 *
 * Throws the errno error for anything but a missing path (ELOOP, EACCES, ERR_ACCESS_DENIED).
 */
export function realPathOf(path: string, cwd: string, follow = true, realpath: (p: string) => string = nativeRealpath, depth = 0): string {
  if (depth > MAX_LINKS) throw Object.assign(new Error(`too many levels of symbolic links: ${path}`), { code: 'ELOOP' });
  // No normalisation here: `link/..` must reach the kernel as it is.
  const absolute = path.startsWith('/') ? path : `${cwd}/${path}`;
  if (!follow) {
    const trimmed = absolute.replace(/\/+$/, '');
    const cut = trimmed.lastIndexOf('/');
    const last = trimmed.slice(cut + 1);
    if (last !== '' && last !== '.' && last !== '..') return posix.join(realPathOf(trimmed.slice(0, cut) || '/', cwd, true, realpath, depth), last);
  }
  const tail: string[] = [];
  let head = absolute;
  for (;;) {
    try {
      const real = realpath(head);
      return tail.length === 0 ? real : posix.resolve(real, ...tail);
    } catch (error) {
      if (!isMissing(error)) throw error;
      const trimmed = head.replace(/\/+$/, '');
      const cut = trimmed.lastIndexOf('/');
      if (cut < 0 || trimmed === '') throw error;
      // A dangling link (its target missing, or hidden by a mount namespace) still points
      // somewhere: follow it, or a link out of the workspace would pass as a new file in it.
      const target = danglingTarget(trimmed);
      if (target !== undefined) {
        const from = target.startsWith('/') ? target : `${realPathOf(trimmed.slice(0, cut) || '/', cwd, true, realpath, depth + 1)}/${target}`;
        const real = realPathOf(from, cwd, true, realpath, depth + 1);
        return tail.length === 0 ? real : posix.resolve(real, ...tail);
      }
      tail.unshift(trimmed.slice(cut + 1));
      head = trimmed.slice(0, cut) || '/';
    }
  }
}
