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

// A candidate dispatched to a deep, slow scale-out queue (issue 19) carries the queue's expected
// cost as latency: same 27-feature vector, so the bundled ONNX model still runs on it.
const book = new HistoryBook();
const candidate = (id: string, queueCostMs?: number): CandidateView => ({ id, cost: 0.3, stats: book.get(id), inFlight: 0, capacity: 1, ...(queueCostMs === undefined ? {} : { queueCostMs }) });
const context = (candidates: CandidateView[]): DecisionContext => ({
  kind: 'select', stepKind: 1, inputSize: 1, attempt: 0, remainingCriticalPath: 1, queueLength: 0, globalLoad: 0, canGiveUp: false, candidates,
});
const feature = (batch: ReturnType<typeof encodeBatch>, action: number, name: string): number => batch.features[action * FEATURES + FEATURE_NAMES.indexOf(name)] as number;

describe('a scale-out queue as a candidate feature', () => {
  it('the queue cost adds to the predicted latency and comes off the value estimate, beside a cold start; the vector keeps its size', () => {
    const batch = encodeBatch([context([candidate('here'), candidate('queued', 600), { ...candidate('both', 600), startCostMs: 200 }])]);
    expect(batch.features.length).toBe(ACTIONS * FEATURES);
    expect(feature(batch, 1, 'predicted_latency_s') - feature(batch, 0, 'predicted_latency_s')).toBeCloseTo(0.6, 5);
    expect(feature(batch, 0, 'expected_value') - feature(batch, 1, 'expected_value')).toBeCloseTo(0.6, 5);
    expect(feature(batch, 2, 'predicted_latency_s') - feature(batch, 0, 'predicted_latency_s')).toBeCloseTo(0.8, 5);
    // Observed latency is history, not the queue now: unchanged.
    expect(feature(batch, 1, 'ewma_latency_s')).toBe(feature(batch, 0, 'ewma_latency_s'));
  });

  it('an empty queue (cost 0) changes nothing', () => {
    const batch = encodeBatch([context([candidate('here'), candidate('queued', 0)])]);
    const row = (a: number) => Array.from(batch.features.slice(a * FEATURES + FEATURE_NAMES.indexOf('predicted_latency_s'), a * FEATURES + FEATURE_NAMES.indexOf('predicted_latency_s') + 1));
    expect(row(1)).toEqual(row(0));
  });

  it('the tuned heuristics and lowest-latency prefer an equal candidate over one behind a deep, slow queue, in either order', () => {
    for (const name of ['ev-greedy', 'thompson', 'lowest-latency'] as const) {
      const policy = createHeuristic(name, { seed: 3, ...(name === 'lowest-latency' ? {} : TUNED[name]) });
      const [first, second] = policy.decide([context([candidate('queued', 2000), candidate('local')]), context([candidate('local'), candidate('queued', 2000)])]);
      expect([name, first, second]).toEqual([name, 1, 0]);
    }
  });

  it('of two queued candidates, the shallower queue wins', () => {
    const policy = createHeuristic('ev-greedy', TUNED['ev-greedy']);
    const [first, second] = policy.decide([context([candidate('deep', 3000), candidate('shallow', 100)]), context([candidate('shallow', 100), candidate('deep', 3000)])]);
    expect([first, second]).toEqual([1, 0]);
  });

  it('the bundled ONNX policy runs on queue-carrying candidates and prefers the candidate without the deep queue', async () => {
    const bundle = await readBundledPolicy();
    const policy = await createOnnxPolicy(bundle.bytes, 'bundled');
    try {
      const [first, second] = await policy.decide([context([candidate('queued', 2000), candidate('local')]), context([candidate('local'), candidate('queued', 2000)])]);
      expect([first, second]).toEqual([1, 0]);
    } finally {
      await policy.close?.();
    }
  });
});
