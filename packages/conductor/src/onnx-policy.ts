import * as ort from 'onnxruntime-node';
import { SymphonyError } from '@symphony/types';
import { ACTIONS, FEATURES, argmaxAllowed, encodeInto, type DecisionContext } from './features.js';
import { POLICY_IO } from './onnx-export.js';
import type { Decision, Policy } from './policy.js';

/**
 * The learned policy run by onnxruntime-node (CPU, one intra-op thread). Decisions asked for in
 * the same tick are coalesced into one `session.run`: callers each get their own actions back.
 */
export interface OnnxPolicy extends Policy {
  /** Probabilities [n, ACTIONS] for a batch (one inference). */
  probabilities(batch: readonly DecisionContext[]): Promise<Float32Array>;
  /** Inferences run so far, and decisions they served (batching shows as decisions > runs). */
  readonly stats: { runs: number; decisions: number };
  decideDetailed(batch: readonly DecisionContext[]): Promise<Decision[]>;
  close(): Promise<void>;
}

interface Waiting {
  batch: readonly DecisionContext[];
  resolve: (decisions: Decision[]) => void;
  reject: (err: unknown) => void;
}

/** Loads and checks a policy model: input/output names, shapes, finite outputs on a probe. */
export async function createOnnxPolicy(bytes: Uint8Array, version: string): Promise<OnnxPolicy> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] });
  } catch (cause) {
    throw new SymphonyError('E_POLICY_INVALID', `policy model ${version} could not be loaded by onnxruntime: ${(cause as Error).message}`, { details: { version }, cause });
  }
  const fail = (why: string): never => {
    void session.release();
    throw new SymphonyError('E_POLICY_INVALID', `policy model ${version} ${why}`, { details: { version, inputs: session.inputNames, outputs: session.outputNames } });
  };
  for (const name of [POLICY_IO.features, POLICY_IO.mask]) if (!session.inputNames.includes(name)) fail(`has no input "${name}"`);
  if (!session.outputNames.includes(POLICY_IO.output)) fail(`has no output "${POLICY_IO.output}"`);
  const featuresMeta = session.inputMetadata.find((m) => m.name === POLICY_IO.features);
  if (featuresMeta?.isTensor) {
    const shape = featuresMeta.shape;
    if (shape.length !== 3 || shape[1] !== ACTIONS || shape[2] !== FEATURES) fail(`expects features of shape [${shape.join(',')}], not [N,${ACTIONS},${FEATURES}]`);
  }

  const stats = { runs: 0, decisions: 0 };
  const infer = async (features: Float32Array, mask: Float32Array, n: number): Promise<Float32Array> => {
    const out = await session.run({
      [POLICY_IO.features]: new ort.Tensor('float32', features, [n, ACTIONS, FEATURES]),
      [POLICY_IO.mask]: new ort.Tensor('float32', mask, [n, ACTIONS]),
    });
    const probs = out[POLICY_IO.output];
    if (!probs || probs.dims.length !== 2 || probs.dims[0] !== n || probs.dims[1] !== ACTIONS) {
      throw new SymphonyError('E_POLICY_OUTPUT', `policy ${version} returned shape [${probs?.dims.join(',')}], expected [${n},${ACTIONS}]`, { details: { version } });
    }
    const data = probs.data as Float32Array;
    for (let k = 0; k < data.length; k++) {
      if (!Number.isFinite(data[k])) throw new SymphonyError('E_POLICY_OUTPUT', `policy ${version} returned a non-finite probability`, { details: { version, index: k } });
    }
    stats.runs += 1;
    stats.decisions += n;
    return data;
  };
  const encode = (batch: readonly DecisionContext[]) => {
    const n = batch.length;
    const features = new Float32Array(n * ACTIONS * FEATURES);
    const mask = new Float32Array(n * ACTIONS);
    for (let i = 0; i < n; i++) encodeInto(batch[i] as DecisionContext, features, mask, i);
    return { features, mask, n };
  };

  // Probe: a zero decision must give a finite distribution.
  try {
    await infer(new Float32Array(ACTIONS * FEATURES), new Float32Array(ACTIONS), 1);
  } catch (cause) {
    void session.release();
    throw new SymphonyError('E_POLICY_INVALID', `policy model ${version} failed its probe: ${(cause as Error).message}`, { details: { version }, cause });
  }
  stats.runs = 0;
  stats.decisions = 0;

  let queue: Waiting[] = [];
  let closed = false;
  const flush = async (): Promise<void> => {
    const waiting = queue;
    queue = [];
    if (waiting.length === 0) return;
    const all = waiting.flatMap((w) => w.batch);
    try {
      const { features, mask, n } = encode(all);
      const probs = await infer(features, mask, n);
      let i = 0;
      for (const w of waiting) {
        const decisions: Decision[] = [];
        for (let k = 0; k < w.batch.length; k++, i++) {
          decisions.push({ action: argmaxAllowed(probs, mask, i), probabilities: Array.from(probs.subarray(i * ACTIONS, (i + 1) * ACTIONS)) });
        }
        w.resolve(decisions);
      }
    } catch (err) {
      for (const w of waiting) w.reject(err);
    }
  };

  function decideDetailed(batch: readonly DecisionContext[]): Promise<Decision[]> {
    if (closed) return Promise.reject(new SymphonyError('E_POLICY_CLOSED', `policy ${version} was closed`, { details: { version } }));
    if (batch.length === 0) return Promise.resolve([]);
    return new Promise<Decision[]>((resolve, reject) => {
      if (queue.length === 0) queueMicrotask(() => void flush());
      queue.push({ batch, resolve, reject });
    });
  }

  return {
    name: 'policy-onnx',
    version,
    stats,
    decideDetailed,
    async decide(batch) {
      return (await decideDetailed(batch)).map((d) => d.action);
    },
    async probabilities(batch) {
      const { features, mask, n } = encode(batch);
      return infer(features, mask, n);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (queue.length > 0) await flush();
      await session.release();
    },
  };
}
