import { ACTIONS, FEATURES, GIVE_UP, GLOBAL_FEATURES, encodeInto, type DecisionContext } from './features.js';
import { GIVE_UP_PENALTY, MAX_ATTEMPTS, SUCCESS_BONUS, generateQuest, playQuest, type HiddenView } from './fqg.js';
import { ORACLE_RETRY_COST, trueCallValue } from './oracle.js';
import { createHeuristic, HEURISTICS, type HeuristicName } from './heuristics.js';
import { adamStep, backwardDecision, backwardExpected, cloneMlp, createAdam, createMlp, forwardDecision, zeroGradients, type Mlp, type Trace } from './mlp.js';
import { createMlpPolicy } from './mlp-policy.js';
import type { Policy } from './policy.js';
import { createRng } from './rng.js';
import { trainingQuestSeed, validationSeeds } from './seeds.js';

/**
 * REINFORCE with a learned baseline in the Function Quest Game. Each decision is credited with
 * the reward of the call it caused (a contextual-bandit credit assignment: it keeps the variance
 * low and matches what the Conductor observes in a real run); the baseline is a linear value
 * model of the decision's state (its global features), fitted by least squares as training goes. Every checkpoint is scored greedily on
 * validation quests; the best one is kept. Fully deterministic for a given seed.
 */
