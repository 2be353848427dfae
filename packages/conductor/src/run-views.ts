import { SymphonyError, type LedgerService } from '@symphony/types/core';
import type { DagPort, DagRunRecord } from './dag-execution.js';
import { RunStore, type DecisionRecord, type RunRecord, type StepRecord } from './run-store.js';
import { describeReason } from './explore.js';

/** Runs as `symphony runs` and the server show them: pit.dag's records plus the Conductor's decisions. */
export interface RunViews {
  /** Newest first: `limit` runs (default 50) after skipping the `offset` newest. */
  runs(limit?: number, offset?: number): RunRecord[];
  show(runId: string): { run: RunRecord; steps: StepRecord[] };
  explain(runId: string): DecisionRecord[];
  /** pit.dag's stored record (`E_NOT_FOUND` when unknown). */
  record(runId: string): DagRunRecord;
}

/**
 * Read-only views over a store, usable without the Conductor plugin (a read-only store, `runs`
 * and `explain` without starting extensions): `inspectRuns(kernel.service('pit.dag'), ledger)`.
 */
export function inspectRuns(dag: Pick<DagPort, 'record' | 'runs' | 'state'>, ledger: LedgerService<unknown, unknown>): RunViews {
  return inspectRunsLazy(() => dag, ledger)();
}

export function inspectRunsLazy(getDag: () => Pick<DagPort, 'record' | 'runs' | 'state'>, ledger: LedgerService<unknown, unknown>, given?: RunStore): () => RunViews {
  let store = given;
  // Opened on first use: a read-only store may not have the decisions sub-database yet.
  const decisions = (runId: string): DecisionRecord[] => {
    try {
      store ??= new RunStore(ledger);
    } catch {
      return [];
    }
    return store.decisionsOf(runId);
  };
  const record = (runId: string): DagRunRecord => {
    const found = getDag().record(runId);
    if (!found) throw new SymphonyError('E_NOT_FOUND', `no run "${runId}" in ${ledger.path} (see "symphony runs list")`, { details: { runId, store: ledger.path } });
    return found;
  };
  const views: RunViews = {
    record,
    runs(limit = 50, offset = 0) {
      const dag = getDag();
      return dag
        .runs()
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(offset, offset + limit)
        .map((r) => dag.record(r.runId))
        .filter((r): r is DagRunRecord => r !== undefined)
        .map(toRunRecord);
    },
    show(runId) {
      const run = toRunRecord(record(runId));
      const view = getDag().state(runId);
      const steps: StepRecord[] = view.steps.map((s) => ({
        runId,
        stepId: s.stepId,
        state: s.state as StepRecord['state'],
        attempts: s.attempts,
        ...(s.interruptions ? { interruptions: s.interruptions } : {}),
        ...(s.cancelled ? { cancelled: true } : {}),
        ...(s.output ? { output: s.output } : {}),
        ...(s.servedBy ? { servedBy: s.servedBy } : {}),
        ...(s.error ? { error: s.error } : {}),
        ...(s.reusedFrom ? { reusedFrom: s.reusedFrom } : {}),
        startedAt: s.startedAt ?? 0,
        endedAt: s.endedAt ?? 0,
        durationMs: s.startedAt && s.endedAt ? s.endedAt - s.startedAt : 0,
      }));
      return { run, steps };
    },
    explain(runId) {
      record(runId);
      // The reason's sentence is written here, at explain time, to keep it off the decision path.
      return decisions(runId).map((d) => (d.reason ? { ...d, reason: { ...d.reason, why: describeReason(d.reason, d.action) } } : d));
    },
  };
  return () => views;
}

function toRunRecord(r: DagRunRecord): RunRecord {
  return {
    runId: r.runId,
    workflow: r.workflow,
    inputs: r.inputs,
    status: r.status,
    createdAt: r.createdAt,
    updatedAt: r.endedAt ?? r.createdAt,
    resumes: r.resumes ?? 0,
    policy: typeof r.meta?.policy === 'string' ? r.meta.policy : '',
    ...(typeof r.meta?.source === 'string' ? { source: r.meta.source } : {}),
    ...(typeof r.meta?.startedBy === 'string' ? { startedBy: r.meta.startedBy } : {}),
    ...(typeof r.meta?.rerunOf === 'string' ? { rerunOf: r.meta.rerunOf, rerunFrom: typeof r.meta.rerunFrom === 'string' ? r.meta.rerunFrom : 'all' } : {}),
    ...(r.endedAt !== undefined ? { endedAt: r.endedAt } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}
