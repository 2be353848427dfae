import { SymphonyError, type ArtifactsService } from '@symphony/types';
import { compare, evaluatePolicy } from './evaluate.js';
import { POLICY_ARTIFACT } from './model-manager.js';
import { createOnnxPolicy } from './onnx-policy.js';

/**
 * The model lifecycle: training stores `conductor-policy@candidate`; the candidate becomes
 * `@production` only when it beats production on validation seeds (or when forced), and the
 * production it replaces stays reachable as `@previous`, so a rollback is one alias swap.
 */
export const CANDIDATE = 'candidate';
export const PRODUCTION = 'production';
export const PREVIOUS = 'previous';

export interface GateResult {
  candidate: { version: string; meanReward: number };
  production: { version: string; meanReward: number };
  /** Paired per-quest difference candidate - production, with its 95% CI. */
  difference: number;
  ci95: [number, number];
  quests: number;
  /** True when the candidate's mean reward is higher on the validation seeds (or production cannot load). */
  better: boolean;
  /** Why production could not be played (e.g. a model for other features): the candidate wins. */
  productionRefused?: string;
}

/** Plays both models on the same validation quests. */
export async function gateCandidate(candidate: { bytes: Uint8Array; version: string }, production: { bytes: Uint8Array; version: string }, seeds: readonly number[]): Promise<GateResult> {
  const cand = await createOnnxPolicy(candidate.bytes, candidate.version);
  let prod: Awaited<ReturnType<typeof createOnnxPolicy>>;
  try {
    prod = await createOnnxPolicy(production.bytes, production.version);
  } catch (err) {
    // A production model this Conductor cannot run decides nothing: any working candidate beats it.
    try {
      const c = await evaluatePolicy(cand, seeds);
      const why = err instanceof SymphonyError ? `${err.code}: ${err.message}` : String(err);
      return { candidate: { version: candidate.version, meanReward: c.meanReward }, production: { version: production.version, meanReward: NaN }, difference: NaN, ci95: [NaN, NaN], quests: seeds.length, better: true, productionRefused: why };
    } finally {
      await cand.close();
    }
  }
  try {
    const c = await evaluatePolicy(cand, seeds);
    const p = await evaluatePolicy(prod, seeds);
    const cmp = compare(c, p);
    return {
      candidate: { version: candidate.version, meanReward: c.meanReward },
      production: { version: production.version, meanReward: p.meanReward },
      difference: cmp.meanDifference,
      ci95: cmp.ci95,
      quests: seeds.length,
      better: cmp.meanDifference > 0,
    };
  } finally {
    await cand.close();
    await prod.close();
  }
}

/** Stores a trained model as the next version, aliased `candidate`. */
export async function publishCandidate(artifacts: ArtifactsService, bytes: Uint8Array, attributes: Record<string, unknown>): Promise<number> {
  const ref = await artifacts.put(POLICY_ARTIFACT, bytes, { kind: 'model', contentType: 'application/onnx', attributes, aliases: [CANDIDATE] });
  return ref.version;
}

/** Points `production` at `version` and keeps the one it replaces as `previous`. */
export async function promote(artifacts: ArtifactsService, version: number): Promise<{ production: number; previous?: number }> {
  if (!artifacts.info(POLICY_ARTIFACT, version)) throw new SymphonyError('E_NOT_FOUND', `no ${POLICY_ARTIFACT} version ${version} to promote`, { details: { version } });
  const current = artifacts.aliases(POLICY_ARTIFACT)[PRODUCTION];
  if (current === version) return { production: version };
  if (current !== undefined) await artifacts.setAlias(POLICY_ARTIFACT, PREVIOUS, current);
  await artifacts.setAlias(POLICY_ARTIFACT, PRODUCTION, version);
  return { production: version, ...(current !== undefined ? { previous: current } : {}) };
}

/** Puts the previous production back (and keeps the rolled-back one as `previous`: a second rollback undoes the first). */
export async function rollback(artifacts: ArtifactsService): Promise<{ production: number; previous: number }> {
  const aliases = artifacts.aliases(POLICY_ARTIFACT);
  const previous = aliases[PREVIOUS];
  const current = aliases[PRODUCTION];
  if (previous === undefined || current === undefined) {
    throw new SymphonyError('E_NOT_FOUND', `nothing to roll back to: ${POLICY_ARTIFACT} has no "${PREVIOUS}" production`, { details: { aliases } });
  }
  await artifacts.setAlias(POLICY_ARTIFACT, PRODUCTION, previous);
  await artifacts.setAlias(POLICY_ARTIFACT, PREVIOUS, current);
  return { production: previous, previous: current };
}

/** The bytes and version label of `conductor-policy@alias`, if any. */
export function storedPolicy(artifacts: ArtifactsService, alias: string): { bytes: Uint8Array; version: string; number: number } | undefined {
  const artifact = artifacts.get(POLICY_ARTIFACT, alias);
  if (!artifact) return undefined;
  return { bytes: artifact.data, version: String(artifact.info.attributes?.version ?? `${POLICY_ARTIFACT}@${artifact.info.version}`), number: artifact.info.version };
}
