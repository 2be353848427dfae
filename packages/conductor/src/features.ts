import { predictLatencyMs, qualityFor, type CandidateStats } from './history.js';

/**
 * The decision a policy makes, and its feature encoding. Every decision picks one action row:
 * a candidate slot (first attempt: which implementation; after a failure: the same one = retry,
 * another = fall back) or the last row, "give up". The network scores each row with shared
 * weights, so candidate order does not matter and any number of candidates up to
 * MAX_CANDIDATES fits.
 */
export const MAX_CANDIDATES = 4;
export const ACTIONS = MAX_CANDIDATES + 1;
export const GIVE_UP = MAX_CANDIDATES;
export const STEP_KINDS = 4;
/** How much each step kind values quality (kind 0 is quality-critical, kind 2 is bulk work). */
export const KIND_QUALITY_WEIGHT = [2, 1, 0.5, 1] as const;

export const GLOBAL_FEATURES = [
  'is_failure',
  'attempt',
  'input_size_log',
  'remaining_critical_path',
  'queue_length',
  'global_load',
  'slack',
  'remaining_budget',
  'time_used',
  'kind_0',
  'kind_1',
  'kind_2',
  'kind_3',
] as const;
export const CANDIDATE_FEATURES = [
  'cost',
  'observations_log',
  'failure_rate',
  'quality',
  'predicted_latency_s',
  'ewma_latency_s',
  'load',
  'consecutive_failures',
  'is_previous',
  'mean_reward',
  'uncertainty',
  'kind_quality',
  'expected_value',
  'is_give_up',
] as const;
export const FEATURE_NAMES: readonly string[] = [...GLOBAL_FEATURES, ...CANDIDATE_FEATURES];
export const FEATURES = FEATURE_NAMES.length;

export interface CandidateView {
  /** Stable id (extension id in a run, candidate id in a quest). */
  id: string;
  /** Declared cost per call, 0..1. */
  cost: number;
  stats: CandidateStats;
  inFlight: number;
  capacity: number;
  /**
   * Expected cost of starting an instance before the call can run (a cold pooled instrument),
   * 0 or unset when one is warm. Counted as latency: in `predicted_latency_s` and `expected_value`,
   * so the feature vector (and a bundled model trained on it) stays as it is.
   */
  startCostMs?: number;
  /** Expected time in a scale-out queue before the call runs (depth, wait, run latency): counted as latency like `startCostMs`. */
  queueCostMs?: number;
}

export interface DecisionContext {
  kind: 'select' | 'failure';
  /** 0..STEP_KINDS-1: what sort of step asks (quality-critical, bulk, ...). */
  stepKind: number;
  /** Input size in the size units the history uses. */
  inputSize: number;
  /** Attempts already made for this step (0 on the first decision). */
  attempt: number;
  /** Share of the run's critical path still ahead of this step, 0..1. */
  remainingCriticalPath: number;
  /** Ready steps waiting for a slot. */
  queueLength: number;
  /** Busy share of all slots, 0..1. */
  globalLoad: number;
  /** The step's slack: how much longer it could take without delaying the run, as a share of the critical path (0 = on it). Default 0. */
  slack?: number;
  /** Share of the run's cost budget still unspent, 0..1. Default 1 (no budget). */
  remainingBudget?: number;
  /** Share of the run's deadline already used, 0..2. Default 0 (no deadline). */
  timeUsed?: number;
  /** Slot of the candidate that just failed (failure decisions). */
  previous?: number;
  /** Whether "give up" is allowed here (never on a first attempt). */
  canGiveUp: boolean;
  candidates: CandidateView[];
  /** `false` when the step said `explore: false`: the policy's choice stands. */
  explore?: boolean;
}

export interface EncodedBatch {
  /** [n, ACTIONS, FEATURES], row-major. */
  features: Float32Array;
  /** [n, ACTIONS]: 0 where the action is allowed, -1e9 where not. */
  mask: Float32Array;
  n: number;
}

export const MASKED = -1e9;

