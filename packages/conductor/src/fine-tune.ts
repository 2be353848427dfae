import { SymphonyError } from '@symphony/types';
import { ACTIONS, CANDIDATE_FEATURES, FEATURES, GIVE_UP, GLOBAL_FEATURES, MASKED, MAX_CANDIDATES } from './features.js';
import { adamStep, backwardDecision, cloneMlp, createAdam, forwardDecision, zeroGradients, type Mlp, type Trace } from './mlp.js';
import { createRng } from './rng.js';

/**
 * Offline fine-tuning on logged decisions (the traces pit-stale curates): off-policy policy
 * gradient. Each trace is (features the policy saw, action taken, reward observed, and the
 * behaviour policy's probabilities when it had them); the gradient of a trace is weighted by
 * the clipped importance ratio pi(a|s) / mu(a|s) (1 when mu is unknown, e.g. a heuristic chose).
 */
export interface LoggedDecision {
  /** [ACTIONS * FEATURES] as logged. */
  features: readonly number[];
  action: number;
  reward: number;
  /** The behaviour policy's probabilities over the ACTIONS rows, when logged. */
  probabilities?: readonly number[];
}

export interface FineTuneOptions {
  epochs?: number;
  learningRate?: number;
  batchSize?: number;
  /** Importance ratios are clipped to [0, clip]. */
  clip?: number;
  seed?: number;
}

/** The action mask a logged decision had: real candidate rows are never all zero. */
export function maskOf(features: readonly number[]): Float64Array {
  const mask = new Float64Array(ACTIONS).fill(MASKED);
  const isFailure = features[0] === 1;
  for (let a = 0; a < ACTIONS; a++) {
    if (a === GIVE_UP) {
      if (isFailure) mask[a] = 0;
      continue;
    }
    if (a >= MAX_CANDIDATES) continue;
    const off = a * FEATURES + GLOBAL_FEATURES.length;
    for (let k = 0; k < CANDIDATE_FEATURES.length - 1; k++) if (features[off + k] !== 0) mask[a] = 0;
  }
  return mask;
}

export function fineTune(base: Mlp, traces: readonly LoggedDecision[], options: FineTuneOptions = {}): Mlp {
  const usable = traces.filter((t) => t.features.length === ACTIONS * FEATURES && Number.isInteger(t.action) && t.action >= 0 && t.action < ACTIONS && Number.isFinite(t.reward));
  if (usable.length === 0) throw new SymphonyError('E_INPUT_INVALID', 'no usable decision traces to fine-tune on (each needs features, action and reward)', { details: { given: traces.length } });
  const model = cloneMlp(base);
  const adam = createAdam(model, options.learningRate ?? 1e-3);
  const rng = createRng(options.seed ?? 1);
  const clip = options.clip ?? 2;
  const batchSize = options.batchSize ?? 32;
  const mean = usable.reduce((s, t) => s + t.reward, 0) / usable.length;
  const sd = Math.sqrt(usable.reduce((s, t) => s + (t.reward - mean) ** 2, 0) / usable.length) || 1;
  const order = usable.map((_, i) => i);
  const trace: Trace = { acts: [], probs: new Float64Array(ACTIONS) };
  for (let epoch = 0; epoch < (options.epochs ?? 5); epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (let start = 0; start < order.length; start += batchSize) {
      const g = zeroGradients(model);
      let count = 0;
      for (const idx of order.slice(start, start + batchSize)) {
        const t = usable[idx] as LoggedDecision;
        const mask = maskOf(t.features);
        if (mask[t.action] !== 0) continue;
        const probs = forwardDecision(model, t.features, mask, 0, new Float64Array(ACTIONS), trace);
        const mu = t.probabilities?.[t.action];
        const ratio = mu && mu > 1e-6 ? Math.min(clip, (probs[t.action] as number) / mu) : 1;
        backwardDecision(model, trace, t.action, (ratio * (t.reward - mean)) / sd, 0, g);
        count++;
      }
      if (count > 0) adamStep(model, adam, g, count);
    }
  }
  return model;
}
