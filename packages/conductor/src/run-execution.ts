import { SymphonyError, findStepReferences, parseUses, toSymphonyError, type ArtifactRef, type ArtifactsService, type Step, type SymphonyErrorJSON } from '@symphony/types';
import type { DecisionContext } from './features.js';
import { evaluateCondition, resolveValue, type Scope } from './expressions.js';
import type { DecisionRecord, RunRecord, RunStatus, RunStore, StepRecord } from './run-store.js';
import { decisionContext, decisionRecord, encodeRow, runAttempts, sizeOf, type AttemptEnv, type StepPlan } from './step-attempts.js';
import type { Candidate } from './ports.js';
import type { ConductorEnv } from './conductor-env.js';

export interface StepSummary {
  stepId: string;
  state: 'done' | 'failed' | 'skipped' | 'pending';
  attempts: number;
  durationMs: number;
  servedBy?: string;
  output?: ArtifactRef;
  error?: SymphonyErrorJSON;
  /** True when the output came from an earlier process (a resumed run). */
  reused?: boolean;
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

type State = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

/** One run of a workflow: the ready set by upward rank, a batch of decisions per tick, durable steps. */
export class RunExecution {
  private readonly state = new Map<string, State>();
  private readonly outputs = new Map<string, unknown>();
  private readonly refs = new Map<string, ArtifactRef>();
  private readonly summaries = new Map<string, StepSummary>();
  private readonly ranks = new Map<string, number>();
  private readonly deps = new Map<string, string[]>();
  private readonly dependents = new Map<string, string[]>();
  private readonly byId = new Map<string, Step>();
  /** Unfinished dependencies per pending step; at 0 the step joins `ready`. */
  private readonly waitingOn = new Map<string, number>();
  /** Ready steps, highest upward rank last (popped first). */
  private ready: Step[] = [];
  private readonly scopeSteps: Scope['steps'] = {};
  private readonly steps: Step[];
  private readonly commits: Promise<unknown>[] = [];
  private readonly executed: string[] = [];
  private running = 0;
  private wake: (() => void) | undefined;
  private firstError: (SymphonyErrorJSON & { stepId?: string }) | undefined;
  private readonly started = performance.now();
  private readonly artifacts: ArtifactsService;
  private readonly store: RunStore;

  constructor(
    private readonly env: ConductorEnv,
    private readonly run: RunRecord,
    prior: StepRecord[],
    private readonly controller: AbortController,
  ) {
    this.artifacts = env.artifacts;
    this.store = env.store;
    this.steps = run.workflow.steps;
    for (const s of this.steps) {
      this.state.set(s.id, 'pending');
      this.byId.set(s.id, s);
      const deps = new Set(s.needs ?? []);
      findStepReferences(s.with, deps);
      if (s.if) findStepReferences(s.if, deps);
      this.deps.set(s.id, [...deps]);
      for (const d of deps) this.dependents.set(d, [...(this.dependents.get(d) ?? []), s.id]);
    }
    for (const rec of prior) {
      if (rec.state === 'failed') continue; // a resumed run tries failed steps again
      this.state.set(rec.stepId, rec.state);
      if (rec.output) {
        this.refs.set(rec.stepId, rec.output);
        const value = this.artifacts.value(rec.output.name, rec.output.version);
        this.outputs.set(rec.stepId, value);
        this.scopeSteps[rec.stepId] = { output: value };
      }
      this.summaries.set(rec.stepId, { stepId: rec.stepId, state: rec.state, attempts: rec.attempts, durationMs: rec.durationMs, reused: true, ...(rec.servedBy ? { servedBy: rec.servedBy } : {}), ...(rec.output ? { output: rec.output } : {}) });
    }
    this.computeRanks();
    for (const s of this.steps) {
      if (this.state.get(s.id) !== 'pending') continue;
      const unfinished = this.dependencies(s).filter((d) => !this.finished(d)).length;
      this.waitingOn.set(s.id, unfinished);
      if (unfinished === 0) this.enqueue(s);
    }
  }

