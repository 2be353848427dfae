import { defaultHome } from '@symphony/config';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_EPISODES,
  PolicyManager,
  VALIDATION_BASE,
  gateCandidate,
  promote,
  publishCandidate,
  readBundledPolicy,
  rollback,
  storedPolicy,
  trainPolicy,
  writePolicyFiles,
  type GateResult,
} from '@symphony/conductor';
import { SymphonyError } from '@symphony/types/core';
import { openKernel } from '../kernel.js';
import { bar, c, liveLine } from '../term.js';

export interface TrainArgs {
  episodes: number;
  seed: number;
  out: string;
  json: boolean;
  home: string;
  /** Promote the candidate even when it does not beat production on validation quests. */
  promote: boolean;
  /** Validation quests of the promotion gate. */
  gateQuests: number;
}

export const TRAIN_DEFAULTS = { episodes: DEFAULT_EPISODES, seed: 1, out: join('.symphony', 'models'), gateQuests: 300 };

/** The gate plays its own slice of the validation seeds (training selects checkpoints on the first ones). */
export const GATE_SEED_BASE = VALIDATION_BASE + 50_000;

export const TRAIN_USAGE = `symphony train [--episodes N] [--seed S] [--out dir] [--gate-quests N] [--promote] [--json] [--home dir]
symphony train --rollback [--home dir]       put the previous production policy back
symphony train --replay [--episodes N] [--home dir]   fine-tune on decision traces curated by pit.stale

  Training stores conductor-policy@candidate; it becomes @production only when it beats production
  on validation quests ${GATE_SEED_BASE}.. (the comparison is printed), or with --promote.`;

class UsageError extends Error {}

export function parseTrainArgs(argv: readonly string[]): TrainArgs & { rollback: boolean; replay: boolean } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        episodes: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string', short: 'o' },
        home: { type: 'string' },
        'gate-quests': { type: 'string' },
        promote: { type: 'boolean', default: false },
        rollback: { type: 'boolean', default: false },
        replay: { type: 'boolean', default: false },
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
  const rollbackFlag = values.rollback === true;
  const replay = values.replay === true;
  if (rollbackFlag && (replay || values.promote === true || values.episodes !== undefined)) throw new UsageError('--rollback takes no other option than --home and --json');
  return {
    episodes: int('episodes', replay ? 5 : TRAIN_DEFAULTS.episodes, 1, 1_000_000),
    seed: int('seed', TRAIN_DEFAULTS.seed, 0, 999),
    out: typeof values.out === 'string' ? values.out : TRAIN_DEFAULTS.out,
    home: defaultHome(typeof values.home === 'string' ? { flag: values.home } : {}),
    gateQuests: int('gate-quests', TRAIN_DEFAULTS.gateQuests, 1, 10_000),
    promote: values.promote === true,
    json: values.json === true,
    rollback: rollbackFlag,
    replay,
  };
}

/** `symphony train ...`: exit 0 on success, 2 on a usage error, 1 on anything else. */
export async function trainCli(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${TRAIN_USAGE}\n`);
    return 0;
  }
  let args: ReturnType<typeof parseTrainArgs>;
  try {
    args = parseTrainArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${c.red('✖')} ${err.message} ${c.dim('[E_USAGE]')}\n${TRAIN_USAGE}\n`);
    return 2;
  }
  if (args.rollback) return rollbackCommand(args.home, args.json);
  if (args.replay) {
    const { replayCommand } = await import('./replay.js');
    return replayCommand({ home: args.home, json: args.json, epochs: args.episodes });
  }
  return trainCommand(args);
}

export async function rollbackCommand(home: string, json: boolean): Promise<number> {
  const open = await openKernel({ home, storeOnly: true });
  try {
    const moved = await rollback(open.artifacts);
    const now = storedPolicy(open.artifacts, 'production');
    if (json) process.stdout.write(JSON.stringify({ ...moved, version: now?.version }, null, 2) + '\n');
    else process.stdout.write(`${c.green('✔')} conductor-policy@production is version ${moved.production} again (${now?.version}); version ${moved.previous} is kept as @previous\n`);
    return 0;
  } finally {
    await open.close();
  }
}

