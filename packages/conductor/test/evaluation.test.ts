import { afterAll, describe, expect, it } from 'vitest';
import type { ArtifactsService } from '@symphony/types';
import {
  FEATURES,
  GIVE_UP,
  MAX_ATTEMPTS,
  CANDIDATE,
  PREVIOUS,
  PRODUCTION,
  POLICY_ARTIFACT,
  compare,
  createHeuristic,
  createOracle,
  createRng,
  evaluatePolicy,
  evaluateSuite,
  exportPolicyOnnx,
  gateCandidate,
  generateQuest,
  meanCi,
  playQuest,
  promote,
  publishCandidate,
  readBundledPolicy,
  rollback,
  storedPolicy,
  tuneBaselines,
  type Quest,
  type QuestCandidate,
} from '../src/index.js';
import { createMlp } from '../src/mlp.js';
import { removeDir, startKernel } from './helpers.js';

describe('evaluation statistics', () => {
  it('mean and 95% CI use Student t for small samples and 1.96 for large ones', () => {
    expect(meanCi([1, 2, 3, 4])).toEqual({ mean: 2.5, half: expect.closeTo((3.182 * Math.sqrt(5 / 3)) / 2, 9) });
    const big = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const { mean, half } = meanCi(big);
    expect(mean).toBe(0);
    expect(half).toBeCloseTo((1.96 * Math.sqrt(100 / 99)) / 10, 9);
    expect(meanCi([5])).toEqual({ mean: 5, half: 0 });
  });

  it('reports no gap closed when the oracle is not above the baseline (the ratio would flip sign and flatter a worse policy)', () => {
    const summary = (name: string, rewards: number[]) => ({ name, version: name, role: 'baseline' as const, meanReward: rewards.reduce((a, b) => a + b, 0) / rewards.length, rewardCi95: 0, successRate: 1, meanCost: 0, meanMakespanMs: 0, rewards });
    const policy = summary('p', [1, 2]);
    const best = summary('b', [4, 5]);
    const worseOracle = summary('o', [3, 4]);
    const cmp = compare(policy, best, worseOracle);
    expect(cmp.meanDifference).toBe(-3);
    expect(cmp.gapClosed).toBeUndefined();
    expect(compare(policy, best, summary('o', [6, 7])).gapClosed).toBeCloseTo(-1.5, 9);
  });

  it('on fixed seeds: the same numbers twice, the best baseline is the best mean, the paired difference and gap closed follow their formulas', async () => {
    const seeds = Array.from({ length: 40 }, (_, i) => 4_100_000 + i);
    const run = () =>
      evaluateSuite({
        learned: [createHeuristic('ev-greedy')],
        baselines: [createHeuristic('thompson', { seed: 2 }), createHeuristic('round-robin'), createHeuristic('cheapest-reliable')],
        oracle: createOracle(),
        seeds,
      });
    const a = await run();
    const b = await run();
    expect(b).toEqual(a);
    const baselines = a.policies.filter((p) => p.role === 'baseline');
    const best = baselines.reduce((x, y) => (y.meanReward > x.meanReward ? y : x));
    expect(a.bestBaseline).toBe(best.name);
    const learned = a.policies.find((p) => p.role === 'learned')!;
    const oracle = a.policies.find((p) => p.role === 'oracle')!;
    const diffs = learned.rewards.map((r, i) => r - best.rewards[i]!);
    const cmp = a.comparisons[0]!;
    expect(cmp.baseline).toBe(best.name);
    expect(cmp.meanDifference).toBeCloseTo(diffs.reduce((s, d) => s + d, 0) / diffs.length, 12);
    expect(cmp.ci95[0]).toBeLessThan(cmp.meanDifference);
    expect(cmp.gapClosed).toBeCloseTo(cmp.meanDifference / (oracle.meanReward - best.meanReward), 12);
    expect(compare(oracle, best).meanDifference).toBeCloseTo(oracle.meanReward - best.meanReward, 12);
  });

  it('tuning picks each baseline parameter from its grid by validation reward, deterministically', async () => {
    const seeds = Array.from({ length: 12 }, (_, i) => 500_000 + i);
    const t1 = await tuneBaselines(seeds);
    expect(await tuneBaselines(seeds)).toEqual(t1);
    const ev = await evaluatePolicy(createHeuristic('ev-greedy', t1['ev-greedy']), seeds);
    expect(ev.meanReward).toBeCloseTo(t1.validation['ev-greedy'], 12);
    // No other failure weight in the grid does better with the chosen bonus.
    for (const failWeight of [0, 0.25, 0.5, 1, 2]) {
      const other = await evaluatePolicy(createHeuristic('ev-greedy', { ...t1['ev-greedy'], failWeight }), seeds);
      expect(other.meanReward).toBeLessThanOrEqual(ev.meanReward + 1e-12);
    }
  });
});

/** A quest of one step with the given candidates (no mid-quest shift). */
function tinyQuest(seed: number, candidates: QuestCandidate[], size: number, kind: number): Quest {
  return { seed, concurrency: 1, capabilities: [candidates], steps: [{ id: 's0', capability: 0, kind, size, needs: [], rank: 1, slack: 0, critical: true }], shiftAfter: 1e9, budget: 100, deadlineMs: 1e9 };
}

