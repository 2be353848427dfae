/**
 * The shared durable ledger: ONE LMDB environment for every Pit plugin, offered as the kernel
 * service `pit.ledger`, so a step's completion, its output artifact and its checkpoint commit in
 * one write transaction. Typed structurally here so `@symphony/types` does not depend on lmdb:
 * consumers that need lmdb's own types instantiate the generics with `RootDatabase`/`Database`.
 */
export interface LedgerDbOptions {
  encoding?: 'msgpack' | 'json' | 'string' | 'binary' | 'ordered-binary';
  keyEncoding?: 'ordered-binary' | 'uint32' | 'binary';
  dupSort?: boolean;
}

export interface LedgerService<Root = unknown, Db = unknown> {
  /** Directory of the LMDB environment. */
  readonly path: string;
  /** lmdb's RootDatabase. */
  readonly root: Root;
  /** A named sub-database, opened once and cached: `<plugin>.<name>` by convention. */
  db(name: string, options?: LedgerDbOptions): Db;
  /** One write transaction: everything written inside commits together or not at all. */
  transaction<T>(fn: () => T): Promise<T>;
  /** Like `transaction`, committed before returning (one durable commit each: use sparingly). */
  transactionSync<T>(fn: () => T): T;
}
