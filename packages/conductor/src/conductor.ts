import type { ExtensionCatalogEntry } from './workflow-validate.js';
import { randomBytes } from 'node:crypto';
import {
  SymphonyError,
  silentLogger,
  validateWorkflow,
  type ArtifactsService,
  type LedgerService,
  type Logger,
  type SymphonyEvents,
  type Workflow,
  type WorkflowSource,
} from '@symphony/types';
import type { ConductorEnv, InvokeContext } from './conductor-env.js';
import { HistoryBook, type CandidateStats } from './history.js';
import { PolicyManager } from './model-manager.js';
import { normalizeProviders, type ArbiterPort, type Candidate, type MetricsPort, type PoolPort, type StageCallOptions, type StagePort } from './ports.js';
import { DagExecution, type DagPort, type RunMeta, type RunResult } from './dag-execution.js';
import { RunStore, type DecisionRecord, type RunRecord, type StepRecord } from './run-store.js';
import { inspectRunsLazy } from './run-views.js';
import { assertChecks } from './step-check.js';
import { resolveInputs } from './workflow-file.js';
import type { Policy } from './policy.js';

/** A step implemented in this process (built-ins, tests, the no-op benchmark). */
export type StepFunction = (input: unknown, ctx: StepContext) => unknown;
export interface StepContext {
  runId: string;
  stepId: string;
  attempt: number;
  signal: AbortSignal;
  progress(fraction: number, message?: string): void;
}
export interface StepRegistration {
  /** Capabilities this step serves, making it a candidate for `capability:` steps. */
  capabilities?: string[];
  cost?: number;
  capacity?: number;
}

export interface RunOptions {
  inputs?: Record<string, unknown>;
  /** Where the workflow came from (its file), kept with the run. */
  source?: string;
  /** Who started the run (`cli`, `token:<name>`, ...), kept with the run. */
  startedBy?: string;
  signal?: AbortSignal;
}

export interface RerunOptions {
  /**
   * What runs again: `all` (default: a new run of the same workflow and inputs), `failed` (the
   * steps that did not succeed and what follows them; every other result is carried over), or a
   * step id (that step and everything after it).
   */
  from?: string;
  startedBy?: string;
  signal?: AbortSignal;
}

export interface RunHandle {
  runId: string;
  done: Promise<RunResult>;
}

/** Services the Conductor looks up by name; only the ledger and the artifact store are required. */
export interface ConductorServices {
  ledger: LedgerService<unknown, unknown>;
  artifacts: ArtifactsService;
  events: ConductorEnv['events'];
  stage?: StagePort | undefined;
  arbiter?: ArbiterPort | undefined;
  pool?: PoolPort | undefined;
  metrics?: MetricsPort | undefined;
  stale?: { record(records: readonly DecisionRecord[]): void } | undefined;
  /** `pit.dag`, the one engine: it owns run graphs, ready sets, retries, leases and checkpoints. */
  dag: DagPort | undefined;
}

/** Crashes of one extension a run tolerates when neither the workflow nor the config says. */
export const DEFAULT_CRASH_BUDGET = 20;
/** Crash reports of one extension this close together are one crash (all its in-flight calls fail at once). */
const CRASH_COALESCE_MS = 25;

export interface ConductorOptions {
  /** Default concurrency of a run (a workflow's `concurrency` wins). Default 4. */
  concurrency?: number;
  /**
   * Crashes of one extension one run tolerates (a workflow's `crashBudget` wins). Each crash is a
   * failed attempt (E_EXTENSION_CRASHED) that the step's `retry` may retry, on a restarted
   * extension; past the budget, the run's calls to it fail E_EXTENSION_FAILED. Default 20.
   */
  crashBudget?: number;
  /** Step slots shared by all runs through `pit.arbitration`. Default 16. */
  slots?: number;
  logger?: Logger;
  /** The policy used when no learned model is in force. */
  fallback: Policy;
}

