import type { ArbiterCore } from './arbiter.js';
import type { ArbiterMetrics, TenantMetrics } from './types.js';

/** Jain's fairness index (Jain, Chiu, Hawe 1984): (Σx)² / (n·Σx²), 1 when all equal, 1/n at worst. */
export function jainIndex(values: readonly number[]): number {
  let sum = 0;
  let squares = 0;
  for (const x of values) {
    sum += x;
    squares += x * x;
  }
  if (values.length === 0 || squares === 0) return 1;
  return (sum * sum) / (values.length * squares);
}

/** Per-tenant shares and fairness over tenants that hold something or are waiting. */
export function metricsOf(core: ArbiterCore): ArbiterMetrics {
  const tenants: Record<string, TenantMetrics> = {};
  const weighted: number[] = [];
  const raw: number[] = [];
  for (const id of [...core.tenants.keys()].sort()) {
    const t = core.tenants.get(id)!;
    const held: Record<string, number> = {};
    for (const h of t.holdings) if (h.amount > 0) held[h.resource.id] = h.amount;
    tenants[id] = { weight: t.weight, dominantShare: t.dominant, weightedShare: t.dominant / t.weight, held, pending: t.pending };
    if (t.holdsAnything() || t.pending > 0) {
      weighted.push(t.dominant / t.weight);
      raw.push(t.dominant);
    }
  }
  return {
    tenants,
    jain: jainIndex(weighted),
    jainRaw: jainIndex(raw),
    decisions: { ...core.log.counts },
    byRule: { ...core.log.byRule },
    pending: core.pendingCount,
  };
}
