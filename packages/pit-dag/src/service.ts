import { randomUUID } from 'node:crypto';
import {
  SymphonyError,
  silentLogger,
  toSymphonyError,
  validateWorkflow,
  type ArtifactData,
  type ArtifactRef,
  type ArtifactsService,
  type LedgerService,
  type Logger,
} from '@symphony/types';
import { Checkpoints, type RunRecord, type RunStatus } from './checkpoint.js';
import { criticalPath } from './critical-path.js';
import { evaluateCondition, resolveTemplate, type ExpressionContext } from './expressions.js';
import { StepStatus } from './ready-set.js';
import { planRecovery } from './recovery.js';
import { stepContext } from './step-context.js';
import {
  activate,
  armTimeout,
  checkInputs,
  indexOf,
  notActive,
  prepareGraph,
  requireRunning,
  retryDecision,
  stepRecord,
  upstreamOutputs,
  viewOfActive,
  viewOfRecords,
  type ActiveRun,
} from './run.js';
import { WriteQueue } from './write-queue.js';
import type { CreateRunOptions, DagService, FailDecision, RunEventSink, RunStateView, StartedStep, StepOutputMeta } from './types.js';

export interface DagServiceDeps {
  ledger: LedgerService;
  /** Needed for `completeWithOutput` and for reading outputs in expressions. */
  artifacts?: ArtifactsService;
  events?: RunEventSink;
  logger?: Logger;
  now?: () => number;
}

const noEvents: RunEventSink = { emit: () => false };

