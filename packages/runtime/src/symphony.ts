import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { defaultHome } from '@symphony/config/home';
import { createKernel, type AnyPlugin, type Kernel } from '@symphony/kernel';
// Only types from the full-mode packages: their code (the Conductor with onnxruntime, the Stage,
// the sandbox, ipc-bus, the built-in extensions) is imported when a `full` Symphony starts, so
// `mode: 'store'` (runs/artifacts inspection) opens the ledger without loading any of it.
import type { Conductor, ConductorPluginOptions, RunHandle, RunOptions, RunResult, StepFunction, StepRegistration } from '@symphony/conductor';
import { createLazyLogger } from '@symphony/logging';
import { pitStorePlugins } from '@symphony/pit-artifacts';
import { dagPlugin, type DagService } from '@symphony/pit-dag';
import type { InstrumentPoolOptions } from './instrument-pool.js';
import { SymphonyError, type ArtifactsService, type LedgerService, type Logger, type Workflow, type WorkflowSource } from '@symphony/types/core';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** An in-process step: a function, or a function with its capabilities (for `capability:` steps). */
export type StepDefinition = StepFunction | ({ run: StepFunction } & StepRegistration);

export interface SymphonyOptions {
  /**
   * The home: the ledger lives in `<home>/ledger`, installed extensions in `<home>/extensions`,
   * tokens, grants and the audit log beside them. Default `defaultHome()` of `@symphony/config`
   * (`SYMPHONY_HOME`, else `$XDG_DATA_HOME/symphony`, else `~/.local/share/symphony`). In `full`
   * mode a home inside (or equal to) the workspace is refused with `E_HOME_IN_WORKSPACE`.
   */
  home?: string;
  /** Where operators resolve `${workspace}` paths (and the sandbox confines them). Default `process.cwd()`. */
  workspace?: string;
  /**
   * Folders of your own extensions, besides the built-in ones: a path runs them in worker threads
   * (trusted, fast); `{ path, mode: 'process' }` in child processes. Missing folders are skipped.
   */
  extensions?: Array<string | { path: string; mode: 'worker' | 'process' }>;
  /** Folders of extensions that also count as trusted (worker threads) although they load later. */
  alsoTrust?: string[];
  /** Built-in operators and instruments (default true). */
  builtins?: boolean;
  /**
   * `full` (default): the Pit, the Stage and the Conductor. `store`: only the ledger, the artifact
   * store and pit.dag, to inspect runs and artifacts without starting extensions.
   */
  mode?: 'full' | 'store';
  /** Open the store read-only (`runs`, `artifacts`, `explain` on a store you may not write). Implies `mode: 'store'`. */
  readOnly?: boolean;
  /** With `mode: 'store'`: also pit.stale (curated decision traces). */
  withStale?: boolean;
  /** Which policy the Conductor decides with (default `store`: the published one, seeded from the bundled model). */
  policy?: ConductorPluginOptions['policy'];
  /** Crashes of one extension one run tolerates (default 20; a workflow's `crashBudget` wins). */
  crashBudget?: number;
  /** Steps implemented in this process, by `<extension-id>/<method>` (tests, benchmarks, embedders). */
  steps?: Record<string, StepDefinition>;
  /** Skip fsync (tests and benchmarks only): commits survive a killed process but not a power loss. */
  noSync?: boolean;
  logger?: Logger;
  /** Log level of the default logger (on stderr); `SYMPHONY_LOG` overrides it. Default `warn`. */
  logLevel?: LogLevel;
  /** Plugins added after the defaults. */
  plugins?: AnyPlugin[];
  /** Per-plugin options, merged over the defaults (`{ 'pit.dag': { maxInterruptions: 5 } }`). */
  pluginOptions?: Record<string, Record<string, unknown>>;
  /** Stage instruments served by `pit.pool` instances, pre-warmed along the critical path (see the README). */
  pool?: InstrumentPoolOptions;
}

export interface Symphony {
  readonly kernel: Kernel;
  /** The store directory (absolute). */
  readonly home: string;
  readonly workspace: string;
  /** The Conductor (`E_KERNEL_STATE` in `store` mode). */
  readonly conductor: Conductor;
  /** pit.dag: the one engine that executes runs. */
  readonly dag: DagService;
  readonly artifacts: ArtifactsService;
  readonly ledger: LedgerService;
  /** Runs a workflow (an object, or the path of a `.yaml`/`.yml`/`.json` file) to its end. */
  run(workflow: Workflow | WorkflowSource | string, options?: RunOptions): Promise<RunResult>;
  /** Starts a run; `done` resolves when it ends. */
  start(workflow: Workflow | WorkflowSource, options?: RunOptions): RunHandle;
  /** Continues a run that a crash interrupted: acknowledged steps never run again. */
  resume(runId: string, options?: Omit<RunOptions, 'inputs'>): Promise<RunResult>;
  /** Stops the kernel (waits for pending ledger commits). */
  close(): Promise<void>;
}

