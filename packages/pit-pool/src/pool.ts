import { SymphonyError, silentLogger, type Logger } from '@symphony/types';
import { Lease, ModelEntry, Slot, enqueueWaiter, removeWaiter, validateSpec, type Waiter } from './internals.js';
import { loadSlot } from './load.js';
import type {
  AcquireOptions,
  InstanceState,
  ModelInfo,
  ModelSpec,
  PoolEventBus,
  PoolOptions,
  PoolStats,
  RemovalReason,
  TransitionEvent,
} from './types.js';

export type TransitionListener = (event: TransitionEvent) => void;

/**
 * The pool's state and its hot path. `tryAcquire`/`release` of a warm instance touch one Map
 * lookup, one array pop/push and a few counters: no clock read, no promise, no allocation but
 * the lease. Everything slow (loads, waits, eviction, canaries) is off that path.
 */
export class PoolCore {
  readonly models = new Map<string, ModelEntry<any>>();
  readonly holders = new Map<string, Set<Lease<any>>>();
  /** Models with waiters that could not load for lack of memory: retried when memory frees. */
  readonly starved = new Set<ModelEntry<any>>();
  readonly listeners: TransitionListener[] = [];
  /** The kernel's event bus, when run as a plugin: transitions go there only if someone listens. */
  readonly bus: PoolEventBus | undefined;
  readonly budget: number;
  readonly now: () => number;
  readonly logger: Logger;
  readonly stats: PoolStats = {
    acquired: 0, warmHits: 0, waits: 0, timeouts: 0, aborts: 0, loads: 0, loadFailures: 0, reclaimed: 0, lost: 0,
    removed: { idle: 0, evicted: 0, unhealthy: 0, drained: 0, unregistered: 0, closed: 0 },
    memoryUsedBytes: 0,
  };
  /** Each run's last `prewarmPath` plan (by tenant; `pit.pool` for a caller that names none): models most critical first, and until when it holds. */
  readonly plans = new Map<string, { models: ModelEntry<any>[]; until: number }>();
  /** The model leased last (the successor forecast follows it). */
  lastGranted: ModelEntry<any> | undefined = undefined;
  /** Plan loads in flight (at most `prewarm.planLoads`). */
  planLoading = 0;
  useTick = 0;
  leaseSeq = 0;
  slotSeq = 0;
  waiterSeq = 0;
  closed = false;
  readonly closing = new AbortController();

  constructor(readonly options: PoolOptions) {
    this.budget = options.memoryBudgetBytes ?? Infinity;
    this.now = options.now ?? (() => performance.now());
    this.logger = options.logger ?? silentLogger;
    this.bus = options.events;
  }

  register<I>(spec: ModelSpec<I>): void {
    validateSpec(spec as ModelSpec<unknown>, this.budget);
    if (this.models.has(spec.id)) {
      throw new SymphonyError('E_CONFLICT', `model "${spec.id}" is already registered (unregister it first)`, { details: { modelId: spec.id } });
    }
    const prewarm = this.options.prewarm || {};
    this.models.set(spec.id, new ModelEntry(spec, prewarm.alpha ?? 0.5, prewarm.beta ?? 0.3));
  }

  entry(modelId: string): ModelEntry<any> {
    const model = this.models.get(modelId);
    if (model === undefined) {
      throw new SymphonyError('E_NOT_FOUND', `no model "${modelId}" is registered in the pool`, {
        details: { modelId, registered: [...this.models.keys()] },
      });
    }
    return model;
  }

  /** Hands out a lease on a free warm instance, or `undefined`: never waits, never loads. */
  tryAcquire<I>(modelId: string, holder?: string): Lease<I> | undefined {
    const model = this.models.get(modelId) ?? this.entry(modelId);
    // No barging: once callers queue, a free slot goes to the head of the queue.
    if (model.waiters.length !== 0 || model.free.length === 0) return undefined;
    model.arrivals++;
    this.stats.warmHits++;
    return this.grant(model, model.free[model.free.length - 1] as Slot<I>, holder);
  }