/** The DAG tracker over the shared ledger (the `pit.dag` service). */
export function createDagService(deps: DagServiceDeps): DagService & { close(): void } {
  const { ledger, artifacts } = deps;
  const events = deps.events ?? noEvents;
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const checkpoints = new Checkpoints(ledger);
  const active = new Map<string, ActiveRun>();

  function get(runId: string): ActiveRun {
    const run = active.get(runId);
    if (!run) throw notActive(runId, checkpoints.run(runId) !== undefined);
    return run;
  }

  const writes = new WriteQueue(ledger, logger);
  const background = (write: () => void): void => writes.later(write);
  const tx = <T>(fn: () => T): Promise<T> => writes.now(fn);

  const contextFor = (run: ActiveRun, withValue: unknown, condition?: string): ExpressionContext =>
    stepContext(run, artifacts, withValue, condition);

  /**
   * Newly ready steps: skip those whose `if:` is false (cascading), announce the rest. GitHub's
   * rule: a step without `if:` runs on `success()` only, so once the run is failing only steps
   * whose `if:` calls a status function (`always()`, `failure()`) can still run.
   */
  function settleReady(run: ActiveRun, fresh: number[]): void {
    const at = now();
    while (fresh.length > 0) {
      const i = fresh.shift() as number;
      const step = run.graph.steps[i];
      if (!step || run.cancelled || run.ready.status[i] !== StepStatus.ready) continue;
      if (step.if !== undefined || run.failing) {
        let go: boolean;
        try {
          go = evaluateCondition(step.if, contextFor(run, undefined, step.if));
        } catch (err) {
          run.ready.startSpecific(i);
          run.errors[i] = toSymphonyError(err).toJSON();
          failForGood(run, i, toSymphonyError(err));
          continue;
        }
        if (!go) {
          run.ready.startSpecific(i);
          run.ready.complete(i, StepStatus.skipped, (s) => fresh.push(s));
          background(() => checkpoints.writeStep(run.id, step.id, stepRecord(run, i, 'skipped', { endedAt: at })));
          events.emit('step:end', { runId: run.id, stepId: step.id, attempt: 0, skipped: true, durationMs: 0, at });
          continue;
        }
      }
      events.emit('step:ready', { runId: run.id, stepId: run.graph.ids[i] as string, at });
    }
  }

  /** Drops pending retry backoffs; running steps keep their timeouts, so a hung one still ends. */
  function stopRetries(run: ActiveRun): void {
    for (const [i, timer] of run.timers) {
      if (run.ready.status[i] !== StepStatus.retrying) continue;
      clearTimeout(timer);
      run.timers.delete(i);
    }
  }

  function failForGood(run: ActiveRun, i: number, error: SymphonyError): void {
    const at = now();
    // Successors are released (as failed), so `if: failure()` / `always()` steps can run; the
    // steps already queued were admitted on success() and are judged again below.
    // (A queued retry of a step that already ran is not judged again: it just never starts.)
    const fresh = run.cancelled ? [] : run.ready.snapshot().filter((q) => run.attempts[q] === 0);
    run.ready.clear();
    if (run.cancelled) run.ready.fail(i);
    else {
      for (const q of fresh) run.ready.requeue(q);
      run.ready.complete(i, StepStatus.failed, (s) => fresh.push(s));
    }
    run.failing = true;
    stopRetries(run);
    background(() => checkpoints.writeStep(run.id, run.graph.ids[i] as string, stepRecord(run, i, 'failed', { error: error.toJSON(), endedAt: at })));
    events.emit('step:fail', {
      runId: run.id,
      stepId: run.graph.ids[i] as string,
      attempt: run.attempts[i] as number,
      error: error.toJSON(),
      durationMs: run.startedAt[i] ? at - (run.startedAt[i] as number) : 0,
      at,
    });
    settleReady(run, fresh);
  }

  function maybeEnd(run: ActiveRun): void {
    if (run.ended || run.ready.running > 0) return;
    let status: RunStatus;
    if (run.cancelled) status = 'cancelled';
    else if (run.failing) {
      // `if: always()` / `failure()` steps still queued run before the run ends.
      if (run.ready.readyCount > 0) return;
      status = 'failed';
    }
    else if (run.ready.finished === run.graph.ids.length) status = 'succeeded';
    else return;
    run.ended = true;
    const endedAt = now();
    run.record = { ...run.record, status, endedAt };
    const record = run.record;
    tx(() => {
      checkpoints.writeRun(record);
      // Duration estimates for the next runs' ranks: written once per run, not per step.
      run.observed.forEach((ms, i) => {
        if (ms >= 0) checkpoints.recordDuration(record.workflow.name, run.graph.ids[i] as string, ms);
      });
    })
      .catch((err: unknown) => logger.error({ err, runId: run.id }, 'pit.dag: could not record the end of a run'))
      .finally(() => {
        active.delete(run.id);
        events.emit('run:end', { runId: run.id, status, durationMs: endedAt - record.createdAt, at: endedAt });
        run.resolveDone(viewOfActive(run, status));
      });
  }

  function startStep(run: ActiveRun, i: number): StartedStep {
    const at = now();
    const stepId = run.graph.ids[i] as string;
    const step = run.graph.steps[i] as NonNullable<ActiveRun['graph']['steps'][number]>;
    const attempt = (run.attempts[i] = (run.attempts[i] as number) + 1);
    run.startedAt[i] = at;
    const signal = armTimeout(run, i, attempt, step.timeoutMs, (error) =>
      service.fail(run.id, stepId, error).catch((err: unknown) => logger.error({ err }, 'pit.dag: timeout handling failed')),
    );
    background(() => checkpoints.writeStep(run.id, stepId, stepRecord(run, i, 'running')));
    events.emit('step:start', { runId: run.id, stepId, attempt, at });
    return { runId: run.id, stepId, step, attempt, signal, startedAt: at };
  }

  function clearStepTimer(run: ActiveRun, i: number): void {
    const timer = run.timers.get(i);
    if (timer) clearTimeout(timer);
    run.timers.delete(i);
    run.stepAborts.delete(i);
  }

  /** Commits a completion (plus whatever `extra` writes in the same transaction), then releases successors. */
  async function finish<T>(run: ActiveRun, i: number, extra: () => { output?: ArtifactRef; result: T }): Promise<T> {
    requireRunning(run, i, 'complete');
    run.completing[i] = 1;
    const stepId = run.graph.ids[i] as string;
    const at = now();
    let committed: { output?: ArtifactRef; result: T };
    try {
      committed = await tx(() => {
        // Exactly-once for recorded outputs, even if two processes drive the same run.
        if (checkpoints.step(run.id, stepId)?.status === 'done') {
          throw new SymphonyError('E_CONFLICT', `step "${stepId}" of run "${run.id}" is already recorded as done`, { details: { runId: run.id, stepId } });
        }
        const out = extra();
        checkpoints.writeStep(run.id, stepId, stepRecord(run, i, 'done', { ...(out.output ? { output: out.output } : {}), endedAt: at }));
        return out;
      });
    } catch (err) {
      run.completing[i] = 0;
      throw toSymphonyError(err);
    }
    run.completing[i] = 0;
    clearStepTimer(run, i);
    run.observed[i] = Math.max(0, at - (run.startedAt[i] as number));
    run.outputs[i] = committed.output;
    const fresh: number[] = [];
    run.ready.complete(i, StepStatus.done, run.cancelled ? undefined : (s) => fresh.push(s));
    if (run.cancelled) run.ready.clear();
    const end = now();
    events.emit('step:end', {
      runId: run.id,
      stepId,
      attempt: run.attempts[i] as number,
      ...(committed.output ? { output: committed.output } : {}),
      durationMs: end - (run.startedAt[i] as number),
      at: end,
    });
    settleReady(run, fresh);
    maybeEnd(run);
    return committed.result;
  }

  async function begin(
    run: ActiveRun,
    resumed: boolean,
    preFinished: (i: number) => number | undefined,
    afterStart: () => void = () => {},
  ): Promise<RunStateView> {
    active.set(run.id, run);
    const fresh: number[] = [];
    run.ready.restore(preFinished, (i) => fresh.push(i));
    if (run.cancelled) run.ready.clear();
    events.emit('run:start', { runId: run.id, workflow: run.record.workflow.name, at: now(), resumed });
    afterStart();
    settleReady(run, fresh);
    maybeEnd(run);
    return viewOfActive(run, run.record.status);
  }

  function durationsFor(workflowName: string, ids: readonly string[], estimates: Record<string, number> = {}): Float64Array {
    return Float64Array.from(ids, (id) => estimates[id] ?? checkpoints.estimate(workflowName, id) ?? 1);
  }

  const resuming = new Map<string, Promise<RunStateView>>();
  async function resumeRun(runId: string): Promise<RunStateView> {
    const record = checkpoints.run(runId);
    if (!record) throw notActive(runId, false);
    if (record.status !== 'running') {
      throw new SymphonyError('E_CONFLICT', `run "${runId}" already ended (${record.status})`, { details: { runId, status: record.status } });
    }
    const graph = prepareGraph(record.workflow);
    const run = activate(record, graph, durationsFor(record.workflow.name, graph.ids));
    const at = now();
    const plan = planRecovery(run, checkpoints.stepsOf(runId), at);
    if (plan.rewrites.length > 0) await tx(() => plan.rewrites.forEach(([id, r]) => checkpoints.writeStep(runId, id, r)));
    run.failing = plan.failing;
    return begin(run, true, (i) => plan.finished.get(i), () => {
      for (const r of plan.retries) events.emit('step:retry', { runId, stepId: r.stepId, attempt: r.attempt, delayMs: 0, error: r.error, at });
    });
  }

  const service: DagService & { close(): void } = {
    async createRun(input, options: CreateRunOptions = {}) {
      const workflow = validateWorkflow(input);
      const graph = prepareGraph(workflow);
      const inputs = checkInputs(workflow, options.inputs);
      const runId = options.runId ?? `${now().toString(36)}-${randomUUID().slice(0, 8)}`;
      const record: RunRecord = { runId, workflow, inputs, status: 'running', createdAt: now() };
      const concurrency = options.concurrency ?? workflow.concurrency;
      if (concurrency !== undefined) record.concurrency = concurrency;
      await tx(() => {
        if (checkpoints.run(runId)) throw new SymphonyError('E_CONFLICT', `a run "${runId}" already exists`, { details: { runId } });
        checkpoints.writeRun(record);
      });
      const run = activate(record, graph, durationsFor(workflow.name, graph.ids, options.estimates));
      return begin(run, false, () => undefined);
    },

    resume(runId) {
      const running = active.get(runId);
      if (running) return Promise.resolve(viewOfActive(running, running.record.status));
      // Two resume calls at once share one: a run is driven by at most one ActiveRun.
      let pending = resuming.get(runId);
      if (!pending) {
        pending = resumeRun(runId).finally(() => resuming.delete(runId));
        resuming.set(runId, pending);
      }
      return pending;
    },

    ready(runId) {
      const run = get(runId);
      return run.ready.snapshot().map((i) => run.graph.ids[i] as string);
    },

    next(runId, max = Infinity) {
      const run = get(runId);
      const limit = run.record.concurrency ?? Infinity;
      const started: StartedStep[] = [];
      while (started.length < max && run.ready.running < limit) {
        const i = run.ready.take();
        if (i < 0) break;
        started.push(startStep(run, i));
      }
      return started;
    },

    start(runId, stepId) {
      const run = get(runId);
      const i = indexOf(run, stepId);
      if (run.ready.running >= (run.record.concurrency ?? Infinity)) {
        throw new SymphonyError('E_CONFLICT', `run "${runId}" already runs ${run.ready.running} steps (its concurrency limit)`, {
          details: { runId, stepId, concurrency: run.record.concurrency },
        });
      }
      if (!run.ready.startSpecific(i)) {
        throw new SymphonyError('E_CONFLICT', `step "${stepId}" of run "${runId}" is not ready`, { details: { runId, stepId } });
      }
      return startStep(run, i);
    },

    complete(runId, stepId, output) {
      return Promise.resolve().then(() => {
        const run = get(runId);
        return finish(run, indexOf(run, stepId), () => ({ ...(output ? { output } : {}), result: undefined }));
      });
    },

    completeWithOutput(runId, stepId, data: ArtifactData, meta: StepOutputMeta = {}) {
      return Promise.resolve().then(() => {
        const run = get(runId);
        const i = indexOf(run, stepId);
        if (!artifacts) {
          throw new SymphonyError('E_SERVICE_UNKNOWN', 'completeWithOutput needs the pit.artifacts service', { details: { service: 'pit.artifacts' } });
        }
        const { name, ...artifactMeta } = meta;
        const inputs = [...(artifactMeta.inputs ?? []), ...upstreamOutputs(run, i)];
        return finish(run, i, () => {
          const output = artifacts.writeInTransaction(name ?? `${run.record.workflow.name}/${stepId}`, data, {
            kind: 'step-output',
            ...artifactMeta,
            inputs,
            producer: { ...artifactMeta.producer, runId, stepId },
          });
          return { output, result: output };
        });
      });
    },

    async fail(runId, stepId, cause) {
      const run = get(runId);
      const i = indexOf(run, stepId);
      requireRunning(run, i, 'fail');
      clearStepTimer(run, i);
      const error = toSymphonyError(cause, 'E_STEP_FAILED');
      const step = run.graph.steps[i] as NonNullable<(typeof run.graph.steps)[number]>;
      const attempts = run.attempts[i] as number;
      const decision: FailDecision =
        run.cancelled || run.failing ? { action: 'fail' } : retryDecision(step.retry, attempts, error.code, step.continueOnError ?? false);
      const at = now();
      run.errors[i] = error.toJSON();
      if (decision.action === 'retry') {
        run.ready.park(i);
        background(() => checkpoints.writeStep(run.id, stepId, stepRecord(run, i, 'retrying', { error: error.toJSON() })));
        events.emit('step:retry', { runId, stepId, attempt: decision.attempt, delayMs: decision.delayMs, error: error.toJSON(), at });
        const timer = setTimeout(() => {
          run.timers.delete(i);
          if (run.failing || run.cancelled || run.ended) return;
          run.ready.requeue(i);
          settleReady(run, [i]);
        }, decision.delayMs);
        timer.unref();
        run.timers.set(i, timer);
        return decision;
      }
      if (decision.action === 'continue') {
        await tx(() => checkpoints.writeStep(run.id, stepId, stepRecord(run, i, 'failed', { error: error.toJSON(), continued: true, endedAt: at })));
        const fresh: number[] = [];
        run.ready.complete(i, StepStatus.failed, (s) => fresh.push(s));
        events.emit('step:fail', { runId, stepId, attempt: attempts, error: error.toJSON(), durationMs: at - (run.startedAt[i] as number), at });
        settleReady(run, fresh);
        maybeEnd(run);
        return decision;
      }
      await tx(() => checkpoints.writeStep(run.id, stepId, stepRecord(run, i, 'failed', { error: error.toJSON(), endedAt: at })));
      failForGood(run, i, error);
      maybeEnd(run);
      return decision;
    },

    async cancel(runId, reason = 'cancelled') {
      const run = get(runId);
      if (run.cancelled || run.ended) return;
      run.cancelled = true;
      const record = { ...run.record, status: 'cancelled' as const };
      await tx(() => checkpoints.writeRun(record));
      stopRetries(run);
      run.ready.clear();
      run.controller.abort(new SymphonyError('E_ABORTED', `run "${runId}" was cancelled: ${reason}`, { details: { runId, reason } }));
      maybeEnd(run);
    },

    state(runId) {
      const run = active.get(runId);
      if (run) return viewOfActive(run, run.ended ? (run.record.status as RunStatus) : run.cancelled ? 'cancelled' : run.record.status);
      const record = checkpoints.run(runId);
      if (!record) throw notActive(runId, false);
      return viewOfRecords(record, checkpoints.stepsOf(runId));
    },

    runs(filter = {}) {
      return checkpoints
        .listRuns()
        .filter((r) => filter.status === undefined || r.status === filter.status)
        .map((r) => ({ runId: r.runId, workflow: r.workflow.name, status: r.status, createdAt: r.createdAt, ...(r.endedAt ? { endedAt: r.endedAt } : {}) }));
    },

    criticalPath(runId) {
      const run = get(runId);
      const cp = criticalPath(run.graph, run.durations, run.ready.ranks);
      const ranks: Record<string, number> = {};
      run.graph.ids.forEach((id, i) => (ranks[id] = run.ready.ranks[i] as number));
      return { ...cp, ranks };
    },

    context(runId, stepId) {
      const run = get(runId);
      const i = indexOf(run, stepId);
      const step = run.graph.steps[i];
      return contextFor(run, step?.with, step?.if);
    },

    resolveInputs(runId, stepId) {
      const run = get(runId);
      const i = indexOf(run, stepId);
      const step = run.graph.steps[i];
      return (resolveTemplate(step?.with ?? {}, contextFor(run, step?.with)) ?? {}) as Record<string, unknown>;
    },

    whenDone(runId) {
      const run = active.get(runId);
      if (run) return run.done;
      return Promise.resolve().then(() => {
        const state = service.state(runId);
        // A run that crashed mid-way is "running" in the ledger but nobody drives it.
        if (state.status === 'running') throw notActive(runId, true);
        return state;
      });
    },

    close() {
      for (const run of active.values()) for (const timer of run.timers.values()) clearTimeout(timer);
      active.clear();
    },
  };
  return service;
}
