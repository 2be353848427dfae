import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
const bytes = readFileSync('/work/main/packages/conductor/models/conductor-policy.onnx');
const rss = () => process.memoryUsage().rss / 1048576;
for (let i = 0; i < 20; i++) { const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 }); await s.release(); }
global.gc?.(); const r0 = rss();
const N = Number(process.argv[2] ?? 500);
for (let i = 0; i < N; i++) { const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 }); await s.run({ features: new ort.Tensor('float32', new Float32Array(5*21), [1,5,21]), mask: new ort.Tensor('float32', new Float32Array(5), [1,5]) }); await s.release(); if (i % 100 === 99) { global.gc?.(); console.log(i + 1, (rss() - r0).toFixed(1), 'MB'); } }
