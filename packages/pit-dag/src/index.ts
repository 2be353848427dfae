export { dagPlugin, plugin } from './plugin.js';
export { createDagService, DEFAULT_LEASE_TTL_MS, type DagServiceDeps } from './service.js';
export { DEFAULT_MAX_INTERRUPTIONS } from './recovery.js';
export type {
  DagService,
  CreateRunOptions,
  StartedStep,
  FailDecision,
  RunStateView,
  StepStateView,
  StepState,
  RunSummary,
  StepOutputMeta,
  RunEventSink,
} from './types.js';
export type { RunStatus, RunRecord, StepRecord, StepRecordStatus, Lease } from './checkpoint.js';
export { buildRunGraph, type RunGraph } from './graph.js';
export { ReadySet, StepStatus, type StepStatusCode } from './ready-set.js';
export { upwardRanks, criticalPath, stepSlack, type CriticalPath } from './critical-path.js';
export {
  parseExpression,
  evaluate,
  evaluateCondition,
  parseCondition,
  resolveTemplate,
  parseTemplates,
  isTruthy,
  conditionSource,
  templateSpans,
  type TemplateSpan,
  expressionReferences,
  templateReferences,
  EXPRESSION_CONTEXTS,
  EXPRESSION_FUNCTIONS,
  STEP_PROPERTIES,
  type Expr,
  type BinaryOp,
  type ExpressionContext,
  type ExpressionReference,
  type StepOutcome,
} from './expressions.js';
