/**
 * The in-process layer for `fs`: every public `fs` function that takes a path resolves it the way
 * the kernel will (symlinks, `..`) and refuses it unless it lies under a granted root, before the
 * call reaches Node. Node's own permission model does not resolve symlinks (nodejs/node#49154)
 * and bubblewrap answers a hidden path with ENOENT; this layer names the refusal
 * (`E_PERMISSION_DENIED`, with the resolved path) so the host can audit it. Code that reaches
 * below the public `fs` API still meets the other two walls.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { realPathOf } from './real-path.js';

export interface FsRoots {
  read: string[];
  write: string[];
  /** Folders no grant reaches (the home), but for their exceptions (the extension's own code). */
  protected?: ReadonlyArray<{ root: string; except?: readonly string[] }>;
}

type Deny = (kind: 'fs.read' | 'fs.write', requested: string, target: string) => Error;

function within(path: string, root: string): boolean {
  return root === '/' ? true : path === root || path.startsWith(root + '/');
}

function toPath(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  if (value instanceof URL) return value.protocol === 'file:' ? fileURLToPath(value) : undefined;
  return undefined; // a file descriptor: its path was checked when it was opened
}

function isWriteFlag(flags: unknown): boolean {
  if (typeof flags === 'number') return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND)) !== 0;
  return typeof flags === 'string' && /[wa+]/.test(flags);
}

type Check = (args: unknown[]) => void;

export function guardFs(roots: FsRoots, deny: Deny): void {
  const readRoots = [...roots.read, ...roots.write];
  const check = (kind: 'fs.read' | 'fs.write', value: unknown, follow = true): void => {
    const requested = toPath(value);
    if (requested === undefined) return;
    let target: string;
    try {
      target = realPathOf(requested, process.cwd(), follow);
    } catch {
      throw deny(kind, requested, requested);
    }
    const allowed = kind === 'fs.read' ? readRoots : roots.write;
    if (!allowed.some((root) => within(target, root))) throw deny(kind, requested, target);
    for (const shielded of roots.protected ?? []) {
      if (within(target, shielded.root) && !(shielded.except ?? []).some((root) => within(target, root))) throw deny(kind, requested, target);
    }
  };

  const read: Check = (a) => check('fs.read', a[0]);
  const readNoFollow: Check = (a) => check('fs.read', a[0], false);
  const write: Check = (a) => check('fs.write', a[0]);
  const writeNoFollow: Check = (a) => check('fs.write', a[0], false);
  const open: Check = (a) => check(isWriteFlag(a[1]) ? 'fs.write' : 'fs.read', a[0]);
  const stream: Check = (a) => check(isWriteFlag((a[1] as { flags?: unknown } | undefined)?.flags ?? 'r') ? 'fs.write' : 'fs.read', a[0]);
  const copy: Check = (a) => {
    check('fs.read', a[0]);
    check('fs.write', a[1]);
  };
  const move: Check = (a) => {
    check('fs.write', a[0], false);
    check('fs.write', a[1], false);
  };
  const symlink: Check = (a) => check('fs.write', a[1], false);

  const table: Record<string, Check> = {
    readFile: read, readdir: read, opendir: read, stat: read, access: read, exists: read, realpath: read, watch: read, watchFile: read, statfs: read,
    lstat: readNoFollow, readlink: readNoFollow,
    writeFile: write, appendFile: write, mkdir: write, mkdtemp: write, truncate: write, chmod: write, chown: write, utimes: write,
    rm: writeNoFollow, rmdir: writeNoFollow, unlink: writeNoFollow, lchown: writeNoFollow, lutimes: writeNoFollow,
    open, copyFile: copy, cp: copy, rename: move, link: move, symlink,
  };
  const wrap = (target: Record<string, unknown>, name: string, guard: Check): void => {
    const original = target[name];
    if (typeof original !== 'function') return;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      guard(args);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
    Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original));
    target[name] = wrapped;
  };
  const fsRecord = fs as unknown as Record<string, unknown>;
  const promises = fs.promises as unknown as Record<string, unknown>;
  for (const [name, guard] of Object.entries(table)) {
    wrap(fsRecord, name, guard);
    wrap(fsRecord, `${name}Sync`, guard);
    wrap(promises, name, guard);
  }
  wrap(fsRecord, 'createReadStream', read);
  wrap(fsRecord, 'createWriteStream', stream);
  wrap(fsRecord, 'openAsBlob', read);
  wrap(fsRecord.realpathSync as unknown as Record<string, unknown>, 'native', read);
  wrap(fsRecord.realpath as unknown as Record<string, unknown>, 'native', read);
  // existsSync answers false for what may not be seen, rather than throwing.
  const exists = fs.existsSync;
  fsRecord.existsSync = (path: unknown) => {
    try {
      check('fs.read', path);
    } catch {
      return false;
    }
    return exists(path as fs.PathLike);
  };
}