describe('the informed oracle', () => {
  it('on tiny quests its choice is the best first action, by brute force over every first action and 1,500 noise draws', async () => {
    const rng = createRng(77);
    let checked = 0;
    for (let q = 0; q < 6; q++) {
      const n = rng.int(2, 4);
      const candidates: QuestCandidate[] = Array.from({ length: n }, (_, j) => ({
        id: `c${j}`,
        cost: rng.uniform(0.05, 0.8),
        baseMs: rng.uniform(10, 300),
        slopeMs: rng.uniform(5, 200),
        failP: rng.uniform(0.01, 0.4),
        quality: rng.uniform(0.4, 1),
        kindQuality: [rng.uniform(0.4, 1), rng.uniform(0.4, 1), rng.uniform(0.4, 1), rng.uniform(0.4, 1)],
        capacity: 1,
        outageRate: rng.uniform(0, 0.08),
        inOutage: rng.chance(0.2),
        inFlight: 0,
      }));
      const quest = tinyQuest(q, candidates, Math.exp(rng.normal()), rng.int(0, 3));
      const oracle = createOracle();
      // Every first action; after a failure the oracle decides (so only the first choice differs).
      const means: number[] = [];
      const draws: number[][] = [];
      for (let first = 0; first < n; first++) {
        const rewards: number[] = [];
        for (let noise = 0; noise < 1500; noise++) {
          const r = await playQuest(quest, (batch, hidden) => batch.map((ctx, k) => (ctx.kind === 'select' ? first : oracle.decideInformed([ctx], [hidden[k]!])[0]!)), { noiseSeed: noise });
          rewards.push(r.reward);
        }
        draws.push(rewards);
        means.push(rewards.reduce((s, x) => s + x, 0) / rewards.length);
      }
      const picked = (await new Promise<number>((resolve) => {
        void playQuest(quest, (batch, hidden) => {
          if (batch[0]!.kind === 'select') resolve(oracle.decideInformed(batch, hidden)[0]!);
          return batch.map(() => GIVE_UP);
        });
      }));
      const best = means.indexOf(Math.max(...means));
      if (picked !== best) {
        // Only a statistical tie may separate them: the paired difference's CI must include 0.
        const { mean, half } = meanCi(draws[best]!.map((r, i) => r - draws[picked]![i]!));
        expect(mean - half, `quest ${q}: oracle picked ${picked} (${means[picked]}), brute force ${best} (${means[best]})`).toBeLessThanOrEqual(0);
      }
      checked++;
    }
    expect(checked).toBe(6);
  });

  it('playing a quest never changes it: the same quest object replays identically', async () => {
    const quest = generateQuest(4_200_000);
    const before = JSON.stringify(quest);
    const h = createHeuristic('ev-greedy');
    const a = await playQuest(quest, (b) => h.decide(b));
    const b = await playQuest(quest, (b2) => h.decide(b2));
    expect(b).toEqual(a);
    expect(JSON.stringify(quest)).toBe(before);
  });

  it('never gives up and never picks a candidate that is not there', () => {
    const oracle = createOracle();
    const c: QuestCandidate = { id: 'a', cost: 0.1, baseMs: 10, slopeMs: 10, failP: 0.9, quality: 0.5, kindQuality: [0.5, 0.5, 0.5, 0.5], capacity: 1, outageRate: 0, inOutage: true, inFlight: 5 };
    const quest = tinyQuest(1, [c], 1, 0);
    const ctx = { kind: 'failure' as const, stepKind: 0, inputSize: 1, attempt: MAX_ATTEMPTS - 1, remainingCriticalPath: 1, queueLength: 0, globalLoad: 1, canGiveUp: true, previous: 0, candidates: [] };
    expect(oracle.decideInformed([ctx], [{ step: quest.steps[0]!, candidates: [c], spent: 0, budget: 100 }])).toEqual([0]);
    expect(oracle.decideInformed([ctx], [{ step: quest.steps[0]!, candidates: [], spent: 0, budget: 100 }])).toEqual([GIVE_UP]);
  });
});

describe('the promotion gate and rollback', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  it('a candidate worse on validation quests is not better; promotion keeps the old production as previous; rollback swaps them back', async () => {
    const k = await startKernel();
    dirs.push(k.dir);
    try {
      const artifacts = k.kernel.service<ArtifactsService>('pit.artifacts');
      const bundle = await readBundledPolicy();
      const prodRef = await artifacts.put(POLICY_ARTIFACT, bundle.bytes, { kind: 'model', attributes: { version: bundle.metadata.version }, aliases: [PRODUCTION] });
      const weak = exportPolicyOnnx(createMlp([FEATURES, 4, 1], createRng(5)), 'weak-1');
      const number = await publishCandidate(artifacts, weak, { version: 'weak-1' });
      expect(artifacts.aliases(POLICY_ARTIFACT)).toMatchObject({ [PRODUCTION]: prodRef.version, [CANDIDATE]: number });
      const seeds = Array.from({ length: 30 }, (_, i) => 550_000 + i);
      const gate = await gateCandidate({ bytes: weak, version: 'weak-1' }, storedPolicy(artifacts, PRODUCTION)!, seeds);
      expect(gate.better).toBe(false);
      expect(gate.difference).toBeCloseTo(gate.candidate.meanReward - gate.production.meanReward, 9);
      // The same model against itself is not "better" either (strictly higher mean is required).
      expect((await gateCandidate({ bytes: bundle.bytes, version: 'a' }, { bytes: bundle.bytes, version: 'b' }, seeds.slice(0, 5))).better).toBe(false);

      await expect(rollback(artifacts)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
      await promote(artifacts, number);
      expect(storedPolicy(artifacts, PRODUCTION)!.version).toBe('weak-1');
      expect(artifacts.aliases(POLICY_ARTIFACT)[PREVIOUS]).toBe(prodRef.version);
      await rollback(artifacts);
      expect(storedPolicy(artifacts, PRODUCTION)!.version).toBe(bundle.metadata.version);
      expect(artifacts.aliases(POLICY_ARTIFACT)[PREVIOUS]).toBe(number);
      await expect(promote(artifacts, 999)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    } finally {
      await k.close();
    }
  });
});
