import { SymphonyError, silentLogger, type Logger } from '@symphony/types';
import { findDeadlock } from './deadlock.js';
import { DecisionLog } from './decision-log.js';
import { GrantImpl, Resource, Tenant, TenantQueue, type ClassQueue, type Pending } from './model.js';
import { heapFor } from './strategies.js';
import type { IndexedHeap } from './heap.js';
import type { ArbiterOptions, DecisionAction, DecisionRule, ResourceRequest, ResourceSpec, Strategy, WaitOptions } from './types.js';

/**
 * The arbitration state. `tryRequest` + `release` with free capacity and nobody queued is the
 * hot path: a few Map lookups and counter updates, no clock, no promise. Contention goes to
 * `dispatch`, which orders each class's queue by its strategy with a stable tie-break.
 */
export class ArbiterCore {
  readonly resources = new Map<string, Resource>();
  readonly tenants = new Map<string, Tenant>();
  readonly classes = new Map<string, ClassQueue>();
  /** Class names sorted: dispatch visits them in this order, never in insertion order. */
  classOrder: string[] = [];
  /** Live grants that preemption or lock ordering may need to find (plain grants are not tracked: hot path). */
  readonly preemptible = new Set<GrantImpl>();
  readonly exclusiveGrants = new Set<GrantImpl>();
  readonly log: DecisionLog;
  readonly logger: Logger;
  readonly agingRate: number;
  readonly now: () => number;
  requestSeq = 0;
  grantSeq = 0;
  /** Grants made so far: the clock that aging counts in. */
  decisions = 0;
  batching = 0;
  /** Requests waiting in all classes: checked before paying for a dispatch. */
  pendingCount = 0;

  constructor(readonly options: ArbiterOptions) {
    this.logger = options.logger ?? silentLogger;
    this.agingRate = options.agingRate ?? 0.1;
    this.now = options.now ?? (() => performance.now());
    this.log = new DecisionLog(options.decisionLog ?? 1_024, options.events);
    for (const [id, t] of Object.entries(options.tenants ?? {})) this.tenants.set(id, new Tenant(id, t.weight ?? 1));
    for (const spec of options.resources ?? []) this.addResource(spec);
  }

  addResource(spec: ResourceSpec): void {
    if (!spec || typeof spec.id !== 'string' || spec.id === '') throw invalid('resource id must be a non-empty string', { resource: spec?.id });
    if (this.resources.has(spec.id)) throw new SymphonyError('E_CONFLICT', `resource "${spec.id}" already exists`, { details: { resource: spec.id } });
    const exclusive = spec.exclusive === true;
    const capacity = exclusive ? 1 : spec.capacity;
    if (!(capacity > 0) || !Number.isFinite(capacity)) throw invalid(`resource "${spec.id}": capacity must be a positive number (got ${spec.capacity})`, { resource: spec.id });
    const cls = spec.class ?? 'default';
    this.resources.set(spec.id, new Resource(spec.id, capacity, cls, exclusive));
    let queue = this.classes.get(cls);
    if (queue === undefined) {
      const strategy = this.options.strategies?.[cls] ?? this.options.defaultStrategy ?? 'fcfs';
      queue = { name: cls, strategy, byTenant: strategy === 'drf' || strategy === 'fair-share', pending: new Set(), heap: heapFor(this, strategy), resources: 0 };
      this.classes.set(cls, queue);
      this.classOrder = [...this.classes.keys()].sort();
    }
    queue.resources++;
  }

  tenant(id: string, weight: number | undefined): Tenant {
    let t = this.tenants.get(id);
    if (t === undefined) {
      if (typeof id !== 'string' || id === '') throw invalid('request.tenant must be a non-empty string', { tenant: id });
      this.tenants.set(id, (t = new Tenant(id, weight ?? 1)));
    } else if (weight !== undefined && weight !== t.weight) {
      t.weight = weight;
      if (t.queues.length !== 0) this.rebuildHeaps();
    }
    if (!(t.weight > 0)) throw invalid(`tenant "${id}": weight must be > 0 (got ${t.weight})`, { tenant: id });
    return t;
  }

  /** Grants at once if capacity is free and nobody waits on these resources; else `undefined`. */
  tryRequest(request: ResourceRequest): GrantImpl | undefined {
    const t = this.tenant(request.tenant, request.weight);
    const amounts = request.amounts;
    let cls: string | undefined;
    let free = true;
    for (const id in amounts) {
      const r = this.resources.get(id) ?? this.unknown(id, request);
      const amount = amounts[id] as number;
      if (!(amount > 0) || amount > r.capacity) this.badAmount(r, amount, request);
      if (cls === undefined) cls = r.cls;
      else if (cls !== r.cls) this.mixedClasses(request);
      if (r.waiting !== 0 || r.used + amount > r.capacity) free = false;
    }
    if (cls === undefined) throw invalid(`request of tenant "${request.tenant}" asks for no resources`, { tenant: request.tenant });
    if (!free || this.batching !== 0) return undefined;
    const holder = request.run ?? request.tenant;
    if (this.options.deadlock === 'order') this.checkOrder(request, holder);
    return this.grant(request, t, holder, ++this.requestSeq, 'free-capacity');
  }

