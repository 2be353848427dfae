import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SymphonyError, isSymphonyError } from '@symphony/types';

/** Write to a sibling temp file, then rename: readers see the old file or the new one, never half. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw ioError(error, path);
  }
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(error, path);
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new SymphonyError('E_REGISTRY_CORRUPT', `${path} is not valid JSON; restore it from a backup or remove the package folder`, { details: { path }, cause });
  }
}

/** A file-system failure as a coded error naming the path (disk full, permissions, ...). */
export function ioError(error: unknown, path: string): SymphonyError {
  if (isSymphonyError(error)) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
  return new SymphonyError('E_IO', `${code} on ${path}: ${(error as Error).message}`, { details: { path, errno: code }, cause: error });
}

/** Serialises async work per key, so two publishes of one package never interleave their writes. */
export function createKeyedQueue(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}
