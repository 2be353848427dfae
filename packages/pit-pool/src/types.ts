import type { Logger } from '@symphony/types';

/** Where an instance is in its life. `warm` = loaded and idle, `busy` = at least one lease out. */
export type InstanceState = 'cold' | 'loading' | 'warm' | 'busy' | 'draining' | 'unloaded' | 'failed';

/** `ok`, or refusing new loads until `retryAt` after failed loads (`failed` once past `maxLoadFailures`). */
export type ModelStatus = 'ok' | 'backoff' | 'failed';

export interface LoadContext {
  modelId: string;
  instanceId: number;
  /** Aborted when the load times out or the pool closes. */
  signal: AbortSignal;
}

/** How to run one model: what an instrument registers. */
export interface ModelSpec<I = unknown> {
  id: string;
  /** Loads one instance (an ONNX session, a worker, a client to a remote endpoint). */
  load(ctx: LoadContext): Promise<I>;
  /** Frees one instance. Errors are logged, never thrown to lease holders. */
  unload?(instance: I): void | Promise<void>;
  /**
   * A tiny inference through the instance's real inference path (not a liveness ping). Throw, return
   * `false`, or take longer than `canaryTimeoutMs` and the instance is drained and replaced.
   */
  canary?(instance: I, signal: AbortSignal): unknown;
  /**
   * What one instance reports it uses, in bytes (a Stage instance: its heap or RSS, asked over the
   * bus). Asked after each load and each health check; the model's per-instance memory becomes the
   * larger of this and `memoryBytes`, so the budget follows the instances themselves. An instance
   * that could never fit the budget fails the model with `E_POOL_OVER_BUDGET`.
   */
  measure?(instance: I): number | undefined | Promise<number | undefined>;
  /**
   * Called once per loaded instance with `lost`: call it when the instance dies on its own (a
   * worker or process that crashed or was killed). The pool drains it (leases out end as their
   * calls fail) and loads a replacement when there is demand.
   */
  watch?(instance: I, lost: (reason: string) => void): void;
  /** Memory one instance takes, counted against the pool's `memoryBudgetBytes`. Default 0. */
  memoryBytes?: number;
  /** Default 1. */
  maxInstances?: number;
  /** Leases one instance serves at once. Default 1. */
  maxConcurrency?: number;
  /** Instances kept even when idle (not evicted by keep-alive). Default 0. */
  minInstances?: number;
  /** Idle time before an instance unloads, like Ollama's `keep_alive`. Negative = forever. Default 300 000. */
  keepAliveMs?: number;
  /** Pinned models are never evicted nor unloaded for idleness. */
  pinned?: boolean;
  /** Default: the pool's `loadTimeoutMs`. */
  loadTimeoutMs?: number;
}

export interface PrewarmOptions {
  /** Holt's linear trend smoothing of the level. Default 0.5. */
  alpha?: number;
  /** Holt's linear trend smoothing of the trend. Default 0.3. */
  beta?: number;
  /** Forecast arrivals per interval at or above which one instance is kept warm. Default 0.5. */
  minArrivals?: number;
  /** How long an `expect()` hint stays valid past its due time. Default 10 000 ms. */
  hintGraceMs?: number;
  /**
   * Loads of a `prewarmPath` plan in flight at once (default 1). Starts compete for the same cores:
   * one at a time, in plan order, brings the most urgent instance up first; the next starts as it lands.
   */
  planLoads?: number;
  /**
   * How long one plan load may hold its place (default 2 000 ms): a start slower than this (a huge
   * model, a wedged process) stops blocking the rest of the plan, which goes on beside it.
   */
  planStallMs?: number;
  /**
   * When no run's plan is in force (a run just ended, or on `tick()`), warm the model most often
   * leased right after the last one leased (`predictNext`): a workflow run again starts warm.
   * Default true.
   */
  successors?: boolean;
}