  grant(request: ResourceRequest, t: Tenant, holder: string, seq: number, rule: DecisionRule): GrantImpl {
    const amounts = request.amounts;
    let dominant = t.dominant;
    const g = new GrantImpl(++this.grantSeq, seq, request, t, holder);
    for (const id in amounts) {
      const r = this.resources.get(id) as Resource;
      const amount = amounts[id] as number;
      r.used += amount;
      const h = t.holding(r);
      const share = (h.amount += amount) / r.capacity;
      if (share > dominant) dominant = share;
      if (r.holders !== undefined) {
        r.holders.add(g);
        this.exclusiveGrants.add(g);
      }
    }
    t.dominant = dominant;
    if (t.queues.length !== 0) this.rekey(t);
    if (request.preemptible === true) this.preemptible.add(g);
    this.decisions++;
    this.log.add('grant', rule, seq, request, t.id, dominant);
    return g;
  }

  release(grant: GrantImpl): boolean {
    if (grant.released) return false;
    grant.released = true;
    this.free(grant);
    if (this.pendingCount !== 0 && this.batching === 0) this.dispatch();
    return true;
  }


  free(grant: GrantImpl): void {
    const t = grant.owner;
    const amounts = grant.request.amounts;
    let recompute = false;
    for (const id in amounts) {
      const r = this.resources.get(id) as Resource;
      const amount = amounts[id] as number;
      r.used -= amount;
      const h = t.holding(r);
      // The dominant share only needs recomputing if this resource was (one of) the dominant one(s).
      if (h.amount / r.capacity >= t.dominant) recompute = true;
      h.amount -= amount;
      if (h.amount < 1e-12) h.amount = 0;
      if (r.holders !== undefined) r.holders.delete(grant);
    }
    if (recompute) t.recomputeDominant();
    if (t.queues.length !== 0) this.rekey(t);
    if (grant.request.preemptible === true) this.preemptible.delete(grant);
    if (this.exclusiveGrants.size !== 0) this.exclusiveGrants.delete(grant);
  }

