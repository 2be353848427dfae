import type { ArtifactRef, Producer } from './refs.js';

/**
 * The artifact store's contract (kernel service `pit.artifacts`, implemented by
 * `@symphony/pit-artifacts`), here so other Pit plugins and the Conductor can type against it
 * without importing that package.
 */

/** What `put` accepts: bytes as is, a string as UTF-8 text, anything else as JSON. */
export type ArtifactData = Uint8Array | string | unknown;

export interface ArtifactMeta {
  /** A category to search by: `dataset`, `model`, `step-output`, ... */
  kind?: string;
  tags?: string[];
  producer?: Producer;
  /** Lineage: the artifact versions this one was made from. */
  inputs?: ArtifactRef[];
  /** Defaults from the data: application/octet-stream, text/plain or application/json. */
  contentType?: string;
  /** Free-form metadata, stored with the version (not indexed). */
  attributes?: Record<string, unknown>;
  /** User aliases to move onto the new version in the same transaction (`production`). */
  aliases?: string[];
}

/** One immutable version, as stored. */
export interface ArtifactVersion {
  name: string;
  version: number;
  hash: string;
  size: number;
  contentType: string;
  kind?: string;
  tags: string[];
  producer?: Producer;
  inputs: ArtifactRef[];
  attributes?: Record<string, unknown>;
  createdAt: number;
  /** Quality in [0, 1]: weighted mean of the scorers that had a signal (0.5 with none). */
  score: number;
  /** Each scorer's own figure. */
  scores: Record<string, number>;
}

export interface ArtifactQuery {
  kind?: string;
  tag?: string;
  /** Inclusive lower bound on `createdAt` (ms since epoch). */
  since?: number;
  /** Exclusive upper bound on `createdAt`. */
  until?: number;
  producer?: Producer;
  namePrefix?: string;
  limit?: number;
  /** Newest first. */
  reverse?: boolean;
}

/** A version and its verified bytes. */
export interface Artifact {
  info: ArtifactVersion;
  ref: ArtifactRef;
  data: Uint8Array;
}

/** `latest` (default), a version number, or an alias. */
export type ArtifactSelector = number | string;

export interface GcReport {
  blobsRemoved: number;
  chunksRemoved: number;
  bytesFreed: number;
}

export interface ArtifactsService {
  /** Stores a new version n+1 of `name` (never overwrites); resolves after the commit. */
  put(name: string, data: ArtifactData, meta?: ArtifactMeta): Promise<ArtifactRef>;
  /** Many artifacts in ONE transaction (all or nothing). */
  putMany(items: ReadonlyArray<{ name: string; data: ArtifactData; meta?: ArtifactMeta }>): Promise<ArtifactRef[]>;
  /**
   * Synchronous put inside the caller's open ledger transaction (`ledger.transaction(() => ...)`),
   * so it commits atomically with the caller's own writes. Throws `E_NOT_IN_TRANSACTION` outside.
   */
  writeInTransaction(name: string, data: ArtifactData, meta?: ArtifactMeta): ArtifactRef;
  /** Streams a large artifact in, chunk by chunk (never whole in memory). */
  putStream(name: string, source: AsyncIterable<Uint8Array>, meta?: ArtifactMeta): Promise<ArtifactRef>;
  /** The version's bytes, verified against its hash (`E_ARTIFACT_CORRUPT`). */
  get(name: string, selector?: ArtifactSelector): Artifact | undefined;
  /** The decoded payload: JSON parsed, text as a string, bytes as bytes. */
  value(name: string, selector?: ArtifactSelector): unknown;
  /** The bytes as a stream of verified chunks. */
  stream(name: string, selector?: ArtifactSelector): AsyncIterable<Uint8Array>;
  info(name: string, selector?: ArtifactSelector): ArtifactVersion | undefined;
  versions(name: string): ArtifactVersion[];
  /** Artifact names starting with `prefix`, in order. */
  names(prefix?: string, limit?: number): string[];
  /** An index range scan (kind, tag, producer, time), never a full scan. */
  find(query: ArtifactQuery): ArtifactVersion[];
  setAlias(name: string, alias: string, version: number): Promise<void>;
  removeAlias(name: string, alias: string): Promise<void>;
  aliases(name: string): Record<string, number>;
  /** Lineage upwards: what this version was made from. */
  inputsOf(ref: Pick<ArtifactRef, 'name' | 'version'>): ArtifactRef[];
  /** Lineage downwards: versions made from this one. */
  consumersOf(ref: Pick<ArtifactRef, 'name' | 'version'>): ArtifactRef[];
  /** Consumer feedback in [0, 1]; re-scores the version and resolves to its new score. */
  feedback(ref: Pick<ArtifactRef, 'name' | 'version'>, value: number): Promise<number>;
  /** Records a producer's success or failure, used by the producer-history scorer. */
  recordOutcome(producer: Producer, ok: boolean): Promise<void>;
  /** Deletes one version (refused with `E_CONFLICT` while a user alias points at it). */
  remove(name: string, version: number, options?: { force?: boolean }): Promise<void>;
  /** Deletes blobs and chunks no version references (older than `graceMs`). */
  gc(options?: { graceMs?: number }): Promise<GcReport>;
}
