import { SymphonyError, type SymphonyErrorJSON } from '@symphony/types';
import type { StepRecord } from './checkpoint.js';
import { StepStatus } from './ready-set.js';
import { retryDecision, type ActiveRun } from './run.js';

/** What a restart has to do with a run's saved step records. */
export interface RecoveryPlan {
  /** Final status by step index, for `ReadySet.restore`. */
  finished: Map<number, number>;
  /** Step records to rewrite before the run continues (interrupted attempts). */
  rewrites: Array<[stepId: string, record: StepRecord]>;
  /** `step:retry` payloads for interrupted steps that will run again. */
  retries: Array<{ stepId: string; attempt: number; error: SymphonyErrorJSON }>;
  /** A step failed for good: the run ends failed once nothing runs. */
  failing: boolean;
}

/**
 * Replays saved records onto a freshly activated run: finished steps stay finished (never
 * re-run), and a step that was running when the process died counts as an attempt that failed
 * with `E_INTERRUPTED`. The host's crash is not the step's fault, so the first interruption
 * always earns one more attempt; a step interrupted again on that attempt (it may be what kills
 * the process) is left to its retry policy, so a crashing step cannot loop forever.
 */
export function planRecovery(run: ActiveRun, saved: ReadonlyMap<string, StepRecord>, at: number): RecoveryPlan {
  const plan: RecoveryPlan = { finished: new Map(), rewrites: [], retries: [], failing: false };
  run.graph.ids.forEach((stepId, i) => {
    const record = saved.get(stepId);
    if (!record) return;
    run.attempts[i] = record.attempts;
    if (record.output) run.outputs[i] = record.output;
    if (record.error) run.errors[i] = record.error;
    if (record.status === 'done') plan.finished.set(i, StepStatus.done);
    else if (record.status === 'skipped') plan.finished.set(i, StepStatus.skipped);
    else if (record.status === 'failed') {
      plan.finished.set(i, StepStatus.failed);
      if (!record.continued) plan.failing = true;
    } else if (record.status === 'running') {
      const step = run.graph.steps[i] as NonNullable<(typeof run.graph.steps)[number]>;
      const error = new SymphonyError('E_INTERRUPTED', `step "${stepId}" was running when the process stopped`, {
        details: { runId: run.id, stepId, attempt: record.attempts },
      }).toJSON();
      run.errors[i] = error;
      const interruptedBefore = record.error?.code === 'E_INTERRUPTED';
      let decision = retryDecision(step.retry, record.attempts, 'E_INTERRUPTED', step.continueOnError ?? false);
      if (decision.action !== 'retry' && !interruptedBefore) decision = { action: 'retry', attempt: record.attempts + 1, delayMs: 0 };
      if (decision.action === 'retry') {
        plan.rewrites.push([stepId, { ...record, status: 'retrying', error }]);
        plan.retries.push({ stepId, attempt: decision.attempt, error });
      } else {
        const continued = decision.action === 'continue';
        plan.rewrites.push([stepId, { ...record, status: 'failed', error, endedAt: at, ...(continued ? { continued } : {}) }]);
        plan.finished.set(i, StepStatus.failed);
        if (!continued) plan.failing = true;
      }
    }
    // 'retrying' (a crash during a backoff) stays pending: it is ready again at once.
  });
  return plan;
}
