import { stateError } from './errors.js';
import { applyJsonPatch, type Json, type JsonPatchOp } from './json-patch.js';
import type { Change, Snapshot, StatePersistence } from './persistence.js';
import { PathSubscriptions, type PathListener } from './subscriptions.js';

export interface StateStoreOptions {
  /** The document of a new store (ignored when persistence has one). Default `{}`. */
  initial?: Json;
  /** Changes kept in memory for catching up clients; older ones are compacted away. Default 1000. */
  historyLimit?: number;
  /** Persist a snapshot (and drop the log it covers) every this many changes. Default 500. */
  snapshotEvery?: number;
  persistence?: StatePersistence;
}

export interface StateStore {
  readonly revision: number;
  readonly state: Json;
  snapshot(): Snapshot;
  /**
   * Applies ops atomically as one new revision. With `baseRevision`, refuses with
   * `E_STATE_CONFLICT` unless it is the current revision (optimistic concurrency).
   */
  apply(ops: readonly JsonPatchOp[], options?: { baseRevision?: number }): Change;
  /** Shorthands: `add`/`replace` and `remove` at a pointer. */
  set(pointer: string, value: Json): Change;
  remove(pointer: string): Change;
  /** Changes after `revision`, or undefined when they were compacted away (resync from a snapshot). */
  changesSince(revision: number): Change[] | undefined;
  subscribe(pointer: string, listener: PathListener): () => void;
  /** Every committed change, in order (what a sync server broadcasts). */
  onChange(listener: (change: Change) => void): () => void;
  /** Changes held in memory for catch-up: at most 1.25 × `historyLimit` (trimmed in chunks). */
  readonly historySize: number;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Opens a store, loading it from persistence when given (snapshot + replay of the log after it). */
export async function openStateStore(options: StateStoreOptions = {}): Promise<StateStore> {
  let revision = 0;
  let state: Json = options.initial ?? {};
  const loaded = await options.persistence?.load();
  if (loaded) {
    revision = loaded.snapshot.revision;
    state = loaded.snapshot.state;
    for (const change of loaded.changes) {
      if (change.revision !== revision + 1) {
        throw stateError('E_STATE_PERSISTENCE', `Persisted log jumps from revision ${revision} to ${change.revision}`, { revision, next: change.revision });
      }
      state = applyJsonPatch(state, change.ops);
      revision = change.revision;
    }
  } else {
    // The first snapshot, so a log replayed after a crash starts from `initial`, not from `{}`.
    options.persistence?.compact({ revision, state });
  }
  return createStore(state, revision, options);
}

function createStore(initialState: Json, initialRevision: number, options: StateStoreOptions): StateStore {
  const historyLimit = options.historyLimit ?? 1000;
  const snapshotEvery = options.snapshotEvery ?? 500;
  const persistence = options.persistence;
  let state = initialState;
  let revision = initialRevision;
  let sinceSnapshot = 0;
  let closed = false;
  // A ring would avoid the shift, but compaction drops in chunks so the cost stays amortised.
  let history: Change[] = [];
  const subs = new PathSubscriptions();
  const changeListeners = new Set<(change: Change) => void>();

  const store: StateStore = {
    get revision() { return revision; },
    get state() { return state; },
    snapshot: () => ({ revision, state }),
    apply(ops, opts = {}) {
      if (closed) throw stateError('E_STATE_CLOSED', 'The state store is closed');
      if (opts.baseRevision !== undefined && opts.baseRevision !== revision) {
        throw stateError('E_STATE_CONFLICT', `Update based on revision ${opts.baseRevision}, but the store is at ${revision}`, {
          baseRevision: opts.baseRevision, revision,
        });
      }
      const next = applyJsonPatch(state, ops);
      const change: Change = { revision: revision + 1, ops: ops.slice() };
      state = next;
      revision = change.revision;
      history.push(change);
      if (history.length > historyLimit * 1.25) history = history.slice(history.length - historyLimit);
      persistence?.append(change);
      if (persistence && ++sinceSnapshot >= snapshotEvery) {
        sinceSnapshot = 0;
        persistence.compact({ revision, state });
      }
      subs.notify(state, revision, change.ops);
      for (const l of changeListeners) l(change);
      return change;
    },
    set(pointer, value) {
      return store.apply([{ op: 'add', path: pointer, value }]);
    },
    remove(pointer) {
      return store.apply([{ op: 'remove', path: pointer }]);
    },
    changesSince(since) {
      if (since === revision) return [];
      if (since > revision || since < 0) return undefined;
      const first = history[0];
      if (!first || first.revision > since + 1) return undefined;
      return history.slice(since + 1 - first.revision);
    },
    subscribe: (pointer, listener) => subs.add(pointer, listener),
    onChange(listener) {
      changeListeners.add(listener);
      return () => { changeListeners.delete(listener); };
    },
    get historySize() { return history.length; },
    flush: async () => { await persistence?.flush(); },
    async close() {
      if (closed) return;
      closed = true;
      if (persistence) {
        persistence.compact({ revision, state });
        await persistence.close();
      }
    },
  };
  return store;
}
