import { GIVE_UP, type DecisionContext } from './features.js';
import { expectedCallValue } from './heuristics.js';
import type { Decision } from './policy.js';

/**
 * Bounded exploration on real runs, and the reason behind every decision.
 *
 * The policy decides; then, on a first-attempt decision, a candidate seen fewer than
 * `maxObservations` times whose optimistic value (estimate + uncertainty) beats the chosen
 * candidate's estimate is tried instead. Each candidate can therefore be explored at most
 * `maxObservations` times per history, and a step with `explore: false` never is. Estimates
 * are the EV-greedy model's (EWMA success and quality, latency fitted against input size, cost);
 * uncertainty is `scale / sqrt(1 + observations)`.
 *
 * Exact ties in the policy's probabilities are broken by the higher value estimate (then fewer
 * observations), never silently by list order, and the reason says so.
 */
export interface ExploreOptions {
  /** Explore a candidate only while it has fewer observations than this. Default 3. */
  maxObservations?: number;
  /** Uncertainty at zero observations, in reward units. Default 0.5. */
  scale?: number;
}

export interface CandidateReason {
  id: string;
  /** Expected reward of one call, from what was observed (priors when never seen). */
  value: number;
  /** Half-width of the optimism added while exploring. */
  uncertainty: number;
  observations: number;
  probability?: number;
}

export interface DecisionReason {
  candidates: CandidateReason[];
  /** The policy's own pick, before exploration and tie-breaking. */
  policyChoice: number;
  explored: boolean;
  tie: boolean;
  /** Set when the step said `explore: false` (or exploration is off). */
  exploreOff?: boolean;
  /** One sentence a person can read (filled by `describeReason`, at explain time). */
  why?: string;
}

export const EXPLORE_DEFAULTS = { maxObservations: 3, scale: 0.5 } as const;
const TIE = 1e-6;

export function reasonFor(ctx: DecisionContext, decision: Decision, options: ExploreOptions = {}): { action: number; reason: DecisionReason } {
  const maxObs = options.maxObservations ?? EXPLORE_DEFAULTS.maxObservations;
  const scale = options.scale ?? EXPLORE_DEFAULTS.scale;
  const probs = decision.probabilities;
  const candidates: CandidateReason[] = ctx.candidates.map((c, i) => ({
    id: c.id,
    value: round(expectedCallValue(ctx, c, 1 - c.stats.ewmaFail, 0)),
    uncertainty: round(scale / Math.sqrt(1 + c.stats.n)),
    observations: c.stats.n,
    ...(probs?.[i] !== undefined ? { probability: round(probs[i] as number) } : {}),
  }));
  const policyChoice = decision.action;
  let action = policyChoice;
  let tie = false;
  if (action === GIVE_UP || !candidates[action]) {
    return { action, reason: { candidates, policyChoice, explored: false, tie: false } };
  }
  // Ties in the policy's probabilities: the higher estimate, then the less seen.
  if (probs) {
    const top = probs[action] as number;
    const tied = candidates.map((_, i) => i).filter((i) => Math.abs((probs[i] as number) - top) <= TIE);
    if (tied.length > 1) {
      tie = true;
      tied.sort((a, b) => candidates[b]!.value - candidates[a]!.value || candidates[a]!.observations - candidates[b]!.observations || a - b);
      action = tied[0] as number;
    }
  }
  const chosen = candidates[action]!;
  let explored = false;
  if (ctx.kind === 'select' && ctx.explore !== false) {
    let best = -1;
    let bestUpper = chosen.value;
    candidates.forEach((c, i) => {
      if (i === action || c.observations >= maxObs) return;
      const upper = c.value + c.uncertainty;
      if (upper > bestUpper) {
        best = i;
        bestUpper = upper;
      }
    });
    if (best >= 0) {
      explored = true;
      action = best;
    }
  }
  return { action, reason: { candidates, policyChoice, explored, tie, ...(ctx.explore === false ? { exploreOff: true } : {}) } };
}

/** The reason as one sentence: why this candidate (or giving up) was chosen. */
export function describeReason(reason: DecisionReason, action: number): string {
  const { candidates, policyChoice } = reason;
  const picked = candidates[action];
  if (!picked) return 'the policy gave up on this step';
  const original = candidates[policyChoice];
  if (reason.explored && original) {
    return `explored ${picked.id}: seen ${picked.observations} time(s), estimate ${fmt(picked.value)} ± ${fmt(picked.uncertainty)} could beat ${original.id}'s ${fmt(original.value)}`;
  }
  if (reason.tie) {
    const top = original?.probability;
    const tied = candidates.filter((c) => top !== undefined && c.probability !== undefined && Math.abs(c.probability - top) <= 1e-4).map((c) => c.id);
    return `the policy scored ${tied.join(' and ')} equally; ${picked.id} has the higher estimate (${fmt(picked.value)})`;
  }
  const p = picked.probability;
  return `policy's choice${p === undefined ? '' : ` (p=${fmt(p)})`}; estimate ${fmt(picked.value)} ± ${fmt(picked.uncertainty)} over ${picked.observations} observation(s)${reason.exploreOff ? '; exploration is off for this step' : ''}`;
}

/** Applies tie-breaking and bounded exploration to a batch of decisions, with their reasons. */
export function withReasons(batch: readonly DecisionContext[], decisions: readonly Decision[], options?: ExploreOptions): Decision[] {
  return decisions.map((d, i) => {
    const ctx = batch[i];
    if (!ctx) return d;
    const { action, reason } = reasonFor(ctx, d, options);
    return { ...d, action, reason };
  });
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function fmt(x: number): string {
  return x.toFixed(3);
}
