import type { Json, JsonPatchOp } from './json-patch.js';

/** One committed change: the ops that took the store from `revision - 1` to `revision`. */
export interface Change {
  revision: number;
  ops: JsonPatchOp[];
}

export interface Snapshot {
  revision: number;
  state: Json;
}

/** Where a store keeps itself across restarts (`openLmdbPersistence`, or your own). */
export interface StatePersistence {
  /** The latest snapshot plus every change after it, or undefined for a new store. */
  load(): Promise<{ snapshot: Snapshot; changes: Change[] } | undefined>;
  /** Records a change (writes may be batched; `flush` waits for them). */
  append(change: Change): void;
  /** Records a snapshot and drops the changes it covers. */
  compact(snapshot: Snapshot): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}
