import onnxProto from 'onnx-proto';
import { SymphonyError } from '@symphony/types';
import { ACTIONS, FEATURE_NAMES, FEATURES } from './features.js';
import type { Mlp } from './mlp.js';

const { onnx } = onnxProto;

/** Names the model's graph must have; the model manager checks them on load. */
export const POLICY_IO = { features: 'features', mask: 'mask', output: 'probs' } as const;

/**
 * Writes the policy network as an ONNX model (opset 13):
 * features[N,A,F] → Reshape[-1,F] → (Gemm → Relu)* → Gemm → Reshape[-1,A] → Add(mask) → Softmax.
 * The bytes depend only on the weights and `version`, so a retrain with the same seed
 * reproduces the file bit for bit.
 */
export function exportPolicyOnnx(model: Mlp, version: string): Uint8Array {
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const floatTensor = (name: string, dims: number[], values: Float64Array): void => {
    const f32 = Float32Array.from(values);
    initializers.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(f32.buffer) }));
  };
  const int64Tensor = (name: string, values: number[]): void => {
    const i64 = BigInt64Array.from(values.map((v) => BigInt(v)));
    initializers.push(onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(i64.buffer) }));
  };
  const node = (opType: string, input: string[], output: string[], attribute: InstanceType<typeof onnx.AttributeProto>[] = []): void => {
    nodes.push(onnx.NodeProto.create({ opType, input, output, name: output[0], attribute }));
  };

  int64Tensor('rows_shape', [-1, FEATURES]);
  int64Tensor('decisions_shape', [-1, ACTIONS]);
  node('Reshape', [POLICY_IO.features, 'rows_shape'], ['rows']);
  let x = 'rows';
  model.layers.forEach((layer, l) => {
    floatTensor(`W${l}`, [layer.inputs, layer.outputs], layer.w);
    floatTensor(`B${l}`, [layer.outputs], layer.b);
    const last = l === model.layers.length - 1;
    const out = last ? 'scores' : `h${l}`;
    node('Gemm', [x, `W${l}`, `B${l}`], [out]);
    if (!last) {
      node('Relu', [out], [`r${l}`]);
      x = `r${l}`;
    }
  });
  node('Reshape', ['scores', 'decisions_shape'], ['logits']);
  node('Add', ['logits', POLICY_IO.mask], ['masked']);
  node('Softmax', ['masked'], [POLICY_IO.output], [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })]);

  const valueInfo = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
        },
      },
    });
  const graph = onnx.GraphProto.create({
    name: 'conductor_policy',
    node: nodes,
    initializer: initializers,
    input: [valueInfo(POLICY_IO.features, ['N', ACTIONS, FEATURES]), valueInfo(POLICY_IO.mask, ['N', ACTIONS])],
    output: [valueInfo(POLICY_IO.output, ['N', ACTIONS])],
  });
  const modelProto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: '@symphony/conductor',
    producerVersion: version,
    opsetImport: [{ domain: '', version: 13 }],
    graph,
    metadataProps: [
      { key: 'symphony.policy.version', value: version },
      { key: 'symphony.policy.features', value: FEATURE_NAMES.join(',') },
      { key: 'symphony.policy.actions', value: String(ACTIONS) },
    ],
  });
  return onnx.ModelProto.encode(modelProto).finish();
}

/** Reads the weights back out of a policy model written by `exportPolicyOnnx` (float32 → float64). */
export function importPolicyOnnx(bytes: Uint8Array): Mlp {
  const model = onnx.ModelProto.decode(bytes);
  const tensors = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const floats = (name: string): Float64Array => {
    const t = tensors.get(name);
    if (!t) throw new SymphonyError('E_POLICY_INVALID', `policy model has no initializer "${name}"`, { details: { name } });
    const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
    // A Buffer's slice() is a view into a shared pool: copy into a buffer of our own.
    const f32 = raw ? new Float32Array(Uint8Array.from(raw).buffer) : Float32Array.from(t.floatData ?? []);
    return Float64Array.from(f32);
  };
  const layers: Mlp['layers'] = [];
  for (let l = 0; tensors.has(`W${l}`); l++) {
    const dims = (tensors.get(`W${l}`)?.dims ?? []).map(Number);
    layers.push({ inputs: dims[0] ?? 0, outputs: dims[1] ?? 0, w: floats(`W${l}`), b: floats(`B${l}`) });
  }
  if (layers.length === 0 || layers[0]?.inputs !== FEATURES) {
    throw new SymphonyError('E_POLICY_INVALID', `policy model does not take ${FEATURES} features per action row`, { details: { inputs: layers[0]?.inputs } });
  }
  return { layers };
}
