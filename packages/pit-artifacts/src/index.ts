export { openLedger, closeLedger, type LedgerOptions, type LmdbLedger } from './ledger.js';
export { ArtifactStore, type ArtifactStoreOptions } from './store.js';
export { sha256, type BlobRecord } from './blobs.js';
export {
  schemaScorer,
  producerScorer,
  feedbackScorer,
  defaultScorers,
  combineScores,
  type Scorer,
  type ScoreInput,
  type SchemaCheck,
} from './scoring.js';
export {
  ledgerPlugin,
  artifactsPlugin,
  createLedgerPlugin,
  createArtifactsPlugin,
  pitStorePlugins,
  plugins,
} from './plugin.js';
