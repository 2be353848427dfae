import * as ort from 'onnxruntime-node';
import { readFile } from 'node:fs/promises';
import { SymphonyError } from '@symphony/types';

export interface OnnxModelOptions {
  /** Rows gathered into one inference at most. Default 64. */
  maxBatch?: number;
  /** How long the first queued row waits for company; 0 batches what arrives in the same tick. Default 0. */
  batchWindowMs?: number;
  /** Rows waiting beyond this are refused with `E_OVERLOADED` instead of piling up. Default 4096. */
  maxQueue?: number;
  /** onnxruntime threads per inference; 1 keeps a small model's latency lowest here. Default 1. */
  intraOpNumThreads?: number;
}

export interface TensorSignature {
  name: string;
  type: string;
  /** Numbers are fixed sizes; strings are symbolic (a batch dimension, usually). */
  shape: readonly (number | string)[];
}

interface Pending {
  row: Float32Array;
  resolve(out: Float32Array): void;
  reject(err: unknown): void;
}

/**
 * One ONNX model served from one onnxruntime session. `run` accepts any model's feeds, validated
 * against the signatures read from the model; `infer` serves the common case of one float32
 * input `[N, features]` and batches concurrent calls into one inference.
 */
export class OnnxModel {
  readonly inputs: TensorSignature[];
  readonly outputs: TensorSignature[];
  /** Inferences actually run (a batched run counts once). */
  runs = 0;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private closed = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly opts: Required<OnnxModelOptions>,
    readonly source: string,
  ) {
    this.inputs = session.inputMetadata.map(signature);
    this.outputs = session.outputMetadata.map(signature);
  }

  static async load(source: string | Uint8Array, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    const opts: Required<OnnxModelOptions> = {
      maxBatch: options.maxBatch ?? 64,
      batchWindowMs: options.batchWindowMs ?? 0,
      maxQueue: options.maxQueue ?? 4096,
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
    };
    const label = typeof source === 'string' ? source : `<${source.length} bytes>`;
    let bytes: Uint8Array;
    try {
      bytes = typeof source === 'string' ? await readFile(source) : source;
    } catch (cause) {
      throw new SymphonyError('E_NOT_FOUND', `cannot read ONNX model ${label}: ${(cause as Error).message}`, { details: { model: label }, cause });
    }
    try {
      const session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: opts.intraOpNumThreads,
        interOpNumThreads: 1,
        executionProviders: ['cpu'],
      });
      return new OnnxModel(session, opts, label);
    } catch (cause) {
      throw new SymphonyError('E_MODEL_INVALID', `onnxruntime could not load ${label}: ${(cause as Error).message}`, { details: { model: label }, cause });
    }
  }

  /** Features per row for a single-input `[N, F]` float32 model. */
  get features(): number {
    const input = this.batchableInput();
    return input.shape[1] as number;
  }

  /** One row in, the first output's row out; concurrent calls share one inference. */
  infer(row: ArrayLike<number>): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new SymphonyError('E_MODEL_CLOSED', `model ${this.source} is closed`));
    const features = this.features;
    if (row.length !== features) {
      return Promise.reject(
        new SymphonyError('E_INPUT_INVALID', `expected ${features} features, got ${row.length}`, { details: { expected: features, got: row.length } }),
      );
    }
    const data = Float32Array.from(row);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return Promise.reject(new SymphonyError('E_INPUT_INVALID', `feature ${bad} is not a finite number`, { details: { index: bad } }));
    if (this.queue.length >= this.opts.maxQueue) {
      return Promise.reject(
        new SymphonyError('E_OVERLOADED', `model ${this.source} has ${this.queue.length} rows queued (limit ${this.opts.maxQueue})`, {
          details: { queued: this.queue.length, limit: this.opts.maxQueue },
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ row: data, resolve, reject });
      if (this.queue.length >= this.opts.maxBatch) void this.flush();
      else this.scheduleFlush();
    });
  }

  /** Any model: feeds by input name, validated against the model's signatures. */
  async run(feeds: Record<string, { data: Float32Array | BigInt64Array | Int32Array; dims: number[] }>): Promise<Record<string, { data: unknown; dims: readonly number[] }>> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const sig of this.inputs) {
      const feed = feeds[sig.name];
      if (!feed) throw new SymphonyError('E_INPUT_INVALID', `missing input "${sig.name}"`, { details: { input: sig.name } });
      checkDims(sig, feed.dims);
      tensors[sig.name] = new ort.Tensor(sig.type as 'float32', feed.data as Float32Array, feed.dims);
    }
    const unknown = Object.keys(feeds).filter((k) => !this.inputs.some((s) => s.name === k));
    if (unknown.length) throw new SymphonyError('E_INPUT_INVALID', `unknown inputs: ${unknown.join(', ')}`, { details: { unknown } });
    this.runs++;
    const out = await this.session.run(tensors);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: t.data, dims: t.dims }]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await this.session.release();
  }

  private batchableInput(): TensorSignature {
    const input = this.inputs[0];
    if (this.inputs.length !== 1 || !input || input.type !== 'float32' || input.shape.length !== 2 || typeof input.shape[1] !== 'number') {
      throw new SymphonyError('E_MODEL_UNSUPPORTED', `infer() needs one float32 [N, F] input; this model has ${JSON.stringify(this.inputs)}: use run()`);
    }
    return input;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const go = () => {
      this.flushScheduled = false;
      void this.flush();
    };
    if (this.opts.batchWindowMs > 0) setTimeout(go, this.opts.batchWindowMs);
    else setImmediate(go);
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      const features = batch[0]!.row.length;
      const x = new Float32Array(batch.length * features);
      batch.forEach((p, i) => x.set(p.row, i * features));
      try {
        this.runs++;
        const out = await this.session.run({ [this.inputs[0]!.name]: new ort.Tensor('float32', x, [batch.length, features]) });
        const y = out[this.outputs[0]!.name] as ort.Tensor;
        const width = (y.data as Float32Array).length / batch.length;
        const data = y.data as Float32Array;
        const bad = data.some((v) => !Number.isFinite(v));
        batch.forEach((p, i) => {
          const rowOut = data.slice(i * width, (i + 1) * width);
          if (bad && rowOut.some((v) => !Number.isFinite(v))) {
            p.reject(new SymphonyError('E_MODEL_OUTPUT', `model ${this.source} returned a non-finite output`));
          } else p.resolve(rowOut);
        });
      } catch (cause) {
        const err = new SymphonyError('E_MODEL_RUN', `inference failed on ${this.source}: ${(cause as Error).message}`, { cause });
        for (const p of batch) p.reject(err);
      }
    }
  }
}

function signature(meta: ort.InferenceSession.ValueMetadata): TensorSignature {
  return meta.isTensor ? { name: meta.name, type: meta.type, shape: meta.shape } : { name: meta.name, type: 'non-tensor', shape: [] };
}

function checkDims(sig: TensorSignature, dims: readonly number[]): void {
  const fixedMismatch = sig.shape.length > 0 && (dims.length !== sig.shape.length || sig.shape.some((d, i) => typeof d === 'number' && d !== dims[i]));
  if (fixedMismatch) {
    throw new SymphonyError('E_INPUT_INVALID', `input "${sig.name}" needs shape [${sig.shape.join(', ')}], got [${dims.join(', ')}]`, {
      details: { input: sig.name, expected: sig.shape, got: dims },
    });
  }
}
