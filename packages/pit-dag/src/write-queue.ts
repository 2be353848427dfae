import { toSymphonyError, type LedgerService, type Logger } from '@symphony/types/core';

interface Pending {
  fn: () => unknown;
  resolve?: (value: unknown) => void;
  reject?: (err: unknown) => void;
  onFail?: (err: unknown) => void;
  /** The batch it was queued into (see `gathering`). */
  batch: number;
}

/** A queued write that a later write of the same record may supersede (see `later`). */
export interface QueuedWrite {
  readonly batch: number;
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
   * The handle returned lets `supersede` drop it while its batch is still being gathered: a later
   * write of the same record goes into the same transaction, so this one could never be seen (a
   * step's `running` record when it completes in the same turn).
   */
  later(write: () => void, onFail?: (err: unknown) => void): QueuedWrite {
    const item: Pending = { fn: write, batch: this.batches + 1, ...(onFail ? { onFail } : {}) };
    this.push(item);
    return item;
  }

  /** Drops a queued write if its batch has not been flushed yet (else it is, or was, made). */
  supersede(handle: QueuedWrite | undefined): void {
    if (handle === undefined || handle.batch !== this.batches + 1) return;
    (handle as Pending).fn = noop;
  }

  /**
   * Queues `fn` into this turn's transaction; `ok` hears its result once that commit is durable,
   * `failed` hears its own error or the commit's (a promise-free `now`, for the hot path).
   */
  call(fn: () => unknown, ok: (value: unknown) => void, failed: (err: unknown) => void): void {
    this.push({ fn, resolve: ok, reject: failed, batch: this.batches + 1 });
  }

  /** Queues `fn` into this turn's transaction; resolves with its result once that commit is durable. */
  now<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => this.push({ fn, resolve: resolve as (value: unknown) => void, reject, batch: this.batches + 1 }));
  }

  private push(item: Pending): void {
    if (this.queued.length === 0) queueMicrotask(() => this.flush());
    this.queued.push(item);
  }

  private flush(): void {
    if (this.queued.length === 0) return;
    const items = this.queued;
    this.queued = [];
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
            try {
              if (r.ok) item.resolve?.(r.value);
              else if (item.reject) item.reject(r.value);
              else this.logger.error({ err: r.value }, 'pit.dag: a checkpoint write failed');
            } catch (err) {
              // A callback that throws (an event listener) must not keep the batch's other writes unanswered.
              this.logger.error({ err }, 'pit.dag: a commit callback threw');
            }
          }
        },
        (err: unknown) => {
          const error = toSymphonyError(err);
          let told = false;
          for (const item of items) {
            try {
              if (item.reject) (item.reject(error), (told = true));
              if (item.onFail) (item.onFail(error), (told = true));
            } catch (err) {
              this.logger.error({ err }, 'pit.dag: a commit callback threw');
            }
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