/** Writes one decision's rows into `features`/`mask` at decision index `i`. */
export function encodeInto(ctx: DecisionContext, features: Float32Array | Float64Array, mask: Float32Array | Float64Array, i: number): void {
  const base = i * ACTIONS * FEATURES;
  const g0 = ctx.kind === 'failure' ? 1 : 0;
  const g1 = Math.min(ctx.attempt, 4) / 4;
  const g2 = Math.log1p(Math.max(0, ctx.inputSize)) / 2;
  const g3 = clamp01(ctx.remainingCriticalPath);
  const g4 = Math.min(ctx.queueLength, 10) / 10;
  const g5 = clamp01(ctx.globalLoad);
  const g6 = clamp01(ctx.slack ?? 0);
  const g7 = clamp01(ctx.remainingBudget ?? 1);
  const g8 = Math.min(2, Math.max(0, ctx.timeUsed ?? 0)) / 2;
  const kind = ((ctx.stepKind % STEP_KINDS) + STEP_KINDS) % STEP_KINDS;
  const qw = KIND_QUALITY_WEIGHT[kind] as number;
  const G = GLOBAL_FEATURES.length;
  const K = 9;
  for (let a = 0; a < ACTIONS; a++) {
    const o = base + a * FEATURES;
    features[o] = g0;
    features[o + 1] = g1;
    features[o + 2] = g2;
    features[o + 3] = g3;
    features[o + 4] = g4;
    features[o + 5] = g5;
    features[o + 6] = g6;
    features[o + 7] = g7;
    features[o + 8] = g8;
    for (let k = 0; k < STEP_KINDS; k++) features[o + K + k] = k === kind ? 1 : 0;
    const c = o + G;
    const cand = a < MAX_CANDIDATES ? ctx.candidates[a] : undefined;
    if (cand) {
      const s = cand.stats;
      const overload = Math.max(0, cand.inFlight + 1 - cand.capacity);
      const latencyS = (predictLatencyMs(s, ctx.inputSize) + (cand.startCostMs ?? 0) + (cand.queueCostMs ?? 0)) / 1000;
      const quality = qualityFor(s, kind);
      const pOk = Math.max(0, 1 - s.ewmaFail - 0.12 * overload);
      features[c] = cand.cost;
      features[c + 1] = Math.log1p(s.n) / 3;
      features[c + 2] = s.ewmaFail;
      features[c + 3] = s.ewmaQuality;
      features[c + 4] = latencyS;
      features[c + 5] = s.ewmaLatencyMs / 1000;
      features[c + 6] = cand.capacity > 0 ? Math.min(cand.inFlight / cand.capacity, 3) : 3;
      features[c + 7] = Math.min(s.consecutiveFailures, 3) / 3;
      features[c + 8] = ctx.previous === a ? 1 : 0;
      features[c + 9] = s.meanReward;
      features[c + 10] = 1 / Math.sqrt(1 + s.n);
      features[c + 11] = quality;
      features[c + 12] = pOk * qw * quality - (1 - pOk) * 0.5 - cand.cost - latencyS * (1 + 0.8 * overload);
      features[c + 13] = 0;
      mask[i * ACTIONS + a] = 0;
    } else {
      for (let k = 0; k < CANDIDATE_FEATURES.length; k++) features[c + k] = 0;
      const giveUp = a === GIVE_UP;
      features[c + 13] = giveUp ? 1 : 0;
      mask[i * ACTIONS + a] = giveUp && ctx.canGiveUp ? 0 : MASKED;
    }
  }
}

export function encodeBatch(contexts: readonly DecisionContext[]): EncodedBatch {
  const n = contexts.length;
  const features = new Float32Array(n * ACTIONS * FEATURES);
  const mask = new Float32Array(n * ACTIONS);
  for (let i = 0; i < n; i++) encodeInto(contexts[i] as DecisionContext, features, mask, i);
  return { features, mask, n };
}

/** The allowed action with the highest probability (ties: lowest index). */
export function argmaxAllowed(probs: ArrayLike<number>, mask: ArrayLike<number>, i: number): number {
  let best = -1;
  let bestP = -Infinity;
  for (let a = 0; a < ACTIONS; a++) {
    const p = probs[i * ACTIONS + a] as number;
    if ((mask[i * ACTIONS + a] as number) === 0 && p > bestP) {
      best = a;
      bestP = p;
    }
  }
  return best;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
