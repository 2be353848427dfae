import type { ManifestInput } from '@symphony/sdk/runtime';

type BuiltinManifest = ManifestInput & { id: string; version: string };

const common = { version: '0.1.0', engines: { symphony: '*' }, license: 'MIT', author: 'Symphony', main: 'index.js' } as const;

/** The capability both risk models provide: the Conductor picks one per `capability:classify-risk` step. */
export const CLASSIFY_RISK = 'classify-risk';

/**
 * The cheaper candidate: softmax regression, 18 parameters, 79.1% held-out accuracy. Its
 * capability declares the lower cost; quality the Conductor learns from outcomes.
 */
export const RISK_LINEAR_MANIFEST: BuiltinManifest = {
  ...common,
  id: 'symphony.risk-linear',
  name: 'Risk bands (linear)',
  description: 'Classifies source files into risk bands (low/medium/high) from churn, size, complexity, authors and age. Softmax regression: 18 parameters, 79.1% held-out accuracy; the cheaper candidate.',
  keywords: ['risk', 'classifier', 'onnx', 'cheap'],
  permissions: { fs: { read: ['${extension}'] } },
  contributes: { capabilities: [{ name: CLASSIFY_RISK, method: 'classify', cost: 0.2 }] },
};

/** The more accurate candidate: an MLP 5 → 16 → 3, 147 parameters, 85.6% held-out accuracy. */
export const RISK_MLP_MANIFEST: BuiltinManifest = {
  ...common,
  id: 'symphony.risk-mlp',
  name: 'Risk bands (MLP)',
  description: 'Classifies source files into risk bands (low/medium/high) from churn, size, complexity, authors and age. MLP 5-16-3: 147 parameters, 85.6% held-out accuracy; the more accurate candidate.',
  keywords: ['risk', 'classifier', 'onnx', 'accurate'],
  permissions: { fs: { read: ['${extension}'] } },
  contributes: { capabilities: [{ name: CLASSIFY_RISK, method: 'classify', cost: 0.5 }] },
};

/**
 * OpenAI-compatible chat completions. Tokens stream to the host through a shared-memory ring,
 * which only a worker thread can share: run it trusted (`stage.trusted: ['symphony.chat']`).
 */
export const CHAT_MANIFEST: BuiltinManifest = {
  ...common,
  id: 'symphony.chat',
  name: 'Chat',
  description: 'Chat completions from any OpenAI-compatible endpoint, streaming tokens to the host through a shared-memory ring; retries with backoff before the first token, timeouts.',
  keywords: ['llm', 'chat', 'openai'],
  permissions: { net: { hosts: ['*'] }, env: ['SYMPHONY_CHAT_API_KEY'] },
  contributes: { capabilities: [{ name: 'text.chat', method: 'complete' }] },
};
