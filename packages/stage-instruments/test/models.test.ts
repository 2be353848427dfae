import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { RISK_TRAIN, bundledModelPath, forward, generateRiskDataset, trainClassifier, trainRiskModels, writeMlpOnnx } from '../src/index.js';

const shipped = JSON.parse(readFileSync(new URL('../models/risk-models.json', import.meta.url), 'utf8'));

describe('bundled risk models', () => {
  const trained = trainRiskModels(RISK_TRAIN.seed);

  it('are regenerated bit for bit from the seed', () => {
    for (const m of trained) {
      expect(Buffer.from(m.bytes).equals(readFileSync(bundledModelPath(m.name as 'risk-mlp')))).toBe(true);
      expect(m.accuracy).toBe(shipped.models[m.name].accuracy);
    }
  });

  it('give two honest candidates: the MLP is more accurate, the linear model smaller', () => {
    const [linear, mlp] = trained;
    expect(mlp!.accuracy).toBeGreaterThan(linear!.accuracy);
    expect(linear!.parameters).toBeLessThan(mlp!.parameters);
    // Far above the majority-class rate: the models learned something.
    const { labels } = generateRiskDataset(RISK_TRAIN.heldOutSize, RISK_TRAIN.heldOutSeed + RISK_TRAIN.seed);
    const majority = Math.max(...[0, 1, 2].map((c) => labels.filter((l) => l === c).length)) / labels.length;
    expect(linear!.accuracy).toBeGreaterThan(majority + 0.1);
  });

  it("onnxruntime's outputs match the TypeScript forward pass to 1e-5", async () => {
    const { rows } = generateRiskDataset(256, 99);
    const model = trainClassifier(rows.slice(0, 200), rows.slice(0, 200).map((r) => (r[0]! > 1 ? 1 : 0)), { hidden: [8], classes: 2, epochs: 3, seed: 5 });
    const bytes = writeMlpOnnx({ layers: model.layers, normalise: model.normalise });
    const session = await ort.InferenceSession.create(bytes);
    const x = new Float32Array(rows.length * 5);
    rows.forEach((r, i) => x.set(r, i * 5));
    const out = (await session.run({ X: new ort.Tensor('float32', x, [rows.length, 5]) })).Y!.data as Float32Array;
    let maxDiff = 0;
    rows.forEach((r, i) => {
      const ts = forward(model.layers, model.normalise, Float32Array.from(r));
      ts.forEach((p, c) => (maxDiff = Math.max(maxDiff, Math.abs(p - out[i * 2 + c]!))));
    });
    expect(maxDiff).toBeLessThan(1e-5);
    await session.release();
  });
});
