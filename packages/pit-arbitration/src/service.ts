import { SymphonyError } from '@symphony/types';
import { ArbiterCore } from './arbiter.js';
import { metricsOf } from './metrics.js';
import type { ArbiterMetrics, ArbiterOptions, Decision, Grant, ResourceRequest, ResourceSpec, ShareSample, WaitOptions } from './types.js';
import type { GrantImpl } from './model.js';

/** The `pit.arbitration` service. */
export interface ArbiterService {
  addResource(spec: ResourceSpec): void;
  /** Grows or shrinks a resource (e.g. when the pool loads another instance); waiters are re-dispatched. */
  setCapacity(resourceId: string, capacity: number): void;
  setWeight(tenant: string, weight: number): void;
  /** A grant now, or `undefined` if it would have to wait. Synchronous: the hot path. */
  tryRequest(request: ResourceRequest): Grant | undefined;
  /** A grant, waiting under the class's strategy if need be. E_DEADLOCK, E_LOCK_ORDER, E_TIMEOUT, E_ABORTED. */
  request(request: ResourceRequest, options?: WaitOptions): Promise<Grant>;
  /** `false` if already released or preempted. */
  release(grant: Grant): boolean;
  /** Requests made inside `fn` are decided together when it returns (one fair allocation, not first-come). */
  batch<T>(fn: () => T): T;
  /** Recent decisions, oldest first: which rule, which share. */
  decisions(limit?: number): Decision[];
  onDecision(listener: (decision: Decision) => void): () => void;
  metrics(): ArbiterMetrics;
  /** Records per-tenant dominant shares and Jain's index now (the plugin does it on a timer). */
  sample(): ShareSample;
  history(): ShareSample[];
}

export function createArbiter(options: ArbiterOptions = {}): ArbiterService {
  const core = new ArbiterCore(options);
  const history: ShareSample[] = [];
  const historySize = options.historySize ?? 600;
  return {
    addResource: (spec) => {
      core.addResource(spec);
      if (core.pendingCount !== 0) core.dispatch();
    },
    setCapacity(resourceId, capacity) {
      const r = core.resources.get(resourceId);
      if (r === undefined) {
        throw new SymphonyError('E_NOT_FOUND', `no resource "${resourceId}"`, { details: { resource: resourceId, known: [...core.resources.keys()] } });
      }
      if (!(capacity > 0) || !Number.isFinite(capacity) || (r.exclusive && capacity !== 1)) {
        throw new SymphonyError('E_INPUT_INVALID', `resource "${resourceId}": capacity must be a positive number (1 for exclusive resources), got ${capacity}`, {
          details: { resource: resourceId, capacity },
        });
      }
      // Shrinking below what is held is allowed: holders keep their grants, newcomers wait.
      r.capacity = capacity;
      for (const t of core.tenants.values()) if (t.byResource.has(r)) t.recomputeDominant();
      core.rebuildHeaps();
      if (core.pendingCount !== 0) core.dispatch();
    },
    setWeight: (tenant, weight) => {
      core.tenant(tenant, weight);
    },
    tryRequest: (request) => core.tryRequest(request),
    request: (request, opts = {}) => {
      const grant = core.tryRequest(request);
      return grant !== undefined ? Promise.resolve(grant) : core.enqueue(request, opts);
    },
    release: (grant) => core.release(grant as GrantImpl),
    batch(fn) {
      core.batching++;
      try {
        return fn();
      } finally {
        if (--core.batching === 0 && core.pendingCount !== 0) core.dispatch();
      }
    },
    decisions: (limit) => core.log.recent(limit),
    onDecision(listener) {
      core.log.listeners.push(listener);
      return () => {
        const i = core.log.listeners.indexOf(listener);
        if (i >= 0) core.log.listeners.splice(i, 1);
      };
    },
    metrics: () => metricsOf(core),
    sample() {
      const m = metricsOf(core);
      const shares: Record<string, number> = {};
      for (const [id, t] of Object.entries(m.tenants)) if (t.dominantShare > 0 || t.pending > 0) shares[id] = t.dominantShare;
      const s: ShareSample = { at: core.now(), shares, jain: m.jain };
      history.push(s);
      if (history.length > historySize) history.shift();
      return s;
    },
    history: () => [...history],
  };
}
