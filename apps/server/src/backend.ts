import type { Readable } from 'node:stream';
import type { Kernel } from '@symphony/kernel';

/**
 * What the server serves, independent of HTTP: runs, artifacts, extensions and policies. The
 * server keeps no domain logic; `createKernelBackend` (kernel-backend.ts) implements this over a
 * kernel with the Conductor and the Pit.
 */
export interface RunSummary {
  runId: string;
  workflow: string;
  status: string;
  startedAt?: number;
  endedAt?: number;
  /** Who started it: `cli`, `token:<name>`, ... */
  startedBy?: string;
  /** The workflow file it was started from, or `api` for a document. */
  source?: string;
  /** The run this one re-runs, and from where (`all`, `failed` or a step id). */
  rerunOf?: string;
  rerunFrom?: string;
  inputs?: Record<string, unknown>;
}

export interface ArtifactSummary {
  name: string;
  version: number;
  hash: string;
  size?: number;
  kind?: string;
  createdAt?: number;
}

export interface RunOrigin {
  source?: string;
  startedBy?: string;
}

export interface ServerBackend {
  readonly kernel: Kernel;
  /** `origin`: where the workflow came from (`source`, a file or `api`) and who started the run (`startedBy`, e.g. `token:ci`). */
  submitRun(workflow: unknown, inputs: Record<string, string | number | boolean>, origin?: RunOrigin): Promise<{ runId: string }>;
  /** Newest first; `offset` skips the newest runs (default 0). */
  listRuns(options: { limit: number; offset?: number }): Promise<RunSummary[]>;
  getRun(runId: string): Promise<(RunSummary & Record<string, unknown>) | undefined>;
  /** The Conductor's decisions for a run (chosen provider and why), oldest first; absent: none recorded. */
  explainRun?(runId: string): Promise<unknown[]>;
  /** `force`: GitHub's force-cancel, which aborts the cleanup (`always()`/`cancelled()`) steps too. */
  cancelRun(runId: string, options?: { force?: boolean }): Promise<void>;
  resumeRun(runId: string): Promise<void>;
  /**
   * A new run of an ended run's workflow and inputs (`from`: `all`, `failed` or a step id; the
   * other succeeded steps are carried over). Absent: the server answers 501.
   */
  rerunRun?(runId: string, options: { from?: string; startedBy?: string }): Promise<{ runId: string }>;
  listArtifacts(options: { prefix?: string; limit: number }): Promise<ArtifactSummary[]>;
  /** The artifact's metadata and a stream of its bytes, or undefined if there is none. */
  openArtifact(name: string, version?: number): Promise<{ artifact: ArtifactSummary; body: Readable } | undefined>;
  /** Artifact lineage: what it was made from, and what was made from it; undefined when there is no such version (404). */
  artifactLineage?(name: string, version: number): Promise<unknown>;
  listExtensions(): Promise<unknown[]>;
  setExtensionEnabled(id: string, enabled: boolean): Promise<void>;
  audit(options: { extensionId?: string; limit: number }): Promise<unknown[]>;
  policies(): Promise<unknown>;
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
  /** Ready when every plugin is started and the store is writable. */
  ready(): Promise<boolean>;
  close?(): Promise<void>;
}
