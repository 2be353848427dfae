import { SymphonyError, toSymphonyError, type Step } from '@symphony/types';
import { ACTIONS, FEATURES, GIVE_UP, MAX_CANDIDATES, encodeInto, type CandidateView, type DecisionContext } from './features.js';
import { HistoryBook, rewardOf, type CallOutcome } from './history.js';
import type { DecisionRecord } from './run-store.js';
import type { Decision } from './policy.js';
import type { Candidate } from './ports.js';
import type { StepCheck } from './step-check.js';

/** What one step's attempts need from the run around them. */
export interface AttemptEnv {
  runId: string;
  history: HistoryBook;
  inFlight: Map<string, number>;
  decide(contexts: DecisionContext[]): Promise<Decision[]>;
  policyName(): string;
  policyVersion(): string;
  nextSeq(): number;
  /** One call of `uses` (Stage or in-process); resolves to the output. */
  invoke(uses: string, input: unknown, attempt: number): Promise<unknown>;
  onRetry(attempt: number, delayMs: number, error: SymphonyError): void;
  /** A step's `check:` could not be evaluated (the call's quality counts as 0). */
  onCheckError?(message: string): void;
  signal: AbortSignal;
  loadShare(): number;
  queueLength(): number;
}

export interface StepPlan {
  step: Step;
  input: unknown;
  inputSize: number;
  remainingCriticalPath: number;
  /** How much longer the step could take without delaying the run, as a share of the critical path (0 = on it). */
  slack?: number;
  /** Capability steps: the candidates and the first decision (made in the tick's batch). */
  capability?: string;
  candidates?: Candidate[];
  /** One attempt only: the DAG tracker's retry policy schedules the next one. */
  singleAttempt?: boolean;
  /** The step's `check:`, compiled: its value is each successful call's quality. */
  check?: StepCheck;
}