export interface Conductor {
  start(workflow: Workflow | WorkflowSource, options?: RunOptions): RunHandle;
  run(workflow: Workflow | WorkflowSource, options?: RunOptions): Promise<RunResult>;
  /**
   * Continues a run a crash interrupted: acknowledged steps are never re-run. `E_RUN_LOCKED` while
   * another live process drives it; `E_CONFLICT` for a run that already ended.
   */
  resume(runId: string, options?: Omit<RunOptions, 'inputs'>): Promise<RunResult>;
  /**
   * A new run of an ended run's workflow with its inputs, as "re-run all jobs" / "re-run failed
   * jobs" in a CI: with `from: 'failed'` or a step id, the other succeeded steps are carried over
   * (their outputs, no call) and marked `reusedFrom`. `E_CONFLICT` while the run is still running,
   * or for `failed` when nothing failed; `E_INPUT_INVALID` for an unknown step.
   */
  rerun(runId: string, options?: RerunOptions): RunHandle;
  /**
   * Cancels a run this process drives (GitHub's semantics): running steps are aborted, steps not
   * yet started are skipped unless their `if:` holds once cancelled (`always()`, `cancelled()`),
   * and those cleanup steps run before the run ends `cancelled`. Cancelling again changes nothing
   * (a retried request, two users at once); `{ force: true }` (GitHub's force-cancel) aborts the
   * cleanup steps too. False when this process does not drive the run.
   */
  cancel(runId: string, options?: { force?: boolean }): boolean;
  registerStep(uses: string, fn: StepFunction, options?: StepRegistration): () => void;
  /**
   * What a workflow's `uses:` can name: the Stage's extensions plus the steps registered here,
   * as `validateWorkflowSource({ extensions })` takes them.
   */
  extensions(): ExtensionCatalogEntry[];
  /** Newest first: `limit` runs (default 50) after skipping the `offset` newest. */
  runs(limit?: number, offset?: number): RunRecord[];
  show(runId: string): { run: RunRecord; steps: StepRecord[] };
  explain(runId: string): DecisionRecord[];
  readonly policy: PolicyManager;
  readonly history: HistoryBook;
}

const SLOT = 'conductor.steps';

