import { SymphonyError, type SymphonyErrorJSON } from '@symphony/types/core';
import type { StepRecord } from './checkpoint.js';
import { StepStatus } from './ready-set.js';
import type { ActiveRun } from './run.js';

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

/** Interruptions of one step (host crashes during its attempts) after which the step fails `E_INTERRUPTED`. */
export const DEFAULT_MAX_INTERRUPTIONS = 3;

/**
 * Replays saved records onto a freshly activated run: finished steps stay finished (never
 * re-run). A step that was running when the process died was cut off by the host, not by its
 * own failure: that attempt does not count against its `retry` (it runs again with the same
 * attempt number). A separate count of interruptions, bounded by `maxInterruptions`, ends a step
 * that keeps killing the host (`E_INTERRUPTED`), so a crashing step cannot loop forever.
 */
export function planRecovery(run: ActiveRun, saved: ReadonlyMap<string, StepRecord>, at: number, maxInterruptions = DEFAULT_MAX_INTERRUPTIONS): RecoveryPlan {
  const plan: RecoveryPlan = { finished: new Map(), rewrites: [], retries: [], failing: false };
  run.graph.ids.forEach((stepId, i) => {
    const record = saved.get(stepId);
    if (!record) return;
    run.attempts[i] = record.attempts;
    run.interruptions[i] = record.interruptions ?? 0;
    if (record.servedBy) run.servedBy[i] = record.servedBy;
    if (record.output) run.outputs[i] = record.output;
    if (record.error) run.errors[i] = record.error;
    if (record.reusedFrom) (run.reusedFrom ??= new Map()).set(i, record.reusedFrom);
    if (record.status === 'done') plan.finished.set(i, StepStatus.done);
    else if (record.status === 'skipped') plan.finished.set(i, StepStatus.skipped);
    else if (record.status === 'failed') {
      plan.finished.set(i, StepStatus.failed);
      if (record.cancelled) run.aborted[i] = 1;
      else if (!record.continued) plan.failing = true;
    } else if (record.status === 'running' && (returned(run, i, record, saved) || ambiguous(run, i))) {
      // Its function had returned (a successor started on its output) but its commit did not
      // land: the host died in a successor, not here. Or it may have (see `ambiguous`). It runs
      // again, the attempt given back, and nothing is charged to it.
      run.attempts[i] = Math.max(0, record.attempts - 1);
      plan.rewrites.push([stepId, { ...record, attempts: run.attempts[i] as number, status: 'retrying' }]);
    } else if (record.status === 'running') {
      const step = run.graph.steps[i] as NonNullable<(typeof run.graph.steps)[number]>;
      const interruptions = (run.interruptions[i] = (record.interruptions ?? 0) + 1);
      const error = new SymphonyError('E_INTERRUPTED', `step "${stepId}" was running when the process stopped (interruption ${interruptions} of at most ${maxInterruptions})`, {
        details: { runId: run.id, stepId, attempt: record.attempts, interruptions, maxInterruptions },
      }).toJSON();
      run.errors[i] = error;
      if (interruptions <= maxInterruptions) {
        // The cut-off attempt is given back: the next one carries the same number.
        run.attempts[i] = Math.max(0, record.attempts - 1);
        plan.rewrites.push([stepId, { ...record, attempts: run.attempts[i] as number, interruptions, status: 'retrying', error }]);
        plan.retries.push({ stepId, attempt: record.attempts, error });
      } else {
        const continued = step.continueOnError === true;
        plan.rewrites.push([stepId, { ...record, interruptions, status: 'failed', error, endedAt: at, ...(continued ? { continued } : {}) }]);
        plan.finished.set(i, StepStatus.failed);
        if (!continued) plan.failing = true;
      }
    }
    // 'retrying' (a crash during a backoff) stays pending: it is ready again at once.
  });
  return plan;
}

/**
 * Whether a step saved as `running` had in fact returned when the host died: a successor's start
 * record at or after this attempt's start proves it (a successor starts only on its parents'
 * results; with pipelined release that is before the parent's own commit lands).
 */
function returned(run: ActiveRun, i: number, record: StepRecord, saved: ReadonlyMap<string, StepRecord>): boolean {
  if (record.startedAt === undefined) return false;
  const { succStart, succ, ids } = run.graph;
  for (let k = succStart[i] as number; k < (succStart[i + 1] as number); k++) {
    const child = saved.get(ids[succ[k] as number] as string);
    if (child?.startedAt !== undefined && child.status !== 'skipped' && child.startedAt >= record.startedAt) return true;
  }
  return false;
}

/**
 * The first driver releases a step's successors as soon as its output is in memory (pipelined),
 * so a successor that kills the host at once can leave no trace: its parent looks `running`. Such
 * a crash is charged to no step; the next drivers (resumes) start each step only once its start
 * record is durable, so from then on the step that was executing is known and charged. A step
 * without successors is never ambiguous.
 */
function ambiguous(run: ActiveRun, i: number): boolean {
  return (run.record.resumes ?? 0) === 0 && (run.graph.succStart[i + 1] as number) > (run.graph.succStart[i] as number);
}
