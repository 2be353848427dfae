import { toSymphonyError, type LedgerService, type Logger } from '@symphony/types/core';

interface Pending {
  fn: () => unknown;
  resolve?: (value: unknown) => void;
  reject?: (err: unknown) => void;
  onFail?: (err: unknown) => void;
  /** A keyed write is dropped when a later write of the same key joins the same batch. */
  key?: string;
}

/**
 * Group commit for the tracker's ledger writes. Everything written in one event turn, awaited
 * completions (`now`) and fire-and-forget checkpoints (`later`: step started, skipped, retrying)
 * alike, goes into ONE ledger transaction, in the order it was made: one commit (one fsync) per
 * turn, however many steps finished in it. A write that throws rejects its own promise only (it
 * must throw before it writes: the tracker's fence check does); if the commit itself fails, every
 * write in it hears the error.
 */
export class WriteQueue {
  private queued: Pending[] = [];
  /** Keyed writes of the batch being gathered, by key. */
  private keyed = new Map<string, Pending>();
  /**
   * The batch whose writes are running right now (inside its transaction callback), else -1: a
   * check done once per batch (a run's lease) is valid only within that same transaction.
   */
  current = -1;
  private batches = 0;

  /** The id the batch being gathered will have when it is flushed (writes queued now go into it). */
  get gathering(): number {
    return this.batches + 1;
  }

  constructor(
    private readonly ledger: LedgerService,
    private readonly logger: Logger,
  ) {}

  /**
   * Queues a write; `onFail` hears if the transaction that carries it fails (a full disk, say).
   * With a `key`, the write is superseded (not made) if `supersede(key)` is called before this
   * batch is flushed: the later write of the same record goes into the same transaction, so the
   * earlier one could never be seen (a step's `running` record when it completes in the same turn).
   */
  later(write: () => void, onFail?: (err: unknown) => void, key?: string): void {
    const item: Pending = { fn: write, ...(onFail ? { onFail } : {}) };
    if (key !== undefined) {
      item.key = key;
      this.keyed.set(key, item);
    }
    this.push(item);
  }

  /** Drops the queued, not yet flushed keyed write of `key` (a write of the same record follows in this batch). */
  supersede(key: string): void {
    const item = this.keyed.get(key);
    if (!item) return;
    this.keyed.delete(key);
    item.fn = noop;
  }

  /** Queues `fn` into this turn's transaction; resolves with its result once that commit is durable. */
  now<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => this.push({ fn, resolve: resolve as (value: unknown) => void, reject }));
  }

  private push(item: Pending): void {
    if (this.queued.length === 0) queueMicrotask(() => this.flush());
    this.queued.push(item);
  }

  private flush(): void {
    if (this.queued.length === 0) return;
    const items = this.queued;
    this.queued = [];
    if (this.keyed.size > 0) this.keyed = new Map();
    const id = ++this.batches;
    const results: Array<{ ok: boolean; value: unknown }> = new Array(items.length);
    this.ledger
      .transaction(() => {
        this.current = id;
        try {
          this.runAll(items, results);
        } finally {
          this.current = -1;
        }
      })
      .then(
        () => {
          for (let k = 0; k < items.length; k++) {
            const item = items[k] as Pending;
            const r = results[k] as { ok: boolean; value: unknown };
            if (r.ok) item.resolve?.(r.value);
            else if (item.reject) item.reject(r.value);
            else this.logger.error({ err: r.value }, 'pit.dag: a checkpoint write failed');
          }
        },
        (err: unknown) => {
          const error = toSymphonyError(err);
          let told = false;
          for (const item of items) {
            if (item.reject) (item.reject(error), (told = true));
            if (item.onFail) (item.onFail(error), (told = true));
          }
          if (!told) this.logger.error({ err: error }, 'pit.dag: a checkpoint write failed');
        },
      );
  }

  private runAll(items: Pending[], results: Array<{ ok: boolean; value: unknown }>): void {
    for (let k = 0; k < items.length; k++) {
      try {
        results[k] = { ok: true, value: (items[k] as Pending).fn() };
      } catch (err) {
        results[k] = { ok: false, value: err };
      }
    }
  }
}

function noop(): void {}
