import type { TransferListItem } from 'node:worker_threads';
import type { MessagePort, Worker } from 'node:worker_threads';
import { EndpointBase, type BusEndpoint } from '../endpoint.js';

/**
 * A `worker_threads` Worker (host side) or MessagePort (`parentPort` inside the worker, or one end
 * of a MessageChannel) as a bus endpoint. ArrayBuffers in a transfer list move without a copy.
 */
export function workerEndpoint(target: Worker | MessagePort): BusEndpoint {
  return new WorkerEndpoint(target);
}

class WorkerEndpoint extends EndpointBase implements BusEndpoint {
  readonly transfers = true;

  constructor(private readonly target: Worker | MessagePort) {
    super();
    target.on('message', (data: unknown) => this.dispatch(data));
    // A Worker reports its end with 'exit'; a MessagePort with 'close'.
    // 'error' (an uncaught exception, ERR_WORKER_OUT_OF_MEMORY) comes just before 'exit'.
    target.on('exit', (exitCode: number) => this.markClosed({ reason: 'exit', exitCode, ...(this.lastError ? { error: this.lastError } : {}) }));
    target.on('close', () => this.markClosed({ reason: 'closed' }));
    target.on('error', (error: Error) => this.lastError = error);
  }

  private lastError: Error | undefined;

  postMessage(message: unknown, transfer?: readonly TransferListItem[]): void {
    if (this.closed) return;
    (this.target as MessagePort).postMessage(message, transfer as any);
  }

  close(): void {
    this.markClosed({ reason: 'closed', ...(this.lastError ? { error: this.lastError } : {}) });
  }
}
