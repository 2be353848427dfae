import type { DenseLayer } from '../onnx/mlp-model.js';
import { createRng, gaussian } from './rng.js';

export interface TrainOptions {
  /** Hidden layer widths; `[]` trains a linear softmax (multinomial logistic) model. */
  hidden: number[];
  classes: number;
  epochs: number;
  learningRate?: number;
  batchSize?: number;
  l2?: number;
  seed: number;
}

export interface Normaliser {
  mean: Float32Array;
  std: Float32Array;
}

export function fitNormaliser(rows: readonly Float64Array[]): Normaliser {
  const n = rows[0]?.length ?? 0;
  const mean = new Float32Array(n);
  const std = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (const r of rows) s += r[j] as number;
    const m = s / rows.length;
    let v = 0;
    for (const r of rows) v += ((r[j] as number) - m) ** 2;
    mean[j] = m;
    std[j] = Math.sqrt(v / rows.length) || 1;
  }
  return { mean, std };
}

/** Forward pass in float32 steps, mirroring onnxruntime's Gemm/Relu/Softmax. */
export function forward(layers: readonly DenseLayer[], norm: Normaliser | undefined, x: ArrayLike<number>): Float32Array {
  let act = Float32Array.from(x as ArrayLike<number>);
  if (norm) act = act.map((v, j) => (v - (norm.mean[j] as number)) * (1 / (norm.std[j] as number)));
  layers.forEach((layer, li) => {
    const out = new Float32Array(layer.outputs);
    for (let o = 0; o < layer.outputs; o++) {
      let s = layer.bias[o] as number;
      for (let i = 0; i < layer.inputs; i++) s += (act[i] as number) * (layer.weights[i * layer.outputs + o] as number);
      out[o] = li < layers.length - 1 ? Math.max(0, s) : s;
    }
    act = out;
  });
  return softmax(act);
}

export function softmax(z: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  const out = z.map((v) => {
    const e = Math.exp(v - max);
    sum += e;
    return e;
  });
  return out.map((v) => v / sum);
}

/**
 * Trains a softmax classifier (optionally with ReLU hidden layers) with Adam on cross-entropy.
 * Deterministic: seeded initialisation and shuffling, fixed summation order.
 */
export function trainClassifier(rows: readonly Float64Array[], labels: readonly number[], opts: TrainOptions) {
  const rng = createRng(opts.seed);
  const norm = fitNormaliser(rows);
  const x = rows.map((r) => Float64Array.from(r, (v, j) => (v - (norm.mean[j] as number)) / (norm.std[j] as number)));
  const widths = [rows[0]?.length ?? 0, ...opts.hidden, opts.classes];
  const W: Float64Array[] = [];
  const B: Float64Array[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l] as number;
    const fanOut = widths[l + 1] as number;
    const scale = Math.sqrt(2 / fanIn);
    W.push(Float64Array.from({ length: fanIn * fanOut }, () => gaussian(rng) * scale));
    B.push(new Float64Array(fanOut));
  }
  const params = [...W, ...B];
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const lr = opts.learningRate ?? 0.01;
  const batch = opts.batchSize ?? 64;
  const l2 = opts.l2 ?? 1e-4;
  const order = x.map((_, i) => i);
  let step = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (let start = 0; start < order.length; start += batch) {
      const idx = order.slice(start, start + batch);
      const gW = W.map((w) => new Float64Array(w.length));
      const gB = B.map((b) => new Float64Array(b.length));
      for (const k of idx) backprop(W, B, widths, x[k] as Float64Array, labels[k] as number, gW, gB);
      step++;
      const grads = [...gW, ...gB];
      params.forEach((p, pi) => {
        const g = grads[pi] as Float64Array;
        const mp = m[pi] as Float64Array;
        const vp = v[pi] as Float64Array;
        const isWeight = pi < W.length;
        for (let q = 0; q < p.length; q++) {
          const grad = (g[q] as number) / idx.length + (isWeight ? l2 * (p[q] as number) : 0);
          mp[q] = 0.9 * (mp[q] as number) + 0.1 * grad;
          vp[q] = 0.999 * (vp[q] as number) + 0.001 * grad * grad;
          const mh = (mp[q] as number) / (1 - 0.9 ** step);
          const vh = (vp[q] as number) / (1 - 0.999 ** step);
          p[q] = (p[q] as number) - (lr * mh) / (Math.sqrt(vh) + 1e-8);
        }
      });
    }
  }
  const layers: DenseLayer[] = W.map((w, l) => ({
    inputs: widths[l] as number,
    outputs: widths[l + 1] as number,
    weights: Float32Array.from(w),
    bias: Float32Array.from(B[l] as Float64Array),
  }));
  return { layers, normalise: norm };
}

function backprop(
  W: Float64Array[],
  B: Float64Array[],
  widths: number[],
  input: Float64Array,
  label: number,
  gW: Float64Array[],
  gB: Float64Array[],
): void {
  const acts: Float64Array[] = [input];
  for (let l = 0; l < W.length; l++) {
    const prev = acts[l] as Float64Array;
    const nOut = widths[l + 1] as number;
    const out = new Float64Array(nOut);
    const w = W[l] as Float64Array;
    for (let o = 0; o < nOut; o++) {
      let s = (B[l] as Float64Array)[o] as number;
      for (let i = 0; i < prev.length; i++) s += (prev[i] as number) * (w[i * nOut + o] as number);
      out[o] = l < W.length - 1 ? Math.max(0, s) : s;
    }
    acts.push(out);
  }
  const logits = acts[acts.length - 1] as Float64Array;
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  let delta = exps.map((e, c) => e / sum - (c === label ? 1 : 0));
  for (let l = W.length - 1; l >= 0; l--) {
    const prev = acts[l] as Float64Array;
    const nOut = widths[l + 1] as number;
    const w = W[l] as Float64Array;
    const gw = gW[l] as Float64Array;
    const gb = gB[l] as Float64Array;
    for (let o = 0; o < nOut; o++) gb[o] = (gb[o] as number) + (delta[o] as number);
    for (let i = 0; i < prev.length; i++) {
      for (let o = 0; o < nOut; o++) gw[i * nOut + o] = (gw[i * nOut + o] as number) + (prev[i] as number) * (delta[o] as number);
    }
    if (l > 0) {
      const next = new Float64Array(prev.length);
      for (let i = 0; i < prev.length; i++) {
        if ((prev[i] as number) <= 0) continue;
        let s = 0;
        for (let o = 0; o < nOut; o++) s += (w[i * nOut + o] as number) * (delta[o] as number);
        next[i] = s;
      }
      delta = next;
    }
  }
}
