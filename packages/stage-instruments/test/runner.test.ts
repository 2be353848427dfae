import { describe, expect, it } from 'vitest';
import { OnnxModel, bundledModelPath, classifyRisk, riskFeatures, onnxInstrument } from '../src/index.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'resolved';
}

describe('OnnxModel', () => {
  it('reads names and shapes from the model', async () => {
    const model = await OnnxModel.load(bundledModelPath('risk-mlp'));
    expect(model.inputs).toEqual([{ name: 'X', type: 'float32', shape: ['N', 5] }]);
    expect(model.outputs).toEqual([{ name: 'Y', type: 'float32', shape: ['N', 3] }]);
    expect(model.features).toBe(5);
    await model.close();
  });

  it('batches concurrent calls into few inferences and answers each caller with its own row', async () => {
    const model = await OnnxModel.load(bundledModelPath('risk-mlp'), { maxBatch: 64 });
    const rows = Array.from({ length: 200 }, (_, i) => riskFeatures({ churn: i % 30, lines: 50 + i * 13, complexity: i, authors: 1 + (i % 4), ageDays: 100 + i }));
    const singles: Float32Array[] = [];
    for (const row of rows.slice(0, 5)) singles.push(await model.infer(row));
    const runsBefore = model.runs;
    const outs = await Promise.all(rows.map((r) => model.infer(r)));
    expect(model.runs - runsBefore).toBe(Math.ceil(200 / 64));
    outs.slice(0, 5).forEach((o, i) => o.forEach((p, c) => expect(p).toBeCloseTo(singles[i]![c]!, 6)));
    for (const o of outs) expect(o.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    await model.close();
  });

  it('refuses bad input, overload and unknown feeds with codes', async () => {
    const model = await OnnxModel.load(bundledModelPath('risk-linear'), { maxQueue: 3 });
    expect(await codeOf(model.infer([1, 2, 3]))).toBe('E_INPUT_INVALID');
    expect(await codeOf(model.infer([1, 2, NaN, 4, 5]))).toBe('E_INPUT_INVALID');
    const ok = [model.infer([0, 0, 0, 0, 0]), model.infer([0, 0, 0, 0, 0]), model.infer([0, 0, 0, 0, 0])];
    expect(await codeOf(model.infer([0, 0, 0, 0, 0]))).toBe('E_OVERLOADED');
    await Promise.all(ok);
    expect(await codeOf(model.run({ X: { data: new Float32Array(4), dims: [1, 4] } }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(model.run({}))).toBe('E_INPUT_INVALID');
    const raw = await model.run({ X: { data: new Float32Array(10), dims: [2, 5] } });
    expect(raw.Y!.dims).toEqual([2, 3]);
    await model.close();
    expect(await codeOf(model.infer([0, 0, 0, 0, 0]))).toBe('E_MODEL_CLOSED');
  });

  it('reports a missing or corrupt model file clearly', async () => {
    expect(await codeOf(OnnxModel.load('/nonexistent/model.onnx'))).toBe('E_NOT_FOUND');
    expect(await codeOf(OnnxModel.load(new Uint8Array([1, 2, 3, 4, 5])))).toBe('E_MODEL_INVALID');
  });
});

describe('risk instruments', () => {
  it('classify files into bands, riskier files scoring higher', async () => {
    const model = await OnnxModel.load(bundledModelPath('risk-mlp'));
    const [calm, hot] = await classifyRisk(model, [
      { churn: 0, lines: 40, complexity: 1, authors: 1, ageDays: 1500 },
      { churn: 60, lines: 4000, complexity: 700, authors: 9, ageDays: 30 },
    ]);
    expect(calm!.band).toBe('low');
    expect(hot!.band).toBe('high');
    await model.close();
  });

  it('an ONNX instrument loads, answers its canary through the inference path, and unloads', async () => {
    const instrument = onnxInstrument('risk-linear', bundledModelPath('risk-linear'));
    const instance = await instrument.load(new AbortController().signal);
    expect(await instrument.health!(instance, new AbortController().signal)).toBe(true);
    expect((await instrument.infer(instance, [1, 5, 8, 0.7, 1])).length).toBe(3);
    await instrument.unload!(instance);
    expect(await codeOf(instrument.infer(instance, [1, 5, 8, 0.7, 1]))).toBe('E_MODEL_CLOSED');
  });
});
