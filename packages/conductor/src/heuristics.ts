import { GIVE_UP, type CandidateView, type DecisionContext } from './features.js';
import { KIND_QUALITY_WEIGHT } from './fqg.js';
import { predictLatencyMs, qualityFor } from './history.js';
import { createRng, type Rng } from './rng.js';
import type { SyncPolicy } from './policy.js';

/**
 * The baselines a learned policy must beat. None of them gives up on its own: after a failure
 * each applies its own rule again (the same candidate, when the rule picks it, is a retry).
 *
 * The first five are the simple ones; the last three are the strong ones a reviewer asks for
 * (their parameters are tuned on validation seeds only, see `tuneBaselines`):
 * - `ev-greedy`: the candidate with the highest expected reward of this call, estimated from
 *   EWMA success, quality for this step kind and a size-aware latency fit, with a failure weight
 *   and an optimistic bonus for candidates seen few times. It is myopic: every second and every
 *   cost unit counts the same, wherever the step sits in the graph and whatever is left of the
 *   budget;
 * - `thompson`: the same value with the success probability drawn from a Beta posterior;
 * - `cheapest-reliable`: the cheapest candidate whose estimated success is at least a threshold.
 */
export type HeuristicName = 'random' | 'round-robin' | 'cheapest' | 'lowest-latency' | 'ucb1' | 'ev-greedy' | 'thompson' | 'cheapest-reliable';
export const HEURISTICS: readonly HeuristicName[] = ['random', 'round-robin', 'cheapest', 'lowest-latency', 'ucb1', 'ev-greedy', 'thompson', 'cheapest-reliable'];
/** The strong baselines, the ones tuned on validation seeds. */
export const STRONG_BASELINES = ['ev-greedy', 'thompson', 'cheapest-reliable'] as const;
export type StrongBaseline = (typeof STRONG_BASELINES)[number];


export interface HeuristicOptions {
  seed?: number;
  ucbC?: number;
  /** ev-greedy / thompson: what a failed call costs beyond its own penalty (retries, risk). */
  failWeight?: number;
  /** ev-greedy: optimism for little-seen candidates, `bonus / sqrt(1 + n)`. */
  bonus?: number;
  /** thompson: pseudo-observations a candidate's EWMA failure rate is worth at most. */
  memory?: number;
  /** cheapest-reliable: minimum estimated success rate. */
  minSuccess?: number;
}

/**
 * Defaults picked by `tuneBaselines(validationSeeds(300))` on the game as it is (`symphony eval`
 * re-tunes them every time; these are what a run's fallback heuristic uses).
 */
export const TUNED = {
  'ev-greedy': { failWeight: 0.25, bonus: 0 },
  thompson: { failWeight: 0.5, memory: 3 },
  'cheapest-reliable': { minSuccess: 0.5 },
} as const satisfies Record<StrongBaseline, HeuristicOptions>;

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

/** Overload a call to this candidate would add (the game's and a pool's notion alike). */
function overloadOf(c: CandidateView): number {
  return Math.max(0, c.inFlight + 1 - c.capacity);
}

/**
 * Expected reward of one call to `c` given a success probability: quality when it works, the
 * failure weight when not, minus cost and seconds (latency predicted for this input size and
 * stretched by overload, as the game and a shared pool do).
 */
export function expectedCallValue(ctx: DecisionContext, c: CandidateView, pOk: number, failWeight: number): number {
  const s = c.stats;
  const overload = overloadOf(c);
  // A cold instance's start and a scale-out queue's wait come before the call, once: not stretched by overload.
  const seconds = (predictLatencyMs(s, ctx.inputSize) * (1 + 0.8 * overload) + (c.startCostMs ?? 0) + (c.queueCostMs ?? 0)) / 1000;
  const qw = KIND_QUALITY_WEIGHT[((ctx.stepKind % 4) + 4) % 4] as number;
  const ok = Math.max(0, pOk - 0.12 * overload);
  return ok * qw * qualityFor(s, ctx.stepKind) - (1 - ok) * failWeight - c.cost - seconds;
}

export function createHeuristic(name: HeuristicName, options: HeuristicOptions = {}): SyncPolicy {
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
      return { name, version, decide: (batch) => batch.map((ctx) => pickBy(ctx, (i) => -((ctx.candidates[i]?.stats.ewmaLatencyMs ?? Infinity) + (ctx.candidates[i]?.startCostMs ?? 0) + (ctx.candidates[i]?.queueCostMs ?? 0)))) };
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
    case 'ev-greedy': {
      const failWeight = options.failWeight ?? TUNED['ev-greedy'].failWeight;
      const bonus = options.bonus ?? TUNED['ev-greedy'].bonus;
      return {
        name,
        version: `${version}(fail=${failWeight},bonus=${bonus})`,
        decide: (batch) =>
          batch.map((ctx) =>
            pickBy(ctx, (i) => {
              const c = ctx.candidates[i]!;
              return expectedCallValue(ctx, c, 1 - c.stats.ewmaFail, failWeight) + bonus / Math.sqrt(1 + c.stats.n);
            }),
          ),
      };
    }
    case 'thompson': {
      const failWeight = options.failWeight ?? TUNED.thompson.failWeight;
      const memory = options.memory ?? TUNED.thompson.memory;
      const rng = createRng(options.seed ?? 1);
      return {
        name,
        version: `${version}(fail=${failWeight},memory=${memory})`,
        decide: (batch) =>
          batch.map((ctx) =>
            pickBy(ctx, (i) => {
              const c = ctx.candidates[i]!;
              const n = Math.min(c.stats.n, memory);
              const pOk = sampleBeta(rng, 1 + n * (1 - c.stats.ewmaFail), 1 + n * c.stats.ewmaFail);
              return expectedCallValue(ctx, c, pOk, failWeight);
            }),
          ),
      };
    }
    case 'cheapest-reliable': {
      const minSuccess = options.minSuccess ?? TUNED['cheapest-reliable'].minSuccess;
      return {
        name,
        version: `${version}(min=${minSuccess})`,
        decide: (batch) =>
          batch.map((ctx) => {
            const reliable = ctx.candidates.some((c) => 1 - c.stats.ewmaFail >= minSuccess);
            return pickBy(ctx, (i) => {
              const c = ctx.candidates[i]!;
              const pOk = 1 - c.stats.ewmaFail;
              // Among the reliable: the cheapest; when none is reliable: the most reliable.
              return reliable ? (pOk >= minSuccess ? -c.cost : -Infinity) : pOk;
            });
          }),
      };
    }
  }
}

/** A Beta(a, b) draw from two Gamma draws (Marsaglia-Tsang), on the seeded generator. */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (let k = 0; k < 64; k++) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
  return d;
}
