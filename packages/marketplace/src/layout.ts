import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, readlink, rename, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { SymphonyError } from '@symphony/types';
import { canonicalJson, nullRecord } from './own.js';

/**
 * The on-disk shape of an installation (everything under one Symphony home):
 *
 *   <home>/extensions                    symlink → .marketplace/generations/<n>  (the live set)
 *   <home>/.marketplace/generations/<n>/<id>          symlink → ../../store/<id>@<version>
 *   <home>/.marketplace/generations/<n>/symphony-lock.json
 *   <home>/.marketplace/store/<id>@<version>/         verified, unpacked, never modified
 *   <home>/.marketplace/staging/                      work in progress (deleted on open)
 *   <home>/.marketplace/lock.key                      the key of the lockfiles' own integrity (HMAC)
 *
 * A store entry or a generation only appears by renaming a finished temp folder, and the live
 * set only changes by renaming a new symlink over `extensions`. So a process killed at any
 * moment leaves either the previous installation or the new one, whole.
 */
export interface LockEntry {
  version: string;
  integrity: string;
  registry: string;
  publisher: string;
  keyId: string;
  kind: string;
  dependencies: Record<string, string>;
  /** The permission lines the user consented to for this version. */
  permissions: string[];
  /** Set for extensions the user asked for (the range they asked with); absent for dependencies. */
  requested?: string;
}

export interface Lockfile {
  lockfileVersion: 1;
  extensions: Record<string, LockEntry>;
  /**
   * `hmac-sha256-<base64>` over the rest of the file (keys sorted), keyed by `.marketplace/lock.key`:
   * a hand edit (an integrity, a permission) is refused with `E_LOCKFILE_TAMPERED`. Absent only in
   * lockfiles written before it existed; those are accepted once every entry re-verifies.
   */
  integrity?: string;
}

export const LOCKFILE = 'symphony-lock.json';

export function paths(home: string) {
  const root = join(home, '.marketplace');
  return {
    home,
    extensions: join(home, 'extensions'),
    root,
    store: join(root, 'store'),
    generations: join(root, 'generations'),
    staging: join(root, 'staging'),
  };
}
export type Paths = ReturnType<typeof paths>;