export function createConductor(services: ConductorServices, options: ConductorOptions): Conductor {
  const logger = options.logger ?? silentLogger;
  // Listeners observe; one that throws must not fail an attempt or stop an extension's log.
  const sink = services.events as ConductorEnv['events'] & { on?: (...a: unknown[]) => unknown; off?: (...a: unknown[]) => unknown };
  const events: ConductorEnv['events'] & { on(...a: unknown[]): unknown; off(...a: unknown[]): unknown } = {
    on: (...a) => sink.on?.(...a),
    off: (...a) => sink.off?.(...a),
    emit(event, ...args) {
      try {
        return services.events.emit(event, ...args);
      } catch (err) {
        logger.warn({ err, event }, `conductor: a listener of ${event} threw (the run goes on)`);
        return false;
      }
    },
  };
  const store = new RunStore(services.ledger);
  const policy = new PolicyManager(options.fallback, logger);
  const history = loadHistory(services.ledger);
  const builtins = new Map<string, { fn: StepFunction } & Required<StepRegistration>>();
  const active = new Map<string, AbortController>();
  /** Per run: its crash budget and the crashes of each extension so far. */
  const crashes = new Map<string, { budget: number; by: Map<string, number>; lastAt: Map<string, number> }>();
  const seqs = new Map<string, number>();
  const decisionHistogram = services.metrics?.histogram('conductor_decision_seconds', 'Time to decide a batch of Conductor decisions', { labelNames: ['policy'], buckets: [1e-5, 2.5e-5, 1e-4, 1e-3, 1e-2] });
  const decisionCounter = services.metrics?.counter('conductor_decisions_total', 'Conductor decisions made', { labelNames: ['policy'] });
  let slotArbiter: ArbiterPort | undefined;
  const ensureSlots = (arbiter: ArbiterPort): void => {
    if (slotArbiter === arbiter) return;
    slotArbiter = arbiter;
    try {
      arbiter.addResource({ id: SLOT, capacity: options.slots ?? 16, class: 'conductor' });
    } catch (err) {
      logger.debug({ err }, `arbitration resource ${SLOT} already present`);
    }
  };

  const env: ConductorEnv = {
    store,
    ledger: services.ledger,
    artifacts: services.artifacts,
    events,
    policy,
    history,
    inFlight: new Map(),
    concurrency: options.concurrency ?? 4,
    logger,
    async candidatesFor(capability, stepId) {
      const local: Candidate[] = [];
      for (const [uses, b] of builtins) if (b.capabilities.includes(capability)) local.push({ uses, extensionId: uses.slice(0, uses.indexOf('/')), cost: b.cost, capacity: b.capacity });
      const remote = services.stage?.providers ? normalizeProviders(await services.stage.providers(capability), capability) : [];
      const all = [...remote, ...local.filter((l) => !remote.some((r) => r.uses === l.uses))];
      if (all.length === 0) {
        throw new SymphonyError('E_CAPABILITY_UNKNOWN', `step "${stepId}" uses capability:${capability}, but no installed extension provides it`, { details: { stepId, capability } });
      }
      return withQueues(withWarmth(all, services.pool), services.stage);
    },
    async invoke(uses, input, ctx) {
      const progress = (fraction: number, message?: string) =>
        events.emit('step:progress', { runId: ctx.runId, stepId: ctx.stepId, fraction, ...(message ? { message } : {}), at: Date.now() });
      const builtin = builtins.get(uses);
      if (builtin) return invokeBuiltin(builtin.fn, input, ctx, progress);
      if (!services.stage) {
        throw new SymphonyError('E_NOT_FOUND', `no extension host (kernel service "stage") and no in-process step for "${uses}"`, { details: { uses, stepId: ctx.stepId } });
      }
      const extensionId = uses.slice(0, uses.indexOf('/'));
      const budget = crashes.get(ctx.runId);
      const crashed = budget?.by.get(extensionId) ?? 0;
      // The run tolerates `budget` crashes; past it (one more), the extension is not called again.
      // (`>=` made `crashBudget: 0` refuse every call before any crash.)
      if (budget && crashed > budget.budget) {
        throw new SymphonyError('E_EXTENSION_FAILED', `extension ${extensionId} crashed ${crashed} times in run ${ctx.runId}, past its crash budget of ${budget.budget}: not called again in this run`, {
          details: { extensionId, runId: ctx.runId, crashes: crashed, crashBudget: budget.budget },
        });
      }
      // A Stage that leases its own pooled instruments (the runtime's instrument pool) is not leased twice.
      const pooled = !services.stage.pooled?.(extensionId) && services.pool?.models().some((m) => m.id === extensionId);
      const lease = pooled ? await services.pool!.acquire(extensionId, { signal: ctx.signal, holder: `${ctx.runId}/${ctx.stepId}` }) : undefined;
      try {
        return await services.stage.call(uses, input, {
          signal: ctx.signal,
          step: { runId: ctx.runId, stepId: ctx.stepId, attempt: ctx.attempt },
          ...(ctx.timeoutMs ? { timeoutMs: ctx.timeoutMs } : {}),
          onProgress: (p, m) => {
            const { fraction, message } = normalizeProgress(p);
            progress(fraction, typeof m === 'string' ? m : message);
          },
          onLog: stepLogger(events, ctx.runId, ctx.stepId, ctx.attempt),
        });
      } catch (err) {
        // A crash is a failed attempt (the step's retry decides); the stage restarts the extension.
        // One crash fails every call it had in flight at once: those count as one crash. An
        // instance the host terminated itself (a cut-off call that did not let go: `details.stuck`)
        // did not crash: its other calls fail, but the run's crash budget is not charged.
        const stuck = (err as SymphonyError)?.details?.stuck !== undefined;
        if (budget && (err as SymphonyError)?.code === 'E_EXTENSION_CRASHED' && !stuck) {
          const at = performance.now();
          if (at - (budget.lastAt.get(extensionId) ?? -Infinity) > CRASH_COALESCE_MS) budget.by.set(extensionId, (budget.by.get(extensionId) ?? 0) + 1);
          budget.lastAt.set(extensionId, at);
        }
        throw err;
      } finally {
        if (lease) services.pool!.release(lease);
      }
    },
    async withSlot(runId, stepId, signal, fn) {
      const arbiter = services.arbiter;
      if (!arbiter) return fn();
      ensureSlots(arbiter);
      const request = { tenant: runId, run: runId, amounts: { [SLOT]: 1 }, id: `${runId}/${stepId}` };
      const grant = arbiter.tryRequest(request) ?? (await arbiter.request(request, { signal }));
      try {
        return await fn();
      } finally {
        arbiter.release(grant);
      }
    },
    nextDecisionSeq(runId) {
      const next = (seqs.get(runId) ?? 0) + 1;
      seqs.set(runId, next);
      return next;
    },
    observeDecision(ms, n) {
      decisionHistogram?.observe({ policy: policy.name }, ms / 1000);
      decisionCounter?.inc({ policy: policy.name }, n);
    },
    recordTrace(records) {
      if (records.length === 0 || !services.stale) return;
      try {
        services.stale.record(records);
      } catch (err) {
        logger.warn({ err }, 'pit.stale refused a decision trace');
      }
    },
    async saveHistory() {
      const db = services.ledger.db('conductor.history') as { putSync(k: string, v: unknown): unknown };
      await services.ledger.transaction(() => {
        for (const [id, stats] of history.entries()) db.putSync(id, stats);
      });
    },
  };

  const requireDag = (): DagPort => {
    const dag = services.dag;
    if (!dag) throw new SymphonyError('E_SERVICE_UNKNOWN', 'the Conductor runs workflows through pit.dag: register its plugin (@symphony/pit-dag)', { details: { service: 'pit.dag' } });
    return dag;
  };

  function begin(run: ConstructorParameters<typeof DagExecution>[2], signal?: AbortSignal, resume = false): RunHandle {
    const dag = requireDag();
    if (active.has(run.runId)) throw new SymphonyError('E_CONFLICT', `run ${run.runId} is already running in this process`, { details: { runId: run.runId } });
    const controller = new AbortController();
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    active.set(run.runId, controller);
    crashes.set(run.runId, { budget: run.workflow.crashBudget ?? options.crashBudget ?? DEFAULT_CRASH_BUDGET, by: new Map(), lastAt: new Map() });
    const lastSeq = store.decisionsOf(run.runId).reduce((m, d) => Math.max(m, d.seq), 0);
    seqs.set(run.runId, lastSeq);
    const done = (async () => {
      try {
        return await new DagExecution(env, dag, run, controller).execute(resume);
      } finally {
        active.delete(run.runId);
        seqs.delete(run.runId);
        crashes.delete(run.runId);
      }
    })();
    return { runId: run.runId, done };
  }

  const views = inspectRunsLazy(() => requireDag(), services.ledger, store);

  const conductor: Conductor = {
    policy,
    history,
    start(source, runOptions = {}) {
      const workflow = validateWorkflow(source);
      assertChecks(workflow);
      const inputs = resolveInputs(workflow, runOptions.inputs ?? {});
      const meta = { policy: policy.version, ...(runOptions.source ? { source: runOptions.source } : {}), ...(runOptions.startedBy ? { startedBy: runOptions.startedBy } : {}) };
      return begin({ runId: newRunId(), workflow, inputs, meta }, runOptions.signal);
    },
    run(source, runOptions) {
      return conductor.start(source, runOptions).done;
    },
    async resume(runId, runOptions = {}) {
      const old = views().record(runId);
      if (old.status !== 'running') {
        throw new SymphonyError('E_CONFLICT', `run ${runId} already ended (${old.status}): nothing to resume`, { details: { runId, status: old.status } });
      }
      // The record keeps its meta (who started it, from where); only the policy is this process's.
      const meta: RunMeta = { ...(old.meta as Omit<RunMeta, 'policy'> | undefined), policy: policy.version };
      return begin({ runId, workflow: old.workflow, inputs: old.inputs, meta }, runOptions.signal, true).done;
    },
    rerun(runId, rerunOptions = {}) {
      const old = views().record(runId);
      if (old.status === 'running') {
        throw new SymphonyError('E_CONFLICT', `run ${runId} is still running: cancel it, or wait for it to end, before running it again`, { details: { runId } });
      }
      const from = rerunOptions.from ?? 'all';
      let rerun: string[] | undefined;
      if (from === 'failed') {
        const steps = requireDag().state(runId).steps;
        rerun = steps.filter((st) => st.state !== 'done').map((st) => st.stepId);
        if (rerun.length === 0) throw new SymphonyError('E_CONFLICT', `every step of run ${runId} succeeded: nothing failed to run again (re-run it all instead)`, { details: { runId } });
      } else if (from !== 'all') {
        if (!old.workflow.steps.some((st) => st.id === from)) {
          throw new SymphonyError('E_INPUT_INVALID', `no step "${from}" in workflow "${old.workflow.name}" to re-run from`, { details: { runId, stepId: from } });
        }
        rerun = [from];
      }
      const meta = {
        policy: policy.version,
        ...(typeof old.meta?.source === 'string' ? { source: old.meta.source } : {}),
        ...(rerunOptions.startedBy ? { startedBy: rerunOptions.startedBy } : {}),
        rerunOf: runId,
        rerunFrom: from,
      };
      return begin({ runId: newRunId(), workflow: old.workflow, inputs: old.inputs, meta, ...(rerun ? { reuse: { runId, rerun } } : {}) }, rerunOptions.signal);
    },
    cancel(runId, options = {}) {
      const controller = active.get(runId);
      if (!controller) return false;
      // The cancel reaches pit.dag through the run's signal (once); a force-cancel is pit.dag's
      // second cancel, which aborts the cleanup steps too.
      const first = !controller.signal.aborted;
      if (first) controller.abort();
      if (options.force) {
        const force = () => void requireDag().cancel(runId, 'force-cancelled').catch(() => {});
        // After the first cancel is recorded (its listener runs on the abort, in this turn).
        if (first) queueMicrotask(force);
        else force();
      }
      return true;
    },
    registerStep(uses, fn, registration = {}) {
      if (!/^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+\/[A-Za-z_][A-Za-z0-9_]*$/.test(uses)) {
        throw new SymphonyError('E_INPUT_INVALID', `step name "${uses}" must look like "<extension-id>/<method>"`, { details: { uses } });
      }
      builtins.set(uses, { fn, capabilities: registration.capabilities ?? [], cost: registration.cost ?? 0.5, capacity: registration.capacity ?? 4 });
      return () => builtins.delete(uses);
    },
    extensions() {
      const byId = new Map<string, { id: string; methods: string[]; capabilities: string[]; inputs?: Readonly<Record<string, unknown>> }>();
      for (const e of services.stage?.list?.() ?? []) {
        byId.set(e.id, { id: e.id, methods: [...e.methods], capabilities: (e.capabilities ?? []).map((c) => (typeof c === 'string' ? c : c.name)), ...(e.inputs ? { inputs: e.inputs } : {}) });
      }
      for (const [uses, b] of builtins) {
        const slash = uses.indexOf('/');
        const id = uses.slice(0, slash);
        const entry = byId.get(id) ?? { id, methods: [], capabilities: [] };
        entry.methods.push(uses.slice(slash + 1));
        entry.capabilities.push(...b.capabilities);
        byId.set(id, entry);
      }
      return [...byId.values()];
    },
    runs: (limit, offset) => views().runs(limit, offset),
    show: (runId) => views().show(runId),
    explain: (runId) => views().explain(runId),
  };
  return conductor;
}

