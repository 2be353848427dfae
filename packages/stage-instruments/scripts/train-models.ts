// Regenerates models/risk-*.onnx and models/risk-models.json (bit for bit for a given seed).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { trainRiskModels, RISK_TRAIN } from '../src/models/risk.js';

const dir = fileURLToPath(new URL('../models/', import.meta.url));
const seed = Number(process.argv[2] ?? RISK_TRAIN.seed);
const models = trainRiskModels(seed);
const summary: Record<string, unknown> = { seed, ...RISK_TRAIN, models: {} };
for (const m of models) {
  writeFileSync(`${dir}${m.name}.onnx`, m.bytes);
  (summary.models as Record<string, unknown>)[m.name] = { accuracy: m.accuracy, recall: m.recall, parameters: m.parameters, bytes: m.bytes.length };
  console.log(`${m.name}: held-out accuracy ${(m.accuracy * 100).toFixed(1)}% (${m.parameters} parameters, ${m.bytes.length} bytes)`);
}
writeFileSync(`${dir}risk-models.json`, JSON.stringify(summary, null, 2) + '\n');
