import { SymphonyError } from '@symphony/types';
import { OnnxModel, type OnnxModelOptions } from './onnx/runner.js';

/**
 * An instrument: something that loads a model into instances and runs inference on them. The
 * instances are managed by the Pit's pool (`pit.pool`): it loads, warms, health-checks with the
 * instrument's canary, evicts and leases them; the instrument only says how.
 */
export interface Instrument<I = unknown, In = unknown, Out = unknown> {
  /** The model id in the pool (one pool entry per instrument model). */
  id: string;
  load(signal: AbortSignal): Promise<I>;
  infer(instance: I, input: In, signal?: AbortSignal): Promise<Out>;
  unload?(instance: I): void | Promise<void>;
  /** A tiny inference through the real inference path; throw or return false when wedged. */
  health?(instance: I, signal: AbortSignal): unknown;
  memoryBytes?: number;
  maxInstances?: number;
  maxConcurrency?: number;
  keepAliveMs?: number;
  pinned?: boolean;
}

export function defineInstrument<I, In, Out>(instrument: Instrument<I, In, Out>): Instrument<I, In, Out> {
  return instrument;
}

/** The slice of `pit.pool` an instrument needs (structural: the Stage does not import the Pit). */
export interface PoolLike {
  register(spec: {
    id: string;
    load(ctx: { signal: AbortSignal }): Promise<unknown>;
    unload?(instance: unknown): void | Promise<void>;
    canary?(instance: unknown, signal: AbortSignal): unknown;
    memoryBytes?: number;
    maxInstances?: number;
    maxConcurrency?: number;
    keepAliveMs?: number;
    pinned?: boolean;
  }): void;
  acquire(modelId: string, options?: { signal?: AbortSignal; timeoutMs?: number; holder?: string }): Promise<{ instance: unknown }>;
  release(lease: { instance: unknown }): unknown;
}

/** Registers an instrument's model with the pool, mapping its hooks onto the pool's spec. */
export function registerInstrument(pool: PoolLike, instrument: Instrument<any, any, any>): void {
  pool.register({
    id: instrument.id,
    load: (ctx) => instrument.load(ctx.signal),
    unload: instrument.unload ? (i) => instrument.unload!(i) : undefined,
    canary: instrument.health ? (i, signal) => instrument.health!(i, signal) : undefined,
    memoryBytes: instrument.memoryBytes,
    maxInstances: instrument.maxInstances,
    maxConcurrency: instrument.maxConcurrency,
    keepAliveMs: instrument.keepAliveMs,
    pinned: instrument.pinned,
  });
}

/** One call: lease an instance from the pool, infer, and always give the lease back. */
export async function inferWithPool<In, Out>(
  pool: PoolLike,
  instrument: Instrument<unknown, In, Out>,
  input: In,
  options: { signal?: AbortSignal; timeoutMs?: number; holder?: string } = {},
): Promise<Out> {
  const lease = await pool.acquire(instrument.id, options);
  try {
    return await instrument.infer(lease.instance, input, options.signal);
  } finally {
    pool.release(lease);
  }
}

/**
 * An instrument serving one ONNX model file. Each instance is one onnxruntime session with
 * dynamic batching; its canary runs a zero row through the real inference path.
 */
export function onnxInstrument(
  id: string,
  source: string | Uint8Array,
  options: OnnxModelOptions & { memoryBytes?: number; maxInstances?: number; maxConcurrency?: number; keepAliveMs?: number; pinned?: boolean } = {},
): Instrument<OnnxModel, ArrayLike<number>, Float32Array> {
  return {
    id,
    async load(signal) {
      const model = await OnnxModel.load(source, options);
      if (signal.aborted) {
        await model.close();
        throw new SymphonyError('E_ABORTED', `load of ${id} was cancelled`);
      }
      return model;
    },
    infer: (model, row, signal) => {
      if (signal?.aborted) return Promise.reject(new SymphonyError('E_ABORTED', `inference on ${id} was cancelled`));
      return model.infer(row);
    },
    unload: (model) => model.close(),
    async health(model) {
      const out = await model.infer(new Float32Array(model.features));
      return out.every(Number.isFinite);
    },
    memoryBytes: options.memoryBytes ?? (typeof source === 'string' ? undefined : source.length * 4),
    // One session batches concurrent calls itself, so many leases may share it.
    maxConcurrency: options.maxConcurrency ?? 64,
    maxInstances: options.maxInstances ?? 1,
    keepAliveMs: options.keepAliveMs,
    pinned: options.pinned,
  };
}
