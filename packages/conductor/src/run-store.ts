import { SymphonyError, type ArtifactRef, type LedgerService, type SymphonyErrorJSON, type Workflow } from '@symphony/types/core';
import type { DecisionReason } from './explore.js';

/**
 * The Conductor's durable records in the shared ledger: one record per run, one per finished
 * step (its output artifact, attempts, the candidate that served it) and every decision with
 * its features and policy version. A step's record, its output artifact and its decisions are
 * written in ONE ledger transaction; transactions issued in the same turn share one commit.
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StepState = 'done' | 'failed' | 'skipped' | 'pending' | 'ready' | 'running' | 'retrying';

export interface RunRecord {
  runId: string;
  workflow: Workflow;
  /** Where the workflow came from (a file path; `api` for a document sent to the server), for `runs show`. */
  source?: string;
  /** Who started the run: `cli`, `token:<name>` (the server), or what an embedder passed. */
  startedBy?: string;
  /** A re-run: the run it repeats and what ran again (`all`, `failed` or a step id). */
  rerunOf?: string;
  rerunFrom?: string;
  inputs: Record<string, unknown>;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
  /** Times the run was resumed after a crash or a failure. */
  resumes: number;
  policy: string;
  error?: SymphonyErrorJSON & { stepId?: string };
}

export interface StepRecord {
  runId: string;
  stepId: string;
  state: StepState;
  attempts: number;
  output?: ArtifactRef;
  /** `ext.id/method` that produced the output (the chosen candidate for capability steps). */
  servedBy?: string;
  error?: SymphonyErrorJSON;
  /** Host crashes during this step's attempts (they do not count as attempts). */
  interruptions?: number;
  /** A failed step the run's cancel cut off: its outcome is `cancelled`, not a failure. */
  cancelled?: boolean;
  /** The run whose result this step carried over (a re-run); it did not run in this one. */
  reusedFrom?: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
}

export interface DecisionRecord {
  runId: string;
  seq: number;
  stepId: string;
  kind: 'select' | 'failure';
  attempt: number;
  capability: string;
  candidates: { id: string; cost: number; observations: number; ewmaLatencyMs: number; failureRate: number; inFlight: number; warm?: boolean; startCostMs?: number; queueDepth?: number; queueWaitMs?: number; queueCostMs?: number }[];
  /** [ACTIONS, FEATURES] row-major, as the policy saw them. */
  features: number[];
  action: number;
  /** `retry`, `fallback`, `give-up` or the chosen candidate on a first attempt. */
  verdict: string;
  chosen?: string;
  probabilities?: number[];
  /** Each candidate's value estimate and uncertainty, exploration, ties, in one readable `why`. */
  reason?: DecisionReason;
  policy: string;
  policyVersion: string;
  at: number;
  /**
   * Filled when the call the decision caused has ended. How the chosen candidate's call went: `quality` (successful calls) is the step's `check:`
   * value when it has one (`checked`), else what the extension reported, else 1.
   */
  outcome?: { ok: boolean; latencyMs: number; reward: number; code?: string; quality?: number; checked?: boolean; checkError?: string };
}

/** The lmdb Database surface used here (typed structurally: no lmdb import in this package). */
interface KV {
  get(key: unknown): unknown;
  putSync(key: unknown, value: unknown): unknown;
  getRange(options?: { start?: unknown; end?: unknown; reverse?: boolean; limit?: number }): Iterable<{ key: unknown; value: unknown }>;
}

/**
 * The Conductor's own records: its decisions (features, action, policy version) for `explain`
 * and offline training. Runs and steps live in pit.dag's checksummed records; `RunRecord` and
 * `StepRecord` above are the Conductor's views of them.
 */
export class RunStore {
  private readonly decisions: KV;

  constructor(readonly ledger: LedgerService<unknown, unknown>) {
    this.decisions = ledger.db('conductor.decisions') as KV;
  }

  /** Inside a ledger transaction callback. */
  putDecision(d: DecisionRecord): void {
    this.decisions.putSync([d.runId, d.seq], d);
  }

  decisionsOf(runId: string): DecisionRecord[] {
    return [...this.decisions.getRange({ start: [runId, 0], end: [runId, Number.MAX_SAFE_INTEGER] })].map((e) => e.value as DecisionRecord);
  }
}
