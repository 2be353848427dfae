import type { ArtifactData, ArtifactMeta, ArtifactRef, RunEvents, Step, SymphonyErrorJSON } from '@symphony/types/core';
import type { RunRecord, RunStatus } from './checkpoint.js';
import type { ExpressionContext } from './expressions.js';

export type StepState =
  | 'pending'
  | 'ready'
  | 'running'
  | 'retrying'
  | 'done'
  | 'skipped'
  | 'failed';

export interface CreateRunOptions {
  /** Defaults to a fresh unique id; an id already in the ledger is `E_CONFLICT`. */
  runId?: string;
  /** Values for the workflow's `inputs` (checked against their declared types). */
  inputs?: Record<string, unknown>;
  /** Most steps running at once; defaults to the workflow's `concurrency`, else unlimited. */
  concurrency?: number;
  /** Duration estimates (ms, each counted as at least 1) by step id; otherwise from history, else 1. Drives the ranks. */
  estimates?: Record<string, number>;
  /** Kept with the run record (e.g. the workflow's source file); shown by `state` and `runs`. */
  meta?: Record<string, unknown>;
  /**
   * A re-run that carries over another run's results: every step that succeeded in run `runId`,
   * whose predecessors are carried over too, starts `done` with that run's output (no call, no new
   * artifact), except the steps in `rerun` and everything after them. The rest runs again. The
   * earlier run must have ended (`E_CONFLICT` while it runs); an id in `rerun` that is not a step
   * is `E_INPUT_INVALID`. Carried steps are recorded with `reusedFrom`.
   */
  reuse?: { runId: string; rerun?: readonly string[] };
}

