import type { LedgerService, Logger } from '@symphony/types';

/**
 * Orders the tracker's ledger writes. Fire-and-forget checkpoints (step started, skipped,
 * retrying: a lost one only means an attempt goes uncounted) are queued and written together in
 * one transaction per tick; `now` flushes that queue before its own transaction, so every write
 * reaches the ledger in the order it was made.
 */
export class WriteQueue {
  private queued: Array<() => void> = [];
  private failed: Array<(err: unknown) => void> = [];

  constructor(
    private readonly ledger: LedgerService,
    private readonly logger: Logger,
  ) {}

  /** Queues a write; `onFail` hears if the transaction that carries it fails (a full disk, say). */
  later(write: () => void, onFail?: (err: unknown) => void): void {
    if (this.queued.length === 0) queueMicrotask(() => this.flush());
    this.queued.push(write);
    if (onFail) this.failed.push(onFail);
  }

  now<T>(fn: () => T): Promise<T> {
    this.flush();
    return this.ledger.transaction(fn);
  }

  private flush(): void {
    if (this.queued.length === 0) return;
    const writes = this.queued;
    const failed = this.failed;
    this.queued = [];
    this.failed = [];
    this.ledger
      .transaction(() => writes.forEach((write) => write()))
      .catch((err: unknown) => {
        if (failed.length === 0) this.logger.error({ err }, 'pit.dag: a checkpoint write failed');
        for (const onFail of failed) onFail(err);
      });
  }
}
