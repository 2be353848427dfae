import type { ArbiterCore } from './arbiter.js';
import type { Pending } from './model.js';

/**
 * Wait-for graph over exclusive resources: a holder waits for the holders of the exclusive
 * resources its pending requests need. Returns the pending requests on a cycle through
 * `start`'s holder, or `undefined`. Neighbours are visited in sorted order (determinism).
 */
export function findDeadlock(core: ArbiterCore, start: Pending): Pending[] | undefined {
  const waitsOf = new Map<string, Pending[]>();
  for (const queue of core.classes.values()) {
    for (const p of queue.pending) {
      const list = waitsOf.get(p.holder);
      if (list) list.push(p);
      else waitsOf.set(p.holder, [p]);
    }
  }
  const origin = start.holder;
  const visited = new Set<string>();
  const path: Pending[] = [];

  const visit = (holder: string): boolean => {
    visited.add(holder);
    for (const p of waitsOf.get(holder) ?? []) {
      const next = new Set<string>();
      for (const [r] of p.parts) for (const g of r.holders ?? []) if (g.holder !== holder) next.add(g.holder);
      path.push(p);
      for (const h of [...next].sort()) {
        if (h === origin) return true;
        if (!visited.has(h) && visit(h)) return true;
      }
      path.pop();
    }
    return false;
  };
  // Start from the new request itself so the cycle found goes through it.
  const next = new Set<string>();
  for (const [r] of start.parts) for (const g of r.holders ?? []) if (g.holder !== origin) next.add(g.holder);
  visited.add(origin);
  path.push(start);
  for (const h of [...next].sort()) if (!visited.has(h) && visit(h)) return path;
  return undefined;
}
