import { getAt, touchedPaths, type Json, type JsonPatchOp } from './json-patch.js';
import { parsePointer, pointersOverlap } from './pointer.js';

export type PathListener = (value: Json | undefined, revision: number) => void;

/**
 * Listeners by JSON Pointer. A change notifies a listener when the changed path and the
 * subscribed one overlap (either is a prefix of the other): a change inside `/runs/r1` reaches
 * `/runs`, and replacing `/runs` reaches `/runs/r1/status`.
 */
export class PathSubscriptions {
  private readonly entries = new Set<{ path: string[]; listener: PathListener }>();

  add(pointer: string, listener: PathListener): () => void {
    const entry = { path: parsePointer(pointer), listener };
    this.entries.add(entry);
    return () => { this.entries.delete(entry); };
  }

  /** `ops` undefined means everything may have changed (a snapshot). */
  notify(state: Json, revision: number, ops?: readonly JsonPatchOp[]): void {
    if (this.entries.size === 0) return;
    const touched = ops?.flatMap(touchedPaths);
    for (const entry of [...this.entries]) {
      if (touched && !touched.some((t) => pointersOverlap(t, entry.path))) continue;
      let value: Json | undefined;
      try { value = getAt(state, entry.path); } catch { value = undefined; }
      entry.listener(value, revision);
    }
  }

  get size(): number { return this.entries.size; }
}
