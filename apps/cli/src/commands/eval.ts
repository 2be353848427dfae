import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  HELD_OUT_BASE,
  TRAIN_BASE,
  VALIDATION_BASE,
  VALIDATION_SPAN,
  createHeuristic,
  createOnnxPolicy,
  createOracle,
  evaluateSuite,
  readBundledPolicy,
  storedPolicy,
  strongBaselines,
  tuneBaselines,
  validationSeeds,
  type EvalReport,
  type Policy,
} from '@symphony/conductor';
import { SymphonyError } from '@symphony/types/core';
import { c, table } from '../term.js';

export interface EvalArgs {
  quests: number;
  seedBase: number;
  /** Seeds the stochastic baselines (Thompson sampling, random). */
  seed: number;
  validation: number;
  model?: string;
  home?: string;
  json: boolean;
}

export const EVAL_USAGE = `symphony eval [--seed-base N] [--quests N] [--seed S] [--validation N] [--home dir | --model file.onnx] [--json]

  Plays the learned policy, the baselines (EV-greedy, Thompson sampling, cheapest-reliable tuned
  on validation seeds ${VALIDATION_BASE}.., plus random, round-robin, cheapest, lowest-latency, UCB1)
  and an informed oracle on the same held-out quests (default ${HELD_OUT_BASE}.., 1000 quests).
  --home evaluates that home's conductor-policy@production; --model a file; default the bundled one.
  --seed seeds the stochastic baselines (default 1).`;

class UsageError extends Error {}

