// Instrument inference: the ONNX instrument beside raw onnxruntime and the TypeScript forward pass.
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { OnnxModel, bundledModelPath, forward, generateRiskDataset, trainClassifier } from '@symphony/stage-instruments';
import { measure, row } from '../lib.mjs';

export default async function instrumentsSuite({ quick }) {
  const path = bundledModelPath('risk-mlp');
  const session = await ort.InferenceSession.create(readFileSync(path), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const model = await OnnxModel.load(path);
  const x = Float32Array.of(1.5, 5.2, 9.1, 0.7, 1.2);
  const rawRun = await measure('raw onnxruntime session.run, batch 1', () => session.run({ X: new ort.Tensor('float32', x, [1, 5]) }), { quick });
  const inferOne = await measure('OnnxModel.infer, batch 1', () => model.infer(x), { quick });
  const batch64 = await measure('64 concurrent OnnxModel.infer (one batched run)', () => Promise.all(Array.from({ length: 64 }, () => model.infer(x))), { quick });
  const perRow = { ...batch64, medianNs: batch64.medianNs / 64, p99Ns: batch64.p99Ns / 64, opsPerSec: batch64.opsPerSec * 64, name: 'per row, 64 batched' };

  const { rows } = generateRiskDataset(64, 3);
  const trained = trainClassifier(rows, rows.map((r) => (r[0] > 1 ? 1 : 0)), { hidden: [16], classes: 2, epochs: 1, seed: 1 });
  const tsForward = await measure('TypeScript forward pass (5-16-2 MLP)', () => forward(trained.layers, trained.normalise, x), { quick, batch: 100 });
  await model.close();
  await session.release();

  const layer = 'instrument inference';
  return [
    row({ layer, name: rawRun.name, m: rawRun, floor: tsForward }),
    row({ layer, name: inferOne.name, m: inferOne, floor: rawRun }),
    row({ layer, name: perRow.name, m: perRow, floor: rawRun }),
  ];
}
