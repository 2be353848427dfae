import type { DecisionContext } from './features.js';
import { generateQuest, playQuest, type DecideFn, type HiddenView, type QuestResult } from './fqg.js';
import { createHeuristic, STRONG_BASELINES, type HeuristicOptions, type StrongBaseline } from './heuristics.js';
import { createOracle, isInformed, type InformedPolicy } from './oracle.js';
import type { Policy } from './policy.js';

/**
 * An evaluation that cannot flatter: every policy plays the same quests; each gets its mean
 * reward with a 95% confidence interval (Student t), success rate, cost and makespan; every
 * learned policy is compared with the BEST baseline by the paired per-quest difference (95% CI),
 * and with the informed oracle by the share of the gap it closes:
 * gapClosed = (policy - best baseline) / (oracle - best baseline).
 */
export interface PolicySummary {
  name: string;
  version: string;
  role: 'learned' | 'baseline' | 'oracle';
  meanReward: number;
  rewardCi95: number;
  successRate: number;
  meanCost: number;
  meanMakespanMs: number;
  rewards: number[];
}

export interface Comparison {
  policy: string;
  baseline: string;
  meanDifference: number;
  ci95: [number, number];
  /** meanDifference / |baseline mean|. */
  relative: number;
  /** (policy - baseline) / (oracle - baseline); absent without an oracle or when the oracle is not above the baseline. */
  gapClosed?: number;
}

export interface EvalReport {
  quests: number;
  seeds: [number, number];
  policies: PolicySummary[];
  bestBaseline: string;
  comparisons: Comparison[];
}

export type EvaluablePolicy = Policy | InformedPolicy;

export async function evaluatePolicy(policy: EvaluablePolicy, seeds: readonly number[], role: PolicySummary['role'] = 'learned'): Promise<PolicySummary> {
  const decide: DecideFn = isInformed(policy)
    ? (batch: readonly DecisionContext[], hidden: readonly HiddenView[]) => policy.decideInformed(batch, hidden)
    : (batch: readonly DecisionContext[]) => policy.decide(batch);
  const results: QuestResult[] = [];
  for (const seed of seeds) results.push(await playQuest(generateQuest(seed), decide));
  const rewards = results.map((r) => r.reward);
  const n = results.length;
  const { mean, half } = meanCi(rewards);
  return {
    name: policy.name,
    version: policy.version,
    role,
    meanReward: mean,
    rewardCi95: half,
    successRate: results.filter((r) => r.success).length / n,
    meanCost: results.reduce((a, r) => a + r.cost, 0) / n,
    meanMakespanMs: results.reduce((a, r) => a + r.makespanMs, 0) / n,
    rewards,
  };
}

export function compare(policy: PolicySummary, baseline: PolicySummary, oracle?: PolicySummary): Comparison {
  const diffs = policy.rewards.map((r, i) => r - (baseline.rewards[i] as number));
  const { mean, half } = meanCi(diffs);
  const gap = oracle ? oracle.meanReward - baseline.meanReward : 0;
  return {
    policy: policy.name,
    baseline: baseline.name,
    meanDifference: mean,
    ci95: [mean - half, mean + half],
    relative: mean / Math.abs(baseline.meanReward),
    // Only defined when the oracle is above the baseline: with oracle <= baseline (tiny samples)
    // the ratio flips sign and would report a worse policy as closing a positive share of the gap.
    ...(oracle && gap > 0 ? { gapClosed: mean / gap } : {}),
  };
}

export interface SuiteOptions {
  learned: readonly Policy[];
  baselines: readonly Policy[];
  oracle?: InformedPolicy;
  seeds: readonly number[];
}