/** A step handed to the scheduler by `next`/`start`. */
export interface StartedStep {
  runId: string;
  stepId: string;
  step: Step;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborts on cancel of the run (a cleanup step's: on a second cancel) and on the step's `timeoutMs` (then the step fails `E_TIMEOUT`). */
  signal: AbortSignal;
  startedAt: number;
}

export type FailDecision =
  | { action: 'retry'; attempt: number; delayMs: number }
  | { action: 'continue' }
  | { action: 'fail' };

export interface StepStateView {
  stepId: string;
  state: StepState;
  /** Attempts started (an attempt cut off by a host crash is given back). */
  attempts: number;
  /** Host crashes during this step's attempts. */
  interruptions?: number;
  /** A failed step the run's cancel cut off (aborted, or stopped in its retry backoff): outcome `cancelled`, no failure. */
  cancelled?: boolean;
  /** `extension/method` that served the step, when its driver said so. */
  servedBy?: string;
  /** From the ledger (views of runs this process does not drive). */
  startedAt?: number;
  endedAt?: number;
  output?: ArtifactRef;
  error?: SymphonyErrorJSON;
  /** Upward rank (ms of work from this step to the end of the longest chain). */
  rank: number;
  /** The run whose result this step carried over (a re-run from a failed step); it did not run here. */
  reusedFrom?: string;
}

export interface RunStateView {
  runId: string;
  workflow: string;
  status: RunStatus;
  /** True while this process drives the run (it can be started, completed, cancelled). */
  active: boolean;
  createdAt: number;
  endedAt?: number;
  inputs: Record<string, unknown>;
  concurrency?: number;
  /** Times another driver took the run over after a crash. */
  resumes: number;
  meta?: Record<string, unknown>;
  /** Why a failed run failed: the first step that failed for good. */
  error?: SymphonyErrorJSON & { stepId?: string };
  steps: StepStateView[];
}

export interface RunSummary {
  runId: string;
  workflow: string;
  status: RunStatus;
  createdAt: number;
  endedAt?: number;
  resumes: number;
  meta?: Record<string, unknown>;
}

/** Where `completeWithOutput` stores the output: artifact metadata plus an optional name. */
export interface StepOutputMeta extends ArtifactMeta {
  /** Artifact name; defaults to `<workflow name>/<step id>` (a new version per run). */
  name?: string;
  /** `extension/method` that produced the output (kept in the step record). */
  servedBy?: string;
}

/** The run events emitter (the kernel's `ctx.events` fits). */
export interface RunEventSink {
  emit<K extends keyof RunEvents>(event: K, ...args: RunEvents[K]): unknown;
}

/**
 * The DAG tracker as an external scheduler (the Conductor) drives it:
 *
 *   const run = await dag.createRun(workflow, { inputs });
 *   for (const s of dag.next(run.runId)) {                 // critical steps first
 *     const input = dag.resolveInputs(run.runId, s.stepId); // `with:` resolved from outputs
 *     call(s.step.uses, input, s.signal)
 *       .then((out) => dag.completeWithOutput(run.runId, s.stepId, out))
 *       .catch((err) => dag.fail(run.runId, s.stepId, err));
 *   }                                                       // ...again on every step:end / step:ready
 *   await dag.whenDone(run.runId);
 */
export interface DagService {
  createRun(workflow: unknown, options?: CreateRunOptions): Promise<RunStateView>;
  /**
   * Continues a run found in the ledger after a crash; acknowledged steps are never re-run.
   * Takes the run's lease: `E_RUN_LOCKED` (naming pid, host, since) while another live process
   * drives it; a dead holder's lease is taken over.
   */
  resume(runId: string): Promise<RunStateView>;
  /** The ready steps, highest upward rank (most critical) first. */
  ready(runId: string): string[];
  /** Starts up to `max` ready steps, critical first, within the run's concurrency limit. */
  next(runId: string, max?: number): StartedStep[];
  /** Starts one particular ready step (`E_CONFLICT` if it is not ready or no slot is free). */
  start(runId: string, stepId: string): StartedStep;
  /**
   * Records a running step as done (with its output ref). Successors are released at once;
   * resolves (and `step:end` is emitted) after the durable commit.
   */
  complete(runId: string, stepId: string, output?: ArtifactRef, meta?: { servedBy?: string }): Promise<void>;
  /**
   * Stores `data` as the step's output artifact and completes the step in ONE transaction.
   * Pipelined: successors may start as soon as this is called (they see `data`); the promise
   * resolves, and `step:end` is emitted, only once the completion is durable. Rejects with
   * `E_LEDGER_FULL` / `E_RUN_LOCKED` / ... when the commit fails (the run then halts here).
   *
   * A step that returns nothing (`null` or `undefined`, with no `name`, `kind`, `contentType`,
   * `tags`, `aliases`, `inputs` or `attributes` to keep) has no output artifact: its durable step record is its completion,
   * successors and expressions see `null` (as they would reading a stored `null`), and the
   * promise resolves with `undefined`.
   */
  completeWithOutput(runId: string, stepId: string, data: ArtifactData | undefined, meta?: StepOutputMeta): Promise<ArtifactRef | undefined>;
  /** Records a failed attempt; the step's retry policy decides what happens next. */
  fail(runId: string, stepId: string, error: unknown): Promise<FailDecision>;
  /**
   * GitHub's cancel: aborts in-flight steps' signals (their attempts end with outcome `cancelled`)
   * and judges every step not yet started under `cancelled()`: those whose `if:` holds
   * (`always()`, `cancelled()`) are still offered by `next()`, the rest are skipped; the run ends
   * `cancelled` once they are done. A second call aborts that cleanup too and nothing more starts.
   * Resolves once the cancel is durable (a resume after a crash continues into the cleanup).
   */
  cancel(runId: string, reason?: string): Promise<void>;
  state(runId: string): RunStateView;
  /** The live driver of a run (this process or another), or undefined when nobody holds its lease. */
  holder(runId: string): { pid: number; host: string; since: number; self: boolean } | undefined;
  /** The stored run record (checksummed: `E_LEDGER_CORRUPT` when damaged); undefined when unknown. */
  record(runId: string): RunRecord | undefined;
  runs(filter?: { status?: RunStatus }): RunSummary[];
  /**
   * The longest duration-weighted path (from the workflow's duration history or the run's
   * estimates), each step's upward rank, and each step's slack: how much longer it could take
   * without lengthening the run (0 on the critical path), in the same units as `length`.
   */
  criticalPath(runId: string): { path: string[]; length: number; ranks: Record<string, number>; slack: Record<string, number> };
  /** `inputs` and the outputs (decoded from the artifact store) of the steps a step references. */
  context(runId: string, stepId: string): ExpressionContext;
  /** The step's `with:` with every `${{ }}` resolved. */
  resolveInputs(runId: string, stepId: string): Record<string, unknown>;
  /**
   * Resolves with the final state when the run ends (at once for an ended run). Rejects when the
   * run halts in this process without ending (`E_LEDGER_FULL`, `E_RUN_LOCKED`, ...): it stays
   * `running` in the ledger and can be resumed.
   */
  whenDone(runId: string): Promise<RunStateView>;
  /**
   * Resolves once every write queued so far (the run's step records among them) is durable. A
   * resumed run's driver starts a step's function only after its start record is settled, so a
   * step that kills the host is the one charged with the interruption.
   */
  settled(runId: string): Promise<void>;
  /**
   * Stops driving every run of this process, as a crash would but cleanly: nothing more is
   * written for them, their leases are dropped, and they stay `running` in the ledger, resumable
   * at once by another process (`symphony run` does this on SIGTERM). The plugin's `stop` calls it.
   */
  close(): void;
}
