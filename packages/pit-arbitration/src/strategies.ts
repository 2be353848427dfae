import type { ArbiterCore } from './arbiter.js';
import type { Pending } from './model.js';

/**
 * True when `a` goes before `b` under their class's strategy. Ties fall to a stable rule:
 * the tenant id (fair-share, DRF), then the request sequence number (arrival order). Never
 * hash order or container order, so the same inputs give the same decisions.
 */
export function better(core: ArbiterCore, a: Pending, b: Pending): boolean {
  switch (a.strategy) {
    case 'priority': {
      const pa = effectivePriority(core, a);
      const pb = effectivePriority(core, b);
      if (pa !== pb) return pa > pb;
      return a.seq < b.seq;
    }
    case 'fair-share':
    case 'drf': {
      const sa = a.strategy === 'drf' ? a.tenant.dominant / a.tenant.weight : requestedShare(a);
      const sb = b.strategy === 'drf' ? b.tenant.dominant / b.tenant.weight : requestedShare(b);
      if (Math.abs(sa - sb) > 1e-12) return sa < sb;
      if (a.tenant.id !== b.tenant.id) return a.tenant.id < b.tenant.id;
      return a.seq < b.seq;
    }
    case 'fcfs':
      return a.seq < b.seq;
  }
}

/** Base priority plus `agingRate` per decision spent waiting: a waiter's priority only grows. */
export function effectivePriority(core: ArbiterCore, p: Pending): number {
  return (p.request.priority ?? 0) + core.agingRate * (core.decisions - p.since);
}

/** The tenant's weighted share of the resources this request asks for (the largest of them). */
function requestedShare(p: Pending): number {
  let max = 0;
  for (const [r] of p.parts) {
    const share = (p.tenant.held.get(r) ?? 0) / r.capacity;
    if (share > max) max = share;
  }
  return max / p.tenant.weight;
}
