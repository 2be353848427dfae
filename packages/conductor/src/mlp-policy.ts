import { ACTIONS, argmaxAllowed, encodeBatch, type DecisionContext } from './features.js';
import { forwardDecision, toFloat32, type Mlp } from './mlp.js';
import type { SyncPolicy } from './policy.js';

/** The policy network evaluated in TypeScript (float32 weights, like the ONNX model): greedy. */
export function createMlpPolicy(model: Mlp, version = 'ts-forward'): SyncPolicy & { probabilities(batch: readonly DecisionContext[]): Float64Array } {
  const weights = toFloat32(model);
  const probabilities = (batch: readonly DecisionContext[]): Float64Array => {
    const { features, mask, n } = encodeBatch(batch);
    const out = new Float64Array(n * ACTIONS);
    const row = new Float64Array(ACTIONS);
    for (let i = 0; i < n; i++) out.set(forwardDecision(weights, features, mask, i, row), i * ACTIONS);
    return out;
  };
  return {
    name: 'policy-ts',
    version,
    probabilities,
    decide(batch) {
      const { features, mask, n } = encodeBatch(batch);
      const row = new Float64Array(ACTIONS);
      const actions: number[] = [];
      for (let i = 0; i < n; i++) actions.push(argmaxAllowed(forwardDecision(weights, features, mask, i, row), mask.subarray(i * ACTIONS, (i + 1) * ACTIONS), 0));
      return actions;
    },
  };
}
