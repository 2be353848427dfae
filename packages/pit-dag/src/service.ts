import { randomUUID } from 'node:crypto';
import {
  SymphonyError,
  silentLogger,
  toSymphonyError,
  type ArtifactData,
  type ArtifactRef,
  type ArtifactsService,
  type LedgerService,
  type Logger,
  type SymphonyErrorJSON,
} from '@symphony/types/core';
import { Checkpoints, type RunRecord, type RunStatus, type StepRecord } from './checkpoint.js';
import { acquireLease, dropOwner, fence, holderAlive, newOwner } from './lease.js';
import { criticalPath, stepSlack } from './critical-path.js';
import { evaluateCondition, resolveTemplate, type ExpressionContext } from './expressions.js';
import { StepStatus } from './ready-set.js';
import { DEFAULT_MAX_INTERRUPTIONS, planRecovery } from './recovery.js';
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
  runController,
  stepRecord,
  upstreamOutputs,
  viewOfActive,
  viewOfRecords,
  type ActiveRun,
} from './run.js';
import { WriteQueue, type QueuedWrite } from './write-queue.js';
import type { CreateRunOptions, DagService, FailDecision, RunEventSink, RunStateView, StartedStep, StepOutputMeta } from './types.js';

export interface DagServiceDeps {
  ledger: LedgerService;
  /** Needed for `completeWithOutput` and for reading outputs in expressions. */
  artifacts?: ArtifactsService;
  events?: RunEventSink;
  logger?: Logger;
  now?: () => number;
  /** Host crashes one step may suffer before it fails `E_INTERRUPTED`. Default 3. */
  maxInterruptions?: number;
  /** A run's lease expires when its holder has not renewed it for this long. Default 30 s. */
  leaseTtlMs?: number;
}

/** Failures of the store itself: the run stops in this process (still `running`, resumable). */
const HALTING = new Set(['E_LEDGER_FULL', 'E_LEDGER_WRITE', 'E_LEDGER_CLOSED', 'E_LEDGER_CORRUPT', 'E_LEDGER_READONLY', 'E_RUN_LOCKED']);
export const DEFAULT_LEASE_TTL_MS = 30_000;

const noEvents: RunEventSink = { emit: () => false };

/**
 * Listeners observe a run; they never steer it. One that throws (an embedder's bug, a server whose
 * event log cannot be written) is logged: emitted inside the engine's own bookkeeping, its error
 * had left runs `running` forever (run:start, step:ready, step:start) or crashed the process (run:end).
 */
function guarded(sink: RunEventSink, logger: Logger): RunEventSink {
  return {
    emit(event, ...args) {
      try {
        return sink.emit(event, ...args);
      } catch (err) {
        logger.warn({ err, event }, `pit.dag: a listener of ${event} threw (the run goes on)`);
        return false;
      }
    },
  };
}

