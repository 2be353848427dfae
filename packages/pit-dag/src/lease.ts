import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { SymphonyError } from '@symphony/types/core';
import type { Checkpoints, Lease } from './checkpoint.js';

/**
 * One driver per run. A lease names its holder (pid, host, since) and carries an `epoch` that
 * grows with every new holder; every write of a run checks, inside its transaction, that the
 * lease is still its own (fencing), so a driver that lost its lease can never overwrite the new
 * one's records. A lease whose holder is gone (its pid no longer exists on this host, or it has
 * not renewed its heartbeat within the ttl) is taken over.
 */

/** Owner tokens of the drivers alive in this process (across every copy of this package). */
const LIVE_KEY = Symbol.for('symphony.pit-dag.live-leases');
const live: Set<string> = ((globalThis as Record<symbol, unknown>)[LIVE_KEY] as Set<string> | undefined) ?? new Set<string>();
(globalThis as Record<symbol, unknown>)[LIVE_KEY] = live;

export const HOST = hostname();

export function newOwner(): string {
  const owner = randomUUID();
  live.add(owner);
  return owner;
}

export function dropOwner(owner: string): void {
  live.delete(owner);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while the lease's holder may still be driving the run. */
export function holderAlive(lease: Lease, now: number, ttlMs: number): boolean {
  if (live.has(lease.owner)) return true;
  if (now - lease.heartbeatAt > ttlMs) return false;
  if (lease.host !== HOST) return true;
  // Same host: a dead pid is a dead holder; our own pid with a token we no longer hold is a
  // driver this process closed.
  if (lease.pid === process.pid) return false;
  return pidAlive(lease.pid);
}

export function lockedError(runId: string, lease: Lease): SymphonyError {
  return new SymphonyError(
    'E_RUN_LOCKED',
    `run "${runId}" is driven by another process (pid ${lease.pid} on ${lease.host}, since ${new Date(lease.since).toISOString()}): wait for it to end, or stop it first`,
    { details: { runId, pid: lease.pid, host: lease.host, since: lease.since } },
  );
}

export function lostError(runId: string, lease: Lease | undefined): SymphonyError {
  return new SymphonyError(
    'E_RUN_LOCKED',
    lease
      ? `this process lost the lease of run "${runId}" to pid ${lease.pid} on ${lease.host} (since ${new Date(lease.since).toISOString()}): its writes are refused`
      : `this process no longer holds the lease of run "${runId}": its writes are refused`,
    { details: { runId, ...(lease ? { pid: lease.pid, host: lease.host, since: lease.since } : {}) } },
  );
}

/** Inside a ledger transaction: takes the run's lease (or throws `E_RUN_LOCKED`). Returns the new epoch. */
export function acquireLease(checkpoints: Checkpoints, runId: string, owner: string, now: number, ttlMs: number): number {
  const current = checkpoints.lease(runId);
  if (current && current.owner !== owner && holderAlive(current, now, ttlMs)) throw lockedError(runId, current);
  const epoch = (current?.epoch ?? 0) + 1;
  checkpoints.writeLease(runId, { owner, epoch, pid: process.pid, host: HOST, since: now, heartbeatAt: now });
  return epoch;
}

/** Inside a ledger transaction: throws unless `owner` still holds the run's lease. */
export function fence(checkpoints: Checkpoints, runId: string, owner: string): void {
  const current = checkpoints.lease(runId);
  if (!current || current.owner !== owner) throw lostError(runId, current);
}
