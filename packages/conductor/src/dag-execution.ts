import { SymphonyError, toSymphonyError, type ArtifactRef, type Step, type SymphonyErrorJSON, type Workflow } from '@symphony/types';
import type { ConductorEnv } from './conductor-env.js';
import type { DecisionContext } from './features.js';
import type { Decision } from './policy.js';
import type { DecisionRecord, RunStatus } from './run-store.js';
import { compileCheck } from './step-check.js';
import { decisionContext, decisionRecord, encodeRow, runAttempts, sizeOf, type AttemptEnv, type StepPlan } from './step-attempts.js';

export interface StepSummary {
  stepId: string;
  state: 'done' | 'failed' | 'skipped' | 'pending';
  attempts: number;
  durationMs: number;
  servedBy?: string;
  output?: ArtifactRef;
  error?: SymphonyErrorJSON;
  /** Host crashes during this step (they never count as attempts). */
  interruptions?: number;
  /** A failed step the run's cancel cut off: its outcome is `cancelled`, not a failure. */
  cancelled?: boolean;
  /** True when the output came from an earlier process (a resumed run). */
  reused?: boolean;
  /** Steps with a `check:`: the quality it gave the output, 0..1. */
  quality?: number;
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  durationMs: number;
  steps: StepSummary[];
  error?: SymphonyErrorJSON & { stepId?: string };
  /** Steps this process executed (resumed runs leave finished steps alone). */
  executed: string[];
}

/** What the Conductor keeps with a run in pit.dag's record. */
export interface RunMeta {
  /** Where the workflow came from: its file, or `api` for a document sent to the server. */
  source?: string;
  /** Who started the run: `cli`, `token:<name>` (the server), or what an embedder says. */
  startedBy?: string;
  /** A re-run: the run it repeats, and what it ran again (`all`, `failed` or a step id). */
  rerunOf?: string;
  rerunFrom?: string;
  policy: string;
}

/** The part of `pit.dag` the Conductor drives (typed structurally: no import of pit-dag). */
export interface DagPort {
  createRun(workflow: unknown, options?: { runId?: string; inputs?: Record<string, unknown>; concurrency?: number; meta?: Record<string, unknown>; reuse?: { runId: string; rerun?: readonly string[] } }): Promise<DagRunView>;
  resume(runId: string): Promise<DagRunView>;
  next(runId: string, max?: number): { runId: string; stepId: string; step: Step; attempt: number; signal: AbortSignal; startedAt: number }[];
  resolveInputs(runId: string, stepId: string): Record<string, unknown>;
  completeWithOutput(runId: string, stepId: string, data: unknown, meta?: Record<string, unknown> & { servedBy?: string }): Promise<ArtifactRef | undefined>;
  fail(runId: string, stepId: string, error: unknown): Promise<{ action: 'retry' | 'continue' | 'fail' }>;
  cancel(runId: string, reason?: string): Promise<void>;
  /** Upward ranks, and (pit.dag ≥ this version) each step's slack, in the same duration units. */
  criticalPath(runId: string): { ranks: Record<string, number>; slack?: Record<string, number> };
  whenDone(runId: string): Promise<DagRunView>;
  settled(runId: string): Promise<void>;
  ready(runId: string): string[];
  state(runId: string): DagRunView;
  record(runId: string): DagRunRecord | undefined;
  runs(filter?: { status?: RunStatus }): Array<{ runId: string; createdAt: number }>;
}

export interface DagRunView {
  runId: string;
  status: RunStatus;
  createdAt: number;
  endedAt?: number;
  resumes: number;
  error?: SymphonyErrorJSON & { stepId?: string };
  steps: {
    stepId: string;
    state: string;
    attempts: number;
    interruptions?: number;
    cancelled?: boolean;
    servedBy?: string;
    output?: ArtifactRef;
    error?: SymphonyErrorJSON;
    startedAt?: number;
    endedAt?: number;
    /** The run whose result this step carried over (a re-run); it did not run in this one. */
    reusedFrom?: string;
  }[];
}

export interface DagRunRecord {
  runId: string;
  workflow: Workflow;
  inputs: Record<string, unknown>;
  status: RunStatus;
  createdAt: number;
  endedAt?: number;
  resumes?: number;
  meta?: Record<string, unknown>;
  error?: SymphonyErrorJSON & { stepId?: string };
}

