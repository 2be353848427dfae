import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ACTIONS,
  FEATURES,
  HEURISTICS,
  createHeuristic,
  createMlpPolicy,
  createOnnxPolicy,
  createRng,
  encodeBatch,
  exportPolicyOnnx,
  importPolicyOnnx,
  generateQuest,
  playQuest,
  readBundledPolicy,
  trainPolicy,
  HistoryBook,
  type DecisionContext,
} from '../src/index.js';
import { createMlp } from '../src/mlp.js';
import { returnsToGo } from '../src/trainer.js';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

const contextsOf = async (seed: number): Promise<DecisionContext[]> => {
  const seen: DecisionContext[] = [];
  const policy = createHeuristic('round-robin');
  await playQuest(generateQuest(seed), (batch) => {
    // Copy the stats: the game keeps updating them after the decision.
    seen.push(...batch.map((c) => ({ ...c, candidates: c.candidates.map((k) => ({ ...k, stats: { ...k.stats } })) })));
    return policy.decide(batch);
  });
  return seen;
};

describe('seeded randomness and the Function Quest Game', () => {
  it('the PRNG repeats for a seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('a quest replays identically with the same decisions, and every heuristic finishes it', async () => {
    for (const name of HEURISTICS) {
      const r1 = await playQuest(generateQuest(11), createHeuristic(name, { seed: 3 }).decide);
      const r2 = await playQuest(generateQuest(11), createHeuristic(name, { seed: 3 }).decide);
      expect(r2).toEqual(r1);
      expect(Number.isFinite(r1.reward)).toBe(true);
      expect(r1.calls).toBeGreaterThanOrEqual(generateQuest(11).steps.length * (r1.success ? 1 : 0));
    }
  });

  it('giving up on the first failure ends the quest as failed', async () => {
    const r = await playQuest(generateQuest(3), (batch) => batch.map((c) => (c.kind === 'failure' ? ACTIONS - 1 : 0)));
    const all = await playQuest(generateQuest(3), (batch) => batch.map(() => 0));
    if (all.calls > generateQuest(3).steps.length) expect(r.success).toBe(false);
    else expect(r.success).toBe(all.success);
  });

  it('encodes any decision into finite features with at least one allowed action (property)', () => {
    const stats = fc.record({ latency: fc.double({ min: 0, max: 1e6, noNaN: true }), size: fc.double({ min: 0, max: 1e6, noNaN: true }), ok: fc.boolean(), q: fc.double({ min: 0, max: 1, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(fc.array(stats, { maxLength: 6 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 9 }), fc.double({ min: 0, max: 1e7, noNaN: true }), (hist, attempt, size) => {
        const book = new HistoryBook();
        hist.forEach((calls, j) => calls.forEach((o) => book.record(`c${j}`, { ok: o.ok, latencyMs: o.latency, quality: o.q, cost: 0.1, size: o.size }, 0)));
        const ctx: DecisionContext = {
          kind: attempt > 0 ? 'failure' : 'select', stepKind: attempt, inputSize: size, attempt, remainingCriticalPath: 0.5, queueLength: attempt, globalLoad: 0.3,
          canGiveUp: attempt > 0, candidates: hist.map((_, j) => ({ id: `c${j}`, cost: 0.2, stats: book.get(`c${j}`), inFlight: j, capacity: 2 })),
        };
        const { features, mask } = encodeBatch([ctx]);
        expect(features.length).toBe(ACTIONS * FEATURES);
        expect(features.every(Number.isFinite)).toBe(true);
        expect(Array.from(mask).filter((m) => m === 0).length).toBe(hist.length + (attempt > 0 ? 1 : 0));
      }),
      { numRuns: 150 },
    );
  });
});

describe('training and the ONNX policy', () => {
  it('training is deterministic: the same seed gives the same ONNX bytes, another seed does not', async () => {
    const a = await trainPolicy({ seed: 5, episodes: 24, evalEvery: 12, validationQuests: 6 });
    const b = await trainPolicy({ seed: 5, episodes: 24, evalEvery: 12, validationQuests: 6 });
    const c = await trainPolicy({ seed: 6, episodes: 24, evalEvery: 12, validationQuests: 6 });
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(Buffer.from(a.bytes).equals(Buffer.from(c.bytes))).toBe(false);
    expect(a.svg).toContain('<svg');
    expect(a.result.curve.length).toBe(3);
  });

  it('credits decisions with discounted returns-to-go when asked (0: the call\'s own reward, as before)', async () => {
    expect(Array.from(returnsToGo([1, 2, 3], 3, 0))).toEqual([1, 2, 3]);
    expect(Array.from(returnsToGo([1, 2, 3], 3, 0.5))).toEqual([1 + 0.5 * (2 + 0.5 * 3), 2 + 0.5 * 3, 3]);
    expect(Array.from(returnsToGo([1], 2, 0.5))).toEqual([1, 0]);
    const plain = await trainPolicy({ seed: 5, episodes: 24, evalEvery: 12, validationQuests: 6 });
    const discounted = await trainPolicy({ seed: 5, episodes: 24, evalEvery: 12, validationQuests: 6, discount: 0.9 });
    expect(Buffer.from(plain.bytes).equals(Buffer.from(discounted.bytes))).toBe(false);
    expect(plain.metadata.training).not.toHaveProperty('discount');
    expect(discounted.metadata.training).toMatchObject({ discount: 0.9 });
  });

  it('an informed critic (true values, training only) changes what is learned, deterministically', async () => {
    const opts = { seed: 5, episodes: 16, evalEvery: 16, validationQuests: 6 };
    const after = async (o: Partial<Parameters<typeof trainPolicy>[0]>) => (await trainPolicy({ ...opts, ...o })).result.curve.map((c) => c.validationReward);
    const plain = await after({});
    const a = await after({ informedCritic: 1 });
    expect(a).toEqual(await after({ informedCritic: 1 }));
    // Same start, one gradient step (episode 16) apart: the critic's step moved the policy elsewhere.
    expect(a[0]).toBe(plain[0]);
    expect(a[1]).not.toBe(plain[1]);
  });

  it('onnxruntime matches the TypeScript forward pass to 1e-5, and same-tick decisions share one inference', async () => {
    const model = createMlp([FEATURES, 32, 16, 1], createRng(9));
    const policy = await createOnnxPolicy(exportPolicyOnnx(model, 'test'), 'test');
    const ts = createMlpPolicy(model);
    const contexts = [...(await contextsOf(21)), ...(await contextsOf(22))];
    const ortProbs = await policy.probabilities(contexts);
    const tsProbs = ts.probabilities(contexts);
    let max = 0;
    for (let k = 0; k < ortProbs.length; k++) max = Math.max(max, Math.abs((ortProbs[k] as number) - (tsProbs[k] as number)));
    expect(max).toBeLessThan(1e-5);
    const before = { ...policy.stats };
    const [x, y, z] = await Promise.all([policy.decide(contexts.slice(0, 2)), policy.decide(contexts.slice(2, 3)), policy.decide(contexts.slice(3, 7))]);
    expect(policy.stats.runs - before.runs).toBe(1);
    expect(policy.stats.decisions - before.decisions).toBe(7);
    expect([...x, ...y, ...z]).toEqual(ts.decide(contexts.slice(0, 7)));
    // The weights read back from the file give the same forward pass.
    const reread = createMlpPolicy(importPolicyOnnx(exportPolicyOnnx(model, 'test')));
    expect(Array.from(reread.probabilities(contexts))).toEqual(Array.from(tsProbs));
    await policy.close();
    await expect(policy.decide(contexts.slice(0, 1))).rejects.toMatchObject({ code: 'E_POLICY_CLOSED' });
  });

  it('refuses a model that is not a policy or outputs non-finite values', async () => {
    await expect(createOnnxPolicy(new Uint8Array([1, 2, 3, 4]), 'junk')).rejects.toMatchObject({ code: 'E_POLICY_INVALID', details: { version: 'junk' } });
    const model = createMlp([FEATURES, 8, 1], createRng(1));
    model.layers[0]!.b[0] = Number.NaN;
    model.layers[0]!.w.fill(Number.NaN);
    await expect(createOnnxPolicy(exportPolicyOnnx(model, 'nan'), 'nan')).rejects.toMatchObject({ code: 'E_POLICY_INVALID' });
  });

  it('ships a trained policy whose bytes match its metadata and that beats random on validation quests', async () => {
    const dir = fileURLToPath(new URL('../models/', import.meta.url));
    const bundle = await readBundledPolicy(dir);
    expect(createHash('sha256').update(bundle.bytes).digest('hex')).toBe(bundle.metadata.sha256);
    expect(bundle.metadata.validationReward).toBeGreaterThan(bundle.metadata.heuristicsValidation.random!);
    const policy = await createOnnxPolicy(bundle.bytes, bundle.metadata.version);
    const r = await playQuest(generateQuest(500_001), (b) => policy.decide(b));
    expect(Number.isFinite(r.reward)).toBe(true);
    await policy.close();
  });
});
