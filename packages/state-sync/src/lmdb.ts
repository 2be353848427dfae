import { open, type Database, type RootDatabase } from 'lmdb';
import type { LedgerService } from '@symphony/types';
import { hasErrorCode, toSymphonyError } from '@symphony/types';
import { stateError } from './errors.js';
import type { Json } from './json-patch.js';
import type { Change, Snapshot, StatePersistence } from './persistence.js';

export interface LmdbPersistenceOptions {
  /** A directory for a private LMDB environment... */
  path?: string;
  /** ...or the Pit's shared environment (`pit.ledger`), so the app keeps one LMDB. */
  ledger?: LedgerService;
  /** Which document: several stores can share one environment. Default `state`. */
  name?: string;
}

const SNAPSHOT = 'snapshot';
const LOG = 'log';

// Documents are stored as JSON text inside the msgpack record: msgpack decoders rename a
// `__proto__` member (msgpackr reads it as `__proto_`), JSON.parse keeps it as an ordinary key.
// Records written before (`state` / `ops` as msgpack) still load.
interface StoredSnapshot { revision: number; json?: string; state?: Json }
interface StoredChange { revision: number; json?: string; ops?: Change['ops'] }
const snapshotOf = (s: StoredSnapshot): Snapshot => ({ revision: s.revision, state: typeof s.json === 'string' ? JSON.parse(s.json) as Json : s.state ?? {} });
const changeOf = (c: StoredChange): Change => ({ revision: c.revision, ops: typeof c.json === 'string' ? JSON.parse(c.json) as Change['ops'] : c.ops ?? [] });

/**
 * Snapshot + change log in LMDB. Appends go through lmdb's batched async writes (many changes in
 * one transaction); `compact` writes a snapshot and deletes the log entries it covers in the same
 * transaction, so a restart never sees a snapshot without its log or the other way round.
 */
export function openLmdbPersistence(options: LmdbPersistenceOptions): StatePersistence {
  const name = `state-sync.${options.name ?? 'state'}`;
  let root: RootDatabase | undefined;
  let db: Database;
  try {
    if (options.ledger) {
      db = options.ledger.db(name, { encoding: 'msgpack' }) as Database;
    } else if (options.path) {
      root = open({ path: options.path, encoding: 'msgpack' });
      db = root.openDB({ name, encoding: 'msgpack' });
    } else {
      throw stateError('E_STATE_PERSISTENCE', 'openLmdbPersistence needs a `path` or a `ledger`');
    }
  } catch (err) {
    throw wrap(err, 'open', options.path);
  }
  let pending: Promise<unknown> = Promise.resolve();
  let failure: unknown;
  const track = (p: Promise<unknown>): void => {
    pending = Promise.all([pending, p.catch((err) => { failure ??= err; })]);
  };

  return {
    async load() {
      try {
        const stored = db.get(SNAPSHOT) as StoredSnapshot | undefined;
        const snapshot = stored ? snapshotOf(stored) : undefined;
        const changes: Change[] = [];
        for (const { value } of db.getRange({ start: [LOG, (snapshot?.revision ?? 0) + 1], end: [LOG, Number.MAX_SAFE_INTEGER] })) {
          changes.push(changeOf(value as StoredChange));
        }
        if (!snapshot && changes.length === 0) return undefined;
        return { snapshot: snapshot ?? { revision: 0, state: {} }, changes };
      } catch (err) {
        throw wrap(err, 'load', options.path);
      }
    },
    append(change) {
      track(db.put([LOG, change.revision], { revision: change.revision, json: JSON.stringify(change.ops) } satisfies StoredChange));
    },
    compact(snapshot) {
      track(db.transaction(() => {
        db.put(SNAPSHOT, { revision: snapshot.revision, json: JSON.stringify(snapshot.state) } satisfies StoredSnapshot);
        for (const key of db.getKeys({ start: [LOG, 0], end: [LOG, snapshot.revision + 1] })) db.remove(key);
      }));
    },
    async flush() {
      await pending;
      if (failure) { const err = failure; failure = undefined; throw wrap(err, 'write', options.path); }
    },
    async close() {
      await this.flush();
      await root?.close();
    },
  };
}

function wrap(err: unknown, what: string, path: string | undefined) {
  if (hasErrorCode(err, 'E_STATE_PERSISTENCE')) return err;
  const e = toSymphonyError(err);
  return stateError('E_STATE_PERSISTENCE', `State persistence could not ${what}${path ? ` at ${path}` : ''}: ${e.message}`, { path, cause: e.message });
}
