import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { SymphonyError } from '@symphony/types';
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
import { sandboxPlugin } from '@symphony/sandbox';
import { loadManifest } from '@symphony/manifest';
import { BUILTIN_OPERATORS_DIR } from '@symphony/stage-operators';
import { BUILTIN_INSTRUMENTS_DIR } from '@symphony/stage-instruments';
import type { ArtifactsService } from '@symphony/types';

export interface KernelChoice {
  /** The home (`defaultHome()` of @symphony/config): the ledger lives in `<home>/ledger`. */
  home: string;
  /** Extension folders besides the built-in operators (a workflow's `extensions/`). */
  extensionDirs?: string[];
  /** Only the store (runs/artifacts inspection, train): no Stage, no Conductor policy load. */
  storeOnly?: boolean;
  /** With `storeOnly`: also pit.stale (curated decision traces). */
  withStale?: boolean;
  /** Folders of extensions added later (e.g. the web UI's motifs) that may also run in worker threads. */
  alsoTrust?: string[];
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
  const pluginOptions: Record<string, Record<string, unknown>> = { 'pit.arbitration': { sampleIntervalMs: 0 }, 'pit.pool': { timers: false } };
  if (!choice.storeOnly) {
    // The home is never inside a path an extension or a workflow may reach.
    const workspace = resolve(process.env.SYMPHONY_WORKSPACE ?? process.cwd());
    assertHomeOutsideWorkspace(home, workspace);
    // Built-in operators run in worker threads of this process: they read the home from here to deny it.
    process.env.SYMPHONY_HOME = home;
    // Built-in operators and instruments and a workflow's own extensions are ours: worker threads (fast).
    const trustedDirs = [BUILTIN_OPERATORS_DIR, BUILTIN_INSTRUMENTS_DIR, ...(choice.extensionDirs ?? []).filter((d) => existsSync(d))];
    const dirs: { path: string; mode: 'worker' | 'process' }[] = trustedDirs.map((path) => ({ path, mode: 'worker' }));
    plugins.push(arbitrationPlugin, poolPlugin, stalePlugin, metricsPlugin, hooksPlugin);
    // Extensions installed by the marketplace are third-party code: child processes under the
    // sandbox (set up before the stage, which starts processes through it).
    const installed = join(home, 'extensions');
    if (existsSync(installed)) {
      dirs.push({ path: installed, mode: 'process' });
      plugins.push(sandboxPlugin);
      pluginOptions.sandbox = { home, workspace, trusted: await extensionIds([...trustedDirs, ...(choice.alsoTrust ?? [])]) };
    }
    plugins.push(createStagePlugin({ dirs, symphonyVersion: '0.1.0' }), createConductorPlugin());
  }
  const kernel = createKernel({ plugins, logger, config: { home, pluginOptions } });
  await kernel.start();
  return {
    kernel,
    conductor: choice.storeOnly ? undefined : kernel.service<Conductor>('conductor'),
    artifacts: kernel.service<ArtifactsService>('pit.artifacts'),
    close: () => kernel.stop(),
  };
}

/** Ids of the extensions in folders of extension folders (the ones trusted to run in worker threads). */
async function extensionIds(dirs: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
      try {
        ids.push((await loadManifest(join(dir, entry.name))).manifest.id);
      } catch {
        // Not an extension folder; the stage reports real problems when it loads the folder.
      }
    }
  }
  return ids;
}

/** `E_HOME_IN_WORKSPACE` when the home lies inside (or is) the workspace, real paths compared. */
export function assertHomeOutsideWorkspace(home: string, workspace: string): void {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const h = real(home);
  const w = real(workspace);
  if (h === w || h.startsWith(w.endsWith(sep) ? w : w + sep)) {
    throw new SymphonyError('E_HOME_IN_WORKSPACE', `the home ${h} is inside the workspace ${w}, where extensions and workflows could read its tokens and rewrite its grants; choose a home outside it (--home, SYMPHONY_HOME; the default is $XDG_DATA_HOME/symphony or ~/.local/share/symphony)`, {
      details: { path: h, workspace: w },
    });
  }
}
