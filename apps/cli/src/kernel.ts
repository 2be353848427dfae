import type { Kernel } from '@symphony/kernel';
import type { Conductor } from '@symphony/conductor';
import type { DagService } from '@symphony/pit-dag';
import { createSymphony, type LogLevel, type Symphony, type SymphonyOptions } from '@symphony/runtime';
import { SymphonyError } from '@symphony/types/core';
import type { ArtifactsService } from '@symphony/types/core';

export interface KernelChoice {
  /** The home (`defaultHome()` of @symphony/config): the ledger lives in `<home>/ledger`. */
  home: string;
  /** Extension folders besides the built-in operators (a workflow's `extensions/`). */
  extensionDirs?: string[];
  /** Only the store (runs/artifacts inspection, train): no Stage, no Conductor policy load. */
  storeOnly?: boolean;
  /** Open the store read-only (implies `storeOnly`). */
  readOnly?: boolean;
  /** With `storeOnly`: also pit.stale (curated decision traces). */
  withStale?: boolean;
  /** Folders of extensions added later (e.g. the web UI's motifs) that may also run in worker threads. */
  alsoTrust?: string[];
  /** Log level on stderr; SYMPHONY_LOG overrides. Default `warn`. */
  logLevel?: LogLevel;
}

export interface OpenKernel {
  symphony: Symphony;
  kernel: Kernel;
  conductor: Conductor | undefined;
  dag: DagService;
  artifacts: ArtifactsService;
  close(): Promise<void>;
}

/** The embedded defaults (`@symphony/runtime`): the LMDB store under `home`, built-in operators, the bundled policy. */
export async function openKernel(choice: KernelChoice): Promise<OpenKernel> {
  const symphony = await createSymphony({
    home: choice.home,
    mode: choice.storeOnly ? 'store' : 'full',
    ...(choice.readOnly ? { readOnly: true } : {}),
    ...(choice.withStale ? { withStale: true } : {}),
    ...(choice.extensionDirs ? { extensions: choice.extensionDirs } : {}),
    ...(choice.alsoTrust ? { alsoTrust: choice.alsoTrust } : {}),
    ...(choice.logLevel ? { logLevel: choice.logLevel } : {}),
    ...(choice.storeOnly || choice.readOnly ? {} : poolFromEnv(process.env)),
  });
  // Scale-out (SYMPHONY_REDIS_URL): steps of extensions some `symphony worker` serves go to BullMQ.
  let scale: { detach(): Promise<void> } | undefined;
  if (!choice.storeOnly && !choice.readOnly && process.env.SYMPHONY_REDIS_URL) {
    const { attachScaleOut, scaleOutFromEnv } = await import('@symphony/scale-out');
    const config = scaleOutFromEnv(process.env);
    try {
      if (config) scale = await attachScaleOut(symphony, config);
    } catch (err) {
      await symphony.close();
      throw err;
    }
  }
  return {
    symphony,
    kernel: symphony.kernel,
    conductor: choice.storeOnly || choice.readOnly ? undefined : symphony.conductor,
    dag: symphony.dag,
    artifacts: symphony.artifacts,
    close: async () => {
      await scale?.detach();
      await symphony.close();
    },
  };
}

/** With scale-out on (SYMPHONY_REDIS_URL), the extensions live `symphony worker`s serve; else none. */
export async function scaleOutCatalog(): Promise<Array<{ id: string; methods: string[]; capabilities: string[] }>> {
  if (!process.env.SYMPHONY_REDIS_URL) return [];
  const { scaleOutFromEnv, workerCatalog } = await import('@symphony/scale-out');
  const config = scaleOutFromEnv(process.env);
  return config ? workerCatalog(config) : [];
}

/**
 * `SYMPHONY_POOL_MB=<MiB>`: the Stage's instruments are served by `pit.pool` instances under that
 * memory budget (measured from the instances), pre-warmed along each run's critical path
 * (`createSymphony({ pool })`). Used by `run`, `serve` and `worker`; unset, each instrument is one
 * instance started on first use.
 */
export function poolFromEnv(env: Record<string, string | undefined>): Pick<SymphonyOptions, 'pool'> {
  const raw = env.SYMPHONY_POOL_MB;
  if (raw === undefined || raw === '') return {};
  const mib = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(mib) || mib < 16 || mib > 1 << 20) {
    throw new SymphonyError('E_INPUT_INVALID', `SYMPHONY_POOL_MB must be a whole number of MiB from 16 to 1048576, not "${raw}"`, { details: { env: 'SYMPHONY_POOL_MB', value: raw } });
  }
  return { pool: { instruments: true, memoryBudgetBytes: mib * 2 ** 20 } };
}
