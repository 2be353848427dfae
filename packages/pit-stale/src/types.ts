import type { ArtifactRef, Logger } from '@symphony/types';

/** One Conductor decision trace, as recorded. */
export interface TraceInput {
  /** The kind of quest (workflow type) it came from: the unit of the per-type cap. */
  questType: string;
  /** State features the decision saw. */
  state: number[] | Record<string, number>;
  action: string | number | Record<string, unknown>;
  outcome: unknown;
  reward: number;
  runId?: string;
  stepId?: string;
  /** Epoch ms; default now. */
  at?: number;
  /** Artifacts it refers to: protected from cleanup while aliased or in lineage. */
  artifacts?: Pick<ArtifactRef, 'name' | 'version'>[];
  /** Never archived away nor cleaned up. */
  pinned?: boolean;
}

/** What is stored: the input plus its content id. Its canonical JSON bytes are the stored bytes. */
export interface TraceRecord extends Omit<TraceInput, 'pinned'> {
  /** sha-256 (hex) of the canonical JSON of { questType, state, action, outcome, reward }. */
  id: string;
  at: number;
}

export interface ScoreBreakdown {
  id: string;
  /** 1 = nothing like it stored; lower for near-duplicates; 0 for an exact duplicate. */
  novelty: number;
  /** How surprising the reward is for its quest type (0..1). */
  informativeness: number;
  /** 0.5 ^ (age / halfLife). */
  recency: number;
  value: number;
  duplicateOf?: string;
  nearDuplicateOf?: string;
}

export interface ScoringOptions {
  weights?: { novelty?: number; informativeness?: number; recency?: number };
  /** Default 7 days. */
  halfLifeMs?: number;
  /** SimHash Hamming distance at or under which two states of one quest type are near-duplicates. Default 3. */
  nearDuplicateBits?: number;
}

export interface RetentionPolicy {
  /** Records younger than this stay local. Default 30. */
  keepDays?: number;
  /** The best N (by value) of each quest type stay local whatever their age. Default 100. */
  keepBestPerType?: number;
  /** Storage-aware cleanup starts above this many live bytes. Default: none. */
  maxBytes?: number;
  /** No pass removes more than this fraction of the live records (at most 0.5). Default 0.25. */
  maxRemoveFraction?: number;
  /** Tombstoned records are purged after this long. Default 7 days. */
  graceMs?: number;
}

export type RemovalReason = 'age' | 'size' | 'duplicate' | 'manual';

export interface Removal {
  id: string;
  questType: string;
  reason: RemovalReason;
  value: number;
  bytes: number;
  at: number;
  /** Where the record went before it was tombstoned. */
  archiveId?: string;
}

export interface CleanupReport {
  dryRun: boolean;
  /** What goes (or would go), lowest value first, and why. */
  removals: Removal[];
  /** Records that qualified but are pinned or protected (alias, lineage, `protect`). */
  protected: { id: string; why: string }[];
  /** Records that qualified but the per-pass cap kept. */
  deferred: number;
  liveBytesBefore: number;
  liveBytesAfter: number;
  archiveId?: string;
}

export interface RemovalCounts {
  tombstoned: Record<RemovalReason, number>;
  purged: Record<RemovalReason, number>;
  /** Exact duplicates dropped at ingest. */
  duplicates: number;
  undone: number;
}

export interface TrainingSetOptions {
  limit?: number;
  /** At most this many records of one quest type. */
  capPerQuestType?: number;
  /** At most this fraction of `limit` from one quest type when several exist. Default 0.5. */
  maxQuestTypeShare?: number;
  minValue?: number;
  questTypes?: string[];
}

export interface ScoredRecord {
  record: TraceRecord;
  score: ScoreBreakdown;
}

export interface StaleOptions {
  scoring?: ScoringOptions;
  retention?: RetentionPolicy;
  /** Archive target for retention (`createDirectoryTarget(dir)`, or your own S3-style target). */
  archive?: ArchiveTarget;
  /** Extra protection: return a reason to keep a record from cleanup, or `false`. */
  protect?: (record: TraceRecord) => string | false | undefined;
  /** Artifact store lookups for alias / lineage protection (the plugin passes `pit.artifacts`). */
  artifacts?: () => ArtifactLookups | undefined;
  now?: () => number;
  logger?: Logger;
}

/** The part of `pit.artifacts` (`ArtifactsService`) that protection needs. */
export interface ArtifactLookups {
  aliases(name: string): Record<string, number>;
  inputsOf(ref: Pick<ArtifactRef, 'name' | 'version'>): ArtifactRef[];
  consumersOf(ref: Pick<ArtifactRef, 'name' | 'version'>): ArtifactRef[];
}

/** Where archives go: a directory here; an S3-compatible store implements the same four calls. */
export interface ArchiveTarget {
  readonly name: string;
  put(file: string, data: Uint8Array): Promise<void>;
  get(file: string): Promise<Uint8Array>;
  list(): Promise<string[]>;
}

export interface ArchiveManifest {
  id: string;
  createdAt: number;
  file: string;
  count: number;
  /** sha-256 of the compressed file. */
  sha256: string;
  bytes: number;
  uncompressedBytes: number;
  records: { id: string; questType: string; at: number; sha256: string; bytes: number }[];
  /** sha-256 of the canonical JSON of every other field (absent in archives written before it). */
  manifestSha256?: string;
}
