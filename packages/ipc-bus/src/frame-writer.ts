import type { TransferListItem } from 'node:worker_threads';
import type { BusEndpoint } from './endpoint.js';
import type { Message } from './protocol.js';

/**
 * Queues messages and posts everything queued in the same tick as one frame, so 64 pipelined
 * calls cost one postMessage instead of 64. If the frame cannot be sent whole (a value that
 * cannot be cloned), the messages are sent one by one and only the bad ones are reported.
 */
export class FrameWriter {
  private queue: Message[] = [];
  private transfer: TransferListItem[] | undefined;
  private scheduled = false;

  constructor(
    private readonly endpoint: BusEndpoint,
    private readonly onUnsendable: (message: Message, error: Error) => void,
  ) {}

  push(message: Message, transfer?: readonly TransferListItem[]): void {
    this.queue.push(message);
    if (transfer && transfer.length > 0) {
      if (this.endpoint.transfers) (this.transfer ??= []).push(...transfer);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  readonly flush = (): void => {
    this.scheduled = false;
    const frame = this.queue;
    if (frame.length === 0) return;
    const transfer = this.transfer;
    this.queue = [];
    this.transfer = undefined;
    try {
      this.endpoint.postMessage(frame, transfer);
    } catch (error) {
      if (frame.length === 1 || transfer) {
        // Transfers cannot be split per message reliably: report the whole frame.
        for (const message of frame) this.onUnsendable(message, error as Error);
        return;
      }
      for (const message of frame) {
        try {
          this.endpoint.postMessage([message]);
        } catch (err) {
          this.onUnsendable(message, err as Error);
        }
      }
    }
  };
}
