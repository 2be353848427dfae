import { SymphonyError, type ErrorCode } from '@symphony/types';
import { applyJsonPatch, type Json, type JsonPatchOp } from './json-patch.js';
import type { SyncChannel, SyncClientMessage, SyncServerMessage } from './protocol.js';
import { PathSubscriptions, type PathListener } from './subscriptions.js';

export interface SyncClient {
  /** False until the first snapshot (or catch-up) arrived: render nothing from `state` before. */
  readonly hydrated: boolean;
  /** The server's state plus this client's pending optimistic updates. */
  readonly state: Json;
  /** The last revision confirmed by the server. */
  readonly revision: number;
  readonly pending: number;
  whenHydrated(): Promise<void>;
  /**
   * An optimistic update: shown at once, sent to the server; if refused (a conflict), it is
   * rolled back, the server's state arrives, and the returned promise rejects with the code.
   */
  propose(ops: JsonPatchOp[]): Promise<number>;
  subscribe(pointer: string, listener: PathListener): () => void;
  /** Any change to `state` (server patch, snapshot, optimistic update, rollback). */
  onChange(listener: (state: Json) => void): () => void;
  /** Asks the server for a snapshot (done on its own when a revision is missed). */
  resync(): void;
  /** Stats for tests and diagnostics. */
  readonly resyncs: number;
  close(): void;
}

interface Pending { id: string; ops: JsonPatchOp[]; resolve: (rev: number) => void; reject: (err: SymphonyError) => void }

export function createSyncClient(channel: SyncChannel<SyncServerMessage, SyncClientMessage>, options: { since?: { revision: number; state: Json } } = {}): SyncClient {
  let confirmed: Json = options.since?.state ?? null;
  let revision = options.since?.revision ?? 0;
  let view: Json = confirmed;
  let hydrated = false;
  let resyncs = 0;
  let nextId = 1;
  let awaitingSnapshot = false;
  const pending: Pending[] = [];
  const subs = new PathSubscriptions();
  const listeners = new Set<(state: Json) => void>();
  const hydratedWaiters: Array<() => void> = [];

  const recompute = (ops?: JsonPatchOp[]): void => {
    let next = confirmed;
    for (const p of pending) {
      try { next = applyJsonPatch(next, p.ops); } catch { /* the server will reject it; show the rest */ }
    }
    view = next;
    subs.notify(view, revision, ops);
    for (const l of listeners) l(view);
  };
  const markHydrated = (): void => {
    if (hydrated) return;
    hydrated = true;
    for (const w of hydratedWaiters.splice(0)) w();
  };
  const resync = (): void => {
    if (awaitingSnapshot) return;
    awaitingSnapshot = true;
    resyncs++;
    channel.send({ t: 'sync.resync' });
  };

  const off = channel.onMessage((message) => {
    switch (message.t) {
      case 'sync.snapshot':
        awaitingSnapshot = false;
        confirmed = message.state;
        revision = message.rev;
        markHydrated();
        recompute();
        break;
      case 'sync.patch': {
        // Our own proposal, committed: it leaves the pending list whether or not this patch is
        // applied (a snapshot that covers it may have come first, or be on its way).
        const mine = message.id === undefined ? -1 : pending.findIndex((p) => p.id === message.id);
        const [acked] = mine >= 0 ? pending.splice(mine, 1) : [];
        let applied = false;
        if (!awaitingSnapshot && message.rev > revision) {
          if (message.from !== revision) {
            resync(); // missed a revision
          } else {
            try {
              confirmed = applyJsonPatch(confirmed, message.ops);
              revision = message.rev;
              applied = true;
              markHydrated();
            } catch {
              resync();
            }
          }
        }
        // With proposals still pending the whole view may shift: notify every path then.
        if (applied || acked) recompute(pending.length ? undefined : message.ops);
        acked?.resolve(message.rev);
        break;
      }
      case 'sync.reject': {
        // Later proposals were built on top of the refused one: refuse them too.
        const i = pending.findIndex((p) => p.id === message.id);
        const dropped = i >= 0 ? pending.splice(i) : [];
        awaitingSnapshot = true; // the server sends its state right after a reject
        for (const p of dropped) p.reject(new SymphonyError(message.code as ErrorCode, message.message, { details: { id: p.id, revision: message.rev } }));
        recompute();
        break;
      }
    }
  });
  channel.send(options.since ? { t: 'sync.hello', since: options.since.revision } : { t: 'sync.hello' });

  return {
    get hydrated() { return hydrated; },
    get state() { return view; },
    get revision() { return revision; },
    get pending() { return pending.length; },
    get resyncs() { return resyncs; },
    whenHydrated: () => (hydrated ? Promise.resolve() : new Promise((resolve) => hydratedWaiters.push(resolve))),
    propose(ops) {
      const id = `p${nextId++}`;
      const base = revision + pending.length;
      return new Promise<number>((resolve, reject) => {
        pending.push({ id, ops, resolve, reject });
        recompute(ops);
        channel.send({ t: 'sync.propose', id, base, ops });
      });
    },
    resync,
    subscribe: (pointer, listener) => subs.add(pointer, listener),
    onChange(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    close() { off(); },
  };
}
