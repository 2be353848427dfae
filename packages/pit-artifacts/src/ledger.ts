import { mkdirSync, statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { SymphonyError, type LedgerDbOptions, type LedgerService, type LedgerStats } from '@symphony/types/core';

export type LmdbLedger = LedgerService<RootDatabase, Database>;

/** How many transaction callbacks threw (their writes rolled back) or commits failed, per ledger. */
const aborts = new WeakMap<object, { n: number }>();

/**
 * Internal: a counter that moves whenever writes of this ledger may have been rolled back, so a
 * cache of "what I wrote" can tell whether it may still trust an entry made before.
 */
export function abortCount(ledger: LmdbLedger): number {
  return aborts.get(ledger)?.n ?? 0;
}

export interface LedgerOptions {
  /** Directory of the LMDB environment (created if missing). */
  path: string;
  /**
   * Initial map size in bytes. lmdb 3.x grows the map in place whenever a transaction needs
   * pages beyond it (its patched `mdb_page_alloc` resizes instead of returning MDB_MAP_FULL),
   * so this is a starting point, not a cap. Default 64 MiB.
   */
  mapSize?: number;
  /** Sub-databases the environment can hold (every plugin's together). Default 128. */
  maxDbs?: number;
  /**
   * Skip fsync (tests and benchmarks only): commits survive a killed process (the OS keeps the
   * pages) but not a power loss.
   */
  noSync?: boolean;
  /**
   * Open for reading only (a store on a read-only disk, or one you may not write): every write
   * transaction fails with `E_LEDGER_READONLY`. Default false.
   */
  readOnly?: boolean;
}

/**
 * Opens the shared LMDB environment. One per process per path: every Pit plugin gets it from
 * the `pit.ledger` service rather than opening its own.
 */
export function openLedger(options: LedgerOptions): LmdbLedger {
  const path = resolve(options.path);
  const readOnly = options.readOnly === true;
  if (!readOnly) mkdirSync(path, { recursive: true });
  let root: RootDatabase;
  try {
    root = open({
      path,
      mapSize: options.mapSize ?? 64 * 1024 * 1024,
      maxDbs: options.maxDbs ?? 128,
      noSync: options.noSync ?? false,
      ...(readOnly ? { readOnly: true } : {}),
    });
  } catch (cause) {
    throw new SymphonyError('E_LEDGER_OPEN', `cannot open the ledger at ${path}: ${(cause as Error).message}`, {
      details: { path },
      cause,
    });
  }
  const dbs = new Map<string, { db: Database; key: string }>();
  const aborted = { n: 0 };
  let depth = 0;
  let transactions = 0;
  let watchingCommit = false;
  // After a commit fails for want of space, lmdb may leave later batches unsettled: every
  // transaction still waiting is failed with the same error, and new ones fail at once for a
  // moment (until space may have been freed).
  const waiting = new Set<(err: unknown) => void>();
  let fullUntil = 0;
  let fullError: SymphonyError | undefined;
  const onFailure = (err: unknown): void => {
    if (!(err instanceof SymphonyError) || err.code !== 'E_LEDGER_FULL') return;
    fullError = err;
    fullUntil = Date.now() + 2_000;
    for (const reject of [...waiting]) reject(err);
    waiting.clear();
  };

  // Errors thrown by callers' own callbacks pass through untouched; anything else is lmdb's.
  const fromCallback = new WeakSet<object>();
  function run<T>(fn: () => T): T {
    depth++;
    try {
      const result = fn();
      // An async callback would hold LMDB's single writer across awaits: refuse it (its writes roll back).
      if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
        (result as Promise<unknown>).catch(() => {});
        throw new SymphonyError('E_LEDGER_ASYNC_CALLBACK', `a ledger transaction callback returned a promise: it must be synchronous (ledger ${path})`, {
          details: { path },
        });
      }
      return result;
    } catch (err) {
      aborted.n++;
      if (typeof err === 'object' && err !== null) fromCallback.add(err);
      throw err;
    } finally {
      depth--;
    }
  }
  const wrap = (err: unknown): unknown =>
    typeof err === 'object' && err !== null && fromCallback.has(err) ? err : wrapLmdbError(err, path, root);

  const ledger: LmdbLedger = {
    path,
    root,
    db(name, dbOptions: LedgerDbOptions = {}) {
      const key = JSON.stringify(dbOptions);
      const open = dbs.get(name);
      if (open) {
        if (open.key !== key) {
          throw new SymphonyError('E_CONFLICT', `sub-database "${name}" is already open with other options`, {
            details: { name, open: open.key, requested: key },
          });
        }
        return open.db;
      }
      if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) {
        throw new SymphonyError('E_INPUT_INVALID', `sub-database name "${name}" must match ^[A-Za-z0-9_.-]{1,100}$`, {
          details: { name },
        });
      }
      const db = root.openDB({ name, ...dbOptions } as { name: string });
      dbs.set(name, { db, key });
      return db;
    },
    transaction(fn) {
      transactions++;
      if (fullError && Date.now() < fullUntil) return Promise.reject(fullError);
      // childTransaction: an abortable part of lmdb's batched write, so a throw undoes only fn's
      // writes, and every callback queued in this event turn shares one durable commit.
      try {
        const result = root.childTransaction(() => run(fn));
        // lmdb keeps a promise of its own per batch commit that nobody awaits; when a commit fails
        // (a full disk) it would be an unhandled rejection. Our callers hear the failure through
        // their own promises, so handle lmdb's once per batch (it exists once this turn is over,
        // after lmdb's own immediate, queued by the call above).
        if (!watchingCommit) {
          watchingCommit = true;
          setImmediate(() => {
            watchingCommit = false;
            (root.committed as PromiseLike<unknown>).then(undefined, () => {});
          });
        }
        return new Promise((resolve, reject) => {
          waiting.add(reject);
          Promise.resolve(result as never).then(
            (value) => {
              waiting.delete(reject);
              resolve(value);
            },
            (err: unknown) => {
              waiting.delete(reject);
              aborted.n++;
              const wrapped = wrap(err);
              reject(wrapped);
              onFailure(wrapped);
            },
          );
        });
      } catch (err) {
        aborted.n++;
        return Promise.reject(wrap(err));
      }
    },
    transactionSync(fn) {
      transactions++;
      try {
        return root.transactionSync(() => run(fn));
      } catch (err) {
        aborted.n++;
        throw wrap(err);
      }
    },
    inTransaction: () => depth > 0,
    flushed: () => Promise.resolve(root.flushed).then(() => undefined),
    stats(): LedgerStats {
      const stats = root.getStats() as { mapSize?: number };
      return { path, mapSize: stats.mapSize ?? 0, databases: [...dbs.keys()], transactions };
    },
  };
  aborts.set(ledger, aborted);
  return ledger;
}