/** Trains in the Function Quest Game, writes model + curve, stores the candidate and gates its promotion. */
export async function trainCommand(args: TrainArgs): Promise<number> {
  // An --out that cannot be a folder is refused before minutes of training, as the user's mistake (not E_INTERNAL).
  try {
    await mkdir(resolve(args.out), { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SymphonyError('E_INPUT_INVALID', `--out ${args.out} cannot be a folder for the model (${code ?? (err as Error).message})`, { details: { out: args.out } });
  }
  const line = liveLine();
  const t0 = performance.now();
  const trained = await trainPolicy({
    seed: args.seed,
    episodes: args.episodes,
    onProgress: (p) => {
      if (!args.json) line.update(`training ${bar(p.episode / p.episodes)} episode ${p.episode}/${p.episodes}  reward ${p.trainReward.toFixed(3)}${p.validationReward === undefined ? '' : `  validation ${p.validationReward.toFixed(3)}`}`);
    },
  });
  line.done();
  // Compare with the shipped policy before writing, in case --out is the package's models/.
  const bundle = await readBundledPolicy().catch(() => undefined);
  const bundledSha = bundle ? createHash('sha256').update(bundle.bytes).digest('hex') : undefined;
  const bundled = bundledSha ? { sha256: bundledSha, same: bundledSha === trained.metadata.sha256 } : undefined;
  const paths = await writePolicyFiles(resolve(args.out), trained);

  const open = await openKernel({ home: args.home, storeOnly: true });
  let gate: GateResult;
  let candidate: number;
  let promoted: boolean;
  try {
    // A home that never ran decides with the bundled policy: that is the production to beat.
    if (!storedPolicy(open.artifacts, 'production') && bundle) await PolicyManager.publish(open.artifacts, bundle.bytes, { ...bundle.metadata, source: 'bundled' });
    const production = storedPolicy(open.artifacts, 'production');
    candidate = await publishCandidate(open.artifacts, trained.bytes, { ...trained.metadata, source: 'trained' });
    const seeds = Array.from({ length: args.gateQuests }, (_, i) => GATE_SEED_BASE + i);
    const candidateModel = { bytes: trained.bytes, version: trained.metadata.version };
    gate = production
      ? await gateCandidate(candidateModel, production, seeds)
      : { candidate: { version: trained.metadata.version, meanReward: NaN }, production: { version: 'none', meanReward: NaN }, difference: NaN, ci95: [NaN, NaN], quests: 0, better: true };
    // A production model this Conductor cannot run is passed over for the bundled one: that is what decides now.
    if (gate.productionRefused && bundle) {
      const refused = gate.productionRefused;
      gate = { ...(await gateCandidate(candidateModel, { bytes: bundle.bytes, version: `${bundle.metadata.version} (bundled; production ${production?.version} cannot run: ${refused})` }, seeds)) };
    }
    promoted = gate.better || args.promote;
    if (promoted) await promote(open.artifacts, candidate);
  } finally {
    await open.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const stored = `conductor-policy@candidate (version ${candidate})`;
  if (args.json) {
    process.stdout.write(JSON.stringify({ ...trained.metadata, paths, candidate: stored, gate, promoted, forced: promoted && !gate.better, bundled, seconds }, null, 2) + '\n');
    return 0;
  }
  const m = trained.metadata;
  const best = Object.entries(m.heuristicsValidation).sort((a, b) => b[1] - a[1])[0];
  const verdict = promoted
    ? gate.better
      ? c.green(`promoted to conductor-policy@production (beats ${gate.production.version})`)
      : c.yellow(`promoted to conductor-policy@production by --promote although it does not beat ${gate.production.version}`)
    : c.yellow(`not promoted: ${gate.production.version} stays in production (use --promote to force)`);
  process.stdout.write(
    [
      `${c.green('✔')} trained ${c.bold(m.version)} in ${seconds.toFixed(1)} s (best checkpoint at episode ${m.bestEpisode})`,
      `  validation reward ${m.validationReward.toFixed(3)}; best heuristic ${best?.[0]} ${best?.[1].toFixed(3)}`,
      `  model      ${paths.model}`,
      `  sha256     ${m.sha256}`,
      `  curve      ${paths.curve}`,
      `  stored as  ${stored}`,
      gate.productionRefused
        ? `  gate       production ${gate.production.version} cannot run here (${gate.productionRefused}); candidate ${gate.candidate.meanReward.toFixed(3)} on ${gate.quests} validation quests`
        : gate.quests > 0
        ? `  gate       ${gate.quests} validation quests: candidate ${gate.candidate.meanReward.toFixed(3)} vs production ${gate.production.meanReward.toFixed(3)}, paired difference ${gate.difference >= 0 ? '+' : ''}${gate.difference.toFixed(3)} (95% CI ${gate.ci95[0].toFixed(3)} .. ${gate.ci95[1].toFixed(3)})`
        : '',
      `  ${verdict}`,
      bundled ? `  bundled policy: ${bundled.same ? c.green('identical bit for bit') : c.yellow(`differs (bundled ${bundled.sha256.slice(0, 12)}…)`)}` : '',
    ]
      .filter(Boolean)
      .join('\n') + '\n',
  );
  return 0;
}
