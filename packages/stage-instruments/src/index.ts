export { defineInstrument, registerInstrument, inferWithPool, onnxInstrument, type Instrument, type PoolLike } from './instrument.js';
export { OnnxModel, type OnnxModelOptions, type TensorSignature } from './onnx/runner.js';
export { writeMlpOnnx, type DenseLayer, type MlpSpec } from './onnx/mlp-model.js';
export { trainClassifier, forward, softmax, fitNormaliser, type TrainOptions, type Normaliser } from './train/classifier.js';
export { createRng } from './train/rng.js';
export {
  RISK_BANDS,
  RISK_FEATURES,
  RISK_TRAIN,
  riskFeatures,
  generateRiskDataset,
  trainRiskModels,
  type FileStats,
  type RiskBand,
  type TrainedRiskModel,
} from './models/risk.js';
export { bundledModelPath, classifyRisk, riskInstrument, type RiskModelName, type RiskResult } from './risk-instruments.js';
export { createChatClient, chatInstrument, type ChatClient, type ChatClientOptions, type ChatMessage, type ChatRequest, type ChatResult } from './chat.js';
export { BUILTIN_INSTRUMENTS_DIR, BUILTIN_INSTRUMENTS, type BuiltinInstrument } from './builtin.js';
export { CLASSIFY_RISK, RISK_LINEAR_MANIFEST, RISK_MLP_MANIFEST, CHAT_MANIFEST } from './manifests.js';
export { riskExtension, FileStatsSchema, ClassifyInputSchema, ClassifyOutputSchema } from './risk-extension.js';
export { callStreaming, openTokenRing, DEFAULT_TOKEN_RING_BYTES, type StageCaller, type StreamingCallOptions, type TokenMessage, type TokenRingWriter } from './token-ring.js';