/** Closes the environment after pending writes commit. */
export async function closeLedger(ledger: LmdbLedger): Promise<void> {
  await ledger.root.close();
}

/** Bytes free on the file system of `path`, or undefined when it cannot be asked. */
function freeBytes(path: string): number | undefined {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** Below this many free bytes a failed commit is a full disk (LMDB writes whole pages and grows its file by chunks). */
const FULL_BELOW = 8 * 1024 * 1024;

/** lmdb's own failures as coded errors. MDB_MAP_FULL only arrives when lmdb could not grow the map. */
function wrapLmdbError(err: unknown, path: string, root: RootDatabase): SymphonyError {
  if (err instanceof SymphonyError) return err;
  // lmdb hangs the real cause on a promise of its own: never leave it unhandled.
  const commitError = (err as { commitError?: Promise<unknown> } | undefined)?.commitError;
  if (commitError && typeof commitError.catch === 'function') commitError.catch(() => {});
  const message = (err as Error)?.message ?? String(err);
  const code = (err as { code?: unknown })?.code;
  const free = freeBytes(path);
  if (/ENOSPC|No space left|MDB_MAP_RESIZED|mdb_page_spill/i.test(message) || code === 28 || code === 'ENOSPC' || (/Commit failed|Input\/output error/.test(message) && free !== undefined && free < FULL_BELOW)) {
    return new SymphonyError('E_LEDGER_FULL', `the disk holding the ledger at ${path} is full${free === undefined ? '' : ` (${free} bytes free)`}: free space, then resume the run`, {
      details: { path, ...(free === undefined ? {} : { freeBytes: free }) },
      cause: err,
    });
  }
  if (message.includes('MDB_MAP_FULL')) {
    const mapSize = (root.getStats() as { mapSize?: number }).mapSize;
    return new SymphonyError('E_LEDGER_FULL', `the ledger at ${path} could not grow its map (${mapSize} bytes): free disk space`, {
      details: { path, mapSize },
      cause: err,
    });
  }
  if (/read-only|EACCES|MDB_READONLY|Permission denied|EROFS/i.test(message)) {
    return new SymphonyError('E_LEDGER_READONLY', `the ledger at ${path} is open read-only: it cannot be written`, { details: { path }, cause: err });
  }
  if (/closed/i.test(message)) {
    return new SymphonyError('E_LEDGER_CLOSED', `the ledger at ${path} is closed`, { details: { path }, cause: err });
  }
  return new SymphonyError('E_LEDGER_WRITE', `a write to the ledger at ${path} failed: ${message}`, { details: { path }, cause: err });
}
