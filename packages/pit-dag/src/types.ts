import type { ArtifactData, ArtifactMeta, ArtifactRef, RunEvents, Step, SymphonyErrorJSON } from '@symphony/types';
import type { RunStatus } from './checkpoint.js';
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
  /** Duration estimates (ms) by step id; otherwise from history, else 1. Drives the ranks. */
  estimates?: Record<string, number>;
}

/** A step handed to the scheduler by `next`/`start`. */
export interface StartedStep {
  runId: string;
  stepId: string;
  step: Step;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborts on cancel of the run and on the step's `timeoutMs` (then the step fails `E_TIMEOUT`). */
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
  attempts: number;
  output?: ArtifactRef;
  error?: SymphonyErrorJSON;
  /** Upward rank (ms of work from this step to the end of the longest chain). */
  rank: number;
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
  steps: StepStateView[];
}

export interface RunSummary {
  runId: string;
  workflow: string;
  status: RunStatus;
  createdAt: number;
  endedAt?: number;
}

/** Where `completeWithOutput` stores the output: artifact metadata plus an optional name. */
export interface StepOutputMeta extends ArtifactMeta {
  /** Artifact name; defaults to `<workflow name>/<step id>` (a new version per run). */
  name?: string;
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
  /** Continues a run found in the ledger after a crash; finished steps are never re-run. */
  resume(runId: string): Promise<RunStateView>;
  /** The ready steps, highest upward rank (most critical) first. */
  ready(runId: string): string[];
  /** Starts up to `max` ready steps, critical first, within the run's concurrency limit. */
  next(runId: string, max?: number): StartedStep[];
  /** Starts one particular ready step (`E_CONFLICT` if it is not ready or no slot is free). */
  start(runId: string, stepId: string): StartedStep;
  /** Records a running step as done (with its output ref); resolves after the durable commit. */
  complete(runId: string, stepId: string, output?: ArtifactRef): Promise<void>;
  /** Stores `data` as the step's output artifact and completes the step in ONE transaction. */
  completeWithOutput(runId: string, stepId: string, data: ArtifactData, meta?: StepOutputMeta): Promise<ArtifactRef>;
  /** Records a failed attempt; the step's retry policy decides what happens next. */
  fail(runId: string, stepId: string, error: unknown): Promise<FailDecision>;
  /** Aborts in-flight steps' signals and starts nothing new; resolves once recorded. */
  cancel(runId: string, reason?: string): Promise<void>;
  state(runId: string): RunStateView;
  runs(filter?: { status?: RunStatus }): RunSummary[];
  criticalPath(runId: string): { path: string[]; length: number; ranks: Record<string, number> };
  /** `inputs` and the outputs (decoded from the artifact store) of the steps a step references. */
  context(runId: string, stepId: string): ExpressionContext;
  /** The step's `with:` with every `${{ }}` resolved. */
  resolveInputs(runId: string, stepId: string): Record<string, unknown>;
  /** Resolves with the final state when the run ends (at once for an ended run). */
  whenDone(runId: string): Promise<RunStateView>;
}
