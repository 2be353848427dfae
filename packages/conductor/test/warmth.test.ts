import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  FEATURES,
  FEATURE_NAMES,
  HistoryBook,
  createHeuristic,
  createOnnxPolicy,
  encodeBatch,
  readBundledPolicy,
  TUNED,
  type CandidateView,
  type DecisionContext,
} from '../src/index.js';

// Warmth of a pooled candidate (is an instance up, what would starting one cost) reaches the
// policy as latency: same feature vector, so the bundled ONNX model still runs on it.
const book = new HistoryBook();
const candidate = (id: string, startCostMs?: number): CandidateView => ({ id, cost: 0.3, stats: book.get(id), inFlight: 0, capacity: 1, ...(startCostMs === undefined ? {} : { startCostMs }) });
const context = (candidates: CandidateView[]): DecisionContext => ({
  kind: 'select', stepKind: 1, inputSize: 1, attempt: 0, remainingCriticalPath: 1, queueLength: 0, globalLoad: 0, canGiveUp: false, candidates,
});
const feature = (batch: ReturnType<typeof encodeBatch>, action: number, name: string): number => batch.features[action * FEATURES + FEATURE_NAMES.indexOf(name)] as number;

describe('warmth as a candidate feature', () => {
  it('a cold start adds its expected cost to the predicted latency and takes it off the value estimate; the vector keeps its size', () => {
    const batch = encodeBatch([context([candidate('warm'), candidate('cold', 400)])]);
    expect(batch.features.length).toBe(ACTIONS * FEATURES);
    expect(feature(batch, 1, 'predicted_latency_s') - feature(batch, 0, 'predicted_latency_s')).toBeCloseTo(0.4, 5);
    expect(feature(batch, 0, 'expected_value') - feature(batch, 1, 'expected_value')).toBeCloseTo(0.4, 5);
    // Observed latency is history, not warmth: unchanged.
    expect(feature(batch, 1, 'ewma_latency_s')).toBe(feature(batch, 0, 'ewma_latency_s'));
  });

  it('the tuned heuristics and lowest-latency pick the warm one of two equal candidates, in either order', () => {
    for (const name of ['ev-greedy', 'thompson', 'lowest-latency'] as const) {
      const policy = createHeuristic(name, { seed: 3, ...(name === 'lowest-latency' ? {} : TUNED[name]) });
      const [first, second] = policy.decide([context([candidate('a', 300), candidate('b')]), context([candidate('a'), candidate('b', 300)])]);
      expect([name, first, second]).toEqual([name, 1, 0]);
    }
  });

  it('the bundled ONNX policy runs on warmth-carrying candidates and prefers the warm one of two equal candidates', async () => {
    const bundle = await readBundledPolicy();
    const policy = await createOnnxPolicy(bundle.bytes, 'bundled');
    try {
      const [first, second] = await policy.decide([context([candidate('a', 150), candidate('b')]), context([candidate('a'), candidate('b', 150)])]);
      expect([first, second]).toEqual([1, 0]);
    } finally {
      await policy.close?.();
    }
  });
});