  grant<I>(model: ModelEntry<I>, slot: Slot<I>, holder: string | undefined): Lease<I> {
    // The successor forecast: only a change of model costs a Map update.
    if (this.lastGranted !== model) {
      const prev = this.lastGranted;
      if (prev !== undefined) {
        prev.successors.set(model, (prev.successors.get(model) ?? 0) + 1);
        prev.successorTotal++;
      }
      this.lastGranted = model;
    }
    const active = ++slot.active;
    if (active >= model.concurrency) {
      // Only the last free slot is ever taken, so it is the one to drop.
      model.free.pop();
      slot.inFree = false;
    }
    if (active === 1) this.setState(slot, 'busy');
    if (++model.leases > model.peak) model.peak = model.leases;
    slot.lastUse = ++this.useTick;
    this.stats.acquired++;
    const lease = new Lease<I>(++this.leaseSeq, model.spec.id, slot.value as I, slot, holder);
    if (holder !== undefined) this.track(lease, holder);
    return lease;
  }

  release(lease: Lease<any>): boolean {
    if (lease.released) return false;
    lease.released = true;
    if (lease.holder !== undefined) this.holders.get(lease.holder)?.delete(lease);
    const slot = lease.slot;
    const model = slot.model;
    model.leases--;
    if (slot.state === 'draining') {
      if (--slot.active === 0) void this.unloadSlot(slot, 'drained');
      return true;
    }
    if (model.waiters.length !== 0) {
      // Straight to the next waiter: the slot never looks free, so nobody can barge in.
      slot.active--;
      this.serveOne(model, slot);
      return true;
    }
    if (--slot.active === 0) this.setState(slot, 'warm');
    if (!slot.inFree) {
      slot.inFree = true;
      model.free.push(slot);
    }
    if (this.starved.size !== 0 && slot.active === 0) this.retryStarved();
    return true;
  }

  acquire<I>(modelId: string, options: AcquireOptions = {}): Promise<Lease<I>> {
    const model = this.entry(modelId) as ModelEntry<I>;
    if (model.waiters.length === 0 && model.free.length !== 0) {
      // Fast path: no wait, no extra promise chain beyond the one the caller awaits.
      model.arrivals++;
      this.stats.warmHits++;
      return Promise.resolve(this.grant(model, model.free[model.free.length - 1] as Slot<I>, options.holder));
    }
    return this.wait(model, options);
  }

