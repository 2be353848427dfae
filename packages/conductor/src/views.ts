/**
 * `@symphony/conductor/views`: the read-only views of stored runs (list, show, explain) without
 * the rest of the Conductor (no onnxruntime, no trainer), for tools that only inspect a store.
 */
export { inspectRuns, type RunViews } from './run-views.js';
export type { RunRecord, StepRecord, DecisionRecord, RunStatus, StepState } from './run-store.js';
