import { describe, expect, it } from 'vitest';
import { ACTIONS, FEATURES, HistoryBook, encodeBatch, createRng, fineTune, maskOf, type DecisionContext } from '../src/index.js';
import { createMlp, forwardDecision } from '../src/mlp.js';

const ctx = (kind: 'select' | 'failure'): DecisionContext => {
  const book = new HistoryBook();
  book.record('a', { ok: true, latencyMs: 100, quality: 0.9, cost: 0.2, size: 1 }, 0.5);
  return {
    kind, stepKind: 1, inputSize: 1, attempt: kind === 'failure' ? 1 : 0, remainingCriticalPath: 0.5, queueLength: 0, globalLoad: 0.2,
    canGiveUp: kind === 'failure', ...(kind === 'failure' ? { previous: 0 } : {}),
    candidates: [{ id: 'a', cost: 0.2, stats: book.get('a'), inFlight: 0, capacity: 2 }, { id: 'b', cost: 0.8, stats: book.get('b'), inFlight: 1, capacity: 2 }],
  };
};

describe('offline fine-tuning on logged decisions', () => {
  it('recovers the action mask a decision had from its logged features', () => {
    for (const kind of ['select', 'failure'] as const) {
      const { features, mask } = encodeBatch([ctx(kind)]);
      expect(Array.from(maskOf(Array.from(features)))).toEqual(Array.from(mask, (m) => (m === 0 ? 0 : -1e9)));
    }
  });

  it('moves probability toward the actions that were rewarded, weighting by the behaviour policy', () => {
    const { features } = encodeBatch([ctx('select')]);
    const f = Array.from(features);
    const base = createMlp([FEATURES, 16, 1], createRng(3));
    const p = (m: typeof base) => forwardDecision(m, f, maskOf(f), 0)[1] as number;
    const logged = Array.from({ length: 200 }, (_, i) => ({ features: f, action: i % 2, reward: i % 2 === 1 ? 1 : -1, probabilities: [0.5, 0.5, 0, 0, 0] }));
    const tuned = fineTune(base, logged, { epochs: 20, learningRate: 5e-3 });
    expect(p(tuned)).toBeGreaterThan(0.85);
    expect(p(base)).toBeLessThan(0.7);
    // Deterministic for a seed, and the base model is left alone.
    expect(Array.from(fineTune(base, logged, { epochs: 20, learningRate: 5e-3 }).layers[0]!.w)).toEqual(Array.from(tuned.layers[0]!.w));
    expect(ACTIONS).toBe(5);
  });

  it('refuses traces it cannot use', () => {
    expect(() => fineTune(createMlp([FEATURES, 4, 1], createRng(1)), [{ features: [1, 2], action: 0, reward: 1 }])).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });
});
