import { ACTIONS, FEATURES, MASKED } from './features.js';
import type { Rng } from './rng.js';

/**
 * The policy network: a small MLP that scores each action row (shared weights across rows),
 * followed by a masked softmax over the rows of one decision. Weights are float64 while
 * training; `toFloat32()` rounds them the way the exported ONNX model stores them.
 */
export interface Layer {
  inputs: number;
  outputs: number;
  /** [inputs, outputs], row-major (ONNX Gemm with transB = 0). */
  w: Float64Array;
  b: Float64Array;
}

export interface Mlp {
  layers: Layer[];
}

export function createMlp(sizes: readonly number[], rng: Rng): Mlp {
  const layers: Layer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l] as number;
    const outputs = sizes[l + 1] as number;
    const limit = Math.sqrt(6 / inputs) * (l + 2 === sizes.length ? 0.1 : 1);
    const w = new Float64Array(inputs * outputs);
    for (let k = 0; k < w.length; k++) w[k] = rng.uniform(-limit, limit);
    layers.push({ inputs, outputs, w, b: new Float64Array(outputs) });
  }
  return { layers };
}

export function cloneMlp(m: Mlp): Mlp {
  return { layers: m.layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs, w: l.w.slice(), b: l.b.slice() })) };
}

/** Weights rounded to float32, as ONNX stores them: the reference for parity checks. */
export function toFloat32(m: Mlp): Mlp {
  return {
    layers: m.layers.map((l) => ({
      inputs: l.inputs,
      outputs: l.outputs,
      w: Float64Array.from(l.w, Math.fround),
      b: Float64Array.from(l.b, Math.fround),
    })),
  };
}

/** Activations kept for backprop: acts[l] is the input of layer l, per row. */
export interface Trace {
  acts: Float64Array[][];
  probs: Float64Array;
}

/**
 * Scores the ACTIONS rows of decision `i` in (features, mask) and returns the masked softmax.
 * With `trace`, stores what `backward` needs.
 */
export function forwardDecision(
  m: Mlp,
  features: ArrayLike<number>,
  mask: ArrayLike<number>,
  i: number,
  out: Float64Array = new Float64Array(ACTIONS),
  trace?: Trace,
): Float64Array {
  const logits = out;
  for (let a = 0; a < ACTIONS; a++) {
    let x: Float64Array = new Float64Array(FEATURES);
    const off = (i * ACTIONS + a) * FEATURES;
    for (let k = 0; k < FEATURES; k++) x[k] = features[off + k] as number;
    const rowActs: Float64Array[] = [];
    for (let l = 0; l < m.layers.length; l++) {
      const layer = m.layers[l] as Layer;
      rowActs.push(x);
      const y = layer.b.slice();
      for (let p = 0; p < layer.inputs; p++) {
        const xp = x[p] as number;
        if (xp === 0) continue;
        const wo = p * layer.outputs;
        for (let q = 0; q < layer.outputs; q++) y[q] = (y[q] as number) + xp * (layer.w[wo + q] as number);
      }
      if (l + 1 < m.layers.length) for (let q = 0; q < y.length; q++) if ((y[q] as number) < 0) y[q] = 0;
      x = y;
    }
    logits[a] = (x[0] as number) + (mask[i * ACTIONS + a] as number);
    if (trace) trace.acts[a] = rowActs;
  }
  softmaxInPlace(logits);
  if (trace) trace.probs = logits.slice();
  return logits;
}

export function softmaxInPlace(v: Float64Array): void {
  let max = -Infinity;
  for (let k = 0; k < v.length; k++) if ((v[k] as number) > max) max = v[k] as number;
  let sum = 0;
  for (let k = 0; k < v.length; k++) {
    const e = Math.exp((v[k] as number) - max);
    v[k] = e;
    sum += e;
  }
  for (let k = 0; k < v.length; k++) v[k] = (v[k] as number) / sum;
}

export interface Gradients {
  w: Float64Array[];
  b: Float64Array[];
}

export function zeroGradients(m: Mlp): Gradients {
  return { w: m.layers.map((l) => new Float64Array(l.w.length)), b: m.layers.map((l) => new Float64Array(l.b.length)) };
}

/**
 * Accumulates the gradient of `-advantage * log pi(action) - entropyCoef * H(pi)` for one
 * traced decision. Masked rows have probability 0 and contribute nothing.
 */