  async execute(): Promise<RunResult> {
    const { events } = this.env;
    const concurrency = this.run.workflow.concurrency ?? this.env.concurrency;
    events.emit('run:start', { runId: this.run.runId, workflow: this.run.workflow.name, at: Date.now(), resumed: this.run.resumes > 0 });
    for (;;) {
      if (this.controller.signal.aborted) break;
      const batch: Step[] = [];
      while (this.ready.length > 0 && this.running + batch.length < concurrency) batch.push(this.ready.pop() as Step);
      if (batch.length > 0) this.startBatch(batch);
      if (this.running === 0 && this.ready.length === 0) break;
      if (this.running === 0) continue;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const settled = await Promise.allSettled(this.commits);
    const commitFailure = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
    if (commitFailure && !this.firstError) this.firstError = toSymphonyError(commitFailure.reason).toJSON();
    const status: RunStatus = this.controller.signal.aborted ? 'cancelled' : this.firstError || [...this.state.values()].some((s) => s === 'pending') ? 'failed' : 'succeeded';
    const durationMs = performance.now() - this.started;
    const final: RunRecord = { ...this.run, status, updatedAt: Date.now(), endedAt: Date.now(), ...(this.firstError ? { error: this.firstError } : {}) };
    await this.env.ledger.transaction(() => this.store.putRun(final));
    await this.env.saveHistory();
    events.emit('run:end', { runId: this.run.runId, status, durationMs, at: Date.now() });
    return {
      runId: this.run.runId,
      status,
      durationMs,
      steps: this.steps.map((s) => this.summaries.get(s.id) ?? { stepId: s.id, state: 'pending', attempts: 0, durationMs: 0 }),
      executed: this.executed,
      ...(this.firstError ? { error: this.firstError } : {}),
    };
  }

  private startBatch(batch: Step[]): void {
    const plans: StepPlan[] = [];
    for (const step of batch) {
      const scope = this.scope();
      try {
        if (step.if && !evaluateCondition(step.if, scope)) {
          this.skip(step, 'its condition is false');
          continue;
        }
        const input = resolveValue(step.with ?? {}, scope);
        const uses = parseUses(step.uses);
        const plan: StepPlan = { step, input, inputSize: sizeOf(input), remainingCriticalPath: (this.ranks.get(step.id) ?? 0) / this.maxRank() };
        if (uses?.kind === 'capability') plan.capability = uses.capability;
        plans.push(plan);
      } catch (err) {
        this.state.set(step.id, 'running');
        this.running++;
        this.settle(step, Promise.reject(err), []);
      }
    }
    for (const plan of plans) {
      this.state.set(plan.step.id, 'running');
      this.running++;
      this.env.events.emit('step:ready', { runId: this.run.runId, stepId: plan.step.id, at: Date.now() });
    }
    const capability = plans.filter((p) => p.capability);
    const firstDecisions = capability.length > 0 ? this.decideFirst(capability) : Promise.resolve(new Map());
    for (const plan of plans) {
      const records: DecisionRecord[] = [];
      const work = firstDecisions.then((decided) => {
        const first = decided.get(plan.step.id);
        return this.env.withSlot(this.run.runId, plan.step.id, this.controller.signal, () => runAttempts(this.attemptEnv(plan), plan, first, records, encodeRow));
      });
      this.settle(plan.step, work, records);
    }
  }

  /** Every capability step started in this tick is decided in ONE policy batch. */
  private async decideFirst(plans: StepPlan[]): Promise<Map<string, { decision: { action: number; probabilities?: number[] }; record: DecisionRecord }>> {
    const result = new Map<string, { decision: { action: number; probabilities?: number[] }; record: DecisionRecord }>();
    for (const plan of plans) plan.candidates = await this.env.candidatesFor(plan.capability as string, plan.step.id);
    const contexts = plans.map((p) => decisionContext(this.attemptEnv(p), p, 0));
    const t0 = performance.now();
    const decisions = await this.env.policy.decideDetailed(contexts);
    this.env.observeDecision(performance.now() - t0, contexts.length);
    plans.forEach((plan, i) => {
      const decision = decisions[i] ?? { action: 0 };
      const ctx = contexts[i] as DecisionContext;
      result.set(plan.step.id, { decision, record: decisionRecord(this.attemptEnv(plan), plan, ctx, decision, encodeRow(ctx)) });
    });
    return result;
  }

  private attemptEnv(plan: StepPlan): AttemptEnv {
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
      invoke: (uses, input, attempt) => env.invoke(uses, input, { runId, stepId: plan.step.id, attempt, signal: this.controller.signal, timeoutMs: plan.step.timeoutMs }),
      onRetry: (attempt, delayMs, error) => env.events.emit('step:retry', { runId, stepId: plan.step.id, attempt, delayMs, error: error.toJSON(), at: Date.now() }),
      signal: this.controller.signal,
      loadShare: () => Math.min(1, this.running / Math.max(1, this.run.workflow.concurrency ?? env.concurrency)),
      queueLength: () => this.ready.length,
    };
  }