/** The DAG tracker over the shared ledger (the `pit.dag` service). */
export function createDagService(deps: DagServiceDeps): DagService {
  const { ledger, artifacts } = deps;
  const logger = deps.logger ?? silentLogger;
  const events = guarded(deps.events ?? noEvents, logger);
  const now = deps.now ?? Date.now;
  const checkpoints = new Checkpoints(ledger);
  const active = new Map<string, ActiveRun>();
  const maxInterruptions = deps.maxInterruptions ?? DEFAULT_MAX_INTERRUPTIONS;
  const leaseTtlMs = deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  let heartbeat: NodeJS.Timeout | undefined;

  /** Renews the leases of the runs this process drives (unref'd: a run's own work keeps the process alive). */
  function ensureHeartbeat(): void {
    if (heartbeat || active.size === 0) return;
    heartbeat = setInterval(() => {
      if (active.size === 0) {
        clearInterval(heartbeat);
        heartbeat = undefined;
        return;
      }
      const at = now();
      for (const run of active.values()) {
        if (run.ended) continue;
        tx(() => {
          const lease = checkpoints.lease(run.id);
          fence(checkpoints, run.id, run.owner);
          checkpoints.writeLease(run.id, { ...(lease as NonNullable<typeof lease>), heartbeatAt: at });
        }).catch((err: unknown) => halt(run, err));
      }
    }, Math.max(50, Math.floor(leaseTtlMs / 3)));
    heartbeat.unref();
  }

  /** The run stops here without ending: in-flight steps are aborted, its record stays `running`. */
  function halt(run: ActiveRun, cause: unknown): void {
    const error = toSymphonyError(cause, 'E_LEDGER_WRITE');
    if (run.ended) return;
    run.ended = true;
    run.halted = error;
    for (const timer of run.timers.values()) clearTimeout(timer);
    run.timers.clear();
    run.ready.clear();
    run.controller.abort(error);
    active.delete(run.id);
    dropOwner(run.owner);
    logger.error({ err: error, runId: run.id }, 'pit.dag: the run stopped in this process (resume it once the cause is fixed)');
    run.rejectDone(error);
  }

  const halting = (err: unknown): boolean => HALTING.has(toSymphonyError(err).code);

  function get(runId: string): ActiveRun {
    const run = active.get(runId);
    if (!run) throw notActive(runId, checkpoints.run(runId) !== undefined);
    return run;
  }

  /** A fire-and-forget checkpoint of one run, fenced by its lease (a refused one halts the run). */
  function backgroundFor(run: ActiveRun, write: () => void): QueuedWrite {
    return writes.later(
      () => {
        try {
          fenceOnce(run);
          write();
        } catch (err) {
          queueMicrotask(() => halt(run, err));
        }
      },
      (err) => halt(run, err),
    );
  }

  const writes = new WriteQueue(ledger, logger);
  /** The lease check, once per run per group-committed batch (inside that batch's transaction). */
  const fenceOnce = (run: ActiveRun): void => {
    if (writes.current >= 0 && run.fencedBatch === writes.current) return;
    fence(checkpoints, run.id, run.owner);
    run.fencedBatch = writes.current;
  };
  const tx = <T>(fn: () => T): Promise<T> => writes.now(fn);
  /** A transaction of one run, fenced by its lease; a store failure halts the run. */
  const fenced = <T>(run: ActiveRun, fn: () => T): Promise<T> =>
    tx(() => {
      fenceOnce(run);
      return fn();
    }).catch((err: unknown) => {
      if (halting(err)) halt(run, err);
      throw toSymphonyError(err);
    });

  const contextFor = (run: ActiveRun, withValue: unknown, condition?: string): ExpressionContext =>
    stepContext(run, artifacts, withValue, condition);

  /**
   * Newly ready steps: skip those whose `if:` is false (cascading), announce the rest. GitHub's
   * rule: a step without `if:` runs on `success()` only, so once the run is failing or cancelled
   * only steps whose `if:` calls a status function (`always()`, `failure()`, `cancelled()`) can
   * still run. After a second cancel nothing starts.
   */
  function settleReady(run: ActiveRun, fresh: number[]): void {
    const at = now();
    while (fresh.length > 0) {
      const i = fresh.shift() as number;
      const step = run.graph.steps[i];
      if (!step || run.forced || run.ready.status[i] !== StepStatus.ready) continue;
      if (step.if !== undefined || run.failing || run.cancelled) {
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
          backgroundFor(run, () => checkpoints.writeStep(run.id, step.id, stepRecord(run, i, 'skipped', { endedAt: at })));
          events.emit('step:end', { runId: run.id, stepId: step.id, attempt: 0, skipped: true, durationMs: 0, at });
          continue;
        }
      }
      events.emit('step:ready', { runId: run.id, stepId: run.graph.ids[i] as string, at });
    }
  }

  /**
   * Drops pending retry backoffs and returns the steps whose retry will never start; running steps
   * keep their timeouts, so a hung one still ends.
   */
  function stopRetries(run: ActiveRun): number[] {
    const dropped: number[] = [];
    for (const [i, timer] of run.timers) {
      if (run.ready.status[i] !== StepStatus.retrying) continue;
      clearTimeout(timer);
      run.timers.delete(i);
      dropped.push(i);
    }
    return dropped;
  }

  function failForGood(run: ActiveRun, i: number, error: SymphonyError): void {
    const at = now();
    // Successors are released (as failed), so `if: failure()` / `always()` steps can run; the
    // steps already queued were admitted on success() and are judged again below.
    // A queued retry of a step that already ran never starts: it fails for good below.
    const queued = run.forced ? [] : run.ready.snapshot();
    const fresh = queued.filter((q) => run.attempts[q] === 0);
    const queuedRetries = queued.filter((q) => (run.attempts[q] as number) > 0);
    run.ready.clear();
    if (run.forced) run.ready.fail(i);
    else {
      for (const q of fresh) run.ready.requeue(q);
      run.ready.complete(i, StepStatus.failed, (s) => fresh.push(s));
    }
    // An attempt a cancel cut off ends `cancelled`: that is no failure of the run (`failure()`).
    if (!run.aborted[i]) run.failing = true;
    // A step waiting out a retry backoff (or queued for its retry) never retries in a failing run:
    // it fails for good with its last error, so its successors are judged too (an `if: failure()`
    // after it still runs) and the run never ends with it pending.
    const dropped = [...stopRetries(run), ...queuedRetries];
    const failed = [{ i, error: error.toJSON() }];
    for (const q of dropped) {
      if (!run.forced) run.ready.complete(q, StepStatus.failed, (s) => fresh.push(s));
      const last = run.errors[q] ?? error.toJSON();
      failed.push({ i: q, error: last });
    }
    for (const f of failed) {
      backgroundFor(run, () => checkpoints.writeStep(run.id, run.graph.ids[f.i] as string, stepRecord(run, f.i, 'failed', { error: f.error, endedAt: at })));
      events.emit('step:fail', {
        runId: run.id,
        stepId: run.graph.ids[f.i] as string,
        attempt: run.attempts[f.i] as number,
        error: f.error,
        durationMs: run.startedAt[f.i] ? at - (run.startedAt[f.i] as number) : 0,
        at,
      });
    }
    settleReady(run, fresh);
  }

  function maybeEnd(run: ActiveRun): void {
    if (run.ended || run.ready.running > 0 || run.pendingCommits > 0) return;
    let status: Exclude<RunStatus, 'running'>;
    if (run.cancelled) {
      // Its `if: always()` / `cancelled()` steps still queued run before the run ends.
      if (run.ready.readyCount > 0) return;
      status = 'cancelled';
    } else if (run.failing) {
      // `if: always()` / `failure()` steps still queued run before the run ends.
      if (run.ready.readyCount > 0) return;
      status = 'failed';
    }
    else if (run.ready.finished === run.graph.ids.length) status = 'succeeded';
    else return;
    end(run, status);
  }

  /**
   * Ends the run: its final record, the lease's release and the duration history go into the
   * batch being gathered (with the last completions, when they are still in it: one commit);
   * `run:end` follows once that commit is durable.
   */
  function end(run: ActiveRun, status: Exclude<RunStatus, 'running'>): void {
    run.ended = true;
    const endedAt = now();
    const failedAt = status === 'failed' ? run.graph.ids.findIndex((_, i) => run.ready.status[i] === StepStatus.failed && run.errors[i]) : -1;
    const failure = failedAt >= 0 ? { ...stripStack(run.errors[failedAt] as NonNullable<(typeof run.errors)[number]>), stepId: run.graph.ids[failedAt] as string } : undefined;
    const record: RunRecord = { ...run.record, status, endedAt, ...(failure ? { error: failure } : {}) };
    tx(() => {
      fenceOnce(run);
      checkpoints.writeRun(record);
      checkpoints.removeLease(run.id);
      // Duration estimates for the next runs' ranks: one record per workflow, once per run.
      const observed = new Map<string, number>();
      run.observed.forEach((ms, i) => {
        if (ms >= 0) observed.set(run.graph.ids[i] as string, ms);
      });
      checkpoints.recordDurations(record.workflow.name, observed);
    }).then(
      () => {
        run.record = record;
        // The run leaves this process's active set on the next turn, so a driver that asks for
        // more work right after its last acknowledgement (same turn) hears "nothing ready", not
        // "not active": the end may share the commit of that very acknowledgement.
        setImmediate(() => {
          active.delete(run.id);
          dropOwner(run.owner);
          events.emit('run:end', { runId: run.id, status, durationMs: endedAt - record.createdAt, at: endedAt });
          run.resolveDone(viewOfActive(run, status));
        });
      },
      (err: unknown) => {
        run.ended = false;
        halt(run, err);
      },
    );
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
    run.startWrites[i] = backgroundFor(run, () => checkpoints.writeStep(run.id, stepId, stepRecord(run, i, 'running')));
    events.emit('step:start', { runId: run.id, stepId, attempt, at });
    return { runId: run.id, stepId, step, attempt, signal, startedAt: at };
  }

  function clearStepTimer(run: ActiveRun, i: number): void {
    const timer = run.timers.get(i);
    if (timer) clearTimeout(timer);
    run.timers.delete(i);
    run.stepAborts.delete(i);
  }

  /**
   * Completes step i with pipelined release: its successors are released at once (its output
   * value is in memory), its completion (plus whatever `extra` writes, in the same transaction)
   * goes to the ledger, where completions of the same turn share one commit (group commit), and
   * `step:end` (the acknowledgement that it will never run again) is emitted only once that commit
   * is durable. A commit that fails (ledger full, lease lost) halts the run in this process.
   */
  function finish<T>(run: ActiveRun, i: number, value: { has: boolean; value?: unknown }, extra: () => { output?: ArtifactRef; result: T }): Promise<T> {
    requireRunning(run, i, 'complete');
    const stepId = run.graph.ids[i] as string;
    const at = now();
    clearStepTimer(run, i);
    run.observed[i] = Math.max(0, at - (run.startedAt[i] as number));
    if (value.has) run.values.set(i, value.value);
    const fresh: number[] = [];
    run.ready.complete(i, StepStatus.done, run.forced ? undefined : (s) => fresh.push(s));
    if (run.forced) run.ready.clear();
    run.pendingCommits++;
    if (run.gathering !== writes.gathering) {
      run.gathering = writes.gathering;
      run.gathered = 0;
    }
    run.gathered++;
    // Its `running` record, if still queued, would be overwritten in the same transaction.
    writes.supersede(run.startWrites[i]);
    run.startWrites[i] = undefined;
    // One promise per completion: the write queue calls back when the batch's commit is durable.
    const acknowledged = new Promise<T>((resolve, reject) => {
      writes.call(
        () => {
          fenceOnce(run);
          const out = extra();
          if (out.output) run.outputs[i] = out.output;
          checkpoints.writeStep(run.id, stepId, stepRecord(run, i, 'done', { ...(out.output ? { output: out.output } : {}), endedAt: at }));
          return out;
        },
        (value) => {
          const out = value as { output?: ArtifactRef; result: T };
          run.pendingCommits--;
          if (run.halted) {
            reject(run.halted);
            return;
          }
          const end = now();
          try {
            events.emit('step:end', {
              runId: run.id,
              stepId,
              attempt: run.attempts[i] as number,
              ...(out.output ? { output: out.output } : {}),
              durationMs: end - (run.startedAt[i] as number),
              at: end,
            });
          } finally {
            resolve(out.result);
            maybeEnd(run);
          }
        },
        (err: unknown) => {
          run.pendingCommits--;
          const error = toSymphonyError(err);
          halt(run, error);
          reject(error);
        },
      );
    });
    settleReady(run, fresh);
    // The last step of a succeeding run: when every completion not yet durable is in the batch
    // being gathered, the run's end joins that batch (one commit for both). An older batch still
    // committing could yet fail, so then the end waits for it (maybeEnd after the acknowledgement).
    if (
      !run.ended &&
      !run.cancelled &&
      !run.failing &&
      run.ready.running === 0 &&
      run.ready.finished === run.graph.ids.length &&
      run.gathering === writes.gathering &&
      run.pendingCommits === run.gathered
    ) {
      end(run, 'succeeded');
    }
    return acknowledged;
  }

  async function begin(
    run: ActiveRun,
    resumed: boolean,
    preFinished: (i: number) => number | undefined,
    afterStart: () => void = () => {},
  ): Promise<RunStateView> {
    active.set(run.id, run);
    ensureHeartbeat();
    const fresh: number[] = [];
    run.ready.restore(preFinished, (i) => fresh.push(i));
    if (run.forced) {
      run.ready.clear();
      fresh.length = 0;
    }
    events.emit('run:start', { runId: run.id, workflow: run.record.workflow.name, at: now(), resumed });
    afterStart();
    settleReady(run, fresh);
    maybeEnd(run);
    return viewOfActive(run, run.record.status);
  }

  function durationsFor(workflowName: string, ids: readonly string[], estimates: Record<string, number> = {}): Float64Array {
    const known = checkpoints.estimates(workflowName);
    const out = new Float64Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      // Durations are measured in whole ms: a 0 is "under a millisecond", counted as 1 (the
      // default), so a run of instant steps still has a critical path to rank against.
      out[i] = Math.max(1, (Object.hasOwn(estimates, id) ? estimates[id] : undefined) ?? known.get(id) ?? 1);
    }
    return out;
  }

  const resuming = new Map<string, Promise<RunStateView>>();
  async function resumeRun(runId: string): Promise<RunStateView> {
    const record = checkpoints.run(runId);
    if (!record) throw notActive(runId, false);
    if (record.status !== 'running') {
      throw new SymphonyError('E_CONFLICT', `run "${runId}" already ended (${record.status})`, { details: { runId, status: record.status } });
    }
    const graph = prepareGraph(record.workflow);
    const owner = newOwner();
    const run = activate(record, graph, durationsFor(record.workflow.name, graph.ids), owner);
    const at = now();
    try {
      // The lease first, in the same transaction as the rewrites: a second driver never gets here.
      await tx(() => {
        acquireLease(checkpoints, runId, owner, at, leaseTtlMs);
        const saved = checkpoints.stepsOf(runId);
        const plan = planRecovery(run, saved, at, maxInterruptions);
        plan.rewrites.forEach(([id, r]) => checkpoints.writeStep(runId, id, r));
        run.record = { ...record, resumes: (record.resumes ?? 0) + 1 };
        checkpoints.writeRun(run.record);
        run.failing = plan.failing;
        recovered.set(runId, plan);
      });
    } catch (err) {
      dropOwner(owner);
      throw toSymphonyError(err);
    }
    const plan = recovered.get(runId) as ReturnType<typeof planRecovery>;
    recovered.delete(runId);
    return begin(run, true, (i) => plan.finished.get(i), () => {
      for (const r of plan.retries) events.emit('step:retry', { runId, stepId: r.stepId, attempt: r.attempt, delayMs: 0, error: r.error, at });
    });
  }
  const recovered = new Map<string, ReturnType<typeof planRecovery>>();
  let validateWorkflow: typeof import('@symphony/types').validateWorkflow | undefined;

  /**
   * The steps a re-run carries over from an ended run: those that succeeded there and whose
   * predecessors are carried too (a step never starts before a parent that runs again), minus the
   * steps to re-run and everything after them.
   */
  function carryOver(graph: ReturnType<typeof prepareGraph>, reuse: NonNullable<CreateRunOptions['reuse']>): Map<number, StepRecord> {
    const from = checkpoints.run(reuse.runId);
    if (!from) throw notActive(reuse.runId, false);
    if (from.status === 'running') {
      throw new SymphonyError('E_CONFLICT', `run "${reuse.runId}" has not ended: a re-run can only carry over the results of an ended run`, { details: { runId: reuse.runId } });
    }
    const rerun = new Set<number>();
    for (const stepId of reuse.rerun ?? []) {
      const i = graph.index.get(stepId);
      if (i === undefined) throw new SymphonyError('E_INPUT_INVALID', `no step "${stepId}" in workflow "${from.workflow.name}" to re-run from`, { details: { runId: reuse.runId, stepId } });
      rerun.add(i);
    }
    const saved = checkpoints.stepsOf(reuse.runId);
    const carried = new Map<number, StepRecord>();
    // In topological order: a step is carried when it succeeded, is not re-run, and every
    // predecessor is carried; a re-run step's successors are never carried (they see new inputs).
    for (const i of graph.order) {
      const stepId = graph.ids[i] as string;
      const record = saved.get(stepId);
      let ok = record?.status === 'done' && !rerun.has(i);
      for (let e = graph.predStart[i] as number; ok && e < (graph.predStart[i + 1] as number); e++) ok = carried.has(graph.pred[e] as number);
      if (!ok || !record) continue;
      const { error: _e, continued: _c, interruptions: _n, ...kept } = record;
      carried.set(i, { ...kept, status: 'done', reusedFrom: record.reusedFrom ?? reuse.runId });
    }
    return carried;
  }

  const service: DagService = {
    async createRun(input, options: CreateRunOptions = {}) {
      // The workflow schema (zod) loads with the first run, not when the store opens (`runs list`).
      const validate = (validateWorkflow ??= (await import('@symphony/types')).validateWorkflow);
      const workflow = validate(input);
      const graph = prepareGraph(workflow);
      const inputs = checkInputs(workflow, options.inputs);
      const runId = options.runId ?? `${now().toString(36)}-${randomUUID().slice(0, 8)}`;
      const record: RunRecord = { runId, workflow, inputs, status: 'running', createdAt: now() };
      const concurrency = options.concurrency ?? workflow.concurrency;
      if (concurrency !== undefined) record.concurrency = concurrency;
      if (options.meta) record.meta = options.meta;
      const owner = newOwner();
      let carried = new Map<number, StepRecord>();
      try {
        await tx(() => {
          if (checkpoints.run(runId)) throw new SymphonyError('E_CONFLICT', `a run "${runId}" already exists`, { details: { runId } });
          // Read in the same transaction as the writes: the carried records are those of one moment.
          if (options.reuse) carried = carryOver(graph, options.reuse);
          acquireLease(checkpoints, runId, owner, record.createdAt, leaseTtlMs);
          checkpoints.writeRun(record);
          for (const [i, r] of carried) checkpoints.writeStep(runId, graph.ids[i] as string, r);
        });
      } catch (err) {
        dropOwner(owner);
        throw toSymphonyError(err);
      }
      const run = activate(record, graph, durationsFor(workflow.name, graph.ids, options.estimates), owner);
      for (const [i, r] of carried) {
        run.attempts[i] = r.attempts;
        if (r.output) run.outputs[i] = r.output;
        if (r.servedBy) run.servedBy[i] = r.servedBy;
        (run.reusedFrom ??= new Map()).set(i, r.reusedFrom as string);
      }
      // Carried steps are announced as ended (attempt 0, as a skipped step is), naming their run.
      const at = now();
      return begin(run, false, (i) => (carried.has(i) ? StepStatus.done : undefined), () => {
        for (const [i, r] of carried) events.emit('step:end', { runId, stepId: graph.ids[i] as string, attempt: 0, ...(r.output ? { output: r.output } : {}), reusedFrom: r.reusedFrom as string, durationMs: 0, at });
      });
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

    settled(runId) {
      get(runId);
      return tx(() => undefined);
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

    complete(runId, stepId, output, meta = {}) {
      try {
        const run = get(runId);
        const i = indexOf(run, stepId);
        if (meta.servedBy) run.servedBy[i] = meta.servedBy;
        return finish(run, i, { has: false }, () => ({ ...(output ? { output } : {}), result: undefined }));
      } catch (err) {
        return Promise.reject(err);
      }
    },

    completeWithOutput(runId, stepId, data: ArtifactData | undefined, meta: StepOutputMeta = {}) {
      try {
        const run = get(runId);
        const i = indexOf(run, stepId);
        requireRunning(run, i, 'complete');
        if ((data === null || data === undefined) && nothingToKeep(meta)) {
          // A step that returns nothing: its step record is its completion; successors see null.
          if (meta.servedBy) run.servedBy[i] = meta.servedBy;
          return finish(run, i, { has: true, value: null }, () => ({ result: undefined }));
        }
        if (!artifacts) {
          throw new SymphonyError('E_SERVICE_UNKNOWN', 'completeWithOutput needs the pit.artifacts service', { details: { service: 'pit.artifacts' } });
        }
        const { name, servedBy, ...artifactMeta } = meta;
        if (servedBy) run.servedBy[i] = servedBy;
        // The value successors see is exactly what the store will decode (checked before release).
        const stored = data as ArtifactData;
        const value = stored instanceof Uint8Array || typeof stored === 'string' ? stored : jsonRoundTrip(stored, stepId);
        return finish(run, i, { has: true, value }, () => {
          const inputs = [...(artifactMeta.inputs ?? []), ...upstreamOutputs(run, i)];
          const output = artifacts.writeInTransaction(name ?? `${run.record.workflow.name}/${stepId}`, stored, {
            kind: 'step-output',
            ...artifactMeta,
            inputs,
            producer: { ...artifactMeta.producer, runId, stepId },
          });
          return { output, result: output };
        });
      } catch (err) {
        return Promise.reject(err);
      }
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
        backgroundFor(run, () => checkpoints.writeStep(run.id, stepId, stepRecord(run, i, 'retrying', { error: error.toJSON() })));
        events.emit('step:retry', { runId, stepId, attempt: decision.attempt, delayMs: decision.delayMs, error: error.toJSON(), at });
        const timer = setTimeout(() => {
          run.timers.delete(i);
          if (run.failing || run.cancelled || run.ended) return;
          run.ready.requeue(i);
          settleReady(run, [i]);
        }, decision.delayMs);
        // Not unref'd: a run waiting out a backoff is still running, and so is its process.
        run.timers.set(i, timer);
        return decision;
      }
      // While its failure is being written the step is no longer running: a second fail or complete
      // in that window (the aborted call of a step that just timed out) is refused, not applied twice.
      run.completing[i] = 1;
      try {
        await fenced(run, () => checkpoints.writeStep(run.id, stepId, stepRecord(run, i, 'failed', { error: error.toJSON(), ...(decision.action === 'continue' ? { continued: true } : {}), endedAt: at })));
      } finally {
        run.completing[i] = 0;
      }
      if (decision.action === 'continue') {
        const fresh: number[] = [];
        run.ready.complete(i, StepStatus.failed, (s) => fresh.push(s));
        events.emit('step:fail', { runId, stepId, attempt: attempts, error: error.toJSON(), durationMs: at - (run.startedAt[i] as number), at });
        settleReady(run, fresh);
        maybeEnd(run);
        return decision;
      }
      failForGood(run, i, error);
      maybeEnd(run);
      return decision;
    },

    async cancel(runId, reason = 'cancelled') {
      const run = get(runId);
      if (run.ended || run.forced) return;
      const at = now();
      const forced = run.cancelled;
      const error = forced
        ? new SymphonyError('E_ABORTED', `run "${runId}" was cancelled again (its cleanup steps are aborted too): ${reason}`, { details: { runId, reason, forced } })
        : new SymphonyError('E_ABORTED', `run "${runId}" was cancelled: ${reason}`, { details: { runId, reason } });
      // The steps in flight are aborted; their attempts end `cancelled` whatever error they report.
      for (let i = 0; i < run.graph.ids.length; i++) if (run.ready.status[i] === StepStatus.running && !run.completing[i]) run.aborted[i] = 1;
      const aborting = run.controller;
      run.cancelled = true;
      run.record = { ...run.record, cancelled: forced ? { ...(run.record.cancelled as NonNullable<RunRecord['cancelled']>), forced } : { at, reason } };
      if (forced) {
        // A second cancel (GitHub's force-cancel): the cleanup is aborted, nothing more starts.
        run.forced = true;
        run.ready.clear();
      } else {
        // Cleanup steps get a signal of their own (a second cancel aborts them).
        run.controller = runController();
        const fresh = run.ready.snapshot();
        run.ready.clear();
        // A step waiting out a retry backoff never retries: it ends cancelled, with its last error.
        for (const q of stopRetries(run)) {
          run.aborted[q] = 1;
          const last = run.errors[q] ?? error.toJSON();
          run.ready.complete(q, StepStatus.failed, (s) => fresh.push(s));
          backgroundFor(run, () => checkpoints.writeStep(run.id, run.graph.ids[q] as string, stepRecord(run, q, 'failed', { error: last, endedAt: at })));
          events.emit('step:fail', { runId, stepId: run.graph.ids[q] as string, attempt: run.attempts[q] as number, error: last, durationMs: 0, at });
        }
        // Every step not yet started is judged again under `cancelled()`: only the cleanup runs.
        for (const q of fresh) run.ready.requeue(q);
        settleReady(run, fresh);
      }
      // Queued before the aborts take effect: once durable, a crash resumes into the cleanup.
      const record = run.record;
      const written = fenced(run, () => checkpoints.writeRun(record));
      aborting.abort(error);
      await written;
      maybeEnd(run);
    },

    state(runId) {
      const run = active.get(runId);
      if (run) return viewOfActive(run, run.ended ? (run.record.status as RunStatus) : run.cancelled ? 'cancelled' : run.record.status);
      const record = checkpoints.run(runId);
      if (!record) throw notActive(runId, false);
      return viewOfRecords(record, checkpoints.stepsOf(runId));
    },

    record(runId) {
      return checkpoints.run(runId);
    },

    holder(runId) {
      const lease = checkpoints.lease(runId);
      if (!lease || !holderAlive(lease, now(), leaseTtlMs)) return undefined;
      return { pid: lease.pid, host: lease.host, since: lease.since, self: active.get(runId)?.owner === lease.owner };
    },

    runs(filter = {}) {
      return checkpoints
        .listRuns()
        .filter((r) => filter.status === undefined || r.status === filter.status)
        .map((r) => ({
          runId: r.runId,
          workflow: r.workflow.name,
          status: r.status,
          createdAt: r.createdAt,
          resumes: r.resumes ?? 0,
          ...(r.endedAt ? { endedAt: r.endedAt } : {}),
          ...(r.meta ? { meta: r.meta } : {}),
        }));
    },

    criticalPath(runId) {
      const run = get(runId);
      const cp = criticalPath(run.graph, run.durations, run.ready.ranks);
      const ranks: Record<string, number> = {};
      const slack: Record<string, number> = {};
      const slacks = stepSlack(run.graph, run.durations, run.ready.ranks);
      run.graph.ids.forEach((id, i) => {
        ranks[id] = run.ready.ranks[i] as number;
        slack[id] = slacks[i] as number;
      });
      return { ...cp, ranks, slack };
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
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = undefined;
      for (const run of active.values()) {
        for (const timer of run.timers.values()) clearTimeout(timer);
        run.ended = true;
        // Its lease becomes takeable at once (this process no longer drives it).
        dropOwner(run.owner);
      }
      active.clear();
    },
  };
  return service;
}

/** Output metadata that only an artifact can keep: with none of it, a `null` output stores nothing. */
function nothingToKeep(meta: StepOutputMeta): boolean {
  return (
    meta.name === undefined &&
    meta.kind === undefined &&
    meta.contentType === undefined &&
    meta.attributes === undefined &&
    !meta.aliases?.length &&
    !meta.tags?.length &&
    !meta.inputs?.length
  );
}

function jsonRoundTrip(data: unknown, stepId: string): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (cause) {
    throw new SymphonyError('E_INPUT_INVALID', `the output of step "${stepId}" is not bytes, text or JSON-serialisable (${(cause as Error).message})`, { details: { stepId }, cause });
  }
  if (json === undefined) throw new SymphonyError('E_INPUT_INVALID', `the output of step "${stepId}" (${typeof data}) cannot be stored: use bytes, text or JSON`, { details: { stepId } });
  return JSON.parse(json);
}

function stripStack(e: SymphonyErrorJSON): SymphonyErrorJSON {
  const { stack: _s, ...rest } = e;
  return rest;
}
