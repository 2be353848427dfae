import { setMaxListeners } from 'node:events';
import {
  SymphonyError,
  validationError,
  type ArtifactRef,
  type Issue,
  type RetryPolicy,
  type SymphonyErrorJSON,
  type Workflow,
} from '@symphony/types/core';
import type { RunRecord, RunStatus, StepRecord } from './checkpoint.js';
import { upwardRanks } from './critical-path.js';
import { parseCondition, parseTemplates } from './expressions.js';
import { buildRunGraph, type RunGraph } from './graph.js';
import { ReadySet, StepStatus } from './ready-set.js';
import type { FailDecision, RunStateView, StepState } from './types.js';

/** One run this process drives: the graph, its ready set and per-step bookkeeping. */
export interface ActiveRun {
  id: string;
  record: RunRecord;
  graph: RunGraph;
  durations: Float64Array;
  ready: ReadySet;
  /** Aborts the steps in flight; replaced by a fresh one at the first cancel (the cleanup's own). */
  controller: AbortController;
  attempts: Int32Array;
  startedAt: Float64Array;
  /** Observed durations (ms) of finished attempts, -1 when none: folded into history at the end. */
  observed: Float64Array;
  outputs: Array<ArtifactRef | undefined>;
  errors: Array<SymphonyErrorJSON | undefined>;
  /** Steps whose completion is being committed (they still count as running). */
  completing: Uint8Array;
  /** Decoded outputs, loaded from the artifact store on first use. */
  values: Map<number, unknown>;
  /** Retry backoffs and timeouts, by step. */
  timers: Map<number, NodeJS.Timeout>;
  stepAborts: Map<number, AbortController>;
  /** Times each step's attempts were cut off by the host dying (restored from the records). */
  interruptions: Int32Array;
  /** `extension/method` that served each step, when the caller said so. */
  servedBy: Array<string | undefined>;
  failing: boolean;
  /** Cancelled: nothing starts but `if: always()` / `cancelled()` steps (GitHub's cleanup). */
  cancelled: boolean;
  /** Cancelled twice: the cleanup is aborted too and nothing more starts. */
  forced: boolean;
  /** Steps whose attempt a cancel cut off (their failure is `cancelled`, not a failure of the run). */
  aborted: Uint8Array;
  ended: boolean;
  /** This driver's lease token (every write is fenced by it). */
  owner: string;
  /** Completions handed to the ledger and not yet durable (`step:end` waits for them). */
  pendingCommits: number;
  /** The write batch in which this run's lease was last checked (once per batch suffices). */
  fencedBatch: number;
  /** Each running step's queued `running` record (a completion in the same batch supersedes it). */
  startWrites: Array<{ readonly batch: number } | undefined>;
  /** The write batch this run's latest completions were queued into, and how many went into it. */
  gathering: number;
  gathered: number;
  /** Set when the run stopped in this process without ending (lease lost, ledger full). */
  halted?: SymphonyError;
  /** Steps carried over from another run (a re-run), by index: that run's id. */
  reusedFrom?: Map<number, string>;
  done: Promise<RunStateView>;
  resolveDone(state: RunStateView): void;
  rejectDone(error: SymphonyError): void;
}

export function activate(record: RunRecord, graph: RunGraph, durations: Float64Array, owner: string): ActiveRun {
  const n = graph.ids.length;
  let resolveDone!: (state: RunStateView) => void;
  let rejectDone!: (error: SymphonyError) => void;
  const done = new Promise<RunStateView>((resolve, reject) => ((resolveDone = resolve), (rejectDone = reject)));
  // Nobody may be waiting on a run that halts: that must not be an unhandled rejection.
  done.catch(() => {});
  return {
    id: record.runId,
    record,
    graph,
    durations,
    ready: new ReadySet(graph, upwardRanks(graph, durations)),
    controller: runController(),
    attempts: new Int32Array(n),
    startedAt: new Float64Array(n),
    observed: new Float64Array(n).fill(-1),
    outputs: new Array(n).fill(undefined),
    errors: new Array(n).fill(undefined),
    completing: new Uint8Array(n),
    values: new Map(),
    timers: new Map(),
    stepAborts: new Map(),
    interruptions: new Int32Array(n),
    servedBy: new Array(n).fill(undefined),
    failing: false,
    cancelled: record.cancelled !== undefined,
    forced: record.cancelled?.forced === true,
    aborted: new Uint8Array(n),
    ended: false,
    owner,
    pendingCommits: 0,
    fencedBatch: -1,
    startWrites: new Array(n).fill(undefined),
    gathering: -1,
    gathered: 0,
    done,
    resolveDone,
    rejectDone,
  };
}

