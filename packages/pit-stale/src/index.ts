export { createStale, type StaleService, type RecordResult } from './store.js';
export { stalePlugin, type StalePluginOptions } from './plugin.js';
export { createDirectoryTarget } from './archive.js';
export { canonicalJson } from './canonical.js';
export type {
  ArchiveManifest,
  ArchiveTarget,
  ArtifactLookups,
  CleanupReport,
  Removal,
  RemovalCounts,
  RemovalReason,
  RetentionPolicy,
  ScoreBreakdown,
  ScoredRecord,
  ScoringOptions,
  StaleOptions,
  TraceInput,
  TraceRecord,
  TrainingSetOptions,
} from './types.js';
