import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { SymphonyError } from '@symphony/types';
import { fsError, type PathGuard } from './guard.js';

export const DEFAULT_MAX_READ_BYTES = 16 * 1024 * 1024;
const DEFAULT_IGNORE = ['**/.git/**', '**/node_modules/**'];

export type EntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface FileStat {
  path: string;
  type: EntryType;
  size: number;
  mtimeMs: number;
  mode: number;
}

function typeOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryType {
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'directory';
  return 'other';
}

/** Reads a whole file, refusing files larger than `maxBytes` before reading a byte. */
export async function readTextFile(guard: PathGuard, input: { path: string; encoding?: 'utf8' | 'base64'; maxBytes?: number }): Promise<{ path: string; content: string; bytes: number }> {
  const path = guard.read(input.path);
  const maxBytes = input.maxBytes ?? DEFAULT_MAX_READ_BYTES;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (info.size > maxBytes) {
      throw new SymphonyError('E_PAYLOAD_TOO_LARGE', `${input.path} is ${info.size} bytes, over the ${maxBytes}-byte read limit; stream it with symphony.data or hash it with symphony.files/hash.`, {
        details: { path, size: info.size, maxBytes },
      });
    }
    const buffer = await readFile(path);
    return { path, content: buffer.toString(input.encoding ?? 'utf8'), bytes: buffer.length };
  } catch (error) {
    throw fsError(error, input.path, 'read');
  }
}

/**
 * Writes atomically: a temp file beside the target (same file system), flushed, then renamed
 * over it, so readers see the old file or the new one, never half of it.
 */
export async function writeFileAtomic(guard: PathGuard, input: { path: string; content: string; encoding?: 'utf8' | 'base64'; mkdirs?: boolean }): Promise<{ path: string; bytes: number }> {
  const path = guard.write(input.path);
  const data = Buffer.from(input.content, input.encoding ?? 'utf8');
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    if (input.mkdirs) await mkdir(dirname(path), { recursive: true });
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    return { path, bytes: data.length };
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw fsError(error, input.path, 'write');
  }
}

export async function statPath(guard: PathGuard, input: { path: string }): Promise<FileStat> {
  const path = guard.read(input.path);
  try {
    const info = await stat(path);
    return { path, type: typeOf(info), size: info.size, mtimeMs: info.mtimeMs, mode: info.mode & 0o7777 };
  } catch (error) {
    throw fsError(error, input.path, 'stat');
  }
}

/** The entries of one directory (or, recursively, of a tree: symlinks are listed, not followed). */
export async function listDirectory(guard: PathGuard, input: { path: string; recursive?: boolean; limit?: number }): Promise<{ path: string; entries: Array<{ path: string; type: EntryType; size: number }>; truncated: boolean }> {
  const root = guard.read(input.path);
  const limit = input.limit ?? 10_000;
  const entries: Array<{ path: string; type: EntryType; size: number }> = [];
  const queue = [root];
  try {
    while (queue.length > 0) {
      const dir = queue.shift()!;
      for (const dirent of await readdir(dir, { withFileTypes: true })) {
        const full = join(dir, dirent.name);
        const info = await lstat(full);
        const type = typeOf(info);
        entries.push({ path: relative(root, full), type, size: type === 'file' ? info.size : 0 });
        if (entries.length >= limit) return { path: root, entries, truncated: true };
        if (input.recursive && type === 'directory') queue.push(full);
      }
    }
  } catch (error) {
    throw fsError(error, input.path, 'list');
  }
  entries.sort((a, b) => a.path.localeCompare(b.path));
  return { path: root, entries, truncated: false };
}

/**
 * Files matching picomatch patterns below `cwd` (the workspace by default), as paths relative to
 * it. Directories are walked without following symlinks, so a link cannot lead the walk outside.
 */