export interface AttemptResult {
  output: unknown;
  servedBy: string;
  attempts: number;
  /** The quality the step's `check:` gave the output (steps with a check only). */
  quality?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 4;

export function candidateViews(env: Pick<AttemptEnv, 'history' | 'inFlight'>, candidates: readonly Candidate[]): CandidateView[] {
  return candidates.slice(0, MAX_CANDIDATES).map((c) => ({
    id: c.uses,
    cost: c.cost,
    stats: env.history.get(c.uses),
    inFlight: env.inFlight.get(c.uses) ?? 0,
    capacity: c.capacity,
    ...(c.startCostMs ? { startCostMs: c.startCostMs } : {}),
    ...(c.queueCostMs ? { queueCostMs: c.queueCostMs } : {}),
  }));
}

export function decisionContext(env: AttemptEnv, plan: StepPlan, attempt: number, previous?: number): DecisionContext {
  return {
    kind: previous === undefined ? 'select' : 'failure',
    stepKind: 1,
    inputSize: plan.inputSize,
    attempt,
    remainingCriticalPath: plan.remainingCriticalPath,
    ...(plan.slack !== undefined ? { slack: plan.slack } : {}),
    queueLength: env.queueLength(),
    globalLoad: env.loadShare(),
    canGiveUp: previous !== undefined,
    candidates: candidateViews(env, plan.candidates ?? []),
    ...(plan.step.explore === false ? { explore: false } : {}),
    ...(previous === undefined ? {} : { previous }),
  };
}

export function decisionRecord(env: AttemptEnv, plan: StepPlan, ctx: DecisionContext, decision: Decision, features: number[]): DecisionRecord {
  const chosen = plan.candidates?.[decision.action];
  const verdict =
    decision.action === GIVE_UP ? 'give-up' : ctx.kind === 'select' ? `select ${chosen?.uses}` : decision.action === ctx.previous ? `retry ${chosen?.uses}` : `fallback to ${chosen?.uses}`;
  return {
    runId: env.runId,
    seq: env.nextSeq(),
    stepId: plan.step.id,
    kind: ctx.kind,
    attempt: ctx.attempt,
    capability: plan.capability ?? '',
    candidates: ctx.candidates.map((c, i) => {
      const warmth = plan.candidates?.[i];
      return {
        id: c.id, cost: c.cost, observations: c.stats.n, ewmaLatencyMs: round(c.stats.ewmaLatencyMs), failureRate: round(c.stats.ewmaFail), inFlight: c.inFlight,
        ...(warmth?.warm === undefined ? {} : { warm: warmth.warm, startCostMs: round(warmth.startCostMs ?? 0) }),
        ...(warmth?.queueDepth === undefined ? {} : { queueDepth: warmth.queueDepth, queueWaitMs: round(warmth.queueWaitMs ?? 0), queueCostMs: round(warmth.queueCostMs ?? 0) }),
      };
    }),
    features,
    action: decision.action,
    verdict,
    ...(chosen ? { chosen: chosen.uses } : {}),
    ...(decision.probabilities ? { probabilities: decision.probabilities.map(round) } : {}),
    ...(decision.reason ? { reason: decision.reason } : {}),
    policy: env.policyName(),
    policyVersion: env.policyVersion(),
    at: Date.now(),
  };
}

/**
 * Runs a step's attempts. Extension steps follow their `retry` policy. Capability steps ask the
 * policy after every failure whether to retry the same candidate, fall back to another or give
 * up (at most DEFAULT_MAX_ATTEMPTS, or `retry.count + 1` when that is larger).
 */
export async function runAttempts(
  env: AttemptEnv,
  plan: StepPlan,
  first: { decision: Decision; record: DecisionRecord } | undefined,
  records: DecisionRecord[],
  encode: (ctx: DecisionContext) => number[],
): Promise<AttemptResult> {
  const step = plan.step;
  const maxAttempts = plan.capability ? Math.max(DEFAULT_MAX_ATTEMPTS, (step.retry?.count ?? 0) + 1) : plan.singleAttempt ? 1 : (step.retry?.count ?? 0) + 1;
  let slot = first?.decision.action ?? 0;
  let record = first?.record;
  if (record) records.push(record);
  for (let attempt = 1; ; attempt++) {
    const candidate = plan.candidates?.[slot];
    const uses = candidate?.uses ?? step.uses;
    const t0 = performance.now();
    env.inFlight.set(uses, (env.inFlight.get(uses) ?? 0) + 1);
    let error: SymphonyError | undefined;
    let output: unknown;
    try {
      output = await env.invoke(uses, plan.input, attempt);
    } catch (err) {
      error = toSymphonyError(err, 'E_STEP_FAILED');
    } finally {
      env.inFlight.set(uses, (env.inFlight.get(uses) ?? 1) - 1);
    }
    const latencyMs = performance.now() - t0;
    // A declared check is the workflow author's judgement: it wins over what the extension says.
    const checked = !error && plan.check ? plan.check(output) : undefined;
    if (checked?.error) env.onCheckError?.(checked.error);
    const quality = error ? 0 : checked ? checked.quality : qualityOf(output);
    const outcome: CallOutcome = { ok: !error, latencyMs, quality, cost: candidate?.cost ?? 0, size: plan.inputSize };
    const reward = rewardOf(outcome);
    env.history.record(uses, outcome, reward);
    if (record) {
      record.outcome = {
        ok: !error,
        latencyMs: round(latencyMs),
        reward: round(reward),
        ...(error ? { code: error.code } : { quality: round(quality) }),
        ...(checked ? { checked: true } : {}),
        ...(checked?.error ? { checkError: checked.error } : {}),
      };
    }
    if (!error) return { output, servedBy: uses, attempts: attempt, ...(checked ? { quality: round(quality) } : {}) };
    if (env.signal.aborted) throw new SymphonyError('E_ABORTED', `step "${step.id}" was cancelled`, { details: { stepId: step.id }, cause: error });
    if (attempt >= maxAttempts) throw plan.singleAttempt && !plan.capability ? tagStep(error, step.id) : withStep(error, step.id, attempt);

    if (plan.capability && plan.candidates) {
      const ctx = decisionContext(env, plan, attempt, slot);
      const [decision] = await env.decide([ctx]);
      if (!decision) throw withStep(error, step.id, attempt);
      record = decisionRecord(env, plan, ctx, decision, encode(ctx));
      records.push(record);
      if (decision.action === GIVE_UP || !plan.candidates[decision.action]) throw withStep(error, step.id, attempt, 'the policy gave up');
      const delayMs = decision.action === slot ? backoff(step, attempt) : 0;
      slot = decision.action;
      env.onRetry(attempt + 1, delayMs, error);
      await sleep(delayMs, env.signal);
    } else {
      const codes = step.retry?.on;
      if (codes && codes.length > 0 && !codes.includes(error.code)) throw withStep(error, step.id, attempt);
      const delayMs = backoff(step, attempt);
      env.onRetry(attempt + 1, delayMs, error);
      await sleep(delayMs, env.signal);
    }
  }
}

/** The tracker counts attempts itself: keep the message, add the step. */
function tagStep(error: SymphonyError, stepId: string): SymphonyError {
  return new SymphonyError(error.code, `step "${stepId}": ${error.message}`, { details: { ...error.details, stepId }, cause: error });
}

function backoff(step: Step, attempt: number): number {
  const base = step.retry?.backoffMs ?? 50;
  return Math.min(30_000, base * (step.retry?.factor ?? 2) ** (attempt - 1));
}

function qualityOf(output: unknown): number {
  const q = output && typeof output === 'object' ? (output as Record<string, unknown>).quality : undefined;
  return typeof q === 'number' && q >= 0 && q <= 1 ? q : 1;
}

function withStep(error: SymphonyError, stepId: string, attempts: number, why?: string): SymphonyError {
  return new SymphonyError(error.code, `step "${stepId}" failed after ${attempts} attempt${attempts === 1 ? '' : 's'}${why ? ` (${why})` : ''}: ${error.message}`, {
    details: { ...error.details, stepId, attempts },
    cause: error,
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new SymphonyError('E_ABORTED', 'cancelled while waiting to retry'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** A decision's feature rows as logged (rounded: they are for explaining and replay). */
export function encodeRow(ctx: DecisionContext): number[] {
  const features = new Float32Array(ACTIONS * FEATURES);
  encodeInto(ctx, features, new Float32Array(ACTIONS), 0);
  return Array.from(features, (x) => Math.round(x * 1e5) / 1e5);
}

/** Input size in decision units (10 KB of JSON = 1). */
export function sizeOf(input: unknown): number {
  try {
    return (JSON.stringify(input)?.length ?? 0) / 10_000;
  } catch {
    return 1;
  }
}
