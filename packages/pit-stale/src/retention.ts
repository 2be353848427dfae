import { SymphonyError } from '@symphony/types';
import type { Meta } from './scorer.js';
import type { RetentionPolicy } from './types.js';

const DAY = 86_400_000;

export interface Plan {
  chosen: Meta[];
  protected: { id: string; why: string }[];
  deferred: number;
}

type Value = (meta: Meta) => number;
type Protection = (meta: Meta) => string | undefined;

export function resolvePolicy(policy: RetentionPolicy = {}): Required<Omit<RetentionPolicy, 'maxBytes'>> & { maxBytes?: number } {
  const resolved = { keepDays: 30, keepBestPerType: 100, maxRemoveFraction: 0.25, graceMs: 7 * DAY, ...policy };
  if (!(resolved.maxRemoveFraction > 0 && resolved.maxRemoveFraction <= 0.5)) {
    throw new SymphonyError('E_INPUT_INVALID', `retention.maxRemoveFraction must be in (0, 0.5]: one pass never removes most of the history (got ${resolved.maxRemoveFraction})`, {
      details: { path: 'retention.maxRemoveFraction', value: resolved.maxRemoveFraction },
    });
  }
  for (const key of ['keepDays', 'keepBestPerType', 'graceMs'] as const) {
    if (!(resolved[key] >= 0)) throw new SymphonyError('E_INPUT_INVALID', `retention.${key} must be >= 0 (got ${resolved[key]})`, { details: { path: `retention.${key}` } });
  }
  return resolved;
}

/** Most records one pass may take out of `live`. */
function passCap(live: number, fraction: number): number {
  return Math.floor(live * fraction);
}

/**
 * Age: older than `keepDays` and not among the best `keepBestPerType` of its quest type; oldest
 * first. At most `cap` records (default: `maxRemoveFraction` of `live`).
 */
export function planByAge(live: Meta[], policy: ReturnType<typeof resolvePolicy>, now: number, value: Value, protection: Protection, cap = passCap(live.length, policy.maxRemoveFraction)): Plan {
  const keep = new Set<string>();
  const byType = new Map<string, Meta[]>();
  for (const m of live) {
    const list = byType.get(m.questType);
    if (list) list.push(m);
    else byType.set(m.questType, [m]);
  }
  for (const list of byType.values()) {
    list.sort((a, b) => value(b) - value(a) || b.at - a.at || (a.id < b.id ? -1 : 1));
    for (const m of list.slice(0, policy.keepBestPerType)) keep.add(m.id);
  }
  const cutoff = now - policy.keepDays * DAY;
  const due = live.filter((m) => m.at < cutoff && !keep.has(m.id)).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
  return take(due, cap, protection, () => false);
}

/** Size: lowest value first until live bytes are at or under `maxBytes`; at most `cap` records. */
export function planBySize(live: Meta[], maxBytes: number, liveBytes: number, policy: ReturnType<typeof resolvePolicy>, value: Value, protection: Protection, cap = passCap(live.length, policy.maxRemoveFraction)): Plan {
  if (liveBytes <= maxBytes) return { chosen: [], protected: [], deferred: 0 };
  const values = new Map(live.map((m) => [m.id, value(m)]));
  const order = [...live].sort((a, b) => values.get(a.id)! - values.get(b.id)! || a.at - b.at || (a.id < b.id ? -1 : 1));
  let remaining = liveBytes;
  return take(order, cap, protection, (m) => {
    if (remaining <= maxBytes) return true;
    remaining -= m.bytes;
    return false;
  });
}

function take(candidates: Meta[], cap: number, protection: Protection, done: (m: Meta) => boolean): Plan {
  const plan: Plan = { chosen: [], protected: [], deferred: 0 };
  for (const m of candidates) {
    const why = protection(m);
    if (why !== undefined) {
      plan.protected.push({ id: m.id, why });
      continue;
    }
    if (done(m)) break;
    if (plan.chosen.length >= cap) {
      plan.deferred++;
      continue;
    }
    plan.chosen.push(m);
  }
  return plan;
}