export async function globFiles(
  guard: PathGuard,
  input: { patterns: string | string[]; cwd?: string; ignore?: string[]; dot?: boolean; limit?: number; directories?: boolean },
): Promise<{ cwd: string; files: string[]; truncated: boolean }> {
  const cwd = guard.read(input.cwd ?? guard.workspace);
  const patterns = Array.isArray(input.patterns) ? input.patterns : [input.patterns];
  if (patterns.length === 0) throw new SymphonyError('E_INPUT_INVALID', 'glob needs at least one pattern.', { details: { path: 'patterns' } });
  // `!pattern` entries exclude, as in .gitignore-style lists; picomatch alone would OR them.
  const positive = patterns.filter((p) => !p.startsWith('!'));
  const negative = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  if (positive.length === 0) throw new SymphonyError('E_INPUT_INVALID', 'glob needs at least one pattern that is not a negation.', { details: { path: 'patterns', patterns } });
  const include = picomatch(positive, { dot: input.dot ?? false });
  const exclude = negative.length > 0 ? picomatch(negative, { dot: true }) : () => false;
  const isMatch = (rel: string): boolean => include(rel) && !exclude(rel);
  const ignore = picomatch(input.ignore ?? DEFAULT_IGNORE, { dot: true });
  const limit = input.limit ?? 100_000;
  const files: string[] = [];
  const walk = async (dir: string): Promise<boolean> => {
    let dirents;
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === cwd) throw fsError(error, input.cwd ?? guard.workspace, 'glob in');
      return true; // an unreadable subdirectory is skipped, not fatal
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      const rel = relative(cwd, join(dir, dirent.name)).split(sep).join('/');
      if (ignore(rel) || ignore(`${rel}/`)) continue;
      if (dirent.isDirectory()) {
        if (input.directories && isMatch(rel)) files.push(rel);
        if (!(await walk(join(dir, dirent.name)))) return false;
      } else if ((dirent.isFile() || dirent.isSymbolicLink()) && isMatch(rel)) {
        files.push(rel);
      }
      if (files.length >= limit) return false;
    }
    return true;
  };
  const complete = await walk(cwd);
  return { cwd, files, truncated: !complete };
}

/** SHA-256 of a file of any size, streamed in 4 MiB chunks: memory stays flat. */
export async function hashFile(guard: PathGuard, input: { path: string; signal?: AbortSignal }): Promise<{ path: string; sha256: string; bytes: number }> {
  const path = guard.read(input.path);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    const stream = createReadStream(path, { highWaterMark: 4 * 1024 * 1024, ...(input.signal ? { signal: input.signal } : {}) });
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (error) {
    throw fsError(error, input.path, 'hash');
  }
  return { path, sha256: hash.digest('hex'), bytes };
}

/**
 * Size and line count of many files (each streamed), for rankings such as "largest files":
 * the files named in `paths`, or those matching `patterns` (as `globFiles`).
 */
export async function measureFiles(
  guard: PathGuard,
  input: { paths?: string[]; patterns?: string | string[]; cwd?: string; ignore?: string[]; limit?: number; signal?: AbortSignal },
): Promise<{ files: Array<{ path: string; bytes: number; lines: number }> }> {
  let base = guard.workspace;
  let paths = input.paths;
  if (!paths) {
    if (input.patterns === undefined) throw new SymphonyError('E_INPUT_INVALID', 'measure needs `paths` or `patterns`.', { details: { path: 'paths' } });
    const found = await globFiles(guard, { patterns: input.patterns, ...(input.cwd ? { cwd: input.cwd } : {}), ...(input.ignore ? { ignore: input.ignore } : {}), limit: input.limit ?? 100_000 });
    base = found.cwd;
    paths = found.files;
  }
  const files: Array<{ path: string; bytes: number; lines: number }> = [];
  for (const path of paths) {
    const real = guard.read(isAbsolute(path) ? path : `${base}/${path}`);
    let bytes = 0;
    let lines = 0;
    let last = 10;
    try {
      for await (const chunk of createReadStream(real, { highWaterMark: 1024 * 1024, ...(input.signal ? { signal: input.signal } : {}) })) {
        const buffer = chunk as Buffer;
        bytes += buffer.length;
        for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) lines++;
        last = buffer[buffer.length - 1]!;
      }
    } catch (error) {
      throw fsError(error, path, 'measure');
    }
    // A last line without a newline still counts.
    if (bytes > 0 && last !== 10) lines++;
    files.push({ path, bytes, lines });
  }
  return { files };
}
