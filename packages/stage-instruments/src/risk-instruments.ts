import { join } from 'node:path';
import { SymphonyError } from '@symphony/types';
import { onnxInstrument, type Instrument } from './instrument.js';
import type { OnnxModel } from './onnx/runner.js';
import { PACKAGE_DIR } from './package-dir.js';
import { RISK_BANDS, riskFeatures, type FileStats, type RiskBand } from './models/risk.js';

export type RiskModelName = 'risk-linear' | 'risk-mlp';

/** Path of a bundled model file (shipped in the package's `models/`). */
export function bundledModelPath(name: RiskModelName): string {
  return join(PACKAGE_DIR, 'models', `${name}.onnx`);
}

export interface RiskResult {
  band: RiskBand;
  /** Probabilities for low, medium, high. */
  probabilities: [number, number, number];
}

/** Classifies files into risk bands with one of the bundled models (batched across calls). */
export async function classifyRisk(model: OnnxModel, files: readonly FileStats[]): Promise<RiskResult[]> {
  return Promise.all(
    files.map(async (file, i) => {
      if (!file || typeof file !== 'object') throw new SymphonyError('E_INPUT_INVALID', `files[${i}] is not an object`, { details: { path: `files[${i}]` } });
      const p = await model.infer(riskFeatures(file));
      const best = p.indexOf(Math.max(...p));
      return { band: RISK_BANDS[best] as RiskBand, probabilities: [p[0]!, p[1]!, p[2]!] };
    }),
  );
}

/**
 * A bundled risk model as an instrument: `infer(instance, files)` classifies a list of files.
 * `options` reach the session (batching) and the pool (memoryBytes, maxInstances, keepAliveMs…).
 */
export function riskInstrument(name: RiskModelName, options: Parameters<typeof onnxInstrument>[2] = {}): Instrument<OnnxModel, readonly FileStats[], RiskResult[]> {
  const base = onnxInstrument(name, bundledModelPath(name), { pinned: false, ...options });
  return { ...base, infer: (model, files) => classifyRisk(model, files) };
}
