import { writeMlpOnnx } from '../onnx/mlp-model.js';
import { forward, trainClassifier } from '../train/classifier.js';
import { createRng, gaussian, poisson } from '../train/rng.js';

/** What the hotspot workflow knows about a source file. */
export interface FileStats {
  /** Commits touching the file in the analysed window. */
  churn: number;
  lines: number;
  /** Decision points (if/for/while/case/&&/||/?:/catch), a cyclomatic-complexity proxy. */
  complexity: number;
  authors: number;
  ageDays: number;
}

export const RISK_BANDS = ['low', 'medium', 'high'] as const;
export type RiskBand = (typeof RISK_BANDS)[number];
export const RISK_FEATURES = ['log_churn', 'log_lines', 'complexity_per_100_lines', 'log_authors', 'age_years'] as const;

export function riskFeatures(s: FileStats): Float64Array {
  const lines = Math.max(1, s.lines);
  return Float64Array.of(Math.log1p(Math.max(0, s.churn)), Math.log1p(lines), (100 * Math.max(0, s.complexity)) / lines, Math.log1p(Math.max(0, s.authors)), Math.max(0, s.ageDays) / 365);
}

/**
 * A stated generative model of defect risk, since no labelled defect data can be downloaded
 * here. Its shape follows the defect-prediction literature: churn and size raise risk, code
 * above a complexity threshold raises it sharply, churn on complex code compounds, many
 * authors add risk, and old stable code lowers it. The band is the latent risk with
 * multiplicative noise, so no model can be perfect.
 */
export function generateRiskDataset(n: number, seed: number) {
  const rng = createRng(seed);
  const rows: Float64Array[] = [];
  const labels: number[] = [];
  const stats: FileStats[] = [];
  for (let i = 0; i < n; i++) {
    const lines = Math.round(Math.min(20000, Math.max(5, Math.exp(5 + 1.1 * gaussian(rng)))));
    const density = Math.exp(Math.log(8) + 0.5 * gaussian(rng));
    const complexity = Math.round((lines * density) / 100);
    const churn = poisson(rng, Math.exp(1 + gaussian(rng)) * (1 + lines / 2000));
    const authors = 1 + poisson(rng, 0.3 + churn * 0.15);
    const ageDays = Math.round(10 + rng() * 1990);
    const s: FileStats = { churn, lines, complexity, authors, ageDays };
    const f = riskFeatures(s);
    const [logChurn, logLines, dens, logAuthors, age] = f as unknown as [number, number, number, number, number];
    const hot = dens > 11 ? 1 : 0;
    const logRisk =
      -3.4 + 0.55 * logChurn + 0.3 * logLines + 1.1 * hot + 0.35 * logChurn * hot + 0.3 * logAuthors - 0.25 * age + 0.3 * gaussian(rng);
    const risk = Math.exp(logRisk);
    labels.push(risk < 0.35 ? 0 : risk < 1.2 ? 1 : 2);
    rows.push(f);
    stats.push(s);
  }
  return { rows, labels, stats };
}

export interface TrainedRiskModel {
  name: string;
  bytes: Uint8Array;
  accuracy: number;
  /** Held-out accuracy per true band. */
  recall: Record<RiskBand, number>;
  parameters: number;
}

export const RISK_TRAIN = { seed: 1, trainSize: 4000, heldOutSize: 2000, heldOutSeed: 7919 } as const;

/** Trains both bundled risk models from scratch; the same seed gives the same bytes. */
export function trainRiskModels(seed: number = RISK_TRAIN.seed): TrainedRiskModel[] {
  const train = generateRiskDataset(RISK_TRAIN.trainSize, seed);
  const test = generateRiskDataset(RISK_TRAIN.heldOutSize, RISK_TRAIN.heldOutSeed + seed);
  const variants = [
    { name: 'risk-linear', hidden: [] as number[], epochs: 40, learningRate: 0.02 },
    { name: 'risk-mlp', hidden: [16], epochs: 80, learningRate: 0.01 },
  ];
  return variants.map((v) => {
    const model = trainClassifier(train.rows, train.labels, { hidden: v.hidden, classes: 3, epochs: v.epochs, learningRate: v.learningRate, seed });
    let correct = 0;
    const hits = [0, 0, 0];
    const totals = [0, 0, 0];
    test.rows.forEach((row, i) => {
      const p = forward(model.layers, model.normalise, row);
      const predicted = p.indexOf(Math.max(...p));
      const truth = test.labels[i] as number;
      totals[truth]!++;
      if (predicted === truth) {
        correct++;
        hits[truth]!++;
      }
    });
    const bytes = writeMlpOnnx({
      layers: model.layers,
      normalise: model.normalise,
      producer: 'symphony-stage-instruments',
      docString: `${v.name}: source file risk band (low/medium/high) from ${RISK_FEATURES.join(', ')}; seed ${seed}`,
    });
    return {
      name: v.name,
      bytes,
      accuracy: correct / test.rows.length,
      recall: { low: hits[0]! / totals[0]!, medium: hits[1]! / totals[1]!, high: hits[2]! / totals[2]! },
      parameters: model.layers.reduce((n, l) => n + l.weights.length + l.bias.length, 0),
    };
  });
}
