import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SymphonyError } from '@symphony/types';
import { curveSvg } from './curve-svg.js';
import { FEATURE_NAMES } from './features.js';
import { exportPolicyOnnx } from './onnx-export.js';
import { train, type TrainOptions, type TrainResult } from './trainer.js';

/** What ships beside the ONNX bytes: how the model was made and how it did on validation. */
export interface PolicyMetadata {
  version: string;
  sha256: string;
  seed: number;
  episodes: number;
  bestEpisode: number;
  validationReward: number;
  heuristicsValidation: Record<string, number>;
  features: readonly string[];
  hidden: readonly number[];
  /** The rest of the training options, so the file says how to make it again. */
  training?: { learningRate: number; batchEpisodes: number; entropyCoef: number; ppoEpochs: number; clip: number; evalEvery: number; validationQuests: number; discount?: number };
}

export interface PolicyBundle {
  bytes: Uint8Array;
  metadata: PolicyMetadata;
}

export const DEFAULT_EPISODES = 16000;
export const POLICY_FILE = 'conductor-policy.onnx';
export const POLICY_ALIAS = 'conductor-policy@production';

/** Where the package's trained policy lives (`models/` beside `dist/`). */
export function bundledModelDir(): string {
  return fileURLToPath(new URL('../models/', import.meta.url));
}

export async function readBundledPolicy(dir: string = bundledModelDir()): Promise<PolicyBundle> {
  const file = join(dir, POLICY_FILE);
  try {
    const bytes = new Uint8Array(await readFile(file));
    const metadata = JSON.parse(await readFile(join(dir, 'conductor-policy.json'), 'utf8')) as PolicyMetadata;
    return { bytes, metadata };
  } catch (cause) {
    throw new SymphonyError('E_NOT_FOUND', `no bundled policy at ${file}: run "symphony train --seed 1" to make one`, { details: { path: file }, cause });
  }
}

export interface TrainedPolicy extends PolicyBundle {
  result: TrainResult;
  svg: string;
}

/** Trains, exports to ONNX and describes the result; same seed and episodes = same bytes. */
export async function trainPolicy(options: TrainOptions): Promise<TrainedPolicy> {
  const result = await train(options);
  const version = `fqg-seed${options.seed}-ep${options.episodes}`;
  const bytes = exportPolicyOnnx(result.model, version);
  const metadata: PolicyMetadata = {
    version,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    seed: options.seed,
    episodes: options.episodes,
    bestEpisode: result.bestEpisode,
    validationReward: round(result.bestValidationReward),
    heuristicsValidation: Object.fromEntries(Object.entries(result.heuristics).map(([k, v]) => [k, round(v)])),
    features: FEATURE_NAMES,
    hidden: result.options.hidden,
    training: {
      learningRate: result.options.learningRate,
      batchEpisodes: result.options.batchEpisodes,
      entropyCoef: result.options.entropyCoef,
      ppoEpochs: result.options.ppoEpochs,
      clip: result.options.clip,
      evalEvery: result.options.evalEvery,
      validationQuests: result.options.validationQuests,
      // Written only when used, so the bundled metadata made before the option stays the same bytes.
      ...(result.options.discount ? { discount: result.options.discount } : {}),
    },
  };
  const svg = curveSvg(result.curve, result.heuristics, `Conductor policy ${version}: reward vs episode`);
  return { bytes, metadata, result, svg };
}

export async function writePolicyFiles(dir: string, policy: TrainedPolicy): Promise<{ model: string; metadata: string; curve: string }> {
  await mkdir(dir, { recursive: true });
  const paths = { model: join(dir, POLICY_FILE), metadata: join(dir, 'conductor-policy.json'), curve: join(dir, 'training-curve.svg') };
  await writeFile(paths.model, policy.bytes);
  await writeFile(paths.metadata, JSON.stringify(policy.metadata, null, 2) + '\n');
  await writeFile(paths.curve, policy.svg);
  return paths;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
