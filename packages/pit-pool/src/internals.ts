import { SymphonyError } from '@symphony/types';
import type { InstanceState, ModelSpec, ModelStatus } from './types.js';
import { Holt } from './forecast.js';

/** One loaded (or loading) instance of a model. Plain class: one hidden shape on the hot path. */
export class Slot<I = unknown> {
  value: I | undefined = undefined;
  state: InstanceState = 'cold';
  active = 0;
  inFree = false;
  /** A canary is running: the slot is out of the free list but has no lease. */
  checking = false;
  /** Logical use tick (LRU order); no clock read on the hot path. */
  lastUse = 0;
  seenUse = 0;
  idleSince = 0;
  /** Started by a `prewarmPath` plan (counts against `planLoads` until its load ends). */
  planned = false;
  /** Frees the slot's plan place if its load stalls (see `prewarm.planStallMs`). */
  planTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Whose start it was, for admission (`InstanceStart.tenant`). */
  tenant = 'pit.pool';
  /** Why it was started (`InstanceStart.reason`). */
  reason = '';
  /** Gives the start's admission back; called once, when the slot leaves the model. */
  admitted: (() => void) | undefined = undefined;
  constructor(
    readonly id: number,
    readonly model: ModelEntry<I>,
  ) {}
}

/** What `acquire` hands out. Keep it: `release(lease)` gives the slot back exactly once. */
export class Lease<I = unknown> {
  released = false;
  constructor(
    readonly id: number,
    readonly modelId: string,
    readonly instance: I,
    /** @internal */ readonly slot: Slot<I>,
    readonly holder: string | undefined,
  ) {}
}

export interface Waiter<I> {
  seq: number;
  priority: number;
  holder: string | undefined;
  resolve(lease: Lease<I>): void;
  reject(err: SymphonyError): void;
  cleanup(): void;
}

export class ModelEntry<I = unknown> {
  readonly slots: Slot<I>[] = [];
  /** Slots with room for one more lease; taken from the end (most recently used stays hot). */
  readonly free: Slot<I>[] = [];
  readonly waiters: Waiter<I>[] = [];
  loading = 0;
  failures = 0;
  retryAt = 0;
  status: ModelStatus = 'ok';
  /** Demand counters for the forecast, reset every tick. */
  arrivals = 0;
  /** Leases out right now, and the most at once since the last tick. */
  leases = 0;
  peak = 0;
  desired = 0;
  /** Smoothed time one load took (the start cost of a cold instance); unset before the first. */
  loadMs: number | undefined = undefined;
  hintCount = 0;
  hintUntil = -Infinity;
  /** Which model was leased next after this one, and how often (the pool's successor forecast). */
  readonly successors = new Map<ModelEntry<any>, number>();
  successorTotal = 0;
  readonly arrivalForecast: Holt;
  readonly peakForecast: Holt;
  readonly concurrency: number;
  readonly maxInstances: number;
  /** Bytes per instance: `memoryBytes`, raised to what instances measure themselves. */
  memory: number;
  constructor(
    readonly spec: ModelSpec<I>,
    alpha: number,
    beta: number,
  ) {
    this.concurrency = spec.maxConcurrency ?? 1;
    this.maxInstances = spec.maxInstances ?? 1;
    this.memory = spec.memoryBytes ?? 0;
    this.arrivalForecast = new Holt(alpha, beta);
    this.peakForecast = new Holt(alpha, beta);
  }
}

/** Inserts a waiter: higher priority first, FIFO (by sequence) within a priority. */
export function enqueueWaiter<I>(waiters: Waiter<I>[], waiter: Waiter<I>): void {
  let i = waiters.length;
  while (i > 0 && (waiters[i - 1] as Waiter<I>).priority < waiter.priority) i--;
  waiters.splice(i, 0, waiter);
}

export function removeWaiter<I>(waiters: Waiter<I>[], waiter: Waiter<I>): boolean {
  const i = waiters.indexOf(waiter);
  if (i < 0) return false;
  waiters.splice(i, 1);
  return true;
}

export function validateSpec(spec: ModelSpec<unknown>, budget: number): void {
  const bad = (field: string, why: string): never => {
    throw new SymphonyError('E_INPUT_INVALID', `model "${spec?.id}": ${field} ${why}`, { details: { modelId: spec?.id, path: field } });
  };
  if (!spec || typeof spec.id !== 'string' || spec.id.length === 0) bad('id', 'must be a non-empty string');
  if (typeof spec.load !== 'function') bad('load', 'must be a function returning the instance');
  for (const f of ['maxInstances', 'maxConcurrency'] as const) {
    const v = spec[f];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) bad(f, `must be an integer >= 1 (got ${v})`);
  }
  const min = spec.minInstances ?? 0;
  if (!Number.isInteger(min) || min < 0 || min > (spec.maxInstances ?? 1)) bad('minInstances', `must be an integer in [0, maxInstances] (got ${min})`);
  const mem = spec.memoryBytes ?? 0;
  if (!(mem >= 0)) bad('memoryBytes', `must be >= 0 (got ${mem})`);
  if (mem > budget) {
    throw new SymphonyError('E_POOL_OVER_BUDGET', `model "${spec.id}" needs ${mem} bytes per instance but the pool's memory budget is ${budget}: it can never load`, {
      details: { modelId: spec.id, memoryBytes: mem, budget },
    });
  }
}