  private settle(step: Step, work: Promise<{ output: unknown; servedBy: string; attempts: number }>, records: DecisionRecord[]): void {
    const startedAt = Date.now();
    const t0 = performance.now();
    this.env.events.emit('step:start', { runId: this.run.runId, stepId: step.id, attempt: 1, at: startedAt });
    this.executed.push(step.id);
    work.then(
      ({ output, servedBy, attempts }) => {
        const durationMs = performance.now() - t0;
        this.state.set(step.id, 'done');
        this.outputs.set(step.id, output);
        this.scopeSteps[step.id] = { output };
        this.release(step.id);
        const extensionId = servedBy.slice(0, servedBy.indexOf('/'));
        const commit = this.env.ledger.transaction(() => {
          // Inside the callback: the parents' callbacks, queued earlier, have set their refs.
          const inputs = this.dependencies(step).map((d) => this.refs.get(d)).filter((r): r is ArtifactRef => r !== undefined);
          const ref = this.artifacts.writeInTransaction(`${this.run.workflow.name}/${step.id}`, output ?? null, {
            kind: 'step-output',
            producer: { runId: this.run.runId, stepId: step.id, extensionId },
            inputs,
          });
          this.refs.set(step.id, ref);
          this.store.putStep({ runId: this.run.runId, stepId: step.id, state: 'done', attempts, output: ref, servedBy, startedAt, endedAt: Date.now(), durationMs });
          for (const r of records) this.store.putDecision(r);
          return ref;
        });
        this.commits.push(
          commit.then((ref) => {
            this.summaries.set(step.id, { stepId: step.id, state: 'done', attempts, durationMs, servedBy, output: ref });
            this.env.events.emit('step:end', { runId: this.run.runId, stepId: step.id, attempt: attempts, output: ref, durationMs, at: Date.now() });
          }),
        );
        this.env.recordTrace(records);
        this.finishOne();
      },
      (err: unknown) => {
        const error = toSymphonyError(err, 'E_STEP_FAILED');
        const durationMs = performance.now() - t0;
        const attempts = typeof error.details.attempts === 'number' ? error.details.attempts : 1;
        if (error.code === 'E_ABORTED' && this.controller.signal.aborted) {
          // Cancelled: not a failure of the step; a resume runs it again.
          this.state.set(step.id, 'pending');
        } else {
          this.state.set(step.id, 'failed');
          const json = error.toJSON();
          delete json.stack;
          if (!step.continueOnError && !this.firstError) this.firstError = { ...json, stepId: step.id };
          if (step.continueOnError) this.release(step.id);
          else for (const d of this.dependents.get(step.id) ?? []) this.skipAfterFailure(d);
          this.summaries.set(step.id, { stepId: step.id, state: 'failed', attempts, durationMs, error: json });
          this.commits.push(
            this.env.ledger.transaction(() => {
              this.store.putStep({ runId: this.run.runId, stepId: step.id, state: 'failed', attempts, error: json, startedAt, endedAt: Date.now(), durationMs });
              for (const r of records) this.store.putDecision(r);
            }),
          );
          this.env.recordTrace(records);
          this.env.events.emit('step:fail', { runId: this.run.runId, stepId: step.id, attempt: attempts, error: json, durationMs, at: Date.now() });
        }
        this.finishOne();
      },
    );
  }

