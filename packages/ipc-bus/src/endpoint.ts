import type { TransferListItem } from 'node:worker_threads';
/**
 * The one interface every transport implements. It is comlink's `Endpoint` (postMessage plus
 * message listeners), so `Comlink.wrap(endpoint)` / `Comlink.expose(api, endpoint)` work over
 * every transport, plus what comlink lacks: a close signal (so no call is left hanging when the
 * peer dies) and `close()`.
 */
export interface MessageEventLike {
  data: unknown;
}

export type MessageListener = (event: MessageEventLike) => void;

/** Why a connection ended: the peer exited (with its code or signal), or the transport broke. */
export interface CloseInfo {
  reason: 'exit' | 'error' | 'closed';
  exitCode?: number | null;
  signal?: string | null;
  error?: Error;
}

export interface BusEndpoint {
  postMessage(message: unknown, transfer?: readonly TransferListItem[]): void;
  addEventListener(type: 'message', listener: MessageListener): void;
  removeEventListener(type: 'message', listener: MessageListener): void;
  /** Called once when the connection ends for any reason; returns an unsubscribe. */
  onClose(listener: (info: CloseInfo) => void): () => void;
  /** Ends the connection (does not kill a process: the process manager does that). */
  close(): void;
  /** Whether transfer lists move ArrayBuffers without a copy on this transport. */
  readonly transfers: boolean;
}

/** Bookkeeping shared by the adapters: message listeners and a one-shot close notification. */
export class EndpointBase {
  protected readonly listeners = new Set<MessageListener>();
  private readonly closeListeners = new Set<(info: CloseInfo) => void>();
  private closedWith: CloseInfo | undefined;
  private readonly backlog: unknown[] = [];

  addEventListener(_type: 'message', listener: MessageListener): void {
    this.listeners.add(listener);
    // Messages that came before anyone listened (a fast peer's ready) go to the first listener.
    if (this.backlog.length > 0) {
      const held = this.backlog.splice(0);
      queueMicrotask(() => {
        for (const data of held) this.dispatch(data);
      });
    }
  }

  removeEventListener(_type: 'message', listener: MessageListener): void {
    this.listeners.delete(listener);
  }

  onClose(listener: (info: CloseInfo) => void): () => void {
    if (this.closedWith) {
      const info = this.closedWith;
      queueMicrotask(() => listener(info));
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  protected dispatch(data: unknown): void {
    if (this.closedWith) return;
    if (this.listeners.size === 0) {
      this.backlog.push(data);
      return;
    }
    const event = { data };
    for (const listener of this.listeners) listener(event);
  }

  protected markClosed(info: CloseInfo): void {
    if (this.closedWith) return;
    this.closedWith = info;
    for (const listener of this.closeListeners) listener(info);
    this.closeListeners.clear();
    this.listeners.clear();
  }
}
