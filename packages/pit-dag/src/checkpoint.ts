import type { ArtifactRef, LedgerService, SymphonyErrorJSON, Workflow } from '@symphony/types';

/**
 * The DAG tracker's durable state, in the shared ledger (sub-databases `dag.*`). A checkpoint is
 * one small record per step transition, so its cost does not grow with the size of the run:
 *   dag.runs     runId -> RunRecord
 *   dag.steps    [runId, stepId] -> StepRecord
 *   dag.history  [workflowName, stepId] -> { ms, n }   (duration estimates for ranks)
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunRecord {
  runId: string;
  workflow: Workflow;
  inputs: Record<string, unknown>;
  status: RunStatus;
  createdAt: number;
  endedAt?: number;
  concurrency?: number;
}

export type StepRecordStatus = 'running' | 'retrying' | 'done' | 'skipped' | 'failed';

export interface StepRecord {
  status: StepRecordStatus;
  /** Attempts started so far. */
  attempts: number;
  output?: ArtifactRef;
  error?: SymphonyErrorJSON;
  /** A failure that `continueOnError` let the run go past. */
  continued?: boolean;
  startedAt?: number;
  endedAt?: number;
}

/** The slice of lmdb's Database API the tracker uses (structural: no lmdb import here). */
interface Db<V> {
  get(key: unknown): V | undefined;
  putSync(key: unknown, value: V): unknown;
  getRange(options: { start?: unknown; end?: unknown; limit?: number }): Iterable<{ key: unknown; value: V }>;
}

const EWMA = 0.3;

export class Checkpoints {
  private readonly runs: Db<RunRecord>;
  private readonly steps: Db<StepRecord>;
  private readonly history: Db<{ ms: number; n: number }>;

  constructor(readonly ledger: LedgerService) {
    this.runs = ledger.db('dag.runs') as Db<RunRecord>;
    this.steps = ledger.db('dag.steps') as Db<StepRecord>;
    this.history = ledger.db('dag.history') as Db<{ ms: number; n: number }>;
  }

  /** Inside a ledger transaction. */
  writeRun(record: RunRecord): void {
    this.runs.putSync(record.runId, record);
  }

  /** Inside a ledger transaction. */
  writeStep(runId: string, stepId: string, record: StepRecord): void {
    this.steps.putSync([runId, stepId], record);
  }

  /** Inside a ledger transaction: folds one observed duration into the step's estimate. */
  recordDuration(workflow: string, stepId: string, ms: number): void {
    const previous = this.history.get([workflow, stepId]);
    const next = previous ? { ms: previous.ms + EWMA * (ms - previous.ms), n: previous.n + 1 } : { ms, n: 1 };
    this.history.putSync([workflow, stepId], next);
  }

  estimate(workflow: string, stepId: string): number | undefined {
    return this.history.get([workflow, stepId])?.ms;
  }

  run(runId: string): RunRecord | undefined {
    return this.runs.get(runId);
  }

  step(runId: string, stepId: string): StepRecord | undefined {
    return this.steps.get([runId, stepId]);
  }

  stepsOf(runId: string): Map<string, StepRecord> {
    const out = new Map<string, StepRecord>();
    for (const { key, value } of this.steps.getRange({ start: [runId], end: [runId, '\uffff'] })) out.set((key as [string, string])[1], value);
    return out;
  }

  listRuns(): RunRecord[] {
    return [...this.runs.getRange({})].map((e) => e.value);
  }
}