/** Plays learned policies, baselines and the oracle; compares each learned one with the best baseline. */
export async function evaluateSuite(options: SuiteOptions): Promise<EvalReport> {
  const { seeds } = options;
  if (seeds.length === 0 || options.baselines.length === 0) throw new RangeError('evaluateSuite needs at least one seed and one baseline');
  const ls: PolicySummary[] = [];
  for (const p of options.learned) ls.push(await evaluatePolicy(p, seeds, 'learned'));
  const bs: PolicySummary[] = [];
  for (const b of options.baselines) bs.push(await evaluatePolicy(b, seeds, 'baseline'));
  const oracle = options.oracle ? await evaluatePolicy(options.oracle, seeds, 'oracle') : undefined;
  const best = bs.reduce((a, b) => (b.meanReward > a.meanReward ? b : a));
  return {
    quests: seeds.length,
    seeds: [seeds[0] as number, seeds[seeds.length - 1] as number],
    policies: [...ls, ...bs, ...(oracle ? [oracle] : [])],
    bestBaseline: best.name,
    comparisons: ls.map((l) => compare(l, best, oracle)),
  };
}

/** Back-compatible form: learned policies against heuristics, no oracle. */
export function evaluateAll(learned: readonly Policy[], heuristics: readonly Policy[], seeds: readonly number[]): Promise<EvalReport> {
  return evaluateSuite({ learned, baselines: heuristics, seeds });
}

/** Grids searched by `tuneBaselines`. */
export const TUNING_GRID = {
  failWeight: [0, 0.25, 0.5, 1, 2],
  bonus: [0, 0.15, 0.3, 0.6, 1],
  memory: [1, 3, 10, 30],
  minSuccess: [0.5, 0.6, 0.7, 0.8, 0.9],
  oracleRetry: [0, 0.5, 1, 2, 4],
} as const;

export interface TunedBaselines {
  'ev-greedy': HeuristicOptions;
  thompson: HeuristicOptions;
  'cheapest-reliable': HeuristicOptions;
  oracle: { retryCost: number };
  /** Validation mean reward of each tuned choice. */
  validation: Record<StrongBaseline | 'oracle', number>;
}

/**
 * Picks each strong baseline's parameters (and the oracle's) by mean reward on `seeds`, which
 * must be validation seeds: tuning on the evaluation's own seeds would flatter the baselines.
 */
export async function tuneBaselines(seeds: readonly number[], seed = 1): Promise<TunedBaselines> {
  const score = async (p: EvaluablePolicy): Promise<number> => (await evaluatePolicy(p, seeds, 'baseline')).meanReward;
  const best = async <T>(options: readonly T[], make: (o: T) => EvaluablePolicy): Promise<{ option: T; value: number }> => {
    let top = { option: options[0] as T, value: -Infinity };
    for (const o of options) {
      const v = await score(make(o));
      if (v > top.value) top = { option: o, value: v };
    }
    return top;
  };
  const grid = TUNING_GRID;
  const ev = await best(
    grid.failWeight.flatMap((failWeight) => grid.bonus.map((bonus) => ({ failWeight, bonus }))),
    (o) => createHeuristic('ev-greedy', o),
  );
  const ts = await best(
    grid.failWeight.flatMap((failWeight) => grid.memory.map((memory) => ({ failWeight, memory }))),
    (o) => createHeuristic('thompson', { ...o, seed }),
  );
  const cr = await best(
    grid.minSuccess.map((minSuccess) => ({ minSuccess })),
    (o) => createHeuristic('cheapest-reliable', o),
  );
  const or = await best(grid.oracleRetry, (retryCost) => createOracle({ retryCost }));
  return {
    'ev-greedy': ev.option,
    thompson: ts.option,
    'cheapest-reliable': cr.option,
    oracle: { retryCost: or.option },
    validation: { 'ev-greedy': ev.value, thompson: ts.value, 'cheapest-reliable': cr.value, oracle: or.value },
  };
}

/** The strong baselines with tuned parameters (stochastic ones seeded with `seed`). */
export function strongBaselines(tuned: TunedBaselines, seed = 1): Policy[] {
  return STRONG_BASELINES.map((name) => createHeuristic(name, { ...tuned[name], seed }));
}

/** Student t 0.975 quantiles for 1..30 degrees of freedom; 1.96 beyond. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Mean and the half-width of its 95% confidence interval (0 for fewer than two values). */
export function meanCi(xs: readonly number[]): { mean: number; half: number } {
  const n = xs.length;
  const mean = n === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, half: 0 };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const t = n - 1 <= T975.length ? (T975[n - 2] as number) : 1.96;
  return { mean, half: (t * sd) / Math.sqrt(n) };
}
