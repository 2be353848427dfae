import { ProtoWriter } from './protobuf.js';

/** A dense layer: `weights` is row-major [inputs × outputs], as ONNX Gemm expects with transB = 0. */
export interface DenseLayer {
  inputs: number;
  outputs: number;
  weights: Float32Array;
  bias: Float32Array;
}

export interface MlpSpec {
  /** Layers applied in order with ReLU between them and Softmax (axis 1) after the last. */
  layers: DenseLayer[];
  inputName?: string;
  outputName?: string;
  /** Optional feature normalisation folded into the graph: (x - mean) / std before layer 1. */
  normalise?: { mean: Float32Array; std: Float32Array };
  producer?: string;
  docString?: string;
}

// ONNX enums (onnx.proto3): TensorProto.DataType.FLOAT = 1; AttributeProto.AttributeType.INT = 2.
const FLOAT = 1;
const ATTR_INT = 2;

/**
 * Writes a Gemm → Relu → … → Gemm → Softmax graph as an ONNX model (IR 8, opset 13) with a
 * symbolic batch dimension `N`. The bytes depend only on the spec, so training with a fixed
 * seed regenerates the same file.
 */
export function writeMlpOnnx(spec: MlpSpec): Uint8Array {
  const input = spec.inputName ?? 'X';
  const output = spec.outputName ?? 'Y';
  const first = spec.layers[0];
  const last = spec.layers[spec.layers.length - 1];
  if (!first || !last) throw new Error('an MLP needs at least one layer');

  const nodes: ((w: ProtoWriter) => void)[] = [];
  const initializers: { name: string; dims: number[]; data: Float32Array }[] = [];
  let current = input;
  if (spec.normalise) {
    initializers.push({ name: 'norm_mean', dims: [first.inputs], data: spec.normalise.mean });
    initializers.push({ name: 'norm_scale', dims: [first.inputs], data: spec.normalise.std.map((s) => 1 / s) });
    nodes.push(node('Sub', [current, 'norm_mean'], ['centred'], 'normalise_sub'));
    nodes.push(node('Mul', ['centred', 'norm_scale'], ['normalised'], 'normalise_mul'));
    current = 'normalised';
  }
  spec.layers.forEach((layer, i) => {
    const w = `W${i + 1}`;
    const b = `B${i + 1}`;
    initializers.push({ name: w, dims: [layer.inputs, layer.outputs], data: layer.weights });
    initializers.push({ name: b, dims: [layer.outputs], data: layer.bias });
    const gemmOut = `gemm${i + 1}`;
    nodes.push(node('Gemm', [current, w, b], [gemmOut], `gemm_${i + 1}`));
    current = gemmOut;
    if (i < spec.layers.length - 1) {
      nodes.push(node('Relu', [current], [`relu${i + 1}`], `relu_${i + 1}`));
      current = `relu${i + 1}`;
    }
  });
  nodes.push(node('Softmax', [current], [output], 'softmax', [{ name: 'axis', i: 1 }]));

  const model = new ProtoWriter()
    .int(1, 8) // ir_version
    .string(2, spec.producer ?? 'symphony')
    .string(3, '1');
  if (spec.docString) model.string(6, spec.docString);
  model.message(7, (g) => {
    for (const n of nodes) g.message(1, n);
    g.string(2, 'mlp');
    for (const init of initializers) g.message(5, (t) => tensor(t, init.name, init.dims, init.data));
    g.message(11, (v) => valueInfo(v, input, first.inputs));
    g.message(12, (v) => valueInfo(v, output, last.outputs));
  });
  model.message(8, (o) => o.string(1, '').int(2, 13)); // opset_import: default domain, opset 13
  return model.finish();
}

function node(op: string, inputs: string[], outputs: string[], name: string, attrs: { name: string; i: number }[] = []) {
  return (w: ProtoWriter) => {
    for (const i of inputs) w.string(1, i);
    for (const o of outputs) w.string(2, o);
    w.string(3, name);
    w.string(4, op);
    for (const a of attrs) w.message(5, (at) => at.string(1, a.name).int(3, a.i).int(20, ATTR_INT));
  };
}

function tensor(w: ProtoWriter, name: string, dims: number[], data: Float32Array): void {
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT);
  w.string(8, name);
  // raw_data is little-endian; copy so a view's offset or the host's byte order cannot leak in.
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((x, i) => view.setFloat32(i * 4, x, true));
  w.bytes(9, raw);
}

function valueInfo(w: ProtoWriter, name: string, features: number): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (t) =>
      t.int(1, FLOAT).message(2, (shape) => {
        shape.message(1, (d) => d.string(2, 'N'));
        shape.message(1, (d) => d.int(1, features));
      }),
    ),
  );
}