async function invokeBuiltin(fn: StepFunction, input: unknown, ctx: InvokeContext, progress: (f: number, m?: string) => void): Promise<unknown> {
  if (ctx.signal.aborted) throw new SymphonyError('E_ABORTED', `step "${ctx.stepId}" was cancelled`, { details: { stepId: ctx.stepId } });
  const call = fn(input, { runId: ctx.runId, stepId: ctx.stepId, attempt: ctx.attempt, signal: ctx.signal, progress });
  if (!ctx.timeoutMs || !(call instanceof Promise)) return call;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SymphonyError('E_TIMEOUT', `step "${ctx.stepId}" took longer than ${ctx.timeoutMs} ms`, { details: { stepId: ctx.stepId, timeoutMs: ctx.timeoutMs } })), ctx.timeoutMs);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

function normalizeProgress(p: unknown): { fraction: number; message?: string } {
  if (typeof p === 'number') return { fraction: p > 1 ? p / 100 : p };
  const o = (p ?? {}) as Record<string, unknown>;
  const raw = typeof o.fraction === 'number' ? o.fraction : typeof o.progress === 'number' ? o.progress : typeof o.percent === 'number' ? o.percent / 100 : 0;
  return { fraction: Math.max(0, Math.min(1, raw)), ...(typeof o.message === 'string' ? { message: o.message } : {}) };
}