/** Parses `eval`'s own arguments; a UsageError for anything it does not understand. */
export function parseEvalArgs(argv: readonly string[]): EvalArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        quests: { type: 'string' },
        'seed-base': { type: 'string' },
        seed: { type: 'string' },
        validation: { type: 'string' },
        model: { type: 'string' },
        home: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    const s = String(raw);
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, not "${s}"`);
    return n;
  };
  const quests = int('quests', 1000, 1, 100_000);
  const seedBase = int('seed-base', HELD_OUT_BASE, 0, TRAIN_BASE - 1);
  const validation = int('validation', 300, 1, VALIDATION_SPAN);
  // Held-out means held out: the evaluated seeds may not touch validation or training seeds.
  if (seedBase < VALIDATION_BASE + VALIDATION_SPAN && seedBase + quests > VALIDATION_BASE) {
    throw new UsageError(`seeds ${seedBase}..${seedBase + quests - 1} overlap the validation seeds ${VALIDATION_BASE}..${VALIDATION_BASE + VALIDATION_SPAN - 1} (used for tuning and model selection)`);
  }
  if (seedBase + quests > TRAIN_BASE) throw new UsageError(`seeds ${seedBase}..${seedBase + quests - 1} reach the training seeds (${TRAIN_BASE} and up)`);
  if (values.model !== undefined && values.home !== undefined) throw new UsageError('--model and --home both name the policy to evaluate: give one');
  return {
    quests,
    seedBase,
    seed: int('seed', 1, 0, 2 ** 31 - 1),
    validation,
    json: values.json === true,
    ...(typeof values.model === 'string' ? { model: values.model } : {}),
    ...(typeof values.home === 'string' ? { home: values.home } : {}),
  };
}

/** `symphony eval ...`: exit 0 on success, 2 on a usage error, 1 on anything else. */
export async function evalCli(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${EVAL_USAGE}\n`);
    return 0;
  }
  let args: EvalArgs;
  try {
    args = parseEvalArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${c.red('✖')} ${err.message} ${c.dim('[E_USAGE]')}\n${EVAL_USAGE}\n`);
    return 2;
  }
  return evalCommand(args);
}

async function policyBytes(args: EvalArgs): Promise<{ bytes: Uint8Array; version: string; source: string }> {
  if (args.model) {
    let bytes: Buffer;
    try {
      bytes = await readFile(args.model);
    } catch (err) {
      // A missing or unreadable --model file is the user's naming mistake, not an internal fault.
      const code = (err as NodeJS.ErrnoException).code;
      throw new SymphonyError(code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_INPUT_INVALID', `--model ${args.model} cannot be read (${code ?? (err as Error).message})`, { details: { model: args.model } });
    }
    return { bytes: new Uint8Array(bytes), version: args.model, source: args.model };
  }
  // A home that does not exist holds no model: evaluated with the bundled one, without creating a store there.
  if (args.home && existsSync(args.home)) {
    const { openKernel } = await import('../kernel.js');
    const open = await openKernel({ home: args.home, storeOnly: true });
    try {
      const stored = storedPolicy(open.artifacts, 'production');
      // A home without a production model decides with the bundled one (the plugin seeds it).
      if (stored) return { bytes: stored.bytes, version: stored.version, source: `${args.home} conductor-policy@production (version ${stored.number})` };
    } finally {
      await open.close();
    }
  }
  const bundle = await readBundledPolicy();
  return { bytes: bundle.bytes, version: bundle.metadata.version, source: args.home ? `bundled (no production model in ${args.home})` : 'bundled' };
}

export async function evalCommand(args: EvalArgs): Promise<number> {
  let model = await policyBytes(args);
  let policy: Awaited<ReturnType<typeof createOnnxPolicy>>;
  try {
    policy = await createOnnxPolicy(model.bytes, model.version);
  } catch (err) {
    // A home whose production model cannot run here decides with the bundled one (as a run would).
    if (!args.home || (err as { code?: string }).code !== 'E_POLICY_INVALID') throw err;
    const bundle = await readBundledPolicy();
    model = { bytes: bundle.bytes, version: bundle.metadata.version, source: `bundled (${model.source} cannot run: ${(err as Error).message})` };
    policy = await createOnnxPolicy(model.bytes, model.version);
  }
  const tuned = await tuneBaselines(validationSeeds(args.validation), args.seed);
  const baselines: Policy[] = [
    ...strongBaselines(tuned, args.seed),
    ...(['random', 'round-robin', 'cheapest', 'lowest-latency', 'ucb1'] as const).map((h) => createHeuristic(h, { seed: args.seed })),
  ];
  const seeds = Array.from({ length: args.quests }, (_, i) => args.seedBase + i);
  let report: EvalReport;
  try {
    report = await evaluateSuite({ learned: [policy], baselines, oracle: createOracle(tuned.oracle), seeds });
  } finally {
    await policy.close();
  }
  if (args.json) {
    const { policies, ...rest } = report;
    const out = { ...rest, model: model.source, seed: args.seed, tuning: { seeds: [VALIDATION_BASE, VALIDATION_BASE + args.validation - 1], ...tuned }, policies: policies.map(({ rewards: _r, ...p }) => p) };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(`${c.bold('Held-out evaluation')}: ${report.quests} quests, seeds ${report.seeds[0]}..${report.seeds[1]}; policy: ${model.source}\n`);
  process.stdout.write(c.dim(`baselines tuned on validation seeds ${VALIDATION_BASE}..${VALIDATION_BASE + args.validation - 1}: ev-greedy ${fmt(tuned['ev-greedy'])}, thompson ${fmt(tuned.thompson)}, cheapest-reliable ${fmt(tuned['cheapest-reliable'])}, oracle ${fmt(tuned.oracle)}\n\n`));
  process.stdout.write(
    table(
      report.policies.map((p) => [
        p.name === report.bestBaseline ? `${p.name} (best baseline)` : p.name,
        p.role,
        `${p.meanReward.toFixed(3)} ± ${p.rewardCi95.toFixed(3)}`,
        `${(p.successRate * 100).toFixed(1)}%`,
        p.meanCost.toFixed(2),
        `${(p.meanMakespanMs / 1000).toFixed(2)} s`,
      ]),
      ['policy', 'role', 'mean reward (95% CI)', 'success', 'cost/quest', 'makespan'],
    ) + '\n\n',
  );
  for (const cmp of report.comparisons) {
    const better = cmp.ci95[0] > 0;
    process.stdout.write(
      `${better ? c.green('✔') : c.yellow('•')} ${cmp.policy} vs best baseline ${cmp.baseline}: ${cmp.meanDifference >= 0 ? '+' : ''}${cmp.meanDifference.toFixed(3)} reward per quest ` +
        `(paired 95% CI ${cmp.ci95[0].toFixed(3)} .. ${cmp.ci95[1].toFixed(3)})` +
        (cmp.gapClosed === undefined ? '; gap to the oracle closed: n/a (the oracle is not above the best baseline on these quests)' : `; gap to the oracle closed: ${(cmp.gapClosed * 100).toFixed(1)}%`) +
        '\n',
    );
  }
  return 0;
}

function fmt(o: object): string {
  return Object.entries(o)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
}
