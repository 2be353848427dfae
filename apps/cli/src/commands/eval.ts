import { readFile } from 'node:fs/promises';
import { HEURISTICS, createHeuristic, createOnnxPolicy, evaluateAll, heldOutSeeds, readBundledPolicy } from '@symphony/conductor';
import { c, table } from '../term.js';

export interface EvalArgs {
  quests: number;
  model?: string;
  json: boolean;
}

/** `symphony eval`: the trained policy against every heuristic on held-out quest seeds. */
export async function evalCommand(args: EvalArgs): Promise<number> {
  const bundle = args.model
    ? { bytes: new Uint8Array(await readFile(args.model)), metadata: { version: args.model } }
    : await readBundledPolicy();
  const policy = await createOnnxPolicy(bundle.bytes, bundle.metadata.version);
  const seeds = heldOutSeeds(args.quests);
  const report = await evaluateAll([policy], HEURISTICS.map((h) => createHeuristic(h, { seed: 7 })), seeds);
  await policy.close();
  if (args.json) {
    const { policies, ...rest } = report;
    process.stdout.write(JSON.stringify({ ...rest, policies: policies.map(({ rewards: _r, ...p }) => p) }, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(`${c.bold('Held-out evaluation')}: ${report.quests} quests, seeds ${report.seeds[0]}..${report.seeds[1]} (never used in training or tuning)\n\n`);
  process.stdout.write(
    table(
      report.policies.map((p) => [p.name, `${p.meanReward.toFixed(3)} ± ${p.rewardCi95.toFixed(3)}`, `${(p.successRate * 100).toFixed(1)}%`, p.meanCost.toFixed(2), `${(p.meanMakespanMs / 1000).toFixed(2)} s`]),
      ['policy', 'mean reward (95% CI)', 'success', 'cost/quest', 'makespan'],
    ) + '\n\n',
  );
  for (const cmp of report.comparisons) {
    const better = cmp.ci95[0] > 0;
    process.stdout.write(
      `${better ? c.green('✔') : c.yellow('•')} ${cmp.policy} vs best heuristic ${cmp.baseline}: ${cmp.meanDifference >= 0 ? '+' : ''}${cmp.meanDifference.toFixed(3)} reward per quest ` +
        `(95% CI ${cmp.ci95[0].toFixed(3)} .. ${cmp.ci95[1].toFixed(3)}), ${(cmp.relative * 100).toFixed(1)}% of |${cmp.baseline}|\n`,
    );
  }
  return 0;
}