export function backwardDecision(m: Mlp, trace: Trace, action: number, advantage: number, entropyCoef: number, g: Gradients): void {
  const p = trace.probs;
  const entropy = entropyOf(p);
  for (let a = 0; a < ACTIONS; a++) {
    const pa = p[a] as number;
    if (pa < 1e-12) continue;
    // d(-A log p_action)/dz_a = A (p_a - 1[a = action]); d(-H)/dz_a = p_a (log p_a + H).
    backpropRow(m, trace, a, advantage * (pa - (a === action ? 1 : 0)) + entropyCoef * pa * (Math.log(pa) + entropy), g);
  }
}

/**
 * The all-action gradient of the expected value sum_a p_a q_a (q: each action's value, known in
 * training), with the entropy bonus: d(-sum p q)/dz_a = -p_a (q_a - sum p q). No sampling noise.
 */
export function backwardExpected(m: Mlp, trace: Trace, q: ArrayLike<number>, weight: number, entropyCoef: number, g: Gradients): void {
  const p = trace.probs;
  const entropy = entropyOf(p);
  let v = 0;
  for (let a = 0; a < ACTIONS; a++) v += (p[a] as number) * (q[a] as number);
  for (let a = 0; a < ACTIONS; a++) {
    const pa = p[a] as number;
    if (pa < 1e-12) continue;
    backpropRow(m, trace, a, -weight * pa * ((q[a] as number) - v) + entropyCoef * pa * (Math.log(pa) + entropy), g);
  }
}

function entropyOf(p: ArrayLike<number>): number {
  let entropy = 0;
  for (let a = 0; a < ACTIONS; a++) {
    const pa = p[a] as number;
    if (pa > 0) entropy -= pa * Math.log(pa);
  }
  return entropy;
}

/** Adds dz (the loss's derivative by row a's logit) back through the shared network. */
function backpropRow(m: Mlp, trace: Trace, a: number, dz: number, g: Gradients): void {
  if (dz === 0) return;
  const acts = trace.acts[a] as Float64Array[];
  let delta = new Float64Array([dz]);
  for (let l = m.layers.length - 1; l >= 0; l--) {
    const layer = m.layers[l] as Layer;
    const x = acts[l] as Float64Array;
    const gw = g.w[l] as Float64Array;
    const gb = g.b[l] as Float64Array;
    for (let q = 0; q < layer.outputs; q++) gb[q] = (gb[q] as number) + (delta[q] as number);
    const prev = new Float64Array(layer.inputs);
    for (let pIn = 0; pIn < layer.inputs; pIn++) {
      const xp = x[pIn] as number;
      const wo = pIn * layer.outputs;
      let s = 0;
      for (let q = 0; q < layer.outputs; q++) {
        const d = delta[q] as number;
        gw[wo + q] = (gw[wo + q] as number) + xp * d;
        s += (layer.w[wo + q] as number) * d;
      }
      // ReLU of the previous layer: its output x is 0 where it was cut.
      prev[pIn] = l > 0 && xp <= 0 ? 0 : s;
    }
    delta = prev;
  }
}

export interface Adam {
  lr: number;
  t: number;
  m: Gradients;
  v: Gradients;
}

export function createAdam(model: Mlp, lr: number): Adam {
  return { lr, t: 0, m: zeroGradients(model), v: zeroGradients(model) };
}

/** One Adam step on the mean of `count` accumulated decisions; clips the global norm at 1. */
export function adamStep(model: Mlp, opt: Adam, g: Gradients, count: number): void {
  const scale = 1 / Math.max(1, count);
  let norm = 0;
  for (const arr of [...g.w, ...g.b]) for (let k = 0; k < arr.length; k++) norm += ((arr[k] as number) * scale) ** 2;
  norm = Math.sqrt(norm);
  const clip = norm > 1 ? 1 / norm : 1;
  opt.t += 1;
  const b1 = 0.9;
  const b2 = 0.999;
  const c1 = 1 - b1 ** opt.t;
  const c2 = 1 - b2 ** opt.t;
  model.layers.forEach((layer, l) => {
    const pairs: [Float64Array, Float64Array, Float64Array, Float64Array][] = [
      [layer.w, g.w[l] as Float64Array, opt.m.w[l] as Float64Array, opt.v.w[l] as Float64Array],
      [layer.b, g.b[l] as Float64Array, opt.m.b[l] as Float64Array, opt.v.b[l] as Float64Array],
    ];
    for (const [param, grad, mm, vv] of pairs) {
      for (let k = 0; k < param.length; k++) {
        const gk = (grad[k] as number) * scale * clip;
        mm[k] = b1 * (mm[k] as number) + (1 - b1) * gk;
        vv[k] = b2 * (vv[k] as number) + (1 - b2) * gk * gk;
        param[k] = (param[k] as number) - (opt.lr * ((mm[k] as number) / c1)) / (Math.sqrt((vv[k] as number) / c2) + 1e-8);
      }
    }
  });
}

export { MASKED };
