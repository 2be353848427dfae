import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DEFAULT_EPISODES, readBundledPolicy, trainPolicy, writePolicyFiles } from '@symphony/conductor';
import { bar, c, liveLine } from '../term.js';

export interface TrainArgs {
  episodes: number;
  seed: number;
  out: string;
  json: boolean;
}

/** `symphony train`: trains in the Function Quest Game, writes model + curve, compares with the bundled policy. */
export async function trainCommand(args: TrainArgs, store?: (bytes: Uint8Array, metadata: object) => Promise<string>): Promise<number> {
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
  let bundled: { sha256: string; same: boolean } | undefined;
  try {
    const b = await readBundledPolicy();
    const sha = createHash('sha256').update(b.bytes).digest('hex');
    bundled = { sha256: sha, same: sha === trained.metadata.sha256 };
  } catch {
    bundled = undefined;
  }
  const out = resolve(args.out);
  const paths = await writePolicyFiles(out, trained);
  const alias = store ? await store(trained.bytes, trained.metadata) : undefined;
  const seconds = (performance.now() - t0) / 1000;
  if (args.json) {
    process.stdout.write(JSON.stringify({ ...trained.metadata, paths, alias, bundled, seconds }, null, 2) + '\n');
    return 0;
  }
  const m = trained.metadata;
  const best = Object.entries(m.heuristicsValidation).sort((a, b) => b[1] - a[1])[0];
  process.stdout.write(
    [
      `${c.green('✔')} trained ${c.bold(m.version)} in ${seconds.toFixed(1)} s (best checkpoint at episode ${m.bestEpisode})`,
      `  validation reward ${m.validationReward.toFixed(3)}; best heuristic ${best?.[0]} ${best?.[1].toFixed(3)}`,
      `  model      ${paths.model}`,
      `  sha256     ${m.sha256}`,
      `  curve      ${paths.curve}`,
      alias ? `  stored as  ${alias}` : '',
      bundled ? `  bundled policy: ${bundled.same ? c.green('identical bit for bit') : c.yellow(`differs (bundled ${bundled.sha256.slice(0, 12)}…)`)}` : '',
    ]
      .filter(Boolean)
      .join('\n') + '\n',
  );
  return 0;
}

export const TRAIN_DEFAULTS = { episodes: DEFAULT_EPISODES, seed: 1, out: join('.symphony', 'models') };
