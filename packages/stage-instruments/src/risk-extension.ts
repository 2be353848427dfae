import { z } from 'zod';
import { defineInstrument as defineExtension, method, type ExtensionDefinition, type ManifestInput } from '@symphony/sdk/runtime';
import { OnnxModel } from './onnx/runner.js';
import { bundledModelPath, classifyRisk, type RiskModelName } from './risk-instruments.js';

const Count = z.number().min(0);
/** One file's statistics; other fields (a path, say) are carried through to the result. */
export const FileStatsSchema = z.looseObject({ churn: Count, lines: Count, complexity: Count, authors: Count, ageDays: Count, path: z.string().optional() });

export const ClassifyInputSchema = z.strictObject({ files: z.array(FileStatsSchema).max(100_000) });
export const ClassifyOutputSchema = z.strictObject({
  model: z.string(),
  results: z.array(z.strictObject({ path: z.string().optional(), band: z.enum(['low', 'medium', 'high']), probabilities: z.tuple([z.number(), z.number(), z.number()]) })),
});

/**
 * A bundled risk model as a Stage extension: `classify({ files })` → `{ model, results }`. The
 * onnxruntime session loads on the first call in the process that serves it and is reused.
 */
export function riskExtension(name: RiskModelName, manifest: ManifestInput): ExtensionDefinition {
  let model: Promise<OnnxModel> | undefined;
  return defineExtension({
    manifest,
    methods: {
      classify: method(
        { input: ClassifyInputSchema, output: ClassifyOutputSchema, description: `Risk band of each file, by the bundled ${name} model.` },
        async ({ files }) => {
          model ??= OnnxModel.load(bundledModelPath(name)).catch((err) => {
            model = undefined;
            throw err;
          });
          const results = await classifyRisk(await model, files);
          return { model: name, results: results.map((r, i) => (files[i]!.path === undefined ? r : { path: files[i]!.path, ...r })) };
        },
      ),
    },
  });
}
