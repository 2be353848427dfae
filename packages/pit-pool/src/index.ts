export { createPool, type PoolService } from './service.js';
export { POOL_MEMORY_RESOURCE, poolPlugin } from './plugin.js';
export { Holt } from './forecast.js';
export { generateBurstyTrace, replayTrace, type BurstyTraceOptions, type PoolTrace, type TraceStep, type ReplayResult } from './replay.js';
export type { Lease } from './internals.js';
export type { HealthResult } from './health.js';
export type { TransitionListener } from './pool.js';
export type {
  AcquireOptions,
  InstanceInfo,
  InstanceStart,
  InstanceState,
  LoadContext,
  ModelInfo,
  ModelSpec,
  ModelStatus,
  PoolEventBus,
  PoolOptions,
  PoolStats,
  PrewarmOptions,
  RemovalReason,
  TransitionEvent,
} from './types.js';