  /** Queues a request (after the fast path failed) and dispatches. */
  enqueue(request: ResourceRequest, options: WaitOptions): Promise<GrantImpl> {
    const t = this.tenant(request.tenant, request.weight);
    const parts: [Resource, number][] = [];
    let cls: string | undefined;
    for (const id of Object.keys(request.amounts).sort()) {
      const r = this.resources.get(id) ?? this.unknown(id, request);
      const amount = request.amounts[id] as number;
      if (!(amount > 0) || amount > r.capacity) this.badAmount(r, amount, request);
      if (cls !== undefined && cls !== r.cls) this.mixedClasses(request);
      cls = r.cls;
      parts.push([r, amount]);
    }
    if (cls === undefined) throw invalid(`request of tenant "${request.tenant}" asks for no resources`, { tenant: request.tenant });
    const holder = request.run ?? request.tenant;
    if (this.options.deadlock === 'order') this.checkOrder(request, holder);
    const queue = this.classes.get(cls) as ClassQueue;
    const seq = ++this.requestSeq;
    if (options.signal?.aborted) return Promise.reject(this.cancelled(request, seq, 'abort', 'E_ABORTED', 'was aborted'));
    return new Promise<GrantImpl>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        if (this.unqueue(queue, p)) reject(this.cancelled(request, seq, 'abort', 'E_ABORTED', 'was aborted'));
      };
      const p: Pending = {
        heapIndex: -1,
        seq, request, tenant: t, holder, strategy: queue.strategy, parts, since: this.decisions, resolve, reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          if (this.unqueue(queue, p)) reject(this.cancelled(request, seq, 'timeout', 'E_TIMEOUT', `was not granted within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.push(queue, p);
      this.pendingCount++;
      t.pending++;
      for (const [r] of parts) r.waiting++;
      this.log.add('queue', queue.strategy, seq, request, t.id, t.dominant);
      if (this.options.deadlock !== 'off' && this.options.deadlock !== 'order' && parts.some(([r]) => r.exclusive)) this.breakDeadlock(p);
      // A newcomer that does not fit changes nothing for the others (unless it may preempt).
      if (this.batching === 0 && (fits(p) || queue.strategy === 'priority')) this.dispatch();
    });
  }

  /** Removes a pending request (timeout, abort, deadlock); false if it already left the queue. */
  unqueue(queue: ClassQueue, p: Pending): boolean {
    if (!queue.pending.has(p)) return false;
    this.take(queue, p);
    // Those queued behind it may fit now.
    if (this.batching === 0) queueMicrotask(() => this.dispatch());
    return true;
  }

  private breakDeadlock(p: Pending): void {
    const cycle = findDeadlock(this, p);
    if (cycle === undefined) return;
    // The youngest request in the cycle is refused: the newest arrival pays, never an old waiter.
    const victim = cycle.reduce((a, b) => (b.seq > a.seq ? b : a));
    const queue = this.classes.get((victim.parts[0] as [Resource, number])[0].cls) as ClassQueue;
    if (!this.unqueue(queue, victim)) return;
    const holders = cycle.map((c) => c.holder);
    const resources = [...new Set(cycle.flatMap((c) => c.parts.map(([r]) => r.id)))];
    this.log.add('refuse', 'deadlock', victim.seq, victim.request, victim.tenant.id, victim.tenant.dominant, `wait-for cycle ${holders.join(' -> ')} -> ${holders[0]}`);
    victim.reject(new SymphonyError('E_DEADLOCK', `request ${victim.request.id ?? `${victim.request.tenant}#${victim.seq}`} of "${victim.holder}" would deadlock (wait-for cycle ${holders.join(' -> ')} -> ${holders[0]}); it was refused as the youngest in the cycle: release what it holds and retry`, {
      details: { requestId: victim.request.id, holder: victim.holder, cycle: holders, resources },
    }));
  }

  /** Grants what fits, class by class, best first by the class's strategy. */
  dispatch(): void {
    for (const cls of this.classOrder) {
      const queue = this.classes.get(cls) as ClassQueue;
      if (queue.pending.size !== 0) this.dispatchClass(queue);
    }
  }

  private dispatchClass(queue: ClassQueue): void {
    const heap = queue.heap as IndexedHeap<Pending | TenantQueue>;
    const blocked = new Set<Resource>();
    const aside: (Pending | TenantQueue)[] = [];
    while (heap.size !== 0 && blocked.size < queue.resources) {
      const top = heap.peek() as Pending | TenantQueue;
      const p = queue.byTenant ? ((top as TenantQueue).requests[0] as Pending) : (top as Pending);
      heap.pop();
      if (blocked.size !== 0 && p.parts.some(([r]) => blocked.has(r))) {
        aside.push(top);
        continue;
      }
      let rule: DecisionRule = queue.strategy;
      if (!fits(p)) {
        if (queue.strategy === 'priority' && this.preemptFor(p)) rule = 'preemption';
        else {
          // It waits at the head: nothing behind it may take these resources (no starvation of big requests).
          for (const [r] of p.parts) blocked.add(r);
          aside.push(top);
          continue;
        }
      }
      if (queue.byTenant) heap.push(top); // take() below re-keys or drops it
      this.take(queue, p);
      p.resolve(this.grant(p.request, p.tenant, p.holder, p.seq, rule));
    }
    for (const entry of aside) heap.push(entry);
  }

  /** Adds a waiting request to its class's heap. */
  private push(queue: ClassQueue, p: Pending): void {
    queue.pending.add(p);
    if (!queue.byTenant) {
      (queue.heap as IndexedHeap<Pending>).push(p);
      return;
    }
    let tq = p.tenant.queues.find((q) => q.queue === queue);
    if (tq === undefined) p.tenant.queues.push((tq = new TenantQueue(p.tenant, queue)));
    tq.requests.push(p);
    if (tq.heapIndex < 0) (queue.heap as IndexedHeap<TenantQueue>).push(tq);
  }

  /** Takes a request out of the waiting structures (granted, timed out, aborted or refused). */
  private take(queue: ClassQueue, p: Pending): void {
    queue.pending.delete(p);
    this.pendingCount--;
    p.tenant.pending--;
    for (const [r] of p.parts) r.waiting--;
    p.cleanup();
    if (!queue.byTenant) {
      (queue.heap as IndexedHeap<Pending>).remove(p);
      return;
    }
    const t = p.tenant;
    const tq = t.queues.find((q) => q.queue === queue) as TenantQueue;
    tq.requests.splice(tq.requests.indexOf(p), 1);
    const heap = queue.heap as IndexedHeap<TenantQueue>;
    if (tq.requests.length === 0) {
      heap.remove(tq);
      t.queues.splice(t.queues.indexOf(tq), 1);
    } else heap.update(tq);
  }

  /** A tenant's share changed: move it in every fair-share / DRF heap it waits in. */
  private rekey(t: Tenant): void {
    for (const tq of t.queues) (tq.queue.heap as IndexedHeap<TenantQueue>).update(tq);
  }

  /** Keys changed wholesale (capacity, weight): re-sort every heap. */
  rebuildHeaps(): void {
    for (const queue of this.classes.values()) (queue.heap as IndexedHeap<Pending | TenantQueue>).rebuild();
  }

  /** Frees strictly-lower-priority preemptible grants (lowest priority, youngest first) if that makes `p` fit. */
  private preemptFor(p: Pending): boolean {
    const priority = p.request.priority ?? 0;
    const victims = [...this.preemptible]
      .filter((g) => g.priority < priority && p.parts.some(([r]) => (g.request.amounts[r.id] ?? 0) > 0))
      .sort((a, b) => a.priority - b.priority || b.seq - a.seq || b.id - a.id);
    const freed = new Map<Resource, number>();
    const chosen: GrantImpl[] = [];
    const enough = (): boolean => p.parts.every(([r, amount]) => r.used - (freed.get(r) ?? 0) + amount <= r.capacity);
    for (const g of victims) {
      if (enough()) break;
      chosen.push(g);
      for (const [r] of p.parts) freed.set(r, (freed.get(r) ?? 0) + (g.request.amounts[r.id] ?? 0));
    }
    if (!enough()) return false;
    for (const g of chosen) {
      g.released = true;
      g.preempted = true;
      this.free(g);
      this.log.add('preempt', 'preemption', g.seq, g.request, g.owner.id, g.owner.dominant, `for ${p.request.id ?? `${p.request.tenant}#${p.seq}`} (priority ${priority} > ${g.priority})`);
      try {
        g.request.onPreempt?.(g);
      } catch (err) {
        this.logger.error({ err, grant: g.id }, 'arbitration: onPreempt threw');
      }
    }
    return true;
  }

  private checkOrder(request: ResourceRequest, holder: string): void {
    let highest: string | undefined;
    for (const g of this.exclusiveGrants) {
      if (g.holder !== holder) continue;
      for (const id in g.request.amounts) if (this.resources.get(id)?.exclusive && (highest === undefined || id > highest)) highest = id;
    }
    if (highest === undefined) return;
    for (const id in request.amounts) {
      if (this.resources.get(id)?.exclusive && id <= highest) {
        this.log.add('refuse', 'lock-order', ++this.requestSeq, request, request.tenant, 0, `${id} <= ${highest}`);
        throw new SymphonyError('E_LOCK_ORDER', `"${holder}" holds exclusive "${highest}" and asks for "${id}": take exclusive resources in id order (release and re-request together)`, {
          details: { holder, held: highest, requested: id },
        });
      }
    }
  }

  private cancelled(request: ResourceRequest, seq: number, action: DecisionAction, code: 'E_ABORTED' | 'E_TIMEOUT', why: string): SymphonyError {
    this.log.add(action, 'wait-limit', seq, request, request.tenant, this.tenants.get(request.tenant)?.dominant ?? 0);
    const id = request.id ?? `${request.tenant}#${seq}`;
    return new SymphonyError(code, `request ${id} for ${Object.keys(request.amounts).join(', ')} ${why}`, { details: { requestId: id, tenant: request.tenant, amounts: request.amounts } });
  }

  private unknown(id: string, request: ResourceRequest): never {
    throw new SymphonyError('E_NOT_FOUND', `no resource "${id}" (tenant "${request.tenant}" asked for it); add it with addResource()`, {
      details: { resource: id, tenant: request.tenant, known: [...this.resources.keys()] },
    });
  }

  private badAmount(r: Resource, amount: number, request: ResourceRequest): never {
    throw invalid(`tenant "${request.tenant}" asked for ${amount} of "${r.id}": amounts must be > 0 and at most its capacity ${r.capacity}`, {
      resource: r.id, amount, capacity: r.capacity, tenant: request.tenant,
    });
  }

  private mixedClasses(request: ResourceRequest): never {
    const classes = Object.keys(request.amounts).map((id) => `${id}:${this.resources.get(id)?.cls}`);
    throw invalid(`one request must stay within one resource class (got ${classes.join(', ')}); split it`, { tenant: request.tenant, classes });
  }
}

function fits(p: Pending): boolean {
  for (const [r, amount] of p.parts) if (r.used + amount > r.capacity + 1e-12) return false;
  return true;
}

function invalid(message: string, details: Record<string, unknown>): SymphonyError {
  return new SymphonyError('E_INPUT_INVALID', message, { details });
}

export type { Strategy };
