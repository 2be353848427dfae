import type { DecisionContext } from './features.js';
import { generateQuest, playQuest, type QuestResult } from './fqg.js';
import type { Policy } from './policy.js';

/**
 * Plays every policy on the same quests and reports mean reward, success rate, cost and
 * makespan, plus each policy's paired difference against the best heuristic with a 95%
 * confidence interval (normal approximation over per-quest differences).
 */
export interface PolicySummary {
  name: string;
  version: string;
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
}

export interface EvalReport {
  quests: number;
  seeds: [number, number];
  policies: PolicySummary[];
  comparisons: Comparison[];
}

export async function evaluatePolicy(policy: Policy, seeds: readonly number[]): Promise<PolicySummary> {
  const decide = (batch: readonly DecisionContext[]): number[] | Promise<number[]> => policy.decide(batch);
  const results: QuestResult[] = [];
  for (const seed of seeds) results.push(await playQuest(generateQuest(seed), decide));
  const rewards = results.map((r) => r.reward);
  const n = results.length;
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  return {
    name: policy.name,
    version: policy.version,
    meanReward: mean,
    rewardCi95: 1.96 * stdev(rewards, mean) / Math.sqrt(n),
    successRate: results.filter((r) => r.success).length / n,
    meanCost: results.reduce((a, r) => a + r.cost, 0) / n,
    meanMakespanMs: results.reduce((a, r) => a + r.makespanMs, 0) / n,
    rewards,
  };
}

export function compare(policy: PolicySummary, baseline: PolicySummary): Comparison {
  const diffs = policy.rewards.map((r, i) => r - (baseline.rewards[i] as number));
  const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const half = (1.96 * stdev(diffs, mean)) / Math.sqrt(diffs.length);
  return {
    policy: policy.name,
    baseline: baseline.name,
    meanDifference: mean,
    ci95: [mean - half, mean + half],
    relative: mean / Math.abs(baseline.meanReward),
  };
}

/** Evaluates `learned` against every heuristic and compares it with the best of them. */
export async function evaluateAll(learned: readonly Policy[], heuristics: readonly Policy[], seeds: readonly number[]): Promise<EvalReport> {
  const hs: PolicySummary[] = [];
  for (const h of heuristics) hs.push(await evaluatePolicy(h, seeds));
  const ls: PolicySummary[] = [];
  for (const p of learned) ls.push(await evaluatePolicy(p, seeds));
  const bestHeuristic = hs.reduce((a, b) => (b.meanReward > a.meanReward ? b : a));
  return {
    quests: seeds.length,
    seeds: [seeds[0] as number, seeds[seeds.length - 1] as number],
    policies: [...ls, ...hs],
    comparisons: ls.map((l) => compare(l, bestHeuristic)),
  };
}

function stdev(xs: readonly number[], mean: number): number {
  if (xs.length < 2) return 0;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
}
