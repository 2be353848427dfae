/**
 * The shared durable ledger: ONE LMDB environment for every Pit plugin, offered as the kernel
 * service `pit.ledger` (plugin `ledgerPlugin` in `@symphony/pit-artifacts`), so a step's
 * completion, its output artifact and its checkpoint commit in one write transaction.
 * Typed structurally here so `@symphony/types` does not depend on lmdb: consumers that need
 * lmdb's own types instantiate the generics with lmdb's `RootDatabase`/`Database`.
 *
 * How a plugin uses it:
 *
 *   const ledger = ctx.service<LedgerService<RootDatabase, Database>>('pit.ledger');
 *   const runs = ledger.db('stale.items');            // `<plugin>.<name>`, opened once, cached
 *   await ledger.transaction(() => {                   // ONE atomic write transaction
 *     runs.put(key, value);                            // writes inside are synchronous
 *     artifacts.writeInTransaction(name, data, meta);  // other plugins join the same transaction
 *   });                                                // resolves after the (group) commit
 *
 * Rules: the callback is synchronous (never `await` inside it: the single LMDB writer would be
 * held); never hold a read transaction across an `await` (plain `db.get` / a fully consumed
 * `getRange` are fine). Transactions issued in the same event turn share one durable commit
 * (group commit), so a per-step transaction costs microseconds, not a disk flush each.
 */
export interface LedgerDbOptions {
  /** Value encoding; lmdb's default is msgpack. */
  encoding?: 'msgpack' | 'json' | 'string' | 'binary' | 'ordered-binary';
  keyEncoding?: 'ordered-binary' | 'uint32' | 'binary';
  dupSort?: boolean;
  /**
   * msgpack only: `false` writes objects as plain msgpack maps (decoded as objects) instead of
   * msgpackr records with an inline definition; faster for one-off shapes. Either reads both.
   */
  useRecords?: false;
}

export interface LedgerStats {
  path: string;
  /** Current map size in bytes (lmdb grows it when a transaction needs more pages). */
  mapSize: number;
  /** Sub-databases opened in this process. */
  databases: string[];
  /** Write transactions issued through `transaction`/`transactionSync` in this process. */
  transactions: number;
}

export interface LedgerService<Root = unknown, Db = unknown> {
  /** Directory of the LMDB environment. */
  readonly path: string;
  /** lmdb's RootDatabase (escape hatch; prefer `db` and `transaction`). */
  readonly root: Root;
  /**
   * A named sub-database, opened once and cached: `<plugin>.<name>` by convention
   * (`artifacts.versions`, `dag.steps`, `stale.items`). Opening the same name with different
   * options throws `E_CONFLICT`.
   */
  db(name: string, options?: LedgerDbOptions): Db;
  /**
   * One write transaction: everything `fn` writes, in any plugin's sub-database, commits together
   * or not at all; a throw rolls back `fn`'s writes only and rejects with the error. `fn` runs
   * synchronously inside lmdb's batched writer, so calls made in the same event turn share one
   * commit; the promise resolves after that commit (visible to readers, safe from a killed
   * process; `flushed()` adds safety from power loss). Called from inside another
   * transaction's `fn`, it joins that transaction (as a nested, separately abortable part).
   */
  transaction<T>(fn: () => T): Promise<T>;
  /** Like `transaction`, committed (one durable commit) before returning: use sparingly. */
  transactionSync<T>(fn: () => T): T;
  /** True while a `transaction`/`transactionSync` callback runs: writes go into it. */
  inTransaction(): boolean;
  /** Resolves once everything written so far is committed and flushed to disk. */
  flushed(): Promise<void>;
  stats(): LedgerStats;
}
