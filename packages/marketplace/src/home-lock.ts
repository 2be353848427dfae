import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SymphonyError, isSymphonyError } from '@symphony/types';

/**
 * One marketplace operation per home at a time, across processes: an exclusive lock file
 * holding the owner's pid. A lock left by a dead process (killed mid-install) is taken over.
 */
export async function withHomeLock<T>(root: string, work: () => Promise<T>, waitMs = 30_000): Promise<T> {
  await mkdir(root, { recursive: true });
  const file = join(root, 'lock');
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(file, 'utf8').catch(() => ''));
      if (!isAlive(owner)) {
        await rm(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new SymphonyError('E_LOCKED', `another marketplace operation (pid ${owner}) holds ${file}`, { details: { path: file, pid: owner } });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await work();
  } catch (error) {
    throw asSymphonyError(error);
  } finally {
    await rm(file, { force: true });
  }
}

/** File-system and network failures leave the marketplace as coded errors naming what failed. */
export function asSymphonyError(error: unknown): SymphonyError {
  if (isSymphonyError(error)) return error;
  const errno = (error as NodeJS.ErrnoException).code;
  const path = (error as NodeJS.ErrnoException).path;
  if (errno) return new SymphonyError('E_IO', `${errno}${path ? ` on ${path}` : ''}: ${(error as Error).message}`, { details: { errno, ...(path ? { path } : {}) }, cause: error });
  return new SymphonyError('E_INTERNAL', (error as Error)?.message ?? String(error), { cause: error });
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temp, path);
}
