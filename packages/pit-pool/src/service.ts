import { SymphonyError } from '@symphony/types';
import { checkHealth, type HealthResult } from './health.js';
import type { Lease } from './internals.js';
import { PoolCore, closedError, type TransitionListener } from './pool.js';
import { expect, tick } from './prewarm.js';
import { measureSlot } from './load.js';
import type { AcquireOptions, ModelInfo, ModelSpec, PoolOptions, PoolStats } from './types.js';

/** The `pit.pool` service. */
export interface PoolService {
  /** Adds a model: how to load, unload and canary one instance, and its limits. */
  register<I>(spec: ModelSpec<I>): void;
  /** Drains and unloads every instance; queued acquires fail with `E_NOT_FOUND`. */
  unregister(modelId: string): Promise<void>;
  /** A lease on a free warm instance right now, or `undefined`. Synchronous: the hot path. */
  tryAcquire<I = unknown>(modelId: string, holder?: string): Lease<I> | undefined;
  /** A lease, waiting (FIFO within priority) for a free or newly loaded instance if need be. */
  acquire<I = unknown>(modelId: string, options?: AcquireOptions): Promise<Lease<I>>;
  /** Gives the instance back. `false` if the lease was already released or reclaimed. */
  release(lease: Lease<any>): boolean;
  /** Acquire, run `fn`, release; leases taken under `lease.holder` inside `fn` are reclaimed too. */
  withLease<I, T>(modelId: string, fn: (instance: I, lease: Lease<I>) => T | Promise<T>, options?: AcquireOptions): Promise<T>;
  /** Frees every lease of a holder whose call ended (or crashed) and cancels its waits. */
  reclaim(holder: string): number;
  /** Pre-warming hint: `count` instances of the model will be wanted in about `inMs`. */
  expect(modelId: string, hint?: { count?: number; inMs?: number }): void;
  /**
   * Pre-warming from a run's critical path: `order` lists the models the run needs next, most
   * critical first (by upward rank). Loads one instance of each, in that order, while the memory
   * budget allows, evicting idle instances of models later in `order` or not in it (LRU first),
   * never pinned ones. At most `prewarm.planLoads` (1) of these loads run at once: the next starts
   * as one lands, so the most urgent instance is not slowed by the others. Each `tenant` (a run;
   * default `pit.pool`) has one plan, which this replaces (an empty `order` ends it); the plans of
   * runs at once are merged, each run's most urgent model first, so concurrent runs do not evict
   * each other's next instance. Models in no plan lose their hint and become evictable. `tenant`
   * is also whose starts they are for `admit`. Returns the models whose load started now, in order.
   */
  prewarmPath(order: readonly string[], options?: { inMs?: number; tenant?: string }): string[];
  /** Asks every warm instance (of one model, or all) what memory it uses and budgets from it. */
  measure(modelId?: string): Promise<void>;
  /** Forecast step + pre-warm + keep-alive sweep (runs on a timer unless `timers: false`). */
  tick(): void;
  /** Canary every idle warm instance (all models, or one); failures are drained and replaced. */
  checkHealth(modelId?: string): Promise<HealthResult>;
  /** Every instance state transition. Returns its own unsubscribe. */
  onTransition(listener: TransitionListener): () => void;
  stats(): PoolStats;
  model(modelId: string): ModelInfo;
  models(): ModelInfo[];
  /** Fails queued acquires with `E_POOL_CLOSED` and unloads everything. */
  close(): Promise<void>;
}