/** One instance about to start, as `PoolOptions.admit` sees it. */
export interface InstanceStart {
  modelId: string;
  instanceId: number;
  /** Bytes the budget counts for it (declared, or measured by its siblings if larger). */
  memoryBytes: number;
  /** Why it starts: `demand`, `critical-path`, `expected`, `prewarm`, `minInstances`, ... */
  reason: string;
  /** Whose start it is: the run whose step or plan asked for it (a lease holder `run/step` gives `run`), else `pit.pool`. */
  tenant: string;
}

export interface PoolOptions {
  /** Total memory across all models' instances. Default: unlimited. */
  memoryBudgetBytes?: number;
  /** Default 60 000. */
  loadTimeoutMs?: number;
  /** Default 5 000: a canary slower than this means a wedged inference path. */
  canaryTimeoutMs?: number;
  /** Backoff after a failed load: base * 2^(failures-1), capped. Defaults 1 000 / 60 000. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Consecutive load failures after which the model's status is `failed`. Default 3. */
  maxLoadFailures?: number;
  /** Pre-warming from demand forecasts and `expect()` hints; `false` turns it off. Default on. */
  prewarm?: PrewarmOptions | false;
  /** Timer periods (0 turns one off; `timers: false` turns all off, for manual `tick()`). */
  tickIntervalMs?: number;
  healthIntervalMs?: number;
  timers?: boolean;
  /** Clock in ms; injectable so traces can be replayed in virtual time. Default `performance.now`. */
  now?: () => number;
  logger?: Logger;
  /**
   * Admission of every instance start (the plugin wires `pit.arbitration` here): resolves, possibly
   * after waiting its turn, to a function that gives the admission back once the instance is gone.
   * A rejection fails that load like any load failure. Awaited inside the load's time limit.
   */
  admit?: (start: InstanceStart, signal: AbortSignal) => (() => void) | Promise<() => void>;
  /** The kernel's event bus (the plugin passes `ctx.events`): transitions go there as `pool:transition`. */
  events?: PoolEventBus;
}

export interface PoolEventBus {
  listenerCount(event: string): number;
  emit(event: 'pool:transition', payload: TransitionEvent): unknown;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Higher first; FIFO within one priority. Default 0. */
  priority?: number;
  /** Who holds the lease (a call id, an extension id): `reclaim(holder)` frees everything it holds. */
  holder?: string;
}

export interface TransitionEvent {
  modelId: string;
  instanceId: number;
  from: InstanceState;
  to: InstanceState;
  reason?: string;
}

export type RemovalReason = 'idle' | 'evicted' | 'unhealthy' | 'drained' | 'unregistered' | 'closed';

export interface PoolStats {
  /** Leases handed out. */
  acquired: number;
  /** Acquires served at once by a warm instance. */
  warmHits: number;
  /** Acquires that had to queue. */
  waits: number;
  timeouts: number;
  aborts: number;
  loads: number;
  loadFailures: number;
  /** Leases freed by `reclaim(holder)` rather than `release`. */
  reclaimed: number;
  /** Instances that died on their own (reported through `ModelSpec.watch`). */
  lost: number;
  /** Instances removed, by reason. */
  removed: Record<RemovalReason, number>;
  memoryUsedBytes: number;
}

export interface InstanceInfo {
  id: number;
  state: InstanceState;
  active: number;
}

export interface ModelInfo {
  id: string;
  status: ModelStatus;
  retryAt?: number;
  failures: number;
  waiting: number;
  /** Instances pre-warming wants for the next interval. */
  desired: number;
  /**
   * Warmth, for a scheduler weighing candidates: instances with room for a lease right now (0 =
   * a call waits for a load or a busy instance), and the smoothed cost of a cold start in ms.
   */
  warm: number;
  loadMs?: number;
  /** Bytes per instance the budget counts: declared, or measured by the instances if larger. */
  memoryBytes: number;
  instances: InstanceInfo[];
}
