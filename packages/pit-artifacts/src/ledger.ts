import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { SymphonyError, type LedgerDbOptions, type LedgerService, type LedgerStats } from '@symphony/types';

export type LmdbLedger = LedgerService<RootDatabase, Database>;

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
  let depth = 0;
  let transactions = 0;

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
      // childTransaction: an abortable part of lmdb's batched write, so a throw undoes only fn's
      // writes, and every callback queued in this event turn shares one durable commit.
      try {
        const result = root.childTransaction(() => run(fn));
        return Promise.resolve(result as never).catch((err: unknown) => {
          throw wrap(err);
        });
      } catch (err) {
        return Promise.reject(wrap(err));
      }
    },
    transactionSync(fn) {
      transactions++;
      try {
        return root.transactionSync(() => run(fn));
      } catch (err) {
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
  return ledger;
}

/** Closes the environment after pending writes commit. */
export async function closeLedger(ledger: LmdbLedger): Promise<void> {
  await ledger.root.close();
}

/** lmdb's own failures as coded errors. MDB_MAP_FULL only arrives when lmdb could not grow the map. */
function wrapLmdbError(err: unknown, path: string, root: RootDatabase): SymphonyError {
  if (err instanceof SymphonyError) return err;
  const message = (err as Error)?.message ?? String(err);
  if (message.includes('MDB_MAP_FULL')) {
    const mapSize = (root.getStats() as { mapSize?: number }).mapSize;
    return new SymphonyError('E_LEDGER_FULL', `the ledger at ${path} could not grow its map (${mapSize} bytes): free disk space`, {
      details: { path, mapSize },
      cause: err,
    });
  }
  if (/closed/i.test(message)) {
    return new SymphonyError('E_LEDGER_CLOSED', `the ledger at ${path} is closed`, { details: { path }, cause: err });
  }
  return new SymphonyError('E_LEDGER_WRITE', `a write to the ledger at ${path} failed: ${message}`, { details: { path }, cause: err });
}