export interface TrainOptions {
  seed: number;
  episodes: number;
  hidden?: readonly number[];
  learningRate?: number;
  /** Episodes per gradient step. */
  batchEpisodes?: number;
  entropyCoef?: number;
  /** PPO: gradient epochs over each batch with the clipped ratio objective (1 = plain REINFORCE). */
  ppoEpochs?: number;
  /** PPO ratio clip. */
  clip?: number;
  /**
   * Credit of a decision: its call's reward plus this discount times the next decision's credit
   * (returns-to-go over the quest, in decision order). 0 = the call's reward alone (a bandit).
   */
  discount?: number;
  /**
   * Weight of the informed critic, 0..1. Training may look at the game's hidden state (never
   * the policy): with weight w, each decision's gradient is w × the all-action gradient of the
   * expected value under each candidate's true parameters (the informed oracle's values, so no
   * sampling noise) + (1 − w) × the sampled REINFORCE gradient. 0 = plain REINFORCE.
   */
  informedCritic?: number;
  /** Validate every this many episodes. */
  evalEvery?: number;
  validationQuests?: number;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainProgress {
  episode: number;
  episodes: number;
  trainReward: number;
  validationReward?: number;
}

export interface CurvePoint {
  episode: number;
  trainReward: number;
  validationReward: number;
}

export interface TrainResult {
  model: Mlp;
  bestEpisode: number;
  bestValidationReward: number;
  curve: CurvePoint[];
  heuristics: Record<string, number>;
  options: Required<Omit<TrainOptions, 'onProgress'>>;
}

export const DEFAULT_TRAIN = {
  hidden: [64, 32],
  learningRate: 1e-3,
  batchEpisodes: 16,
  entropyCoef: 0.01,
  ppoEpochs: 1,
  clip: 0.2,
  discount: 0,
  informedCritic: 0,
  evalEvery: 1000,
  validationQuests: 300,
} as const;

export async function meanReward(policy: Policy | ((batch: readonly DecisionContext[]) => number[] | Promise<number[]>), seeds: readonly number[]): Promise<number> {
  const decide = typeof policy === 'function' ? policy : policy.decide.bind(policy);
  let sum = 0;
  for (const seed of seeds) sum += (await playQuest(generateQuest(seed), decide)).reward;
  return sum / seeds.length;
}

export function heuristicPolicy(name: HeuristicName, seed: number): Policy {
  return createHeuristic(name, { seed });
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const opts = { ...DEFAULT_TRAIN, ...options };
  const rng = createRng(opts.seed);
  const model = createMlp([FEATURES, ...opts.hidden, 1], rng.fork(1));
  const sampler = rng.fork(2);
  const adam = createAdam(model, opts.learningRate);
  const valSeeds = validationSeeds(opts.validationQuests);
  const heuristics: Record<string, number> = {};
  for (const name of HEURISTICS) heuristics[name] = await meanReward(heuristicPolicy(name, 7), valSeeds);

  interface Sample {
    features: Float64Array;
    mask: Float64Array;
    action: number;
    kind: number;
    /** Probability of the action when it was sampled (PPO's ratio denominator). */
    p: number;
    /** Each action's value under the true parameters (informed critic only). */
    q?: Float64Array;
  }
  // Learned baseline: b(s) = v . g(s) + v0 over the global features, per decision kind.
  const G = GLOBAL_FEATURES.length;
  const value = [new Float64Array(G + 1), new Float64Array(G + 1)];
  const valueLr = 0.02;
  const spread = [1, 1];
  let best = { model: cloneMlp(model), episode: 0, reward: await meanReward(createMlpPolicy(model), valSeeds) };
  const curve: CurvePoint[] = [{ episode: 0, trainReward: 0, validationReward: best.reward }];
  let grads = zeroGradients(model);
  let pending: { samples: Sample[]; rewards: number[] }[] = [];
  let recent = 0;
  const probs = new Float64Array(ACTIONS);

  for (let episode = 1; episode <= opts.episodes; episode++) {
    const samples: Sample[] = [];
    const decide = (batch: readonly DecisionContext[], hidden: readonly HiddenView[]): number[] =>
      batch.map((ctx, i) => {
        const features = new Float64Array(ACTIONS * FEATURES);
        const mask = new Float64Array(ACTIONS);
        encodeInto(ctx, features, mask, 0);
        forwardDecision(model, features, mask, 0, probs);
        let u = sampler.next();
        let action = ACTIONS - 1;
        for (let a = 0; a < ACTIONS; a++) {
          u -= probs[a] as number;
          if (u < 0 && mask[a] === 0) {
            action = a;
            break;
          }
        }
        if (mask[action] !== 0) action = probs.indexOf(Math.max(...probs));
        const view = hidden[i];
        const q = opts.informedCritic > 0 && view ? informedValues(ctx, view, mask) : undefined;
        samples.push({ features, mask, action, kind: ctx.kind === 'failure' ? 1 : 0, p: probs[action] as number, ...(q ? { q } : {}) });
        return action;
      });
    const result = await playQuest(generateQuest(trainingQuestSeed(opts.seed, episode)), decide);
    recent = episode === 1 ? result.reward : recent + 0.02 * (result.reward - recent);
    pending.push({ samples, rewards: result.decisionRewards });

    if (pending.length >= opts.batchEpisodes) {
      const trace: Trace = { acts: [], probs: new Float64Array(ACTIONS) };
      // Advantages against the learned baseline (which learns from each sample once).
      const batch: { s: Sample; advantage: number }[] = [];
      for (const { samples: ss, rewards } of pending) {
        const credit = returnsToGo(rewards, ss.length, opts.discount);
        ss.forEach((s, k) => {
          const r = credit[k] as number;
          const v = value[s.kind] as Float64Array;
          let b = v[G] as number;
          for (let j = 0; j < G; j++) b += (v[j] as number) * (s.features[j] as number);
          const advantage = (r - b) / Math.sqrt(spread[s.kind] as number);
          const err = r - b;
          v[G] = (v[G] as number) + valueLr * err;
          for (let j = 0; j < G; j++) v[j] = (v[j] as number) + valueLr * err * (s.features[j] as number);
          spread[s.kind] = (spread[s.kind] as number) + 0.05 * (err ** 2 - (spread[s.kind] as number));
          batch.push({ s, advantage });
        });
      }
      for (let epoch = 0; epoch < opts.ppoEpochs; epoch++) {
        for (const { s, advantage } of batch) {
          forwardDecision(model, s.features, s.mask, 0, new Float64Array(ACTIONS), trace);
          let a = advantage;
          if (opts.ppoEpochs > 1) {
            // Clipped surrogate: d(-min(rA, clip(r)A)) is rA(p - onehot) inside the trust region, 0 outside.
            const ratio = (trace.probs[s.action] as number) / Math.max(s.p, 1e-12);
            const inside = advantage >= 0 ? ratio < 1 + opts.clip : ratio > 1 - opts.clip;
            a = inside ? advantage * ratio : 0;
          }
          if (s.q) {
            backwardExpected(model, trace, s.q, opts.informedCritic, opts.entropyCoef, grads);
            if (opts.informedCritic < 1) backwardDecision(model, trace, s.action, (1 - opts.informedCritic) * a, 0, grads);
          } else backwardDecision(model, trace, s.action, a, opts.entropyCoef, grads);
        }
        adamStep(model, adam, grads, batch.length);
        grads = zeroGradients(model);
      }
      pending = [];
    }

    let validationReward: number | undefined;
    if (episode % opts.evalEvery === 0 || episode === opts.episodes) {
      validationReward = await meanReward(createMlpPolicy(model), valSeeds);
      curve.push({ episode, trainReward: recent, validationReward });
      if (validationReward > best.reward) best = { model: cloneMlp(model), episode, reward: validationReward };
    }
    opts.onProgress?.({ episode, episodes: opts.episodes, trainReward: recent, ...(validationReward === undefined ? {} : { validationReward }) });
  }
  const { onProgress: _drop, ...kept } = opts;
  return {
    model: best.model,
    bestEpisode: best.episode,
    bestValidationReward: best.reward,
    curve,
    heuristics,
    options: kept as TrainResult['options'],
  };
}

/** Each decision's credit: its reward plus `discount` times the next one's credit (0: the reward alone). */
export function returnsToGo(rewards: readonly number[], n: number, discount: number): Float64Array {
  const out = new Float64Array(n);
  let next = 0;
  for (let k = n - 1; k >= 0; k--) {
    next = (rewards[k] ?? 0) + (discount === 0 ? 0 : discount * next);
    out[k] = next;
  }
  return out;
}

/** Each allowed action's value under the true parameters, as the informed oracle counts it (0 where masked). */
function informedValues(ctx: DecisionContext, view: HiddenView, mask: ArrayLike<number>): Float64Array {
  const q = new Float64Array(ACTIONS);
  const lose = GIVE_UP_PENALTY + SUCCESS_BONUS;
  const lastAttempt = ctx.attempt + 1 >= MAX_ATTEMPTS;
  view.candidates.forEach((c, a) => {
    if (a >= GIVE_UP || mask[a] !== 0) return;
    const { value, pFail } = trueCallValue(view, c);
    q[a] = value - pFail * (lastAttempt ? lose : ORACLE_RETRY_COST);
  });
  if (mask[GIVE_UP] === 0) q[GIVE_UP] = -lose;
  return q;
}
