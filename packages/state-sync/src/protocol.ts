import type { Json, JsonPatchOp } from './json-patch.js';

/**
 * The sync protocol, as plain objects over any duplex channel (the app uses one WebSocket and
 * JSON). The server is authoritative: clients propose, the server decides and broadcasts.
 *
 * client -> server
 *   sync.hello   { since? }              start; with `since`, catch up by patches when history allows
 *   sync.propose { id, base, ops }       an optimistic update made on top of revision `base`
 *   sync.resync  {}                      "I missed something": send a snapshot
 * server -> client
 *   sync.snapshot { rev, state }         the whole document (on hello, resync, or after a reject)
 *   sync.patch    { from, rev, ops, id? } one committed change, revision `from` -> `rev` (= from + 1);
 *                                        to the client that proposed it, `id` names its proposal
 *                                        (that is the acknowledgement: no separate ack message)
 *   sync.reject   { id, code, message, rev }  your proposal was refused (e.g. E_STATE_CONFLICT);
 *                                        a sync.snapshot of the server's state follows
 */
export type SyncClientMessage =
  | { t: 'sync.hello'; since?: number }
  | { t: 'sync.propose'; id: string; base: number; ops: JsonPatchOp[] }
  | { t: 'sync.resync' };

export type SyncServerMessage =
  | { t: 'sync.snapshot'; rev: number; state: Json }
  | { t: 'sync.patch'; from: number; rev: number; ops: JsonPatchOp[]; id?: string }
  | { t: 'sync.reject'; id: string; code: string; message: string; rev: number };

/** One end of a duplex channel carrying messages as objects. */
export interface SyncChannel<In, Out> {
  send(message: Out): void;
  /** Returns an unsubscribe function. */
  onMessage(listener: (message: In) => void): () => void;
}

export function isSyncMessage(value: unknown): value is { t: `sync.${string}` } {
  return typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string' && (value as { t: string }).t.startsWith('sync.');
}