  private wait<I>(model: ModelEntry<I>, options: AcquireOptions): Promise<Lease<I>> {
    const modelId = model.spec.id;
    if (this.closed) return Promise.reject(closedError(modelId));
    if (options.signal?.aborted) return Promise.reject(abortError(modelId, options.signal.reason));
    const refusal = this.refusal(model);
    if (refusal) return Promise.reject(refusal);
    model.arrivals++;
    this.stats.waits++;
    return new Promise<Lease<I>>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        if (!removeWaiter(model.waiters, waiter)) return;
        waiter.cleanup();
        this.stats.aborts++;
        reject(abortError(modelId, options.signal?.reason));
      };
      const waiter: Waiter<I> = {
        seq: ++this.waiterSeq,
        priority: options.priority ?? 0,
        holder: options.holder,
        resolve,
        reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          if (!removeWaiter(model.waiters, waiter)) return;
          waiter.cleanup();
          this.stats.timeouts++;
          reject(new SymphonyError('E_TIMEOUT', `no instance of model "${modelId}" became free within ${options.timeoutMs} ms`, {
            details: { modelId, timeoutMs: options.timeoutMs, waiting: model.waiters.length },
          }));
        }, options.timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      enqueueWaiter(model.waiters, waiter);
      this.ensureCapacity(model);
    });
  }

  /** Why a waiter would wait forever: a model in backoff with nothing loaded, or one that cannot fit. */
  private refusal(model: ModelEntry<any>): SymphonyError | undefined {
    const modelId = model.spec.id;
    if (model.slots.length === 0 && model.memory > this.budget - this.pinnedMemory(model)) {
      return new SymphonyError('E_POOL_OVER_BUDGET', `model "${modelId}" needs ${model.memory} bytes but pinned models leave only ${this.budget - this.pinnedMemory(model)} of the ${this.budget}-byte budget`, {
        details: { modelId, memoryBytes: model.memory, budget: this.budget },
      });
    }
    if (model.slots.length === 0 && model.retryAt > this.now()) {
      return new SymphonyError('E_POOL_MODEL_FAILED', `model "${modelId}" failed to load ${model.failures} time(s) in a row; next attempt allowed at ${Math.round(model.retryAt)} ms`, {
        details: { modelId, failures: model.failures, retryAt: model.retryAt, status: model.status },
      });
    }
    return undefined;
  }

  private pinnedMemory(except: ModelEntry<any>): number {
    let bytes = 0;
    for (const m of this.models.values()) if (m !== except && m.spec.pinned) bytes += m.memory * m.slots.length;
    return bytes;
  }

  /** Gives `slot` (which has room) to the head waiter. */
  serveOne<I>(model: ModelEntry<I>, slot: Slot<I>): void {
    const waiter = model.waiters.shift() as Waiter<I>;
    waiter.cleanup();
    if (!slot.inFree && slot.active < model.concurrency) {
      // grant() pops from the free list when the slot fills up: keep it last there.
      slot.inFree = true;
      model.free.push(slot);
    } else if (slot.inFree && model.free[model.free.length - 1] !== slot) {
      model.free.splice(model.free.indexOf(slot), 1);
      model.free.push(slot);
    }
    waiter.resolve(this.grant(model, slot, waiter.holder));
  }

  serveWaiters(model: ModelEntry<any>): void {
    while (model.waiters.length !== 0 && model.free.length !== 0) this.serveOne(model, model.free[model.free.length - 1] as Slot);
  }

  /** Starts loads while queued demand exceeds what loading instances will bring. */
  ensureCapacity(model: ModelEntry<any>): void {
    while (model.waiters.length > model.loading * model.concurrency && model.slots.length < model.maxInstances) {
      // The start is charged to the run whose step waits for it (holder `run/step`).
      const holder = model.waiters[model.loading * model.concurrency]?.holder;
      const slash = holder === undefined ? -1 : holder.indexOf('/');
      if (!this.startLoad(model, 'demand', undefined, slash > 0 ? holder!.slice(0, slash) : undefined)) break;
    }
  }

  /** Begins loading one instance if backoff and memory allow (evicting idle LRU instances). */
  startLoad(model: ModelEntry<any>, reason: string, evictable?: (slot: Slot) => boolean, tenant?: string): Slot | undefined {
    if (this.closed || model.retryAt > this.now()) return undefined;
    if (this.stats.memoryUsedBytes + model.memory > this.budget) {
      this.evictFor(model.memory, evictable);
      if (this.stats.memoryUsedBytes + model.memory > this.budget) {
        if (model.waiters.length !== 0) this.starved.add(model);
        return undefined;
      }
    }
    this.starved.delete(model);
    const slot = new Slot(++this.slotSeq, model);
    if (tenant !== undefined) slot.tenant = tenant;
    slot.reason = reason;
    model.slots.push(slot);
    model.loading++;
    this.stats.memoryUsedBytes += model.memory;
    this.emit(slot, 'cold', 'cold', reason);
    this.setState(slot, 'loading', reason);
    void loadSlot(this, model, slot);
    return slot;
  }

  /**
   * The plans of every run at once, merged: each run's most urgent model first, then each run's
   * second, and so on (runs in the order their plans were first set), each model once, with the
   * run it is first needed by. Expired plans are dropped here.
   */
  mergedPlan(): Array<{ model: ModelEntry<any>; tenant: string }> {
    const now = this.now();
    for (const [tenant, plan] of this.plans) if (plan.until < now) this.plans.delete(tenant);
    const merged: Array<{ model: ModelEntry<any>; tenant: string }> = [];
    const seen = new Set<ModelEntry<any>>();
    let longest = 0;
    for (const plan of this.plans.values()) longest = Math.max(longest, plan.models.length);
    for (let k = 0; k < longest; k++) {
      for (const [tenant, plan] of this.plans) {
        const model = plan.models[k];
        if (model === undefined || seen.has(model)) continue;
        seen.add(model);
        merged.push({ model, tenant });
      }
    }
    return merged;
  }

  /**
   * Continues the `prewarmPath` plans: loads one instance of each planned model that has none, in
   * merged plan order, at most `planLoads` at once, evicting only idle instances of models later in
   * the merged plan or in no plan. Called when a plan is set and whenever one of its loads ends.
   */
  pumpPlan(): string[] {
    const started: string[] = [];
    if (this.plans.size === 0 || this.closed) return started;
    const merged = this.mergedPlan();
    const limit = this.options.prewarm === false ? 0 : Math.max(1, this.options.prewarm?.planLoads ?? 1);
    for (let k = 0; k < merged.length && this.planLoading < limit; k++) {
      const { model, tenant } = merged[k]!;
      if (model.slots.length !== 0 || this.models.get(model.spec.id) !== model) continue;
      // Only what a plan needs sooner is protected; anything later or unlisted may be evicted (LRU first).
      const sooner = new Set(merged.slice(0, k + 1).map((m) => m.model));
      const slot = this.startLoad(model, 'critical-path', (s) => !sooner.has(s.model), tenant === 'pit.pool' ? undefined : tenant);
      if (slot === undefined) continue;
      // A load that settled synchronously is already done; only one still in flight holds a plan place.
      if (slot.state === 'loading') {
        slot.planned = true;
        this.planLoading++;
        const stallMs = (this.options.prewarm || {}).planStallMs ?? 2_000;
        slot.planTimer = setTimeout(() => this.planLoadEnded(slot), stallMs);
        slot.planTimer.unref?.();
      }
      started.push(model.spec.id);
    }
    return started;
  }

  /**
   * With no run's plan in force, warms the model most often leased right after the last one leased
   * (at least half of its observed successors), when it has no instance: a workflow run again
   * starts warm. Evicts only idle, unpinned instances in no plan, LRU first. Returns its id if a
   * load started.
   */
  predictNext(): string | undefined {
    const prewarm = this.options.prewarm;
    if (this.closed || prewarm === false || prewarm?.successors === false || this.mergedPlan().length !== 0) return undefined;
    const last = this.lastGranted;
    if (last === undefined || this.models.get(last.spec.id) !== last) return undefined;
    let best: ModelEntry<any> | undefined;
    let seen = 0;
    for (const [model, n] of last.successors) {
      if (n > seen && this.models.get(model.spec.id) === model) {
        best = model;
        seen = n;
      }
    }
    if (best === undefined || best === last || seen * 2 < last.successorTotal || best.slots.length !== 0) return undefined;
    const target = best;
    return this.startLoad(target, 'predicted', (slot) => slot.model !== target) ? target.spec.id : undefined;
  }

  /** A plan load ended (warm, failed or dropped) or stalled: its place goes to the next model of the plan. */
  planLoadEnded(slot: Slot): void {
    if (!slot.planned) return;
    slot.planned = false;
    clearTimeout(slot.planTimer);
    slot.planTimer = undefined;
    this.planLoading--;
    this.pumpPlan();
  }

  /** Unloads idle, unpinned instances, least recently used first, until `bytes` fit. */
  evictFor(bytes: number, evictable?: (slot: Slot) => boolean): void {
    const idle: Slot[] = [];
    for (const m of this.models.values()) {
      if (m.spec.pinned) continue;
      for (const s of m.slots) if (s.state === 'warm' && s.active === 0 && !s.checking && (evictable?.(s) ?? true)) idle.push(s);
    }
    idle.sort((a, b) => a.lastUse - b.lastUse || a.id - b.id);
    for (const slot of idle) {
      if (this.stats.memoryUsedBytes + bytes <= this.budget) return;
      void this.unloadSlot(slot, 'evicted');
    }
  }

  retryStarved(): void {
    for (const model of [...this.starved]) {
      this.starved.delete(model);
      this.ensureCapacity(model);
    }
  }

  /**
   * An instance measured itself at `bytes`: the model's per-instance memory rises to it (never
   * below the declared `memoryBytes`). Over the budget, idle LRU instances are evicted; an
   * instance that alone exceeds the budget fails the model at once.
   */
  remeasure(model: ModelEntry<any>, bytes: number): void {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) return;
    const next = Math.max(model.spec.memoryBytes ?? 0, Math.ceil(bytes));
    if (next === model.memory || !this.models.has(model.spec.id)) return;
    this.stats.memoryUsedBytes += (next - model.memory) * model.slots.length;
    model.memory = next;
    if (next > this.budget) {
      const modelId = model.spec.id;
      const err = new SymphonyError('E_POOL_OVER_BUDGET', `an instance of model "${modelId}" measures ${next} bytes but the pool's memory budget is ${this.budget}: it can never fit`, {
        details: { modelId, memoryBytes: next, budget: this.budget },
      });
      model.status = 'failed';
      model.retryAt = Infinity;
      this.logger.error({ modelId, memoryBytes: next, budget: this.budget }, 'pool: model can never fit the memory budget');
      for (const waiter of model.waiters.splice(0)) {
        waiter.cleanup();
        waiter.reject(err);
      }
      for (const slot of [...model.slots]) this.drain(slot, 'evicted');
      return;
    }
    if (this.stats.memoryUsedBytes > this.budget) this.evictFor(0);
  }

  /** An instance died on its own: drain it (its leases fail with their calls) and replace it if wanted. */
  lost(slot: Slot, reason: string): void {
    if (!slot.model.slots.includes(slot)) return;
    this.stats.lost++;
    this.logger.warn({ modelId: slot.model.spec.id, instanceId: slot.id, reason }, 'pool: instance lost');
    this.drain(slot, 'unhealthy');
    if (slot.model.waiters.length !== 0 || slot.model.slots.length < (slot.model.spec.minInstances ?? 0)) this.ensureCapacity(slot.model);
  }

  /** Removes a slot from the model's lists and frees its memory (idempotent). */
  dropSlot(slot: Slot): void {
    const model = slot.model;
    const i = model.slots.indexOf(slot);
    if (i < 0) return;
    model.slots.splice(i, 1);
    const admitted = slot.admitted;
    slot.admitted = undefined;
    admitted?.();
    if (slot.inFree) {
      model.free.splice(model.free.indexOf(slot), 1);
      slot.inFree = false;
    }
    this.stats.memoryUsedBytes -= model.memory;
  }

  /** Drains a slot: no new leases; unloads now if idle, else when its last lease ends. */
  drain(slot: Slot, reason: RemovalReason): void {
    if (slot.state === 'draining' || slot.state === 'unloaded' || slot.state === 'failed') return;
    if (slot.state === 'loading') {
      // The load finishes into an unload (see load()).
      this.dropSlot(slot);
      this.setState(slot, 'draining', reason);
      this.stats.removed[reason]++;
      return;
    }
    if (slot.active === 0 && !slot.checking) {
      void this.unloadSlot(slot, reason);
      return;
    }
    this.dropSlot(slot);
    this.setState(slot, 'draining', reason);
    this.stats.removed[reason]++;
  }

  async unloadSlot(slot: Slot, reason: RemovalReason): Promise<void> {
    const model = slot.model;
    if (slot.state !== 'draining') {
      this.dropSlot(slot);
      this.setState(slot, 'draining', reason);
      this.stats.removed[reason]++;
    }
    await this.unloadValue(model, slot.value);
    this.setState(slot, 'unloaded', reason);
    if (this.starved.size !== 0) this.retryStarved();
    if (model.slots.length < (model.spec.minInstances ?? 0) || model.waiters.length !== 0) this.ensureCapacity(model);
  }

  async unloadValue(model: ModelEntry<any>, value: unknown): Promise<void> {
    try {
      await model.spec.unload?.(value);
    } catch (err) {
      this.logger.error({ modelId: model.spec.id, err }, 'pool: unload failed');
    }
  }

  track(lease: Lease<any>, holder: string): void {
    let set = this.holders.get(holder);
    if (set === undefined) this.holders.set(holder, (set = new Set()));
    set.add(lease);
  }

  setState(slot: Slot, to: InstanceState, reason?: string): void {
    const from = slot.state;
    if (from === to) return;
    slot.state = to;
    if (this.listeners.length !== 0 || (this.bus !== undefined && this.bus.listenerCount('pool:transition') !== 0)) this.emit(slot, from, to, reason);
  }

  private emit(slot: Slot, from: InstanceState, to: InstanceState, reason?: string): void {
    const event: TransitionEvent = { modelId: slot.model.spec.id, instanceId: slot.id, from, to };
    if (reason !== undefined) event.reason = reason;
    if (this.bus !== undefined && this.bus.listenerCount('pool:transition') !== 0) this.bus.emit('pool:transition', event);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ err }, 'pool: a transition listener threw');
      }
    }
  }

  info(model: ModelEntry<any>): ModelInfo {
    const info: ModelInfo = {
      id: model.spec.id, status: model.status, failures: model.failures, waiting: model.waiters.length, desired: model.desired, memoryBytes: model.memory,
      warm: model.free.length,
      instances: model.slots.map((s) => ({ id: s.id, state: s.state, active: s.active })),
    };
    if (model.retryAt > 0) info.retryAt = model.retryAt;
    if (model.loadMs !== undefined) info.loadMs = model.loadMs;
    return info;
  }
}

export function closedError(modelId: string): SymphonyError {
  return new SymphonyError('E_POOL_CLOSED', `the pool is closed: cannot lease model "${modelId}"`, { details: { modelId } });
}

function abortError(modelId: string, reason: unknown): SymphonyError {
  return new SymphonyError('E_ABORTED', `acquiring model "${modelId}" was aborted`, { details: { modelId }, cause: reason });
}
