import { createHash } from 'node:crypto';
import {
  POLICY_ARTIFACT,
  promote as promoteVersion,
  publishCandidate,
  createMlpPolicy,
  evaluatePolicy,
  exportPolicyOnnx,
  fineTune,
  importPolicyOnnx,
  readBundledPolicy,
  validationSeeds,
  type LoggedDecision,
} from '@symphony/conductor';
import { SymphonyError } from '@symphony/types';
import { openKernel } from '../kernel.js';
import { c } from '../term.js';

interface StaleTraces {
  trainingSet(options?: { limit?: number }): { record: { state: number[] | Record<string, number>; action: unknown; reward: number; outcome: unknown } }[];
}

/**
 * `symphony train --replay`: fine-tunes the policy in force on the decision traces pit-stale
 * curated from real runs, reports validation reward before and after (quests only), and stores
 * the result as the next `conductor-policy` version.
 */
export async function replayCommand(args: { home: string; json: boolean; epochs: number }): Promise<number> {
  const open = await openKernel({ home: args.home, storeOnly: true, withStale: true });
  try {
    const stale = open.kernel.service<StaleTraces>('pit.stale');
    const traces: LoggedDecision[] = stale
      .trainingSet({ limit: 20_000 })
      .map(({ record }) => ({
        features: Array.isArray(record.state) ? record.state : [],
        action: Number(record.action),
        reward: record.reward,
        ...(probabilitiesOf(record.outcome) ? { probabilities: probabilitiesOf(record.outcome) } : {}),
      }));
    if (traces.length === 0) throw new SymphonyError('E_NOT_FOUND', `no decision traces in ${open.kernel.config.home}: run workflows with capability steps first`, { details: { home: args.home } });
    const stored = open.artifacts.get(POLICY_ARTIFACT, 'production');
    const base = stored ? { bytes: stored.data, version: String(stored.info.attributes?.version ?? `${POLICY_ARTIFACT}@${stored.info.version}`) } : await readBundledPolicy().then((b) => ({ bytes: b.bytes, version: b.metadata.version }));
    const before = importPolicyOnnx(base.bytes);
    const after = fineTune(before, traces, { epochs: args.epochs, seed: 1 });
    const seeds = validationSeeds(200);
    const rBefore = (await evaluatePolicy(createMlpPolicy(before), seeds)).meanReward;
    const rAfter = (await evaluatePolicy(createMlpPolicy(after), seeds)).meanReward;
    const version = `${base.version}+replay${traces.length}`;
    const bytes = exportPolicyOnnx(after, version);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const attributes = { version, sha256, base: base.version, traces: traces.length, validationBefore: rBefore, validationAfter: rAfter, source: 'trained' };
    // Only a model that does not lose on validation quests takes over `production`.
    const promote = rAfter >= rBefore;
    // Stored as the candidate; promoted (keeping the old production as `previous`) when not worse.
    const number = await publishCandidate(open.artifacts, bytes, attributes);
    if (promote) await promoteVersion(open.artifacts, number);
    const alias = promote ? `${POLICY_ARTIFACT}@production (version ${number})` : `${POLICY_ARTIFACT}@candidate (version ${number}; not promoted: production stays ${base.version})`;
    const report = { version, traces: traces.length, base: base.version, validationBefore: rBefore, validationAfter: rAfter, stored: alias };
    if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else
      process.stdout.write(
        `${c.green('✔')} fine-tuned ${base.version} on ${traces.length} curated decision traces → ${c.bold(version)}\n` +
          `  validation quests: ${rBefore.toFixed(3)} before, ${rAfter.toFixed(3)} after${promote ? '' : c.yellow(' (worse on validation quests, so not promoted)')}\n  stored as ${alias}\n`,
      );
    return 0;
  } finally {
    await open.close();
  }
}

function probabilitiesOf(outcome: unknown): number[] | undefined {
  const p = outcome && typeof outcome === 'object' ? (outcome as { probabilities?: unknown }).probabilities : undefined;
  return Array.isArray(p) && p.every((x) => typeof x === 'number') ? (p as number[]) : undefined;
}
