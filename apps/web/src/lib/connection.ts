import { applyPatches, type Patch, type UiEvent, type VirtualNode } from '@symphony/vdom';
import { createSyncClient, isSyncMessage, type Json, type JsonPatchOp, type SyncClient, type SyncServerMessage } from '@symphony/state-sync/client';

/** Messages the host sends (README.md, "WebSocket protocol"). */
type ServerMessage =
  | SyncServerMessage
  | { t: 'view.snapshot'; view: string; rev: number; tree: VirtualNode }
  | { t: 'view.patch'; view: string; from: number; to: number; patches: Patch[] }
  | { t: 'view.error'; view: string; code: string; message: string; handler?: string }
  | { t: 'error'; code: string; message: string };

export interface ViewState {
  rev: number;
  tree: VirtualNode | undefined;
  error?: { code: string; message: string };
}

export type ConnectionStatus = 'connecting' | 'open' | 'closed';

/**
 * One WebSocket to the host, multiplexing vdom views (snapshot + patches, events back) and the
 * state-sync client. Reconnects with backoff; on reconnect views are re-opened and the state
 * client says hello again, so the UI resumes from fresh snapshots.
 */
export class Connection {
  status: ConnectionStatus = 'connecting';
  sync: SyncClient | undefined;
  private socket: WebSocket | undefined;
  private readonly views = new Map<string, ViewState>();
  private readonly opened = new Map<string, { extension: string; name: string }>();
  private readonly listeners = new Set<() => void>();
  private syncListeners = new Set<(m: SyncServerMessage) => void>();
  private retry = 0;
  private stopped = false;
  /** Stale-handler and other event errors, newest last (shown as a small notice, not an error storm). */
  notices: Array<{ code: string; message: string; at: number }> = [];

  constructor(private readonly url: string) {
    this.connect();
  }

  private connect(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    this.syncListeners = new Set();
    this.sync = createSyncClient({
      send: (m) => this.send(m),
      onMessage: (l) => { this.syncListeners.add(l); return () => this.syncListeners.delete(l); },
    });
    this.sync.onChange(() => this.emit());
    socket.addEventListener('open', () => {
      this.retry = 0;
      this.status = 'open';
      for (const target of this.opened.values()) this.send({ t: 'view.open', ...target });
      this.emit();
    });
    socket.addEventListener('message', (event) => this.receive(JSON.parse(String(event.data)) as ServerMessage));
    socket.addEventListener('close', () => {
      this.status = 'closed';
      this.emit();
      if (this.stopped) return;
      const delay = Math.min(5000, 200 * 2 ** this.retry++);
      setTimeout(() => this.connect(), delay);
    });
  }

  private send(message: unknown): void {
    // Before `open`, queue by retrying shortly: the hello must not be lost.
    const socket = this.socket;
    if (!socket) return;
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    else if (socket.readyState === WebSocket.CONNECTING) socket.addEventListener('open', () => socket.send(JSON.stringify(message)), { once: true });
  }

  private receive(message: ServerMessage): void {
    if (isSyncMessage(message)) {
      for (const l of this.syncListeners) l(message as SyncServerMessage);
      return;
    }
    switch (message.t) {
      case 'view.snapshot':
        this.views.set(message.view, { rev: message.rev, tree: message.tree });
        break;
      case 'view.patch': {
        const current = this.views.get(message.view);
        if (!current?.tree || current.rev !== message.from) {
          // Missed a batch (or none yet): ask for the whole tree rather than guess.
          if (current?.tree) this.send({ t: 'view.resync', view: message.view });
          return;
        }
        // Patches for nodes that are already gone are dropped quietly (counted by the host).
        this.views.set(message.view, { rev: message.to, tree: applyPatches(current.tree, message.patches) });
        break;
      }
      case 'view.error': {
        const current = this.views.get(message.view);
        if (!current?.tree) this.views.set(message.view, { rev: 0, tree: undefined, error: { code: message.code, message: message.message } });
        this.notices = [...this.notices, { code: message.code, message: message.message, at: Date.now() }].slice(-5);
        break;
      }
      case 'error':
        this.notices = [...this.notices, { code: message.code, message: message.message, at: Date.now() }].slice(-5);
        break;
    }
    this.emit();
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  openView(extension: string, name: string): string {
    const view = `${extension}:${name}`;
    if (!this.opened.has(view)) {
      this.opened.set(view, { extension, name });
      // Not yet open: the `open` handler sends every view.open, once.
      if (this.socket?.readyState === WebSocket.OPEN) this.send({ t: 'view.open', extension, name });
    }
    return view;
  }

  clearNotices(): void {
    if (this.notices.length === 0) return;
    this.notices = [];
    this.emit();
  }

  view(view: string): ViewState | undefined {
    return this.views.get(view);
  }

  fire(view: string, handler: string, event: UiEvent): void {
    this.send({ t: 'view.event', view, handler, event });
  }

  state(): Json | undefined {
    return this.sync?.hydrated ? this.sync.state : undefined;
  }

  propose(ops: JsonPatchOp[]): Promise<number> {
    if (!this.sync) return Promise.reject(new Error('not connected'));
    return this.sync.propose(ops);
  }

  close(): void {
    this.stopped = true;
    this.socket?.close();
  }
}