/**
 * The embedded defaults, composed once: the LMDB store under `home`, pit.dag, arbitration,
 * pool, stale, metrics and hooks, the Stage with the built-in operators and instruments (worker
 * threads), extensions installed under `<home>/extensions` as sandboxed child processes, and the
 * Conductor with its policy. The kernel is started when the promise resolves.
 */
export async function createSymphony(options: SymphonyOptions): Promise<Symphony> {
  const home = defaultHome(options.home === undefined ? {} : { flag: options.home });
  const workspace = resolve(options.workspace ?? process.env.SYMPHONY_WORKSPACE ?? process.cwd());
  const level = (process.env.SYMPHONY_LOG as LogLevel | undefined) ?? options.logLevel ?? 'warn';
  // pino loads with the first line written (a warning, an error), not with every command.
  const logger = options.logger ?? createLazyLogger({ level, destination: process.stderr, name: 'symphony' });
  const storeOnly = options.mode === 'store' || options.readOnly === true;
  const ledgerOptions = { path: join(home, 'ledger'), ...(options.noSync ? { noSync: true } : {}), ...(options.readOnly ? { readOnly: true } : {}) };
  const plugins: AnyPlugin[] = [...pitStorePlugins({ ledger: ledgerOptions }), dagPlugin];
  const pluginOptions: Record<string, Record<string, unknown>> = {
    // No background timers: a CLI process ends when its run ends.
    'pit.arbitration': { sampleIntervalMs: 0 },
    'pit.pool': { timers: false },
  };
  // The Conductor's validator, loaded with it (full mode only): object workflows are validated whole.
  let parseWorkflow: ParseWorkflow | undefined;
  if (storeOnly) {
    if (options.withStale) plugins.push((await import('@symphony/pit-stale')).stalePlugin);
  } else {
    const [{ createConductorPlugin, parseWorkflowSource }, { createStagePlugin }, { hooksPlugin }, { metricsPlugin }, { arbitrationPlugin }, { poolPlugin }, { stalePlugin }, { BUILTIN_INSTRUMENTS_DIR }, { BUILTIN_OPERATORS_DIR }] = await Promise.all([
      import('@symphony/conductor'),
      import('@symphony/extension-loader'),
      import('@symphony/hooks'),
      import('@symphony/metrics'),
      import('@symphony/pit-arbitration'),
      import('@symphony/pit-pool'),
      import('@symphony/pit-stale'),
      import('@symphony/stage-instruments'),
      import('@symphony/stage-operators'),
    ]);
    parseWorkflow = parseWorkflowSource;
    // The home is never inside a path an extension or a workflow may reach.
    assertHomeOutsideWorkspace(home, workspace);
    // The built-in operators run in worker threads of this process and deny the home they find here.
    process.env.SYMPHONY_HOME = home;
    const builtins = options.builtins === false ? [] : [BUILTIN_OPERATORS_DIR, BUILTIN_INSTRUMENTS_DIR];
    const own = (options.extensions ?? []).map((e) => (typeof e === 'string' ? { path: resolve(e), mode: 'worker' as const } : { path: resolve(e.path), mode: e.mode })).filter((e) => existsSync(e.path));
    const trustedDirs = [...builtins, ...own.filter((e) => e.mode === 'worker').map((e) => e.path)];
    const dirs: { path: string; mode: 'worker' | 'process' }[] = [...builtins.map((path) => ({ path, mode: 'worker' as const })), ...own];
    plugins.push(arbitrationPlugin, poolPlugin, stalePlugin, metricsPlugin, hooksPlugin);
    // Extensions installed by the marketplace are third-party code: child processes under the
    // sandbox (set up before the stage, which starts processes through it).
    const installed = join(home, 'extensions');
    if (existsSync(installed)) {
      dirs.push({ path: installed, mode: 'process' });
      plugins.push((await import('@symphony/sandbox')).sandboxPlugin);
      pluginOptions.sandbox = { home, workspace, trusted: await extensionIds([...trustedDirs, ...(options.alsoTrust ?? [])]) };
    }
    // The Conductor budgets extension crashes per run (`crashBudget`); the stage itself only
    // backs its restarts off, so a crash never disables an extension behind a run's retries.
    const restart = { maxCrashes: Number.MAX_SAFE_INTEGER, windowMs: 60_000, backoffMs: 20, maxBackoffMs: 1_000 };
    // Pooled instruments start from booted spares when the pool pre-warms (see InstrumentPoolOptions.spares).
    const spares = options.pool ? (options.pool.spares ?? (options.pool.prewarm === false ? 0 : 1)) : 0;
    const stage = createStagePlugin({ dirs, symphonyVersion: '0.1.0', restart, ...(spares > 0 ? { prewarm: spares } : {}) });
    if (options.pool?.memoryBudgetBytes !== undefined) pluginOptions['pit.pool'] = { ...pluginOptions['pit.pool'], memoryBudgetBytes: options.pool.memoryBudgetBytes };
    plugins.push(options.pool ? (await import('./instrument-pool.js')).withInstrumentPool(stage, options.pool) : stage, createConductorPlugin({ ...(options.policy ? { policy: options.policy } : {}), ...(options.crashBudget !== undefined ? { crashBudget: options.crashBudget } : {}) }));
  }
  plugins.push(...(options.plugins ?? []));
  for (const [name, value] of Object.entries(options.pluginOptions ?? {})) pluginOptions[name] = { ...pluginOptions[name], ...value };
  const kernel = createKernel({ plugins, logger, config: { home, pluginOptions } });
  await kernel.start();
  const conductor = storeOnly ? undefined : kernel.service<Conductor>('conductor');
  for (const [uses, def] of Object.entries(options.steps ?? {})) {
    if (!conductor) break;
    if (typeof def === 'function') conductor.registerStep(uses, def);
    else {
      const { run, ...registration } = def;
      conductor.registerStep(uses, run, registration);
    }
  }
  const needConductor = (): Conductor => {
    if (conductor) return conductor;
    throw new SymphonyError('E_KERNEL_STATE', 'this Symphony was created with mode "store" (or readOnly): it cannot run workflows', { details: { home } });
  };
  let closing: Promise<void> | undefined;
  const symphony: Symphony = {
    kernel,
    home,
    workspace,
    get conductor() {
      return needConductor();
    },
    dag: kernel.service<DagService>('pit.dag'),
    artifacts: kernel.service<ArtifactsService>('pit.artifacts'),
    ledger: kernel.service<LedgerService>('pit.ledger'),
    async run(workflow, runOptions = {}) {
      if (typeof workflow === 'string') {
        const path = resolve(workflow);
        // Validated whole, `uses:` against what is installed, before a run exists (E_WORKFLOW_INVALID).
        const c = needConductor();
        const { loadWorkflow } = await import('@symphony/conductor');
        return c.run(await loadWorkflow(path, { file: workflow, extensions: () => c.extensions() }), { source: path, ...runOptions });
      }
      const c = needConductor();
      return c.run(validated(parseWorkflow as ParseWorkflow, c, workflow), runOptions);
    },
    start(workflow, runOptions) {
      const c = needConductor();
      return c.start(validated(parseWorkflow as ParseWorkflow, c, workflow), runOptions);
    },
    resume: (runId, runOptions) => needConductor().resume(runId, runOptions),
    close() {
      closing ??= kernel.stop();
      return closing;
    },
  };
  return symphony;
}

