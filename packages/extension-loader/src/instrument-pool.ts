import { SymphonyError } from '@symphony/types';
import type { CallOptions } from '@symphony/ipc-bus';
import type { ExtensionHost, StageInstance } from './host.js';

/**
 * Pool entries for Stage instruments: each instance of the pool's model is its own worker thread
 * or sandboxed process started by the host (`startInstance`). The result is a `pit.pool` model
 * spec (structurally: the loader does not import the pool), so `pool.register(stageInstrumentSpec(...))`
 * gives a Stage extension leases, keep-alive and LRU eviction, pinning, a memory budget measured
 * from the instances' own heap/RSS, pre-warming, and canary health through its health method.
 */
export interface StageInstrumentOptions {
  /** Instances at most (Ray Serve's `max_replicas`). Default 1. */
  instances?: number;
  /** Instances kept warm even when idle. Default 0. */
  minInstances?: number;
  /** Calls one instance serves at once. Default 1. */
  maxConcurrency?: number;
  /** A first estimate of one instance's memory; the instances' own measurements raise it. */
  memoryBytes?: number;
  /** Never evicted, never unloaded for idleness. */
  pinned?: boolean;
  /** Idle time before an instance stops. */
  keepAliveMs?: number;
  loadTimeoutMs?: number;
  /**
   * The declared method the pool's canary calls (with no input); throw or return `false` and the
   * instance is replaced. Default: `health` when the extension declares it, else no canary.
   */
  healthMethod?: string;
  /** Which measurement counts: `rss` (default for processes) or `heap` (default for worker threads, which share the host's RSS). */
  memoryMetric?: 'rss' | 'heap';
}

/** The shape `pit.pool`'s `register` takes, for one Stage instrument. */
export interface StageInstrumentSpec {
  id: string;
  load(ctx: { signal: AbortSignal }): Promise<StageInstance>;
  unload(instance: StageInstance): Promise<void>;
  canary?(instance: StageInstance, signal: AbortSignal): Promise<unknown>;
  measure(instance: StageInstance): Promise<number | undefined>;
  watch(instance: StageInstance, lost: (reason: string) => void): void;
  memoryBytes?: number;
  maxInstances?: number;
  minInstances?: number;
  maxConcurrency?: number;
  keepAliveMs?: number;
  pinned?: boolean;
  loadTimeoutMs?: number;
}

export function stageInstrumentSpec(host: Pick<ExtensionHost, 'list' | 'startInstance'>, extensionId: string, options: StageInstrumentOptions = {}): StageInstrumentSpec {
  const info = host.list().find((e) => e.id === extensionId);
  if (!info) {
    throw new SymphonyError('E_EXTENSION_UNKNOWN', `no extension "${extensionId}" is installed`, { details: { extensionId } });
  }
  const healthMethod = options.healthMethod ?? (info.methods.includes('health') ? 'health' : undefined);
  if (healthMethod !== undefined && info.methods.length > 0 && !info.methods.includes(healthMethod)) {
    throw new SymphonyError('E_INPUT_INVALID', `${extensionId} declares no method "${healthMethod}" for the pool's health canary`, {
      details: { extensionId, healthMethod, methods: info.methods },
    });
  }
  const metric = options.memoryMetric ?? (info.mode === 'process' ? 'rss' : 'heap');
  const spec: StageInstrumentSpec = {
    id: extensionId,
    async load({ signal }) {
      const instance = await host.startInstance(extensionId);
      // A load the pool gave up on (timeout, close) must not leave a worker or process behind.
      if (signal.aborted) {
        await instance.stop();
        throw signal.reason;
      }
      return instance;
    },
    unload: (instance) => instance.stop(),
    async measure(instance) {
      const memory = await instance.memory();
      if (!memory) return undefined;
      return metric === 'rss' ? memory.rssBytes : memory.heapUsedBytes;
    },
    watch: (instance, lost) => instance.onExit(lost),
    maxInstances: options.instances ?? 1,
  };
  if (healthMethod !== undefined) spec.canary = (instance, signal) => instance.call(healthMethod, undefined, { signal });
  for (const key of ['memoryBytes', 'minInstances', 'maxConcurrency', 'keepAliveMs', 'pinned', 'loadTimeoutMs'] as const) {
    if (options[key] !== undefined) (spec as unknown as Record<string, unknown>)[key] = options[key];
  }
  return spec;
}

/** What `callPooled` needs of `pit.pool` (its `withLease`). */
export interface LeasingPool {
  withLease<I, T>(modelId: string, fn: (instance: I) => T | Promise<T>, options?: { signal?: AbortSignal; timeoutMs?: number; priority?: number; holder?: string }): Promise<T>;
}

export interface PooledCallOptions extends CallOptions {
  /** Further attempts on another instance when the leased one dies mid-call. Default 1. */
  retries?: number;
  /** Wait at most this long for a free instance (`E_TIMEOUT`). */
  acquireTimeoutMs?: number;
  priority?: number;
  holder?: string;
}

/** Codes meaning the instance died under the call (not that the call itself failed). */
const INSTANCE_GONE = new Set(['E_EXTENSION_CRASHED', 'E_EXTENSION_FAILED', 'E_EXTENSION_STOPPED']);

/**
 * Leases an instance of a pooled Stage instrument, calls `method` on it, gives it back. If the
 * instance dies mid-call (crash, SIGKILL) the lease is freed at once and the call is retried on
 * another instance up to `retries` times; after that it fails with the instance's coded error
 * (`E_EXTENSION_CRASHED`), never hangs.
 */
export async function callPooled(pool: LeasingPool, extensionId: string, method: string, input?: unknown, options: PooledCallOptions = {}): Promise<unknown> {
  const { retries = 1, acquireTimeoutMs, priority, holder, ...call } = options;
  const lease = {
    ...(call.signal ? { signal: call.signal } : {}),
    ...(acquireTimeoutMs === undefined ? {} : { timeoutMs: acquireTimeoutMs }),
    ...(priority === undefined ? {} : { priority }),
    ...(holder === undefined ? {} : { holder }),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      return await pool.withLease<StageInstance, unknown>(extensionId, (instance) => instance.call(method, input, call), lease);
    } catch (error) {
      const code = (error as SymphonyError).code;
      if (attempt >= retries || !INSTANCE_GONE.has(code) || call.signal?.aborted) throw error;
    }
  }
}

/**
 * The order a run's remaining steps need their instruments in, for `pool.prewarmPath`: steps by
 * upward rank (pit-dag's `upwardRanks`), highest first, so the critical path's instruments warm
 * first; each instrument once; steps already done (or with no pooled instrument) skipped.
 */
export function criticalPathOrder(
  stepIds: readonly string[],
  ranks: ArrayLike<number>,
  instrumentOf: (stepId: string) => string | undefined,
  done: ReadonlySet<string> = new Set(),
): string[] {
  const indices = stepIds.map((_, i) => i).filter((i) => !done.has(stepIds[i]!));
  indices.sort((a, b) => (ranks[b] ?? 0) - (ranks[a] ?? 0) || a - b);
  const order: string[] = [];
  for (const i of indices) {
    const id = instrumentOf(stepIds[i]!);
    if (id !== undefined && !order.includes(id)) order.push(id);
  }
  return order;
}
