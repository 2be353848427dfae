import { SymphonyError, type Logger } from '@symphony/types';
import type { Symphony } from '@symphony/runtime';
import { isLive, probe, redact, redisNow, redisOptions, type RedisTarget } from './connection.js';
import { DEFAULT_PREFIX } from './protocol.js';
import { WORKER_TTL_MS } from './worker.js';
import { createDispatcher, type Dispatcher, type DispatcherOptions, type MetricsLike, type WorkerEntry } from './dispatcher.js';

/** `scaleOut` in symphony.config, or the `SYMPHONY_REDIS_*` / `SYMPHONY_SCALE_OUT_*` environment. */
export interface ScaleOutConfig {
  redis: string | RedisTarget;
  secret: string;
  prefix?: string;
  /** Extension ids that always run on this machine; default: the built-in operators this machine has (they act on its workspace). */
  local?: string[];
  /** BullMQ priority of a step (1 highest); default: from the run's dominant share in pit.arbitration (least served first). */
  priority?: (step: { runId: string; stepId: string; uses: string }) => number;
}

/**
 * The scale-out settings from the environment: `SYMPHONY_REDIS_URL` (required to turn scale-out
 * on), `SYMPHONY_SCALE_OUT_SECRET` (required then), `SYMPHONY_REDIS_USERNAME`,
 * `SYMPHONY_REDIS_PASSWORD`, `SYMPHONY_REDIS_TLS=1`, `SYMPHONY_SCALE_OUT_PREFIX`,
 * `SYMPHONY_SCALE_OUT_LOCAL` (comma-separated extension ids, or `none`). Undefined when the URL is unset.
 */
export function scaleOutFromEnv(env: Record<string, string | undefined> = process.env, config?: Partial<ScaleOutConfig> & { username?: string; tls?: boolean }): ScaleOutConfig | undefined {
  // symphony.config's `scaleOut` has the ACL user and TLS beside the URL: fold them into the target.
  const { username, tls, ...fromConfig } = config ?? {};
  if (typeof fromConfig.redis === 'string' && (username || tls)) fromConfig.redis = { url: fromConfig.redis, ...(username ? { username } : {}), ...(tls ? { tls: true } : {}) };
  const url = env.SYMPHONY_REDIS_URL || (typeof fromConfig.redis === 'string' ? fromConfig.redis : fromConfig.redis?.url);
  if (!url) return undefined;
  redisOptions(url); // E_INPUT_INVALID before anything else
  const secret = env.SYMPHONY_SCALE_OUT_SECRET || fromConfig.secret;
  if (!secret) throw new SymphonyError('E_CONFIG_INVALID', 'scale-out is on (SYMPHONY_REDIS_URL or scaleOut.redis) but has no shared secret: set SYMPHONY_SCALE_OUT_SECRET (the same on the coordinator and every worker)', { details: { field: 'scaleOut.secret' } });
  const base: RedisTarget = typeof fromConfig.redis === 'object' ? { ...fromConfig.redis, url } : { url };
  if (env.SYMPHONY_REDIS_USERNAME) base.username = env.SYMPHONY_REDIS_USERNAME;
  if (env.SYMPHONY_REDIS_PASSWORD) base.password = env.SYMPHONY_REDIS_PASSWORD;
  if (env.SYMPHONY_REDIS_TLS === '1' || env.SYMPHONY_REDIS_TLS === 'true') base.tls = typeof base.tls === 'object' ? base.tls : true;
  // `none`: nothing stays local (the built-in operators are dispatched too).
  const local = env.SYMPHONY_SCALE_OUT_LOCAL ? (env.SYMPHONY_SCALE_OUT_LOCAL.trim() === 'none' ? [] : env.SYMPHONY_SCALE_OUT_LOCAL.split(',').map((s) => s.trim()).filter(Boolean)) : fromConfig.local;
  const prefix = env.SYMPHONY_SCALE_OUT_PREFIX || fromConfig.prefix;
  return { ...fromConfig, redis: base, secret, ...(local ? { local } : {}), ...(prefix ? { prefix } : {}) };
}

interface StageLike {
  call(uses: string, input: unknown, options?: { signal?: AbortSignal; timeoutMs?: number; onProgress?: (p: unknown, m?: string) => void; step?: { runId: string; stepId: string; attempt: number } }): Promise<unknown>;
  list?(): ReadonlyArray<{ id: string; methods: readonly string[]; capabilities?: ReadonlyArray<string | { name: string }> }>;
  providers?(capability: string): unknown;
  queue?(extensionId: string): { depth: number; waitMs: number; runMs: number; costMs: number } | undefined;
}

export interface ScaleOut {
  readonly dispatcher: Dispatcher;
  /** Puts the Stage back and closes the dispatcher (the Symphony stays open). */
  detach(): Promise<void>;
}

/**
 * Makes a Symphony's Conductor dispatch steps through BullMQ: the `stage` service's `call` sends
 * each step of an extension some live worker serves (and not listed in `local`) as a signed job
 * `<runId>:<stepId>:<attempt>` to the queue `ext.<extension-id>`; everything else runs on the
 * local Stage. `list()` and `providers()` also show what the workers serve, so `uses:` and
 * `capability:` steps validate and route to extensions only the workers have. The ledger, the
 * run's lease and its decisions stay with this process.
 */