export function createPool(options: PoolOptions = {}): PoolService {
  validatePrewarm(options.prewarm);
  const core = new PoolCore(options);
  const timers: ReturnType<typeof setInterval>[] = [];
  let holderSeq = 0;
  if (options.timers !== false) {
    const every = (ms: number, fn: () => unknown): void => {
      if (ms > 0) timers.push(setInterval(fn, ms).unref());
    };
    every(options.tickIntervalMs ?? 1_000, () => tick(core));
    every(options.healthIntervalMs ?? 30_000, () =>
      checkHealth(core, core.models.values())
        .then(() => pool.measure())
        .catch((err) => core.logger.error({ err }, 'pool: health check failed')),
    );
  }

  const scopes = new Map<string, { depth: number; before: { leases: Set<Lease<any>>; waiters: Set<unknown> } }>();

  /** The leases and waits a holder has right now. */
  const holderState = (holder: string): { leases: Set<Lease<any>>; waiters: Set<unknown> } => ({
    leases: new Set(core.holders.get(holder)),
    waiters: new Set([...core.models.values()].flatMap((m) => m.waiters.filter((w) => w.holder === holder))),
  });

  /** Cancels a holder's waits, then frees its leases, except those in `kept`. */
  function reclaimNewer(holder: string, kept: { leases: Set<Lease<any>>; waiters: Set<unknown> }): number {
    // Waits first: a lease freed below must not go to a wait of the same holder.
    for (const model of core.models.values()) {
      for (const waiter of model.waiters.filter((w) => w.holder === holder && !kept.waiters.has(w))) {
        model.waiters.splice(model.waiters.indexOf(waiter), 1);
        waiter.cleanup();
        waiter.reject(new SymphonyError('E_ABORTED', `holder "${holder}" ended while waiting for model "${model.spec.id}"`, { details: { holder, modelId: model.spec.id } }));
      }
    }
    let count = 0;
    const leases = core.holders.get(holder);
    if (kept.leases.size === 0) core.holders.delete(holder);
    for (const lease of [...(leases ?? [])]) {
      if (!kept.leases.has(lease) && core.release(lease)) count++;
    }
    core.stats.reclaimed += count;
    return count;
  }

  const pool: PoolService = {
    register: (spec) => {
      if (core.closed) throw closedError(spec.id);
      core.register(spec);
      const model = core.entry(spec.id);
      model.desired = spec.minInstances ?? 0;
      while (model.slots.length < model.desired && core.startLoad(model, 'minInstances'));
    },
    async unregister(modelId) {
      const model = core.entry(modelId);
      core.models.delete(modelId);
      core.starved.delete(model);
      const err = new SymphonyError('E_NOT_FOUND', `model "${modelId}" was unregistered while waiting for an instance`, { details: { modelId } });
      for (const waiter of model.waiters.splice(0)) {
        waiter.cleanup();
        waiter.reject(err);
      }
      const idle = model.slots.filter((s) => s.state === 'warm' && s.active === 0 && !s.checking);
      for (const slot of [...model.slots]) if (!idle.includes(slot)) core.drain(slot, 'unregistered');
      await Promise.all(idle.map((slot) => core.unloadSlot(slot, 'unregistered')));
    },
    tryAcquire: (modelId, holder) => core.tryAcquire(modelId, holder),
    acquire: (modelId, opts) => core.acquire(modelId, opts),
    release: (lease) => core.release(lease),
    async withLease(modelId, fn, opts = {}) {
      if (opts.holder === undefined) {
        const holder = `pool-call#${++holderSeq}`;
        const lease = await core.acquire<any>(modelId, { ...opts, holder });
        try {
          return await fn(lease.instance, lease);
        } finally {
          core.release(lease);
          pool.reclaim(holder);
        }
      }
      // A caller's own holder may have leases and waits from before: those stay. What was taken
      // under it since the first of its withLease calls now in flight began goes back when the
      // last of them ends (so parallel calls under one holder never free each other's leases).
      const holder = opts.holder;
      const scope = scopes.get(holder) ?? { depth: 0, before: holderState(holder) };
      scopes.set(holder, scope);
      scope.depth++;
      try {
        const lease = await core.acquire<any>(modelId, opts);
        try {
          return await fn(lease.instance, lease);
        } finally {
          core.release(lease);
        }
      } finally {
        if (--scope.depth === 0) {
          scopes.delete(holder);
          reclaimNewer(holder, scope.before);
        }
      }
    },
    reclaim: (holder) => reclaimNewer(holder, { leases: new Set(), waiters: new Set() }),
    expect(modelId, hint = {}) {
      expect(core, core.entry(modelId), hint.count ?? 1, hint.inMs ?? 0);
    },
    prewarmPath(order, opts = {}) {
      const models = [...new Set(order)].map((id) => core.entry(id));
      // An empty or non-string tenant is nobody's: the pool's own.
      const tenant = typeof opts.tenant === 'string' && opts.tenant !== '' ? opts.tenant : 'pit.pool';
      core.plans.delete(tenant);
      if (options.prewarm !== false && !core.closed && models.length !== 0) {
        const until = core.now() + (opts.inMs ?? 0) + (options.prewarm?.hintGraceMs ?? 10_000);
        core.plans.set(tenant, { models, until });
      }
      // A model in no run's plan loses its hint and becomes evictable.
      const planned = new Set(core.mergedPlan().map(({ model }) => model));
      for (const model of core.models.values()) {
        if (planned.has(model)) continue;
        model.hintCount = 0;
        model.hintUntil = -Infinity;
      }
      if (options.prewarm === false || core.closed) return [];
      const until = core.plans.get(tenant)?.until ?? -Infinity;
      for (const model of models) {
        model.hintCount = Math.max(model.hintCount, 1);
        model.hintUntil = Math.max(model.hintUntil, until);
        model.desired = Math.min(model.maxInstances, Math.max(model.desired, 1));
      }
      // The last plan ended (its run finished): what usually comes next may take the idle memory.
      if (core.plans.size === 0) {
        const predicted = core.predictNext();
        return predicted === undefined ? [] : [predicted];
      }
      return core.pumpPlan();
    },
    async measure(modelId) {
      const models = modelId === undefined ? [...core.models.values()] : [core.entry(modelId)];
      await Promise.all(models.flatMap((m) => (m.spec.measure ? m.slots.filter((s) => s.state === 'warm' || s.state === 'busy').map((s) => measureSlot(core, m, s)) : [])));
    },
    tick: () => tick(core),
    checkHealth: (modelId) => checkHealth(core, modelId === undefined ? core.models.values() : [core.entry(modelId)]),
    onTransition(listener) {
      core.listeners.push(listener);
      return () => {
        const i = core.listeners.indexOf(listener);
        if (i >= 0) core.listeners.splice(i, 1);
      };
    },
    stats: () => ({ ...core.stats, removed: { ...core.stats.removed } }),
    model: (modelId) => core.info(core.entry(modelId)),
    models: () => [...core.models.values()].map((m) => core.info(m)),
    async close() {
      if (core.closed) return;
      core.closed = true;
      core.plans.clear();
      for (const timer of timers) clearInterval(timer);
      core.closing.abort();
      const unloads: Promise<void>[] = [];
      for (const model of core.models.values()) {
        for (const waiter of model.waiters.splice(0)) {
          waiter.cleanup();
          waiter.reject(closedError(model.spec.id));
        }
        for (const slot of [...model.slots]) {
          if (slot.state === 'warm' && slot.active === 0 && !slot.checking) unloads.push(core.unloadSlot(slot, 'closed'));
          else core.drain(slot, 'closed');
        }
      }
      core.starved.clear();
      await Promise.all(unloads);
    },
  };
  return pool;
}

function validatePrewarm(prewarm: PoolOptions['prewarm']): void {
  if (!prewarm) return;
  const { planLoads, planStallMs } = prewarm;
  if (planLoads !== undefined && !(Number.isInteger(planLoads) && planLoads >= 1)) {
    throw new SymphonyError('E_INPUT_INVALID', `prewarm.planLoads must be an integer >= 1 (got ${planLoads})`, { details: { path: 'prewarm.planLoads' } });
  }
  if (planStallMs !== undefined && !(typeof planStallMs === 'number' && planStallMs >= 0 && Number.isFinite(planStallMs))) {
    throw new SymphonyError('E_INPUT_INVALID', `prewarm.planStallMs must be a finite number >= 0 (got ${planStallMs})`, { details: { path: 'prewarm.planStallMs' } });
  }
}