/**
 * An object workflow validated whole, as the CLI and `POST /runs` validate theirs: the schema,
 * reserved step ids (`__proto__`), expressions, and every `uses:` against what is installed,
 * so nothing is created on invalid input (E_WORKFLOW_INVALID with diagnostics).
 */
type ParseWorkflow = typeof import('@symphony/conductor').parseWorkflowSource;

function validated(parseWorkflowSource: ParseWorkflow, c: Conductor, workflow: Workflow | WorkflowSource): Workflow {
  let text: string;
  try {
    text = JSON.stringify(workflow, null, 2);
  } catch (cause) {
    throw new SymphonyError('E_WORKFLOW_INVALID', `workflow is not plain data: ${(cause as Error).message}`, { cause });
  }
  if (text === undefined) throw new SymphonyError('E_WORKFLOW_INVALID', 'workflow is not an object');
  return parseWorkflowSource(text, { file: 'workflow', extensions: () => c.extensions() });
}

/** Ids of the extensions in folders of extension folders (the ones trusted to run in worker threads). */
async function extensionIds(dirs: string[]): Promise<string[]> {
  const ids: string[] = [];
  const { loadManifest } = await import('@symphony/manifest');
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
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
  // A home that does not exist yet is resolved through its nearest existing folder: reached through
  // a link into the workspace (`--home ./link/.symphony`), it is inside it all the same.
  const real = (p: string): string => {
    let path = resolve(p);
    const rest: string[] = [];
    for (let i = 0; i < 4096; i++) {
      try {
        return join(realpathSync(path), ...rest.reverse());
      } catch {
        const parent = dirname(path);
        if (parent === path) break;
        rest.push(basename(path));
        path = parent;
      }
    }
    return resolve(p);
  };
  const h = real(home);
  const w = real(workspace);
  if (h === w || h.startsWith(w.endsWith(sep) ? w : w + sep)) {
    throw new SymphonyError('E_HOME_IN_WORKSPACE', `the home ${h} is inside the workspace ${w}, where extensions and workflows could read its tokens and rewrite its grants; choose a home outside it (--home, SYMPHONY_HOME; the default is $XDG_DATA_HOME/symphony or ~/.local/share/symphony)`, {
      details: { path: h, workspace: w },
    });
  }
}
