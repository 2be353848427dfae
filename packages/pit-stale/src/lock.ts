import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SymphonyError, hasErrorCode, type LedgerService } from '@symphony/types';

/** Who holds `pit.stale` on a ledger: one instance per ledger, across threads and processes. */
export interface LockOwner {
  instance: string;
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (Linux), so a reused pid is not taken for the holder. */
  started?: number;
  since: number;
}

interface LockDb {
  get(key: string): LockOwner | undefined;
  putSync(key: string, value: LockOwner): unknown;
  removeSync(key: string): unknown;
}

const KEY = 'owner';
// One registry per process, shared by every copy of this module (ESM and CJS builds alike).
const REGISTRY = Symbol.for('symphony.pit-stale.instances');
const live = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map<string, LedgerService>()) as Map<string, LedgerService>;

function startTicks(pid: number): number | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the holder may still be running: always assumed for another host. */
function holderAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  // In this process: alive while that instance is open and its ledger too (a ledger closed and
  // opened again is a new environment, and the old instance can no longer write).
  if (owner.pid === process.pid) {
    const held = live.get(owner.instance);
    return held !== undefined && (held.root as { status?: string } | undefined)?.status !== 'closed';
  }
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = startTicks(owner.pid);
  return owner.started === undefined || started === undefined || started === owner.started;
}

function lockedError(owner: LockOwner, ledger: LedgerService): SymphonyError {
  const who = owner.pid === process.pid && owner.host === hostname() ? 'another pit.stale instance in this process' : `process ${owner.pid} on ${owner.host}`;
  return new SymphonyError('E_STALE_LOCKED', `the stale store on the ledger at ${ledger.path} is held by ${who} (since ${new Date(owner.since).toISOString()}): one instance per ledger; close() it or stop that process`, {
    details: { path: ledger.path, holder: owner },
  });
}

export interface LedgerLock {
  readonly instance: string;
  /** Throws `E_STALE_LOCKED` unless this instance still holds the lock: call inside each write transaction. */
  fence(): void;
  /** Gives the lock up (if still held). */
  release(): void;
}

/**
 * Takes the ledger's `pit.stale` lock in one durable write transaction: `E_STALE_LOCKED` while a
 * live holder has it; a dead holder's lock (its process gone, or its instance closed) is taken over.
 */
export function acquireLock(ledger: LedgerService, db: LockDb): LedgerLock {
  const me: LockOwner = { instance: randomUUID(), pid: process.pid, host: hostname(), since: Date.now() };
  const started = startTicks(process.pid);
  if (started !== undefined) me.started = started;
  try {
    ledger.transactionSync(() => {
      const owner = db.get(KEY);
      if (owner !== undefined && holderAlive(owner)) throw lockedError(owner, ledger);
      db.putSync(KEY, me);
    });
  } catch (err) {
    if (!hasErrorCode(err, 'E_LEDGER_READONLY') && !hasErrorCode(err, 'E_LEDGER_WRITE')) throw err;
    // A ledger that cannot be written (opened read-only): reads work, and every write of this
    // instance fails with the ledger's own error, so no lock is needed to keep it consistent.
    return { instance: me.instance, fence() { throw err; }, release() {} };
  }
  live.set(me.instance, ledger);
  return {
    instance: me.instance,
    fence() {
      const owner = db.get(KEY);
      if (owner?.instance !== me.instance) {
        throw new SymphonyError('E_STALE_LOCKED', `this pit.stale instance lost the ledger lock at ${ledger.path}${owner ? ` to process ${owner.pid} on ${owner.host}` : ''}; open a new one`, {
          details: { path: ledger.path, holder: owner, instance: me.instance },
        });
      }
    },
    release() {
      live.delete(me.instance);
      ledger.transactionSync(() => {
        if (db.get(KEY)?.instance === me.instance) db.removeSync(KEY);
      });
    },
  };
}