export async function attachScaleOut(symphony: Symphony, config: ScaleOutConfig, extra: Omit<DispatcherOptions, 'redis' | 'secret' | 'prefix'> = {}): Promise<ScaleOut> {
  const kernel = symphony.kernel;
  const stage = kernel.tryService?.<StageLike>('stage') ?? (kernel.service('stage') as StageLike);
  if (!stage) throw new SymphonyError('E_KERNEL_STATE', 'scale-out needs a Symphony in full mode (a Stage)', {});
  let metrics: MetricsLike | undefined;
  try {
    metrics = kernel.service('metrics') as MetricsLike;
  } catch {
    metrics = undefined;
  }
  const logger = extra.logger ?? (kernel as unknown as { logger?: Logger }).logger;
  const dispatcher = await createDispatcher({ ...extra, redis: config.redis, secret: config.secret, ...(config.prefix ? { prefix: config.prefix } : {}), ...(metrics && !extra.metrics ? { metrics } : {}), ...(logger ? { logger } : {}) });
  // By default the built-in operators (symphony.files, .git, .data…) stay here: they act on this
  // machine's workspace. `local: []` dispatches them too (workers sharing the workspace).
  const builtinOperators = (stage.list?.() ?? []).filter((e) => e.id.startsWith('symphony.') && (e as { kind?: string }).kind === 'operator').map((e) => e.id);
  const local = new Set(config.local ?? builtinOperators);
  // Fairness across machines: a run's BullMQ priority follows its tenant's dominant share in
  // pit.arbitration (the least-served tenant first; 1 is BullMQ's highest priority after 0).
  const arbiter = kernel.tryService?.<{ metrics?(): { tenants: Record<string, { dominantShare?: number }> } }>('pit.arbitration');
  const priorityOf =
    config.priority ??
    (arbiter?.metrics
      ? (step: { runId: string }) => {
          const share = arbiter.metrics!().tenants[step.runId]?.dominantShare ?? 0;
          return 1 + Math.round(Math.min(1, Math.max(0, share)) * 1000);
        }
      : undefined);
  const original = { call: stage.call, list: stage.list, providers: stage.providers, queue: stage.queue };
  const remoteHas = (extensionId: string) => !local.has(extensionId) && dispatcher.extensions().has(extensionId);
  stage.call = (uses, input, options = {}) => {
    const extensionId = uses.slice(0, uses.indexOf('/'));
    if (!options.step || !remoteHas(extensionId)) return original.call.call(stage, uses, input, options);
    const step = { runId: options.step.runId, stepId: options.step.stepId, uses };
    return dispatcher.dispatch({
      ...options.step,
      uses,
      input,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(priorityOf ? { priority: priorityOf(step) } : {}),
    });
  };
  stage.list = () => {
    const mine = original.list?.call(stage) ?? [];
    const out = [...mine];
    for (const r of dispatcher.extensions().values()) if (!out.some((e) => e.id === r.id)) out.push({ id: r.id, methods: r.methods, capabilities: r.capabilities });
    return out;
  };
  stage.providers = (capability) => {
    const mine = (original.providers?.call(stage, capability) as unknown[] | undefined) ?? [];
    const seen = new Set(mine.map((p) => (p as { uses?: string }).uses));
    const out = [...mine];
    for (const w of dispatcher.workers()) {
      for (const p of w.providers[capability] ?? []) {
        const uses = (p as { uses?: string }).uses;
        if (uses && !seen.has(uses)) {
          seen.add(uses);
          out.push(p);
        }
      }
    }
    return out;
  };
  // The Conductor reads each dispatched candidate's queue figures once per decision (in memory).
  stage.queue = (extensionId) => {
    if (!remoteHas(extensionId)) return original.queue?.call(stage, extensionId);
    const q = dispatcher.queueStats(extensionId);
    return { depth: q.depth, waitMs: q.waitMs, runMs: q.runMs, costMs: q.costMs };
  };
  let detached = false;
  return {
    dispatcher,
    async detach() {
      if (detached) return;
      detached = true;
      stage.call = original.call;
      if (original.list) stage.list = original.list;
      if (original.providers) stage.providers = original.providers;
      if (original.queue) stage.queue = original.queue;
      else delete stage.queue;
      await dispatcher.close();
    },
  };
}

/**
 * The extensions live workers serve, read once from the registry (for validating a workflow's
 * `uses:` before a coordinator starts). Redis unreachable within 3 s: an empty list.
 */
export async function workerCatalog(config: Pick<ScaleOutConfig, 'redis' | 'prefix'>): Promise<Array<{ id: string; methods: string[]; capabilities: string[] }>> {
  const { Redis } = await import('ioredis');
  const target = typeof config.redis === 'string' ? config.redis : config.redis.url;
  const redis = new Redis({ ...redisOptions(config.redis), lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    if (!(await probe(redis, redact(target)))) return [];
    const all = await redis.hgetall(`${config.prefix ?? DEFAULT_PREFIX}:workers`);
    const now = await redisNow(redis);
    const out = new Map<string, { id: string; methods: string[]; capabilities: string[] }>();
    for (const json of Object.values(all)) {
      try {
        const w = JSON.parse(json) as WorkerEntry;
        if (!isLive(w.seen, now, WORKER_TTL_MS)) continue;
        for (const e of w.extensions) if (!out.has(e.id)) out.set(e.id, { id: e.id, methods: [...e.methods], capabilities: e.capabilities.map((c) => (typeof c === 'string' ? c : c.name)) });
      } catch {
        // a malformed entry is skipped (the dispatcher drops it)
      }
    }
    return [...out.values()];
  } finally {
    redis.disconnect();
  }
}