/**
 * The run's abort controller. Every step started without `timeoutMs` shares its signal, and each
 * call waiting on it adds a listener: a wide run (more than 10 steps at once) must not print
 * Node's MaxListenersExceededWarning on the user's terminal.
 */
export function runController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/**
 * The signal a started step gets: the run's, plus (with `timeoutMs`) its own that aborts with
 * `E_TIMEOUT` and reports the failure, unless this attempt finished first.
 */
export function armTimeout(run: ActiveRun, i: number, attempt: number, timeoutMs: number | undefined, onTimeout: (error: SymphonyError) => void): AbortSignal {
  if (timeoutMs === undefined) return run.controller.signal;
  const abort = new AbortController();
  const stepId = run.graph.ids[i] as string;
  run.stepAborts.set(i, abort);
  const timer = setTimeout(() => {
    if (run.ready.status[i] !== StepStatus.running || run.attempts[i] !== attempt || run.completing[i]) return;
    const error = new SymphonyError('E_TIMEOUT', `step "${stepId}" of run "${run.id}" took longer than ${timeoutMs} ms`, {
      details: { runId: run.id, stepId, timeoutMs, attempt },
    });
    abort.abort(error);
    onTimeout(error);
  }, timeoutMs);
  // Not unref'd: while a step may still time out, the process must not end under it.
  run.timers.set(i, timer);
  return AbortSignal.any([run.controller.signal, abort.signal]);
}

/** Output refs of a step's predecessors: the lineage inputs of its own output. */
export function upstreamOutputs(run: ActiveRun, i: number): ArtifactRef[] {
  const out: ArtifactRef[] = [];
  const g = run.graph;
  for (let e = g.predStart[i] as number; e < (g.predStart[i + 1] as number); e++) {
    const upstream = run.outputs[g.pred[e] as number];
    if (upstream) out.push(upstream);
  }
  return out;
}

/** Graph plus up-front checks of every `${{ }}` in `with:` and `if:`, so nothing runs on a typo. */
export function prepareGraph(workflow: Workflow): RunGraph {
  const graph = buildRunGraph(workflow);
  const issues: Issue[] = [];
  workflow.steps.forEach((step, i) => {
    try {
      parseTemplates(step.with);
    } catch (err) {
      issues.push({ path: `steps[${i}].with`, message: (err as Error).message });
    }
    try {
      if (step.if !== undefined) parseCondition(step.if);
    } catch (err) {
      issues.push({ path: `steps[${i}].if`, message: (err as Error).message });
    }
  });
  if (issues.length > 0) throw validationError('E_WORKFLOW_INVALID', `workflow "${workflow.name}"`, issues);
  return graph;
}

/** Checks given inputs against the workflow's declarations and fills defaults. */
export function checkInputs(workflow: Workflow, given: Record<string, unknown> = {}): Record<string, unknown> {
  const declared = workflow.inputs ?? {};
  const issues: Issue[] = [];
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) issues.push({ path: `inputs.${name}`, message: `workflow "${workflow.name}" declares no input "${name}"` });
  }
  for (const [name, spec] of Object.entries(declared)) {
    const value = Object.hasOwn(given, name) ? given[name] : spec.default;
    if (value === undefined) {
      if (spec.required) issues.push({ path: `inputs.${name}`, message: 'is required' });
      continue;
    }
    if (typeof value !== spec.type) issues.push({ path: `inputs.${name}`, message: `must be a ${spec.type}, got ${typeof value}` });
    out[name] = value;
  }
  if (issues.length > 0) throw validationError('E_INPUT_INVALID', `inputs of workflow "${workflow.name}"`, issues);
  return out;
}

/** The retry policy's verdict on a failed attempt (`attempts` already counts it). */
/** The longest wait between two attempts: one hour (the largest `backoffMs`). */
export const MAX_BACKOFF_MS = 3_600_000;

export function retryDecision(policy: RetryPolicy | undefined, attempts: number, code: string, continueOnError: boolean): FailDecision {
  if (policy && attempts <= policy.count && (!policy.on || policy.on.length === 0 || policy.on.includes(code))) {
    // Capped: past 2^31 - 1 ms a timer fires at once, so an exponential backoff turned into a burst.
    return { action: 'retry', attempt: attempts + 1, delayMs: Math.round(Math.min(MAX_BACKOFF_MS, policy.backoffMs * policy.factor ** (attempts - 1))) };
  }
  return continueOnError ? { action: 'continue' } : { action: 'fail' };
}

const STATE_NAMES: Record<number, StepState> = {
  [StepStatus.pending]: 'pending',
  [StepStatus.ready]: 'ready',
  [StepStatus.running]: 'running',
  [StepStatus.retrying]: 'retrying',
  [StepStatus.done]: 'done',
  [StepStatus.skipped]: 'skipped',
  [StepStatus.failed]: 'failed',
};

