import type { ArbiterCore } from './arbiter.js';
import { IndexedHeap } from './heap.js';
import type { Pending, TenantQueue } from './model.js';
import type { Strategy } from './types.js';

/**
 * Heap order per strategy. Ties fall to a stable rule: the tenant id (fair-share, DRF), the
 * request sequence number (priority, FCFS). Never hash or container order, so the same inputs
 * give the same decisions.
 */
export function heapFor(core: ArbiterCore, strategy: Strategy): IndexedHeap<Pending> | IndexedHeap<TenantQueue> {
  switch (strategy) {
    case 'priority':
      // Effective priority = priority + rate * (decisions - since): ordering by priority - rate * since
      // is the same at every moment, so the heap never needs re-keying as requests age.
      return new IndexedHeap<Pending>((a, b) => {
        const ka = (a.request.priority ?? 0) - core.agingRate * a.since;
        const kb = (b.request.priority ?? 0) - core.agingRate * b.since;
        return ka !== kb ? ka > kb : a.seq < b.seq;
      });
    case 'fcfs':
      return new IndexedHeap<Pending>((a, b) => a.seq < b.seq);
    case 'drf':
      return new IndexedHeap<TenantQueue>((a, b) => {
        const sa = a.tenant.dominant / a.tenant.weight;
        const sb = b.tenant.dominant / b.tenant.weight;
        return Math.abs(sa - sb) > 1e-12 ? sa < sb : a.tenant.id < b.tenant.id;
      });
    case 'fair-share':
      return new IndexedHeap<TenantQueue>((a, b) => {
        const sa = requestedShare(a);
        const sb = requestedShare(b);
        return Math.abs(sa - sb) > 1e-12 ? sa < sb : a.tenant.id < b.tenant.id;
      });
  }
}

/** Base priority plus `agingRate` per decision spent waiting: a waiter's priority only grows. */
export function effectivePriority(core: ArbiterCore, p: Pending): number {
  return (p.request.priority ?? 0) + core.agingRate * (core.decisions - p.since);
}

/** The tenant's weighted share of the resources its next request asks for (the largest of them). */
function requestedShare(q: TenantQueue): number {
  const head = q.requests[0];
  if (head === undefined) return Infinity;
  let max = 0;
  for (const [r] of head.parts) {
    const share = q.tenant.held(r) / r.capacity;
    if (share > max) max = share;
  }
  return max / q.tenant.weight;
}
