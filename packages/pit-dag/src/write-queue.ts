import type { LedgerService, Logger } from '@symphony/types';

/**
 * Orders the tracker's ledger writes. Fire-and-forget checkpoints (step started, skipped,
 * retrying: a lost one only means an attempt goes uncounted) are queued and written together in
 * one transaction per tick; `now` flushes that queue before its own transaction, so every write
 * reaches the ledger in the order it was made.
 */
export class WriteQueue {
  private queued: Array<() => void> = [];

  constructor(
    private readonly ledger: LedgerService,
    private readonly logger: Logger,
  ) {}

  later(write: () => void): void {
    if (this.queued.length === 0) queueMicrotask(() => this.flush());
    this.queued.push(write);
  }

  now<T>(fn: () => T): Promise<T> {
    this.flush();
    return this.ledger.transaction(fn);
  }

  private flush(): void {
    if (this.queued.length === 0) return;
    const writes = this.queued;
    this.queued = [];
    this.ledger
      .transaction(() => writes.forEach((write) => write()))
      .catch((err: unknown) => this.logger.error({ err }, 'pit.dag: a checkpoint write failed'));
  }
}