/**
 * One run driven through `pit.dag`: the tracker owns the run graph, the ready set (critical path
 * first), retries, checkpoints and run events; the Conductor picks candidates, calls the Stage,
 * and hands each output back with `completeWithOutput` (artifact + completion in one
 * transaction). Decisions are written in the same event turn, so they share that commit.
 */
export class DagExecution {
  private readonly executed: string[] = [];
  private readonly timing = new Map<string, { durationMs: number; servedBy: string; quality?: number }>();
  /** Calls made per step in this process (a capability step's fallbacks are calls within one attempt of the tracker). */
  private readonly calls = new Map<string, number>();
  private ranks: Record<string, number> = {};
  private slack: Record<string, number> = {};
  private maxRank = 1;
  private running = 0;
  /** A resumed run: each step starts once its start record is durable (see execute). */
  private careful = false;
  private dirty = true;
  private wake: (() => void) | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly env: ConductorEnv,
    private readonly dag: DagPort,
    private readonly run: { runId: string; workflow: Workflow; inputs: Record<string, unknown>; meta: RunMeta; reuse?: { runId: string; rerun?: readonly string[] } },
    private readonly controller: AbortController,
  ) {}

  async execute(resume: boolean): Promise<RunResult> {
    const { runId } = this.run;
    if (resume) await this.dag.resume(runId);
    else await this.dag.createRun(this.run.workflow, { runId, inputs: this.run.inputs, concurrency: this.run.workflow.concurrency ?? this.env.concurrency, meta: { ...this.run.meta }, ...(this.run.reuse ? { reuse: this.run.reuse } : {}) });
    // A resumed run was cut off by its host: from now on a step's function starts only once its
    // start record (and its parents' results) are durable, so if it kills the host again the
    // interruption is charged to it, never to a parent whose commit had not landed.
    this.careful = resume;
    const cp = this.dag.criticalPath(runId);
    this.ranks = cp.ranks;
    this.slack = cp.slack ?? {};
    // The critical path's length (the highest upward rank), in whatever units the durations are.
    const longest = Object.values(this.ranks).reduce((m, r) => (r > m ? r : m), 0);
    this.maxRank = longest > 0 ? longest : 1;
    let view: DagRunView | undefined;
    let halted: unknown;
    const done = this.dag.whenDone(runId).then(
      (v) => {
        view = v;
        this.poke();
      },
      (err: unknown) => {
        // The run stopped in this process without ending (ledger full, lease lost): it stays
        // `running` in the ledger, to resume once the cause is fixed.
        halted = err ?? new Error('halted');
        this.poke();
      },
    );
    const onAbort = () => void this.dag.cancel(runId, 'cancelled by the user').catch(() => {});
    // A cancel before the run existed in the tracker is applied now.
    if (this.controller.signal.aborted) onAbort();
    else this.controller.signal.addEventListener('abort', onAbort, { once: true });
    // A retry's backoff ends in the tracker: its step:ready is our cue to look again.
    const onReady = (e: { runId: string }) => {
      if (e.runId === runId) this.poke();
    };
    const events = this.env.events as unknown as { on(n: string, f: (e: { runId: string }) => void): void; off(n: string, f: (e: { runId: string }) => void): void };
    events.on('step:ready', onReady);
    try {
      while (!view && !halted) {
        this.dirty = false;
        // After a cancel the tracker offers only the cleanup steps (`if: always()` / `cancelled()`).
        const started = this.dag.next(runId);
        if (started.length > 0) this.launch(started);
        if (!this.dirty && !view && !halted) await new Promise<void>((resolve) => (this.wake = resolve));
      }
      await done;
      await Promise.all(this.writes);
      if (halted) throw toSymphonyError(halted);
    } finally {
      events.off('step:ready', onReady);
      this.controller.signal.removeEventListener('abort', onAbort);
    }
    const final = view as DagRunView;
    const failed = final.steps.find((s) => s.state === 'failed' && s.error);
    const error = final.error ? stripStack(final.error) : failed?.error ? { ...stripStack(failed.error), stepId: failed.stepId } : undefined;
    await this.env.saveHistory();
    const mine = new Set(this.executed);
    const steps: StepSummary[] = final.steps.map((s) => {
      const t = this.timing.get(s.stepId);
      const servedBy = t?.servedBy ?? s.servedBy;
      return {
        stepId: s.stepId,
        state: s.state === 'done' || s.state === 'failed' || s.state === 'skipped' ? s.state : 'pending',
        attempts: Math.max(s.attempts, this.calls.get(s.stepId) ?? 0),
        durationMs: t?.durationMs ?? 0,
        ...(servedBy ? { servedBy } : {}),
        ...(s.output ? { output: s.output } : {}),
        ...(s.error && s.state === 'failed' ? { error: stripStack(s.error) } : {}),
        ...(s.interruptions ? { interruptions: s.interruptions } : {}),
        ...(s.cancelled && s.state === 'failed' ? { cancelled: true } : {}),
        ...(s.state === 'done' && !mine.has(s.stepId) ? { reused: true } : {}),
        ...(s.state === 'done' && t?.quality !== undefined ? { quality: t.quality } : {}),
      };
    });
    return { runId, status: final.status, durationMs: performance.now() - this.started, steps, executed: this.executed, ...(error ? { error } : {}) };
  }

  private poke(): void {
    this.dirty = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private launch(started: ReturnType<DagPort['next']>): void {
    const { runId } = this.run;
    const plans: { plan: StepPlan; signal: AbortSignal; attempt: number }[] = [];
    for (const s of started) {
      if (!this.executed.includes(s.stepId)) this.executed.push(s.stepId);
      let input: unknown;
      let check: ReturnType<typeof compileCheck>;
      try {
        input = this.dag.resolveInputs(runId, s.stepId);
        check = compileCheck(s.step, this.run.inputs);
      } catch (err) {
        this.running++; // settle() counts it back down
        this.settle(this.dag.fail(runId, s.stepId, err));
        continue;
      }
      const capability = s.step.uses.startsWith('capability:') ? s.step.uses.slice('capability:'.length) : undefined;
      const plan: StepPlan = {
        step: s.step,
        input,
        inputSize: sizeOf(input),
        remainingCriticalPath: (this.ranks[s.stepId] ?? 0) / this.maxRank,
        // As in the Function Quest Game: a share of the critical path's length (0 = on it).
        slack: (this.slack[s.stepId] ?? 0) / this.maxRank,
        singleAttempt: true,
        ...(capability ? { capability } : {}),
        ...(check ? { check } : {}),
      };
      // The tracker's signal aborts on cancel (a cleanup step's only on a second cancel) and on timeoutMs.
      plans.push({ plan, signal: s.signal, attempt: s.attempt });
    }
    const capability = plans.filter((p) => p.plan.capability);
    const decided = capability.length > 0 ? this.decideFirst(capability.map((p) => p.plan), capability.map((p) => p.signal)) : Promise.resolve(new Map<string, { decision: Decision; record: DecisionRecord }>());
    const first = this.careful ? Promise.all([decided, this.dag.settled(runId)]).then(([d]) => d) : decided;
    for (const { plan, signal, attempt } of plans) {
      const records: DecisionRecord[] = [];
      const t0 = performance.now();
      this.running++;
      const work = first
        .then((decided) => this.env.withSlot(runId, plan.step.id, signal, () => runAttempts(this.attemptEnv(plan, signal), plan, decided.get(plan.step.id), records, encodeRow)))
        .then(
          async ({ output, servedBy, quality }) => {
            const durationMs = performance.now() - t0;
            this.timing.set(plan.step.id, { durationMs, servedBy, ...(quality !== undefined ? { quality } : {}) });
            // Decisions go in the same event turn as the tracker's completion: one group commit.
            if (records.length > 0) this.track(this.env.ledger.transaction(() => records.forEach((r) => this.env.store.putDecision(r))));
            await this.dag.completeWithOutput(runId, plan.step.id, output ?? null, {
              servedBy,
              producer: { extensionId: servedBy.slice(0, servedBy.indexOf('/')) },
              ...(quality !== undefined ? { attributes: { quality, check: plan.step.check } } : {}),
            }).catch(async (err: unknown) => {
              // The tracker refused the output and left the step running (a BigInt, a cycle: nothing
              // the store can keep). That is this attempt failing, retried per the step's `retry`;
              // left running, the run would wait for the step forever.
              if (this.stepState(plan.step.id) !== 'running') throw err;
              const e = toSymphonyError(err);
              await this.dag.fail(runId, plan.step.id, new SymphonyError('E_OUTPUT_INVALID', `${e.message} (returned by ${servedBy})`, { details: { stepId: plan.step.id, servedBy } }));
            });
            this.env.recordTrace(records);
          },
          async (err: unknown) => {
            if (records.length > 0) this.track(this.env.ledger.transaction(() => records.forEach((r) => this.env.store.putDecision(r))));
            // The call of an attempt the tracker already ended (it timed out: pit.dag failed it and
            // aborted the call) changes nothing, and must never fail the attempt that runs now.
            const now = this.stepView(plan.step.id);
            if (now?.state !== 'running' || now.attempts !== attempt) return;
            await this.dag.fail(runId, plan.step.id, toSymphonyError(err, 'E_STEP_FAILED')).catch((e: unknown) => {
              // ...nor does one whose timeout is being written at this very moment (E_CONFLICT).
              if (toSymphonyError(e).code !== 'E_CONFLICT') throw e;
            });
            this.env.recordTrace(records);
          },
        );
      this.settle(work);
    }
  }

  private stepState(stepId: string): string | undefined {
    return this.stepView(stepId)?.state;
  }

  private stepView(stepId: string): DagRunView['steps'][number] | undefined {
    try {
      return this.dag.state(this.run.runId).steps.find((s) => s.stepId === stepId);
    } catch {
      return undefined;
    }
  }

  private trackerDrives(): boolean {
    try {
      this.dag.ready(this.run.runId);
      return true;
    } catch {
      return false;
    }
  }

  private settle(work: Promise<unknown>): void {
    work
      .catch((err: unknown) => {
        // A tracker that no longer drives the run (closed on SIGTERM: the process is stopping and
        // the run stays resumable) refuses every late result: expected, nothing to warn about.
        if (!this.trackerDrives()) return;
        this.env.logger.warn({ err, runId: this.run.runId }, 'conductor: the DAG tracker refused a step result');
      })
      .finally(() => {
        this.running--;
        this.poke();
      });
  }

  private readonly writes: Promise<unknown>[] = [];

  private track(write: Promise<unknown>): void {
    this.writes.push(write.catch((err: unknown) => this.env.logger.warn({ err, runId: this.run.runId }, 'conductor: could not record a decision or step')));
  }

  /** Every capability step started in this tick is decided in ONE policy batch. */
  private async decideFirst(plans: StepPlan[], signals: AbortSignal[]): Promise<Map<string, { decision: Decision; record: DecisionRecord }>> {
    const out = new Map<string, { decision: Decision; record: DecisionRecord }>();
    for (const plan of plans) plan.candidates = await this.env.candidatesFor(plan.capability as string, plan.step.id);
    const envs = plans.map((p, i) => this.attemptEnv(p, signals[i] as AbortSignal));
    const contexts: DecisionContext[] = plans.map((p, i) => decisionContext(envs[i] as AttemptEnv, p, 0));
    const t0 = performance.now();
    const decisions = await this.env.policy.decideDetailed(contexts);
    this.env.observeDecision(performance.now() - t0, contexts.length);
    plans.forEach((plan, i) => {
      const decision = decisions[i] ?? { action: 0 };
      out.set(plan.step.id, { decision, record: decisionRecord(envs[i] as AttemptEnv, plan, contexts[i] as DecisionContext, decision, encodeRow(contexts[i] as DecisionContext)) });
    });
    return out;
  }

  private attemptEnv(plan: StepPlan, signal: AbortSignal): AttemptEnv {
    const env = this.env;
    const runId = this.run.runId;
    return {
      runId,
      history: env.history,
      inFlight: env.inFlight,
      decide: (contexts) => env.policy.decideDetailed(contexts),
      policyName: () => env.policy.name,
      policyVersion: () => env.policy.version,
      nextSeq: () => env.nextDecisionSeq(runId),
      invoke: (uses, input, attempt) => {
        this.calls.set(plan.step.id, (this.calls.get(plan.step.id) ?? 0) + 1);
        return env.invoke(uses, input, { runId, stepId: plan.step.id, attempt, signal, timeoutMs: undefined });
      },
      onRetry: (attempt, delayMs, error) => env.events.emit('step:retry', { runId, stepId: plan.step.id, attempt, delayMs, error: error.toJSON(), at: Date.now() }),
      onCheckError: (message) => env.logger.warn({ runId, stepId: plan.step.id }, `check of step "${plan.step.id}" could not be evaluated (quality 0): ${message}`),
      signal,
      loadShare: () => Math.min(1, this.running / Math.max(1, this.run.workflow.concurrency ?? env.concurrency)),
      queueLength: () => this.dag.ready(runId).length,
    };
  }
}

function stripStack(e: SymphonyErrorJSON): SymphonyErrorJSON {
  const { stack: _s, ...rest } = e;
  return rest;
}