export async function prepare(p: Paths): Promise<void> {
  await mkdir(p.store, { recursive: true });
  await mkdir(p.generations, { recursive: true });
  const keyPath = join(p.root, 'lock.key');
  if (!(await lstat(keyPath).catch(() => undefined))) {
    await writeFile(keyPath, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  // Leftovers of an install that was killed: never part of the live set, safe to drop.
  await rm(p.staging, { recursive: true, force: true });
  await mkdir(p.staging, { recursive: true });
}

/** The generation number the live `extensions` link points at, or 0 when nothing is installed. */
export async function currentGeneration(p: Paths): Promise<number> {
  const info = await lstat(p.extensions).catch(() => undefined);
  if (!info) return 0;
  if (!info.isSymbolicLink()) {
    // A plain folder that the marketplace did not make: take it over only when empty.
    if (info.isDirectory() && (await readdir(p.extensions)).length === 0) {
      await rmdir(p.extensions);
      return 0;
    }
    throw new SymphonyError('E_CONFLICT', `${p.extensions} is a folder the marketplace does not manage; move its contents away or point the marketplace at another home`, {
      details: { path: p.extensions },
    });
  }
  const target = await readlink(p.extensions);
  const n = Number(/generations[\\/](\d+)$/.exec(target)?.[1]);
  return Number.isInteger(n) ? n : 0;
}

async function lockKey(p: Paths): Promise<Buffer> {
  const path = join(p.root, 'lock.key');
  try {
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
  } catch (cause) {
    throw new SymphonyError('E_LOCKFILE_INVALID', `cannot read ${path}, the key of the lockfile's integrity: ${(cause as Error).message}`, { details: { path }, cause });
  }
}

function lockIntegrity(key: Buffer, lock: Lockfile): string {
  return `hmac-sha256-${createHmac('sha256', key).update(canonicalJson({ lockfileVersion: lock.lockfileVersion, extensions: lock.extensions })).digest('base64')}`;
}

export async function readLockfile(p: Paths, generation: number): Promise<Lockfile> {
  if (generation === 0) return { lockfileVersion: 1, extensions: nullRecord() };
  const file = join(p.generations, String(generation), LOCKFILE);
  let lock: Lockfile;
  try {
    lock = JSON.parse(await readFile(file, 'utf8')) as Lockfile;
  } catch (cause) {
    throw new SymphonyError('E_LOCKFILE_INVALID', `cannot read ${file}: ${(cause as Error).message}`, { details: { path: file }, cause });
  }
  if (!lock || lock.lockfileVersion !== 1 || typeof lock.extensions !== 'object' || !lock.extensions || Array.isArray(lock.extensions)) {
    throw new SymphonyError('E_LOCKFILE_INVALID', `${file} is not a version 1 lockfile`, { details: { path: file } });
  }
  for (const [id, entry] of Object.entries(lock.extensions)) {
    if (!/^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+$/.test(id) || !entry || typeof entry.version !== 'string' || !Array.isArray(entry.permissions)
      || typeof entry.dependencies !== 'object' || !entry.dependencies) {
      throw new SymphonyError('E_LOCKFILE_INVALID', `${file} has a malformed entry "${id}"`, { details: { path: file, id } });
    }
  }
  if (lock.integrity !== undefined) {
    const expected = Buffer.from(lockIntegrity(await lockKey(p), lock));
    const given = Buffer.from(String(lock.integrity));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new SymphonyError('E_LOCKFILE_TAMPERED', `${file} was edited by hand (its integrity does not match); nothing installed is trusted until it is undone: restore it, or remove the ${p.extensions} link and install again`, { details: { path: file } });
    }
  }
  return { ...lock, extensions: nullRecord(Object.entries(lock.extensions)) };
}

export function storeName(id: string, version: string): string {
  return `${id}@${version}`;
}

export async function hasStoreEntry(p: Paths, id: string, version: string): Promise<boolean> {
  return (await lstat(join(p.store, storeName(id, version))).catch(() => undefined))?.isDirectory() === true;
}

/** A fresh folder under staging for one package or one generation. */
export async function stagingDir(p: Paths, label: string): Promise<string> {
  const dir = join(p.staging, `${label}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Moves a fully written staging folder into the store (a second writer of the same version loses harmlessly). */
export async function commitStoreEntry(p: Paths, staged: string, id: string, version: string): Promise<void> {
  try {
    await rename(staged, join(p.store, storeName(id, version)));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    await rm(staged, { recursive: true, force: true });
  }
}

/** Builds generation n+1 (links + lockfile) and makes it live with one rename. Returns its number. */
export async function commitGeneration(p: Paths, previous: number, lock: Lockfile): Promise<number> {
  const next = Math.max(previous, ...(await listGenerations(p))) + 1;
  const staged = await stagingDir(p, `generation-${next}`);
  for (const [id, entry] of Object.entries(lock.extensions)) {
    await symlink(relative(join(p.generations, String(next)), join(p.store, storeName(id, entry.version))), join(staged, id), 'dir');
  }
  const sorted = sortLock(lock);
  sorted.integrity = lockIntegrity(await lockKey(p), sorted);
  await writeFile(join(staged, LOCKFILE), `${JSON.stringify(sorted, null, 2)}\n`);
  await rename(staged, join(p.generations, String(next)));
  await switchTo(p, next);
  return next;
}

/** Points `extensions` at a generation atomically (a new link renamed over the old one). */
export async function switchTo(p: Paths, generation: number): Promise<void> {
  const temp = join(p.staging, `link-${randomBytes(6).toString('hex')}`);
  await symlink(relative(p.home, join(p.generations, String(generation))), temp, 'dir');
  await rename(temp, p.extensions);
}

export async function listGenerations(p: Paths): Promise<number[]> {
  const names = await readdir(p.generations).catch(() => [] as string[]);
  return names.map(Number).filter((n) => Number.isInteger(n) && n > 0).sort((a, b) => a - b);
}

/** Keeps the live generation and the one before it (for rollback); drops unreferenced store entries. */
export async function collectGarbage(p: Paths, live: number): Promise<void> {
  const keep = (await listGenerations(p)).filter((n) => n <= live).slice(-2);
  for (const n of await listGenerations(p)) {
    if (!keep.includes(n)) await rm(join(p.generations, String(n)), { recursive: true, force: true });
  }
  const referenced = new Set<string>();
  for (const n of keep) {
    const lock = await readLockfile(p, n).catch(() => undefined);
    for (const [id, entry] of Object.entries(lock?.extensions ?? {})) referenced.add(storeName(id, entry.version));
  }
  for (const name of await readdir(p.store)) {
    if (!referenced.has(name)) await rm(join(p.store, name), { recursive: true, force: true });
  }
}

function sortLock(lock: Lockfile): Lockfile {
  const extensions: Record<string, LockEntry> = {};
  for (const id of Object.keys(lock.extensions).sort()) extensions[id] = lock.extensions[id] as LockEntry;
  return { lockfileVersion: 1, extensions };
}
