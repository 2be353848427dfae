import { lstatSync, readlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { SymphonyError } from '@symphony/types';

/** How many symlinks one resolution may follow before it is treated as a loop (Linux's MAXSYMLINKS). */
const MAX_SYMLINKS = 40;

/**
 * Resolves a path the way the kernel will when the file is opened: component by component,
 * following every symlink and applying `..` to the *physical* parent (so `ws/link/../x` goes up
 * from the link's target, not from `ws`). Components that do not exist yet (a file about to be
 * written) are appended lexically: nothing below a missing directory can be a symlink.
 *
 * Callers must use the returned path for the actual I/O, so the thing checked is the thing opened.
 */
export function resolveReal(path: string, cwd: string = process.cwd()): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new SymphonyError('E_INPUT_INVALID', 'A path to check must be a non-empty string.', { details: { path } });
  }
  if (path.includes('\0')) {
    throw new SymphonyError('E_INPUT_INVALID', 'A path must not contain a NUL byte.', { details: { path } });
  }
  const absolute = isAbsolute(path) ? path : join(cwd, path);
  const state = { followed: 0, original: path };
  return walk(sep, splitComponents(absolute), state);
}

function splitComponents(path: string): string[] {
  return path.split(sep).filter((part) => part !== '' && part !== '.');
}

function walk(start: string, components: string[], state: { followed: number; original: string }): string {
  let current = start;
  for (let i = 0; i < components.length; i++) {
    const part = components[i]!;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const candidate = current === sep ? sep + part : current + sep + part;
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch (error) {
      if (!isMissing(error)) throw error;
      // Nothing exists from here on: the rest cannot contain symlinks, so lexical is exact.
      return resolve(candidate, ...components.slice(i + 1));
    }
    if (!isLink) {
      current = candidate;
      continue;
    }
    if (++state.followed > MAX_SYMLINKS) {
      throw new SymphonyError('E_INPUT_INVALID', `Too many symlinks while resolving ${state.original} (a loop?).`, {
        details: { path: state.original },
      });
    }
    const target = readlinkSync(candidate);
    current = isAbsolute(target) ? walk(sep, splitComponents(target), state) : walk(current, splitComponents(target), state);
  }
  return current;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** True when `path` is `root` itself or lies below it. Both must already be resolved. */
export function isWithin(path: string, root: string): boolean {
  if (root === sep) return path.startsWith(sep);
  return path === root || path.startsWith(root + sep);
}
