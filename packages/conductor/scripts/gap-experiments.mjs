// Training variants tried to raise the share of the gap to the informed oracle the policy closes
// (issue 16). Each trains from seed 1 and is scored like `symphony eval`: against the best tuned
// baseline and the oracle on three held-out sets of 1,000 quests. Seeded: the same numbers on
// every run (about 20 minutes on one core). Usage: node scripts/gap-experiments.mjs [name ...]
import { createMlpPolicy, createOracle, evaluatePolicy, meanCi, strongBaselines, train, tuneBaselines, validationSeeds } from '../dist/index.js';

const VARIANTS = {
  shipped: {},
  'select-1000': { validationQuests: 1000, evalEvery: 500 },
  'entropy-0.003': { entropyCoef: 0.003, validationQuests: 1000, evalEvery: 500 },
  'batch-32x32000': { batchEpisodes: 32, episodes: 32000 },
  'lr-5e-4x32000': { learningRate: 5e-4, episodes: 32000, validationQuests: 1000, evalEvery: 1000 },
  'discount-0.3': { discount: 0.3 },
  'informed-critic-1': { informedCritic: 1, validationQuests: 1000, evalEvery: 500 },
  'informed-critic-0.5': { informedCritic: 0.5, validationQuests: 1000, evalEvery: 500 },
};
const BASES = [4_000_000, 900_000, 7_000_000];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

const tuned = await tuneBaselines(validationSeeds(300), 1);
const refs = new Map();
for (const base of BASES) {
  const seeds = Array.from({ length: 1000 }, (_, i) => base + i);
  const baselines = [];
  for (const p of strongBaselines(tuned, 1)) baselines.push(await evaluatePolicy(p, seeds, 'baseline'));
  const best = baselines.reduce((a, b) => (b.meanReward > a.meanReward ? b : a));
  const oracle = await evaluatePolicy(createOracle(tuned.oracle), seeds, 'oracle');
  refs.set(base, { seeds, best, oracle });
}
const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(VARIANTS);
console.log('| variant | best episode | validation | ' + BASES.map((b) => `${b.toLocaleString('en')}.. gap closed (diff CI)`).join(' | ') + ' |');
for (const name of names) {
  const options = VARIANTS[name];
  if (!options) throw new Error(`unknown variant ${name} (${Object.keys(VARIANTS).join(', ')})`);
  const result = await train({ seed: 1, episodes: 16000, ...options });
  const policy = createMlpPolicy(result.model);
  const cells = [];
  for (const base of BASES) {
    const { seeds, best, oracle } = refs.get(base);
    const s = await evaluatePolicy(policy, seeds);
    const d = meanCi(s.rewards.map((x, i) => x - best.rewards[i]));
    cells.push(`${((100 * d.mean) / (oracle.meanReward - best.meanReward)).toFixed(1)}% (${(d.mean - d.half).toFixed(2)}..${(d.mean + d.half).toFixed(2)})`);
  }
  console.log(`| ${name} | ${result.bestEpisode} | ${result.bestValidationReward.toFixed(3)} | ${cells.join(' | ')} |`);
}