function loadHistory(ledger: LedgerService<unknown, unknown>): HistoryBook {
  const book = new HistoryBook();
  const db = ledger.db('conductor.history') as { getRange(): Iterable<{ key: unknown; value: unknown }> };
  for (const { key, value } of db.getRange()) Object.assign(book.get(String(key)), value as CandidateStats);
  return book;
}

/** Sortable by creation time, unique across processes. */
function newRunId(): string {
  return `run-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export type { SymphonyEvents };

/** Lines kept per attempt of a step, and their total size; past either, one `truncated` marker. */
export const STEP_LOG_LIMITS = { lines: 1_000, bytes: 256 * 1024 } as const;

/** The longest line kept whole (the host's bound for a stdout/stderr line, sandbox `maxOutputLineBytes`). */
const STEP_LOG_LINE_BYTES = 8 * 1024;

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** Turns an extension's lines during one attempt into bounded `step:log` events. */
function stepLogger(events: ConductorEnv['events'], runId: string, stepId: string, attempt: number): NonNullable<StageCallOptions['onLog']> {
  let lines = 0;
  let bytes = 0;
  let truncated = false;
  return (entry) => {
    if (truncated) return;
    let line = typeof entry.line === 'string' ? entry.line : String(entry.line);
    // One over-long line is cut (as the host cuts a long stdout line), not allowed to use up the
    // step's whole budget and silence everything the step writes after it.
    if (Buffer.byteLength(line) > STEP_LOG_LINE_BYTES) {
      const kept = Buffer.from(line).subarray(0, STEP_LOG_LINE_BYTES).toString().replace(/\uFFFD+$/, '');
      line = `${kept} …[${line.length - kept.length} more characters dropped]`;
    }
    const size = Buffer.byteLength(line);
    if (lines >= STEP_LOG_LIMITS.lines || bytes + size > STEP_LOG_LIMITS.bytes) {
      truncated = true;
      events.emit('step:log', { runId, stepId, attempt, stream: entry.stream, line: `[truncated: more than ${STEP_LOG_LIMITS.lines} lines or ${STEP_LOG_LIMITS.bytes / 1024} KiB]`, truncated: true, at: Date.now() });
      return;
    }
    lines += 1;
    bytes += size;
    const level = entry.level && LEVELS.has(entry.level) ? (entry.level as 'debug' | 'info' | 'warn' | 'error') : undefined;
    events.emit('step:log', { runId, stepId, attempt, stream: entry.stream, ...(level ? { level } : {}), line, ...(entry.ambiguous ? { ambiguous: true } : {}), at: Date.now() });
  };
}

/** Before any instance of a pooled extension has loaded: what a cold start is expected to cost (a worker ~120 ms, a process ~220 ms). */
export const COLD_START_PRIOR_MS = 150;

/**
 * Marks each candidate whose extension `pit.pool` keeps with its warmth: warm when an instance
 * can take the call now, else the expected start cost (the pool's smoothed load time, or the prior
 * before the first load). Read once per decision; candidates the pool does not know stay unmarked.
 */
/**
 * Marks each candidate whose extension the Stage dispatches to a scale-out queue with that queue's
 * figures (depth, smoothed wait, expected queue cost): read synchronously, once per decision.
 */
function withQueues(candidates: Candidate[], stage: StagePort | undefined): Candidate[] {
  if (!stage?.queue) return candidates;
  return candidates.map((c) => {
    const q = stage.queue!(c.extensionId);
    // Figures from another package (and Redis): anything not a finite number is ignored.
    if (!q || !Number.isFinite(q.costMs) || !Number.isFinite(q.depth) || !Number.isFinite(q.waitMs)) return c;
    return { ...c, queueDepth: q.depth, queueWaitMs: q.waitMs, queueCostMs: Math.max(0, q.costMs) };
  });
}

function withWarmth(candidates: Candidate[], pool: PoolPort | undefined): Candidate[] {
  const models = pool?.models();
  if (!models || models.length === 0) return candidates;
  const byId = new Map(models.map((m) => [m.id, m]));
  return candidates.map((c) => {
    const m = byId.get(c.extensionId);
    if (!m || m.warm === undefined) return c;
    const warm = m.warm > 0;
    return { ...c, warm, startCostMs: warm ? 0 : (m.loadMs ?? COLD_START_PRIOR_MS) };
  });
}
