import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createKernel, type AnyPlugin, type Kernel } from '@symphony/kernel';
import { createConductorPlugin, type Conductor } from '@symphony/conductor';
import { createStagePlugin } from '@symphony/extension-loader';
import { hooksPlugin } from '@symphony/hooks';
import { createLogger } from '@symphony/logging';
import { metricsPlugin } from '@symphony/metrics';
import { arbitrationPlugin } from '@symphony/pit-arbitration';
import { pitStorePlugins } from '@symphony/pit-artifacts';
import { dagPlugin } from '@symphony/pit-dag';
import { poolPlugin } from '@symphony/pit-pool';
import { stalePlugin } from '@symphony/pit-stale';
import { BUILTIN_OPERATORS_DIR } from '@symphony/stage-operators';
import { BUILTIN_INSTRUMENTS_DIR } from '@symphony/stage-instruments';
import type { ArtifactsService } from '@symphony/types';

export interface KernelChoice {
  /** The store (`.symphony` by default): the ledger lives in `<home>/ledger`. */
  home: string;
  /** Extension folders besides the built-in operators (a workflow's `extensions/`). */
  extensionDirs?: string[];
  /** Only the store (runs/artifacts inspection, train): no Stage, no Conductor policy load. */
  storeOnly?: boolean;
  /** With `storeOnly`: also pit.stale (curated decision traces). */
  withStale?: boolean;
  /** Log level on stderr; SYMPHONY_LOG overrides. Default `warn`. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export interface OpenKernel {
  kernel: Kernel;
  conductor: Conductor | undefined;
  artifacts: ArtifactsService;
  close(): Promise<void>;
}

/** The embedded defaults: the LMDB store under `home`, built-in operators, the bundled policy. */
export async function openKernel(choice: KernelChoice): Promise<OpenKernel> {
  const home = resolve(choice.home);
  const level = (process.env.SYMPHONY_LOG as KernelChoice['logLevel']) ?? choice.logLevel ?? 'warn';
  const logger = createLogger({ level, destination: process.stderr, name: 'symphony' });
  const plugins: AnyPlugin[] = [...pitStorePlugins({ ledger: { path: join(home, 'ledger') } }), dagPlugin];
  if (choice.storeOnly && choice.withStale) plugins.push(stalePlugin);
  if (!choice.storeOnly) {
    const dirs = [BUILTIN_OPERATORS_DIR, BUILTIN_INSTRUMENTS_DIR, ...(choice.extensionDirs ?? []).filter((d) => existsSync(d))];
    plugins.push(
      arbitrationPlugin,
      poolPlugin,
      stalePlugin,
      metricsPlugin,
      hooksPlugin,
      // Built-in operators and instruments and a workflow's own extensions are ours: worker threads (fast).
      createStagePlugin({ dirs: dirs.map((path) => ({ path, mode: 'worker' as const })), symphonyVersion: '0.1.0' }),
      createConductorPlugin(),
    );
  }
  const kernel = createKernel({
    plugins,
    logger,
    config: { home, pluginOptions: { 'pit.arbitration': { sampleIntervalMs: 0 }, 'pit.pool': { timers: false } } },
  });
  await kernel.start();
  return {
    kernel,
    conductor: choice.storeOnly ? undefined : kernel.service<Conductor>('conductor'),
    artifacts: kernel.service<ArtifactsService>('pit.artifacts'),
    close: () => kernel.stop(),
  };
}