export function stateName(code: number): StepState {
  return STATE_NAMES[code] ?? 'pending';
}

export function viewOfActive(run: ActiveRun, status: RunStatus): RunStateView {
  const view = baseView(run.record, status, !run.ended);
  view.steps = run.graph.ids.map((stepId, i) => {
    const step: RunStateView['steps'][number] = {
      stepId,
      state: STATE_NAMES[run.ready.status[i] as number] as StepState,
      attempts: run.attempts[i] as number,
      rank: run.ready.ranks[i] as number,
    };
    const output = run.outputs[i];
    const error = run.errors[i];
    if (output) step.output = output;
    if (error) step.error = error;
    if (run.interruptions[i]) step.interruptions = run.interruptions[i] as number;
    if (run.aborted[i] && step.state === 'failed') step.cancelled = true;
    const servedBy = run.servedBy[i];
    if (servedBy) step.servedBy = servedBy;
    const reusedFrom = run.reusedFrom?.get(i);
    if (reusedFrom) step.reusedFrom = reusedFrom;
    return step;
  });
  return view;
}

export function viewOfRecords(record: RunRecord, steps: Map<string, StepRecord>): RunStateView {
  const view = baseView(record, record.status, false);
  const graph = buildRunGraph(record.workflow);
  const ranks = upwardRanks(graph, new Float64Array(graph.ids.length).fill(1));
  view.steps = graph.ids.map((stepId, i) => {
    const saved = steps.get(stepId);
    const step: RunStateView['steps'][number] = {
      stepId,
      state: saved ? (saved.status as StepState) : 'pending',
      attempts: saved?.attempts ?? 0,
      rank: ranks[i] as number,
    };
    if (saved?.output) step.output = saved.output;
    if (saved?.error) step.error = saved.error;
    if (saved?.interruptions) step.interruptions = saved.interruptions;
    if (saved?.cancelled && saved.status === 'failed') step.cancelled = true;
    if (saved?.servedBy) step.servedBy = saved.servedBy;
    if (saved?.startedAt) step.startedAt = saved.startedAt;
    if (saved?.endedAt) step.endedAt = saved.endedAt;
    if (saved?.reusedFrom) step.reusedFrom = saved.reusedFrom;
    return step;
  });
  return view;
}

function baseView(record: RunRecord, status: RunStatus, active: boolean): RunStateView {
  const view: RunStateView = {
    runId: record.runId,
    workflow: record.workflow.name,
    status,
    active,
    createdAt: record.createdAt,
    inputs: record.inputs,
    resumes: record.resumes ?? 0,
    steps: [],
  };
  if (record.endedAt !== undefined) view.endedAt = record.endedAt;
  if (record.concurrency !== undefined) view.concurrency = record.concurrency;
  if (record.meta) view.meta = record.meta;
  if (record.error) view.error = record.error;
  return view;
}

export function notActive(runId: string, known: boolean): SymphonyError {
  return known
    ? new SymphonyError('E_CONFLICT', `run "${runId}" is not active in this process: resume it first (or it has ended)`, { details: { runId } })
    : new SymphonyError('E_NOT_FOUND', `no run "${runId}"`, { details: { runId } });
}

export function indexOf(run: ActiveRun, stepId: string): number {
  const i = run.graph.index.get(stepId);
  if (i === undefined) {
    throw new SymphonyError('E_NOT_FOUND', `run "${run.id}" has no step "${stepId}"`, { details: { runId: run.id, stepId } });
  }
  return i;
}

/** Throws `E_CONFLICT` unless step i is running (and not already being completed). */
export function requireRunning(run: ActiveRun, i: number, what: string): void {
  if (run.ready.status[i] !== StepStatus.running || run.completing[i]) {
    const state = run.completing[i] ? 'completing' : stateName(run.ready.status[i] as number);
    throw new SymphonyError('E_CONFLICT', `cannot ${what} step "${run.graph.ids[i]}" of run "${run.id}": it is not running`, {
      details: { runId: run.id, stepId: run.graph.ids[i], state },
    });
  }
}

export function stepRecord(run: ActiveRun, i: number, status: StepRecord['status'], extra: Partial<StepRecord> = {}): StepRecord {
  const record: StepRecord = { status, attempts: run.attempts[i] as number, ...extra };
  if (run.startedAt[i]) record.startedAt = run.startedAt[i] as number;
  if (run.interruptions[i]) record.interruptions = run.interruptions[i] as number;
  if (status === 'failed' && run.aborted[i]) record.cancelled = true;
  const servedBy = run.servedBy[i];
  if (servedBy) record.servedBy = servedBy;
  return record;
}