  private enqueue(step: Step): void {
    const r = this.ranks.get(step.id) ?? 0;
    // Keep `ready` sorted by rank ascending so pop() takes the critical path first.
    let lo = 0;
    let hi = this.ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.ranks.get((this.ready[mid] as Step).id) ?? 0) <= r) lo = mid + 1;
      else hi = mid;
    }
    this.ready.splice(lo, 0, step);
  }

  /** A step finished (done, skipped, or failed with continueOnError): its dependents may be ready. */
  private release(id: string): void {
    for (const d of this.dependents.get(id) ?? []) {
      if (this.state.get(d) !== 'pending') continue;
      const left = (this.waitingOn.get(d) ?? 1) - 1;
      this.waitingOn.set(d, left);
      if (left === 0) this.enqueue(this.byId.get(d) as Step);
    }
  }

  private skipAfterFailure(id: string): void {
    if (this.state.get(id) !== 'pending') return;
    const step = this.byId.get(id) as Step;
    this.state.set(id, 'skipped');
    this.summaries.set(id, { stepId: id, state: 'skipped', attempts: 0, durationMs: 0 });
    this.env.events.emit('step:end', { runId: this.run.runId, stepId: id, attempt: 0, skipped: true, durationMs: 0, at: Date.now() });
    this.env.logger.debug({ runId: this.run.runId, stepId: step.id }, 'step skipped: a step it needs failed');
    for (const d of this.dependents.get(id) ?? []) this.skipAfterFailure(d);
  }

  private finishOne(): void {
    this.running--;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private skip(step: Step, why: string): void {
    this.state.set(step.id, 'skipped');
    this.summaries.set(step.id, { stepId: step.id, state: 'skipped', attempts: 0, durationMs: 0 });
    this.commits.push(this.env.ledger.transaction(() => this.store.putStep({ runId: this.run.runId, stepId: step.id, state: 'skipped', attempts: 0, startedAt: Date.now(), endedAt: Date.now(), durationMs: 0 })));
    this.env.events.emit('step:end', { runId: this.run.runId, stepId: step.id, attempt: 0, skipped: true, durationMs: 0, at: Date.now() });
    this.env.logger.debug({ runId: this.run.runId, stepId: step.id, why }, 'step skipped');
    this.release(step.id);
  }

  private finished(id: string): boolean {
    const s = this.state.get(id);
    return s === 'done' || s === 'skipped' || (s === 'failed' && this.stepById(id)?.continueOnError === true);
  }

  private scope(): Scope {
    return { inputs: this.run.inputs, steps: this.scopeSteps };
  }

  private dependencies(step: Step): string[] {
    return this.deps.get(step.id) ?? [];
  }

  private stepById(id: string): Step | undefined {
    return this.byId.get(id);
  }

  /** Upward rank: the longest chain of steps from this one to the end (critical path first). */
  private computeRanks(): void {
    const dependents = this.dependents;
    const visiting = new Set<string>();
    const rank = (id: string): number => {
      const known = this.ranks.get(id);
      if (known !== undefined) return known;
      if (visiting.has(id)) throw new SymphonyError('E_CYCLE', `workflow "${this.run.workflow.name}" has a cycle through step "${id}"`, { details: { stepId: id } });
      visiting.add(id);
      const r = 1 + Math.max(0, ...(dependents.get(id) ?? []).map(rank));
      visiting.delete(id);
      this.ranks.set(id, r);
      return r;
    };
    for (const s of this.steps) rank(s.id);
  }

  private maxRankCache = 0;

  private maxRank(): number {
    if (this.maxRankCache === 0) for (const r of this.ranks.values()) this.maxRankCache = Math.max(this.maxRankCache, r, 1);
    return this.maxRankCache;
  }
}

export type { Candidate };
