import { GIVE_UP, type DecisionContext } from './features.js';
import { createRng } from './rng.js';
import type { SyncPolicy } from './policy.js';

/**
 * The baselines a learned policy must beat. None of them gives up on its own: after a failure
 * each applies its own rule again (the same candidate, when the rule picks it, is a retry).
 */
export type HeuristicName = 'random' | 'round-robin' | 'cheapest' | 'lowest-latency' | 'ucb1';
export const HEURISTICS: readonly HeuristicName[] = ['random', 'round-robin', 'cheapest', 'lowest-latency', 'ucb1'];

function pickBy(ctx: DecisionContext, score: (i: number) => number): number {
  let best = -1;
  let bestScore = -Infinity;
  ctx.candidates.forEach((_, i) => {
    const s = score(i);
    if (s > bestScore) {
      best = i;
      bestScore = s;
    }
  });
  return best < 0 ? GIVE_UP : best;
}

export function createHeuristic(name: HeuristicName, options: { seed?: number; ucbC?: number } = {}): SyncPolicy {
  const version = `heuristic:${name}`;
  switch (name) {
    case 'random': {
      const rng = createRng(options.seed ?? 1);
      return { name, version, decide: (batch) => batch.map((ctx) => (ctx.candidates.length ? rng.int(0, ctx.candidates.length - 1) : GIVE_UP)) };
    }
    case 'round-robin': {
      let counter = 0;
      return {
        name,
        version,
        decide: (batch) =>
          batch.map((ctx) => {
            if (!ctx.candidates.length) return GIVE_UP;
            const slot = ctx.previous !== undefined ? ctx.previous + 1 : counter++;
            return slot % ctx.candidates.length;
          }),
      };
    }
    case 'cheapest':
      return { name, version, decide: (batch) => batch.map((ctx) => pickBy(ctx, (i) => -(ctx.candidates[i]?.cost ?? Infinity))) };
    case 'lowest-latency':
      // Untried candidates carry the prior latency, so each gets tried once it looks competitive.
      return { name, version, decide: (batch) => batch.map((ctx) => pickBy(ctx, (i) => -(ctx.candidates[i]?.stats.ewmaLatencyMs ?? Infinity))) };
    case 'ucb1': {
      const c = options.ucbC ?? 0.5;
      return {
        name,
        version: `${version}(c=${c})`,
        decide: (batch) =>
          batch.map((ctx) => {
            const total = ctx.candidates.reduce((sum, cand) => sum + cand.stats.n, 0);
            return pickBy(ctx, (i) => {
              const s = ctx.candidates[i]!.stats;
              if (s.n === 0) return 1e9 - i;
              return s.meanReward + c * Math.sqrt((2 * Math.log(Math.max(total, 1))) / s.n);
            });
          }),
      };
    }
  }
}
